//! The files of a `multipart/form-data` body (RFC 7578), as a browser's `FormData` sends them:
//! each part with a `filename` is a file; other parts are ignored.

/// A file of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) file_name: String,
    pub(crate) bytes: Vec<u8>,
}

/// Why a body is not a form beside reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FormError {
    #[error("the body is not multipart/form-data with a boundary")]
    NotMultipart,
    #[error("the form is malformed: {0}")]
    Malformed(&'static str),
}

/// Headers of one part kept at most, in bytes.
const MAX_PART_HEAD: usize = 8 * 1024;

/// The boundary of a `Content-Type: multipart/form-data; boundary=…` header.
pub(crate) fn boundary(content_type: &str) -> Result<String, FormError> {
    let mut params = content_type.split(';');
    let kind = params.next().unwrap_or_default().trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return Err(FormError::NotMultipart);
    }
    let boundary = params
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .ok_or(FormError::NotMultipart)?;
    // RFC 2046: 1 to 70 characters.
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(FormError::NotMultipart);
    }
    Ok(boundary)
}

/// The files of `body`, in order.
pub(crate) fn files(body: &[u8], boundary: &str) -> Result<Vec<Part>, FormError> {
    let dash = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    let start = find(body, dash.as_bytes()).ok_or(FormError::Malformed("no boundary"))?;
    let mut at = start + dash.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let rest =
            rest.strip_prefix(b"\r\n").ok_or(FormError::Malformed("no line after a boundary"))?;
        let head_len = find(&rest[..rest.len().min(MAX_PART_HEAD)], b"\r\n\r\n")
            .ok_or(FormError::Malformed("a part's headers do not end"))?;
        let head = std::str::from_utf8(&rest[..head_len])
            .map_err(|_| FormError::Malformed("a part's headers are not UTF-8"))?;
        let data = &rest[head_len + 4..];
        let end = find(data, delimiter.as_bytes())
            .ok_or(FormError::Malformed("the form does not end"))?;
        if let Some(file_name) = file_name(head) {
            parts.push(Part { file_name, bytes: data[..end].to_vec() });
        }
        // Past the part, its delimiter: on to what follows it.
        at = body.len() - data.len() + end + delimiter.len();
    }
}

/// The `filename` of a part's `Content-Disposition`, as browsers write it (quoted, with `"`
/// and line breaks percent-encoded).
fn file_name(head: &str) -> Option<String> {
    let disposition = head.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("content-disposition").then_some(value)
    })?;
    let at = disposition.find("filename=\"")? + "filename=\"".len();
    let value = &disposition[at..];
    let value = &value[..value.find('"')?];
    Some(value.replace("%22", "\"").replace("%0D", "\r").replace("%0A", "\n"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    let mut from = 0;
    while let Some(offset) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let at = from + offset;
        if haystack.get(at..at + needle.len())? == needle {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str = "----WebKitFormBoundaryx7";

    fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, file, bytes) in parts {
            body.extend_from_slice(format!("--{B}\r\n").as_bytes());
            let file = file.map(|f| format!("; filename=\"{f}\"")).unwrap_or_default();
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{B}--\r\n").as_bytes());
        body
    }

    #[test]
    fn the_boundary_is_read_from_the_content_type() {
        assert_eq!(boundary(&format!("multipart/form-data; boundary={B}")).unwrap(), B);
        assert_eq!(boundary("Multipart/Form-Data; charset=x; boundary=\"a b\"").unwrap(), "a b");
        for bad in ["application/json", "multipart/form-data", "multipart/form-data; boundary="] {
            assert_eq!(boundary(bad), Err(FormError::NotMultipart), "{bad}");
        }
        assert!(boundary(&format!("multipart/form-data; boundary={}", "x".repeat(71))).is_err());
    }

    #[test]
    fn files_are_taken_with_their_names_and_other_fields_left() {
        let binary: Vec<u8> =
            (0..=255).chain(b"\r\n--not-the-boundary\r\n".iter().copied()).collect();
        let body = form(&[
            ("note", None, b"hello"),
            ("file", Some("a %22quoted%22.txt"), b"first"),
            ("file", Some("b.bin"), &binary),
            ("file", Some("empty"), b""),
        ]);
        let parts = files(&body, B).unwrap();
        let names: Vec<_> = parts.iter().map(|p| p.file_name.as_str()).collect();
        assert_eq!(names, ["a \"quoted\".txt", "b.bin", "empty"]);
        assert_eq!(parts[0].bytes, b"first");
        assert_eq!(parts[1].bytes, binary);
        assert!(parts[2].bytes.is_empty());
        assert_eq!(files(&form(&[]), B).unwrap(), vec![]);
    }

    #[test]
    fn broken_forms_are_refused() {
        let body = form(&[("file", Some("a"), b"x")]);
        assert!(files(&body, "other").is_err());
        assert!(files(&body[..body.len() - 12], B).is_err());
        assert!(files(b"", B).is_err());
        let no_head_end = format!("--{B}\r\nContent-Disposition: form-data; name=\"f\"");
        assert!(files(no_head_end.as_bytes(), B).is_err());
    }
}
