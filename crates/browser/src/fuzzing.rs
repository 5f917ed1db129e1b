//! Entry points for the fuzz targets (`crates/fuzz`) into parsers this crate keeps private:
//! what a page (through the guard) or a local client (through the egress proxy) can feed it.
//! Each checks the parser's promises and panics when one is broken.

use serde_json::Value;

/// The egress proxy's request parsing: the head as read from the connection, then the
/// request in it, and the head forwarded upstream.
pub fn egress_request(data: &[u8]) {
    crate::egress::check_parsing(data);
}

/// The guard's reports and answers, as the page's isolated world sends them.
pub fn guard_report(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(report) = crate::guard::parse_report(text) {
        for r in report.masked.iter().chain(&report.blocked) {
            let finite =
                [r.rect.x, r.rect.y, r.rect.width, r.rect.height].iter().all(|v| v.is_finite());
            assert!(finite && r.rect.width >= 0.0 && r.rect.height >= 0.0, "{r:?}");
            assert!(!r.kind.is_empty() && r.kind.len() <= 64, "{r:?}");
        }
        assert!(
            report.time_ms.is_finite()
                && report.scroll_x.is_finite()
                && report.scroll_y.is_finite()
        );
    }
    for t in [crate::guard::parse_tick(text), crate::guard::parse_late(text)].into_iter().flatten()
    {
        assert!(t.is_finite());
    }
    let answer = Value::String(text.to_owned());
    let _ = crate::guard::parse_hit_test(&answer);
    let _ = crate::guard::parse_focus(&answer);
    if let Some(selection) = crate::guard::parse_selection(&answer) {
        assert!(selection.text.chars().count() <= crate::guard::MAX_SELECTION_CHARS);
    }
}
