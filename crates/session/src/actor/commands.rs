//! What a session does with the commands of its handles and the messages of its clients.

use super::{Actor, Ending, Session};
use crate::control::Standing;
use crate::events::SessionEvent;
use crate::feed::Frames;
use crate::files::UploadError;
use crate::handle::{Command, SessionSnapshot, SessionState, Viewer};
use crate::input::{Action, Rejection};
use crate::worker::TabOp;
use model::{ParticipantId, Role};
use protocol::{
    ActivityKind, ClientMessage, EndReason, PageState, RejectCode, ServerMessage, SystemEvent,
};
use tokio::time::Instant;

impl Actor {
    pub(super) fn on_command(&mut self, s: &mut Session, cmd: Command) -> Option<Ending> {
        match cmd {
            Command::AddAgent { participant, agent, name, entry, reply } => {
                let standing = Standing::agent(entry.needs_approval, entry.starts_with_control);
                if entry.needs_approval {
                    tracing::info!(agent_id = %agent, "Agent waits for the customer's approval.");
                } else {
                    tracing::info!(agent_id = %agent, "Agent joined.");
                }
                s.last_active = Instant::now();
                s.roster.add(participant, name.clone(), Some(agent), standing, Instant::now());
                s.agent_joined = true;
                if !entry.needs_approval {
                    s.note(SystemEvent::Joined, &name, Role::Agent);
                }
                s.roster.broadcast_participants(None);
                let _ = reply.send(true);
            }
            Command::Connect { participant, reply } => {
                s.last_active = Instant::now();
                let _ = reply.send(self.connect(s, &participant));
            }
            Command::Disconnect { participant, connection } => {
                if s.roster.disconnect(&participant, connection, Instant::now()) {
                    let role = s.roster.role(&participant)?;
                    tracing::info!(role = %role, "Participant disconnected; waiting for them to come back.");
                    let gone = ServerMessage::CursorGone { participant: participant.clone() };
                    s.roster.broadcast(Some(&participant), &gone);
                    s.roster.broadcast_participants(None);
                }
            }
            Command::Client { participant, connection, msg } => {
                return self.on_client_message(s, &participant, connection, msg);
            }
            Command::End { reason, by } => return Some((reason, by)),
            Command::Leave { participant, reply } => {
                let _ = reply.send(self.leave(s, &participant));
            }
            Command::SetRules { rules } => {
                tracing::info!(n_rules = rules.len(), "The company's rules changed.");
                self.rules = rules.clone();
                if !s.tabs.send_all(|| TabOp::Rules(rules.clone())) {
                    tracing::warn!("The browser is busy; the new rules apply to the next page.");
                }
            }
            Command::Upload { participant, chooser, files, reply } => {
                let _ = self.upload(s, &participant, chooser, files, reply);
            }
            Command::TakeDownload { token, reply } => {
                let _ = reply.send(s.files.take(&token, Instant::now()));
            }
            Command::Snapshot { reply } => {
                let _ = reply.send(SessionSnapshot {
                    id: self.id.clone(),
                    company: self.company.clone(),
                    state: if s.agent_joined {
                        SessionState::Active
                    } else {
                        SessionState::Waiting
                    },
                    participants: s.roster.list(),
                    created_at: self.created_at,
                    // Company staff read this: the agent's view of the page.
                    page: s
                        .tabs
                        .active()
                        .map(|tab| tab.state(Role::Agent).clone())
                        .unwrap_or_default(),
                });
            }
        }
        None
    }

    /// A new connection of `participant`: their `Welcome`, then the others hear they are back.
    pub(super) fn connect(&self, s: &mut Session, participant: &ParticipantId) -> Option<Viewer> {
        let no_frames = Frames::default();
        let latest = s.tabs.active().map_or(&no_frames, |tab| tab.latest());
        let viewer = s.roster.connect(participant, latest)?;
        let role = self.welcome(s, participant)?;
        s.roster.broadcast_participants(Some(participant));
        tracing::info!(role = %role, "Participant connected.");
        Some(viewer)
    }

    /// Tells `participant` where they are: `Welcome` with what they may see of the page, then
    /// (once they are in) the tabs, the chat so far, the annotations and, for a customer, the
    /// outlines.
    pub(super) fn welcome(&self, s: &mut Session, participant: &ParticipantId) -> Option<Role> {
        let you = s.roster.info(participant)?;
        let role = you.role;
        let is_in = !you.waiting;
        let paused = s.roster.is_paused();
        let sees_page = role == Role::Customer || (is_in && !paused);
        let welcome = ServerMessage::Welcome {
            version: protocol::VERSION,
            session_id: self.id.clone(),
            you,
            participants: s.roster.list(),
            viewport: s.viewport,
            page: match s.tabs.active() {
                Some(tab) if sees_page => tab.state(role).clone(),
                _ => PageState::default(),
            },
            paused,
        };
        s.roster.send_to(participant, welcome);
        if sees_page {
            s.roster.send_to(participant, s.tabs.strip(role));
        }
        if role == Role::Customer {
            // A customer back from elsewhere gets what is theirs to answer or take.
            if let Some(chooser) = s.files.chooser() {
                s.roster.send_to(participant, chooser.message());
            }
            for download in s.files.live_offers(Instant::now()) {
                s.roster.send_to(participant, ServerMessage::Download { download });
            }
        }
        if is_in {
            let entries = s.chat.entries().to_vec();
            s.roster.send_to(participant, ServerMessage::ChatHistory { entries });
            let strokes = s.board.strokes().to_vec();
            s.roster.send_to(participant, ServerMessage::Annotations { strokes });
        }
        if let Some(tab) = s.tabs.active() {
            let marks = match role {
                Role::Customer => tab.outlines(),
                Role::Agent => tab.agent_marks(),
            };
            s.roster.send_to_role(role, Some(participant), &marks);
        }
        if is_in {
            self.welcome_dialogs(s, participant, role);
        }
        Some(role)
    }

    pub(super) fn on_client_message(
        &mut self,
        s: &mut Session,
        participant: &ParticipantId,
        connection: u64,
        msg: ClientMessage,
    ) -> Option<Ending> {
        let now = Instant::now();
        let (role, decision) = s.roster.decide(participant, connection, msg, &s.viewport, now)?;
        if let Some(at) = decision.cursor {
            s.roster.cursor_moved(participant, at);
        }
        if !matches!(decision.action, Action::Pong | Action::Nothing) {
            s.last_active = now;
        }
        if role == Role::Agent && !s.roster.customer_connected() && acts_on_page(&decision.action) {
            // The customer is in charge: while they are away, nothing happens to their page.
            // The pointer still shows; a refusal is said (a move is not worth saying).
            if !matches!(
                &decision.action,
                Action::Dispatch(browser::Input::Mouse { kind: browser::MouseKind::Move, .. })
            ) {
                let away = Rejection::new(
                    RejectCode::CustomerAway,
                    "the customer is away; the page waits for them",
                );
                s.roster.reject(participant, away, now);
            }
            return None;
        }
        self.tell_activity(s, participant, &decision.action);
        if s.tabs.active().is_some_and(|tab| tab.dialog.is_some()) {
            match waits_for_dialog(&decision.action) {
                Some(true) => {
                    let rejection = Rejection {
                        code: RejectCode::DialogOpen,
                        message: "the page waits for the customer to answer its dialog".into(),
                    };
                    s.roster.reject(participant, rejection, now);
                    return None;
                }
                // A pointer move or a wheel turn meanwhile goes nowhere, without a word.
                Some(false) => return None,
                None => {}
            }
            if matches!(
                decision.action,
                Action::Navigate(_) | Action::Back | Action::Forward | Action::Reload
            ) {
                self.dismiss_active_dialog(s);
            }
        }
        let op = match decision.action {
            Action::Dispatch(input) => {
                if is_press(&input) {
                    if let Some(tab) = s.tabs.active_mut() {
                        tab.last_presser = Some(participant.clone());
                    }
                }
                TabOp::Input { input, participant: participant.clone(), role }
            }
            Action::Clipboard(op) => {
                TabOp::Clipboard { op, participant: participant.clone(), role }
            }
            Action::Navigate(url) => TabOp::Navigate(url),
            Action::Back => TabOp::Back,
            Action::Forward => TabOp::Forward,
            Action::Reload => TabOp::Reload,
            Action::SetViewport(viewport) => {
                if viewport == s.viewport {
                    return None;
                }
                s.viewport = viewport;
                s.roster.broadcast(None, &ServerMessage::Viewport { viewport });
                if !s.tabs.send_all(|| TabOp::Viewport(viewport)) {
                    tracing::debug!("A tab is busy; it takes the new viewport when it streams.");
                }
                return None;
            }
            Action::SetLocale(locale) => {
                if locale == self.locale {
                    return None;
                }
                tracing::info!(
                    n_languages = locale.languages.len(),
                    "The customer's languages or time zone changed."
                );
                self.locale = locale.clone();
                if !s.tabs.send_all(|| TabOp::Locale(locale.clone())) {
                    tracing::debug!("A tab is busy; the new languages apply to the other tabs.");
                }
                return None;
            }
            Action::Pick(picker, choice) => {
                self.on_pick(s, participant, role, picker, Some(choice));
                return None;
            }
            Action::DismissPicker(picker) => {
                self.on_pick(s, participant, role, picker, None);
                return None;
            }
            Action::AnswerDialog { dialog, accept, text } => {
                self.answer_dialog(s, participant, dialog, accept, text);
                return None;
            }
            Action::ActivateTab(tab) => {
                self.activate_tab(s, participant, tab);
                return None;
            }
            Action::CloseTab(tab) => {
                self.close_tab(s, participant, tab);
                return None;
            }
            Action::End if s.roster.standing(participant).is_some_and(|st| !st.is_admitted()) => {
                // An agent who waits for approval and gives up leaves; the session goes on.
                self.leave(s, participant);
                return None;
            }
            Action::End => {
                let reason = match role {
                    Role::Customer => EndReason::CustomerEnded,
                    Role::Agent => EndReason::AgentEnded,
                };
                return Some((reason, Some(participant.clone())));
            }
            Action::Pong => {
                s.roster.send_to(participant, ServerMessage::Pong);
                return None;
            }
            Action::Nothing => return None,
            Action::Chat(_)
            | Action::Annotate(_)
            | Action::UndoAnnotation
            | Action::ClearAnnotations
            | Action::SetControl { .. }
            | Action::RequestControl
            | Action::SetPaused(_)
            | Action::Admit { .. } => {
                if let Err(rejection) = self.guide(s, participant, role, decision.action) {
                    s.roster.reject(participant, rejection, now);
                }
                return None;
            }
        };
        if !s.tabs.send(op) {
            // The browser is not keeping up with input: refusing is better than queueing
            // seconds of stale input.
            let busy = Rejection::new(RejectCode::Busy, "the page is busy; input dropped");
            s.roster.reject(participant, busy, now);
        }
        None
    }

    /// Hands the customer's files to the tab whose page asks for them; the worker answers
    /// `reply` once the page has them (or not).
    fn upload(
        &self,
        s: &mut Session,
        participant: &ParticipantId,
        chooser: model::FileChooserId,
        files: Vec<browser::UploadFile>,
        reply: tokio::sync::oneshot::Sender<Result<(), UploadError>>,
    ) -> Option<()> {
        if s.roster.role(participant) != Some(Role::Customer) {
            let _ = reply.send(Err(UploadError::NotCustomer));
            return None;
        }
        let tab = match s.files.check_upload(chooser, files.len()) {
            Ok(tab) => tab,
            Err(error) => {
                let _ = reply.send(Err(error));
                return None;
            }
        };
        let Some(tab) = s.tabs.get(tab) else {
            let _ = reply.send(Err(UploadError::UnknownChooser));
            return None;
        };
        if let Err(TabOp::SetFiles { reply, .. }) =
            tab.try_send(TabOp::SetFiles { chooser, files, reply })
        {
            let _ = reply.send(Err(UploadError::Busy));
        }
        Some(())
    }

    /// An agent leaves the session for good (signing out, giving up waiting, turned away, or
    /// gone past the grace period): their connection closes, their token ends, and the others
    /// are told. False when `participant` is not an agent in the session (a customer ends it).
    pub(super) fn leave(&self, s: &mut Session, participant: &ParticipantId) -> bool {
        if s.roster.role(participant) != Some(Role::Agent) {
            return false;
        }
        let was_in = s.roster.standing(participant).is_some_and(|st| st.is_admitted());
        let name = s.roster.name(participant).unwrap_or_default().to_owned();
        if !s.roster.remove(participant) {
            return false;
        }
        tracing::info!("Agent left the session.");
        s.chat.forget(participant);
        if was_in {
            s.note(SystemEvent::Left, &name, Role::Agent);
        }
        self.reporter.report(SessionEvent::ParticipantLeft(participant.clone()));
        let gone = ServerMessage::CursorGone { participant: participant.clone() };
        s.roster.broadcast(None, &gone);
        s.roster.broadcast_participants(None);
        true
    }

    /// An agent's input was refused after the page's guard was asked: tell them, and report it
    /// (it is counted and audited).
    pub(super) fn on_refused(
        &self,
        s: &mut Session,
        participant: &ParticipantId,
        rejection: Rejection,
    ) {
        let code = rejection.code;
        let told = s.roster.reject(participant, rejection, Instant::now());
        self.reporter.report(SessionEvent::AgentInputRefused { code });
        // The customer hears what the agent tried (a control only they may use, a hidden field).
        if let (true, Some((name, role))) = (told, s.roster.who(participant)) {
            let activity = ServerMessage::Activity {
                kind: ActivityKind::Refused,
                participant: participant.clone(),
                name,
                role,
                url: None,
                code: Some(code),
            };
            s.roster.send_to_customers(None, &activity);
        }
    }

    /// Tells the others where `participant` took the page: customers the address as it is,
    /// agents without masked values.
    fn tell_activity(&self, s: &mut Session, participant: &ParticipantId, action: &Action) {
        let (kind, url) = match action {
            Action::Navigate(url) => (ActivityKind::Navigated, Some(url.as_str())),
            Action::Back => (ActivityKind::Back, None),
            Action::Forward => (ActivityKind::Forward, None),
            Action::Reload => (ActivityKind::Reload, None),
            _ => return,
        };
        let Some((name, role)) = s.roster.who(participant) else { return };
        let activity = |url: Option<String>| ServerMessage::Activity {
            kind,
            participant: participant.clone(),
            name: name.clone(),
            role,
            url,
            code: None,
        };
        let customers = activity(url.map(str::to_owned));
        let agents = activity(url.map(policy::redact::redact_url));
        s.roster.broadcast_by_role(Some(participant), &customers, &agents);
    }
}

/// Whether an action would go to a page whose dialog is open: `Some(true)` for what is
/// refused meanwhile (a press, a key, text, a clipboard shortcut, a picker's choice),
/// `Some(false)` for what is dropped quietly (pointer moves and wheel turns), `None` for
/// what does not wait for the page's scripts.
fn waits_for_dialog(action: &Action) -> Option<bool> {
    match action {
        Action::Dispatch(
            browser::Input::Mouse { kind: browser::MouseKind::Move, .. }
            | browser::Input::Wheel { .. },
        ) => Some(false),
        Action::Dispatch(_) | Action::Clipboard(_) | Action::Pick(..) => Some(true),
        _ => None,
    }
}

/// Whether an input presses something (a button, a key, a finger): what opens a picker.
fn is_press(input: &browser::Input) -> bool {
    matches!(
        input,
        browser::Input::Mouse { kind: browser::MouseKind::Down, .. }
            | browser::Input::Key { down: true, .. }
            | browser::Input::InsertText(_)
    )
}

/// Whether an action does something to the page (input, clipboard, navigation).
fn acts_on_page(action: &Action) -> bool {
    matches!(
        action,
        Action::Dispatch(_)
            | Action::Clipboard(_)
            | Action::Navigate(_)
            | Action::Back
            | Action::Forward
            | Action::Reload
            | Action::Pick(..)
            | Action::DismissPicker(_)
            | Action::ActivateTab(_)
            | Action::CloseTab(_)
    )
}
