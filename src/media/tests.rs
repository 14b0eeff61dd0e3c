use std::io::{Cursor, Write};

use image::{Rgba, RgbaImage};

use crate::testing::{exif_with_orientation_and_gps, jpeg};

use super::*;

fn png_with_alpha(w: u32, h: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, _| Rgba([10, 200, 10, if x % 2 == 0 { 0 } else { 255 }]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

#[test]
fn a_photo_is_turned_upright_and_loses_its_exif_and_gps() {
    let original = jpeg(40, 20, Some(exif_with_orientation_and_gps(6)));
    assert!(original.windows(4).any(|w| w == b"Exif"), "the test photo carries EXIF");
    let done = process(&original, &MediaLimits::default()).expect("processed");
    assert_eq!(done.kind, Kind::Image);
    assert_eq!(done.content_type, "image/jpeg");
    assert_eq!((done.width, done.height), (Some(20), Some(40)), "orientation 6 (rotate 90°) applied");
    assert!(!done.bytes.windows(4).any(|w| w == b"Exif"), "no EXIF left");
    let decoded = image::load_from_memory(&done.bytes).expect("decodes");
    // Rotated 90° clockwise: the red left half is now on top.
    let top = decoded.get_pixel(10, 2);
    let bottom = decoded.get_pixel(10, 37);
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom is blue: {bottom:?}");
    assert!(done.blurhash.as_deref().is_some_and(|b| b.len() >= 6), "a blurhash");
    let preview = done.preview.expect("preview");
    assert_eq!((preview.width, preview.height), (20, 40), "small images keep their size in the preview");
}

#[test]
fn large_images_are_capped_and_get_a_small_preview() {
    let limits = MediaLimits { image_max_side: 300, preview_side: 100, ..MediaLimits::default() };
    let done = process(&jpeg(600, 400, None), &limits).expect("processed");
    assert_eq!((done.width, done.height), (Some(300), Some(200)));
    let preview = done.preview.expect("preview");
    assert_eq!((preview.width, preview.height), (100, 67));
    let decoded = image::load_from_memory(&preview.bytes).expect("preview decodes");
    assert_eq!(decoded.width(), 100);
}

#[test]
fn transparent_images_stay_png() {
    let done = process(&png_with_alpha(8, 8), &MediaLimits::default()).expect("processed");
    assert_eq!(done.content_type, "image/png");
    assert_eq!(done.extension, "png");
}

#[test]
fn the_type_comes_from_the_bytes_not_the_name() {
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    assert!(matches!(process(svg, &MediaLimits::default()), Err(ProcessError::Unsupported(_))));
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";
    assert!(matches!(process(html, &MediaLimits::default()), Err(ProcessError::Unsupported(_))));
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF";
    let done = process(pdf, &MediaLimits::default()).expect("a PDF is a document");
    assert_eq!((done.kind, done.content_type, done.extension), (Kind::Document, "application/pdf", "pdf"));
    assert!(matches!(process(b"", &MediaLimits::default()), Err(ProcessError::Empty)));
}

#[test]
fn broken_and_oversized_images_are_refused() {
    let mut broken = jpeg(64, 64, None);
    broken.truncate(broken.len() / 3);
    assert!(matches!(process(&broken, &MediaLimits::default()), Err(ProcessError::Corrupt(_))));
    let limits = MediaLimits { image_max_bytes: 100, ..MediaLimits::default() };
    assert!(matches!(process(&jpeg(64, 64, None), &limits), Err(ProcessError::TooLarge { .. })));
    let bomb = crate::testing::huge_png(50_000, 50_000);
    assert!(bomb.len() < 10_000, "the claimed size is in a small file: {}", bomb.len());
    assert_eq!(
        process(&bomb, &MediaLimits::default()).map(|p| p.kind),
        Err(ProcessError::TooManyPixels { width: 50_000, height: 50_000, limit: 50_000_000 })
    );
}

#[test]
fn zip_bombs_disguised_as_documents_are_refused() {
    // A real one at a small scale: 2 MB of zeros in a few kilobytes, against a 10 kB limit.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("[Content_Types].xml", stored).expect("entry");
    zip.write_all(b"<Types/>").expect("write");
    zip.start_file("_rels/.rels", stored).expect("entry");
    zip.write_all(b"<Relationships/>").expect("write");
    zip.start_file("word/document.xml", deflated).expect("entry");
    zip.write_all(&vec![0u8; 2 * 1024 * 1024]).expect("write");
    zip.start_file("word/styles.xml", stored).expect("entry");
    zip.write_all(b"<w:styles/>").expect("write");
    let bytes = zip.finish().expect("zip").into_inner();
    let limits = MediaLimits { document_max_bytes: 10_000, ..MediaLimits::default() };
    assert!(bytes.len() < 10_000);
    assert_eq!(process(&bytes, &limits).map(|p| p.content_type), Err(ProcessError::SuspiciousArchive));
    // The disguised bomb used by the HTTP tests, at the default limits.
    assert_eq!(process(&crate::testing::zip_bomb_docx(), &MediaLimits::default()).map(|p| p.kind), Err(ProcessError::SuspiciousArchive));
    // An honest document of the same kind passes.
    assert_eq!(process(&crate::testing::small_docx(), &MediaLimits::default()).map(|p| p.content_type), Ok(DOCUMENT_TYPES[4].0));
}

#[test]
fn file_names_are_cleaned() {
    assert_eq!(clean_file_name(Some("../../etc/passwd"), "pdf"), "passwd.pdf");
    assert_eq!(clean_file_name(Some("C:\\Users\\an\\Nota \"concept\".docx"), "docx"), "Nota concept.docx");
    assert_eq!(clean_file_name(Some("foto.png"), "jpg"), "foto.jpg");
    assert_eq!(clean_file_name(None, "pdf"), "file.pdf");
    assert_eq!(clean_file_name(Some(".hidden"), "pdf"), "hidden.pdf");
    assert_eq!(clean_file_name(Some(&"a".repeat(500)), "pdf").chars().count(), 120);
}
