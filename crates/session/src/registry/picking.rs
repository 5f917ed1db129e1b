//! Rule-picking sessions (F20): an administrator opens an address in the cloud browser to
//! point at what a rule should cover. Such a session is of its own kind:
//! - nobody else can enter it: it has no PIN, and colleagues cannot ask to join it;
//! - the administrator holds its customer seat: it is their own browsing, seen unmasked (with
//!   the fields rules mask outlined, as a customer sees them) and driven by them alone;
//! - "see as an agent" adds an agent seat for the same administrator, whose stream is exactly
//!   an agent's: masked by the company's rules with its drafts applied, blocked controls marked;
//! - it goes through the same egress proxy and navigation policy as every session, and ends
//!   like one (the administrator leaves, stays away past the grace period, or is idle);
//! - it keeps no session record and no chat, so reports count customers' sessions only.

use super::{Live, Registry, Seat, SessionError, TokenHolder};
use crate::directory::PinShape;
use crate::handle::{Entry, SessionHandle};
use browser::TabOptions;
use model::{AuditKind, ParticipantId, Role, Secret, SessionId};
use std::sync::Arc;
use time::OffsetDateTime;

/// A rule-picking session that was just opened.
#[derive(Debug)]
pub struct Picking {
    pub session_id: SessionId,
    /// The administrator's token for the session's customer seat.
    pub token: Secret<String>,
}

impl Registry {
    /// Opens `url` in a session of its own for `admin` to point at what a rule should cover.
    pub async fn open_picker(
        &self,
        admin: &store::Agent,
        url: url::Url,
        locale: model::Locale,
    ) -> Result<Picking, SessionError> {
        {
            let state = self.state();
            if state.sessions.len() + state.starting.len() >= self.inner.config.max_sessions {
                metrics::counter!("beside_sessions_refused_total", "reason" => "at_capacity")
                    .increment(1);
                return Err(SessionError::AtCapacity);
            }
        }
        let rules = self.inner.picking_rules(&admin.company).await.map_err(SessionError::Store)?;
        let company =
            self.inner.store.company(&admin.company).await.map_err(SessionError::Store)?;
        let pdfs = company.as_ref().map(|c| c.policy.pdfs).unwrap_or_default();
        // A rule-picking session goes through the same egress filter as the company's others.
        let domains = Arc::new(company.as_ref().map(super::domain_lists).unwrap_or_default());
        // It has no PIN; the shape is the company's all the same.
        let pin = company.as_ref().map_or_else(
            || PinShape { digits: model::Pin::N_DIGITS, ttl: self.inner.config.pin_ttl() },
            |c| self.inner.pin_shape(c),
        );
        let opts = TabOptions {
            viewport: model::Viewport::DEFAULT,
            locale: locale.clone(),
            url: url.clone(),
            rules: rules.clone(),
            domains: domains.clone(),
        };
        let opened = self.inner.browser.open(opts).await.map_err(SessionError::Browser)?;
        let session_id = SessionId::random();
        let seat_holder = ParticipantId::random();
        let seat = Seat {
            id: &session_id,
            company: &admin.company,
            customer: &seat_holder,
            name: &admin.name,
            pdfs,
            domains,
        };
        let handle =
            self.actor(seat, OffsetDateTime::now_utc(), url.clone(), locale, rules).spawn(opened);
        let token = model::random_token();
        let holder = TokenHolder {
            session: session_id.clone(),
            participant: seat_holder,
            role: Role::Customer,
        };
        self.inner.directory.add_token(&token, holder).await;
        {
            let mut state = self.state();
            let live = Live {
                handle,
                company: admin.company.clone(),
                client: String::new(),
                joined: true,
                picking: Some(admin.id.clone()),
                pin,
            };
            state.sessions.insert(session_id.clone(), live);
            metrics::gauge!("beside_sessions_active").set(state.sessions.len() as f64);
        }
        let detail = serde_json::json!({ "url": url.as_str() });
        self.inner
            .audit(
                AuditKind::RulePickerOpened,
                Some(&admin.company),
                Some(&admin.id),
                Some(&session_id),
                detail,
            )
            .await;
        tracing::info!(session_id = %session_id, agent_id = %admin.id, "Rule-picking session opened.");
        Ok(Picking { session_id, token: Secret::new(token) })
    }

    /// The rule-picking session `id`, when it is `admin`'s (anyone else's, or none: `None`).
    pub fn picker(&self, id: &SessionId, admin: &store::Agent) -> Option<SessionHandle> {
        let state = self.state();
        let live = state.sessions.get(id)?;
        (live.picking.as_ref() == Some(&admin.id) && live.company == admin.company)
            .then(|| live.handle.clone())
    }

    /// A token for an agent seat of `admin`'s rule-picking session `id`, to see it exactly as
    /// an agent would; `None` when it is not theirs or has ended.
    pub async fn preview_as_agent(
        &self,
        id: &SessionId,
        admin: &store::Agent,
    ) -> Option<Secret<String>> {
        let handle = self.picker(id, admin)?;
        let participant = ParticipantId::random();
        let entry = Entry {
            needs_approval: false,
            starts_with_control: false,
            permissions: admin.permissions(),
        };
        if !handle.add_agent(participant.clone(), admin.id.clone(), admin.name.clone(), entry).await
        {
            return None;
        }
        let token = model::random_token();
        let holder = TokenHolder { session: id.clone(), participant, role: Role::Agent };
        self.inner.directory.add_token(&token, holder).await;
        Some(Secret::new(token))
    }
}
