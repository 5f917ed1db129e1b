//! Co-browsing session records: the part of a session that stays after it ends (company, agent,
//! times, end reason). Live state belongs to the `session` crate; PINs are never stored.

use model::{AgentId, CompanyId, SessionId};
use time::OffsetDateTime;

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
}
