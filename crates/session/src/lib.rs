//! The engine of beside: the node's live sessions, their PINs, and one task per session.
//!
//! Architecture Invariant: nothing here knows HTTP. A session's state is owned by its
//! actor task; everyone else holds a `SessionHandle` and sends it commands. Locks in the
//! `Registry` are never held across an `.await`.

mod actor;
mod config;
mod input;
mod limits;
mod masks;
mod registry;

pub use actor::{FrameFeed, RawFrameView, SessionHandle, SessionSnapshot, SessionState, Viewer};
pub use config::Config;
pub use input::Rejection;
pub use registry::{
    Created, JoinError, Joined, PinRejection, Registry, SessionError, TicketError, TokenHolder,
};
