//! The node's live sessions: creating them, PIN redemption, participant tokens and
//! single-use connection tickets (kept in a `Directory`), and what every node hears (a `Bus`).

use crate::actor::Actor;
use crate::bus::{Bus, LocalBus, Notice};
use crate::directory::{Directory, MemoryDirectory, PinLimits, Refused};
use crate::events::{Report, Reporter, SessionEvent};
use crate::handle::{Entry, SessionHandle};
use crate::page::CloudBrowser;
use crate::Config;
use browser::TabOptions;
use model::{AgentId, AuditKind, CompanyId, ParticipantId, Pin, Role, Secret, SessionId};
use protocol::{ChatEntry, EndReason};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use store::{AuditEvent, Company, SessionRecord, Store, TranscriptEntry, TranscriptPolicy};
use time::OffsetDateTime;
use tokio::sync::mpsc;

mod rules;
#[cfg(test)]
mod tests;

/// How long a connection ticket can be used.
const TICKET_TTL: Duration = Duration::from_secs(30);

/// A session that was just started for a customer.
#[derive(Debug)]
pub struct Created {
    pub session_id: SessionId,
    pub pin: Pin,
    pub customer_token: Secret<String>,
    pub expires_at: OffsetDateTime,
}

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

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("this node runs as many sessions as it may; try again later")]
    AtCapacity,
    #[error("this client already holds as many sessions waiting for an agent as it may")]
    TooManyWaiting,
    #[error("could not open the cloud browser for the session")]
    Browser(#[source] browser::BrowserError),
    #[error("could not record the session")]
    Store(#[source] store::StoreError),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("the token does not belong to this session")]
    InvalidToken,
    #[error("the session has ended")]
    SessionEnded,
    #[error("the ticket is unknown, used or expired")]
    InvalidTicket,
}

/// Who holds a participant token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    pub session: SessionId,
    pub participant: ParticipantId,
    pub role: Role,
}

/// The node's live sessions. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    browser: Arc<dyn CloudBrowser>,
    store: Store,
    config: Config,
    /// PINs, tokens, tickets and failed-PIN windows.
    directory: Arc<dyn Directory>,
    /// Rule changes and ends for every node.
    bus: Arc<dyn Bus>,
    state: Mutex<State>,
    /// Where sessions report what happened in them.
    events: mpsc::UnboundedSender<Report>,
}

#[derive(Default)]
struct State {
    sessions: HashMap<SessionId, Live>,
    /// The clients (limit keys) of sessions whose browser tab is being opened: they count
    /// against capacity, and as waiting.
    starting: Vec<String>,
    /// The rules version ([`Store::rules_version`]) each company's live sessions apply.
    rules_versions: HashMap<CompanyId, i64>,
}

struct Live {
    handle: SessionHandle,
    company: CompanyId,
    /// The client that started it (its limit key).
    client: String,
    /// Whether an agent has joined; until then it is waiting and counts against the waiting
    /// limits.
    joined: bool,
}

impl Registry {
    /// The registry, and a task that brings rules changed by another process (the command
    /// line) to the live sessions; call it within a Tokio runtime.
    pub fn new(browser: browser::Browser, store: Store, config: Config) -> Registry {
        Registry::with_browser(Arc::new(browser), store, config)
    }

    /// The registry with any cloud browser (the engine's tests give it a fake one).
    pub(crate) fn with_browser(
        browser: Arc<dyn CloudBrowser>,
        store: Store,
        config: Config,
    ) -> Registry {
        let (events, reports) = mpsc::unbounded_channel();
        let state = Mutex::new(State::default());
        let directory = Arc::new(MemoryDirectory::new(PinLimits {
            per_agent_minute: config.pin_attempts_per_agent_minute,
            per_agent_hour: config.pin_attempts_per_agent_hour,
            per_company_hour: config.pin_attempts_per_company_hour,
        }));
        let bus: Arc<dyn Bus> = Arc::new(LocalBus::new());
        let notices = bus.subscribe();
        let inner = Arc::new(Inner { browser, store, config, directory, bus, state, events });
        tokio::spawn(rules::watch_rules(Arc::downgrade(&inner)));
        tokio::spawn(hear_sessions(Arc::downgrade(&inner), reports));
        tokio::spawn(hear_bus(Arc::downgrade(&inner), notices));
        Registry { inner }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state()
    }

    /// Sessions running on this node.
    /// The most a customer may give the page at once, in bytes (`session.max_upload_bytes`).
    pub fn max_upload_bytes(&self) -> u64 {
        self.inner.config.max_upload_bytes
    }

    pub fn n_active(&self) -> usize {
        self.state().sessions.len()
    }

    /// How long a PIN can be redeemed once given.
    pub fn pin_ttl(&self) -> Duration {
        self.inner.config.pin_ttl()
    }

    /// Whether the cloud browser is up (for readiness).
    pub fn browser_healthy(&self) -> bool {
        self.inner.browser.is_healthy()
    }

    /// Whether a connection from `peer` comes from the cloud browser (a page of some session
    /// reaching this server).
    pub fn from_cloud_browser(&self, peer: std::net::SocketAddr) -> bool {
        self.inner.browser.is_own_connection(peer)
    }

    /// Whether the node could run another session now (for readiness): sessions waiting for
    /// an agent end soon by themselves, so a full waiting share does not make a node unready.
    pub fn has_capacity(&self) -> bool {
        let state = self.state();
        state.sessions.len() + state.starting.len() < self.inner.config.max_sessions
    }

    /// Sessions nobody has joined yet (those being opened included), and how many may be.
    pub fn n_waiting(&self) -> (usize, usize) {
        (self.state().n_waiting(None), self.inner.config.max_waiting())
    }

    /// Starts a session for a customer of `company` who is `client` (a limit key, e.g.
    /// [`policy::client::limit_key`]): a fresh browser context at `start_url`, a PIN for the
    /// agent, and the customer's token.
    pub async fn create_session(
        &self,
        company: &Company,
        client: &str,
        start_url: url::Url,
        locale: model::Locale,
    ) -> Result<Created, SessionError> {
        {
            let mut state = self.state();
            let config = &self.inner.config;
            let refused = if state.sessions.len() + state.starting.len() >= config.max_sessions {
                Some(("at_capacity", SessionError::AtCapacity))
            } else if state.n_waiting(None) >= config.max_waiting() {
                Some(("waiting_share", SessionError::AtCapacity))
            } else if state.n_waiting(Some(client)) >= config.max_waiting_per_client {
                Some(("waiting_per_client", SessionError::TooManyWaiting))
            } else {
                None
            };
            if let Some((reason, error)) = refused {
                metrics::counter!("beside_sessions_refused_total", "reason" => reason).increment(1);
                return Err(error);
            }
            state.starting.push(client.to_owned());
        }
        let res = self.start(company, client, start_url, locale).await;
        let mut state = self.state();
        if let Some(at) = state.starting.iter().position(|c| c == client) {
            state.starting.swap_remove(at);
        }
        res
    }

    async fn start(
        &self,
        company: &Company,
        client: &str,
        start_url: url::Url,
        locale: model::Locale,
    ) -> Result<Created, SessionError> {
        let (version, rules) =
            self.inner.company_rules(&company.id).await.map_err(SessionError::Store)?;
        // The company's other live sessions may apply an older version; the watch brings
        // them (and this one) the newer rules.
        self.state().rules_versions.entry(company.id.clone()).or_insert(version);
        let opts = TabOptions {
            viewport: model::Viewport::DEFAULT,
            locale: locale.clone(),
            url: start_url.clone(),
            rules: rules.clone(),
        };
        let opened = self.inner.browser.open(opts).await.map_err(SessionError::Browser)?;
        let session_id = SessionId::random();
        let now = OffsetDateTime::now_utc();
        let record = SessionRecord {
            id: session_id.clone(),
            company: company.id.clone(),
            start_url: start_url.to_string(),
            locale: locale.primary().map(str::to_owned),
            created_at: now,
            agent: None,
            joined_at: None,
            ended_at: None,
            end_reason: None,
        };
        if let Err(error) = self.inner.store.insert_session(&record).await {
            let _ = opened.context.close().await;
            return Err(SessionError::Store(error));
        }
        let pin_ttl = self.inner.config.pin_ttl();
        let config = &self.inner.config;
        let customer = ParticipantId::random();
        let customer_token = model::random_token();
        let actor = Actor {
            id: session_id.clone(),
            company: company.id.clone(),
            created_at: now,
            customer: customer.clone(),
            customer_name: "Customer".to_owned(),
            customer_connect: config.customer_connect(),
            start_url,
            locale,
            rules,
            grace: config.reconnect_grace(),
            idle_limit: config.idle_limit(),
            events_per_second: config.input_events_per_second,
            max_tabs: config.max_tabs,
            download_link_ttl: config.download_link_ttl(),
            browser: self.inner.browser.clone(),
            reporter: Reporter::new(
                session_id.clone(),
                company.id.clone(),
                self.inner.events.clone(),
            ),
        };
        let handle = actor.spawn(opened);
        let directory = &self.inner.directory;
        let pin = directory.issue_pin(&company.id, &session_id, pin_ttl).await;
        let holder = TokenHolder {
            session: session_id.clone(),
            participant: customer,
            role: Role::Customer,
        };
        directory.add_token(&customer_token, holder).await;
        {
            let mut state = self.state();
            let live = Live {
                handle,
                company: company.id.clone(),
                client: client.to_owned(),
                joined: false,
            };
            state.sessions.insert(session_id.clone(), live);
            metrics::gauge!("beside_sessions_active").set(state.sessions.len() as f64);
        }
        metrics::counter!("beside_sessions_started_total").increment(1);
        self.inner
            .audit(
                AuditKind::SessionStarted,
                Some(&company.id),
                None,
                Some(&session_id),
                serde_json::json!({}),
            )
            .await;
        tracing::info!(session_id = %session_id, company = %company.slug, "Session started.");
        Ok(Created {
            session_id,
            pin,
            customer_token: Secret::new(customer_token),
            expires_at: now + pin_ttl,
        })
    }

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
                Some(live) if live.company == agent.company => live.handle.clone(),
                _ => return Err(RequestJoinError::NotFound),
            }
        };
        let company =
            self.inner.store.company(&agent.company).await.map_err(RequestJoinError::Store)?;
        let policy = company.map(|c| c.policy).unwrap_or_default();
        let entry =
            Entry { needs_approval: true, starts_with_control: policy.agents_start_with_control };
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
        let pin_ttl = self.inner.config.pin_ttl();
        let company = {
            let state = self.state();
            let live = state.sessions.get(&holder.session).ok_or(TicketError::SessionEnded)?;
            live.company.clone()
        };
        let pin = self.inner.directory.issue_pin(&company, &holder.session, pin_ttl).await;
        metrics::counter!("beside_pins_renewed_total").increment(1);
        let detail = serde_json::json!({});
        self.inner
            .audit(AuditKind::PinRenewed, Some(&company), None, Some(&holder.session), detail)
            .await;
        Ok(Renewed { pin, expires_at: OffsetDateTime::now_utc() + pin_ttl })
    }

    /// Who holds `token` in `session`.
    pub async fn token_holder(
        &self,
        session: &SessionId,
        token: &str,
    ) -> Result<TokenHolder, TicketError> {
        self.inner.directory.token_holder(session, token).await
    }

    /// A single-use ticket to open one WebSocket, valid for 30 s.
    pub async fn issue_ticket(&self, holder: &TokenHolder) -> (Secret<String>, OffsetDateTime) {
        let ticket = model::random_token();
        self.inner.directory.add_ticket(&ticket, holder.clone(), TICKET_TTL).await;
        (Secret::new(ticket), OffsetDateTime::now_utc() + TICKET_TTL)
    }

    /// Uses up a ticket and returns the session it opens.
    pub async fn redeem_ticket(
        &self,
        session: &SessionId,
        ticket: &str,
    ) -> Result<(SessionHandle, TokenHolder), TicketError> {
        let holder = self.inner.directory.take_ticket(session, ticket).await?;
        let handle = self.session(session).ok_or(TicketError::SessionEnded)?;
        Ok((handle, holder))
    }

    /// Ends the session for `reason`: here when it runs on this node, else by telling the node
    /// that runs it. Whether it ran here.
    pub async fn end_session(&self, id: &SessionId, reason: EndReason) -> bool {
        match self.session(id) {
            Some(handle) => {
                handle.end(reason).await;
                true
            }
            None => {
                self.inner.bus.publish(Notice::End { session: id.clone(), reason }).await;
                false
            }
        }
    }

    pub fn session(&self, id: &SessionId) -> Option<SessionHandle> {
        self.state().sessions.get(id).map(|live| live.handle.clone())
    }

    pub fn session_company(&self, id: &SessionId) -> Option<CompanyId> {
        self.state().sessions.get(id).map(|live| live.company.clone())
    }

    /// Ends every session (server shutdown) and waits until they are gone.
    pub async fn end_all(&self, reason: EndReason) {
        let handles: Vec<SessionHandle> =
            self.state().sessions.values().map(|l| l.handle.clone()).collect();
        for handle in &handles {
            handle.end(reason).await;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.n_active() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Acts on what sessions report, until the registry and every session are gone. Store writes
/// run on their own, so a slow one holds up no other session's event.
async fn hear_sessions(
    inner: std::sync::Weak<Inner>,
    mut reports: mpsc::UnboundedReceiver<Report>,
) {
    while let Some(Report { session, company, event }) = reports.recv().await {
        let Some(inner) = inner.upgrade() else { continue };
        match event {
            SessionEvent::ParticipantLeft(participant) => {
                inner.directory.participant_left(&participant).await;
            }
            SessionEvent::AgentInputRefused { code } => {
                tokio::spawn(async move {
                    let detail = serde_json::json!({ "reason": code.as_str() });
                    inner
                        .audit(
                            AuditKind::AgentInputRefused,
                            Some(&company),
                            None,
                            Some(&session),
                            detail,
                        )
                        .await;
                });
            }
            SessionEvent::AgentAdmitted { agent } => {
                tokio::spawn(async move {
                    if let Err(error) = inner.agent_joined(&session, &company, &agent).await {
                        tracing::error!(session_id = %session, %error, "Could not record a join.");
                    }
                });
            }
            SessionEvent::Audit { kind, agent, detail } => {
                tokio::spawn(async move {
                    inner.audit(kind, Some(&company), agent.as_ref(), Some(&session), detail).await;
                });
            }
            SessionEvent::PageRecovered { op, recovery, n_dropped } => {
                tokio::spawn(async move {
                    let detail = serde_json::json!({
                        "op": op,
                        "recovery": recovery.as_str(),
                        "dropped_inputs": n_dropped,
                    });
                    inner
                        .audit(
                            AuditKind::PageRecovered,
                            Some(&company),
                            None,
                            Some(&session),
                            detail,
                        )
                        .await;
                });
            }
            SessionEvent::Ended { reason, transcript, recorded } => {
                inner.forget_session(&session).await;
                tokio::spawn(async move {
                    inner.record_end(&session, &company, reason).await;
                    inner.keep_transcript(&session, &company, transcript).await;
                    let _ = recorded.send(());
                });
            }
        }
    }
}

/// Acts on the notices of the bus, until the registry is gone.
async fn hear_bus(
    inner: std::sync::Weak<Inner>,
    mut notices: tokio::sync::broadcast::Receiver<Notice>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let notice = match notices.recv().await {
            Ok(notice) => notice,
            Err(RecvError::Closed) => return,
            // Missed rule changes are caught up by the rules watch.
            Err(RecvError::Lagged(n_missed)) => {
                tracing::warn!(n_missed, "The registry missed notices of the bus.");
                continue;
            }
        };
        let Some(inner) = inner.upgrade() else { return };
        match notice {
            Notice::RulesChanged(company) => inner.apply_rules_if_stale(&company).await,
            Notice::End { session, reason } => {
                let handle = inner.state().sessions.get(&session).map(|l| l.handle.clone());
                if let Some(handle) = handle {
                    handle.end(reason).await;
                }
            }
        }
    }
}

impl State {
    /// Sessions nobody has joined yet, those being opened included; of `client` only, when
    /// given.
    fn n_waiting(&self, client: Option<&str>) -> usize {
        let of = |c: &str| client.is_none_or(|want| want == c);
        self.sessions.values().filter(|l| !l.joined && of(&l.client)).count()
            + self.starting.iter().filter(|c| of(c)).count()
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("registry lock is never poisoned: no code panics while holding it")
    }

    /// A session is over: forget everything live about it.
    async fn forget_session(&self, id: &SessionId) {
        let n_active = {
            let mut state = self.state();
            state.sessions.remove(id);
            state.sessions.len()
        };
        metrics::gauge!("beside_sessions_active").set(n_active as f64);
        self.directory.session_ended(id).await;
    }

    /// Keeps the record of how the session ended (the record outlives the session).
    async fn record_end(&self, id: &SessionId, company: &CompanyId, reason: EndReason) {
        metrics::counter!("beside_sessions_ended_total", "reason" => reason.as_str()).increment(1);
        if let Err(error) =
            self.store.mark_session_ended(id, OffsetDateTime::now_utc(), reason.as_str()).await
        {
            tracing::error!(session_id = %id, %error, "Could not record the end of the session.");
        }
        self.audit(
            AuditKind::SessionEnded,
            Some(company),
            None,
            Some(id),
            serde_json::json!({ "reason": reason.as_str() }),
        )
        .await;
    }

    /// Records that an agent joined (the first stays on record) and audits it.
    async fn agent_joined(
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

    /// Keeps the chat of an ended session when its company's policy (as it is now) says so;
    /// otherwise it goes with the session (F4).
    async fn keep_transcript(
        &self,
        session: &SessionId,
        company: &CompanyId,
        entries: Vec<ChatEntry>,
    ) {
        if entries.is_empty() {
            return;
        }
        let policy = match self.store.company(company).await {
            Ok(found) => found.map(|c| c.policy).unwrap_or_default(),
            Err(error) => {
                tracing::error!(session_id = %session, %error, "Could not read the transcript policy; the chat is not kept.");
                return;
            }
        };
        if policy.transcripts != TranscriptPolicy::Keep {
            return;
        }
        let entries: Vec<TranscriptEntry> = entries.into_iter().map(transcript_entry).collect();
        match self.store.save_transcript(session, &entries).await {
            Ok(()) => {
                let detail = serde_json::json!({ "entries": entries.len() });
                self.audit(AuditKind::TranscriptKept, Some(company), None, Some(session), detail)
                    .await;
            }
            Err(error) => {
                tracing::error!(session_id = %session, %error, "Could not keep the chat transcript.");
            }
        }
    }

    async fn audit(
        &self,
        kind: AuditKind,
        company: Option<&CompanyId>,
        agent: Option<&AgentId>,
        session: Option<&SessionId>,
        detail: serde_json::Value,
    ) {
        let ev = AuditEvent {
            at: OffsetDateTime::now_utc(),
            company: company.cloned(),
            agent: agent.cloned(),
            session: session.cloned(),
            kind: kind.to_string(),
            detail,
        };
        if let Err(error) = self.store.record_audit(&ev).await {
            tracing::error!(%kind, %error, "Could not write an audit event.");
        }
    }
}

/// A chat entry as the transcript keeps it.
fn transcript_entry(entry: ChatEntry) -> TranscriptEntry {
    let at = |ms: i64| {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    };
    match entry {
        ChatEntry::Text { id, at_ms, name, role, text, .. } => TranscriptEntry {
            seq: i64::try_from(id).unwrap_or(i64::MAX),
            at: at(at_ms),
            kind: store::EntryKind::Text,
            role,
            name,
            body: text,
        },
        ChatEntry::System { id, at_ms, event, name, role } => TranscriptEntry {
            seq: i64::try_from(id).unwrap_or(i64::MAX),
            at: at(at_ms),
            kind: store::EntryKind::System,
            role,
            name,
            body: event.as_str().to_owned(),
        },
    }
}
