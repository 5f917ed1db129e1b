//! The page's JavaScript dialogs (F11): each goes to the customer, who answers it in their
//! view; agents only hear that the customer is answering one. A dialog the customer cannot
//! answer (they are not connected, its tab is in the background) or does not answer in time
//! gets the answer that lets the page go on and agrees to nothing (`browser::default_answer`).

use super::{Actor, Session};
use crate::input::Rejection;
use crate::tab::OpenDialog;
use model::{DialogId, ParticipantId, Role, TabId};
use protocol::{RejectCode, ServerMessage};
use std::time::Duration;
use tokio::time::Instant;

/// How long the customer has to answer a dialog before it gets its default answer.
pub(crate) const DIALOG_DEADLINE: Duration = Duration::from_secs(120);

impl Actor {
    /// Tab `id`'s page opened a dialog.
    pub(super) fn on_dialog(&self, s: &mut Session, id: TabId, dialog: browser::Dialog) {
        let is_active = s.tabs.active_id() == Some(id);
        let customer_here = s.roster.customer_connected();
        let Some(tab) = s.tabs.get_mut(id) else { return };
        metrics::counter!("beside_page_dialogs_total").increment(1);
        if !is_active || !customer_here {
            tracing::info!(kind = ?dialog.kind, "The page opened a dialog nobody can answer; it gets the default answer.");
            tab.answer_dialog(browser::default_answer(dialog.kind), None);
            return;
        }
        s.next_dialog += 1;
        let open = OpenDialog {
            id: DialogId(s.next_dialog),
            dialog,
            due: Instant::now() + DIALOG_DEADLINE,
        };
        tracing::info!(kind = ?open.dialog.kind, "The page opened a dialog; the customer answers it.");
        let msg = open.message();
        if let Some(old) = tab.dialog.replace(open) {
            s.roster.send_to_customers(None, &ServerMessage::DialogClosed { dialog: old.id });
        }
        s.roster.send_to_customers(None, &msg);
        tell_agents(s);
    }

    /// Tab `id`'s dialog closed in the page (answered, or the page went on without it).
    pub(super) fn on_dialog_closed(&self, s: &mut Session, id: TabId) {
        let Some(open) = s.tabs.get_mut(id).and_then(|tab| tab.dialog.take()) else { return };
        s.roster.send_to_customers(None, &ServerMessage::DialogClosed { dialog: open.id });
        tell_agents(s);
    }

    /// The customer's answer to `dialog`, or `unknown_dialog` when it is not open (answered
    /// already, timed out, or never was).
    pub(super) fn answer_dialog(
        &self,
        s: &mut Session,
        participant: &ParticipantId,
        dialog: DialogId,
        accept: bool,
        text: Option<String>,
    ) {
        let tab = s.tabs.iter_mut().find(|tab| tab.dialog.as_ref().is_some_and(|d| d.id == dialog));
        let Some(tab) = tab else {
            let rejection = Rejection {
                code: RejectCode::UnknownDialog,
                message: format!("{dialog} is not open"),
            };
            s.roster.reject(participant, rejection, Instant::now());
            return;
        };
        let Some(open) = tab.dialog.take() else { return };
        // Only a prompt takes text; the page gets nothing else of what the customer typed.
        let text =
            if open.dialog.kind == browser::DialogKind::Prompt && accept { text } else { None };
        tab.answer_dialog(accept, text);
        tracing::info!(kind = ?open.dialog.kind, accept, "The customer answered the page's dialog.");
        s.roster.send_to_customers(None, &ServerMessage::DialogClosed { dialog });
        tell_agents(s);
    }

    /// Someone navigates the active tab while its dialog is open: as in a browser, the dialog
    /// goes (with the answer that agrees to nothing) and the navigation goes on.
    pub(super) fn dismiss_active_dialog(&self, s: &mut Session) {
        let Some(tab) = s.tabs.active_mut() else { return };
        let Some(open) = tab.dialog.take() else { return };
        tracing::info!(kind = ?open.dialog.kind, "A navigation closes the page's dialog.");
        tab.answer_dialog(browser::default_answer(open.dialog.kind), None);
        s.roster.send_to_customers(None, &ServerMessage::DialogClosed { dialog: open.id });
        tell_agents(s);
    }

    /// Dialogs nobody answered by their deadline get their default answer.
    pub(super) fn on_dialogs_due(&self, s: &mut Session, now: Instant) {
        let mut closed = Vec::new();
        for tab in s.tabs.iter_mut() {
            if tab.dialog.as_ref().is_some_and(|d| d.due <= now) {
                if let Some(open) = tab.dialog.take() {
                    tracing::info!(kind = ?open.dialog.kind, "Nobody answered the page's dialog in time; it gets the default answer.");
                    tab.answer_dialog(browser::default_answer(open.dialog.kind), None);
                    closed.push(open.id);
                }
            }
        }
        if closed.is_empty() {
            return;
        }
        for dialog in closed {
            s.roster.send_to_customers(None, &ServerMessage::DialogClosed { dialog });
        }
        tell_agents(s);
    }

    /// What `participant`, (re)connecting, is told of the open dialogs: a customer gets each
    /// of them, an agent that the customer is answering one.
    pub(super) fn welcome_dialogs(&self, s: &mut Session, participant: &ParticipantId, role: Role) {
        match role {
            Role::Customer => {
                let open: Vec<_> = s
                    .tabs
                    .iter()
                    .filter_map(|t| t.dialog.as_ref())
                    .map(OpenDialog::message)
                    .collect();
                for msg in open {
                    s.roster.send_to(participant, msg);
                }
            }
            Role::Agent => {
                if s.tabs.iter().any(|t| t.dialog.is_some()) {
                    s.roster.send_to(participant, ServerMessage::CustomerDialog { open: true });
                }
            }
        }
    }
}

/// Tells agents whether the customer is answering a dialog now.
fn tell_agents(s: &mut Session) {
    let open = s.tabs.iter().any(|t| t.dialog.is_some());
    s.roster.send_to_role(Role::Agent, None, &ServerMessage::CustomerDialog { open });
}

/// When the earliest open dialog gets its default answer.
pub(super) fn next_due(s: &Session) -> Option<Instant> {
    s.tabs.iter().filter_map(|t| t.dialog.as_ref().map(|d| d.due)).min()
}
