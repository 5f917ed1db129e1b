//! A session's tab: the page with its worker, the guard's reports (`MaskTracker`), the frame
//! streams (`Feed`), and the page's state as customers and agents see it. A session has one
//! today; each tab of a session with several will be a `SessionTab` of its own.

use crate::feed::{Feed, Frames};
use crate::masks::MaskTracker;
use crate::page::{CloudBrowser, Page};
use crate::worker::{self, TabOp, WorkerEvent};
use browser::{PageInfo, TabEvent, TabOptions};
use model::Role;
use protocol::{PageState, ServerMessage};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

/// How soon the guard is asked again while frames it has not measured keep coming: half of
/// the time it measures for when asked (`ASKED_MS` in guard.js), so it never stops between.
const REWAKE_AFTER: Duration = Duration::from_millis(50);
/// Attempts to reopen the page after the browser was lost.
const N_REOPEN_ATTEMPTS: u32 = 4;
/// The wait before the second attempt to reopen the page; it doubles for each one after.
const FIRST_REOPEN_DELAY: Duration = Duration::from_millis(250);

/// Something the tab has to tell its session.
pub(crate) enum Signal {
    /// The page reported something.
    Page(TabEvent),
    /// The worker reported on an operation.
    Worker(WorkerEvent),
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
}

pub(crate) struct SessionTab {
    page: Arc<dyn Page>,
    events: mpsc::Receiver<TabEvent>,
    worker: mpsc::Sender<TabOp>,
    worker_events: mpsc::UnboundedReceiver<WorkerEvent>,
    masks: MaskTracker,
    /// When the guard was last asked to measure.
    woken_at: Option<Instant>,
    feed: Feed,
    /// The page as the customer sees it.
    state: PageState,
    /// The page as agents see it: masked values taken out of the address and title.
    agent_state: PageState,
}

impl SessionTab {
    /// Takes over an opened page at `url` and starts its worker.
    pub(crate) fn start(
        page: Arc<dyn Page>,
        events: mpsc::Receiver<TabEvent>,
        url: &url::Url,
    ) -> SessionTab {
        let (worker, ops) = mpsc::channel(worker::QUEUE);
        let (worker_tx, worker_events) = mpsc::unbounded_channel();
        tokio::spawn(worker::run(page.clone(), ops, worker_tx).in_current_span());
        SessionTab {
            page,
            events,
            worker,
            worker_events,
            masks: MaskTracker::default(),
            woken_at: None,
            feed: Feed::new(),
            state: PageState { url: url.to_string(), loading: true, ..PageState::default() },
            agent_state: PageState {
                url: policy::redact::redact_url(url.as_str()),
                loading: true,
                ..PageState::default()
            },
        }
    }

    /// The next thing the page or the worker says. Cancel-safe.
    pub(crate) async fn next(&mut self) -> Signal {
        tokio::select! {
            event = self.events.recv() => event.map_or(Signal::Closed, Signal::Page),
            Some(event) = self.worker_events.recv() => Signal::Worker(event),
        }
    }

    /// Hands an operation to the worker; false when it is too far behind to take it.
    pub(crate) fn send(&self, op: TabOp) -> bool {
        self.worker.try_send(op).is_ok()
    }

    /// The page's address, to reopen it where it was.
    pub(crate) fn address(&self) -> Option<url::Url> {
        url::Url::parse(&self.state.url).ok()
    }

    /// Opens the page again after the browser was lost (`opts` says where and how), with a few
    /// attempts while the browser restarts; false when it cannot be. The new page's events and
    /// operations replace the old one's; what the viewers have is kept until it draws.
    pub(crate) async fn reopen(&mut self, browser: &dyn CloudBrowser, opts: TabOptions) -> bool {
        let mut delay = FIRST_REOPEN_DELAY;
        for attempt in 1..=N_REOPEN_ATTEMPTS {
            match browser.open(opts.clone()).await {
                Ok((page, events)) => {
                    tracing::warn!(attempt, "The cloud browser was lost; the page was reopened.");
                    self.page = page.clone();
                    self.events = events;
                    let _ = self.worker.send(TabOp::Replace(page)).await;
                    return true;
                }
                Err(error) => {
                    tracing::warn!(attempt, %error, "Could not reopen the page yet.");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
        false
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
            TabEvent::Crashed | TabEvent::Lost => {}
        }
        changes
    }

    /// Asks the guard to measure: once asked, it measures for a while, so while frames keep
    /// coming it is asked again before that runs out, not for every frame.
    fn wake_guard(&mut self, now: Instant) {
        let due = self.woken_at.is_none_or(|t| now.duration_since(t) >= REWAKE_AFTER);
        if due && self.page.wake_guard() {
            self.woken_at = Some(now);
        }
    }

    fn on_page(&mut self, info: PageInfo) {
        self.masks.on_navigation(&info.url);
        self.agent_state = PageState {
            url: policy::redact::redact_url(&info.url),
            title: policy::redact::redact_text(&info.agent_title),
            loading: info.loading,
            can_go_back: info.can_go_back,
            can_go_forward: info.can_go_forward,
        };
        self.state = PageState {
            url: info.url,
            title: info.title,
            loading: info.loading,
            can_go_back: info.can_go_back,
            can_go_forward: info.can_go_forward,
        };
    }

    /// Agents' frames whose wait for the guard is over.
    pub(crate) fn on_deadline(&mut self, now: Instant) -> Frames {
        self.feed.on_deadline(&self.masks, now)
    }

    /// When a held frame must go, if one waits.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.feed.deadline()
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
        ServerMessage::Masks { masked, blocked }
    }

    /// Closes the page: its browser context (cookies, storage, cache) goes.
    pub(crate) async fn close(&self) -> Result<(), browser::BrowserError> {
        self.page.close().await
    }
}
