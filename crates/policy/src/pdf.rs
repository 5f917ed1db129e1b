//! What an agent may see of a PDF the cloud browser shows.
//!
//! The cloud browser shows PDFs in Chromium's own viewer, whose pixels beside's guard cannot
//! look into: it cannot tell where a fillable form's fields are, nor what the pages show. So a
//! PDF with form fields is hidden from agents whole, one whose fields cannot be ruled out (a
//! damaged or encrypted file) too, and any other follows the company's setting (`PdfView`).

use model::PdfView;

/// Which responses Chromium shows in its PDF viewer: these types, shown inline.
const PDF_TYPES: [&str; 3] = ["application/pdf", "application/x-pdf", "text/pdf"];

/// Whether a response with these headers is a PDF the browser shows in the page (not one it
/// downloads as an attachment).
pub fn is_shown_pdf(content_type: Option<&str>, content_disposition: Option<&str>) -> bool {
    let Some(content_type) = content_type else { return false };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let attachment = content_disposition.is_some_and(|d| {
        d.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("attachment")
    });
    PDF_TYPES.contains(&essence.as_str()) && !attachment
}

/// Whether a PDF has fillable form fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// It has none: no interactive form, no widget annotation.
    None,
    /// It has a form (`/AcroForm`) or widget annotations.
    Some,
    /// They cannot be ruled out: not a PDF beside can read (damaged, encrypted object streams,
    /// filters it does not decode, larger than it inflates).
    Unknown,
}

/// At most this many bytes of object streams are inflated while looking for fields; past it,
/// the fields are `Unknown`.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// Looks for form fields in a PDF file's bytes: in its plain objects and in its compressed
/// object streams (where PDF 1.5 and later keep most dictionaries).
pub fn fields(pdf: &[u8]) -> Fields {
    let head = &pdf[..pdf.len().min(1024)];
    if find(head, b"%PDF-").is_none() {
        return Fields::Unknown;
    }
    if has_form(pdf) {
        return Fields::Some;
    }
    let mut budget = MAX_INFLATED_BYTES;
    let mut from = 0;
    while let Some(at) = find(&pdf[from..], b"/ObjStm").map(|i| from + i) {
        from = at + 7;
        match object_stream(pdf, at, &mut budget) {
            Some(objects) if has_form(&objects) => return Fields::Some,
            Some(_) => {}
            None => return Fields::Unknown,
        }
    }
    Fields::None
}

fn has_form(bytes: &[u8]) -> bool {
    find(bytes, b"/AcroForm").is_some() || find(bytes, b"/Widget").is_some()
}

/// The inflated objects of the object stream whose dictionary names `/ObjStm` at `at`; `None`
/// when they cannot be read.
fn object_stream(pdf: &[u8], at: usize, budget: &mut usize) -> Option<Vec<u8>> {
    let keyword = at + find(&pdf[at..], b"stream")?;
    let dictionary = &pdf[dictionary_start(pdf, at)..keyword];
    if !flate_alone(dictionary) {
        return None;
    }
    let mut data = keyword + 6;
    if pdf.get(data) == Some(&b'\r') {
        data += 1;
    }
    if pdf.get(data) == Some(&b'\n') {
        data += 1;
    }
    let end = data + find(&pdf[data..], b"endstream")?;
    let objects =
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&pdf[data..end], *budget).ok()?;
    *budget -= objects.len();
    Some(objects)
}

/// Whether a stream dictionary asks for Flate alone, without parameters: the one kind read
/// here; any other filter, a chain or parameters leave the stream unread.
fn flate_alone(dictionary: &[u8]) -> bool {
    let trim = |b: &[u8]| -> usize { b.iter().take_while(|c| c.is_ascii_whitespace()).count() };
    let Some(at) = find(dictionary, b"/Filter") else { return false };
    let mut rest = &dictionary[at + 7..];
    rest = &rest[trim(rest)..];
    let array = rest.first() == Some(&b'[');
    if array {
        rest = &rest[1..];
        rest = &rest[trim(rest)..];
    }
    let Some(after) = rest.strip_prefix(b"/FlateDecode".as_slice()) else { return false };
    let after = &after[trim(after)..];
    let closed = !array || after.first() == Some(&b']');
    let name_ends = after.first().is_none_or(|c| !c.is_ascii_alphanumeric());
    closed && name_ends && find(dictionary, b"/DecodeParms").is_none()
}

/// Where the dictionary around `at` starts: after the `obj` keyword before it.
fn dictionary_start(pdf: &[u8], at: usize) -> usize {
    let before = &pdf[..at];
    before.windows(3).rposition(|w| w == b"obj").map_or(0, |i| i + 3)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether agents are kept from seeing a PDF with these fields under this company setting.
pub fn hidden_from_agents(fields: Fields, view: PdfView) -> bool {
    fields != Fields::None || view == PdfView::Hide
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(objects: &str) -> Vec<u8> {
        format!("%PDF-1.7\n{objects}\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n").into_bytes()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
    }

    fn with_object_stream(inside: &str, dictionary: &str) -> Vec<u8> {
        let data = zlib(inside.as_bytes());
        let mut pdf = format!(
            "%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 {dictionary} /Length {} >>\nstream\n",
            data.len()
        )
        .into_bytes();
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        pdf
    }

    #[test]
    fn only_inline_pdf_types_are_shown_pdfs() {
        assert!(is_shown_pdf(Some("application/pdf"), None));
        assert!(is_shown_pdf(Some("Application/PDF; charset=binary"), Some("inline")));
        assert!(is_shown_pdf(Some("text/pdf"), Some("inline; filename=\"a.pdf\"")));
        assert!(!is_shown_pdf(Some("application/pdf"), Some("attachment; filename=\"a.pdf\"")));
        assert!(!is_shown_pdf(Some("text/html"), None));
        assert!(!is_shown_pdf(Some("application/pdfx"), None));
        assert!(!is_shown_pdf(None, None));
    }

    #[test]
    fn plain_objects_tell_a_form_from_none() {
        let none = plain("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj");
        assert_eq!(fields(&none), Fields::None);
        let form = plain("1 0 obj\n<< /Type /Catalog /AcroForm 3 0 R >>\nendobj");
        assert_eq!(fields(&form), Fields::Some);
        let widget = plain("4 0 obj\n<</Type/Annot/Subtype/Widget/FT/Tx>>\nendobj");
        assert_eq!(fields(&widget), Fields::Some);
    }

    #[test]
    fn object_streams_are_inflated_to_find_a_form() {
        let form =
            with_object_stream("1 0 << /Type /Catalog /AcroForm 3 0 R >>", "/Filter /FlateDecode");
        assert_eq!(fields(&form), Fields::Some);
        let none =
            with_object_stream("1 0 << /Type /Catalog /Pages 2 0 R >>", "/Filter /FlateDecode");
        assert_eq!(fields(&none), Fields::None);
    }

    #[test]
    fn what_cannot_be_read_is_unknown() {
        assert_eq!(fields(b"<html>not a pdf</html>"), Fields::Unknown);
        let other_filter = with_object_stream("1 0 << >>", "/Filter /LZWDecode");
        assert_eq!(fields(&other_filter), Fields::Unknown);
        let chained = with_object_stream("1 0 << >>", "/Filter [/FlateDecode /ASCIIHexDecode]");
        assert_eq!(fields(&chained), Fields::Unknown);
        let predicted = with_object_stream(
            "1 0 << >>",
            "/Filter /FlateDecode /DecodeParms << /Predictor 12 >>",
        );
        assert_eq!(fields(&predicted), Fields::Unknown);
        let mut damaged = with_object_stream("1 0 << >>", "/Filter /FlateDecode");
        let at = damaged.windows(6).position(|w| w == b"stream").unwrap() + 12;
        damaged[at] ^= 0xff;
        damaged[at + 1] ^= 0xff;
        assert_eq!(fields(&damaged), Fields::Unknown);
        let truncated = b"%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\nxx";
        assert_eq!(fields(truncated), Fields::Unknown);
    }

    #[test]
    fn forms_and_unreadable_files_are_always_hidden_the_rest_as_the_company_says() {
        assert!(hidden_from_agents(Fields::Some, PdfView::Show));
        assert!(hidden_from_agents(Fields::Unknown, PdfView::Show));
        assert!(!hidden_from_agents(Fields::None, PdfView::Show));
        assert!(hidden_from_agents(Fields::None, PdfView::Hide));
    }
}
