//! The words of a document, for search: PDF (by `lopdf`, each stream's decompression bounded),
//! OpenDocument and Office Open XML (the XML parts of the zip, read within a bound). Older
//! binary Office files give no text (their name and description are still found). Text is cut
//! at `MAX_CHARS`; anything that fails gives what was read so far.

use std::io::{Cursor, Read};

/// The most text kept of one document.
pub const MAX_CHARS: usize = 100_000;
/// The most any one compressed part (a zip entry, a PDF stream) may unpack to while reading.
const MAX_PART_BYTES: u64 = 8 * 1024 * 1024;
/// PDF object streams read at most (each within `MAX_PART_BYTES`): a file with more gives no
/// text rather than unpacking without end.
const MAX_PDF_OBJECT_STREAMS: usize = 200;
const MAX_PDF_PAGES: u32 = 500;

/// The text of a document of this (sniffed) type.
pub fn document_text(bytes: &[u8], content_type: &str) -> String {
    let text = match content_type {
        "application/pdf" => pdf_text(bytes),
        t if t.starts_with("application/vnd.oasis.opendocument.") => zip_text(bytes, |name| name == "content.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => zip_text(bytes, |name| name == "word/document.xml"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => zip_text(bytes, |name| name == "xl/sharedStrings.xml"),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
            zip_text(bytes, |name| name.starts_with("ppt/slides/slide") && name.ends_with(".xml"))
        }
        _ => String::new(),
    };
    squeeze(&text)
}

/// Runs of white space as one space, cut at `MAX_CHARS`.
fn squeeze(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        if count + word.chars().count() + 1 > MAX_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        count += word.chars().count() + 1;
    }
    out
}

fn pdf_text(bytes: &[u8]) -> String {
    let object_streams = bytes.windows(7).filter(|w| w == b"/ObjStm").count();
    if object_streams > MAX_PDF_OBJECT_STREAMS {
        return String::new();
    }
    let options = lopdf::LoadOptions { max_decompressed_size: Some(MAX_PART_BYTES as usize), ..Default::default() };
    let Ok(doc) = lopdf::Document::load_mem_with_options(bytes, options) else { return String::new() };
    let pages: Vec<u32> = doc.get_pages().keys().copied().take(MAX_PDF_PAGES as usize).collect();
    let mut text = String::new();
    for page in pages {
        let Some(Ok(chunk)) = doc.extract_text_chunks_with_limit(&[page], MAX_PART_BYTES as usize).into_iter().next() else { continue };
        text.push_str(&chunk);
        text.push(' ');
        if text.len() > MAX_CHARS * 4 {
            break;
        }
    }
    text
}

/// The text of the XML parts `wanted` picks out of a zip-based document: the characters between
/// tags, a space for each tag that ends a paragraph, cell or line.
fn zip_text(bytes: &[u8], wanted: impl Fn(&str) -> bool) -> String {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else { return String::new() };
    let mut names: Vec<String> = archive.file_names().filter(|n| wanted(n)).map(str::to_string).collect();
    // Slides in their order: slide2 before slide10.
    names.sort_by_key(|n| (n.len(), n.clone()));
    let mut text = String::new();
    for name in names {
        let Ok(entry) = archive.by_name(&name) else { continue };
        let mut xml = Vec::new();
        if entry.take(MAX_PART_BYTES).read_to_end(&mut xml).is_err() {
            continue;
        }
        text.push_str(&xml_text(&String::from_utf8_lossy(&xml)));
        text.push(' ');
        if text.len() > MAX_CHARS * 4 {
            break;
        }
    }
    text
}

/// The character data of an XML document, entities of the five predefined kinds decoded; tags
/// become spaces (so words of separate paragraphs do not run together).
fn xml_text(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() / 2);
    let mut in_tag = false;
    let mut previous_tag_ended_run = false;
    let mut tag = String::new();
    for c in xml.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                // Runs of text inside one word (Word splits words into runs: <w:t>Beleids</w:t>
                // <w:t>nota</w:t>) stay together; paragraph, cell and line ends separate.
                let ends = tag.starts_with("/text:p")
                    || tag.starts_with("/text:h")
                    || tag.starts_with("/w:p")
                    || tag.starts_with("/a:p")
                    || tag.starts_with("/si")
                    || tag.starts_with("text:s")
                    || tag.starts_with("text:tab")
                    || tag.starts_with("text:line-break")
                    || tag.starts_with("w:tab")
                    || tag.starts_with("w:br")
                    || tag.starts_with("/table:table-cell");
                if ends && !previous_tag_ended_run {
                    out.push(' ');
                }
                previous_tag_ended_run = ends;
            }
            (true, c) => tag.push(c),
            (false, c) => {
                out.push(c);
                previous_tag_ended_run = false;
            }
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_documents_give_their_text_with_runs_joined_and_paragraphs_apart() {
        let text = document_text(&crate::testing::small_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        assert_eq!(text, "Beleidsnota wonen 2027");
        let xml = "<w:p><w:r><w:t>Beleids</w:t></w:r><w:r><w:t>nota</w:t></w:r></w:p><w:p><w:r><w:t>Kosten &amp; baten</w:t></w:r></w:p>";
        assert_eq!(squeeze(&xml_text(xml)), "Beleidsnota Kosten & baten");
    }

    #[test]
    fn opendocument_and_pdf_give_their_text() {
        let odt = crate::testing::small_odt("Verslag van het werkbezoek aan de Kade");
        assert_eq!(document_text(&odt, "application/vnd.oasis.opendocument.text"), "Verslag van het werkbezoek aan de Kade");
        let pdf = crate::testing::pdf_with_text("Omgevingsvisie 2040");
        assert!(document_text(&pdf, "application/pdf").contains("Omgevingsvisie 2040"), "{:?}", document_text(&pdf, "application/pdf"));
    }

    #[test]
    fn a_bomb_or_garbage_gives_no_text_and_no_trouble() {
        assert_eq!(
            document_text(&crate::testing::zip_bomb_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ""
        );
        assert_eq!(document_text(b"%PDF-1.4 garbage", "application/pdf"), "");
        let long = "woord ".repeat(MAX_CHARS);
        assert!(squeeze(&long).chars().count() <= MAX_CHARS);
    }
}
