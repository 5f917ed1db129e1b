//! What a session does with the commands of its handles: agents added, connections made and
//! lost, the company's rules, the customer's files, a snapshot for staff. A client's message
//! goes to `client`; who comes and goes to `people`.

use super::{Actor, Ending, Session};
use crate::control::Standing;
use crate::files::UploadError;
use crate::handle::{Command, Probe, ProbeError, SessionSnapshot, SessionState};
use crate::worker::TabOp;
use model::{ParticipantId, Role};
use protocol::{ServerMessage, SystemEvent};
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
                let agent = Some((agent, entry.permissions));
                s.roster.add(participant, name.clone(), agent, standing, Instant::now());
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
            Command::Probe { probe } => probe_page(s, probe),
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
}

/// Hands a point-and-click question to the active tab's worker, which answers it in turn with
/// the tab's other operations.
fn probe_page(s: &mut Session, probe: Probe) {
    let Some(tab) = s.tabs.active() else {
        let error = ProbeError::Page("no page is open".to_owned());
        match probe {
            Probe::Inspect { reply, .. } => drop(reply.send(Err(error))),
            Probe::Count { reply, .. } => drop(reply.send(Err(error))),
        }
        return;
    };
    let op = match probe {
        Probe::Inspect { x, y, reply } => TabOp::Inspect { x, y, reply },
        Probe::Count { selector, reply } => TabOp::Count { selector, reply },
    };
    match tab.try_send(op) {
        Ok(()) => {}
        Err(TabOp::Inspect { reply, .. }) => drop(reply.send(Err(ProbeError::Busy))),
        Err(TabOp::Count { reply, .. }) => drop(reply.send(Err(ProbeError::Busy))),
        Err(_) => {}
    }
}
