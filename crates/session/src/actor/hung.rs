//! Pages that do not answer even after their script was stopped: only loading them again would
//! help, and that loses what the customer entered, so the customer decides. They are asked in
//! their view (`ReloadQuestion`); agents see that they are being asked (`HungPage`). On consent
//! the page is loaded again; on refusal beside keeps waiting, and asks again if the page still
//! hangs `worker::ASK_AGAIN` later. A customer who is away is not decided for: the page stays
//! as it is (the session's away rule ends the session if they never come back), agents are
//! told so, and the customer is asked when they are back. Meanwhile the worker drops input to
//! the page and holds the rest; frames, chat and the other tabs go on.

use super::{Actor, Session};
use crate::input::Rejection;
use crate::worker::TabOp;
use model::{ParticipantId, Role, TabId};
use protocol::{HungPageState, RejectCode, ServerMessage};
use tokio::time::Instant;

/// Where the customer's consent to load a page that does not answer again stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hung {
    /// The customer is being asked.
    Asked,
    /// The customer chose to wait.
    Declined,
    /// The customer is away; they are asked when they are back.
    Away,
}

impl Actor {
    /// Tab `id`'s page does not answer, and only loading it again would help (or it still
    /// does not, a while after the customer chose to wait).
    pub(super) fn on_hung(&self, s: &mut Session, id: TabId) {
        let customer_here = s.roster.customer_connected();
        let Some(tab) = s.tabs.get_mut(id) else { return };
        if tab.hung == Some(Hung::Asked) {
            return;
        }
        if customer_here {
            tracing::info!(tab = %id, "A page does not answer; asking the customer whether to load it again.");
            tab.hung = Some(Hung::Asked);
            s.roster.send_to_customers(None, &ServerMessage::ReloadQuestion { tab: id });
        } else {
            tracing::info!(tab = %id, "A page does not answer while the customer is away; it stays as it is until they decide.");
            tab.hung = Some(Hung::Away);
        }
        tell_agents(s);
    }

    /// Tab `id`'s page answers again by itself, or was loaded again: no question is open.
    pub(super) fn on_hung_over(&self, s: &mut Session, id: TabId) {
        let Some(was) = s.tabs.get_mut(id).and_then(|tab| tab.hung.take()) else { return };
        if was == Hung::Asked {
            s.roster.send_to_customers(None, &ServerMessage::ReloadQuestionClosed { tab: id });
        }
        tell_agents(s);
    }

    /// The customer's answer whether to load tab `id`'s page again, or `no_reload_question`
    /// when they are not being asked about it.
    pub(super) fn answer_reload(
        &self,
        s: &mut Session,
        participant: &ParticipantId,
        id: TabId,
        reload: bool,
    ) {
        let tab = s.tabs.get_mut(id).filter(|tab| tab.hung == Some(Hung::Asked));
        let Some(tab) = tab else {
            let rejection = Rejection {
                code: RejectCode::NoReloadQuestion,
                message: format!("no question whether to load {id} again is open"),
            };
            s.roster.reject(participant, rejection, Instant::now());
            return;
        };
        if reload {
            if tab.try_send(TabOp::Restart).is_err() {
                tracing::warn!(tab = %id, "The tab's worker is gone; its page cannot be loaded again.");
            }
            tab.hung = None;
            tracing::info!(tab = %id, "The customer agreed to load a page that does not answer again.");
        } else {
            tab.hung = Some(Hung::Declined);
            tracing::info!(tab = %id, "The customer chose to wait for a page that does not answer.");
        }
        s.roster.send_to_customers(None, &ServerMessage::ReloadQuestionClosed { tab: id });
        tell_agents(s);
    }

    /// What `participant`, (re)connecting, is told of pages that do not answer: a customer is
    /// asked about each one they were not asked about or were away for, an agent where it
    /// stands.
    pub(super) fn welcome_hung(&self, s: &mut Session, participant: &ParticipantId, role: Role) {
        match role {
            Role::Customer => {
                let mut asked = Vec::new();
                for tab in s.tabs.iter_mut() {
                    if matches!(tab.hung, Some(Hung::Asked | Hung::Away)) {
                        tab.hung = Some(Hung::Asked);
                        asked.push(tab.id());
                    }
                }
                for tab in &asked {
                    s.roster.send_to(participant, ServerMessage::ReloadQuestion { tab: *tab });
                }
                if !asked.is_empty() {
                    tell_agents(s);
                }
            }
            Role::Agent => {
                let state = state(s);
                if state != HungPageState::None {
                    s.roster.send_to(participant, ServerMessage::HungPage { state });
                }
            }
        }
    }
}

/// Where the session's pages that do not answer stand, as agents are told: the customer being
/// asked comes first, then their being away, then their choice to wait.
fn state(s: &Session) -> HungPageState {
    let hung: Vec<Hung> = s.tabs.iter().filter_map(|t| t.hung).collect();
    if hung.contains(&Hung::Asked) {
        HungPageState::Asking
    } else if hung.contains(&Hung::Away) {
        HungPageState::CustomerAway
    } else if hung.contains(&Hung::Declined) {
        HungPageState::Declined
    } else {
        HungPageState::None
    }
}

/// Tells agents where the pages that do not answer stand now.
fn tell_agents(s: &mut Session) {
    let state = state(s);
    s.roster.send_to_role(Role::Agent, None, &ServerMessage::HungPage { state });
}
