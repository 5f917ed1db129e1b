//! The in-page guard: the script that finds sensitive fields and blocked controls in the page,
//! and the product-typed reports and answers it gives.
//!
//! The script (`guard.js`) runs in beside's isolated world of the top frame, as the body of a
//! function of `RULES` (the tables of [`policy::masking::guard_rules`] and
//! [`policy::blocking::guard_block_rules`]) and `COMPANY` (the company's rules, from
//! [`policy::rules::guard_company_rules`]). It reports through a CDP binding on every animation
//! frame it measures where its map changed (a tick where nothing did), and nothing while the
//! page is still; the tab's event task parses each report into a [`GuardReport`].
//! Hit tests and focus questions are answered by functions the script defines in its world.

use std::sync::LazyLock;

use policy::rules::CompanyRule;
use serde_json::{json, Value};

/// The binding through which the guard reports its map.
pub(crate) const GUARD_BINDING: &str = "__besideGuard";

const GUARD_JS: &str = include_str!("guard.js");

/// The built-in tables as a JavaScript expression.
static BUILTIN_RULES: LazyLock<String> = LazyLock::new(|| {
    json!({
        "mask": policy::masking::guard_rules(),
        "block": policy::blocking::guard_block_rules(),
    })
    .to_string()
});

/// The company's rules as a JavaScript expression.
fn company_rules_json(rules: &[CompanyRule]) -> String {
    serde_json::to_string(&policy::rules::guard_company_rules(rules))
        .expect("rules of strings, booleans and numbers always serialize")
}

/// The guard script with the built-in and the company's rules, as injected into every new
/// document. A second copy in a document that has a guard hands its company rules over.
pub(crate) fn guard_script(rules: &[CompanyRule]) -> String {
    format!(
        "((RULES, COMPANY) => {{\n{GUARD_JS}\n}})({}, {});",
        *BUILTIN_RULES,
        company_rules_json(rules)
    )
}

/// A call that gives a document's guard new company rules.
pub(crate) fn set_rules_call(rules: &[CompanyRule]) -> String {
    format!("globalThis.__besideSetCompanyRules({})", company_rules_json(rules))
}

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
    /// What a masked field is called on the page (its label, accessible name or the text just
    /// before it; never its value), for the agent's mask; empty when unknown.
    pub label: String,
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
    /// The text selected in the page touches a masked element: copying it would leak it.
    pub selection_masked: bool,
}

/// The text selected in the page, for a copy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// What a copy takes: the selection in the focused text field, else the page's selection
    /// (empty in password fields, as browsers do).
    pub text: String,
    /// The selection is in, or touches, something masked.
    pub masked: bool,
}

/// The longest text a copy takes, in characters.
pub(crate) const MAX_SELECTION_CHARS: usize = 100_000;

/// Longest `kind` accepted from the page; the guard's own kinds are short.
const MAX_KIND: usize = 64;
/// The longest label kept (the guard sends at most 40 characters).
const MAX_LABEL_CHARS: usize = 48;

/// Parses a report from the guard's binding; `None` when it is malformed.
/// A guard's "nothing changed" at an animation frame: its time, Unix milliseconds.
pub(crate) fn parse_tick(payload: &str) -> Option<f64> {
    parse_time(payload, "tick")
}

/// A guard's "the DOM changed after I measured at this time" (Unix milliseconds).
pub(crate) fn parse_late(payload: &str) -> Option<f64> {
    parse_time(payload, "late")
}

/// `{"<name>": <time>}`.
fn parse_time(payload: &str, name: &str) -> Option<f64> {
    if !payload.strip_prefix("{\"")?.starts_with(name) {
        return None;
    }
    let value: Value = serde_json::from_str(payload).ok()?;
    value.get(name)?.as_f64().filter(|t| t.is_finite())
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

/// `[x, y, width, height, fixed (0/1), kind, label?]`.
fn parse_rect(value: &Value) -> Option<GuardRect> {
    let (x, y, width, height, fixed, kind, label) = match value.as_array()?.as_slice() {
        [x, y, width, height, fixed, kind] => (x, y, width, height, fixed, kind, None),
        [x, y, width, height, fixed, kind, label] => {
            (x, y, width, height, fixed, kind, Some(label))
        }
        _ => return None,
    };
    let label: String = match label {
        None => String::new(),
        Some(label) => {
            label.as_str()?.chars().filter(|c| !c.is_control()).take(MAX_LABEL_CHARS).collect()
        }
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
        label,
    })
}

/// An element of the page an administrator pointed at, or one of its ancestors (F20).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Inspected {
    #[serde(flatten)]
    pub element: policy::selector::Element,
    /// Where it is in the viewport, in CSS pixels.
    pub rect: model::Rect,
}

/// What a selector finds in the page's top document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Matches {
    /// How many elements; `None` when the browser cannot parse the selector.
    pub count: Option<u32>,
    /// Where the first of them are in the viewport.
    pub rects: Vec<model::Rect>,
}

/// Parses the guard's answer to an inspection: the element and its ancestors, nearest first.
pub(crate) fn parse_inspected(value: &Value) -> Option<Vec<Inspected>> {
    let chain: Vec<Inspected> = serde_json::from_str(value.as_str()?).ok()?;
    (chain.len() <= policy::selector::MAX_CHAIN + 1).then_some(chain)
}

/// Parses the guard's answer to a count.
pub(crate) fn parse_matches(value: &Value) -> Option<Matches> {
    #[derive(serde::Deserialize)]
    struct Answer {
        count: i64,
        rects: Vec<model::Rect>,
    }
    let answer: Answer = serde_json::from_str(value.as_str()?).ok()?;
    Some(Matches { count: u32::try_from(answer.count).ok(), rects: answer.rects })
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
        selection_masked: value.get("selection_masked")?.as_bool()?,
    })
}

/// Parses the guard's answer about the selection.
pub(crate) fn parse_selection(value: &Value) -> Option<Selection> {
    let value: Value = serde_json::from_str(value.as_str()?).ok()?;
    let text = value.get("text")?.as_str()?;
    Some(Selection {
        text: text.chars().take(MAX_SELECTION_CHARS).collect(),
        masked: value.get("masked")?.as_bool()?,
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
            "masked":[[10,20,300,30.5,0,"card_number","Card number"],[0,0,5,5,1,"cross_origin_frame"]],
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
                label: "Card number".into(),
            }
        );
        assert!(report.masked[1].fixed);
        assert_eq!(report.masked[1].label, "");
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
        let focus = json!(
            r#"{"masked":true,"blocked":null,"form_blocked":"sensitive_form_submit","selection_masked":false}"#
        );
        assert_eq!(
            parse_focus(&focus),
            Some(FocusState {
                masked: true,
                blocked: None,
                form_blocked: Some("sensitive_form_submit".into()),
                selection_masked: false,
            })
        );
        assert_eq!(parse_focus(&json!(r#"{"masked":true}"#)), None);
    }

    #[test]
    fn the_script_carries_the_built_in_and_the_company_rules() {
        let rule =
            CompanyRule::new(model::RuleKind::Mask, "#iban[data-x=\"'\\\"\"]", "*.a.test/pay/*")
                .unwrap();
        let script = guard_script(std::slice::from_ref(&rule));
        assert!(script.starts_with("((RULES, COMPANY) => {"));
        assert!(script.contains("\"always_masked_input_types\""));
        assert!(script.contains("\"clickable_input_types\""));
        assert!(script.contains(GUARD_BINDING));
        let tail = script.rsplit_once("}, ").unwrap().1;
        assert!(tail.contains(r##""selector":"#iban[data-x=\"'\\\"\"]""##), "{tail}");
        assert!(tail.contains(r#""host":"a.test","subdomains":true"#), "{tail}");
        assert_eq!(guard_script(&[]).rsplit_once(", ").unwrap().1, "[]);");
        assert!(set_rules_call(&[rule]).starts_with("globalThis.__besideSetCompanyRules([{"));
    }
}
