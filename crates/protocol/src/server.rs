//! Messages the server sends to a client.

use crate::guidance::{ChatEntry, Stroke};
use model::{
    DialogId, DialogKind, FileChooserId, ParticipantId, Picker, PickerId, Rect, Role, SessionId,
    SignInId, SitePermission, TabId, Viewport,
};
use serde::{Deserialize, Serialize};

/// Someone in the session, as the others see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParticipantInfo {
    pub id: ParticipantId,
    pub name: String,
    pub role: Role,
    /// False while their connection is down and the grace period runs ("reconnecting").
    pub connected: bool,
    /// Their colour for cursors and annotations: an index into the clients' palette.
    pub color: u8,
    /// Whether their pointer and keys reach the page (always for the customer; for an agent,
    /// while the customer grants it).
    pub control: bool,
    /// An agent asked for control and the customer has not answered yet.
    pub control_requested: bool,
    /// An agent waits for the customer's approval to join (F2): they see nothing yet.
    pub waiting: bool,
    /// While not connected: how long they have left to come back, in milliseconds from when the
    /// list was sent (a customer gone longer ends the session; an agent leaves it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_within_ms: Option<u64>,
}

/// What the address bar and toolbar show.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PageState {
    pub url: String,
    pub title: String,
    pub loading: bool,
    pub can_go_back: bool,
    pub can_go_forward: bool,
    /// The page shows a PDF that agents do not see at all (one with form fields, or any when
    /// the company hides PDFs): agents are shown that it is hidden, customers that agents do
    /// not see it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pdf_hidden: bool,
}

/// One tab of the session's cloud browser, as the tab strip shows it to one viewer (an agent's
/// title and address have masked values taken out, like `PageState`'s).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TabInfo {
    pub id: TabId,
    pub url: String,
    pub title: String,
    pub loading: bool,
}

/// Why a client's message or input was refused: a stable code, which clients translate.
/// It goes over the wire as its snake_case name (`RejectCode::as_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The message was not understood (not JSON, an unknown type, a binary message).
    InvalidMessage,
    /// The message is larger than the server reads; the connection stays open.
    MessageTooLarge,
    /// A value of the input is out of bounds (not a number, too long, control characters).
    InvalidInput,
    /// Too many input events or chat messages; the participant should slow down.
    RateLimited,
    /// The page is not keeping up with input; this one was dropped.
    Busy,
    /// Only the customer may trigger this control or submit this form.
    Blocked,
    /// The field is hidden from the agent, so the agent may not type into, copy from or pick for it.
    MaskedField,
    /// An address of a scheme other than http or https.
    SchemeNotAllowed,
    /// An address that cannot be read.
    InvalidUrl,
    /// An address with a user name or password in it.
    CredentialsNotAllowed,
    /// An address longer than a browser's address bar takes.
    UrlTooLong,
    /// A page tried to open a tab past the session's limit; it was closed.
    TabLimit,
    /// The tab the message names is not open.
    UnknownTab,
    /// The picker the message names is not open, or not this participant's.
    UnknownPicker,
    /// The option chosen is no longer in the picker.
    PickerOptionGone,
    /// The value chosen does not fit the field.
    InvalidValue,
    /// The page waits for the customer to answer its dialog; input into it waits too.
    DialogOpen,
    /// The dialog the answer names is not open (answered already, or never was).
    UnknownDialog,
    /// The sign-in prompt the answer names is not open (answered already, or never was).
    UnknownSignIn,
    /// No question whether to load the page again is open for the tab the answer names (the
    /// page answers again, was loaded again already, or never hung).
    NoReloadQuestion,
    /// The agent has not been given control: pointing and drawing only.
    NoControl,
    /// The customer paused the view; the agent cannot act on the page meanwhile.
    Paused,
    /// The customer is disconnected; the agent cannot act on their page until they are back.
    CustomerAway,
    /// The agent waits for the customer's approval.
    WaitingApproval,
    /// The agent is not waiting for approval (already let in).
    NotWaiting,
    /// Only an agent may send this (asking for control).
    AgentOnly,
    /// Only the customer may decide or do this (control, the pause, approvals, touches).
    CustomerOnly,
    /// The participant the message names is not in the session.
    UnknownParticipant,
    /// A chat message longer than a chat message may be.
    ChatTooLong,
    /// The chat holds as many entries as a session keeps.
    ChatFull,
    /// An annotation stroke with more points than a stroke may have.
    TooManyPoints,
    /// More annotation strokes on the page than it may hold.
    TooManyStrokes,
    /// The page downloaded a file larger than a download may be; it was not kept.
    DownloadTooLarge,
    /// The page's download broke off.
    DownloadFailed,
    /// The company does not let its sessions go to this site (its navigation lists).
    DomainNotAllowed,
    /// The agent's role does not have the permission this message needs
    /// (`ClientMessage::permission`).
    NotPermitted,
}

impl RejectCode {
    /// Every code, in declaration order.
    pub const ALL: [RejectCode; 36] = [
        RejectCode::InvalidMessage,
        RejectCode::MessageTooLarge,
        RejectCode::InvalidInput,
        RejectCode::RateLimited,
        RejectCode::Busy,
        RejectCode::Blocked,
        RejectCode::MaskedField,
        RejectCode::SchemeNotAllowed,
        RejectCode::InvalidUrl,
        RejectCode::CredentialsNotAllowed,
        RejectCode::UrlTooLong,
        RejectCode::TabLimit,
        RejectCode::UnknownTab,
        RejectCode::UnknownPicker,
        RejectCode::PickerOptionGone,
        RejectCode::InvalidValue,
        RejectCode::DialogOpen,
        RejectCode::UnknownDialog,
        RejectCode::UnknownSignIn,
        RejectCode::NoReloadQuestion,
        RejectCode::NoControl,
        RejectCode::Paused,
        RejectCode::CustomerAway,
        RejectCode::WaitingApproval,
        RejectCode::NotWaiting,
        RejectCode::AgentOnly,
        RejectCode::CustomerOnly,
        RejectCode::UnknownParticipant,
        RejectCode::ChatTooLong,
        RejectCode::ChatFull,
        RejectCode::TooManyPoints,
        RejectCode::TooManyStrokes,
        RejectCode::DownloadTooLarge,
        RejectCode::DownloadFailed,
        RejectCode::DomainNotAllowed,
        RejectCode::NotPermitted,
    ];

    /// The code as it goes over the wire (and in metrics labels).
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::InvalidMessage => "invalid_message",
            RejectCode::MessageTooLarge => "message_too_large",
            RejectCode::InvalidInput => "invalid_input",
            RejectCode::RateLimited => "rate_limited",
            RejectCode::Busy => "busy",
            RejectCode::Blocked => "blocked",
            RejectCode::MaskedField => "masked_field",
            RejectCode::SchemeNotAllowed => "scheme_not_allowed",
            RejectCode::InvalidUrl => "invalid_url",
            RejectCode::CredentialsNotAllowed => "credentials_not_allowed",
            RejectCode::UrlTooLong => "url_too_long",
            RejectCode::TabLimit => "tab_limit",
            RejectCode::UnknownTab => "unknown_tab",
            RejectCode::UnknownPicker => "unknown_picker",
            RejectCode::PickerOptionGone => "picker_option_gone",
            RejectCode::InvalidValue => "invalid_value",
            RejectCode::DialogOpen => "dialog_open",
            RejectCode::UnknownDialog => "unknown_dialog",
            RejectCode::UnknownSignIn => "unknown_sign_in",
            RejectCode::NoReloadQuestion => "no_reload_question",
            RejectCode::NoControl => "no_control",
            RejectCode::Paused => "paused",
            RejectCode::CustomerAway => "customer_away",
            RejectCode::WaitingApproval => "waiting_approval",
            RejectCode::NotWaiting => "not_waiting",
            RejectCode::AgentOnly => "agent_only",
            RejectCode::CustomerOnly => "customer_only",
            RejectCode::UnknownParticipant => "unknown_participant",
            RejectCode::ChatTooLong => "chat_too_long",
            RejectCode::ChatFull => "chat_full",
            RejectCode::TooManyPoints => "too_many_points",
            RejectCode::TooManyStrokes => "too_many_strokes",
            RejectCode::DownloadTooLarge => "download_too_large",
            RejectCode::DownloadFailed => "download_failed",
            RejectCode::DomainNotAllowed => "domain_not_allowed",
            RejectCode::NotPermitted => "not_permitted",
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The customer pressed "End".
    CustomerEnded,
    /// The agent pressed "End".
    AgentEnded,
    /// The customer's connection stayed down past the grace period.
    CustomerLeft,
    /// Nobody used the page for the idle limit (`session.idle_limit_secs`).
    Idle,
    /// The server is shutting down.
    ServerShutdown,
    /// The cloud browser failed and could not be restored.
    BrowserFailed,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::CustomerEnded => "customer_ended",
            EndReason::AgentEnded => "agent_ended",
            EndReason::CustomerLeft => "customer_left",
            EndReason::Idle => "idle",
            EndReason::ServerShutdown => "server_shutdown",
            EndReason::BrowserFailed => "browser_failed",
        }
    }
}

/// What another participant did, for the others' notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// Went to an address (`url`, as the reader may see it).
    Navigated,
    Back,
    Forward,
    Reload,
    /// An agent's input was refused (`code`: `blocked`, `masked_field`, …); told to customers.
    Refused,
}

/// A file the page downloaded, offered to the customer: `GET
/// /api/v1/sessions/{id}/download?token=` fetches it once, until `expires_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadOffer {
    pub token: String,
    /// The name the site gave it.
    pub name: String,
    pub size: u64,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// One message from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message on every connection (also after a reconnect).
    Welcome {
        version: u32,
        session_id: SessionId,
        you: ParticipantInfo,
        participants: Vec<ParticipantInfo>,
        viewport: Viewport,
        /// The page; empty for an agent while the view is paused or they wait for approval.
        page: PageState,
        /// The customer paused what agents see.
        paused: bool,
    },
    /// The participant list changed (joined, left, reconnecting, back).
    Participants {
        participants: Vec<ParticipantInfo>,
    },
    /// The cloud browser's viewport changed; frames that follow have this size.
    Viewport {
        viewport: Viewport,
    },
    /// Address, title, loading state or history changed.
    Page {
        page: PageState,
    },
    /// The session's tabs in strip order, and the one everyone sees (`None` for a moment
    /// after the last one closed, until the start page opens). Sent after `welcome` and
    /// whenever a tab opens, closes, becomes active or changes its title, address or loading.
    Tabs {
        tabs: Vec<TabInfo>,
        active: Option<TabId>,
    },
    /// Another participant's pointer moved (viewport CSS pixels).
    Cursor {
        participant: ParticipantId,
        name: String,
        role: Role,
        x: f64,
        y: f64,
    },
    /// Another participant's pointer left the view.
    CursorGone {
        participant: ParticipantId,
    },
    /// What is hidden from the agent and reserved for the customer, in viewport CSS pixels
    /// of the current page. Customers get it whenever it changes. Agents get it while their
    /// picture is masked exactly (the page rests), with what each masked field is called
    /// (`labels`, one per `masked`, empty when unknown), and empty lists once it moves.
    Masks {
        masked: Vec<Rect>,
        blocked: Vec<Rect>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        labels: Vec<String>,
    },
    /// A native widget of the page (select list, datalist, date, time, month, week or colour
    /// chooser) that this participant opened: shown as a `picker` over the view until
    /// `PickerClosed`. Sent only to who opened it; a field hidden from the agent only ever
    /// gives the customer one.
    Picker {
        picker: Picker,
    },
    /// The picker closed (chosen, dismissed, its field gone, the page left).
    PickerClosed {
        picker: PickerId,
    },
    /// The page asks for files (an `<input type=file>` was pressed): the customer's
    /// `file-chooser`, until `FileChooserClosed`. Only ever to customers; the files go to
    /// `POST /api/v1/sessions/{id}/files?chooser=`.
    FileChooser {
        chooser: FileChooserId,
        multiple: bool,
    },
    /// The file chooser was answered or went away (the page left, another opened).
    FileChooserClosed {
        chooser: FileChooserId,
    },
    /// The page downloaded a file: the customer's `download` link. Only ever to customers.
    Download {
        download: DownloadOffer,
    },
    /// The page opened a dialog (alert, confirm, prompt, "leave this page?"): shown to the
    /// customer as a `dialog` until `DialogClosed`; answered with `ClientMessage::DialogAnswer`.
    /// Customers only: agents get `CustomerDialog`.
    Dialog {
        dialog: DialogId,
        kind: DialogKind,
        message: String,
        /// A prompt's default text.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        default_text: String,
    },
    /// The dialog closed (answered by the customer, by its deadline, or the page went on).
    DialogClosed {
        dialog: DialogId,
    },
    /// To agents: whether the customer is answering a dialog of the page (never what it says
    /// nor what they answer); the page waits meanwhile.
    CustomerDialog {
        open: bool,
    },
    /// A site asks to sign in (HTTP authentication): shown to the customer as a sign-in
    /// dialog until `SignInClosed`; answered with `ClientMessage::SignInAnswer`. The page goes
    /// on meanwhile (the address waits). Customers only: agents get `CustomerSignIn`.
    SignIn {
        prompt: SignInId,
        /// Who asks: the site's origin (scheme, host, port).
        origin: String,
        /// What the site calls the protected area (its own words; may be empty).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        realm: String,
    },
    /// The sign-in prompt closed (answered, timed out, or someone navigated).
    SignInClosed {
        prompt: SignInId,
    },
    /// To agents: whether the customer is answering a site's sign-in prompt (never which site,
    /// nor what they answer).
    CustomerSignIn {
        open: bool,
    },
    /// The page asked for a permission (location, notifications, camera, microphone, reading
    /// the clipboard); the cloud browser refused it. To everyone, for a notice.
    PermissionRefused {
        permission: SitePermission,
    },
    /// This participant copied text in the page (a copy or cut shortcut): the client puts it on
    /// its device's clipboard. Sent only to who copied it.
    Clipboard {
        text: String,
    },
    /// An input or request of this client was refused; `code` is stable, for translation.
    Rejected {
        code: RejectCode,
        message: String,
    },
    /// A message could not be understood (`invalid_message`); the connection stays open.
    Error {
        code: RejectCode,
        message: String,
    },
    /// A chat entry, as the session took it (the sender gets their own back too).
    Chat {
        entry: ChatEntry,
    },
    /// The chat so far, after every `Welcome` (so a reconnect loses nothing).
    ChatHistory {
        entries: Vec<ChatEntry>,
    },
    /// A new stroke or new points of one being drawn, from another participant.
    Annotation {
        stroke: Stroke,
    },
    /// Every annotation on the page, after every `Welcome`.
    Annotations {
        strokes: Vec<Stroke>,
    },
    /// Its author took a stroke back.
    AnnotationRemoved {
        participant: ParticipantId,
        id: u32,
    },
    /// Every annotation is gone (someone cleared them, or the page changed).
    AnnotationsCleared,
    /// The customer paused what agents see, or let them see again. Agents get no frame, address
    /// or title while paused, and the current picture whole when it ends.
    Paused {
        paused: bool,
    },
    /// To an agent waiting for approval: the customer did not let them in. The server closes
    /// the connection after this, and their token is no longer valid.
    Denied,
    /// What another participant did (navigation, a refused input), for a notice.
    Activity {
        kind: ActivityKind,
        participant: ParticipantId,
        name: String,
        role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<RejectCode>,
    },
    /// The page stopped answering and beside made it answer again; everyone is told what was
    /// done, since what they did meanwhile may not have reached the page.
    PageRecovered {
        recovery: PageRecovery,
    },
    /// To customers: the page of tab `tab` does not answer, and only loading it again would
    /// help, which loses what they entered in it. Shown until `ReloadQuestionClosed`; answered
    /// with `ClientMessage::ReloadAnswer`.
    ReloadQuestion {
        tab: TabId,
    },
    /// The question closed: answered, or the page answers again, or its tab is gone.
    ReloadQuestionClosed {
        tab: TabId,
    },
    /// To agents: where a page that does not answer stands (the customer decides whether it is
    /// loaded again); `none` once no page hangs.
    HungPage {
        state: HungPageState,
    },
    /// The session is over; the server closes the connection after this.
    Ended {
        reason: EndReason,
        /// Who ended it, when a participant did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<ParticipantId>,
    },
    Pong,
}

/// What beside did to a page that stopped answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageRecovery {
    /// A dialog nobody answered was answered (agreeing to nothing).
    DialogAnswered,
    /// A script that did not end was stopped; the page stays as it was.
    ScriptStopped,
    /// The page's renderer did not answer even then: the page was loaded again.
    Reloaded,
}

/// Where a page that does not answer stands, as agents are told (`HungPage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HungPageState {
    /// The customer is being asked whether to load the page again.
    Asking,
    /// The customer chose to wait; they are asked again if it goes on hanging.
    Declined,
    /// The customer is away: the page stays as it is (loading it again would lose what they
    /// entered), and they are asked when they are back.
    CustomerAway,
    /// No page hangs (any more).
    None,
}

impl ServerMessage {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }
}
