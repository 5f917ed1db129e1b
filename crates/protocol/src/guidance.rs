//! What people use to guide each other, as the wire carries it: chat entries and annotation
//! strokes.

use model::{ParticipantId, Role};
use serde::{Deserialize, Serialize};

/// The annotation tools (F12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationKind {
    /// Freehand line.
    Pen,
    /// Freehand, wide and translucent.
    Highlighter,
    /// The rectangle spanned by the stroke's first and last points.
    Rect,
    /// An arrow from the stroke's first point to its last.
    Arrow,
    /// A pointer trail that fades after about a second; never kept.
    Laser,
}

impl AnnotationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationKind::Pen => "pen",
            AnnotationKind::Highlighter => "highlighter",
            AnnotationKind::Rect => "rect",
            AnnotationKind::Arrow => "arrow",
            AnnotationKind::Laser => "laser",
        }
    }
}

/// A point of the page: a point of the viewport plus the page's scroll offset at the frame it
/// was drawn on, in CSS pixels, so it stays on what it marks when the page scrolls.
pub type PagePoint = [f64; 2];

/// An annotation stroke, or a piece of one as it is being drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    /// Who drew it.
    pub participant: ParticipantId,
    /// The author's number for the stroke (unique among their strokes in the session).
    pub id: u32,
    pub kind: AnnotationKind,
    /// The author's colour: an index into the clients' palette.
    pub color: u8,
    /// The points: all of them in a full stroke, the new ones in a piece.
    pub points: Vec<PagePoint>,
    /// The author has finished drawing it.
    pub done: bool,
}

/// Something that happened in the session, written into the chat for everyone (the clients
/// translate it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemEvent {
    /// An agent joined.
    Joined,
    /// An agent left.
    Left,
    /// The customer gave an agent control.
    ControlGranted,
    /// The customer took control back from an agent.
    ControlRevoked,
    /// An agent asked for control.
    ControlRequested,
    /// The customer paused what agents see.
    Paused,
    /// The customer let agents see again.
    Resumed,
    /// The customer gave the page a file (what file is theirs alone).
    FileUploaded,
    /// The page downloaded a file for the customer (what file is theirs alone).
    FileDownloaded,
}

impl SystemEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemEvent::Joined => "joined",
            SystemEvent::Left => "left",
            SystemEvent::ControlGranted => "control_granted",
            SystemEvent::ControlRevoked => "control_revoked",
            SystemEvent::ControlRequested => "control_requested",
            SystemEvent::Paused => "paused",
            SystemEvent::Resumed => "resumed",
            SystemEvent::FileUploaded => "file_uploaded",
            SystemEvent::FileDownloaded => "file_downloaded",
        }
    }
}

/// One entry of the chat (F13).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChatEntry {
    /// A message someone wrote. `text` is plain text, never markup.
    Text {
        /// Numbers entries in the order the session took them.
        id: u64,
        /// When the session took it, in Unix milliseconds.
        at_ms: i64,
        participant: ParticipantId,
        name: String,
        role: Role,
        text: String,
    },
    /// Something that happened; `name` and `role` say whom it is about.
    System { id: u64, at_ms: i64, event: SystemEvent, name: String, role: Role },
}

impl ChatEntry {
    pub fn id(&self) -> u64 {
        match self {
            ChatEntry::Text { id, .. } | ChatEntry::System { id, .. } => *id,
        }
    }
}
