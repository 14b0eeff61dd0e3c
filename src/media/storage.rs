//! Where files are kept: a folder (`data_dir/media` by default). Keys are relative paths made by
//! Gilde (`ab/<token>-original.jpg`), never by a client.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
}

impl Storage {
    pub fn local(root: PathBuf) -> Self {
        Storage { root }
    }

    fn path(&self, key: &str) -> std::io::Result<PathBuf> {
        let valid = !key.is_empty()
            && key.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
        if !valid {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("invalid storage key {key:?}")));
        }
        Ok(self.root.join(key))
    }

    /// Writes a file whole: to a temporary name first, then renamed, so a reader never sees half
    /// a file.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> std::io::Result<()> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || write_whole(&path, &bytes)).await.map_err(std::io::Error::other)?
    }

    pub async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(key)?).await
    }

    /// Removes a file; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Does the file exist? (For tests and checks.)
    pub async fn exists(&self, key: &str) -> bool {
        match self.path(key) {
            Ok(path) => tokio::fs::try_exists(path).await.unwrap_or(false),
            Err(_) => false,
        }
    }
}

fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().ok_or_else(|| std::io::Error::other("a storage key has a folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
