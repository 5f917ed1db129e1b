//! The tabs of a session: its browser context, one `SessionTab` per tab in strip order, and
//! which one everyone sees. Only that one streams; pages that open windows get new tabs (up to
//! the session's limit); closing the last tab opens the company's start page again; a lost
//! browser is replaced by a fresh context at the active tab's address.

use crate::feed::FrameNumbers;
use crate::page::{CloudBrowser, Opened, OpenedContext, PageContext, Popup};
use crate::tab::{SessionTab, Signal};
use crate::worker::TabOp;
use browser::TabOptions;
use model::{Role, TabId};
use protocol::ServerMessage;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::Instrument;

/// Attempts to reopen the session's page after the browser was lost.
const N_REOPEN_ATTEMPTS: u32 = 4;
/// The wait before the second attempt to reopen the page; it doubles for each one after.
const FIRST_REOPEN_DELAY: Duration = Duration::from_millis(250);

/// What the tabs have to tell the session.
pub(crate) enum TabsSignal {
    /// One tab said something.
    Tab(TabId, Signal),
    /// A page opened a tab.
    Popup(Popup),
    /// A tab beside opened itself (the start page after the last tab closed) is ready, or could
    /// not be opened.
    Opened(Result<Opened, browser::BrowserError>),
}

/// How opening a tab a page asked for went.
pub(crate) enum Adopted {
    /// It is a tab now; it came to the front unless it opened in the background.
    Added(TabId),
    /// The session has as many tabs as it may: the new one was closed.
    OverLimit,
}

pub(crate) struct Tabs {
    context: Arc<dyn PageContext>,
    popups: mpsc::Receiver<Popup>,
    /// Tabs beside opens itself arrive here.
    own_tx: mpsc::UnboundedSender<Result<Opened, browser::BrowserError>>,
    own: mpsc::UnboundedReceiver<Result<Opened, browser::BrowserError>>,
    list: Vec<SessionTab>,
    active: Option<TabId>,
    next_id: u32,
    max_tabs: usize,
    numbers: FrameNumbers,
    pdfs: model::PdfView,
}

impl Tabs {
    /// Takes over an opened context whose first tab is on its way to `url`.
    pub(crate) fn start(
        opened: OpenedContext,
        url: &url::Url,
        max_tabs: usize,
        pdfs: model::PdfView,
    ) -> Tabs {
        let (own_tx, own) = mpsc::unbounded_channel();
        let mut tabs = Tabs {
            context: opened.context,
            popups: opened.popups,
            own_tx,
            own,
            list: Vec::new(),
            active: None,
            next_id: 1,
            max_tabs: max_tabs.max(1),
            numbers: FrameNumbers::default(),
            pdfs,
        };
        let id = tabs.add(opened.first, url.as_str());
        // The first tab streams from the start.
        tabs.active = Some(id);
        tabs
    }

    fn add(&mut self, opened: Opened, url: &str) -> TabId {
        let id = TabId(self.next_id);
        self.next_id += 1;
        self.list.push(SessionTab::start(id, opened, url, self.numbers.clone(), self.pdfs));
        id
    }

    /// The next thing a tab, the context or beside's own opening says. Cancel-safe.
    pub(crate) async fn next(&mut self) -> TabsSignal {
        poll_fn(|cx| {
            if let Poll::Ready(Some(opened)) = self.own.poll_recv(cx) {
                return Poll::Ready(TabsSignal::Opened(opened));
            }
            if let Poll::Ready(Some(popup)) = self.popups.poll_recv(cx) {
                return Poll::Ready(TabsSignal::Popup(popup));
            }
            // The active tab first: its frames are what people see.
            let first = self.list.iter().position(|t| Some(t.id()) == self.active).unwrap_or(0);
            let n = self.list.len();
            for i in 0..n {
                let tab = &mut self.list[(first + i) % n];
                if let Poll::Ready(signal) = tab.poll_next(cx) {
                    return Poll::Ready(TabsSignal::Tab(tab.id(), signal));
                }
            }
            Poll::Pending
        })
        .await
    }

    pub(crate) fn active_id(&self) -> Option<TabId> {
        self.active
    }

    /// Every tab, in strip order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &SessionTab> {
        self.list.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut SessionTab> {
        self.list.iter_mut()
    }

    pub(crate) fn get(&self, id: TabId) -> Option<&SessionTab> {
        self.list.iter().find(|t| t.id() == id)
    }

    pub(crate) fn get_mut(&mut self, id: TabId) -> Option<&mut SessionTab> {
        self.list.iter_mut().find(|t| t.id() == id)
    }

    /// The tab everyone sees, if there is one (there is none for a moment after the last one
    /// closed).
    pub(crate) fn active(&self) -> Option<&SessionTab> {
        self.active.and_then(|id| self.get(id))
    }

    pub(crate) fn active_mut(&mut self) -> Option<&mut SessionTab> {
        let id = self.active?;
        self.get_mut(id)
    }

    /// Hands an operation to the active tab's worker; false when there is none or it is too
    /// far behind to take it.
    pub(crate) fn send(&self, op: TabOp) -> bool {
        self.active().is_some_and(|tab| tab.send(op))
    }

    /// Hands an operation to every tab's worker (the viewport, the rules, the languages: all
    /// tabs show the session's); false when one was too far behind to take it.
    pub(crate) fn send_all(&self, op: impl Fn() -> TabOp) -> bool {
        // Every tab gets it, whether or not one before was too busy.
        let n_refused = self.list.iter().filter(|tab| !tab.send(op())).count();
        n_refused == 0
    }

    /// The tab strip as someone of `role` sees it.
    pub(crate) fn strip(&self, role: Role) -> ServerMessage {
        ServerMessage::Tabs {
            tabs: self.list.iter().map(|t| t.info(role)).collect(),
            active: self.active,
        }
    }

    /// Makes `id` the tab everyone sees: the one before stops streaming, `id` starts with a
    /// whole frame. False when there is no such tab.
    pub(crate) fn activate(&mut self, id: TabId) -> bool {
        if self.get(id).is_none() {
            return false;
        }
        if self.active == Some(id) {
            return true;
        }
        if let Some(old) = self.active_mut() {
            old.send(TabOp::Streaming(false));
            old.restart_feed();
        }
        self.active = Some(id);
        if let Some(new) = self.active_mut() {
            new.restart_feed();
            new.send(TabOp::Streaming(true));
        }
        true
    }

    /// A page opened a tab: it joins the strip, and comes to the front unless it opened in the
    /// background; past the limit it is closed instead.
    pub(crate) fn adopt(&mut self, popup: Popup) -> Adopted {
        if self.list.len() >= self.max_tabs {
            let page = popup.opened.0;
            tokio::spawn(async move { page.close().await }.in_current_span());
            return Adopted::OverLimit;
        }
        let id = self.add(popup.opened, "");
        if !popup.background || self.active.is_none() {
            self.activate(id);
        }
        Adopted::Added(id)
    }

    /// A tab beside opened itself is ready: it joins the strip in front.
    pub(crate) fn adopt_own(&mut self, opened: Opened, url: &url::Url) -> TabId {
        let id = self.add(opened, url.as_str());
        if self.active.is_none() {
            self.activate(id);
        }
        id
    }

    /// Closes tab `id` (or forgets it, when its page closed itself): the tab after it (else
    /// the one before) comes to the front if it was the active one; the last one going opens
    /// `start_url`. False when there is no such tab.
    pub(crate) fn remove(&mut self, id: TabId, close: bool, start_url: &url::Url) -> bool {
        let Some(idx) = self.list.iter().position(|t| t.id() == id) else { return false };
        let tab = self.list.remove(idx);
        if close {
            tab.close();
        }
        if self.active == Some(id) {
            self.active = None;
            let next =
                self.list.get(idx).or_else(|| idx.checked_sub(1).and_then(|i| self.list.get(i)));
            if let Some(next) = next.map(SessionTab::id) {
                self.activate(next);
            }
        }
        if self.list.is_empty() {
            self.open_own(start_url.clone());
        }
        true
    }

    /// Opens a tab at `url` in the background of the loop; it arrives as `TabsSignal::Opened`.
    fn open_own(&self, url: url::Url) {
        let (context, tx) = (self.context.clone(), self.own_tx.clone());
        tokio::spawn(
            async move {
                let opened = context.open_tab(&url).await;
                let _ = tx.send(opened);
            }
            .in_current_span(),
        );
    }

    /// Opens the session again in a fresh context after the browser was lost (`opts` says where
    /// and how), with a few attempts while the browser restarts; false when it cannot be. The
    /// tabs of the lost context are gone; the new one has one tab at `opts.url`, in front.
    pub(crate) async fn reopen(&mut self, browser: &dyn CloudBrowser, opts: TabOptions) -> bool {
        let mut delay = FIRST_REOPEN_DELAY;
        for attempt in 1..=N_REOPEN_ATTEMPTS {
            match browser.open(opts.clone()).await {
                Ok(opened) => {
                    tracing::warn!(attempt, "The cloud browser was lost; the page was reopened.");
                    self.context = opened.context;
                    self.popups = opened.popups;
                    self.list.clear();
                    self.active = None;
                    let id = self.add(opened.first, opts.url.as_str());
                    self.active = Some(id);
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

    /// Closes every tab with the browser context: cookies, storage and cache go.
    pub(crate) async fn close(&self) -> Result<(), browser::BrowserError> {
        self.context.close().await
    }
}
