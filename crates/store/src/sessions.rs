//! Co-browsing session records: the part of a session that stays after it ends (company, agent,
//! times, end reason). Live state belongs to the `session` crate; PINs are never stored.

use model::{AgentId, CompanyId, SessionId};
use time::OffsetDateTime;

use crate::row::Row;
use crate::StoreError;

/// What is kept about one co-browsing session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionRecord {
    pub id: SessionId,
    pub company: CompanyId,
    /// The first page the cloud browser opened.
    pub start_url: String,
    /// The customer's language tag, e.g. `de-CH`, when known.
    pub locale: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The first agent who joined.
    pub agent: Option<AgentId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub joined_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// Why the session ended, a snake_case code such as `ended_by_customer` or `expired`.
    pub end_reason: Option<String>,
    /// The company site's own reference for the session (a ticket number), given when it
    /// started; checked by `policy::embed::check_reference`.
    pub reference: Option<String>,
}

impl SessionRecord {
    pub(crate) fn from_row(row: &impl Row) -> Result<SessionRecord, StoreError> {
        Ok(SessionRecord {
            id: row.id("id")?,
            company: row.id("company_id")?,
            start_url: row.text("start_url")?,
            locale: row.opt_text("locale")?,
            created_at: row.time("created_at")?,
            agent: row.opt_id("agent_id")?,
            joined_at: row.opt_time("joined_at")?,
            ended_at: row.opt_time("ended_at")?,
            end_reason: row.opt_text("end_reason")?,
            reference: row.opt_text("reference")?,
        })
    }
}

/// The columns a session record is read from, in both backends.
pub(crate) const COLUMNS: &str = "id, company_id, start_url, locale, created_at, agent_id, \
     joined_at, ended_at, end_reason, reference";

// What the backends answer, worded once.

pub(crate) fn session_taken(id: &SessionId) -> StoreError {
    StoreError::Conflict(format!("a session with the id {id} already exists"))
}

pub(crate) fn session_refs_missing(rec: &SessionRecord) -> StoreError {
    StoreError::NotFound(format!(
        "the company {} or agent of session {} does not exist",
        rec.company, rec.id
    ))
}

/// An update that changed no row: the session is not there.
pub(crate) fn require_one_row(n_rows: u64, id: &SessionId) -> Result<(), StoreError> {
    if n_rows == 0 {
        return Err(StoreError::NotFound(format!("there is no session with the id {id}")));
    }
    Ok(())
}
