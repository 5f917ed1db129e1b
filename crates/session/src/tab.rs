//! One tab of a session: the page with its worker, the guard's reports (`MaskTracker`), the
//! frame streams (`Feed`), and the page's state as customers and agents see it. The session's
//! `Tabs` hold one for each tab of its browser context.

use crate::feed::{Feed, FrameNumbers, Frames};
use crate::masks::MaskTracker;
use crate::page::{Opened, Page};
use crate::still::Still;
use crate::worker::{self, TabOp, WorkerEvent};
use browser::{PageInfo, TabEvent};
use model::{ParticipantId, PickerId, Role, TabId};
use protocol::{PageState, ServerMessage, TabInfo};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

mod pictures;
mod prompts;

pub(crate) use pictures::Picture;
pub(crate) use prompts::{OpenDialog, OpenSignIn};

/// How soon the guard is asked again while frames it has not measured keep coming: half of
/// the time it measures for when asked (`ASKED_MS` in guard.js), so it never stops between.
const REWAKE_AFTER: Duration = Duration::from_millis(50);

/// Something the tab has to tell its session.
pub(crate) enum Signal {
    /// The page reported something.
    Page(TabEvent),
    /// The worker reported on an operation.
    Worker(WorkerEvent),
    /// A picture of the page at rest came (see `still`).
    Picture(Picture),
    /// The page's events ended without a word: it is gone.
    Closed,
}

/// What an event of the page changed, for the session to pass on.
#[derive(Default)]
pub(crate) struct Changes {
    /// Frames for the viewers.
    pub(crate) frames: Frames,
    /// What customers see outlined (masked and blocked things).
    pub(crate) outlines: bool,
    /// The page's address, title, loading or history state.
    pub(crate) page: bool,
    /// What agents see marked over their picture changed (see `agent_marks`).
    pub(crate) agent_marks: Option<ServerMessage>,
}

pub(crate) struct SessionTab {
    id: TabId,
    page: Arc<dyn Page>,
    events: mpsc::Receiver<TabEvent>,
    worker: mpsc::Sender<TabOp>,
    worker_events: mpsc::UnboundedReceiver<WorkerEvent>,
    masks: MaskTracker,
    /// When the guard was last asked to measure.
    woken_at: Option<Instant>,
    feed: Feed,
    numbers: FrameNumbers,
    /// Exact masks for agents once the page rests: the picture asked for, and where it comes.
    still: Still,
    picture: Option<browser::Frame>,
    pictures: (mpsc::UnboundedSender<Picture>, mpsc::UnboundedReceiver<Picture>),
    /// What agents were last told is marked over their picture.
    agent_marks: ServerMessage,
    /// The page as the customer sees it.
    state: PageState,
    /// The page as agents see it: masked values taken out of the address and title.
    agent_state: PageState,
    /// Who last pressed something in the page: a picker that opens is theirs.
    pub(crate) last_presser: Option<ParticipantId>,
    /// The page's open picker and who has it.
    pub(crate) picker: Option<(PickerId, ParticipantId)>,
    /// The page's dialog the customer is answering.
    pub(crate) dialog: Option<OpenDialog>,
    /// A site's sign-in prompt the customer is answering.
    pub(crate) sign_in: Option<OpenSignIn>,
    /// The permissions its page asked for, and when the people were last told.
    pub(crate) permissions_told: Vec<(model::SitePermission, Instant)>,
    /// What agents see of a PDF without form fields (the company's setting).
    pdfs: model::PdfView,
    /// The page shows a PDF agents do not see: the worker refuses their input meanwhile.
    pdf_hidden: Arc<AtomicBool>,
    /// The page does not answer, and only loading it again would help: where the customer's
    /// consent to that stands.
    pub(crate) hung: Option<crate::actor::hung::Hung>,
}

impl SessionTab {
    /// Takes over an opened page on its way to `url` and starts its worker.
    pub(crate) fn start(
        id: TabId,
        (page, events): Opened,
        url: &str,
        numbers: FrameNumbers,
        pdfs: model::PdfView,
    ) -> SessionTab {
        let (worker, ops) = mpsc::channel(worker::QUEUE);
        let (worker_tx, worker_events) = mpsc::unbounded_channel();
        let pdf_hidden = Arc::new(AtomicBool::new(false));
        tokio::spawn(
            worker::run(page.clone(), ops, worker_tx, pdf_hidden.clone()).in_current_span(),
        );
        SessionTab {
            id,
            page,
            events,
            worker,
            worker_events,
            masks: MaskTracker::default(),
            woken_at: None,
            feed: Feed::new(numbers.clone()),
            numbers,
            still: Still::default(),
            picture: None,
            pictures: mpsc::unbounded_channel(),
            agent_marks: no_marks(),
            state: PageState { url: url.to_owned(), loading: true, ..PageState::default() },
            agent_state: PageState {
                url: policy::redact::redact_url(url),
                loading: true,
                ..PageState::default()
            },
            last_presser: None,
            picker: None,
            dialog: None,
            sign_in: None,
            permissions_told: Vec::new(),
            pdfs,
            pdf_hidden,
            hung: None,
        }
    }

    pub(crate) fn id(&self) -> TabId {
        self.id
    }

    /// The next thing the page or the worker says, if any now; a page whose events ended says
    /// `Closed` every time it is asked.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Signal> {
        if let Poll::Ready(event) = self.events.poll_recv(cx) {
            return Poll::Ready(event.map_or(Signal::Closed, Signal::Page));
        }
        if let Poll::Ready(Some(picture)) = self.pictures.1.poll_recv(cx) {
            return Poll::Ready(Signal::Picture(picture));
        }
        match self.worker_events.poll_recv(cx) {
            Poll::Ready(Some(event)) => Poll::Ready(Signal::Worker(event)),
            // The worker lives as long as this tab holds its queue.
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }

    /// Hands an operation to the worker; false when it is too far behind to take it.
    pub(crate) fn send(&self, op: TabOp) -> bool {
        self.worker.try_send(op).is_ok()
    }

    /// Hands an operation to the worker, or gives it back when the worker is too far behind.
    pub(crate) fn try_send(&self, op: TabOp) -> Result<(), TabOp> {
        self.worker.try_send(op).map_err(|e| match e {
            mpsc::error::TrySendError::Full(op) | mpsc::error::TrySendError::Closed(op) => op,
        })
    }

    /// The page's address, to reopen it where it was.
    pub(crate) fn address(&self) -> Option<url::Url> {
        url::Url::parse(&self.state.url).ok()
    }

    /// Starts the frame streams afresh (the tab comes to the front): its next frame goes out
    /// whole, and no frame of before waits for the guard.
    pub(crate) fn restart_feed(&mut self) {
        self.feed = Feed::new(self.numbers.clone());
    }

    /// The tab as the strip shows it to someone of `role`.
    pub(crate) fn info(&self, role: Role) -> TabInfo {
        let state = self.state(role);
        TabInfo {
            id: self.id,
            url: state.url.clone(),
            title: state.title.clone(),
            loading: state.loading,
        }
    }

    /// Applies an event of the page; says what changed.
    pub(crate) fn on_event(&mut self, event: TabEvent, now: Instant) -> Changes {
        let mut changes = Changes::default();
        match event {
            TabEvent::Frame(frame) => {
                if !self.masks.has_measured(frame.meta.timestamp_ms) {
                    self.wake_guard(now);
                }
                changes.frames = self.feed.on_frame(frame, &self.masks, now);
            }
            TabEvent::Guard(report) => {
                let change = self.masks.on_report(report, now.into_std());
                changes.outlines = change.outlines;
                changes.frames = if change.masked_set && !self.feed.is_holding() {
                    // A still page gives no new frame to carry a new mask: the agents' latest
                    // is masked again.
                    self.feed.remask_latest(&self.masks, now)
                } else {
                    self.feed.on_guard(&self.masks, now)
                };
            }
            TabEvent::GuardTick(time_ms) => {
                self.masks.on_tick(time_ms, now.into_std());
                changes.frames = self.feed.on_guard(&self.masks, now);
            }
            TabEvent::GuardLate(time_ms) => self.masks.on_late(time_ms),
            TabEvent::Page(info) => {
                self.on_page(info);
                changes.page = true;
            }
            TabEvent::Pdf(shown) => {
                if policy::pdf::hidden_from_agents(shown.fields, self.pdfs) {
                    self.masks.hide_whole_from(shown.since_ms);
                    changes.page = self.set_pdf_hidden(true);
                } else {
                    tracing::debug!("A PDF without form fields is shown to agents.");
                }
            }
            TabEvent::PdfGone(until_ms) => {
                self.masks.show_whole_from(until_ms);
                changes.page = self.set_pdf_hidden(false);
            }
            // The session routes these itself (`Actor::on_dialog`, `Actor::on_picker`).
            TabEvent::Dialog(_)
            | TabEvent::DialogClosed
            | TabEvent::SignIn(_)
            | TabEvent::PermissionRefused(_)
            | TabEvent::Crashed
            | TabEvent::Lost
            | TabEvent::Closed
            | TabEvent::Picker(_)
            | TabEvent::FileChooser(_)
            | TabEvent::Download(_) => {}
        }
        self.after_agents_frame(&mut changes, now);
        if changes.frames.agents.is_none() && self.still.waiting_picture().is_some() {
            changes.frames.agents = self.show_picture(now);
            self.after_agents_frame(&mut changes, now);
        }
        changes
    }

    /// Answers the page's dialog, off the session's loop, so that neither person's input
    /// waits for it (`accept` is OK, with `text` for a prompt).
    pub(crate) fn answer_dialog(&self, accept: bool, text: Option<String>) {
        let page = self.page.clone();
        tokio::spawn(
            async move {
                if let Err(error) = page.answer_dialog(accept, text.as_deref()).await {
                    tracing::debug!(%error, "Could not answer the page's dialog.");
                }
            }
            .in_current_span(),
        );
    }

    /// Answers a site's sign-in prompt off the session's loop: with the customer's
    /// credentials, or a refusal. They are dropped once the page has them.
    pub(crate) fn answer_sign_in(
        &self,
        sign_in: browser::SignIn,
        credentials: Option<model::Credentials>,
    ) {
        let page = self.page.clone();
        tokio::spawn(
            async move {
                if let Err(error) = page.answer_sign_in(&sign_in, credentials.as_ref()).await {
                    tracing::debug!(%error, "Could not answer a site's sign-in prompt.");
                }
            }
            .in_current_span(),
        );
    }

    /// Agents got a frame (or none, in `changes`): a still picture may be due, and what is
    /// marked over their picture follows it.
    fn after_agents_frame(&mut self, changes: &mut Changes, now: Instant) {
        if changes.frames.agents.is_none() {
            return;
        }
        let settled = self.feed.agents_settled();
        // A page with nothing masked or reserved needs no still picture: nothing to mark.
        self.still.on_agent_frame(settled || !self.masks.has_marks(), now);
        let marks = if settled { self.masks.agent_marks() } else { no_marks() };
        if marks != self.agent_marks {
            self.agent_marks = marks.clone();
            changes.agent_marks = Some(marks);
        }
    }

    /// What agents see marked over their picture: while it is masked exactly, the masked fields
    /// named and the controls only the customer may use; else nothing.
    pub(crate) fn agent_marks(&self) -> ServerMessage {
        self.agent_marks.clone()
    }

    /// Asks the guard to measure: once asked, it measures for a while, so while frames keep
    /// coming it is asked again before that runs out, not for every frame.
    fn wake_guard(&mut self, now: Instant) {
        let due = self.woken_at.is_none_or(|t| now.duration_since(t) >= REWAKE_AFTER);
        if due && self.page.wake_guard() {
            self.woken_at = Some(now);
        }
    }

    /// Says whether the page shows a PDF agents do not see; true when that changed.
    fn set_pdf_hidden(&mut self, hidden: bool) -> bool {
        self.pdf_hidden.store(hidden, Ordering::SeqCst);
        let changed = self.state.pdf_hidden != hidden;
        self.state.pdf_hidden = hidden;
        self.agent_state.pdf_hidden = hidden;
        changed
    }

    fn on_page(&mut self, info: PageInfo) {
        self.masks.on_navigation(&info.url);
        self.agent_state = PageState {
            url: policy::redact::redact_url(&info.url),
            title: policy::redact::redact_text(&info.agent_title),
            loading: info.loading,
            can_go_back: info.can_go_back,
            can_go_forward: info.can_go_forward,
            pdf_hidden: self.agent_state.pdf_hidden,
        };
        self.state = PageState {
            url: info.url,
            title: info.title,
            loading: info.loading,
            can_go_back: info.can_go_back,
            can_go_forward: info.can_go_forward,
            pdf_hidden: self.state.pdf_hidden,
        };
    }

    /// Agents' frames whose wait for the guard is over.
    pub(crate) fn on_deadline(&mut self, now: Instant) -> Changes {
        let mut changes =
            Changes { frames: self.feed.on_deadline(&self.masks, now), ..Changes::default() };
        self.after_agents_frame(&mut changes, now);
        if self.still.deadline().is_some_and(|t| now >= t) {
            self.on_still_deadline(now);
        }
        changes
    }

    /// When a held frame must go, if one waits.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        [self.feed.deadline(), self.still.deadline()].into_iter().flatten().min()
    }

    /// The latest frame of each stream, for viewers who connect.
    pub(crate) fn latest(&self) -> &Frames {
        self.feed.latest()
    }

    /// The page as someone of `role` sees it.
    pub(crate) fn state(&self, role: Role) -> &PageState {
        match role {
            Role::Customer => &self.state,
            Role::Agent => &self.agent_state,
        }
    }

    /// What customers see outlined: what is hidden from the agent and what is reserved for them.
    pub(crate) fn outlines(&self) -> ServerMessage {
        let (masked, blocked) = self.masks.outlines();
        ServerMessage::Masks { masked, blocked, labels: Vec::new() }
    }

    /// Closes the page, after what its worker has yet to do.
    pub(crate) fn close(&self) {
        if !self.send(TabOp::Close) {
            let page = self.page.clone();
            tokio::spawn(async move { page.close().await }.in_current_span());
        }
    }
}

/// Nothing marked over the agents' picture.
fn no_marks() -> ServerMessage {
    ServerMessage::Masks { masked: Vec::new(), blocked: Vec::new(), labels: Vec::new() }
}
