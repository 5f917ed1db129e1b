//! The WebSocket protocol between beside and its clients (customer view, agent console).
//!
//! Text messages are JSON objects tagged by `"type"` (`ClientMessage`, `ServerMessage`).
//! Binary messages carry frames (`FrameHeader` + JPEG), see `frame`.
//! Architecture Invariant: no IO here; `serde` types and their codecs only.
//!
//! Version: `VERSION` is sent in `Welcome`; a client that sees another major version
//! reloads itself.

mod client;
#[doc(hidden)]
pub mod codegen;
mod frame;
mod guidance;
mod server;

pub use client::{
    ClientMessage, KeyKind, Modifiers, MouseButton, PointerKind, TouchKind, TouchPoint,
    CLIENT_MESSAGE_SAMPLES,
};
pub use frame::{
    decode_frame, decode_message, encode_frame, encode_tiles, FrameDecodeError, FrameHeader,
    FrameMessage, TileHeader, TilesHeader, FRAME_KIND_JPEG, FRAME_KIND_TILES,
};
pub use guidance::{AnnotationKind, ChatEntry, PagePoint, Stroke, SystemEvent};
pub use server::{
    ActivityKind, DownloadOffer, EndReason, HungPageState, PageRecovery, PageState,
    ParticipantInfo, RejectCode, ServerMessage, TabInfo,
};

/// Protocol version announced in `ServerMessage::Welcome`.
pub const VERSION: u32 = 1;

/// Largest text or binary message a client may send, in bytes.
/// Larger ones are refused with `message_too_large` and the connection stays open.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

/// Largest message the WebSocket reads at all; beyond it the connection closes (1009).
pub const MAX_CLIENT_FRAME_BYTES: usize = 2 * 1024 * 1024;

/// Most fingers one touch message may carry; the cloud page says it has this many
/// (`navigator.maxTouchPoints`).
pub const MAX_TOUCH_POINTS: usize = 5;

/// Longest chat message, in characters (F13).
pub const MAX_CHAT_CHARS: usize = 2000;

/// Parses one text message from a client.
pub fn parse_client_message(text: &str) -> Result<ClientMessage, serde_json::Error> {
    serde_json::from_str(text)
}
