//! The page's JavaScript dialogs (alert, confirm, prompt, beforeunload), in one place.
//!
//! While a dialog is open the page's scripts and its input wait for it, so a dialog nobody
//! answers stalls the page. A tab reports each one it opens as a [`crate::TabEvent::Dialog`]
//! and whoever owns the tab answers it with [`crate::Tab::answer_dialog`]; a tab asked to
//! recover ([`crate::Tab::recover`]) answers an open one with [`default_answer`].

use serde_json::Value;

/// Characters of a dialog's message and default text kept (the page chooses them).
const MAX_TEXT_CHARS: usize = 2000;

pub use model::DialogKind;

/// A dialog the page opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub kind: DialogKind,
    pub message: String,
    /// A prompt's default text.
    pub default_prompt: String,
}

/// A dialog from the parameters of `Page.javascriptDialogOpening`.
pub(crate) fn parse_opening(params: &Value) -> Option<Dialog> {
    let kind = match params.get("type")?.as_str()? {
        "alert" => DialogKind::Alert,
        "confirm" => DialogKind::Confirm,
        "prompt" => DialogKind::Prompt,
        "beforeunload" => DialogKind::BeforeUnload,
        _ => return None,
    };
    let text = |name: &str| -> String {
        params
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .chars()
            .take(MAX_TEXT_CHARS)
            .collect()
    };
    Some(Dialog { kind, message: text("message"), default_prompt: text("defaultPrompt") })
}

/// The answer that lets the page go on when nobody decides: an alert is acknowledged, a
/// confirm or a prompt is cancelled, and a "leave this page?" lets the page go (the navigation
/// someone asked for goes on). True for "accept".
pub fn default_answer(kind: DialogKind) -> bool {
    match kind {
        DialogKind::Alert | DialogKind::BeforeUnload => true,
        DialogKind::Confirm | DialogKind::Prompt => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dialogs_are_read_from_chromium_with_their_texts_bounded() {
        let long = "x".repeat(5000);
        let d = parse_opening(&json!({"type": "prompt", "message": long, "defaultPrompt": "a"}));
        let d = d.unwrap();
        assert_eq!(
            (d.kind, d.message.len(), d.default_prompt.as_str()),
            (DialogKind::Prompt, 2000, "a")
        );
        assert_eq!(parse_opening(&json!({"type": "alert"})).unwrap().message, "");
        assert_eq!(parse_opening(&json!({"type": "other", "message": "m"})), None);
        assert_eq!(parse_opening(&json!({})), None);
    }

    #[test]
    fn the_default_answer_lets_the_page_go_on_and_agrees_to_nothing() {
        assert!(default_answer(DialogKind::Alert));
        assert!(default_answer(DialogKind::BeforeUnload));
        assert!(!default_answer(DialogKind::Confirm));
        assert!(!default_answer(DialogKind::Prompt));
    }
}
