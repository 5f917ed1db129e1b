//! Recordings of what agents saw (F24): the agent's rendition only, already masked, kept as
//! encrypted, authenticated chunks.
//!
//! - A recording's data key is random, used for nothing else, and kept only wrapped by a
//!   master key ([`MasterKeys`], one file; the newest key wraps, older ones still unwrap).
//! - Its entries (frames as JPEG, timeline events as JSON, each with its time) are gathered
//!   into chunks of a few seconds ([`Recorder`]); each chunk is sealed with AES-256-GCM under
//!   the data key, with the recording id, the chunk's index and whether it is the last one
//!   in its associated data.
//! - So reading ([`Recording`]) finds a changed byte, a chunk put in another place, a
//!   missing chunk and a missing end, and names the chunk.
//! - Where the bytes live is a [`ChunkStore`]: a directory ([`DirStore`]) today, an object
//!   store later.
//!
//! Architecture Invariant: this crate never sees a customer's raw frame; what it is given
//! is what the caller recorded, and the session hands it the agent's rendition only.

mod chunk;
mod entry;
mod error;
mod keys;
mod manifest;
mod reader;
mod store;
mod writer;

pub use entry::Entry;
pub use error::RecordingError;
pub use keys::{MasterKeys, KEY_FILE_NAME};
pub use manifest::Manifest;
pub use reader::Recording;
pub use store::{ChunkStore, DirStore, StoreFuture};
pub use writer::{Recorder, CHUNK_MAX_BYTES, CHUNK_SPAN_MS};

/// Where a recording's objects live in a [`ChunkStore`]: `<session>/<recording>/`.
pub fn prefix(session: &model::SessionId, recording: &model::RecordingId) -> String {
    format!("{session}/{recording}/")
}
