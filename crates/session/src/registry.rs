//! The node's live sessions: creating them, PIN redemption, participant tokens and
//! single-use connection tickets.

use crate::actor::Actor;
use crate::events::{Report, Reporter, SessionEvent};
use crate::handle::{Entry, SessionHandle};
use crate::limits::Window;
use crate::page::CloudBrowser;
use crate::Config;
use browser::TabOptions;
use model::{AgentId, AuditKind, CompanyId, ParticipantId, Pin, Role, Secret, SessionId};
use protocol::{ChatEntry, EndReason};
use sha2::{Digest, Sha256};
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
/// How long a participant token of an ended session still answers `session_ended`.
const ENDED_TOKEN_MEMORY: Duration = Duration::from_secs(15 * 60);

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
    state: Mutex<State>,
    /// Where sessions report what happened in them.
    events: mpsc::UnboundedSender<Report>,
}

#[derive(Default)]
struct State {
    sessions: HashMap<SessionId, Live>,
    pins: HashMap<(CompanyId, Pin), PinEntry>,
    tokens: HashMap<[u8; 32], TokenEntry>,
    tickets: HashMap<[u8; 32], TicketEntry>,
    agent_failures: HashMap<AgentId, AgentFailures>,
    company_failures: HashMap<CompanyId, Window>,
    /// The clients (limit keys) of sessions whose browser tab is being opened: they count
    /// against capacity, and as waiting.
    starting: Vec<String>,
    /// The rules version ([`Store::rules_version`]) each company's live sessions apply.
    rules_versions: HashMap<CompanyId, i64>,
}

/// Why a PIN was not even looked at, or what was wrong with it.
enum Refused {
    /// A limit is used up: `agent_minute`, `agent_hour` or `company_hour`.
    Limited(&'static str),
    Rejected(PinRejection),
}

/// An agent's wrong PINs, in the last minute and the last hour.
struct AgentFailures {
    minute: Window,
    hour: Window,
}

impl AgentFailures {
    fn new(config: &Config) -> AgentFailures {
        AgentFailures {
            minute: Window::new(config.pin_attempts_per_agent_minute, Duration::from_secs(60)),
            hour: Window::new(config.pin_attempts_per_agent_hour, Duration::from_secs(3600)),
        }
    }

    /// Which of the agent's limits is used up, if any.
    fn full(&mut self, now: Instant) -> Option<&'static str> {
        if self.minute.is_full(now) {
            Some("agent_minute")
        } else if self.hour.is_full(now) {
            Some("agent_hour")
        } else {
            None
        }
    }

    fn record(&mut self, now: Instant) {
        self.minute.record(now);
        self.hour.record(now);
    }

    fn is_idle(&mut self, now: Instant) -> bool {
        self.hour.is_idle(now)
    }
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

struct PinEntry {
    session: SessionId,
    expires: Instant,
}

struct TokenEntry {
    holder: TokenHolder,
    ended: Option<Instant>,
}

struct TicketEntry {
    holder: TokenHolder,
    expires: Instant,
}

/// Tokens and tickets are looked up by their SHA-256, so the table never holds them.
fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
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
        let inner = Arc::new(Inner { browser, store, config, state, events });
        tokio::spawn(rules::watch_rules(Arc::downgrade(&inner)));
        tokio::spawn(hear_sessions(Arc::downgrade(&inner), reports));
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
        let pin_deadline = Instant::now() + pin_ttl;
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
        let pin = {
            let mut state = self.state();
            let pin = state.issue_pin(&company.id, &session_id, pin_deadline);
            state.tokens.insert(
                key(&customer_token),
                TokenEntry {
                    holder: TokenHolder {
                        session: session_id.clone(),
                        participant: customer,
                        role: Role::Customer,
                    },
                    ended: None,
                },
            );
            let live = Live {
                handle,
                company: company.id.clone(),
                client: client.to_owned(),
                joined: false,
            };
            state.sessions.insert(session_id.clone(), live);
            metrics::gauge!("beside_sessions_active").set(state.sessions.len() as f64);
            pin
        };
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
        let now = Instant::now();
        let outcome = {
            let mut state = self.state();
            let config = &self.inner.config;
            // An agent's hourly limit is below the company's (`Config::validate`), so one
            // agent's wrong PINs cannot use up the company's and stop a colleague.
            let agent_full = state
                .agent_failures
                .entry(agent.id.clone())
                .or_insert_with(|| AgentFailures::new(config))
                .full(now);
            let company_full = state
                .company_failures
                .entry(agent.company.clone())
                .or_insert_with(|| {
                    Window::new(config.pin_attempts_per_company_hour, Duration::from_secs(3600))
                })
                .is_full(now)
                .then_some("company_hour");
            if let Some(scope) = agent_full.or(company_full) {
                Err(Refused::Limited(scope))
            } else {
                let res = match Pin::parse(typed) {
                    Err(_) => Err(PinRejection::Malformed),
                    Ok(pin) => match state.pins.remove(&(agent.company.clone(), pin)) {
                        None => Err(PinRejection::Unknown),
                        Some(entry) if entry.expires <= now => Err(PinRejection::Expired),
                        Some(entry) => match state.sessions.get(&entry.session) {
                            Some(live) => Ok((entry.session, live.handle.clone())),
                            None => Err(PinRejection::Unknown),
                        },
                    },
                };
                if res.is_err() {
                    if let Some(w) = state.agent_failures.get_mut(&agent.id) {
                        w.record(now);
                    }
                    if let Some(w) = state.company_failures.get_mut(&agent.company) {
                        w.record(now);
                    }
                }
                res.map_err(Refused::Rejected)
            }
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
        {
            let mut state = self.state();
            if let Some(live) = state.sessions.get_mut(&session_id) {
                live.joined = true;
            }
            let holder =
                TokenHolder { session: session_id.clone(), participant, role: Role::Agent };
            state.tokens.insert(key(&agent_token), TokenEntry { holder, ended: None });
        }
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
        let (pin, company) = {
            let mut state = self.state();
            let live = state.sessions.get(&holder.session).ok_or(TicketError::SessionEnded)?;
            let company = live.company.clone();
            let now = Instant::now();
            state.pins.retain(|_, entry| entry.session != holder.session && entry.expires > now);
            let pin = state.issue_pin(&company, &holder.session, now + pin_ttl);
            (pin, company)
        };
        metrics::counter!("beside_pins_renewed_total").increment(1);
        let detail = serde_json::json!({});
        self.inner
            .audit(AuditKind::PinRenewed, Some(&company), None, Some(&holder.session), detail)
            .await;
        Ok(Renewed { pin, expires_at: OffsetDateTime::now_utc() + pin_ttl })
    }

    /// Who holds `token` in `session`.
    pub fn token_holder(
        &self,
        session: &SessionId,
        token: &str,
    ) -> Result<TokenHolder, TicketError> {
        let state = self.state();
        match state.tokens.get(&key(token)) {
            Some(entry) if &entry.holder.session == session => match entry.ended {
                Some(_) => Err(TicketError::SessionEnded),
                None => Ok(entry.holder.clone()),
            },
            _ => Err(TicketError::InvalidToken),
        }
    }

    /// A single-use ticket to open one WebSocket, valid for 30 s.
    pub fn issue_ticket(&self, holder: &TokenHolder) -> (Secret<String>, OffsetDateTime) {
        let ticket = model::random_token();
        let now = Instant::now();
        let mut state = self.state();
        state.tickets.retain(|_, t| t.expires > now);
        state.tickets.insert(
            key(&ticket),
            TicketEntry { holder: holder.clone(), expires: now + TICKET_TTL },
        );
        (Secret::new(ticket), OffsetDateTime::now_utc() + TICKET_TTL)
    }

    /// Uses up a ticket and returns the session it opens.
    pub fn redeem_ticket(
        &self,
        session: &SessionId,
        ticket: &str,
    ) -> Result<(SessionHandle, TokenHolder), TicketError> {
        let mut state = self.state();
        let entry = state.tickets.remove(&key(ticket)).ok_or(TicketError::InvalidTicket)?;
        if entry.expires <= Instant::now() || &entry.holder.session != session {
            return Err(TicketError::InvalidTicket);
        }
        let live = state.sessions.get(session).ok_or(TicketError::SessionEnded)?;
        Ok((live.handle.clone(), entry.holder))
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
            SessionEvent::ParticipantLeft(participant) => inner.forget_participant(&participant),
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
                inner.forget_session(&session);
                tokio::spawn(async move {
                    inner.record_end(&session, &company, reason).await;
                    inner.keep_transcript(&session, &company, transcript).await;
                    let _ = recorded.send(());
                });
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

    /// A fresh PIN of `company` for `session`, unlike any of the company's live ones.
    fn issue_pin(&mut self, company: &CompanyId, session: &SessionId, expires: Instant) -> Pin {
        let now = Instant::now();
        let pin = loop {
            let pin = Pin::generate();
            let taken =
                self.pins.get(&(company.clone(), pin)).is_some_and(|entry| entry.expires > now);
            if !taken {
                break pin;
            }
        };
        self.pins.insert((company.clone(), pin), PinEntry { session: session.clone(), expires });
        pin
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("registry lock is never poisoned: no code panics while holding it")
    }

    fn forget_participant(&self, participant: &ParticipantId) {
        let now = Instant::now();
        for entry in self.state().tokens.values_mut() {
            if &entry.holder.participant == participant {
                entry.ended = Some(now);
            }
        }
    }

    /// A session is over: forget everything live about it.
    fn forget_session(&self, id: &SessionId) {
        let now = Instant::now();
        let mut state = self.state();
        state.sessions.remove(id);
        state.pins.retain(|_, entry| &entry.session != id && entry.expires > now);
        state.tickets.retain(|_, t| &t.holder.session != id);
        for entry in state.tokens.values_mut() {
            if &entry.holder.session == id && entry.ended.is_none() {
                entry.ended = Some(now);
            }
        }
        state
            .tokens
            .retain(|_, e| e.ended.is_none_or(|t| now.duration_since(t) < ENDED_TOKEN_MEMORY));
        state.agent_failures.retain(|_, w| !w.is_idle(now));
        state.company_failures.retain(|_, w| !w.is_idle(now));
        metrics::gauge!("beside_sessions_active").set(state.sessions.len() as f64);
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
