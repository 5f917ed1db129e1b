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

/// Which audit events of one company to list (F29): each filter left `None` takes all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub company: CompanyId,
    /// Done by this agent.
    pub agent: Option<AgentId>,
    /// Of this kind.
    pub kind: Option<String>,
    /// At or after this time.
    pub from: Option<OffsetDateTime>,
    /// Before this time.
    pub to: Option<OffsetDateTime>,
    /// Older than this event (the `next` of the page before).
    pub after: Option<AuditCursor>,
    /// At most this many, 1 to `MAX_AUDIT_PAGE`.
    pub limit: u32,
}

/// The largest page of audit events.
pub const MAX_AUDIT_PAGE: u32 = 200;

/// A place in the audit log, newest first: an event's time and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    pub at_ms: i64,
    pub id: i64,
}

impl std::fmt::Display for AuditCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.at_ms, self.id)
    }
}

impl std::str::FromStr for AuditCursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (at, id) = s.split_once('.').ok_or(())?;
        Ok(AuditCursor { at_ms: at.parse().map_err(|_| ())?, id: id.parse().map_err(|_| ())? })
    }
}

/// A page of audit events, newest first, and where the next page starts (`None`: no more).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next: Option<AuditCursor>,
}

impl AuditQuery {
    pub(crate) fn validated(self) -> Result<AuditQuery, StoreError> {
        if let Some(kind) = &self.kind {
            validate_kind(kind)?;
        }
        if !(1..=MAX_AUDIT_PAGE).contains(&self.limit) {
            return Err(StoreError::Invalid(format!(
                "a page holds 1 to {MAX_AUDIT_PAGE} audit events"
            )));
        }
        Ok(self)
    }
}

/// Makes a page of the rows read for `query` (one more than its limit, to know if more come),
/// each with its `id`.
pub(crate) fn page_of<R: Row>(rows: &[R], limit: u32) -> Result<AuditPage, StoreError> {
    let limit = limit as usize;
    let mut events = Vec::with_capacity(rows.len().min(limit));
    let mut last = None;
    for row in rows.iter().take(limit) {
        let event = AuditEvent::from_row(row)?;
        last = Some(AuditCursor { at_ms: crate::row::to_ms(event.at), id: row.int("id")? });
        events.push(event);
    }
    Ok(AuditPage { events, next: if rows.len() > limit { last } else { None } })
}
