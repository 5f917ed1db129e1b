//! Messages a client (customer or agent) sends to the server.

use crate::guidance::{AnnotationKind, PagePoint};
use model::{Credentials, DialogId, ParticipantId, PickerId, SignInId, TabId, Viewport};
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
