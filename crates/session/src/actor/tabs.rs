//! What the session's tabs say, and what people do with tabs and pickers: a tab lost or closed,
//! a page's new tab, the active tab's page state and outlines, a picker that opened.

use super::{now_ms, Actor, Session};
use crate::events::SessionEvent;
use crate::files::DownloadFile;
use crate::input::Rejection;
use crate::tab::{Changes, Signal};
use crate::tabs::{Adopted, TabsSignal};
use crate::worker::{TabOp, WorkerEvent};
use browser::{DownloadEvent, FileChooser, PickerEvent, TabEvent, TabOptions};
use model::{ParticipantId, PickerChoice, PickerId, Role, TabId};
use protocol::{EndReason, PageRecovery, RejectCode, ServerMessage, SystemEvent};
use tokio::time::Instant;

impl Actor {
    /// What a tab or the browser context said.
    pub(super) async fn on_tabs(
        &mut self,
        s: &mut Session,
        signal: TabsSignal,
    ) -> Option<EndReason> {
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
                    domains: self.domains.clone(),
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
            TabsSignal::Tab(id, Signal::Page(TabEvent::SignIn(sign_in))) => {
                self.on_sign_in(s, id, sign_in);
            }
            TabsSignal::Tab(id, Signal::Page(TabEvent::PermissionRefused(permission))) => {
                self.on_permission_refused(s, id, permission);
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
            TabsSignal::Tab(id, Signal::Worker(WorkerEvent::StillHung)) => {
                if s.tabs.get(id)?.hung == Some(super::hung::Hung::Declined) {
                    self.on_hung(s, id);
                }
            }
            TabsSignal::Tab(id, Signal::Worker(WorkerEvent::Answers)) => {
                self.on_hung_over(s, id);
            }
            TabsSignal::Tab(
                id,
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
                    browser::Recovery::Unresponsive => {
                        self.on_hung(s, id);
                        None
                    }
                };
                if recovery == browser::Recovery::Crashed {
                    self.on_hung_over(s, id);
                }
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
    pub(super) fn on_picker(&self, s: &mut Session, id: TabId, event: PickerEvent) {
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
    pub(super) fn on_pick(
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
    pub(super) fn activate_tab(&self, s: &mut Session, participant: &ParticipantId, tab: TabId) {
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
    pub(super) fn close_tab(&self, s: &mut Session, participant: &ParticipantId, tab: TabId) {
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
pub(super) fn pass_on(s: &mut Session, changes: Changes) {
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
