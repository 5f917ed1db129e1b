//! Sites' sign-in prompts (HTTP authentication, F11): each goes to the customer, who signs in
//! or cancels in their view; agents only hear that the customer is answering one. The page
//! goes on meanwhile: only the address that asked waits. A prompt the customer cannot answer
//! (they are not connected, its tab is in the background) or does not answer in time is
//! refused, and the site shows its own refusal. Credentials go to the page and are dropped:
//! they are never logged, kept, or sent to anyone.

use super::{Actor, Session};
use crate::input::Rejection;
use crate::tab::OpenSignIn;
use model::{Credentials, ParticipantId, Role, SignInId, TabId};
use protocol::{RejectCode, ServerMessage};
use std::time::Duration;
use tokio::time::Instant;

/// How long the customer has to answer a sign-in prompt before it is refused.
pub(crate) const SIGN_IN_DEADLINE: Duration = Duration::from_secs(120);

impl Actor {
    /// Tab `id`'s page was asked to sign in by a site.
    pub(super) fn on_sign_in(&self, s: &mut Session, id: TabId, sign_in: browser::SignIn) {
        let is_active = s.tabs.active_id() == Some(id);
        let customer_here = s.roster.customer_connected();
        let Some(tab) = s.tabs.get_mut(id) else { return };
        metrics::counter!("beside_sign_in_prompts_total").increment(1);
        if !is_active || !customer_here {
            tracing::info!("A site asked to sign in and nobody can answer; refused.");
            tab.answer_sign_in(sign_in, None);
            return;
        }
        s.next_sign_in += 1;
        let open = OpenSignIn {
            id: SignInId(s.next_sign_in),
            sign_in,
            due: Instant::now() + SIGN_IN_DEADLINE,
        };
        tracing::info!("A site asks to sign in; the customer answers.");
        let msg = open.message();
        if let Some(old) = tab.sign_in.replace(open) {
            // One prompt a tab: the newer request is the one the page waits for.
            tab.answer_sign_in(old.sign_in, None);
            s.roster.send_to_customers(None, &ServerMessage::SignInClosed { prompt: old.id });
        }
        s.roster.send_to_customers(None, &msg);
        tell_agents(s);
    }

    /// The customer's answer to `prompt`, or `unknown_sign_in` when it is not open (answered
    /// already, timed out, or never was).
    pub(super) fn answer_sign_in(
        &self,
        s: &mut Session,
        participant: &ParticipantId,
        prompt: SignInId,
        credentials: Option<Credentials>,
    ) {
        let tab = s.tabs.iter_mut().find(|t| t.sign_in.as_ref().is_some_and(|o| o.id == prompt));
        let Some(open) = tab.and_then(|tab| {
            let open = tab.sign_in.take()?;
            let given = credentials.is_some();
            tab.answer_sign_in(open.sign_in, credentials);
            tracing::info!(signed_in = given, "The customer answered a site's sign-in prompt.");
            Some(open.id)
        }) else {
            let rejection = Rejection {
                code: RejectCode::UnknownSignIn,
                message: format!("{prompt} is not open"),
            };
            s.roster.reject(participant, rejection, Instant::now());
            return;
        };
        s.roster.send_to_customers(None, &ServerMessage::SignInClosed { prompt: open });
        tell_agents(s);
    }

    /// Someone takes the active tab elsewhere while a site there asks to sign in: the prompt
    /// goes (refused), as the address that asked is left.
    pub(super) fn refuse_active_sign_in(&self, s: &mut Session) {
        let Some(tab) = s.tabs.active_mut() else { return };
        let Some(open) = tab.sign_in.take() else { return };
        tracing::info!("A navigation closes a site's sign-in prompt.");
        tab.answer_sign_in(open.sign_in, None);
        s.roster.send_to_customers(None, &ServerMessage::SignInClosed { prompt: open.id });
        tell_agents(s);
    }

    /// Sign-in prompts nobody answered by their deadline are refused.
    pub(super) fn on_sign_ins_due(&self, s: &mut Session, now: Instant) {
        let mut closed = Vec::new();
        for tab in s.tabs.iter_mut() {
            if tab.sign_in.as_ref().is_some_and(|o| o.due <= now) {
                if let Some(open) = tab.sign_in.take() {
                    tracing::info!("Nobody answered a site's sign-in prompt in time; refused.");
                    tab.answer_sign_in(open.sign_in, None);
                    closed.push(open.id);
                }
            }
        }
        if closed.is_empty() {
            return;
        }
        for prompt in closed {
            s.roster.send_to_customers(None, &ServerMessage::SignInClosed { prompt });
        }
        tell_agents(s);
    }

    /// What `participant`, (re)connecting, is told of open sign-in prompts: a customer gets
    /// each, an agent that the customer is answering one.
    pub(super) fn welcome_sign_ins(
        &self,
        s: &mut Session,
        participant: &ParticipantId,
        role: Role,
    ) {
        match role {
            Role::Customer => {
                let open: Vec<_> = s
                    .tabs
                    .iter()
                    .filter_map(|t| t.sign_in.as_ref())
                    .map(OpenSignIn::message)
                    .collect();
                for msg in open {
                    s.roster.send_to(participant, msg);
                }
            }
            Role::Agent => {
                if s.tabs.iter().any(|t| t.sign_in.is_some()) {
                    s.roster.send_to(participant, ServerMessage::CustomerSignIn { open: true });
                }
            }
        }
    }
}

/// Tells agents whether the customer is answering a sign-in prompt now.
fn tell_agents(s: &mut Session) {
    let open = s.tabs.iter().any(|t| t.sign_in.is_some());
    s.roster.send_to_role(Role::Agent, None, &ServerMessage::CustomerSignIn { open });
}

/// When the earliest open sign-in prompt is refused.
pub(super) fn next_due(s: &Session) -> Option<Instant> {
    s.tabs.iter().filter_map(|t| t.sign_in.as_ref().map(|o| o.due)).min()
}
