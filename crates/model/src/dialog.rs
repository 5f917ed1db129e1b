//! The page's JavaScript dialogs (alert, confirm, prompt, "leave this page?") as the customer
//! answers them (F11).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A dialog of one session, unique within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DialogId(pub u64);

impl fmt::Display for DialogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dialog {}", self.0)
    }
}

/// What kind of dialog the page opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogKind {
    Alert,
    Confirm,
    Prompt,
    /// "Leave this page?": the page asks before a navigation or a close.
    BeforeUnload,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_ids_have_their_wire_names() {
        let kinds = [DialogKind::Alert, DialogKind::BeforeUnload];
        assert_eq!(serde_json::to_string(&kinds).unwrap(), r#"["alert","before_unload"]"#);
        assert_eq!(serde_json::to_string(&DialogId(7)).unwrap(), "7");
        assert_eq!(DialogId(7).to_string(), "dialog 7");
    }
}
