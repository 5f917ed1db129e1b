//! Chat transcripts: a session's chat, kept with its record when the company's policy says so
//! (F4, F13). Otherwise the chat is never written here.

use model::{Role, SessionId};
use time::OffsetDateTime;

use crate::row::Row;
use crate::StoreError;

/// Longest text of one entry, in characters (the chat's own limit is lower).
const MAX_BODY_CHARS: usize = 4000;

/// What an entry of the transcript is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Someone wrote `body`.
    Text,
    /// Something happened (`body` says what, e.g. `control_granted`) to `name`.
    System,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Text => "text",
            EntryKind::System => "system",
        }
    }
}

/// One entry of a kept transcript.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TranscriptEntry {
    /// Its place in the session's chat, from 1.
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: EntryKind,
    /// Who wrote it, or whom it is about.
    pub role: Role,
    pub name: String,
    pub body: String,
}

/// Checks the entries before any is written.
pub(crate) fn validate(entries: &[TranscriptEntry]) -> Result<(), StoreError> {
    for e in entries {
        if e.body.chars().count() > MAX_BODY_CHARS || e.name.chars().count() > 200 {
            return Err(StoreError::Invalid(format!(
                "transcript entry {} is longer than a transcript keeps",
                e.seq
            )));
        }
    }
    Ok(())
}

impl TranscriptEntry {
    pub(crate) fn from_row(row: &impl Row) -> Result<TranscriptEntry, StoreError> {
        let kind = row.text("kind")?;
        let role = row.text("role")?;
        Ok(TranscriptEntry {
            seq: row.int("seq")?,
            at: row.time("at")?,
            kind: match kind.as_str() {
                "text" => EntryKind::Text,
                "system" => EntryKind::System,
                other => {
                    return Err(StoreError::Corrupt(format!("transcript entry kind `{other}`")))
                }
            },
            role: match role.as_str() {
                "customer" => Role::Customer,
                "agent" => Role::Agent,
                other => {
                    return Err(StoreError::Corrupt(format!("transcript entry role `{other}`")))
                }
            },
            name: row.text("name")?,
            body: row.text("body")?,
        })
    }
}

// What the backends answer, worded once.

pub(crate) fn unknown_session(session: &SessionId) -> StoreError {
    StoreError::NotFound(format!("there is no session with the id {session}"))
}

pub(crate) fn entry_twice(seq: i64) -> StoreError {
    StoreError::Invalid(format!("transcript entry {seq} is there twice"))
}
