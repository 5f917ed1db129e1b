//! The in-page guard: the script that finds sensitive fields and blocked controls in the page,
//! and the product-typed reports and answers it gives.
//!
//! The script (`guard.js`) runs in beside's isolated world of the top frame, with the tables of
//! [`policy::masking::guard_rules`] and [`policy::blocking::guard_block_rules`] prepended as
//! `const RULES`. It reports through a CDP binding on every animation frame where its map changed
//! and at least every second; the tab's event task parses each report into a [`GuardReport`].
//! Hit tests and focus questions are answered by functions the script defines in its world.

use std::sync::LazyLock;

use serde_json::{json, Value};

/// The binding through which the guard reports its map.
pub(crate) const GUARD_BINDING: &str = "__besideGuard";

const GUARD_JS: &str = include_str!("guard.js");

/// The guard script with its rules, as injected into every new document.
pub(crate) static GUARD_SCRIPT: LazyLock<String> = LazyLock::new(|| {
    let rules = json!({
        "mask": policy::masking::guard_rules(),
        "block": policy::blocking::guard_block_rules(),
    });
    format!("const RULES = {rules};\n{GUARD_JS}")
});

/// One rectangle of the guard's map.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardRect {
    /// In CSS pixels of the viewport, when the guard measured it.
    pub rect: model::Rect,
    /// The element (or an ancestor) is fixed or sticky: it does not move with the page's scroll.
    pub fixed: bool,
    /// Why: a [`policy::masking::Sensitivity`] or `cross_origin_frame` for masked rectangles,
    /// a [`policy::blocking::BlockReason`] for blocked ones, in snake case.
    pub kind: String,
}

/// The guard's map of the page at one moment: what the agent must not see and must not trigger.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GuardReport {
    /// Grows with every report of one document; starts again at 1 in a new document.
    pub seq: u64,
    /// The top document's address when measured.
    pub url: String,
    /// When the measured animation frame began, Unix milliseconds (as frames' timestamps).
    pub time_ms: f64,
    /// The page's scroll offset when measured, in CSS pixels.
    pub scroll_x: f64,
    pub scroll_y: f64,
    pub masked: Vec<GuardRect>,
    pub blocked: Vec<GuardRect>,
}

/// What is at one point of the viewport.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HitTest {
    /// The point is on (or inside, or on a label of) a control the agent may not trigger.
    pub blocked: Option<String>,
    /// The point is on a masked field or region (a cross-origin frame counts as masked).
    pub masked: bool,
}

/// What keys typed now would reach.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FocusState {
    /// The focused element is masked (or inside a cross-origin frame).
    pub masked: bool,
    /// The focused element is a blocked control (Enter or Space would trigger it).
    pub blocked: Option<String>,
    /// Enter would submit a form the agent may not submit.
    pub form_blocked: Option<String>,
}

/// Longest `kind` accepted from the page; the guard's own kinds are short.
const MAX_KIND: usize = 64;

/// Parses a report from the guard's binding; `None` when it is malformed.
/// A guard's "nothing changed" at an animation frame: its time, Unix milliseconds.
pub(crate) fn parse_tick(payload: &str) -> Option<f64> {
    if !payload.starts_with("{\"tick\"") {
        return None;
    }
    let value: Value = serde_json::from_str(payload).ok()?;
    value.get("tick")?.as_f64().filter(|t| t.is_finite())
}

pub(crate) fn parse_report(payload: &str) -> Option<GuardReport> {
    let value: Value = serde_json::from_str(payload).ok()?;
    let number = |name: &str| value.get(name).and_then(Value::as_f64).filter(|v| v.is_finite());
    Some(GuardReport {
        seq: value.get("seq")?.as_u64()?,
        url: value.get("url")?.as_str()?.to_owned(),
        time_ms: number("t")?,
        scroll_x: number("sx")?,
        scroll_y: number("sy")?,
        masked: parse_rects(value.get("masked")?)?,
        blocked: parse_rects(value.get("blocked")?)?,
    })
}

fn parse_rects(value: &Value) -> Option<Vec<GuardRect>> {
    value.as_array()?.iter().map(parse_rect).collect()
}

/// `[x, y, width, height, fixed (0/1), kind]`.
fn parse_rect(value: &Value) -> Option<GuardRect> {
    let [x, y, width, height, fixed, kind] = value.as_array()?.as_slice() else {
        return None;
    };
    let number = |v: &Value| v.as_f64().filter(|n| n.is_finite());
    let (width, height) = (number(width)?, number(height)?);
    if width < 0.0 || height < 0.0 {
        return None;
    }
    let fixed = match fixed {
        Value::Bool(b) => *b,
        other => other.as_f64()? != 0.0,
    };
    let kind = kind.as_str().filter(|k| !k.is_empty() && k.len() <= MAX_KIND)?;
    Some(GuardRect {
        rect: model::Rect { x: number(x)?, y: number(y)?, width, height },
        fixed,
        kind: kind.to_owned(),
    })
}

/// Parses the guard's answer to a hit test.
pub(crate) fn parse_hit_test(value: &Value) -> Option<HitTest> {
    let value: Value = serde_json::from_str(value.as_str()?).ok()?;
    Some(HitTest {
        blocked: reason(value.get("blocked")?)?,
        masked: value.get("masked")?.as_bool()?,
    })
}

/// Parses the guard's answer about the focused element.
pub(crate) fn parse_focus(value: &Value) -> Option<FocusState> {
    let value: Value = serde_json::from_str(value.as_str()?).ok()?;
    Some(FocusState {
        masked: value.get("masked")?.as_bool()?,
        blocked: reason(value.get("blocked")?)?,
        form_blocked: reason(value.get("form_blocked")?)?,
    })
}

/// `null` → no reason; a string → that reason; anything else is malformed.
fn reason(value: &Value) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) if !s.is_empty() && s.len() <= MAX_KIND => Some(Some(s.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_parsed_into_rects() {
        let payload = r#"{"seq":3,"t":1000.5,"url":"http://a/","sx":0,"sy":120.5,"vw":1280,"vh":720,
            "masked":[[10,20,300,30.5,0,"card_number"],[0,0,5,5,1,"cross_origin_frame"]],
            "blocked":[[1,2,3,4,true,"payment"]]}"#;
        let report = parse_report(payload).unwrap();
        assert_eq!(report.seq, 3);
        assert_eq!(report.scroll_y, 120.5);
        assert_eq!(
            report.masked[0],
            GuardRect {
                rect: model::Rect { x: 10.0, y: 20.0, width: 300.0, height: 30.5 },
                fixed: false,
                kind: "card_number".into(),
            }
        );
        assert!(report.masked[1].fixed);
        assert_eq!(report.blocked[0].kind, "payment");
    }

    #[test]
    fn malformed_reports_are_refused() {
        let good = r#"{"seq":1,"t":5,"url":"u","sx":0,"sy":0,"masked":[],"blocked":[]}"#;
        assert!(parse_report(good).is_some());
        for bad in [
            "",
            "[]",
            r#"{"seq":1,"t":5,"url":"u","sx":0,"sy":0,"masked":[]}"#,
            r#"{"seq":-1,"t":5,"url":"u","sx":0,"sy":0,"masked":[],"blocked":[]}"#,
            r#"{"seq":1,"t":5,"url":"u","sx":0,"sy":0,"masked":[[1,2,3,4,0]],"blocked":[]}"#,
            r#"{"seq":1,"t":5,"url":"u","sx":0,"sy":0,"masked":[[1,2,-3,4,0,"k"]],"blocked":[]}"#,
            r#"{"seq":1,"t":5,"url":"u","sx":0,"sy":0,"masked":[[1,2,3,4,0,""]],"blocked":[]}"#,
            r#"{"seq":1,"t":5,"url":"u","sx":0,"sy":0,"masked":[["1",2,3,4,0,"k"]],"blocked":[]}"#,
            r#"{"seq":1,"t":5,"url":"u","sx":"0","sy":0,"masked":[],"blocked":[]}"#,
            r#"{"seq":1,"url":"u","sx":0,"sy":0,"masked":[],"blocked":[]}"#,
        ] {
            assert!(parse_report(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn answers_are_parsed_and_malformed_ones_refused() {
        let hit = json!(r#"{"blocked":"payment","masked":false}"#);
        assert_eq!(
            parse_hit_test(&hit),
            Some(HitTest { blocked: Some("payment".into()), masked: false })
        );
        assert_eq!(parse_hit_test(&json!(r#"{"blocked":3,"masked":false}"#)), None);
        assert_eq!(parse_hit_test(&json!(null)), None);
        let focus =
            json!(r#"{"masked":true,"blocked":null,"form_blocked":"sensitive_form_submit"}"#);
        assert_eq!(
            parse_focus(&focus),
            Some(FocusState {
                masked: true,
                blocked: None,
                form_blocked: Some("sensitive_form_submit".into()),
            })
        );
        assert_eq!(parse_focus(&json!(r#"{"masked":true}"#)), None);
    }

    #[test]
    fn the_script_carries_both_rule_tables() {
        assert!(GUARD_SCRIPT.starts_with("const RULES = {"));
        assert!(GUARD_SCRIPT.contains("\"always_masked_input_types\""));
        assert!(GUARD_SCRIPT.contains("\"clickable_input_types\""));
        assert!(GUARD_SCRIPT.contains(GUARD_BINDING));
    }
}
