//! The audit log: security-relevant events (failed PINs and logins, sessions started, joined
//! and ended, blocked actions), kept apart from the operational logs.

use model::{AgentId, CompanyId, SessionId};
use time::OffsetDateTime;

use crate::row::Row;
use crate::StoreError;

/// One audit event. `detail` holds event-specific facts; it must never hold PINs, passwords or
/// tokens.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEvent {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub company: Option<CompanyId>,
    pub agent: Option<AgentId>,
    pub session: Option<SessionId>,
    /// A snake_case event kind: a [`model::AuditKind`]'s name, e.g. `pin_rejected`.
    pub kind: String,
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub(crate) fn from_row(row: &impl Row) -> Result<AuditEvent, StoreError> {
        Ok(AuditEvent {
            at: row.time("at")?,
            company: row.opt_id("company_id")?,
            agent: row.opt_id("agent_id")?,
            session: row.opt_id("session_id")?,
            kind: row.text("kind")?,
            detail: row.json("detail")?,
        })
    }
}

const MAX_KIND_LEN: usize = 64;

pub(crate) fn validate_kind(kind: &str) -> Result<(), StoreError> {
    let ok = !kind.is_empty()
        && kind.len() <= MAX_KIND_LEN
        && kind
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'.');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "`{}` is not a valid audit event kind; use up to {MAX_KIND_LEN} lowercase letters, \
             digits and underscores, e.g. pin_rejected",
            kind.escape_debug()
        )))
    }
}
