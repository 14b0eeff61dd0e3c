//! Helpers for tests of this crate and of the federation suite: a context on a throw-away
//! database, and people and groups made in one line.

use crate::config::Config;
use crate::context::AppContext;
use crate::db::testing::TestDatabase;
use crate::db::Db;
use crate::service::groups::NewGroupInput;
use crate::service::people::NewAccount;
use crate::service::{self, Actor, GroupView, Scope, Visibility};

pub struct TestContext {
    pub ctx: AppContext,
    // Dropped last: the database outlives the pool.
    pub database: TestDatabase,
}

impl TestContext {
    pub fn new() -> TestContext {
        Self::with_config(|_| {})
    }

    pub fn with_config(change: impl FnOnce(&mut Config)) -> TestContext {
        let database = TestDatabase::new();
        let mut config = Config::for_tests("gilde.test", database.dir(), database.url.clone());
        change(&mut config);
        let db = Db::connect(&config.database, config.db_pool_size).unwrap_or_else(|e| panic!("test database: {e}"));
        TestContext { ctx: AppContext::new(config, db), database }
    }

    /// A local person with the password `correct horse battery`.
    pub async fn person(&self, name: &str) -> Actor {
        self.account(name, false).await
    }

    pub async fn admin(&self, name: &str) -> Actor {
        self.account(name, true).await
    }

    async fn account(&self, name: &str, is_admin: bool) -> Actor {
        let person = service::people::create_account(
            &self.ctx,
            NewAccount { username: name.into(), password: PASSWORD.into(), display_name: None, is_admin },
        )
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
        Actor { person_id: person.id, is_admin }
    }

    pub async fn group(&self, owner: &Actor, name: &str, visibility: Visibility) -> GroupView {
        service::groups::create(
            &self.ctx,
            owner,
            NewGroupInput {
                name: name.into(),
                display_name: name.to_uppercase(),
                note: format!("About {name}"),
                scope: Scope::Internal,
                visibility,
                announcements_only: false,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create group {name}: {e:?}"))
    }
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// A context on an existing test database (e.g. one a `gilde` process also uses).
pub fn context_for(database: &TestDatabase) -> crate::AppContext {
    let config = Config::for_tests("gilde.test", database.dir(), database.url.clone());
    let db = Db::connect(&config.database, 2).unwrap_or_else(|e| panic!("test database: {e}"));
    crate::AppContext::new(config, db)
}

/// The `gilde` package's folder. Read from the environment `cargo test` sets when it runs the
/// tests, so a test binary built from another checkout (a shared target folder) still reads
/// this checkout's files; the path compiled in is only the fallback.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A Python virtual environment under `dir` with `package` (a pinned pip requirement) installed
/// once, for tests that drive Gilde with real clients and peers from PyPI; `import` is the module
/// that shows it is installed. Returns the environment's `python`. Fails loudly when it cannot
/// be had (no `python3` with `venv`, or no access to PyPI).
pub fn python_with(dir: &std::path::Path, package: &str, import: &str) -> std::path::PathBuf {
    use std::process::Command;
    let python = dir.join("bin/python");
    if python.exists() && Command::new(&python).args(["-c", &format!("import {import}")]).status().is_ok_and(|s| s.success()) {
        return python;
    }
    let status = Command::new("python3").args(["-m", "venv"]).arg(dir).status().expect("python3 is needed for these tests");
    assert!(status.success(), "python3 -m venv failed (on Debian: apt-get install python3-venv)");
    let status =
        Command::new(dir.join("bin/pip")).args(["install", "--quiet", "--disable-pip-version-check", package]).status().expect("pip");
    assert!(status.success(), "pip install {package} failed");
    python
}

/// A PNG that claims `width`×`height` pixels in a few bytes (a decompression bomb's header).
pub fn huge_png(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of zeros: highly compressible rows, as a real bomb would carry.
    let mut idat = vec![0x78, 0x9c];
    idat.extend_from_slice(&[0x63, 0x60, 0x18, 0x05, 0xa3, 0x60, 0x14, 0x0c, 0x77, 0x00, 0x00]);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A small, honest Word document (docx): the parts Word writes first, with a line of text.
pub fn small_docx() -> Vec<u8> {
    docx_with(b"<w:document><w:body><w:p><w:r><w:t>Beleidsnota wonen 2027</w:t></w:r></w:p></w:body></w:document>")
}

fn docx_with(document: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in [
        ("[Content_Types].xml", &b"<?xml version=\"1.0\"?><Types/>"[..]),
        ("_rels/.rels", &b"<?xml version=\"1.0\"?><Relationships/>"[..]),
        ("word/document.xml", document),
        ("word/styles.xml", &b"<?xml version=\"1.0\"?><w:styles/>"[..]),
    ] {
        zip.start_file(name, stored).expect("zip entry");
        zip.write_all(body).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

/// A Word document whose archive directory claims its text unpacks to 4 GB (a zip bomb in
/// disguise: the name and the first bytes say docx).
pub fn zip_bomb_docx() -> Vec<u8> {
    let mut bytes = docx_with(b"<w:document/>");
    // word/document.xml's entry in the central directory (signature PK\x01\x02): its
    // uncompressed size is at offset 24.
    let directory = bytes.windows(4).position(|w| w == b"PK\x01\x02").expect("central directory");
    let name = bytes[directory..].windows(17).position(|w| w == b"word/document.xml").expect("entry") + directory;
    let entry = bytes[..name].windows(4).rposition(|w| w == b"PK\x01\x02").expect("entry start");
    bytes[entry + 24..entry + 28].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    bytes
}

/// A minimal EXIF block (big-endian TIFF) with Orientation and a GPS position.
pub fn exif_with_orientation_and_gps(orientation: u16) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    // IFD0: two entries.
    t.extend_from_slice(&2u16.to_be_bytes());
    // Orientation (0x0112), SHORT, 1, value.
    t.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    // GPS IFD pointer (0x8825), LONG, 1, offset 38.
    t.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 38]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    // GPS IFD: GPSLatitudeRef "N" (ASCII 2).
    t.extend_from_slice(&1u16.to_be_bytes());
    t.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, b'N', 0, 0, 0]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    t
}

/// A JPEG `w`×`h`, left half red, right half blue, with the given EXIF block.
pub fn jpeg(w: u32, h: u32, exif: Option<Vec<u8>>) -> Vec<u8> {
    use image::ImageEncoder;
    let img = image::RgbImage::from_fn(w, h, |x, _| if x < w / 2 { image::Rgb([220, 20, 20]) } else { image::Rgb([20, 20, 220]) });
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif).expect("exif");
    }
    encoder.write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8).expect("encode");
    out
}

/// A small OpenDocument text with one paragraph.
pub fn small_odt(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let content = format!(
        r#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>{text}</text:p></office:text></office:body></office:document-content>"#
    );
    for (name, body) in [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", content.as_str())] {
        zip.start_file(name, stored).expect("zip entry");
        zip.write_all(body.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

/// A one-page PDF that shows `text` (Helvetica, uncompressed), with a correct cross-reference
/// table.
pub fn pdf_with_text(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 24 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    out
}
