//! Who comes and goes: a connection's welcome (what the person may see of the page, the tabs,
//! the chat, the annotations, what is theirs to answer), and an agent who leaves for good.

use super::{Actor, Session};
use crate::events::SessionEvent;
use crate::feed::Frames;
use crate::handle::Viewer;
use model::{ParticipantId, Role};
use protocol::{PageState, ServerMessage, SystemEvent};
use tokio::time::Instant;

impl Actor {
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
            self.welcome_sign_ins(s, participant, role);
            self.welcome_hung(s, participant, role);
        }
        Some(role)
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
}
