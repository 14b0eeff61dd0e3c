//! Turning an upload into what Gilde keeps: the file's type sniffed from its bytes (never from
//! its name or the type the client claims), images decoded within limits, turned upright,
//! stripped of their metadata (EXIF, GPS) by re-encoding, capped in size, with a preview and a
//! blurhash; documents checked and kept as they are. Which rules apply to whom is the service
//! layer's business (`service::media`); this module only knows bytes.

pub mod storage;
pub mod text;

use std::io::Cursor;

use image::{DynamicImage, GenericImageView, ImageDecoder, ImageReader};

/// Limits on what is accepted, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    pub image_max_bytes: usize,
    pub document_max_bytes: usize,
    /// Width × height of an image, before it is decoded (a small file can claim a huge image).
    pub image_max_pixels: u64,
    /// The longest side of the image kept; larger images are scaled down.
    pub image_max_side: u32,
    /// The longest side of a preview.
    pub preview_side: u32,
    pub max_attachments: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            image_max_bytes: 16 * 1024 * 1024,
            document_max_bytes: 40 * 1024 * 1024,
            image_max_pixels: 50_000_000,
            image_max_side: 4096,
            preview_side: 640,
            max_attachments: 4,
        }
    }
}

/// Image types Gilde accepts (and what it keeps them as).
pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Document types Gilde accepts: PDF, OpenDocument, Microsoft Office (both the zip-based and the
/// older formats) and RTF.
pub const DOCUMENT_TYPES: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("application/vnd.oasis.opendocument.text", "odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ("application/vnd.oasis.opendocument.presentation", "odp"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    ("application/msword", "doc"),
    ("application/vnd.ms-excel", "xls"),
    ("application/vnd.ms-powerpoint", "ppt"),
    ("application/rtf", "rtf"),
];

/// What a person reads for a document type: `PDF`, `Word`, ...
pub fn document_label(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "application/vnd.oasis.opendocument.text" => "OpenDocument Text",
        "application/vnd.oasis.opendocument.spreadsheet" => "OpenDocument Spreadsheet",
        "application/vnd.oasis.opendocument.presentation" => "OpenDocument Presentation",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" | "application/msword" => "Word",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" | "application/vnd.ms-excel" => "Excel",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" | "application/vnd.ms-powerpoint" => "PowerPoint",
        "application/rtf" => "RTF",
        _ => "Document",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Document,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Document => "document",
        }
    }
}

/// An encoded image kept beside the original: the preview.
#[derive(Debug, Clone)]
pub struct Preview {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// An upload ready to be stored.
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: Kind,
    pub content_type: &'static str,
    /// The file name's extension that matches the content (`jpg`, `pdf`, ...).
    pub extension: &'static str,
    pub bytes: Vec<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub preview: Option<Preview>,
    pub blurhash: Option<String>,
    /// A document's text, for search (empty for images).
    pub text: String,
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    #[error("file type {0} is not accepted")]
    Unsupported(String),
    #[error("the file has {size} bytes; at most {limit} are accepted for {kind}")]
    TooLarge { size: usize, limit: usize, kind: &'static str },
    #[error("the image is {width}×{height} pixels; at most {limit} pixels are accepted")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("the image cannot be read: {0}")]
    Corrupt(String),
    #[error("the document is an archive that unpacks to far more than its size")]
    SuspiciousArchive,
    #[error("the file is empty")]
    Empty,
}

/// Sniffs, checks and (for images) re-encodes an upload.
pub fn process(bytes: &[u8], limits: &MediaLimits) -> Result<Processed, ProcessError> {
    if bytes.is_empty() {
        return Err(ProcessError::Empty);
    }
    let sniffed = infer::get(bytes).map(|t| t.mime_type()).unwrap_or("application/octet-stream");
    if IMAGE_TYPES.contains(&sniffed) {
        if bytes.len() > limits.image_max_bytes {
            return Err(ProcessError::TooLarge { size: bytes.len(), limit: limits.image_max_bytes, kind: "images" });
        }
        return process_image(bytes, sniffed, limits);
    }
    let sniffed = document_type(bytes).unwrap_or(sniffed);
    let Some((content_type, extension)) = DOCUMENT_TYPES.iter().find(|(t, _)| *t == sniffed) else {
        return Err(ProcessError::Unsupported(sniffed.to_string()));
    };
    if bytes.len() > limits.document_max_bytes {
        return Err(ProcessError::TooLarge { size: bytes.len(), limit: limits.document_max_bytes, kind: "documents" });
    }
    if bytes.starts_with(b"PK") {
        check_archive(bytes, limits)?;
    }
    Ok(Processed {
        kind: Kind::Document,
        content_type,
        extension,
        bytes: bytes.to_vec(),
        width: None,
        height: None,
        preview: None,
        blurhash: None,
        text: text::document_text(bytes, content_type),
    })
}

/// Documents are zip archives or OLE containers first: ask the document matchers themselves
/// (a plain `infer::get` answers `application/zip` for a Word file).
fn document_type(bytes: &[u8]) -> Option<&'static str> {
    use infer::{doc, odf};
    type Matcher = fn(&[u8]) -> bool;
    let checks: [(Matcher, usize); 9] = [
        (odf::is_odt, 1),
        (odf::is_ods, 2),
        (odf::is_odp, 3),
        (doc::is_docx, 4),
        (doc::is_xlsx, 5),
        (doc::is_pptx, 6),
        (doc::is_doc, 7),
        (doc::is_xls, 8),
        (doc::is_ppt, 9),
    ];
    if bytes.starts_with(b"%PDF-") {
        return Some(DOCUMENT_TYPES[0].0);
    }
    if bytes.starts_with(b"{\\rtf") {
        return Some("application/rtf");
    }
    checks.iter().find(|(check, _)| check(bytes)).map(|(_, i)| DOCUMENT_TYPES[*i].0)
}

/// Zip-based documents (OpenDocument, Office) are read for search: one that claims to unpack to
/// far more than the limit, or holds an absurd number of parts, is refused (a zip bomb).
fn check_archive(bytes: &[u8], limits: &MediaLimits) -> Result<(), ProcessError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ProcessError::SuspiciousArchive)?;
    if archive.len() > 10_000 {
        return Err(ProcessError::SuspiciousArchive);
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        // The sizes the archive's directory declares: nothing is unpacked here.
        let entry = archive.by_index_raw(i).map_err(|_| ProcessError::SuspiciousArchive)?;
        total = total.saturating_add(entry.size());
    }
    let ceiling = (limits.document_max_bytes as u64).saturating_mul(10);
    if total > ceiling {
        return Err(ProcessError::SuspiciousArchive);
    }
    Ok(())
}

/// A JPEG cut off before its end decodes (the decoder fills in grey) but is damaged: its last
/// scan (`FF DA`) must be followed by the end-of-image marker (`FF D9`). Inside the scans `FF` is
/// always escaped, so the marker cannot occur by chance; an EXIF thumbnail's own end comes
/// before the image's scans.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w[0] == 0xFF && w[1] == marker);
    matches!((last(0xDA), last(0xD9)), (Some(scan), Some(end)) if end > scan)
}

fn process_image(bytes: &[u8], sniffed: &'static str, limits: &MediaLimits) -> Result<Processed, ProcessError> {
    if sniffed == "image/jpeg" && !jpeg_is_complete(bytes) {
        return Err(ProcessError::Corrupt("the JPEG file ends before the image does".into()));
    }
    let corrupt = |e: image::ImageError| ProcessError::Corrupt(e.to_string());
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| ProcessError::Corrupt(e.to_string()))?;
    // Limits are set once the size the image claims is known and checked.
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ProcessError::Corrupt("the image has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > limits.image_max_pixels {
        return Err(ProcessError::TooManyPixels { width, height, limit: limits.image_max_pixels });
    }
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(width);
    decode_limits.max_image_height = Some(height);
    // Eight bytes a pixel (16-bit RGBA) is the most any accepted format decodes to.
    decode_limits.max_alloc = Some(limits.image_max_pixels.saturating_mul(8).max(64 * 1024 * 1024));
    decoder.set_limits(decode_limits).map_err(corrupt)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > limits.image_max_side {
        // Area averaging (`thumbnail`): as good as a filter for shrinking, and no float buffer
        // of the whole image (a 48-megapixel photo would take 400 MB more).
        img = img.thumbnail(limits.image_max_side, limits.image_max_side);
    }
    let has_alpha = img.color().has_alpha();
    // JPEG stays JPEG; images with transparency (PNG, GIF, WebP) become PNG; others JPEG.
    let (content_type, extension, kept) = if sniffed == "image/jpeg" || !has_alpha {
        ("image/jpeg", "jpg", encode_jpeg(&img, 88)?)
    } else {
        ("image/png", "png", encode_png(&img)?)
    };
    let (w, h) = img.dimensions();
    let preview_img = if w.max(h) > limits.preview_side { img.thumbnail(limits.preview_side, limits.preview_side) } else { img.clone() };
    let preview = Preview { bytes: encode_jpeg(&preview_img, 80)?, width: preview_img.width(), height: preview_img.height() };
    let tiny = preview_img.thumbnail(32, 32).to_rgba8();
    let blurhash = blurhash::encode(4, 3, tiny.width(), tiny.height(), tiny.as_raw()).ok();
    Ok(Processed {
        kind: Kind::Image,
        content_type,
        extension,
        bytes: kept,
        width: Some(w),
        height: Some(h),
        preview: Some(preview),
        blurhash,
        text: String::new(),
    })
}

/// JPEG has no transparency: transparent parts are laid on white.
fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, ProcessError> {
    let rgb = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
        for (to, from) in rgb.pixels_mut().zip(rgba.pixels()) {
            let a = u16::from(from[3]);
            for c in 0..3 {
                to[c] = ((u16::from(from[c]) * a + 255 * (255 - a)) / 255) as u8;
            }
        }
        rgb
    } else {
        img.to_rgb8()
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| ProcessError::Corrupt(e.to_string()))?;
    Ok(out)
}

fn encode_png(img: &DynamicImage) -> Result<Vec<u8>, ProcessError> {
    let mut out = Vec::new();
    img.to_rgba8().write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).map_err(|e| ProcessError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// A file name safe to show and to put in a header: no path, no control characters, at most
/// 120 characters, ending in the extension that matches the content.
pub fn clean_file_name(name: Option<&str>, extension: &str) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':')).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim().to_string(),
        _ if !cleaned.is_empty() => cleaned,
        _ => "file".to_string(),
    };
    let stem: String = stem.chars().take(120 - extension.len() - 1).collect();
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests;
