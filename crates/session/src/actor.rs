//! One task per session: it owns the session's state, and is the only place where it changes.
//!
//! The loop only dispatches: commands from handles, what the tabs say and deadlines go to the
//! parts that own the state (`Roster`, `Tabs`), and what they produce goes out to the
//! viewers. The registry hears from the session through events (`Reporter`), never by a
//! reference back into it.

use crate::annotations::Board;
use crate::chat::Chat;
use crate::control::Standing;
use crate::events::{Reporter, SessionEvent};
use crate::files::{DownloadFile, Files};
use crate::handle::{Command, SessionHandle};
use crate::input::Rejection;
use crate::page::{CloudBrowser, OpenedContext};
use crate::roster::Roster;
use crate::tab::{Changes, Signal};
use crate::tabs::{Adopted, Tabs, TabsSignal};
use crate::worker::{TabOp, WorkerEvent};
use browser::{DownloadEvent, FileChooser, PickerEvent, TabEvent, TabOptions};
use model::{CompanyId, ParticipantId, PickerChoice, PickerId, Role, SessionId, TabId, Viewport};
use policy::rules::CompanyRule;
use protocol::{EndReason, PageRecovery, RejectCode, ServerMessage, SystemEvent};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tracing::Instrument;

mod commands;
mod dialogs;
mod guidance;
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
    /// How long a dropped participant may take to come back.
    pub(crate) grace: Duration,
    /// A session nobody did anything in for this long ends.
    pub(crate) idle_limit: Duration,
    /// Input events a participant may send per second.
    pub(crate) events_per_second: u32,
    /// Tabs the session may have open at once.
    pub(crate) max_tabs: usize,
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
            tabs: Tabs::start(opened, &self.start_url, self.max_tabs),
            chat: Chat::default(),
            board: Board::default(),
            files: Files::new(self.download_link_ttl),
            viewport: Viewport::DEFAULT,
            agent_joined: false,
            last_active: Instant::now(),
            next_dialog: 0,
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
        for due in [held, s.roster.next_expiry(), dialog].into_iter().flatten() {
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

impl Actor {
    /// What a tab or the browser context said.
    async fn on_tabs(&mut self, s: &mut Session, signal: TabsSignal) -> Option<EndReason> {
        match signal {
            TabsSignal::Tab(id, Signal::Page(TabEvent::Lost) | Signal::Closed) => {
                // Not a tab of a context already replaced.
                s.tabs.get(id)?;
                let url = s.tabs.active().and_then(|tab| tab.address());
                let opts = TabOptions {
                    viewport: s.viewport,
                    locale: self.locale.clone(),
                    url: url.unwrap_or_else(|| self.start_url.clone()),
                    rules: self.rules.clone(),
                };
                if !s.tabs.reopen(self.browser.as_ref(), opts).await {
                    return Some(EndReason::BrowserFailed);
                }
                show_active_tab(s);
            }
            TabsSignal::Tab(_, Signal::Page(TabEvent::Crashed)) => {
                tracing::warn!("A page crashed; it is being reloaded.");
            }
            TabsSignal::Tab(id, Signal::Page(TabEvent::Closed)) => {
                tracing::info!(tab = %id, "A page closed its tab.");
                let was_active = s.tabs.active_id() == Some(id);
                if s.tabs.remove(id, false, &self.start_url) && was_active {
                    show_active_tab(s);
                } else {
                    broadcast_strip(s);
                }
            }
            TabsSignal::Tab(id, Signal::Page(TabEvent::Picker(event))) => {
                self.on_picker(s, id, event);
            }
            TabsSignal::Tab(id, Signal::Page(TabEvent::FileChooser(chooser))) => {
                on_file_chooser(s, id, chooser);
            }
            TabsSignal::Tab(_, Signal::Page(TabEvent::Download(event))) => {
                self.on_download(s, event);
            }
            TabsSignal::Tab(id, Signal::Page(TabEvent::Dialog(dialog))) => {
                self.on_dialog(s, id, dialog);
            }
            TabsSignal::Tab(id, Signal::Page(TabEvent::DialogClosed)) => {
                self.on_dialog_closed(s, id);
            }
            TabsSignal::Tab(id, Signal::Page(event)) => {
                if let TabEvent::Page(page) = &event {
                    if let Some(chooser) = s.files.page_moved(id, Some(&page.url)) {
                        s.roster
                            .send_to_customers(None, &ServerMessage::FileChooserClosed { chooser });
                    }
                }
                let now = Instant::now();
                let is_active = s.tabs.active_id() == Some(id);
                let tab = s.tabs.get_mut(id)?;
                let changes = tab.on_event(event, now);
                if is_active {
                    pass_on(s, changes);
                } else if changes.page {
                    broadcast_strip(s);
                }
            }
            TabsSignal::Tab(_, Signal::Worker(WorkerEvent::Refused(participant, rejection))) => {
                self.on_refused(s, &participant, rejection);
            }
            TabsSignal::Tab(
                _,
                Signal::Worker(WorkerEvent::PickRefused(participant, rejection)),
            ) => {
                s.roster.reject(&participant, rejection, Instant::now());
            }
            TabsSignal::Tab(_, Signal::Worker(WorkerEvent::FilesGiven(chooser))) => {
                if s.files.close_chooser(chooser) {
                    s.roster.send_to_customers(None, &ServerMessage::FileChooserClosed { chooser });
                }
                tracing::info!("The customer gave the page files.");
                let name = s.roster.name(&self.customer).unwrap_or_default().to_owned();
                s.note(SystemEvent::FileUploaded, &name, Role::Customer);
            }
            TabsSignal::Tab(_, Signal::Worker(WorkerEvent::Copied(participant, text))) => {
                s.roster.send_to(&participant, ServerMessage::Clipboard { text });
            }
            TabsSignal::Tab(
                _,
                Signal::Worker(WorkerEvent::Recovered { op, recovery, n_dropped }),
            ) => {
                metrics::counter!("beside_page_recoveries_total", "what" => recovery.as_str())
                    .increment(1);
                self.reporter.report(SessionEvent::PageRecovered { op, recovery, n_dropped });
                let told = match recovery {
                    browser::Recovery::Responsive => None,
                    browser::Recovery::DialogAnswered => Some(PageRecovery::DialogAnswered),
                    browser::Recovery::ScriptStopped => Some(PageRecovery::ScriptStopped),
                    browser::Recovery::Crashed => Some(PageRecovery::Reloaded),
                };
                if let Some(recovery) = told {
                    s.roster.broadcast(None, &ServerMessage::PageRecovered { recovery });
                }
            }
            TabsSignal::Tab(id, Signal::Picture(picture)) => {
                let is_active = s.tabs.active_id() == Some(id);
                let changes = s.tabs.get_mut(id)?.on_picture(picture, Instant::now());
                if is_active {
                    pass_on(s, changes);
                }
            }
            TabsSignal::Popup(popup) => match s.tabs.adopt(popup) {
                Adopted::Added(id) => {
                    tracing::info!(tab = %id, "A page opened a tab.");
                    if s.tabs.active_id() == Some(id) {
                        show_active_tab(s);
                    } else {
                        broadcast_strip(s);
                    }
                }
                Adopted::OverLimit => {
                    tracing::info!(
                        max_tabs = self.max_tabs,
                        "A page opened a tab past the limit; it was closed."
                    );
                    let refused = ServerMessage::Rejected {
                        code: RejectCode::TabLimit,
                        message: format!(
                            "this session has {} tabs, as many as it may; close one first",
                            self.max_tabs
                        ),
                    };
                    s.roster.broadcast(None, &refused);
                }
            },
            TabsSignal::Opened(Ok(opened)) => {
                s.tabs.adopt_own(opened, &self.start_url);
                show_active_tab(s);
            }
            TabsSignal::Opened(Err(error)) => {
                tracing::warn!(%error, "Could not open the start page after the last tab closed.");
                return Some(EndReason::BrowserFailed);
            }
        }
        None
    }

    /// A native widget opened or closed in tab `id`. An opened one goes to who last pressed
    /// something in the page (who opened it), as a `picker`; one for a field hidden from the
    /// agent that an agent opened is closed again and the agent told `masked_field`. One in a
    /// tab nobody looks at is closed.
    fn on_picker(&self, s: &mut Session, id: TabId, event: PickerEvent) {
        let is_active = s.tabs.active_id() == Some(id);
        let Some(tab) = s.tabs.get_mut(id) else { return };
        match event {
            PickerEvent::Opened(picker) => {
                if !is_active {
                    tab.send(TabOp::DismissPicker(picker.id));
                    return;
                }
                let owner = tab.last_presser.clone().unwrap_or_else(|| self.customer.clone());
                if picker.masked && s.roster.role(&owner) != Some(Role::Customer) {
                    // An agent pressed a field hidden from them: it stays closed, as typing
                    // into it is refused.
                    tab.send(TabOp::DismissPicker(picker.id));
                    let refused = Rejection {
                        code: RejectCode::MaskedField,
                        message: "this field is hidden from agents; only the customer fills it"
                            .into(),
                    };
                    s.roster.reject(&owner, refused, Instant::now());
                    return;
                }
                let before = tab.picker.replace((picker.id, owner.clone()));
                if let Some((old, old_owner)) = before {
                    if old != picker.id || old_owner != owner {
                        s.roster.send_to(&old_owner, ServerMessage::PickerClosed { picker: old });
                    }
                }
                tracing::debug!(kind = ?picker.kind, "A picker opened.");
                s.roster.send_to(&owner, ServerMessage::Picker { picker });
            }
            PickerEvent::Closed(picker) => {
                if tab.picker.as_ref().is_some_and(|(open, _)| *open == picker) {
                    if let Some((_, owner)) = tab.picker.take() {
                        s.roster.send_to(&owner, ServerMessage::PickerClosed { picker });
                    }
                }
            }
        }
    }

    /// Hands `participant`'s choice (or dismissal) to the active tab's open picker, if it is
    /// theirs; else tells them there is no such picker.
    fn on_pick(
        &self,
        s: &mut Session,
        participant: &ParticipantId,
        role: Role,
        picker: PickerId,
        choice: Option<PickerChoice>,
    ) {
        let now = Instant::now();
        let theirs = s
            .tabs
            .active()
            .and_then(|tab| tab.picker.as_ref())
            .is_some_and(|(open, owner)| *open == picker && owner == participant);
        if !theirs {
            let rejection = Rejection {
                code: RejectCode::UnknownPicker,
                message: format!("{picker} is not open"),
            };
            s.roster.reject(participant, rejection, now);
            return;
        }
        let op = match choice {
            Some(choice) => TabOp::Pick { picker, choice, participant: participant.clone(), role },
            None => TabOp::DismissPicker(picker),
        };
        if !s.tabs.send(op) {
            let busy = Rejection {
                code: RejectCode::Busy,
                message: "the page is busy; input dropped".into(),
            };
            s.roster.reject(participant, busy, now);
        }
    }

    /// A download of the page ended: a finished one is offered to the customers (and everyone
    /// reads that a file was downloaded); one too large or broken off, customers are told of.
    fn on_download(&self, s: &mut Session, event: DownloadEvent) {
        let refused = match event {
            DownloadEvent::Finished(download) => {
                tracing::info!(bytes = download.size, "The page downloaded a file.");
                let file =
                    DownloadFile { name: download.name, size: download.size, path: download.path };
                let download = s.files.offer(file, Instant::now(), now_ms());
                s.roster.send_to_customers(None, &ServerMessage::Download { download });
                let name = s.roster.name(&self.customer).unwrap_or_default().to_owned();
                s.note(SystemEvent::FileDownloaded, &name, Role::Customer);
                return;
            }
            DownloadEvent::TooLarge { name, limit } => {
                tracing::info!(
                    limit,
                    "The page downloaded a file over the limit; it was cancelled."
                );
                ServerMessage::Rejected {
                    code: RejectCode::DownloadTooLarge,
                    message: format!(
                        "{name} is larger than {limit} bytes, the most a download may be"
                    ),
                }
            }
            DownloadEvent::Failed { name } => ServerMessage::Rejected {
                code: RejectCode::DownloadFailed,
                message: format!("the download of {name} did not finish"),
            },
        };
        s.roster.send_to_customers(None, &refused);
    }

    /// Makes `tab` the one everyone sees, or tells `participant` there is no such tab.
    fn activate_tab(&self, s: &mut Session, participant: &ParticipantId, tab: TabId) {
        if s.tabs.active_id() == Some(tab) {
            return;
        }
        if s.tabs.activate(tab) {
            show_active_tab(s);
        } else {
            s.roster.reject(participant, unknown_tab(tab), Instant::now());
        }
    }

    /// Closes `tab` for everyone, or tells `participant` there is no such tab.
    fn close_tab(&self, s: &mut Session, participant: &ParticipantId, tab: TabId) {
        let was_active = s.tabs.active_id() == Some(tab);
        if !s.tabs.remove(tab, true, &self.start_url) {
            s.roster.reject(participant, unknown_tab(tab), Instant::now());
        } else if was_active {
            show_active_tab(s);
        } else {
            broadcast_strip(s);
        }
    }
}

/// The page of tab `id` asks for files: the customers get the chooser (agents never do). One of
/// a tab nobody looks at is left unanswered.
fn on_file_chooser(s: &mut Session, id: TabId, chooser: FileChooser) {
    if s.tabs.active_id() != Some(id) {
        return;
    }
    let Some(url) = s.tabs.get(id).map(|tab| tab.state(Role::Customer).url.clone()) else {
        return;
    };
    let (open, before) = s.files.open_chooser(id, chooser.id, chooser.multiple, &url);
    let msg = open.message();
    if let Some(before) = before.filter(|b| b.id != chooser.id) {
        s.roster.send_to_customers(None, &ServerMessage::FileChooserClosed { chooser: before.id });
    }
    s.roster.send_to_customers(None, &msg);
}

fn unknown_tab(tab: TabId) -> Rejection {
    Rejection { code: RejectCode::UnknownTab, message: format!("{tab} is not open") }
}

/// Tells everyone about the tabs: customers and agents each their own titles.
fn broadcast_strip(s: &mut Session) {
    let customers = s.tabs.strip(Role::Customer);
    let agents = s.tabs.strip(Role::Agent);
    s.roster.broadcast_by_role(None, &customers, &agents);
}

/// The active tab changed: everyone gets the strip, its page state, and customers its
/// outlines; its frames follow as it draws.
fn show_active_tab(s: &mut Session) {
    broadcast_strip(s);
    if let Some(tab) = s.tabs.active() {
        let agent_marks = Some(tab.agent_marks());
        pass_on(s, Changes { page: true, outlines: true, agent_marks, ..Changes::default() });
    }
}

/// Passes on what an event of the active tab changed: frames to their viewers, outlines to the
/// customers, the page's state to everyone (agents with masked values taken out), and the tab
/// strip when the title, address or loading changed.
fn pass_on(s: &mut Session, changes: Changes) {
    s.roster.fan_out(&changes.frames);
    let Some(tab) = s.tabs.active() else { return };
    if changes.outlines {
        s.roster.send_to_customers(None, &tab.outlines());
    }
    if let Some(marks) = &changes.agent_marks {
        s.roster.send_to_role(Role::Agent, None, marks);
    }
    if changes.page && s.board.on_address(&tab.state(Role::Customer).url) {
        // Annotations mark things on one document; another one clears them.
        s.roster.broadcast(None, &ServerMessage::AnnotationsCleared);
    }
    if changes.page {
        let customers = ServerMessage::Page { page: tab.state(Role::Customer).clone() };
        let agents = ServerMessage::Page { page: tab.state(Role::Agent).clone() };
        s.roster.broadcast_by_role(None, &customers, &agents);
        broadcast_strip(s);
    }
}
