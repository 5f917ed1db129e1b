//! The page's native widgets (select lists, datalists, date, time and colour choosers), whose
//! popups Chromium draws outside the page, so never in a frame: `widgets.js` reports them as
//! [`model::Picker`]s instead, and applies a person's choice in the page.

use model::{Picker, PickerChoice, PickerId, PickerKind, PickerOption, Rect};
use serde_json::{json, Value};

/// The binding through which `widgets.js` reports pickers opening and closing.
pub(crate) const PICKER_BINDING: &str = "__besidePicker";

/// The script, run in beside's isolated world of every new document after the guard.
pub(crate) const WIDGETS_JS: &str = include_str!("widgets.js");

/// The most options a picker carries (the script cuts there too).
const MAX_OPTIONS: usize = 500;
/// The longest label or value kept, in characters.
const MAX_TEXT: usize = 200;

/// A picker opened or closed in a tab.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerEvent {
    /// A widget opened (or its suggestions changed, under the same id).
    Opened(Picker),
    /// It closed: chosen, dismissed, its field gone, or the page left.
    Closed(PickerId),
}

/// Why a choice was not applied; each is a stable `rejected` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickRefusal {
    /// No such picker is open (it closed, or never was).
    UnknownPicker,
    /// An option chosen is no longer in the page as it was.
    OptionGone,
    /// The field cannot hold the value.
    InvalidValue,
    /// The choice does not fit the picker (several options for one).
    InvalidInput,
    /// The field is hidden from the agent, who chose.
    MaskedField,
}

impl PickRefusal {
    pub fn code(self) -> &'static str {
        match self {
            PickRefusal::UnknownPicker => "unknown_picker",
            PickRefusal::OptionGone => "picker_option_gone",
            PickRefusal::InvalidValue => "invalid_value",
            PickRefusal::InvalidInput => "invalid_input",
            PickRefusal::MaskedField => "masked_field",
        }
    }

    fn from_code(code: &str) -> Option<Option<PickRefusal>> {
        Some(match code {
            "ok" => None,
            "unknown_picker" => Some(PickRefusal::UnknownPicker),
            "picker_option_gone" => Some(PickRefusal::OptionGone),
            "invalid_value" => Some(PickRefusal::InvalidValue),
            "invalid_input" => Some(PickRefusal::InvalidInput),
            "masked_field" => Some(PickRefusal::MaskedField),
            _ => return None,
        })
    }
}

/// Parses a report of `widgets.js`; `None` when it is malformed.
pub(crate) fn parse_picker_event(payload: &str) -> Option<PickerEvent> {
    let value: Value = serde_json::from_str(payload).ok()?;
    let id = PickerId(value.get("id")?.as_u64()?);
    match value.get("op")?.as_str()? {
        "close" => Some(PickerEvent::Closed(id)),
        "open" => {
            let text = |v: &Value| -> Option<String> {
                Some(v.as_str()?.chars().take(MAX_TEXT).collect())
            };
            let optional = |name: &str| match value.get(name) {
                None | Some(Value::Null) => Some(None),
                Some(v) => text(v).map(Some),
            };
            let kind = PickerKind::from_name(value.get("kind")?.as_str()?)?;
            let options = value
                .get("options")?
                .as_array()?
                .iter()
                .take(MAX_OPTIONS)
                .map(|o| {
                    Some(PickerOption {
                        label: text(o.get("label")?)?,
                        value: text(o.get("value")?)?,
                        group: match o.get("group") {
                            None | Some(Value::Null) => None,
                            Some(g) => Some(text(g)?),
                        },
                        disabled: o.get("disabled")?.as_bool()?,
                        selected: o.get("selected")?.as_bool()?,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            let rect = value.get("rect")?;
            let number = |name: &str| rect.get(name)?.as_f64().filter(|v| v.is_finite());
            Some(PickerEvent::Opened(Picker {
                id,
                kind,
                multiple: value.get("multiple")?.as_bool()?,
                options,
                value: optional("value")?,
                min: optional("min")?,
                max: optional("max")?,
                rect: Rect {
                    x: number("x")?,
                    y: number("y")?,
                    width: number("width")?.max(0.0),
                    height: number("height")?.max(0.0),
                },
                masked: value.get("masked")?.as_bool()?,
            }))
        }
        _ => None,
    }
}

/// The call that applies `choice` to picker `id`.
pub(crate) fn choose_call(id: PickerId, choice: &PickerChoice, by_agent: bool) -> String {
    format!(
        "globalThis.__besideChoose({}, {}, {})",
        id.0,
        json!({ "indices": choice.indices, "value": choice.value }),
        by_agent
    )
}

/// The call that closes picker `id` without a choice.
pub(crate) fn dismiss_call(id: PickerId) -> String {
    format!("globalThis.__besideDismiss({})", id.0)
}

/// The script's answer to a choice: `Ok(None)` applied, `Ok(Some(_))` refused.
pub(crate) fn parse_choice_answer(value: &Value) -> Option<Option<PickRefusal>> {
    PickRefusal::from_code(value.as_str()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_select_report_becomes_a_picker() {
        let payload = r#"{"op":"open","id":7,"kind":"select","multiple":false,
            "options":[{"label":"Netherlands","value":"nl","group":"Europe","disabled":false,"selected":true}],
            "value":null,"min":null,"max":null,"rect":{"x":1,"y":2,"width":3,"height":4},"masked":false}"#;
        let Some(PickerEvent::Opened(picker)) = parse_picker_event(payload) else { panic!() };
        assert_eq!(picker.id, PickerId(7));
        assert_eq!(picker.kind, PickerKind::Select);
        assert_eq!(picker.options[0].group.as_deref(), Some("Europe"));
        assert_eq!(
            parse_picker_event(r#"{"op":"close","id":7}"#),
            Some(PickerEvent::Closed(PickerId(7)))
        );
    }

    #[test]
    fn malformed_reports_are_dropped() {
        for payload in [
            "",
            "[]",
            r#"{"op":"open","id":1}"#,
            r#"{"op":"open","id":1,"kind":"file","multiple":false,"options":[],"rect":{"x":0,"y":0,"width":1,"height":1},"masked":false}"#,
            r#"{"op":"open","id":-1,"kind":"date","multiple":false,"options":[],"rect":{"x":0,"y":0,"width":1,"height":1},"masked":false}"#,
            r#"{"op":"shut","id":1}"#,
        ] {
            assert_eq!(parse_picker_event(payload), None, "{payload}");
        }
    }

    #[test]
    fn long_labels_are_cut() {
        let long = "x".repeat(1000);
        let payload = format!(
            r#"{{"op":"open","id":1,"kind":"datalist","multiple":false,"options":[{{"label":"{long}","value":"v","group":null,"disabled":false,"selected":false}}],"rect":{{"x":0,"y":0,"width":1,"height":1}},"masked":true}}"#
        );
        let Some(PickerEvent::Opened(picker)) = parse_picker_event(&payload) else { panic!() };
        assert_eq!(picker.options[0].label.chars().count(), MAX_TEXT);
        assert!(picker.masked);
    }
}
