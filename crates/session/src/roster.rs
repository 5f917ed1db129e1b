//! The session's participants: who is in, their standing, their connections, and delivering
//! messages and frames to them. A viewer that falls too far behind is disconnected rather than
//! slowing the session. Agents who wait for approval get nothing but what is addressed to them;
//! while the customer pauses the view, agents get no frame, no page state and no pointer of the
//! customer's.

use crate::control::{self, Gate, Standing};
use crate::feed::Frames;
use crate::handle::{Feed, FrameFeed, Viewer};
use crate::input::{Arbiter, Decision, Rejection};
use frames::{MaskedFrame, RawFrame, SlotSender, Update};
use model::{AgentId, ParticipantId, Permissions, Point, Role, Viewport};
use protocol::{ClientMessage, ParticipantInfo, RejectCode, ServerMessage};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

mod delivery;

pub(crate) use delivery::unknown_participant;
use delivery::{put_latest, reject, sees_page};

/// Control messages a viewer may fall behind by before it counts as gone.
pub(crate) const OUTBOX_CAPACITY: usize = 256;
/// A participant whose input is refused for flooding hears about it at most this often.
const FLOOD_NOTICE_EVERY: Duration = Duration::from_millis(500);
/// Colours the clients' palette has; participants get them in the order they join.
const N_COLORS: u8 = 8;

/// Everyone in the session, in the order they joined.
pub(crate) struct Roster {
    participants: HashMap<ParticipantId, Participant>,
    /// Join order, for stable participant lists.
    order: Vec<ParticipantId>,
    next_connection: u64,
    /// Each participant's input budget.
    events_per_second: u32,
    /// The customer paused what agents see.
    paused: bool,
    /// The colour the next participant gets.
    next_color: u8,
    /// How long a dropped participant may take to come back.
    grace: Duration,
}

struct Participant {
    name: String,
    role: Role,
    /// The staff account of an agent.
    agent: Option<AgentId>,
    /// What an agent's role lets them do; a customer is not staff, and is not asked.
    permissions: Option<Permissions>,
    color: u8,
    standing: Standing,
    connection: Option<Connection>,
    /// When the connection dropped (or the participant joined without one); the grace period
    /// runs from here.
    disconnected_at: Option<Instant>,
    arbiter: Arbiter,
    /// When this participant was last told about a refused input (to avoid floods).
    last_rejection: Option<Instant>,
}

struct Connection {
    id: u64,
    outbox: mpsc::Sender<ServerMessage>,
    sink: Sink,
}

/// Where a connection's frames go: raw for a customer, masked for an agent.
enum Sink {
    Customer(SlotSender<Arc<Update<RawFrame>>>),
    Agent(SlotSender<Arc<Update<MaskedFrame>>>),
}

/// Who is past the grace period without a connection.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Expired {
    /// The customer: the session ends.
    pub(crate) customer: bool,
    /// Agents: they leave.
    pub(crate) agents: Vec<ParticipantId>,
}

impl Roster {
    pub(crate) fn new(events_per_second: u32, grace: Duration) -> Roster {
        Roster {
            participants: HashMap::new(),
            order: Vec::new(),
            next_connection: 1,
            events_per_second,
            paused: false,
            next_color: 0,
            grace,
        }
    }

    /// Adds a participant who has until the grace period ends to connect: the customer, or an
    /// agent (`agent` their account and their role's permissions) standing as the company's
    /// policy says.
    pub(crate) fn add(
        &mut self,
        id: ParticipantId,
        name: String,
        agent: Option<(AgentId, Permissions)>,
        standing: Standing,
        now: Instant,
    ) {
        let role = if agent.is_some() { Role::Agent } else { Role::Customer };
        let (agent, permissions) = agent.unzip();
        let arbiter = Arbiter::new(role, self.events_per_second, now.into_std());
        let color = self.next_color;
        self.next_color = (self.next_color + 1) % N_COLORS;
        let p = Participant {
            name,
            role,
            agent,
            permissions,
            color,
            standing,
            connection: None,
            disconnected_at: Some(now),
            arbiter,
            last_rejection: None,
        };
        if self.participants.insert(id.clone(), p).is_none() {
            self.order.push(id);
        }
    }

    /// Takes `id` out of the session; their connection closes. False when they were not in it.
    pub(crate) fn remove(&mut self, id: &ParticipantId) -> bool {
        self.order.retain(|o| o != id);
        self.participants.remove(id).is_some()
    }

    /// Attaches a new connection for `id`, replacing one it had (a reload, a second tab); its
    /// frame slot starts with the latest frame of its kind, when they may see the page.
    pub(crate) fn connect(&mut self, id: &ParticipantId, latest: &Frames) -> Option<Viewer> {
        let connection = self.next_connection;
        self.next_connection += 1;
        let paused = self.paused;
        let p = self.participants.get_mut(id)?;
        let (outbox_tx, outbox) = mpsc::channel(OUTBOX_CAPACITY);
        let (sink, frames) = match p.role {
            Role::Customer => {
                let (tx, rx) = frames::slot();
                (Sink::Customer(tx), FrameFeed(Feed::Customer(rx)))
            }
            Role::Agent => {
                let (tx, rx) = frames::slot();
                (Sink::Agent(tx), FrameFeed(Feed::Agent(rx)))
            }
        };
        p.connection = Some(Connection { id: connection, outbox: outbox_tx, sink });
        p.disconnected_at = None;
        if sees_page(p, paused) {
            put_latest(p, latest);
        }
        Some(Viewer { connection, outbox, frames })
    }

    /// Detaches `connection` of `id` if it is still theirs; their grace period starts.
    pub(crate) fn disconnect(&mut self, id: &ParticipantId, connection: u64, now: Instant) -> bool {
        let Some(p) = self.participants.get_mut(id) else { return false };
        if p.connection.as_ref().is_none_or(|c| c.id != connection) {
            return false;
        }
        p.connection = None;
        p.disconnected_at = Some(now);
        true
    }

    /// Closes every connection (their feeds end after what was queued).
    pub(crate) fn close_all(&mut self) {
        for p in self.participants.values_mut() {
            p.connection = None;
        }
    }

    pub(crate) fn role(&self, id: &ParticipantId) -> Option<Role> {
        self.participants.get(id).map(|p| p.role)
    }

    pub(crate) fn info(&self, id: &ParticipantId) -> Option<ParticipantInfo> {
        self.info_at(id, Instant::now())
    }

    fn info_at(&self, id: &ParticipantId, now: Instant) -> Option<ParticipantInfo> {
        let p = self.participants.get(id)?;
        let connected = p.connection.is_some();
        // Whoever is away has the rest of the grace period to come back; the others count it down.
        let back_within_ms = match p.disconnected_at {
            Some(since) if !connected => {
                let left = (since + self.grace).saturating_duration_since(now);
                Some(u64::try_from(left.as_millis()).unwrap_or(u64::MAX))
            }
            _ => None,
        };
        Some(ParticipantInfo {
            id: id.clone(),
            name: p.name.clone(),
            role: p.role,
            connected,
            color: p.color,
            control: p.standing.has_control(),
            control_requested: p.standing.has_requested(),
            waiting: !p.standing.is_admitted(),
            back_within_ms,
        })
    }

    /// The staff account of an agent.
    pub(crate) fn agent_id(&self, id: &ParticipantId) -> Option<&AgentId> {
        self.participants.get(id)?.agent.as_ref()
    }

    pub(crate) fn color(&self, id: &ParticipantId) -> Option<u8> {
        self.participants.get(id).map(|p| p.color)
    }

    pub(crate) fn name(&self, id: &ParticipantId) -> Option<&str> {
        self.participants.get(id).map(|p| p.name.as_str())
    }

    /// Where `id` stands; `None` for someone not in the session.
    pub(crate) fn standing(&self, id: &ParticipantId) -> Option<Standing> {
        self.participants.get(id).map(|p| p.standing)
    }

    /// Where an agent stands, to change it; `None` for anyone else.
    pub(crate) fn agent_standing_mut(&mut self, id: &ParticipantId) -> Option<&mut Standing> {
        self.participants.get_mut(id).filter(|p| p.role == Role::Agent).map(|p| &mut p.standing)
    }

    /// Lets a waiting agent in: from now on they get what everyone gets, starting with the
    /// latest frame.
    pub(crate) fn admit(&mut self, id: &ParticipantId, latest: &Frames) -> Result<(), Rejection> {
        let paused = self.paused;
        let Some(p) = self.participants.get_mut(id).filter(|p| p.role == Role::Agent) else {
            return Err(unknown_participant());
        };
        p.standing.admit()?;
        if sees_page(p, paused) {
            put_latest(p, latest);
        }
        Ok(())
    }

    /// Whether the customer paused what agents see.
    pub(crate) fn is_paused(&self) -> bool {
        self.paused
    }

    /// Pauses what agents see (the frames waiting in their slots are taken back) or lets them
    /// see again (their slots get the latest frame, which goes whole); whether it changed.
    pub(crate) fn set_paused(&mut self, paused: bool, latest: &Frames) -> bool {
        if self.paused == paused {
            return false;
        }
        self.paused = paused;
        for p in self.participants.values_mut() {
            let Some(Connection { sink: Sink::Agent(tx), .. }) = &p.connection else { continue };
            if paused {
                tx.clear();
            } else if p.standing.is_admitted() {
                put_latest(p, latest);
            }
        }
        true
    }

    /// Everyone, in the order they joined.
    pub(crate) fn list(&self) -> Vec<ParticipantInfo> {
        let now = Instant::now();
        self.order.iter().filter_map(|id| self.info_at(id, now)).collect()
    }

    /// Whether a customer is connected now (while none is, agents may not act on the page).
    pub(crate) fn customer_connected(&self) -> bool {
        self.participants.values().any(|p| p.role == Role::Customer && p.connection.is_some())
    }

    /// `id`'s name and role, as the others know them.
    pub(crate) fn who(&self, id: &ParticipantId) -> Option<(String, Role)> {
        self.participants.get(id).map(|p| (p.name.clone(), p.role))
    }

    /// The arbiter's decision on a message from `connection` of `id`, or `None` when there is
    /// nothing to do: a message of a replaced connection still in flight, or a refusal (the
    /// sender is told).
    pub(crate) fn decide(
        &mut self,
        id: &ParticipantId,
        connection: u64,
        msg: ClientMessage,
        viewport: &Viewport,
        now: Instant,
    ) -> Option<(Role, Decision)> {
        let paused = self.paused;
        let p = self.participants.get_mut(id)?;
        if p.connection.as_ref().map(|c| c.id) != Some(connection) {
            return None;
        }
        if let Some(permissions) = p.permissions {
            let needed = msg.permission();
            if !permissions.contains(needed) {
                // Refused before anything looks at it, whatever else it would have been.
                let refused = Rejection::new(
                    RejectCode::NotPermitted,
                    format!("your role does not have the `{needed}` permission"),
                );
                reject(p, refused, now);
                return None;
            }
        }
        let gated = match p.arbiter.decide(msg, viewport, now.into_std()) {
            Ok(decision) => control::gate(p.role, &p.standing, paused, decision),
            Err(rejection) => Gate::Refuse(rejection),
        };
        match gated {
            Gate::Pass(decision) => Some((p.role, decision)),
            Gate::Refuse(rejection) => {
                reject(p, rejection, now);
                None
            }
        }
    }

    /// When the next participant's grace period runs out.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.participants.values().filter_map(|p| p.disconnected_at).min().map(|t| t + self.grace)
    }

    /// Who has been without a connection for the grace period or longer.
    pub(crate) fn expired(&self, now: Instant) -> Expired {
        let mut expired = Expired::default();
        for id in &self.order {
            let Some(p) = self.participants.get(id) else { continue };
            if p.disconnected_at.is_some_and(|t| now.duration_since(t) >= self.grace) {
                match p.role {
                    Role::Customer => expired.customer = true,
                    Role::Agent => expired.agents.push(id.clone()),
                }
            }
        }
        expired
    }
}
