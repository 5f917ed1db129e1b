//! What a session does with its clients' messages: the arbiter decides, then input and
//! navigation go to the active tab's worker (unless the customer is away or the page's dialog
//! waits), settings go to every tab, and guidance goes to `guidance`. What one person does to
//! the page is told to the others.

use super::{Actor, Ending, Session};
use crate::events::SessionEvent;
use crate::input::{Action, Rejection};
use crate::worker::TabOp;
use model::{ParticipantId, Role};
use protocol::{ActivityKind, ClientMessage, EndReason, RejectCode, ServerMessage};
use tokio::time::Instant;

impl Actor {
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
        if let Action::Navigate(url) = &decision.action {
            if let Err(refusal) = self.domains.decide_url(url) {
                // Told to whoever typed it; the page stays where it is.
                metrics::counter!("beside_navigation_refused_total", "reason" => refusal.reason())
                    .increment(1);
                let refused = Rejection::new(RejectCode::DomainNotAllowed, refusal.to_string());
                s.roster.reject(participant, refused, now);
                return None;
            }
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
            if is_navigation(&decision.action) {
                self.dismiss_active_dialog(s);
            }
        }
        if is_navigation(&decision.action) {
            // The address that asked to sign in is left for another.
            self.refuse_active_sign_in(s);
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
            Action::AnswerSignIn(prompt, credentials) => {
                self.answer_sign_in(s, participant, prompt, credentials);
                return None;
            }
            Action::AnswerReload { tab, reload } => {
                self.answer_reload(s, participant, tab, reload);
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
        // A finger that moves or is lifted goes nowhere either; one put down is refused.
        Action::Dispatch(
            browser::Input::Mouse { kind: browser::MouseKind::Move, .. }
            | browser::Input::Wheel { .. }
            | browser::Input::Touch {
                kind:
                    browser::TouchKind::Move | browser::TouchKind::End | browser::TouchKind::Cancel,
                ..
            },
        ) => Some(false),
        Action::Dispatch(_) | Action::Clipboard(_) | Action::Pick(..) => Some(true),
        _ => None,
    }
}

/// Whether an action takes the active tab to another address.
fn is_navigation(action: &Action) -> bool {
    matches!(action, Action::Navigate(_) | Action::Back | Action::Forward | Action::Reload)
}

/// Whether an input presses something (a button, a key, a finger): what opens a picker.
fn is_press(input: &browser::Input) -> bool {
    matches!(
        input,
        browser::Input::Mouse { kind: browser::MouseKind::Down, .. }
            | browser::Input::Touch { kind: browser::TouchKind::Start, .. }
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
