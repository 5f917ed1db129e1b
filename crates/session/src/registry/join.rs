//! Agents into sessions: redeeming a PIN (under the failure windows), asking to join by a
//! session's id, and the customer's new PIN.

use super::{Inner, Registry, TicketError, TokenHolder};
use crate::directory::Refused;
use crate::handle::{Entry, SessionHandle};
use model::{AgentId, AuditKind, CompanyId, ParticipantId, Pin, Role, Secret, SessionId};
use time::OffsetDateTime;

/// An agent's place in a session after redeeming a PIN or asking to join.
#[derive(Debug)]
pub struct Joined {
    pub session_id: SessionId,
    pub agent_token: Secret<String>,
    /// They wait until the customer approves them (their view says so meanwhile).
    pub waiting: bool,
}

/// A new PIN the customer made for their session.
#[derive(Debug)]
pub struct Renewed {
    pub pin: Pin,
    pub expires_at: OffsetDateTime,
}

/// Why a PIN was not accepted. The edge answers all of them alike (F1); the reason is
/// for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRejection {
    /// Not six digits.
    Malformed,
    /// No live PIN with these digits in the agent's company (never issued, used, or
    /// issued by another company).
    Unknown,
    /// The PIN's time ran out.
    Expired,
}

impl PinRejection {
    pub fn as_str(self) -> &'static str {
        match self {
            PinRejection::Malformed => "malformed",
            PinRejection::Unknown => "unknown",
            PinRejection::Expired => "expired",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("too many failed PIN attempts")]
    RateLimited,
    #[error("the PIN was not accepted ({})", .0.as_str())]
    Rejected(PinRejection),
    #[error("could not record the join")]
    Store(#[source] store::StoreError),
}

/// Why a staff member could not ask to join a session by its id.
#[derive(Debug, thiserror::Error)]
pub enum RequestJoinError {
    /// No live session of the agent's company has this id (another company's included).
    #[error("there is no such live session")]
    NotFound,
    #[error("could not read the company's policy")]
    Store(#[source] store::StoreError),
}

impl Registry {
    /// Lets an agent join the session whose PIN they typed. Every failure is counted
    /// against the agent's and the company's limits and audited with its reason.
    pub async fn redeem_pin(&self, agent: &store::Agent, typed: &str) -> Result<Joined, JoinError> {
        let directory = &self.inner.directory;
        let outcome = match directory.take_pin(&agent.id, &agent.company, typed).await {
            Ok(session_id) => {
                let live = self.state().sessions.get(&session_id).map(|l| l.handle.clone());
                match live {
                    Some(handle) => Ok((session_id, handle)),
                    // The session ended while its PIN was being taken.
                    None => {
                        directory.pin_failed(&agent.id, &agent.company).await;
                        Err(Refused::Rejected(PinRejection::Unknown))
                    }
                }
            }
            Err(refused) => Err(refused),
        };
        let (session_id, handle) = match outcome {
            Ok(found) => found,
            Err(Refused::Limited(scope)) => {
                metrics::counter!("beside_pin_failures_total", "reason" => "rate_limited")
                    .increment(1);
                self.inner
                    .audit(
                        AuditKind::PinRateLimited,
                        Some(&agent.company),
                        Some(&agent.id),
                        None,
                        serde_json::json!({ "scope": scope }),
                    )
                    .await;
                return Err(JoinError::RateLimited);
            }
            Err(Refused::Rejected(reason)) => {
                metrics::counter!("beside_pin_failures_total", "reason" => reason.as_str())
                    .increment(1);
                self.inner
                    .audit(
                        AuditKind::PinRejected,
                        Some(&agent.company),
                        Some(&agent.id),
                        None,
                        serde_json::json!({ "reason": reason.as_str() }),
                    )
                    .await;
                return Err(JoinError::Rejected(reason));
            }
        };
        let policy = match self.inner.store.company(&agent.company).await {
            Ok(company) => company.map(|c| c.policy).unwrap_or_default(),
            Err(error) => return Err(JoinError::Store(error)),
        };
        let entry = Entry {
            needs_approval: policy.pin_approval,
            starts_with_control: policy.agents_start_with_control,
            permissions: agent.permissions(),
        };
        self.add_agent(agent, session_id, &handle, entry).await.map_err(|e| match e {
            Some(error) => JoinError::Store(error),
            None => JoinError::Rejected(PinRejection::Unknown),
        })
    }

    /// A colleague of the session's company asks to join a live session by its id (a
    /// supervisor, a transfer): they wait until the customer approves them.
    pub async fn request_join(
        &self,
        agent: &store::Agent,
        session_id: &SessionId,
    ) -> Result<Joined, RequestJoinError> {
        let handle = {
            let state = self.state();
            match state.sessions.get(session_id) {
                // A rule-picking session is its administrator's alone.
                Some(live) if live.company == agent.company && live.picking.is_none() => {
                    live.handle.clone()
                }
                _ => return Err(RequestJoinError::NotFound),
            }
        };
        let company =
            self.inner.store.company(&agent.company).await.map_err(RequestJoinError::Store)?;
        let policy = company.map(|c| c.policy).unwrap_or_default();
        let entry = Entry {
            needs_approval: true,
            starts_with_control: policy.agents_start_with_control,
            permissions: agent.permissions(),
        };
        self.add_agent(agent, session_id.clone(), &handle, entry).await.map_err(|e| match e {
            Some(error) => RequestJoinError::Store(error),
            None => RequestJoinError::NotFound,
        })
    }

    /// Puts `agent` into the session with a token of their own. An agent who needs approval is
    /// on record as having joined once the customer lets them in. `Err(None)`: the session
    /// ended meanwhile.
    async fn add_agent(
        &self,
        agent: &store::Agent,
        session_id: SessionId,
        handle: &SessionHandle,
        entry: Entry,
    ) -> Result<Joined, Option<store::StoreError>> {
        let participant = ParticipantId::random();
        if !handle.add_agent(participant.clone(), agent.id.clone(), agent.name.clone(), entry).await
        {
            return Err(None);
        }
        let agent_token = model::random_token();
        if let Some(live) = self.state().sessions.get_mut(&session_id) {
            live.joined = true;
        }
        let holder = TokenHolder { session: session_id.clone(), participant, role: Role::Agent };
        self.inner.directory.add_token(&agent_token, holder).await;
        let company = Some(&agent.company);
        if entry.needs_approval {
            let detail = serde_json::json!({});
            self.inner
                .audit(AuditKind::AgentWaiting, company, Some(&agent.id), Some(&session_id), detail)
                .await;
        } else {
            self.inner.agent_joined(&session_id, &agent.company, &agent.id).await.map_err(Some)?;
        }
        Ok(Joined {
            session_id,
            agent_token: Secret::new(agent_token),
            waiting: entry.needs_approval,
        })
    }

    /// A new PIN for the customer's session (the one before it, if any, no longer works): for
    /// another agent to join, or because the first expired before anyone joined. Only the
    /// session's customer may make one.
    pub async fn renew_pin(&self, holder: &TokenHolder) -> Result<Renewed, TicketError> {
        if holder.role != Role::Customer {
            return Err(TicketError::InvalidToken);
        }
        let (company, shape) = {
            let state = self.state();
            let live = state.sessions.get(&holder.session).ok_or(TicketError::SessionEnded)?;
            (live.company.clone(), live.pin)
        };
        let pin_ttl = shape.ttl;
        let pin = self.inner.directory.issue_pin(&company, &holder.session, shape).await;
        metrics::counter!("beside_pins_renewed_total").increment(1);
        let detail = serde_json::json!({});
        self.inner
            .audit(AuditKind::PinRenewed, Some(&company), None, Some(&holder.session), detail)
            .await;
        Ok(Renewed { pin, expires_at: OffsetDateTime::now_utc() + pin_ttl })
    }
}

impl Inner {
    /// Records that an agent joined (the first stays on record) and audits it.
    pub(super) async fn agent_joined(
        &self,
        session: &SessionId,
        company: &CompanyId,
        agent: &AgentId,
    ) -> Result<(), store::StoreError> {
        self.store.mark_session_joined(session, agent, OffsetDateTime::now_utc()).await?;
        let detail = serde_json::json!({});
        self.audit(AuditKind::AgentJoined, Some(company), Some(agent), Some(session), detail).await;
        Ok(())
    }
}
