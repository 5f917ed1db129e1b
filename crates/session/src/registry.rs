//! The node's live sessions: creating them, PIN redemption, participant tokens and
//! single-use connection tickets (kept in a `Directory`), and what every node hears (a `Bus`).

use crate::bus::{Bus, LocalBus, Notice};
use crate::directory::{Directory, MemoryDirectory, PinLimits, PinShape};
use crate::events::Report;
use crate::handle::SessionHandle;
use crate::page::CloudBrowser;
use crate::Config;
use browser::TabOptions;
use model::{AuditKind, CompanyId, ParticipantId, Pin, Role, Secret, SessionId};
use protocol::EndReason;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use store::{Company, SessionRecord, Store};
use time::OffsetDateTime;
use tokio::sync::mpsc;

mod hear;
mod hooks;
mod join;
mod picking;
mod rules;
mod seat;

use hear::{hear_bus, hear_sessions};
pub use join::{JoinError, Joined, PinRejection, Renewed, RequestJoinError};
pub use picking::Picking;
use seat::{domain_lists, Seat};
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
    /// For a rule-picking session (F20): the administrator whose session it is.
    picking: Option<model::AgentId>,
    /// What its company's PINs are like, for a renewed PIN.
    pin: PinShape,
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
    /// agent, and the customer's token; the site's `reference` (a ticket number) goes on record.
    pub async fn create_session(
        &self,
        company: &Company,
        client: &str,
        start_url: url::Url,
        locale: model::Locale,
        reference: Option<String>,
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
        let res = self.start(company, client, start_url, locale, reference).await;
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
        reference: Option<String>,
    ) -> Result<Created, SessionError> {
        let (version, rules) =
            self.inner.company_rules(&company.id).await.map_err(SessionError::Store)?;
        // The company's other live sessions may apply an older version; the watch brings
        // them (and this one) the newer rules.
        self.state().rules_versions.entry(company.id.clone()).or_insert(version);
        let domains = Arc::new(domain_lists(company));
        let opts = TabOptions {
            viewport: model::Viewport::DEFAULT,
            locale: locale.clone(),
            url: start_url.clone(),
            rules: rules.clone(),
            domains: domains.clone(),
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
            reference,
        };
        if let Err(error) = self.inner.store.insert_session(&record).await {
            let _ = opened.context.close().await;
            return Err(SessionError::Store(error));
        }
        let shape = self.inner.pin_shape(company);
        let pin_ttl = shape.ttl;
        let customer = ParticipantId::random();
        let customer_token = model::random_token();
        let seat = Seat {
            id: &session_id,
            company: &company.id,
            customer: &customer,
            name: "Customer",
            pdfs: company.policy.pdfs,
            domains,
        };
        let actor = self.actor(seat, now, start_url, locale, rules);
        let handle = actor.spawn(opened);
        let directory = &self.inner.directory;
        let pin = directory.issue_pin(&company.id, &session_id, shape).await;
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
                picking: None,
                pin: shape,
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
        self.inner.queue_started(&record).await;
        tracing::info!(session_id = %session_id, company = %company.slug, "Session started.");
        Ok(Created {
            session_id,
            pin,
            customer_token: Secret::new(customer_token),
            expires_at: now + pin_ttl,
        })
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
}
