//! Where files are kept: a folder (`data_dir/media` by default) or an S3-compatible bucket
//! (MinIO, Ceph, Garage, AWS, a cloud provider's object store). Keys are relative paths made by
//! Gilde (`ab/<token>-original.jpg`), never by a client. Files are always served through Gilde
//! (which checks who may read them), never from the bucket directly.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// An S3-compatible bucket, as configured (`media_storage = "s3"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `https://s3.example.org` (path-style addressing: the bucket in the path).
    pub endpoint: url::Url,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

#[derive(Clone)]
pub enum Storage {
    Local { root: PathBuf },
    S3(Box<S3Storage>),
}

#[derive(Clone)]
pub struct S3Storage {
    bucket: rusty_s3::Bucket,
    credentials: rusty_s3::Credentials,
    http: reqwest13::Client,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Local { root } => write!(f, "Storage::Local({})", root.display()),
            Storage::S3(s3) => write!(f, "Storage::S3({})", s3.bucket.name()),
        }
    }
}

/// Signed requests to the bucket are valid this long.
const SIGNED_FOR: Duration = Duration::from_secs(300);

fn valid_key(key: &str) -> std::io::Result<()> {
    let valid = !key.is_empty()
        && key.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("invalid storage key {key:?}")))
    }
}

fn s3_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("S3: {e}"))
}

impl Storage {
    pub fn local(root: PathBuf) -> Self {
        Storage::Local { root }
    }

    pub fn s3(settings: &S3Settings) -> Result<Self, String> {
        let bucket =
            rusty_s3::Bucket::new(settings.endpoint.clone(), rusty_s3::UrlStyle::Path, settings.bucket.clone(), settings.region.clone())
                .map_err(|e| format!("invalid S3 bucket settings: {e}"))?;
        let credentials = rusty_s3::Credentials::new(settings.access_key.clone(), settings.secret_key.clone());
        let http = reqwest13::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| format!("cannot build the S3 client: {e}"))?;
        Ok(Storage::S3(Box::new(S3Storage { bucket, credentials, http })))
    }

    fn path(root: &Path, key: &str) -> std::io::Result<PathBuf> {
        valid_key(key)?;
        Ok(root.join(key))
    }

    /// Writes a file whole: to a temporary name first, then renamed, so a reader never sees half
    /// a file (a bucket stores an object whole by itself).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> std::io::Result<()> {
        match self {
            Storage::Local { root } => {
                let path = Self::path(root, key)?;
                tokio::task::spawn_blocking(move || write_whole(&path, &bytes)).await.map_err(std::io::Error::other)?
            }
            Storage::S3(s3) => {
                valid_key(key)?;
                use rusty_s3::S3Action;
                let url = s3.bucket.put_object(Some(&s3.credentials), key).sign(SIGNED_FOR);
                let res = s3.http.put(url).body(bytes).send().await.map_err(s3_error)?;
                if !res.status().is_success() {
                    return Err(s3_error(format!("storing {key} answered {}", res.status())));
                }
                Ok(())
            }
        }
    }

    pub async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        match self {
            Storage::Local { root } => tokio::fs::read(Self::path(root, key)?).await,
            Storage::S3(s3) => {
                valid_key(key)?;
                use rusty_s3::S3Action;
                let url = s3.bucket.get_object(Some(&s3.credentials), key).sign(SIGNED_FOR);
                let res = s3.http.get(url).send().await.map_err(s3_error)?;
                if res.status() == reqwest13::StatusCode::NOT_FOUND {
                    return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("no object {key}")));
                }
                if !res.status().is_success() {
                    return Err(s3_error(format!("reading {key} answered {}", res.status())));
                }
                Ok(res.bytes().await.map_err(s3_error)?.to_vec())
            }
        }
    }

    /// Removes a file; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        match self {
            Storage::Local { root } => match tokio::fs::remove_file(Self::path(root, key)?).await {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
            Storage::S3(s3) => {
                valid_key(key)?;
                use rusty_s3::S3Action;
                let url = s3.bucket.delete_object(Some(&s3.credentials), key).sign(SIGNED_FOR);
                let res = s3.http.delete(url).send().await.map_err(s3_error)?;
                if !res.status().is_success() && res.status() != reqwest13::StatusCode::NOT_FOUND {
                    return Err(s3_error(format!("removing {key} answered {}", res.status())));
                }
                Ok(())
            }
        }
    }

    /// Does the file exist? (For tests and checks.)
    pub async fn exists(&self, key: &str) -> bool {
        match self {
            Storage::Local { root } => match Self::path(root, key) {
                Ok(path) => tokio::fs::try_exists(path).await.unwrap_or(false),
                Err(_) => false,
            },
            Storage::S3(s3) => {
                use rusty_s3::S3Action;
                let url = s3.bucket.head_object(Some(&s3.credentials), key).sign(SIGNED_FOR);
                s3.http.head(url).send().await.is_ok_and(|r| r.status().is_success())
            }
        }
    }

    /// Creates the bucket (for tests and first setup); one that exists is no error.
    pub async fn create_bucket(&self) -> std::io::Result<()> {
        let Storage::S3(s3) = self else { return Ok(()) };
        use rusty_s3::S3Action;
        let url = s3.bucket.create_bucket(&s3.credentials).sign(SIGNED_FOR);
        let res = s3.http.put(url).header("content-length", "0").body(Vec::new()).send().await.map_err(s3_error)?;
        if res.status().is_success() || res.status() == reqwest13::StatusCode::CONFLICT {
            Ok(())
        } else {
            Err(s3_error(format!("creating the bucket answered {}", res.status())))
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
