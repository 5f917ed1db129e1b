//! Who may enter which session: PINs, participant tokens, single-use connection tickets and the
//! windows of failed PIN attempts, behind the `Directory` trait. `MemoryDirectory` keeps them in
//! this process (one node); a directory shared by several nodes implements the same trait.
//!
//! Tokens and tickets are kept by their SHA-256, so a directory never holds them.

use crate::limits::Window;
use crate::registry::{PinRejection, TicketError, TokenHolder};
use model::{AgentId, CompanyId, ParticipantId, Pin, SessionId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a directory operation returns: a shared directory answers over the network.
pub(crate) type Reply<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How long a participant token of an ended session still answers `session_ended`.
const ENDED_TOKEN_MEMORY: Duration = Duration::from_secs(15 * 60);

/// Why a PIN was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A limit is used up, so the PIN was not even looked at: `agent_minute`, `agent_hour` or
    /// `company_hour`.
    Limited(&'static str),
    Rejected(PinRejection),
}

/// How many wrong PINs an agent and a company may type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PinLimits {
    pub(crate) per_agent_minute: u32,
    pub(crate) per_agent_hour: u32,
    pub(crate) per_company_hour: u32,
}

/// What a company's PINs are like: how many digits, and how long they can be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PinShape {
    pub(crate) digits: usize,
    pub(crate) ttl: Duration,
}

impl PinShape {
    /// Six digits, for `ttl`.
    #[cfg(test)]
    pub(crate) fn six(ttl: Duration) -> PinShape {
        PinShape { digits: Pin::N_DIGITS, ttl }
    }
}

/// The node's or the cluster's record of who may enter which session.
pub(crate) trait Directory: Send + Sync {
    /// A new PIN of `company` for `session`, of `shape.digits` digits, unique among the
    /// company's live PINs and valid for `shape.ttl`; the session's PINs before it stop working.
    fn issue_pin<'a>(
        &'a self,
        company: &'a CompanyId,
        session: &'a SessionId,
        shape: PinShape,
    ) -> Reply<'a, Pin>;

    /// Takes the PIN `typed` of the agent's company (each PIN is taken once). A wrong one counts
    /// against the agent's and the company's windows; while one is used up, no PIN is looked at.
    fn take_pin<'a>(
        &'a self,
        agent: &'a AgentId,
        company: &'a CompanyId,
        typed: &'a str,
    ) -> Reply<'a, Result<SessionId, Refused>>;

    /// Counts a PIN that was taken but led nowhere (its session ended meanwhile) as wrong.
    fn pin_failed<'a>(&'a self, agent: &'a AgentId, company: &'a CompanyId) -> Reply<'a, ()>;

    /// Remembers who holds `token`.
    fn add_token<'a>(&'a self, token: &'a str, holder: TokenHolder) -> Reply<'a, ()>;

    /// Who holds `token` in `session`.
    fn token_holder<'a>(
        &'a self,
        session: &'a SessionId,
        token: &'a str,
    ) -> Reply<'a, Result<TokenHolder, TicketError>>;

    /// Remembers a single-use `ticket` for `holder`, valid for `ttl`.
    fn add_ticket<'a>(
        &'a self,
        ticket: &'a str,
        holder: TokenHolder,
        ttl: Duration,
    ) -> Reply<'a, ()>;

    /// Uses up a ticket for `session` and says whose it was.
    fn take_ticket<'a>(
        &'a self,
        session: &'a SessionId,
        ticket: &'a str,
    ) -> Reply<'a, Result<TokenHolder, TicketError>>;

    /// A participant left for good: their token answers `session_ended` from now on.
    fn participant_left<'a>(&'a self, participant: &'a ParticipantId) -> Reply<'a, ()>;

    /// A session ended: its PINs and tickets go, its tokens answer `session_ended` for a while.
    fn session_ended<'a>(&'a self, session: &'a SessionId) -> Reply<'a, ()>;
}

/// The directory of one node, in memory.
pub(crate) struct MemoryDirectory {
    limits: PinLimits,
    state: Mutex<Tables>,
}

#[derive(Default)]
struct Tables {
    pins: HashMap<(CompanyId, Pin), PinEntry>,
    tokens: HashMap<[u8; 32], TokenEntry>,
    tickets: HashMap<[u8; 32], TicketEntry>,
    agent_failures: HashMap<AgentId, AgentFailures>,
    company_failures: HashMap<CompanyId, Window>,
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

/// An agent's wrong PINs, in the last minute and the last hour.
struct AgentFailures {
    minute: Window,
    hour: Window,
}

impl AgentFailures {
    fn new(limits: &PinLimits) -> AgentFailures {
        AgentFailures {
            minute: Window::new(limits.per_agent_minute, Duration::from_secs(60)),
            hour: Window::new(limits.per_agent_hour, Duration::from_secs(3600)),
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
}

/// Tokens and tickets are looked up by their SHA-256, so the tables never hold them.
fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn ready<'a, T: Send + 'a>(value: T) -> Reply<'a, T> {
    Box::pin(std::future::ready(value))
}

impl MemoryDirectory {
    pub(crate) fn new(limits: PinLimits) -> MemoryDirectory {
        MemoryDirectory { limits, state: Mutex::new(Tables::default()) }
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.state
            .lock()
            .expect("directory lock is never poisoned: no code panics while holding it")
    }

    fn record_failure(&self, tables: &mut Tables, agent: &AgentId, company: &CompanyId) {
        let now = Instant::now();
        let limits = &self.limits;
        tables
            .agent_failures
            .entry(agent.clone())
            .or_insert_with(|| AgentFailures::new(limits))
            .record(now);
        tables
            .company_failures
            .entry(company.clone())
            .or_insert_with(|| Window::new(limits.per_company_hour, Duration::from_secs(3600)))
            .record(now);
    }
}

impl Directory for MemoryDirectory {
    fn issue_pin<'a>(
        &'a self,
        company: &'a CompanyId,
        session: &'a SessionId,
        shape: PinShape,
    ) -> Reply<'a, Pin> {
        let ttl = shape.ttl;
        let now = Instant::now();
        let mut tables = self.tables();
        tables.pins.retain(|_, entry| &entry.session != session && entry.expires > now);
        let pin = loop {
            let pin = Pin::generate_with(shape.digits);
            if !tables.pins.contains_key(&(company.clone(), pin)) {
                break pin;
            }
        };
        let entry = PinEntry { session: session.clone(), expires: now + ttl };
        tables.pins.insert((company.clone(), pin), entry);
        ready(pin)
    }

    fn take_pin<'a>(
        &'a self,
        agent: &'a AgentId,
        company: &'a CompanyId,
        typed: &'a str,
    ) -> Reply<'a, Result<SessionId, Refused>> {
        let now = Instant::now();
        let mut tables = self.tables();
        // An agent's hourly limit is below the company's (`Config::validate`), so one agent's
        // wrong PINs cannot use up the company's and stop a colleague.
        let agent_full = tables.agent_failures.get_mut(agent).and_then(|w| w.full(now));
        let company_full = tables
            .company_failures
            .get_mut(company)
            .is_some_and(|w| w.is_full(now))
            .then_some("company_hour");
        if let Some(scope) = agent_full.or(company_full) {
            return ready(Err(Refused::Limited(scope)));
        }
        let res = match Pin::parse(typed) {
            Err(_) => Err(PinRejection::Malformed),
            Ok(pin) => match tables.pins.remove(&(company.clone(), pin)) {
                None => Err(PinRejection::Unknown),
                Some(entry) if entry.expires <= now => Err(PinRejection::Expired),
                Some(entry) => Ok(entry.session),
            },
        };
        if res.is_err() {
            self.record_failure(&mut tables, agent, company);
        }
        ready(res.map_err(Refused::Rejected))
    }

    fn pin_failed<'a>(&'a self, agent: &'a AgentId, company: &'a CompanyId) -> Reply<'a, ()> {
        let mut tables = self.tables();
        self.record_failure(&mut tables, agent, company);
        ready(())
    }

    fn add_token<'a>(&'a self, token: &'a str, holder: TokenHolder) -> Reply<'a, ()> {
        self.tables().tokens.insert(key(token), TokenEntry { holder, ended: None });
        ready(())
    }

    fn token_holder<'a>(
        &'a self,
        session: &'a SessionId,
        token: &'a str,
    ) -> Reply<'a, Result<TokenHolder, TicketError>> {
        let tables = self.tables();
        let res = match tables.tokens.get(&key(token)) {
            Some(entry) if &entry.holder.session == session => match entry.ended {
                Some(_) => Err(TicketError::SessionEnded),
                None => Ok(entry.holder.clone()),
            },
            _ => Err(TicketError::InvalidToken),
        };
        ready(res)
    }

    fn add_ticket<'a>(
        &'a self,
        ticket: &'a str,
        holder: TokenHolder,
        ttl: Duration,
    ) -> Reply<'a, ()> {
        let now = Instant::now();
        let mut tables = self.tables();
        tables.tickets.retain(|_, t| t.expires > now);
        tables.tickets.insert(key(ticket), TicketEntry { holder, expires: now + ttl });
        ready(())
    }

    fn take_ticket<'a>(
        &'a self,
        session: &'a SessionId,
        ticket: &'a str,
    ) -> Reply<'a, Result<TokenHolder, TicketError>> {
        let res = match self.tables().tickets.remove(&key(ticket)) {
            Some(entry) if entry.expires > Instant::now() && &entry.holder.session == session => {
                Ok(entry.holder)
            }
            _ => Err(TicketError::InvalidTicket),
        };
        ready(res)
    }

    fn participant_left<'a>(&'a self, participant: &'a ParticipantId) -> Reply<'a, ()> {
        let now = Instant::now();
        for entry in self.tables().tokens.values_mut() {
            if &entry.holder.participant == participant {
                entry.ended = Some(now);
            }
        }
        ready(())
    }

    fn session_ended<'a>(&'a self, session: &'a SessionId) -> Reply<'a, ()> {
        let now = Instant::now();
        let mut tables = self.tables();
        tables.pins.retain(|_, entry| &entry.session != session && entry.expires > now);
        tables.tickets.retain(|_, t| &t.holder.session != session);
        for entry in tables.tokens.values_mut() {
            if &entry.holder.session == session && entry.ended.is_none() {
                entry.ended = Some(now);
            }
        }
        tables
            .tokens
            .retain(|_, e| e.ended.is_none_or(|t| now.duration_since(t) < ENDED_TOKEN_MEMORY));
        tables.agent_failures.retain(|_, w| !w.hour.is_idle(now));
        tables.company_failures.retain(|_, w| !w.is_idle(now));
        ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Role;

    fn directory(per_agent_minute: u32) -> MemoryDirectory {
        MemoryDirectory::new(PinLimits {
            per_agent_minute,
            per_agent_hour: 20,
            per_company_hour: 50,
        })
    }

    fn holder(session: &SessionId, role: Role) -> TokenHolder {
        TokenHolder { session: session.clone(), participant: ParticipantId::random(), role }
    }

    #[tokio::test]
    async fn a_pin_is_taken_once_and_only_by_its_company() {
        let dir = directory(10);
        let (acme, other) = (CompanyId::random(), CompanyId::random());
        let session = SessionId::random();
        let agent = AgentId::random();
        let pin = dir.issue_pin(&acme, &session, PinShape::six(Duration::from_secs(60))).await;
        let typed = pin.digits();
        let foreign = dir.take_pin(&agent, &other, &typed).await;
        assert_eq!(foreign, Err(Refused::Rejected(PinRejection::Unknown)));
        assert_eq!(dir.take_pin(&agent, &acme, &typed).await, Ok(session.clone()));
        let again = dir.take_pin(&agent, &acme, &typed).await;
        assert_eq!(again, Err(Refused::Rejected(PinRejection::Unknown)));
        let malformed = dir.take_pin(&agent, &acme, "12ab").await;
        assert_eq!(malformed, Err(Refused::Rejected(PinRejection::Malformed)));
    }

    #[tokio::test]
    async fn a_new_pin_replaces_the_sessions_last_and_an_old_one_expires() {
        let dir = directory(10);
        let (company, session, agent) =
            (CompanyId::random(), SessionId::random(), AgentId::random());
        let first = dir.issue_pin(&company, &session, PinShape::six(Duration::from_secs(60))).await;
        let second = dir.issue_pin(&company, &session, PinShape::six(Duration::ZERO)).await;
        if first != second {
            let old = dir.take_pin(&agent, &company, &first.digits()).await;
            assert_eq!(old, Err(Refused::Rejected(PinRejection::Unknown)));
        }
        let expired = dir.take_pin(&agent, &company, &second.digits()).await;
        assert_eq!(expired, Err(Refused::Rejected(PinRejection::Expired)));
    }

    #[tokio::test]
    async fn wrong_pins_use_up_the_agents_window_before_any_pin_is_looked_at() {
        let dir = directory(3);
        let (company, session, agent) =
            (CompanyId::random(), SessionId::random(), AgentId::random());
        let pin = dir.issue_pin(&company, &session, PinShape::six(Duration::from_secs(60))).await;
        let wrong = if pin.digits() == "000000" { "111111" } else { "000000" };
        for _ in 0..2 {
            assert!(matches!(
                dir.take_pin(&agent, &company, wrong).await,
                Err(Refused::Rejected(_))
            ));
        }
        dir.pin_failed(&agent, &company).await;
        let limited = dir.take_pin(&agent, &company, &pin.digits()).await;
        assert_eq!(limited, Err(Refused::Limited("agent_minute")));
        // A colleague is not held up by it.
        let colleague = AgentId::random();
        assert_eq!(dir.take_pin(&colleague, &company, &pin.digits()).await, Ok(session));
    }

    #[tokio::test]
    async fn tokens_and_tickets_answer_for_their_session_until_it_ends() {
        let dir = directory(10);
        let (session, elsewhere) = (SessionId::random(), SessionId::random());
        let customer = holder(&session, Role::Customer);
        let agent = holder(&session, Role::Agent);
        dir.add_token("customer-token", customer.clone()).await;
        dir.add_token("agent-token", agent.clone()).await;
        assert_eq!(dir.token_holder(&session, "customer-token").await, Ok(customer.clone()));
        assert_eq!(
            dir.token_holder(&elsewhere, "customer-token").await,
            Err(TicketError::InvalidToken)
        );
        assert_eq!(dir.token_holder(&session, "nobody").await, Err(TicketError::InvalidToken));

        dir.add_ticket("ticket", customer.clone(), Duration::from_secs(30)).await;
        assert_eq!(dir.take_ticket(&elsewhere, "ticket").await, Err(TicketError::InvalidTicket));
        dir.add_ticket("ticket", customer.clone(), Duration::from_secs(30)).await;
        assert_eq!(dir.take_ticket(&session, "ticket").await, Ok(customer.clone()));
        assert_eq!(dir.take_ticket(&session, "ticket").await, Err(TicketError::InvalidTicket));
        dir.add_ticket("stale", customer.clone(), Duration::ZERO).await;
        assert_eq!(dir.take_ticket(&session, "stale").await, Err(TicketError::InvalidTicket));

        dir.participant_left(&agent.participant).await;
        assert_eq!(dir.token_holder(&session, "agent-token").await, Err(TicketError::SessionEnded));
        assert_eq!(dir.token_holder(&session, "customer-token").await, Ok(customer.clone()));
        dir.add_ticket("late", customer.clone(), Duration::from_secs(30)).await;
        dir.session_ended(&session).await;
        assert_eq!(
            dir.token_holder(&session, "customer-token").await,
            Err(TicketError::SessionEnded)
        );
        assert_eq!(dir.take_ticket(&session, "late").await, Err(TicketError::InvalidTicket));
    }
}
