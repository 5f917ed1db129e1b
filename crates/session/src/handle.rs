//! The way in to a session's task: `SessionHandle` (a cheap clone that sends it `Command`s),
//! what a connection gets (`Viewer`, its messages and frames), and the session as the API
//! reports it (`SessionSnapshot`).

use crate::files::{DownloadError, DownloadFile, UploadError};
use browser::UploadFile;
use frames::{MaskedFrame, RawFrame, SlotReceiver, Update};
use model::{AgentId, CompanyId, FileChooserId, ParticipantId, Permissions, SessionId};
use policy::rules::CompanyRule;
use protocol::{ClientMessage, EndReason, PageState, ParticipantInfo, ServerMessage};
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

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

/// The frames a viewer receives, as the session hands them over: raw for a customer, masked for
/// an agent, each with its changes against the frame before it in that stream. A transport turns
/// them into messages with a [`crate::ViewerStream`].
pub struct FrameFeed(pub(crate) Feed);

pub(crate) enum Feed {
    Customer(SlotReceiver<Arc<Update<RawFrame>>>),
    Agent(SlotReceiver<Arc<Update<MaskedFrame>>>),
}

/// A live connection of one participant, as the transport sees it.
pub struct Viewer {
    pub connection: u64,
    pub outbox: mpsc::Receiver<ServerMessage>,
    pub frames: FrameFeed,
}

/// How an agent enters, as their company's policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// They wait until the customer approves them.
    pub(crate) needs_approval: bool,
    /// Their input reaches the page from the start.
    pub(crate) starts_with_control: bool,
    /// What their role lets them do; each of their messages needs the permission
    /// `ClientMessage::permission` names.
    pub(crate) permissions: Permissions,
}

pub(crate) enum Command {
    AddAgent {
        participant: ParticipantId,
        agent: AgentId,
        name: String,
        entry: Entry,
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
        /// Who ended it, when a participant did.
        by: Option<ParticipantId>,
    },
    /// An agent leaves the session (signing out); the others are told.
    Leave {
        participant: ParticipantId,
        reply: oneshot::Sender<bool>,
    },
    Snapshot {
        reply: oneshot::Sender<SessionSnapshot>,
    },
    SetRules {
        rules: Arc<[CompanyRule]>,
    },
    Upload {
        participant: ParticipantId,
        chooser: FileChooserId,
        files: Vec<UploadFile>,
        reply: oneshot::Sender<Result<(), UploadError>>,
    },
    TakeDownload {
        token: String,
        reply: oneshot::Sender<Result<DownloadFile, DownloadError>>,
    },
    /// A question to the active page for a point-and-click rule.
    Probe {
        probe: Probe,
    },
}

/// A question to the active page for a point-and-click rule (F20), with where its answer goes.
pub(crate) enum Probe {
    Inspect { x: f64, y: f64, reply: oneshot::Sender<Result<Vec<browser::Inspected>, ProbeError>> },
    Count { selector: String, reply: oneshot::Sender<Result<browser::Matches, ProbeError>> },
}

/// Why the page could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("the session has ended")]
    SessionEnded,
    #[error("the page is busy; try again in a moment")]
    Busy,
    /// The page could not answer (it is loading, or went away); the browser's reason.
    #[error("the page could not answer: {0}")]
    Page(String),
}

/// A cheap, cloneable way to talk to a session's task.
#[derive(Clone)]
pub struct SessionHandle {
    id: SessionId,
    tx: mpsc::Sender<Command>,
}

impl SessionHandle {
    pub(crate) fn new(id: SessionId, tx: mpsc::Sender<Command>) -> SessionHandle {
        SessionHandle { id, tx }
    }

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
        let _ = self.tx.send(Command::End { reason, by: None }).await;
    }

    /// Ends the session for everyone, as `participant` asked.
    pub async fn end_by(&self, reason: EndReason, participant: &ParticipantId) {
        let _ = self.tx.send(Command::End { reason, by: Some(participant.clone()) }).await;
    }

    /// `participant` (an agent) leaves the session for good; false when they were not in it.
    pub async fn leave(&self, participant: &ParticipantId) -> bool {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::Leave { participant: participant.clone(), reply };
        if self.tx.send(cmd).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// The company's rules changed: the page applies the new ones at once.
    pub async fn set_rules(&self, rules: Arc<[CompanyRule]>) {
        let _ = self.tx.send(Command::SetRules { rules }).await;
    }

    /// Gives the customer's files to the page's open file chooser `chooser`; answers once the
    /// page has them.
    pub async fn upload(
        &self,
        participant: &ParticipantId,
        chooser: FileChooserId,
        files: Vec<UploadFile>,
    ) -> Result<(), UploadError> {
        let (reply, rx) = oneshot::channel();
        let participant = participant.clone();
        let cmd = Command::Upload { participant, chooser, files, reply };
        self.tx.send(cmd).await.map_err(|_| UploadError::SessionEnded)?;
        rx.await.unwrap_or(Err(UploadError::SessionEnded))
    }

    /// The file behind a download link, once: a second use, or one after it expired, is
    /// refused.
    pub async fn take_download(&self, token: &str) -> Result<DownloadFile, DownloadError> {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::TakeDownload { token: token.to_owned(), reply };
        self.tx.send(cmd).await.map_err(|_| DownloadError::SessionEnded)?;
        rx.await.unwrap_or(Err(DownloadError::SessionEnded))
    }

    /// The element at a point of the active page (viewport CSS pixels) and its ancestors,
    /// nearest first, for a point-and-click rule.
    pub async fn inspect(&self, x: f64, y: f64) -> Result<Vec<browser::Inspected>, ProbeError> {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::Probe { probe: Probe::Inspect { x, y, reply } };
        self.tx.send(cmd).await.map_err(|_| ProbeError::SessionEnded)?;
        rx.await.unwrap_or(Err(ProbeError::SessionEnded))
    }

    /// What `selector` finds in the active page now.
    pub async fn count_matches(&self, selector: &str) -> Result<browser::Matches, ProbeError> {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::Probe { probe: Probe::Count { selector: selector.to_owned(), reply } };
        self.tx.send(cmd).await.map_err(|_| ProbeError::SessionEnded)?;
        rx.await.unwrap_or(Err(ProbeError::SessionEnded))
    }

    pub async fn snapshot(&self) -> Option<SessionSnapshot> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::Snapshot { reply }).await.ok()?;
        rx.await.ok()
    }

    /// Adds an agent who redeemed a PIN or asked to join; false when the session has ended.
    pub(crate) async fn add_agent(
        &self,
        participant: ParticipantId,
        agent: AgentId,
        name: String,
        entry: Entry,
    ) -> bool {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::AddAgent { participant, agent, name, entry, reply };
        if self.tx.send(cmd).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }
}
