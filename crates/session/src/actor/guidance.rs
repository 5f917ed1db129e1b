//! What a session does with guidance and the customer's say (F2, F3, F12, F13): chat,
//! annotations, control, the privacy pause, approving agents. The decisions are the sans-IO
//! parts' (`chat`, `annotations`, `control`); this passes on what they decide and reports what
//! the audit log keeps.

use super::{Actor, Session};
use crate::chat::Author;
use crate::events::SessionEvent;
use crate::feed::Frames;
use crate::input::{Action, Rejection};
use crate::roster::unknown_participant;
use model::{AuditKind, ParticipantId, Role};
use protocol::{RejectCode, ServerMessage, SystemEvent};
use tokio::time::Instant;

impl Actor {
    /// Carries out a guidance `action` of `participant` (already let through by the arbiter
    /// and the control gate); a refusal goes back to them.
    pub(super) fn guide(
        &self,
        s: &mut Session,
        participant: &ParticipantId,
        role: Role,
        action: Action,
    ) -> Result<(), Rejection> {
        match action {
            Action::Chat(text) => {
                let name = s.roster.name(participant).unwrap_or_default().to_owned();
                let author = Author { participant, name: &name, role };
                let entry =
                    s.chat.post(author, text, Instant::now().into_std(), super::now_ms())?;
                s.roster.broadcast(None, &ServerMessage::Chat { entry });
            }
            Action::Annotate(piece) => {
                let color = s.roster.color(participant).unwrap_or_default();
                let stroke = s.board.annotate(participant, color, piece)?;
                s.roster.broadcast(Some(participant), &ServerMessage::Annotation { stroke });
            }
            Action::UndoAnnotation => {
                if let Some(id) = s.board.undo(participant) {
                    let removed =
                        ServerMessage::AnnotationRemoved { participant: participant.clone(), id };
                    s.roster.broadcast(None, &removed);
                }
            }
            Action::ClearAnnotations => {
                s.board.clear();
                s.roster.broadcast(None, &ServerMessage::AnnotationsCleared);
            }
            Action::SetControl { agent, granted } => self.set_control(s, &agent, granted)?,
            Action::RequestControl => {
                let standing =
                    s.roster.agent_standing_mut(participant).ok_or_else(unknown_participant)?;
                if standing.request()? {
                    let name = s.roster.name(participant).unwrap_or_default().to_owned();
                    s.roster.broadcast_participants(None);
                    s.note(SystemEvent::ControlRequested, &name, Role::Agent);
                }
            }
            Action::SetPaused(paused) => self.set_paused(s, participant, paused),
            Action::Admit { participant: agent, approved: true } => self.admit(s, &agent)?,
            Action::Admit { participant: agent, approved: false } => self.deny(s, &agent)?,
            // The loop hands over guidance only.
            _ => {}
        }
        Ok(())
    }

    fn set_control(
        &self,
        s: &mut Session,
        agent: &ParticipantId,
        granted: bool,
    ) -> Result<(), Rejection> {
        let standing = s.roster.agent_standing_mut(agent).ok_or_else(unknown_participant)?;
        if !standing.set_control(granted)? {
            return Ok(());
        }
        let name = s.roster.name(agent).unwrap_or_default().to_owned();
        tracing::info!(granted, "The customer changed an agent's control.");
        s.roster.broadcast_participants(None);
        let event = if granted { SystemEvent::ControlGranted } else { SystemEvent::ControlRevoked };
        s.note(event, &name, Role::Agent);
        self.reporter.report(SessionEvent::Audit {
            kind: if granted { AuditKind::ControlGranted } else { AuditKind::ControlRevoked },
            agent: s.roster.agent_id(agent).cloned(),
            detail: serde_json::json!({}),
        });
        Ok(())
    }

    /// Pauses or resumes what agents see. Pausing takes back the frames on their way to them;
    /// resuming gives them the latest picture (whole: it follows a gap) and the page's state.
    fn set_paused(&self, s: &mut Session, customer: &ParticipantId, paused: bool) {
        let no_frames = Frames::default();
        let latest = s.tabs.active().map_or(&no_frames, |tab| tab.latest());
        if !s.roster.set_paused(paused, latest) {
            return;
        }
        tracing::info!(paused, "The customer paused or resumed the agents' view.");
        s.roster.broadcast(None, &ServerMessage::Paused { paused });
        if let (false, Some(tab)) = (paused, s.tabs.active()) {
            let customers = ServerMessage::Page { page: tab.state(Role::Customer).clone() };
            let agents = ServerMessage::Page { page: tab.state(Role::Agent).clone() };
            s.roster.broadcast_by_role(None, &customers, &agents);
            let (customers, agents) = (s.tabs.strip(Role::Customer), s.tabs.strip(Role::Agent));
            s.roster.broadcast_by_role(None, &customers, &agents);
        }
        let name = s.roster.name(customer).unwrap_or_default().to_owned();
        s.note(
            if paused { SystemEvent::Paused } else { SystemEvent::Resumed },
            &name,
            Role::Customer,
        );
        self.reporter.report(SessionEvent::Audit {
            kind: if paused { AuditKind::ViewPaused } else { AuditKind::ViewResumed },
            agent: None,
            detail: serde_json::json!({}),
        });
    }

    /// The customer lets a waiting agent in: they get their welcome, the chat, the
    /// annotations and the picture; everyone hears they joined.
    fn admit(&self, s: &mut Session, agent: &ParticipantId) -> Result<(), Rejection> {
        let no_frames = Frames::default();
        let latest = s.tabs.active().map_or(&no_frames, |tab| tab.latest());
        s.roster.admit(agent, latest)?;
        tracing::info!("The customer approved an agent.");
        self.welcome(s, agent);
        s.roster.broadcast_participants(Some(agent));
        let name = s.roster.name(agent).unwrap_or_default().to_owned();
        s.note(SystemEvent::Joined, &name, Role::Agent);
        if let Some(agent) = s.roster.agent_id(agent).cloned() {
            self.reporter.report(SessionEvent::AgentAdmitted { agent });
        }
        Ok(())
    }

    /// The customer turns a waiting agent away: they are told, and leave.
    fn deny(&self, s: &mut Session, agent: &ParticipantId) -> Result<(), Rejection> {
        let standing = s.roster.agent_standing_mut(agent).ok_or_else(unknown_participant)?;
        if standing.is_admitted() {
            return Err(Rejection::new(
                RejectCode::NotWaiting,
                "this agent is already in the session",
            ));
        }
        tracing::info!("The customer turned an agent away.");
        let agent_id = s.roster.agent_id(agent).cloned();
        s.roster.send_to(agent, ServerMessage::Denied);
        self.leave(s, agent);
        self.reporter.report(SessionEvent::Audit {
            kind: AuditKind::AgentDenied,
            agent: agent_id,
            detail: serde_json::json!({}),
        });
        Ok(())
    }
}
