//! Messages a client (customer or agent) sends to the server.

use crate::guidance::{AnnotationKind, PagePoint};
use model::{
    Credentials, DialogId, ParticipantId, Permission, PickerId, SignInId, TabId, Viewport,
};
use serde::{Deserialize, Serialize};

/// Modifier keys held during an input event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Modifiers {
    pub alt: bool,
    pub ctrl: bool,
    pub meta: bool,
    pub shift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointerKind {
    Move,
    Down,
    Up,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MouseButton {
    #[default]
    None,
    Left,
    Middle,
    Right,
}

/// What a touch did: a finger went down, moved, was lifted, or the device gave the touch up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchKind {
    Start,
    Move,
    End,
    Cancel,
}

/// One finger on the customer's screen, at a position of the viewport (CSS pixels). `id` stays
/// the same while the finger stays down.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TouchPoint {
    pub id: u32,
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Down,
    Up,
}

/// One message from a client. Coordinates are CSS pixels of the cloud browser's viewport
/// (the client maps from its scaled view; the server clamps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// The size of the customer's view; the cloud browser follows it. Ignored from agents.
    Viewport {
        viewport: Viewport,
    },
    /// The customer's languages (most preferred first, as `navigator.languages`) and time zone
    /// (an IANA name, as `Intl`'s); the cloud browser takes them on. Sent after every welcome,
    /// so a customer who continues on another device brings that device's. Ignored from agents.
    Locale {
        #[serde(default)]
        languages: Vec<String>,
        #[serde(default)]
        time_zone: Option<String>,
    },
    /// Mouse (or, from an agent, a touch turned into a mouse) at a position.
    Pointer {
        kind: PointerKind,
        x: f64,
        y: f64,
        #[serde(default)]
        button: MouseButton,
        /// Bit set of buttons held: 1 left, 2 right, 4 middle.
        #[serde(default)]
        buttons: u8,
        /// 1 for a click, 2 for the second press of a double-click.
        #[serde(default)]
        click_count: u8,
        #[serde(default)]
        modifiers: Modifiers,
    },
    /// The customer's fingers on a touch screen (F6): `points` are all the fingers down after
    /// the change (none after the last is lifted, and none for a cancel), at most
    /// `MAX_TOUCH_POINTS`. Only customers send touches; an agent's is refused (`customer_only`).
    Touch {
        kind: TouchKind,
        #[serde(default)]
        points: Vec<TouchPoint>,
    },
    /// Wheel (or a touch drag) scrolling by a delta at a position.
    Wheel {
        x: f64,
        y: f64,
        delta_x: f64,
        delta_y: f64,
        #[serde(default)]
        modifiers: Modifiers,
    },
    /// A key press or release. `key` and `code` are the DOM `KeyboardEvent` values;
    /// `text` is what the key types (absent for non-printing keys and shortcuts).
    Key {
        kind: KeyKind,
        key: String,
        code: String,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        modifiers: Modifiers,
    },
    /// Committed text that no key event typed: IME results, dictation, paste-like input.
    Text {
        text: String,
    },
    /// The IME's current composition (not yet committed); empty text cancels it.
    Composition {
        text: String,
    },
    /// Go to an address typed into the address bar.
    Navigate {
        url: String,
    },
    Back,
    Forward,
    Reload,
    /// Makes a tab the one everyone sees and acts on.
    ActivateTab {
        tab: TabId,
    },
    /// Closes a tab for everyone; closing the last one opens the company's start page.
    CloseTab {
        tab: TabId,
    },
    /// Picks from the picker this client was given (`ServerMessage::Picker`): option indices
    /// of a select list (several for a `multiple` one) or a datalist, else the value of a
    /// date, time, month, week or colour field.
    PickerChoose {
        picker: PickerId,
        #[serde(default)]
        indices: Vec<u32>,
        #[serde(default)]
        value: Option<String>,
    },
    /// Closes the picker this client was given without a choice.
    PickerDismiss {
        picker: PickerId,
    },
    /// The customer's answer to the page's dialog (`ServerMessage::Dialog`): `accept` is OK
    /// (with `text` for a prompt), otherwise Cancel.
    DialogAnswer {
        dialog: DialogId,
        accept: bool,
        #[serde(default)]
        text: Option<String>,
    },
    /// The customer's answer to a site's sign-in prompt (`ServerMessage::SignIn`): their
    /// credentials, or none to cancel (the page then shows the site's refusal).
    SignInAnswer {
        prompt: SignInId,
        #[serde(default)]
        credentials: Option<Credentials>,
    },
    /// The customer's answer to `ServerMessage::ReloadQuestion`: `reload` loads the page of
    /// tab `tab` again (losing what was entered in it), otherwise beside keeps waiting.
    ReloadAnswer {
        tab: TabId,
        reload: bool,
    },
    /// Ends the session for everyone.
    End,
    /// Keep-alive; the server answers `Pong`.
    Ping,
    /// The client has shown frame `seq` (and every frame before it). A client that sends
    /// these gets its frames paced by them: the server keeps only as many frames on the way as
    /// arrive without queueing, so what it shows is never more than a moment old (the newest
    /// frame goes next). A client that never sends one gets frames as fast as it reads them.
    Ack {
        seq: u64,
    },
    /// A chat message: plain text, at most `MAX_CHAT_CHARS` characters.
    Chat {
        text: String,
    },
    /// Starts or continues the sender's annotation stroke `id` with its new points (page
    /// coordinates, see `PagePoint`); `done` once the pointer is released.
    Annotate {
        id: u32,
        kind: AnnotationKind,
        points: Vec<PagePoint>,
        #[serde(default)]
        done: bool,
    },
    /// Takes back the sender's newest annotation.
    UndoAnnotation,
    /// Removes every annotation on the page.
    ClearAnnotations,
    /// The customer gives an agent control of the page, or takes it back (F3).
    SetControl {
        agent: ParticipantId,
        granted: bool,
    },
    /// An agent asks the customer for control.
    RequestControl,
    /// The customer pauses what agents see (no frames, no address or title, no acting) or
    /// lets them see again.
    SetPaused {
        paused: bool,
    },
    /// The customer lets an agent who waits for approval in, or turns them away (F2).
    Admit {
        participant: ParticipantId,
        approved: bool,
    },
}

impl ClientMessage {
    /// The permission an agent needs to send this message (F19): the one table of it. The
    /// server refuses an agent's message without it (`not_permitted`) before anything else
    /// looks at the message; the agent console only hides what this says is refused. `View`
    /// is what every agent in a session has (joining needs it). Customers are not staff:
    /// what they may send is decided by their part in the session, not by this.
    pub fn permission(&self) -> Permission {
        use ClientMessage as M;
        match self {
            // Page input, and asking for control, is using control.
            M::Pointer { .. }
            | M::Touch { .. }
            | M::Wheel { .. }
            | M::Key { .. }
            | M::Text { .. }
            | M::Composition { .. }
            | M::PickerChoose { .. }
            | M::PickerDismiss { .. }
            | M::RequestControl => Permission::Control,
            M::Navigate { .. } | M::Back | M::Forward | M::Reload => Permission::Navigate,
            M::ActivateTab { .. } | M::CloseTab { .. } => Permission::Tabs,
            M::Chat { .. } => Permission::Chat,
            M::Annotate { .. } | M::UndoAnnotation | M::ClearAnnotations => Permission::Annotate,
            // Staying connected, leaving, and what only a customer may send (refused for
            // agents anyway, as `customer_only` or ignored).
            M::Viewport { .. }
            | M::Locale { .. }
            | M::DialogAnswer { .. }
            | M::SignInAnswer { .. }
            | M::ReloadAnswer { .. }
            | M::End
            | M::Ping
            | M::Ack { .. }
            | M::SetControl { .. }
            | M::SetPaused { .. }
            | M::Admit { .. } => Permission::View,
        }
    }

    /// The message's `type` as it goes over the wire.
    pub fn type_name(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => match map.get("type") {
                Some(serde_json::Value::String(name)) => name.clone(),
                _ => String::new(),
            },
            _ => String::new(),
        }
    }
}

/// One message of every type, as a client would send it: for tests that try every type (the
/// authorisation matrix). A unit test below fails when a type is missing.
pub const CLIENT_MESSAGE_SAMPLES: &[&str] = &[
    r#"{"type":"viewport","viewport":{"width":800,"height":600,"device_scale_factor":1,"mobile":false}}"#,
    r#"{"type":"locale","languages":["de"]}"#,
    r#"{"type":"pointer","kind":"move","x":1,"y":2}"#,
    r#"{"type":"touch","kind":"cancel"}"#,
    r#"{"type":"wheel","x":1,"y":2,"delta_x":0,"delta_y":10}"#,
    r#"{"type":"key","kind":"down","key":"a","code":"KeyA"}"#,
    r#"{"type":"text","text":"a"}"#,
    r#"{"type":"composition","text":"a"}"#,
    r#"{"type":"navigate","url":"https://example.com/"}"#,
    r#"{"type":"back"}"#,
    r#"{"type":"forward"}"#,
    r#"{"type":"reload"}"#,
    r#"{"type":"activate_tab","tab":1}"#,
    r#"{"type":"close_tab","tab":1}"#,
    r#"{"type":"picker_choose","picker":1,"indices":[0]}"#,
    r#"{"type":"picker_dismiss","picker":1}"#,
    r#"{"type":"dialog_answer","dialog":1,"accept":true}"#,
    r#"{"type":"sign_in_answer","prompt":1}"#,
    r#"{"type":"reload_answer","tab":1,"reload":false}"#,
    r#"{"type":"end"}"#,
    r#"{"type":"ping"}"#,
    r#"{"type":"ack","seq":1}"#,
    r#"{"type":"chat","text":"hello"}"#,
    r#"{"type":"annotate","id":1,"kind":"pen","points":[[1,2]]}"#,
    r#"{"type":"undo_annotation"}"#,
    r#"{"type":"clear_annotations"}"#,
    r#"{"type":"set_control","agent":"par_x","granted":true}"#,
    r#"{"type":"request_control"}"#,
    r#"{"type":"set_paused","paused":true}"#,
    r#"{"type":"admit","participant":"par_x","approved":true}"#,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_client_message;

    /// Each type's place in the declaration; a new type does not compile until it is here
    /// (and then the samples miss it).
    fn ordinal(msg: &ClientMessage) -> usize {
        use ClientMessage as M;
        match msg {
            M::Viewport { .. } => 0,
            M::Locale { .. } => 1,
            M::Pointer { .. } => 2,
            M::Touch { .. } => 3,
            M::Wheel { .. } => 4,
            M::Key { .. } => 5,
            M::Text { .. } => 6,
            M::Composition { .. } => 7,
            M::Navigate { .. } => 8,
            M::Back => 9,
            M::Forward => 10,
            M::Reload => 11,
            M::ActivateTab { .. } => 12,
            M::CloseTab { .. } => 13,
            M::PickerChoose { .. } => 14,
            M::PickerDismiss { .. } => 15,
            M::DialogAnswer { .. } => 16,
            M::SignInAnswer { .. } => 17,
            M::ReloadAnswer { .. } => 18,
            M::End => 19,
            M::Ping => 20,
            M::Ack { .. } => 21,
            M::Chat { .. } => 22,
            M::Annotate { .. } => 23,
            M::UndoAnnotation => 24,
            M::ClearAnnotations => 25,
            M::SetControl { .. } => 26,
            M::RequestControl => 27,
            M::SetPaused { .. } => 28,
            M::Admit { .. } => 29,
        }
    }

    #[test]
    fn the_samples_hold_one_message_of_every_type() {
        let ordinals: Vec<usize> = CLIENT_MESSAGE_SAMPLES
            .iter()
            .map(|s| ordinal(&parse_client_message(s).unwrap_or_else(|e| panic!("{s}: {e}"))))
            .collect();
        assert_eq!(ordinals, (0..30).collect::<Vec<_>>());
    }

    #[test]
    fn every_message_type_needs_the_permission_the_table_says() {
        let mut table = String::new();
        for sample in CLIENT_MESSAGE_SAMPLES {
            let msg = parse_client_message(sample).unwrap_or_else(|e| panic!("{sample}: {e}"));
            table.push_str(&format!("{} {}\n", msg.type_name(), msg.permission()));
        }
        let expected = "viewport view\nlocale view\npointer control\ntouch control\n\
            wheel control\nkey control\ntext control\ncomposition control\nnavigate navigate\n\
            back navigate\nforward navigate\nreload navigate\nactivate_tab tabs\nclose_tab tabs\n\
            picker_choose control\npicker_dismiss control\ndialog_answer view\n\
            sign_in_answer view\nreload_answer view\nend view\nping view\nack view\nchat chat\n\
            annotate annotate\nundo_annotation annotate\nclear_annotations annotate\n\
            set_control view\nrequest_control control\nset_paused view\nadmit view\n";
        assert_eq!(table, expected);
    }
}
