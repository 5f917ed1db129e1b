//! One task per session: it owns the session's state, and is the only place where it changes.
//!
//! The loop only dispatches: commands from handles, what the tabs say and deadlines go to the
//! parts that own the state (`Roster`, `Tabs`), and what they produce goes out to the
//! viewers. The registry hears from the session through events (`Reporter`), never by a
//! reference back into it.

use crate::annotations::Board;
use crate::chat::Chat;
use crate::control::Standing;
use crate::events::Reporter;
use crate::files::Files;
use crate::handle::{Command, SessionHandle};
use crate::page::{CloudBrowser, OpenedContext};
use crate::roster::Roster;
use crate::tabs::Tabs;
use model::{CompanyId, ParticipantId, Role, SessionId, Viewport};
use policy::rules::CompanyRule;
use protocol::{EndReason, ServerMessage, SystemEvent};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tracing::Instrument;

mod client;
mod commands;
mod dialogs;
mod guidance;
pub(crate) mod hung;
mod people;
mod permissions;
mod sign_ins;
mod tabs;

use tabs::pass_on;
#[cfg(test)]
mod tests;

/// Commands that may wait for a busy session; more, and senders wait.
const COMMAND_QUEUE: usize = 256;
/// How far ahead the loop looks when nothing is due.
const IDLE_WAKE: Duration = Duration::from_secs(3600);

/// What a session's task needs to run.
pub(crate) struct Actor {
    pub(crate) id: SessionId,
    pub(crate) company: CompanyId,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) customer: ParticipantId,
    pub(crate) customer_name: String,
    /// How long the customer has to open the view for the first time.
    pub(crate) customer_connect: Duration,
    pub(crate) start_url: url::Url,
    /// The customer's languages and time zone, as the cloud browser presents them.
    pub(crate) locale: model::Locale,
    /// The company's masking and blocking rules in force.
    pub(crate) rules: Arc<[CompanyRule]>,
    /// Where the company lets its sessions go: the address bar refuses other sites, and the
    /// egress proxy every request to them.
    pub(crate) domains: Arc<policy::domains::DomainLists>,
    /// How long a dropped participant may take to come back.
    pub(crate) grace: Duration,
    /// A session nobody did anything in for this long ends.
    pub(crate) idle_limit: Duration,
    /// Input events a participant may send per second.
    pub(crate) events_per_second: u32,
    /// Tabs the session may have open at once.
    pub(crate) max_tabs: usize,
    /// What agents see of a PDF without form fields (the company's setting).
    pub(crate) pdfs: model::PdfView,
    /// How long a download link works.
    pub(crate) download_link_ttl: Duration,
    /// Where a lost page is reopened.
    pub(crate) browser: Arc<dyn CloudBrowser>,
    pub(crate) reporter: Reporter,
}

/// The session's state, owned by its task.
struct Session {
    roster: Roster,
    tabs: Tabs,
    chat: Chat,
    /// The annotations on the page.
    board: Board,
    /// The file chooser open in the page, and the downloads offered to the customer.
    files: Files,
    /// The page area, as the customer's window sets it.
    viewport: Viewport,
    /// An agent redeemed a PIN (even one still waiting for approval): the session is active.
    agent_joined: bool,
    /// When someone last did something (input, navigation, joining, connecting).
    last_active: Instant,
    /// The last dialog id given out.
    next_dialog: u64,
    /// The last sign-in prompt id given out.
    next_sign_in: u64,
}

impl Session {
    /// Writes what happened into the chat, for everyone in the session.
    fn note(&mut self, event: SystemEvent, name: &str, role: Role) {
        if let Some(entry) = self.chat.note(event, name, role, now_ms()) {
            self.roster.broadcast(None, &ServerMessage::Chat { entry });
        }
    }
}

/// The time now in Unix milliseconds, for chat entries.
fn now_ms() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}
/// How a session ends: why, and who ended it when a participant did.
type Ending = (EndReason, Option<ParticipantId>);

impl Actor {
    /// Starts the session's task with its opened browser context.
    pub(crate) fn spawn(self, opened: OpenedContext) -> SessionHandle {
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let handle = SessionHandle::new(self.id.clone(), tx);
        // The session's task and its tab's worker run in the session's span.
        let span = tracing::info_span!("session", session_id = %self.id, company = %self.company);
        let _entered = span.enter();
        let mut roster = Roster::new(self.events_per_second, self.grace);
        // The customer has `customer_connect` to open the view (a start whose customer never
        // comes holds a place that briefly): counted as a connection lost that long before
        // the grace period ends.
        let now = Instant::now();
        let lost_at = (now + self.customer_connect).checked_sub(self.grace).unwrap_or(now);
        roster.add(
            self.customer.clone(),
            self.customer_name.clone(),
            None,
            Standing::customer(),
            lost_at,
        );
        let session = Session {
            roster,
            tabs: Tabs::start(opened, &self.start_url, self.max_tabs, self.pdfs),
            chat: Chat::default(),
            board: Board::default(),
            files: Files::new(self.download_link_ttl),
            viewport: Viewport::DEFAULT,
            agent_joined: false,
            last_active: Instant::now(),
            next_dialog: 0,
            next_sign_in: 0,
        };
        tokio::spawn(self.run(session, rx).in_current_span());
        handle
    }

    async fn run(mut self, mut s: Session, mut commands: mpsc::Receiver<Command>) {
        let ending = loop {
            let deadline = self.next_deadline(&s);
            tokio::select! {
                cmd = commands.recv() => {
                    let Some(cmd) = cmd else { break (EndReason::ServerShutdown, None) };
                    if let Some(ending) = self.on_command(&mut s, cmd) {
                        break ending;
                    }
                }
                signal = s.tabs.next() => {
                    if let Some(reason) = self.on_tabs(&mut s, signal).await {
                        break (reason, None);
                    }
                }
                () = sleep_until(deadline) => {
                    if let Some(reason) = self.on_deadline(&mut s) {
                        break (reason, None);
                    }
                }
            }
        };
        self.finish(s, ending).await;
    }

    /// The time of the next held-frame, grace-period or idle-limit check.
    fn next_deadline(&self, s: &Session) -> Instant {
        let mut next = (Instant::now() + IDLE_WAKE).min(s.last_active + self.idle_limit);
        let held = s.tabs.active().and_then(|tab| tab.deadline());
        let dialog = dialogs::next_due(s);
        let sign_in = sign_ins::next_due(s);
        for due in [held, s.roster.next_expiry(), dialog, sign_in].into_iter().flatten() {
            next = next.min(due);
        }
        next
    }

    fn on_deadline(&mut self, s: &mut Session) -> Option<EndReason> {
        let now = Instant::now();
        let changes = s.tabs.active_mut().map(|tab| tab.on_deadline(now));
        if let Some(changes) = changes {
            pass_on(s, changes);
        }
        // An expired PIN ends nothing: the customer may be using the page, or ask for a new PIN.
        if now >= s.last_active + self.idle_limit {
            return Some(EndReason::Idle);
        }
        self.on_dialogs_due(s, now);
        self.on_sign_ins_due(s, now);
        let expired = s.roster.expired(now);
        if expired.customer {
            return Some(EndReason::CustomerLeft);
        }
        for id in expired.agents {
            tracing::info!("Agent did not come back within the grace period.");
            self.leave(s, &id);
        }
        None
    }

    async fn finish(self, mut s: Session, (reason, by): Ending) {
        tracing::info!(reason = reason.as_str(), "Session ended.");
        // The registry forgets the session first: from the moment anyone hears it ended, its
        // tokens say so.
        self.reporter.ended(reason, std::mem::take(&mut s.chat).into_entries()).await;
        s.roster.broadcast(None, &ServerMessage::Ended { reason, by });
        // Dropping the connections closes every viewer's feed after the `Ended` message.
        s.roster.close_all();
        if let Err(error) = s.tabs.close().await {
            tracing::warn!(%error, "Could not dispose the browser context.");
        }
    }
}
