//! One task per session: it owns the session's state, and is the only place where it changes.
//!
//! The loop only dispatches: commands from handles, what the tab says and deadlines go to the
//! parts that own the state (`Roster`, `SessionTab`), and what they produce goes out to the
//! viewers. The registry hears from the session through events (`Reporter`), never by a
//! reference back into it.

use crate::events::{Reporter, SessionEvent};
use crate::handle::{Command, SessionHandle};
use crate::page::{CloudBrowser, Opened};
use crate::roster::Roster;
use crate::tab::{Changes, SessionTab, Signal};
use crate::worker::WorkerEvent;
use browser::{TabEvent, TabOptions};
use model::{CompanyId, ParticipantId, Role, SessionId, Viewport};
use policy::rules::CompanyRule;
use protocol::{EndReason, ServerMessage};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tracing::Instrument;

mod commands;
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
    /// Until when the PIN can be redeemed; the session ends then if no agent joined.
    pub(crate) pin_deadline: Instant,
    pub(crate) start_url: url::Url,
    pub(crate) locale: Option<String>,
    /// The company's masking and blocking rules in force.
    pub(crate) rules: Arc<[CompanyRule]>,
    /// How long a dropped participant may take to come back.
    pub(crate) grace: Duration,
    /// Input events a participant may send per second.
    pub(crate) events_per_second: u32,
    /// Where a lost page is reopened.
    pub(crate) browser: Arc<dyn CloudBrowser>,
    pub(crate) reporter: Reporter,
}

/// The session's state, owned by its task.
struct Session {
    roster: Roster,
    tab: SessionTab,
    /// The page area, as the customer's window sets it.
    viewport: Viewport,
    agent_joined: bool,
}

impl Actor {
    /// Starts the session's task with its opened page.
    pub(crate) fn spawn(self, (page, events): Opened) -> SessionHandle {
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let handle = SessionHandle::new(self.id.clone(), tx);
        // The session's task and its tab's worker run in the session's span.
        let span = tracing::info_span!("session", session_id = %self.id, company = %self.company);
        let _entered = span.enter();
        let mut roster = Roster::new(self.events_per_second);
        // The customer has until the grace period ends to open the view.
        roster.add(
            self.customer.clone(),
            self.customer_name.clone(),
            Role::Customer,
            Instant::now(),
        );
        let session = Session {
            roster,
            tab: SessionTab::start(page, events, &self.start_url),
            viewport: Viewport::DEFAULT,
            agent_joined: false,
        };
        tokio::spawn(self.run(session, rx).in_current_span());
        handle
    }

    async fn run(mut self, mut s: Session, mut commands: mpsc::Receiver<Command>) {
        let reason = loop {
            let deadline = self.next_deadline(&s);
            tokio::select! {
                cmd = commands.recv() => {
                    let Some(cmd) = cmd else { break EndReason::ServerShutdown };
                    if let Some(reason) = self.on_command(&mut s, cmd) {
                        break reason;
                    }
                }
                signal = s.tab.next() => match signal {
                    Signal::Page(TabEvent::Lost) | Signal::Closed => {
                        let opts = TabOptions {
                            viewport: s.viewport,
                            locale: self.locale.clone(),
                            url: s.tab.address().unwrap_or_else(|| self.start_url.clone()),
                            rules: self.rules.clone(),
                        };
                        if !s.tab.reopen(self.browser.as_ref(), opts).await {
                            break EndReason::BrowserFailed;
                        }
                    }
                    Signal::Page(TabEvent::Crashed) => {
                        tracing::warn!("The page crashed; it is being reloaded.");
                    }
                    Signal::Page(event) => {
                        let changes = s.tab.on_event(event, Instant::now());
                        pass_on(&mut s, changes);
                    }
                    Signal::Worker(WorkerEvent::Refused(participant, rejection)) => {
                        self.on_refused(&mut s, &participant, rejection);
                    }
                    Signal::Worker(WorkerEvent::Copied(participant, text)) => {
                        s.roster.send_to(&participant, ServerMessage::Clipboard { text });
                    }
                },
                () = sleep_until(deadline) => {
                    if let Some(reason) = self.on_deadline(&mut s) {
                        break reason;
                    }
                }
            }
        };
        self.finish(s, reason).await;
    }

    /// The time of the next held-frame, grace-period or PIN expiry check.
    fn next_deadline(&self, s: &Session) -> Instant {
        let mut next = if s.agent_joined { Instant::now() + IDLE_WAKE } else { self.pin_deadline };
        for due in [s.tab.deadline(), s.roster.next_expiry(self.grace)].into_iter().flatten() {
            next = next.min(due);
        }
        next
    }

    fn on_deadline(&mut self, s: &mut Session) -> Option<EndReason> {
        let now = Instant::now();
        let frames = s.tab.on_deadline(now);
        s.roster.fan_out(&frames);
        if !s.agent_joined && now >= self.pin_deadline {
            return Some(EndReason::PinExpired);
        }
        let expired = s.roster.expired(self.grace, now);
        if expired.customer {
            return Some(EndReason::CustomerLeft);
        }
        if !expired.agents.is_empty() {
            for id in expired.agents {
                s.roster.remove(&id);
                self.reporter.report(SessionEvent::ParticipantLeft(id));
            }
            tracing::info!("Agent did not come back within the grace period.");
            s.roster.broadcast_participants(None);
        }
        None
    }

    async fn finish(self, mut s: Session, reason: EndReason) {
        tracing::info!(reason = reason.as_str(), "Session ended.");
        // The registry forgets the session first: from the moment anyone hears it ended, its
        // tokens say so.
        self.reporter.ended(reason).await;
        s.roster.broadcast(None, &ServerMessage::Ended { reason });
        // Dropping the connections closes every viewer's feed after the `Ended` message.
        s.roster.close_all();
        if let Err(error) = s.tab.close().await {
            tracing::warn!(%error, "Could not dispose the browser context.");
        }
    }
}

/// Passes on what an event of the page changed: frames to their viewers, outlines to the
/// customers, the page's state to everyone (agents with masked values taken out).
fn pass_on(s: &mut Session, changes: Changes) {
    s.roster.fan_out(&changes.frames);
    if changes.outlines {
        s.roster.send_to_customers(None, &s.tab.outlines());
    }
    if changes.page {
        let customers = ServerMessage::Page { page: s.tab.state(Role::Customer).clone() };
        let agents = ServerMessage::Page { page: s.tab.state(Role::Agent).clone() };
        s.roster.broadcast_by_role(&customers, &agents);
    }
}
