//! PDFs the page shows. Chromium shows a PDF in its own viewer, which beside's guard cannot look
//! into, so each tab stops every document's response before the page gets it
//! (`Fetch.requestPaused` at the response stage): a PDF is read and its form fields looked for
//! (`policy::pdf`) and `TabEvent::Pdf` is reported before its first pixel can be drawn; then the
//! response goes on unchanged. The session decides from that what agents see.

use crate::cdp::Cdp;
use crate::tab::TabEvent;
use base64::Engine;
use policy::pdf::Fields;
use serde_json::{json, Value};

/// A PDF the page shows (in the page itself or in a frame of it), reported before the
/// response reaches the page: no pixel of it is drawn before this time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PdfShown {
    pub fields: Fields,
    /// When the response was stopped (Unix milliseconds, the clock of frames' timestamps).
    pub since_ms: f64,
}

/// A PDF larger than this is not read: its fields count as unknown.
pub(crate) const MAX_READ_BYTES: u64 = 64 * 1024 * 1024;

/// A document's response that stopped, and whether it is a PDF shown in the page.
pub(crate) struct Paused {
    pub(crate) request_id: String,
    pub(crate) pdf: bool,
    /// Its `Content-Length`, when it said one.
    pub(crate) length: Option<u64>,
}

/// `Fetch.requestPaused` at the response stage; `None` for any other.
pub(crate) fn paused_response(params: &Value) -> Option<Paused> {
    let request_id = params.get("requestId")?.as_str()?.to_owned();
    if params.get("responseStatusCode").is_none() && params.get("responseErrorReason").is_none() {
        return None;
    }
    let header = |name: &str| {
        params.get("responseHeaders")?.as_array()?.iter().find_map(|h| {
            let n = h.get("name")?.as_str()?;
            n.eq_ignore_ascii_case(name).then(|| h.get("value")?.as_str()).flatten()
        })
    };
    let pdf = policy::pdf::is_shown_pdf(header("content-type"), header("content-disposition"));
    let length = header("content-length").and_then(|v| v.trim().parse().ok());
    Some(Paused { request_id, pdf, length })
}

/// Reads the PDF of a stopped response and looks for its form fields: `Unknown` when it
/// cannot be read or is too large to.
pub(crate) async fn read_fields(cdp: &Cdp, session_id: &str, paused: &Paused) -> Fields {
    if paused.length.is_some_and(|n| n > MAX_READ_BYTES) {
        return Fields::Unknown;
    }
    let params = json!({ "requestId": paused.request_id });
    let Ok(body) = cdp.call("Fetch.getResponseBody", params, Some(session_id)).await else {
        return Fields::Unknown;
    };
    let text = body.get("body").and_then(Value::as_str).unwrap_or_default();
    let bytes = if body.get("base64Encoded").and_then(Value::as_bool) == Some(true) {
        match base64::engine::general_purpose::STANDARD.decode(text) {
            Ok(bytes) => bytes,
            Err(_) => return Fields::Unknown,
        }
    } else {
        text.as_bytes().to_vec()
    };
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Fields::Unknown;
    }
    tokio::task::spawn_blocking(move || policy::pdf::fields(&bytes))
        .await
        .unwrap_or(Fields::Unknown)
}

/// The stopped response goes on to the page as it came.
pub(crate) fn continue_response(cdp: &Cdp, session_id: &str, request_id: &str) {
    cdp.send("Fetch.continueRequest", json!({ "requestId": request_id }), Some(session_id));
}

/// The event that reports a PDF shown.
pub(crate) fn event(fields: Fields, since_ms: f64) -> TabEvent {
    TabEvent::Pdf(PdfShown { fields, since_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_responses_are_read_for_pdfs() {
        let request = json!({ "requestId": "1", "request": {} });
        assert!(paused_response(&request).is_none());
        let html = json!({
            "requestId": "2", "responseStatusCode": 200,
            "responseHeaders": [{ "name": "Content-Type", "value": "text/html" }],
        });
        assert!(!paused_response(&html).unwrap().pdf);
        let pdf = json!({
            "requestId": "3", "responseStatusCode": 200,
            "responseHeaders": [
                { "name": "content-type", "value": "application/pdf" },
                { "name": "Content-Length", "value": "5000000" },
            ],
        });
        let paused = paused_response(&pdf).unwrap();
        assert!(paused.pdf);
        assert_eq!(paused.request_id, "3");
        assert_eq!(paused.length, Some(5_000_000));
        let attachment = json!({
            "requestId": "4", "responseStatusCode": 200,
            "responseHeaders": [
                { "name": "Content-Type", "value": "application/pdf" },
                { "name": "Content-Disposition", "value": "attachment; filename=a.pdf" },
            ],
        });
        assert!(!paused_response(&attachment).unwrap().pdf);
    }
}
