//! The page's native widgets as people pick from them (F11): a select list, a datalist's
//! suggestions, a date, time, month, week or colour chooser.

use crate::Rect;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A picker of one tab, unique within the tab (its documents included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PickerId(pub u64);

impl fmt::Display for PickerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "picker {}", self.0)
    }
}

/// What kind of widget opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickerKind {
    /// A `<select>` list (one choice, or several when `multiple`).
    Select,
    /// The suggestions of an `<input list=…>`.
    Datalist,
    Date,
    Time,
    Month,
    Week,
    #[serde(rename = "datetime-local")]
    DatetimeLocal,
    Color,
}

impl PickerKind {
    /// The kind named as the page names it (`select`, `datalist`, or an input's `type`).
    pub fn from_name(name: &str) -> Option<PickerKind> {
        Some(match name {
            "select" => PickerKind::Select,
            "datalist" => PickerKind::Datalist,
            "date" => PickerKind::Date,
            "time" => PickerKind::Time,
            "month" => PickerKind::Month,
            "week" => PickerKind::Week,
            "datetime-local" => PickerKind::DatetimeLocal,
            "color" => PickerKind::Color,
            _ => return None,
        })
    }

    /// Whether the choice is one of `options` (else a typed `value`).
    pub fn has_options(self) -> bool {
        matches!(self, PickerKind::Select | PickerKind::Datalist)
    }
}

/// One choice of a select list or datalist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickerOption {
    pub label: String,
    pub value: String,
    /// The label of the `<optgroup>` it is in.
    pub group: Option<String>,
    pub disabled: bool,
    pub selected: bool,
}

/// A widget the page opened, as the person who opened it picks from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picker {
    pub id: PickerId,
    pub kind: PickerKind,
    /// A select list that takes several choices.
    pub multiple: bool,
    /// The choices of a select list or datalist, in the page's order.
    pub options: Vec<PickerOption>,
    /// The field's value now (date, time, month, week, colour).
    pub value: Option<String>,
    /// The earliest and latest values the field accepts, as the page says.
    pub min: Option<String>,
    pub max: Option<String>,
    /// Where the field is, in CSS pixels of the viewport.
    pub rect: Rect,
    /// The field is hidden from the agent: only the customer ever gets this picker.
    pub masked: bool,
}

/// What someone picked: option indices (select, datalist) or a value (the others).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PickerChoice {
    #[serde(default)]
    pub indices: Vec<u32>,
    #[serde(default)]
    pub value: Option<String>,
}
