//! The engine of beside: the node's live sessions, their PINs, and one task per session.
//!
//! Architecture Invariant: nothing here knows HTTP. A session's state is owned by its
//! actor task; everyone else holds a `SessionHandle` and sends it commands. Locks in the
//! `Registry` are never held across an `.await`.
//!
//! A session's task (`actor`) only dispatches, to parts that own their state: the `roster`
//! (participants, delivery), the `tabs` (the browser context and one `tab` per tab of it: the
//! page with its `worker`, the guard's reports in `masks`, the frame streams in `feed`, exact
//! masks on a resting page in `still`), and the input `check`. It reports to the `registry`
//! through `events`. The browser is reached through the traits of `page` (and `fake` has a fake
//! one for unit tests).

// Tests may unwrap: a panic is how they fail.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod actor;
mod annotations;
mod bus;
mod chat;
mod check;
mod config;
mod control;
mod directory;
mod events;
#[cfg(test)]
mod fake;
mod feed;
mod files;
#[doc(hidden)]
pub mod fuzzing;
mod handle;
mod input;
mod limits;
mod masks;
mod page;
mod registry;
mod roster;
mod rulebook;
mod still;
mod stream;
mod tab;
mod tabs;
mod touch;
mod worker;

pub use browser::UploadFile;
pub use config::Config;
pub use files::{DownloadError, DownloadFile, UploadError};
pub use handle::{FrameFeed, ProbeError, SessionHandle, SessionSnapshot, SessionState, Viewer};
pub use input::Rejection;
pub use registry::{
    Created, JoinError, Joined, Picking, PinRejection, Registry, Renewed, RequestJoinError,
    SessionError, TicketError, TokenHolder,
};
pub use rulebook::{Changed, Changer, RuleBook, RuleError};
pub use stream::{Next, Outgoing, ViewerStream};
