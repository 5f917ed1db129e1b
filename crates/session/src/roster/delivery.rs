//! Delivery: who gets which message and frame (a waiting agent only what is addressed to them,
//! agents nothing of the page while the view is paused), refusals, cursors, fan-out.

use super::*;

impl Roster {
    /// Tells `id` their input was refused (a flood of refusals only once in a while); says
    /// whether they were told.
    pub(crate) fn reject(
        &mut self,
        id: &ParticipantId,
        rejection: Rejection,
        now: Instant,
    ) -> bool {
        self.participants.get_mut(id).is_some_and(|p| reject(p, rejection, now))
    }

    /// Shows everyone else where `id`'s pointer is (agents see the customer's only while the
    /// view is not paused).
    pub(crate) fn cursor_moved(&mut self, id: &ParticipantId, at: Point) {
        let Some(p) = self.participants.get(id) else { return };
        let cursor = ServerMessage::Cursor {
            participant: id.clone(),
            name: p.name.clone(),
            role: p.role,
            x: at.x,
            y: at.y,
        };
        if p.role == Role::Customer && self.paused {
            self.send_to_customers(None, &cursor);
        } else {
            self.broadcast(Some(id), &cursor);
        }
    }

    pub(crate) fn send_to(&mut self, id: &ParticipantId, msg: ServerMessage) {
        if let Some(p) = self.participants.get_mut(id) {
            deliver(p, msg);
        }
    }

    /// Sends `msg` to everyone in the session but `except` (agents waiting for approval are
    /// not in yet).
    pub(crate) fn broadcast(&mut self, except: Option<&ParticipantId>, msg: &ServerMessage) {
        for (id, p) in self.participants.iter_mut() {
            if Some(id) != except && p.standing.is_admitted() {
                deliver(p, msg.clone());
            }
        }
    }

    /// Tells everyone but `except` who is in the session.
    pub(crate) fn broadcast_participants(&mut self, except: Option<&ParticipantId>) {
        let msg = ServerMessage::Participants { participants: self.list() };
        self.broadcast(except, &msg);
    }

    /// Sends customers one message about the page and agents another (agents only while they
    /// may see the page), to everyone but `except`.
    pub(crate) fn broadcast_by_role(
        &mut self,
        except: Option<&ParticipantId>,
        customers: &ServerMessage,
        agents: &ServerMessage,
    ) {
        let paused = self.paused;
        for (id, p) in self.participants.iter_mut() {
            if Some(id) == except {
                continue;
            }
            match p.role {
                Role::Customer => deliver(p, customers.clone()),
                Role::Agent if sees_page(p, paused) => deliver(p, agents.clone()),
                Role::Agent => {}
            }
        }
    }

    /// Sends `msg` to the customers, or to one of them.
    pub(crate) fn send_to_customers(&mut self, to: Option<&ParticipantId>, msg: &ServerMessage) {
        self.send_to_role(Role::Customer, to, msg);
    }

    /// Sends `msg` to everyone of `role` who may see the page, or only to `to` if they have it.
    pub(crate) fn send_to_role(
        &mut self,
        role: Role,
        to: Option<&ParticipantId>,
        msg: &ServerMessage,
    ) {
        let paused = self.paused;
        for (id, p) in self.participants.iter_mut() {
            if p.role == role && to.is_none_or(|t| t == id) && sees_page(p, paused) {
                deliver(p, msg.clone());
            }
        }
    }

    /// Puts frames in the viewers' slots: customers get theirs, agents theirs while they may
    /// see the page. A frame that replaces one a viewer has not taken yet counts as dropped.
    pub(crate) fn fan_out(&self, frames: &Frames) {
        for p in self.participants.values() {
            let Some(conn) = &p.connection else { continue };
            if !sees_page(p, self.paused) {
                continue;
            }
            let replaced = match (&conn.sink, &frames.customers, &frames.agents) {
                (Sink::Customer(tx), Some(update), _) => tx.put(update.clone()),
                (Sink::Agent(tx), _, Some(update)) => tx.put(update.clone()),
                _ => false,
            };
            if replaced {
                metrics::counter!("beside_frames_dropped_total", "reason" => "slow_viewer")
                    .increment(1);
            }
        }
    }
}

/// Whether `p` may see the page now: the customer always, an agent once let in and while the
/// view is not paused.
pub(super) fn sees_page(p: &Participant, paused: bool) -> bool {
    p.role == Role::Customer || (p.standing.is_admitted() && !paused)
}

/// Puts the latest frame of `p`'s kind in their slot (it goes whole: it follows a gap).
pub(super) fn put_latest(p: &Participant, latest: &Frames) {
    let Some(conn) = &p.connection else { return };
    match (&conn.sink, &latest.customers, &latest.agents) {
        (Sink::Customer(tx), Some(update), _) => {
            tx.put(update.clone());
        }
        (Sink::Agent(tx), _, Some(update)) => {
            tx.put(update.clone());
        }
        _ => {}
    }
}

pub(crate) fn unknown_participant() -> Rejection {
    Rejection::new(RejectCode::UnknownParticipant, "there is no such agent in this session")
}

/// Tells `p` their input was refused; false when a flood of refusals is told only once in a
/// while and this one was not.
pub(super) fn reject(p: &mut Participant, rejection: Rejection, now: Instant) -> bool {
    metrics::counter!("beside_inputs_rejected_total", "reason" => rejection.code.as_str())
        .increment(1);
    // A flood of input produces a flood of refusals; tell the sender once in a while. Someone
    // drawing or clicking without control, or while the customer is away, sends many, too.
    let is_flood = matches!(
        rejection.code,
        RejectCode::RateLimited
            | RejectCode::Busy
            | RejectCode::NoControl
            | RejectCode::Paused
            | RejectCode::CustomerAway
    );
    if is_flood && p.last_rejection.is_some_and(|t| now.duration_since(t) < FLOOD_NOTICE_EVERY) {
        return false;
    }
    p.last_rejection = Some(now);
    if let Some(conn) = &p.connection {
        let _ = conn
            .outbox
            .try_send(ServerMessage::Rejected { code: rejection.code, message: rejection.message });
    }
    true
}

/// Queues a message for one viewer; a viewer too far behind is disconnected (it will
/// reconnect and get a fresh `Welcome`) rather than slowing the session.
fn deliver(p: &mut Participant, msg: ServerMessage) {
    let Some(conn) = &p.connection else { return };
    if let Err(mpsc::error::TrySendError::Full(_)) = conn.outbox.try_send(msg) {
        metrics::counter!("beside_viewers_dropped_total", "reason" => "slow_viewer").increment(1);
        p.connection = None;
        p.disconnected_at = Some(Instant::now());
    }
}
