//! One task per session: it owns participants, the cloud browser tab, the latest frame
//! and the page state, and it is the only place where they change.

use crate::input::{Action, Arbiter, Rejection};
use crate::masks::MaskTracker;
use crate::registry::Inner;
use browser::{ClipboardOp, Tab, TabEvent, TabOptions};
use frames::{mask, Delta, Differ, MaskedFrame, RawFrame, SlotReceiver, SlotSender, Update};
use model::{AgentId, CompanyId, ParticipantId, Point, Role, SessionId, Viewport};
use policy::rules::CompanyRule;
use protocol::{ClientMessage, EndReason, PageState, ParticipantInfo, ServerMessage};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use tokio::time::sleep_until;

/// Control messages a viewer may fall behind by before it counts as gone.
const OUTBOX_CAPACITY: usize = 256;
/// How long an agent's frame may wait for the guard's word on it before it goes out hidden.
const MASK_WAIT: Duration = Duration::from_millis(150);
/// Frames that may wait for the guard at once; more, and the oldest is skipped.
const MAX_HELD: usize = 4;
/// Attempts to reopen the page after the browser was lost.
const N_TAB_RESTORE_ATTEMPTS: u32 = 4;

/// Where the session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// The customer is in, no agent has joined yet.
    Waiting,
    /// An agent has joined.
    Active,
}

/// A session as the API reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionSnapshot {
    pub id: SessionId,
    #[serde(skip)]
    pub company: CompanyId,
    pub state: SessionState,
    pub participants: Vec<ParticipantInfo>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub page: PageState,
}

/// The frames a viewer receives: raw for the customer, masked for an agent, each with its
/// changes against the frame before it in that stream.
pub enum FrameFeed {
    Customer(SlotReceiver<Arc<Update<RawFrame>>>),
    Agent(SlotReceiver<Arc<Update<MaskedFrame>>>),
}

impl FrameFeed {
    /// The next frame for this viewer, as it may see it; `None` once the session ended.
    pub async fn next(&mut self) -> Option<RawFrameView> {
        match self {
            FrameFeed::Customer(rx) => rx.take().await.map(RawFrameView::Raw),
            FrameFeed::Agent(rx) => rx.take().await.map(RawFrameView::Masked),
        }
    }
}

/// A frame ready to send to one viewer.
pub enum RawFrameView {
    Raw(Arc<Update<RawFrame>>),
    Masked(Arc<Update<MaskedFrame>>),
}

impl RawFrameView {
    pub fn frame(&self) -> &RawFrame {
        match self {
            RawFrameView::Raw(u) => u.frame(),
            RawFrameView::Masked(u) => u.frame().frame(),
        }
    }

    /// The frame as changes against the one before it in its stream, when that is smaller.
    pub fn delta(&self) -> Option<&Delta> {
        match self {
            RawFrameView::Raw(u) => u.delta(),
            RawFrameView::Masked(u) => u.delta(),
        }
    }
}

/// A live connection of one participant, as the transport sees it.
pub struct Viewer {
    pub connection: u64,
    pub outbox: mpsc::Receiver<ServerMessage>,
    pub frames: FrameFeed,
}

pub(crate) enum Command {
    AddAgent {
        participant: ParticipantId,
        agent: AgentId,
        name: String,
        reply: oneshot::Sender<bool>,
    },
    Connect {
        participant: ParticipantId,
        reply: oneshot::Sender<Option<Viewer>>,
    },
    Disconnect {
        participant: ParticipantId,
        connection: u64,
    },
    Client {
        participant: ParticipantId,
        connection: u64,
        msg: ClientMessage,
    },
    End {
        reason: EndReason,
    },
    Snapshot {
        reply: oneshot::Sender<SessionSnapshot>,
    },
    SetRules {
        rules: Arc<[CompanyRule]>,
    },
}

/// A cheap, cloneable way to talk to a session's task.
#[derive(Clone)]
pub struct SessionHandle {
    id: SessionId,
    tx: mpsc::Sender<Command>,
}

impl SessionHandle {
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// Attaches a connection for a participant; a previous connection of theirs is closed.
    /// `None` when the session has ended.
    pub async fn connect(&self, participant: &ParticipantId) -> Option<Viewer> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::Connect { participant: participant.clone(), reply }).await.ok()?;
        rx.await.ok().flatten()
    }

    pub async fn disconnect(&self, participant: &ParticipantId, connection: u64) {
        let _ = self
            .tx
            .send(Command::Disconnect { participant: participant.clone(), connection })
            .await;
    }

    /// Hands a client's message to the session. Waits when the session is busy, which
    /// slows that one sender's reading, never the session.
    pub async fn client_message(
        &self,
        participant: &ParticipantId,
        connection: u64,
        msg: ClientMessage,
    ) {
        let cmd = Command::Client { participant: participant.clone(), connection, msg };
        let _ = self.tx.send(cmd).await;
    }

    pub async fn end(&self, reason: EndReason) {
        let _ = self.tx.send(Command::End { reason }).await;
    }

    /// The company's rules changed: the page applies the new ones at once.
    pub async fn set_rules(&self, rules: Arc<[CompanyRule]>) {
        let _ = self.tx.send(Command::SetRules { rules }).await;
    }

    pub async fn snapshot(&self) -> Option<SessionSnapshot> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::Snapshot { reply }).await.ok()?;
        rx.await.ok()
    }

    pub(crate) async fn add_agent(
        &self,
        participant: ParticipantId,
        agent: AgentId,
        name: String,
    ) -> bool {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Command::AddAgent { participant, agent, name, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }
}

enum Sink {
    Customer(SlotSender<Arc<Update<RawFrame>>>),
    Agent(SlotSender<Arc<Update<MaskedFrame>>>),
}

struct Connection {
    id: u64,
    outbox: mpsc::Sender<ServerMessage>,
    sink: Sink,
}

struct Participant {
    name: String,
    role: Role,
    connection: Option<Connection>,
    /// When the connection dropped; the grace period runs from here.
    disconnected_at: Option<Instant>,
    arbiter: Arbiter,
    /// When this participant was last told about a refused input (to avoid floods).
    last_rejection: Option<Instant>,
}

impl TabOp {
    fn name(&self) -> &'static str {
        match self {
            TabOp::Input { .. } => "input",
            TabOp::Navigate(_) => "navigate",
            TabOp::Back => "back",
            TabOp::Forward => "forward",
            TabOp::Reload => "reload",
            TabOp::Viewport(_) => "viewport",
            TabOp::Replace(_) => "replace",
            TabOp::Rules(_) => "rules",
            TabOp::Clipboard { .. } => "clipboard",
        }
    }
}

/// What the tab worker does, in order, off the actor's loop.
enum TabOp {
    /// Input to dispatch; an agent's is first checked against the page's guard.
    Input {
        input: browser::Input,
        agent: Option<ParticipantId>,
    },
    Navigate(url::Url),
    Back,
    Forward,
    Reload,
    Viewport(Viewport),
    Replace(Tab),
    /// The company's rules changed.
    Rules(Arc<[CompanyRule]>),
    /// A copy, cut or paste with the session's clipboard.
    Clipboard {
        op: ClipboardOp,
        participant: ParticipantId,
        role: Role,
    },
}

/// What the tab worker reports back to the session's task.
enum WorkerEvent {
    /// An input was refused after the page's guard was asked.
    Refused(ParticipantId, Rejection),
    /// A participant copied text: it goes to their own device's clipboard too.
    Copied(ParticipantId, String),
}

pub(crate) struct Actor {
    pub(crate) id: SessionId,
    pub(crate) company: CompanyId,
    pub(crate) registry: Arc<Inner>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) customer: ParticipantId,
    pub(crate) customer_name: String,
    pub(crate) pin_deadline: Instant,
    pub(crate) start_url: url::Url,
    pub(crate) locale: Option<String>,
    /// The company's masking and blocking rules in force.
    pub(crate) rules: Arc<[CompanyRule]>,
    pub(crate) tab: Tab,
    pub(crate) tab_events: mpsc::Receiver<TabEvent>,
}

struct State {
    participants: HashMap<ParticipantId, Participant>,
    /// Join order, for stable participant lists.
    order: Vec<ParticipantId>,
    viewport: Viewport,
    /// The page as the customer sees it.
    page: PageState,
    /// The page as agents see it: masked values taken out of the address and title.
    agent_page: PageState,
    last_frame: Option<Arc<Update<RawFrame>>>,
    last_masked: Option<Arc<Update<MaskedFrame>>>,
    /// The customers' and the agents' streams, each compared frame by frame.
    customer_differ: Differ,
    agent_differ: Differ,
    frame_seq: u64,
    next_connection: u64,
    agent_joined: bool,
    /// The page's masked and blocked elements, from its guard.
    masks: MaskTracker,
    /// The newest frame waiting for the guard before agents may get it, and since when.
    held: VecDeque<(Arc<RawFrame>, Instant)>,
}

impl Actor {
    pub(crate) fn spawn(self) -> SessionHandle {
        let (tx, rx) = mpsc::channel(256);
        let handle = SessionHandle { id: self.id.clone(), tx };
        tokio::spawn(self.run(rx));
        handle
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let span = tracing::info_span!("session", session_id = %self.id, company = %self.company);
        let _enter = span.enter();
        drop(_enter);
        let now = Instant::now();
        let grace = self.registry.config.reconnect_grace();
        let events_per_second = self.registry.config.input_events_per_second;
        // The agents' stream takes the customers' changes when their frames are the same.
        let customer_differ = Differ::new();
        let mut state = State {
            participants: HashMap::new(),
            order: Vec::new(),
            viewport: Viewport::DEFAULT,
            page: PageState {
                url: self.start_url.to_string(),
                loading: true,
                ..PageState::default()
            },
            agent_page: PageState {
                url: policy::redact::redact_url(self.start_url.as_str()),
                loading: true,
                ..PageState::default()
            },
            last_frame: None,
            last_masked: None,
            agent_differ: customer_differ.sibling(),
            customer_differ,
            frame_seq: 0,
            next_connection: 1,
            agent_joined: false,
            masks: MaskTracker::default(),
            held: VecDeque::new(),
        };
        state.participants.insert(
            self.customer.clone(),
            Participant {
                name: self.customer_name.clone(),
                role: Role::Customer,
                connection: None,
                // The customer has until the grace period ends to open the view.
                disconnected_at: Some(now),
                arbiter: Arbiter::new(Role::Customer, events_per_second, now),
                last_rejection: None,
            },
        );
        state.order.push(self.customer.clone());

        let (tab_tx, tab_rx) = mpsc::channel(512);
        let (worker_tx, mut worker_events) = mpsc::unbounded_channel();
        tokio::spawn(tab_worker(self.tab.clone(), tab_rx, worker_tx));

        let reason = loop {
            let deadline = next_deadline(&state, grace, self.pin_deadline);
            tokio::select! {
                cmd = commands.recv() => {
                    let Some(cmd) = cmd else { break EndReason::ServerShutdown };
                    if let Some(reason) = self.on_command(&mut state, &tab_tx, cmd) {
                        break reason;
                    }
                }
                Some(event) = worker_events.recv() => match event {
                    WorkerEvent::Refused(participant, rejection) => {
                        self.on_refused(&mut state, &participant, rejection).await;
                    }
                    WorkerEvent::Copied(participant, text) => {
                        send_to(&mut state, &participant, ServerMessage::Clipboard { text });
                    }
                },
                ev = self.tab_events.recv() => match ev {
                    Some(TabEvent::Frame(frame)) => on_frame(&mut state, frame),
                    Some(TabEvent::Guard(report)) => {
                        let change = state.masks.on_report(report, Instant::now());
                        if change.outlines {
                            send_outlines(&mut state, None);
                        }
                        if change.masked_set && state.held.is_empty() {
                            // A still page gives no new frame to carry a new mask: the agent's
                            // last one is masked again.
                            remask_last(&mut state);
                        }
                        release_held(&mut state, false);
                    }
                    Some(TabEvent::GuardTick(time_ms)) => {
                        state.masks.on_tick(time_ms, Instant::now());
                        release_held(&mut state, false);
                    }
                    Some(TabEvent::GuardLate(time_ms)) => state.masks.on_late(time_ms),
                    Some(TabEvent::Page(info)) => {
                        state.masks.on_navigation(&info.url);
                        state.agent_page = PageState {
                            url: policy::redact::redact_url(&info.url),
                            title: policy::redact::redact_text(&info.agent_title),
                            loading: info.loading,
                            can_go_back: info.can_go_back,
                            can_go_forward: info.can_go_forward,
                        };
                        state.page = PageState {
                            url: info.url,
                            title: info.title,
                            loading: info.loading,
                            can_go_back: info.can_go_back,
                            can_go_forward: info.can_go_forward,
                        };
                        broadcast_page(&mut state);
                    }
                    Some(TabEvent::Crashed) => {
                        tracing::warn!(session_id = %self.id, "The page crashed; it is being reloaded.");
                    }
                    Some(TabEvent::Lost) | None => {
                        match self.restore_tab(&state).await {
                            Some(tab) => {
                                let _ = tab_tx.send(TabOp::Replace(tab)).await;
                            }
                            None => break EndReason::BrowserFailed,
                        }
                    }
                },
                () = sleep_until(deadline.into()) => {
                    if let Some(reason) = self.on_deadline(&mut state, grace) {
                        break reason;
                    }
                }
            }
        };
        self.finish(&mut state, reason).await;
    }

    fn on_command(
        &mut self,
        state: &mut State,
        tab_tx: &mpsc::Sender<TabOp>,
        cmd: Command,
    ) -> Option<EndReason> {
        match cmd {
            Command::AddAgent { participant, agent, name, reply } => {
                let now = Instant::now();
                tracing::info!(session_id = %self.id, agent_id = %agent, "Agent joined.");
                state.participants.insert(
                    participant.clone(),
                    Participant {
                        name,
                        role: Role::Agent,
                        connection: None,
                        disconnected_at: Some(now),
                        arbiter: Arbiter::new(
                            Role::Agent,
                            self.registry.config.input_events_per_second,
                            now,
                        ),
                        last_rejection: None,
                    },
                );
                state.order.push(participant);
                state.agent_joined = true;
                broadcast_participants(state);
                let _ = reply.send(true);
            }
            Command::Connect { participant, reply } => {
                let _ = reply.send(self.connect(state, &participant));
            }
            Command::Disconnect { participant, connection } => {
                let p = state.participants.get_mut(&participant)?;
                if p.connection.as_ref().is_some_and(|c| c.id == connection) {
                    p.connection = None;
                    p.disconnected_at = Some(Instant::now());
                    tracing::info!(session_id = %self.id, role = %p.role, "Participant disconnected; waiting for them to come back.");
                    broadcast(
                        state,
                        Some(&participant),
                        &ServerMessage::CursorGone { participant: participant.clone() },
                    );
                    broadcast_participants(state);
                }
            }
            Command::Client { participant, connection, msg } => {
                return self.on_client_message(state, tab_tx, &participant, connection, msg);
            }
            Command::End { reason } => return Some(reason),
            Command::SetRules { rules } => {
                tracing::info!(session_id = %self.id, n_rules = rules.len(), "The company's rules changed.");
                self.rules = rules.clone();
                if tab_tx.try_send(TabOp::Rules(rules)).is_err() {
                    tracing::warn!(session_id = %self.id, "The browser is busy; the new rules apply to the next page.");
                }
            }
            Command::Snapshot { reply } => {
                let _ = reply.send(SessionSnapshot {
                    id: self.id.clone(),
                    company: self.company.clone(),
                    state: if state.agent_joined {
                        SessionState::Active
                    } else {
                        SessionState::Waiting
                    },
                    participants: participant_list(state),
                    created_at: self.created_at,
                    // Company staff read this: the agent's view of the page.
                    page: state.agent_page.clone(),
                });
            }
        }
        None
    }

    fn connect(&mut self, state: &mut State, participant: &ParticipantId) -> Option<Viewer> {
        let connection = state.next_connection;
        state.next_connection += 1;
        let p = state.participants.get_mut(participant)?;
        let (outbox_tx, outbox_rx) = mpsc::channel(OUTBOX_CAPACITY);
        let (sink, frames) = match p.role {
            Role::Customer => {
                let (tx, rx) = frames::slot();
                if let Some(f) = &state.last_frame {
                    tx.put(f.clone());
                }
                (Sink::Customer(tx), FrameFeed::Customer(rx))
            }
            Role::Agent => {
                let (tx, rx) = frames::slot();
                if let Some(f) = &state.last_masked {
                    tx.put(f.clone());
                }
                (Sink::Agent(tx), FrameFeed::Agent(rx))
            }
        };
        // A newer connection of the same person replaces the old one (a reload, a second tab).
        p.connection = Some(Connection { id: connection, outbox: outbox_tx, sink });
        p.disconnected_at = None;
        let you = ParticipantInfo {
            id: participant.clone(),
            name: p.name.clone(),
            role: p.role,
            connected: true,
        };
        let page = match p.role {
            Role::Customer => state.page.clone(),
            Role::Agent => state.agent_page.clone(),
        };
        let welcome = ServerMessage::Welcome {
            version: protocol::VERSION,
            session_id: self.id.clone(),
            you,
            participants: participant_list(state),
            viewport: state.viewport,
            page,
        };
        broadcast_participants_except(state, participant);
        let p = state.participants.get_mut(participant)?;
        let conn = p.connection.as_ref()?;
        let _ = conn.outbox.try_send(welcome);
        let role = p.role;
        tracing::info!(session_id = %self.id, role = %role, "Participant connected.");
        if role == Role::Customer {
            send_outlines(state, Some(participant));
        }
        Some(Viewer { connection, outbox: outbox_rx, frames })
    }

    fn on_client_message(
        &mut self,
        state: &mut State,
        tab_tx: &mpsc::Sender<TabOp>,
        participant: &ParticipantId,
        connection: u64,
        msg: ClientMessage,
    ) -> Option<EndReason> {
        let now = Instant::now();
        let viewport = state.viewport;
        let p = state.participants.get_mut(participant)?;
        if p.connection.as_ref().map(|c| c.id) != Some(connection) {
            // A message from a replaced connection still in flight.
            return None;
        }
        let role = p.role;
        let decision = match p.arbiter.decide(msg, &viewport, now) {
            Ok(d) => d,
            Err(rejection) => {
                reject(p, rejection, now);
                return None;
            }
        };
        if let Some(Point { x, y }) = decision.cursor {
            let cursor = ServerMessage::Cursor {
                participant: participant.clone(),
                name: p.name.clone(),
                role,
                x,
                y,
            };
            broadcast(state, Some(participant), &cursor);
        }
        let op = match decision.action {
            Action::Dispatch(input) => {
                TabOp::Input { input, agent: (role == Role::Agent).then(|| participant.clone()) }
            }
            Action::Clipboard(op) => {
                TabOp::Clipboard { op, participant: participant.clone(), role }
            }
            Action::Navigate(url) => TabOp::Navigate(url),
            Action::Back => TabOp::Back,
            Action::Forward => TabOp::Forward,
            Action::Reload => TabOp::Reload,
            Action::SetViewport(v) => {
                if v == state.viewport {
                    return None;
                }
                state.viewport = v;
                broadcast(state, None, &ServerMessage::Viewport { viewport: v });
                TabOp::Viewport(v)
            }
            Action::End => {
                return Some(match role {
                    Role::Customer => EndReason::CustomerEnded,
                    Role::Agent => EndReason::AgentEnded,
                });
            }
            Action::Pong => {
                send_to(state, participant, ServerMessage::Pong);
                return None;
            }
            Action::Nothing => return None,
        };
        if tab_tx.try_send(op).is_err() {
            // The browser is not keeping up with input: refusing is better than queueing
            // seconds of stale input.
            if let Some(p) = state.participants.get_mut(participant) {
                reject(
                    p,
                    Rejection { code: "busy", message: "the page is busy; input dropped".into() },
                    now,
                );
            }
        }
        None
    }

    /// An agent's input was refused after the page's guard was asked: tell them, count, audit.
    async fn on_refused(
        &mut self,
        state: &mut State,
        participant: &ParticipantId,
        rejection: Rejection,
    ) {
        let code = rejection.code;
        if let Some(p) = state.participants.get_mut(participant) {
            reject(p, rejection, Instant::now());
        }
        self.registry
            .audit(
                "agent_input_refused",
                Some(&self.company),
                None,
                Some(&self.id),
                serde_json::json!({ "reason": code }),
            )
            .await;
    }

    fn on_deadline(&mut self, state: &mut State, grace: Duration) -> Option<EndReason> {
        let now = Instant::now();
        if state.held.front().is_some_and(|(_, since)| now.duration_since(*since) >= MASK_WAIT) {
            release_held(state, true);
        }
        if !state.agent_joined && now >= self.pin_deadline {
            return Some(EndReason::PinExpired);
        }
        let mut gone = Vec::new();
        for (id, p) in &state.participants {
            if p.disconnected_at.is_some_and(|t| now.duration_since(t) >= grace) {
                if p.role == Role::Customer {
                    return Some(EndReason::CustomerLeft);
                }
                gone.push(id.clone());
            }
        }
        if !gone.is_empty() {
            for id in &gone {
                state.participants.remove(id);
                state.order.retain(|o| o != id);
                self.registry.forget_participant(id);
            }
            tracing::info!(session_id = %self.id, "Agent did not come back within the grace period.");
            broadcast_participants(state);
        }
        None
    }

    async fn restore_tab(&mut self, state: &State) -> Option<Tab> {
        let url = url::Url::parse(&state.page.url).unwrap_or_else(|_| self.start_url.clone());
        let mut delay = Duration::from_millis(250);
        for attempt in 1..=N_TAB_RESTORE_ATTEMPTS {
            let opts = TabOptions {
                viewport: state.viewport,
                locale: self.locale.clone(),
                url: url.clone(),
                rules: self.rules.clone(),
            };
            match self.registry.browser.new_tab(opts).await {
                Ok((tab, events)) => {
                    tracing::warn!(session_id = %self.id, attempt, "The cloud browser was lost; the page was reopened.");
                    self.tab = tab.clone();
                    self.tab_events = events;
                    return Some(tab);
                }
                Err(error) => {
                    tracing::warn!(session_id = %self.id, attempt, %error, "Could not reopen the page yet.");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
        None
    }

    async fn finish(self, state: &mut State, reason: EndReason) {
        tracing::info!(session_id = %self.id, reason = reason.as_str(), "Session ended.");
        // Forget the session first: from the moment anyone hears it ended, its tokens say so.
        self.registry.forget_session(&self.id);
        self.registry.record_end(&self.id, &self.company, reason).await;
        broadcast(state, None, &ServerMessage::Ended { reason });
        // Dropping the connections closes every viewer's feed after the `Ended` message.
        for p in state.participants.values_mut() {
            p.connection = None;
        }
        if let Err(error) = self.tab.close().await {
            tracing::warn!(session_id = %self.id, %error, "Could not dispose the browser context.");
        }
    }
}

/// The time of the next grace-period or PIN expiry check.
fn next_deadline(state: &State, grace: Duration, pin_deadline: Instant) -> Instant {
    let far = Instant::now() + Duration::from_secs(3600);
    let mut next = if state.agent_joined { far } else { pin_deadline };
    if let Some((_, since)) = state.held.front() {
        next = next.min(*since + MASK_WAIT);
    }
    for p in state.participants.values() {
        if let Some(t) = p.disconnected_at {
            next = next.min(t + grace);
        }
    }
    next
}

fn on_frame(state: &mut State, frame: browser::Frame) {
    if let Some(age) = frames::age_seconds(frame.timestamp_ms) {
        metrics::histogram!("beside_frame_age_seconds", "stage" => "session").record(age);
    }
    state.frame_seq += 1;
    let raw = Arc::new(RawFrame {
        seq: state.frame_seq,
        jpeg: frame.jpeg,
        css_width: frame.css_width,
        css_height: frame.css_height,
        scroll_x: frame.scroll_x,
        scroll_y: frame.scroll_y,
        timestamp_ms: frame.timestamp_ms,
    });
    let update = Arc::new(Update::new(raw.as_ref().clone(), &mut state.customer_differ));
    for p in state.participants.values() {
        let Some(Connection { sink: Sink::Customer(tx), .. }) = &p.connection else { continue };
        if tx.put(update.clone()) {
            metrics::counter!("beside_frames_dropped_total", "reason" => "slow_viewer")
                .increment(1);
        }
    }
    state.last_frame = Some(update);
    // Agents get the frame once the guard has spoken for its moment (or hidden, if it is silent).
    // A few wait at once: on a page whose scripts change it every frame, each frame waits for
    // the guard's next measurement, which may come after the next frame.
    state.held.push_back((raw, Instant::now()));
    if state.held.len() > MAX_HELD {
        state.held.pop_front();
        metrics::counter!("beside_frames_dropped_total", "reason" => "mask_pending").increment(1);
    }
    release_held(state, false);
}

/// Sends the newest held frame the guard has spoken for to agents, masked (older ones are
/// skipped); with `force` (the oldest has waited long enough) and none ready, the oldest goes
/// whatever the guard said, so a silent guard means hidden.
fn release_held(state: &mut State, force: bool) {
    let ready = state.held.iter().rposition(|(raw, _)| state.masks.is_ready_for(raw));
    let (raw, plan) = match ready {
        Some(idx) => {
            for _ in 0..idx {
                state.held.pop_front();
                metrics::counter!("beside_frames_dropped_total", "reason" => "mask_pending")
                    .increment(1);
            }
            let Some((raw, since)) = state.held.pop_front() else { return };
            metrics::histogram!("beside_agent_frame_held_seconds")
                .record(since.elapsed().as_secs_f64());
            let plan = state.masks.plan_for(&raw, Instant::now());
            (raw, plan)
        }
        None if force => {
            let Some((raw, _)) = state.held.pop_front() else { return };
            (raw, frames::MaskPlan::HideAll)
        }
        None => return,
    };
    send_to_agents(state, &raw, &plan);
}

/// Masks the latest frame again, with what the guard reports now added, and sends it to agents.
fn remask_last(state: &mut State) {
    let Some(last) = state.last_frame.clone() else { return };
    let raw = last.frame();
    let plan = state.masks.plan_again_for(raw, Instant::now());
    send_to_agents(state, raw, &plan);
}

/// Sends agents `raw` masked by `plan`.
fn send_to_agents(state: &mut State, raw: &RawFrame, plan: &frames::MaskPlan) {
    // An unmasked frame that is the customers' latest, after the same frame as theirs, takes
    // their changes instead of being compared again.
    let frame = mask(raw, plan);
    let masked = Arc::new(match &state.last_frame {
        Some(lead) => Update::follow(frame, &mut state.agent_differ, lead, &state.customer_differ),
        None => Update::new(frame, &mut state.agent_differ),
    });
    for p in state.participants.values() {
        let Some(Connection { sink: Sink::Agent(tx), .. }) = &p.connection else { continue };
        if tx.put(masked.clone()) {
            metrics::counter!("beside_frames_dropped_total", "reason" => "slow_viewer")
                .increment(1);
        }
    }
    state.last_masked = Some(masked);
}

fn reject(p: &mut Participant, rejection: Rejection, now: Instant) {
    metrics::counter!("beside_inputs_rejected_total", "reason" => rejection.code).increment(1);
    // A flood of input produces a flood of refusals; tell the sender once in a while.
    let is_flood = matches!(rejection.code, "rate_limited" | "busy");
    if is_flood
        && p.last_rejection.is_some_and(|t| now.duration_since(t) < Duration::from_millis(500))
    {
        return;
    }
    p.last_rejection = Some(now);
    if let Some(conn) = &p.connection {
        let _ = conn.outbox.try_send(ServerMessage::Rejected {
            code: rejection.code.to_owned(),
            message: rejection.message,
        });
    }
}

/// Tells customers (all, or one) what is hidden from the agent and reserved for them.
fn send_outlines(state: &mut State, to: Option<&ParticipantId>) {
    let (masked, blocked) = state.masks.outlines();
    let msg = ServerMessage::Masks { masked, blocked };
    for (id, p) in state.participants.iter_mut() {
        if p.role == Role::Customer && to.is_none_or(|t| t == id) {
            deliver(p, msg.clone());
        }
    }
}

fn participant_list(state: &State) -> Vec<ParticipantInfo> {
    state
        .order
        .iter()
        .filter_map(|id| {
            let p = state.participants.get(id)?;
            Some(ParticipantInfo {
                id: id.clone(),
                name: p.name.clone(),
                role: p.role,
                connected: p.connection.is_some(),
            })
        })
        .collect()
}

/// Tells everyone about the page: customers as it is, agents with masked values taken out.
fn broadcast_page(state: &mut State) {
    let customer = ServerMessage::Page { page: state.page.clone() };
    let agent = ServerMessage::Page { page: state.agent_page.clone() };
    for p in state.participants.values_mut() {
        let msg = match p.role {
            Role::Customer => customer.clone(),
            Role::Agent => agent.clone(),
        };
        deliver(p, msg);
    }
}

fn broadcast_participants(state: &mut State) {
    let msg = ServerMessage::Participants { participants: participant_list(state) };
    broadcast(state, None, &msg);
}

fn broadcast_participants_except(state: &mut State, except: &ParticipantId) {
    let msg = ServerMessage::Participants { participants: participant_list(state) };
    broadcast(state, Some(except), &msg);
}

fn send_to(state: &mut State, to: &ParticipantId, msg: ServerMessage) {
    if let Some(p) = state.participants.get_mut(to) {
        deliver(p, msg);
    }
}

fn broadcast(state: &mut State, except: Option<&ParticipantId>, msg: &ServerMessage) {
    for (id, p) in state.participants.iter_mut() {
        if Some(id) != except {
            deliver(p, msg.clone());
        }
    }
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

/// What a copy left in the session's clipboard.
struct Clipboard {
    text: String,
    /// Copied from something masked: an agent may not paste it.
    masked: bool,
}

async fn tab_worker(
    mut tab: Tab,
    mut ops: mpsc::Receiver<TabOp>,
    events: mpsc::UnboundedSender<WorkerEvent>,
) {
    let mut guard = AgentGuard::default();
    let mut clipboard: Option<Clipboard> = None;
    while let Some(op) = ops.recv().await {
        tracing::trace!(op = op.name(), "Browser operation.");
        let res = match op {
            TabOp::Input { input, agent: Some(agent) } => match guard.check(&tab, &input).await {
                Ok(()) => tab.dispatch(input).await,
                Err(rejection) => {
                    let _ = events.send(WorkerEvent::Refused(agent, rejection));
                    Ok(())
                }
            },
            TabOp::Input { input, agent: None } => tab.dispatch(input).await,
            TabOp::Clipboard { op, participant, role } => {
                let is_agent = role == Role::Agent;
                match op {
                    ClipboardOp::Copy | ClipboardOp::Cut => match tab.selection().await {
                        Ok(sel) if is_agent && sel.masked => {
                            let _ = events.send(WorkerEvent::Refused(participant, masked_field()));
                            Ok(())
                        }
                        Ok(sel) if sel.text.is_empty() => Ok(()),
                        Ok(sel) => {
                            let _ = events.send(WorkerEvent::Copied(participant, sel.text.clone()));
                            clipboard = Some(Clipboard { text: sel.text, masked: sel.masked });
                            if op == ClipboardOp::Cut {
                                tab.delete_selection().await
                            } else {
                                Ok(())
                            }
                        }
                        Err(error) => Err(error),
                    },
                    ClipboardOp::Paste => match &clipboard {
                        Some(c) if is_agent && c.masked => {
                            let _ = events.send(WorkerEvent::Refused(participant, masked_field()));
                            Ok(())
                        }
                        Some(c) => {
                            let input = browser::Input::InsertText(c.text.clone());
                            match if is_agent { guard.check(&tab, &input).await } else { Ok(()) } {
                                Ok(()) => tab.dispatch(input).await,
                                Err(rejection) => {
                                    let _ =
                                        events.send(WorkerEvent::Refused(participant, rejection));
                                    Ok(())
                                }
                            }
                        }
                        None => Ok(()),
                    },
                }
            }
            TabOp::Navigate(url) => tab.navigate(&url).await,
            TabOp::Back => tab.back().await,
            TabOp::Forward => tab.forward().await,
            TabOp::Reload => tab.reload().await,
            TabOp::Viewport(v) => tab.set_viewport(v).await,
            TabOp::Rules(rules) => tab.set_company_rules(&rules).await,
            TabOp::Replace(new_tab) => {
                tab = new_tab;
                Ok(())
            }
        };
        if let Err(error) = res {
            tracing::debug!(%error, "A browser operation failed.");
        }
    }
}

fn masked_field() -> Rejection {
    Rejection { code: "masked_field", message: "this field is hidden from you".into() }
}

/// Decides, by asking the page's guard at the moment of dispatch, whether an agent's input
/// may reach the page. Any doubt (the guard does not answer) refuses (F16).
#[derive(Default)]
struct AgentGuard {
    /// Buttons whose press was refused: their release is swallowed too.
    refused_buttons: u8,
}

impl AgentGuard {
    async fn check(&mut self, tab: &Tab, input: &browser::Input) -> Result<(), Rejection> {
        use browser::{Input, MouseButton, MouseKind};
        let blocked =
            || Rejection { code: "blocked", message: "only the customer can do this".into() };
        let masked = masked_field;
        let bit = |b: MouseButton| match b {
            MouseButton::Left => 1,
            MouseButton::Right => 2,
            MouseButton::Middle => 4,
            MouseButton::None => 0,
        };
        match input {
            Input::Mouse { kind: MouseKind::Down, x, y, button, .. } => {
                let hit = tab.hit_test(*x, *y).await.map_err(|_| blocked())?;
                if hit.blocked.is_some() {
                    self.refused_buttons |= bit(*button);
                    return Err(blocked());
                }
                Ok(())
            }
            Input::Mouse { kind: MouseKind::Up, button, .. }
                if self.refused_buttons & bit(*button) != 0 =>
            {
                self.refused_buttons &= !bit(*button);
                Err(blocked())
            }
            Input::Mouse { .. } | Input::Wheel { .. } => Ok(()),
            Input::Key { key, code, .. } => {
                let focus = tab.focus_state().await.map_err(|_| masked())?;
                if focus.masked {
                    return Err(masked());
                }
                let activates =
                    key == "Enter" || key == " " || code == "Space" || code == "NumpadEnter";
                let submits = key == "Enter" || code == "NumpadEnter";
                // Both press and release: a button activates on the release of Space.
                if activates
                    && (focus.blocked.is_some() || (submits && focus.form_blocked.is_some()))
                {
                    return Err(blocked());
                }
                Ok(())
            }
            Input::InsertText(_) | Input::Composition(_) => {
                let focus = tab.focus_state().await.map_err(|_| masked())?;
                if focus.masked {
                    return Err(masked());
                }
                Ok(())
            }
        }
    }
}
