//! The WebSocket protocol between beside and its clients (customer view, agent console).
//!
//! Text messages are JSON objects tagged by `"type"` (`ClientMessage`, `ServerMessage`).
//! Binary messages carry frames (`FrameHeader` + JPEG), see `frame`.
//! Architecture Invariant: no IO here; `serde` types and their codecs only.
//!
//! Version: `VERSION` is sent in `Welcome`; a client that sees another major version
//! reloads itself.

mod client;
mod frame;
mod server;

pub use client::{ClientMessage, KeyKind, Modifiers, MouseButton, PointerKind};
pub use frame::{
    decode_frame, decode_message, encode_frame, encode_tiles, FrameDecodeError, FrameHeader,
    FrameMessage, TileHeader, TilesHeader, FRAME_KIND_JPEG, FRAME_KIND_TILES,
};
pub use server::{EndReason, PageState, ParticipantInfo, ServerMessage, TabInfo};

/// Protocol version announced in `ServerMessage::Welcome`.
pub const VERSION: u32 = 1;

/// Largest text or binary message a client may send, in bytes.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

/// Parses one text message from a client.
pub fn parse_client_message(text: &str) -> Result<ClientMessage, serde_json::Error> {
    serde_json::from_str(text)
}
