//! A fake cloud browser for the engine's unit tests: its pages record what they are asked to
//! do, answer the guard's questions as the test sets them, and emit the events the test gives.

use crate::page::{Answer, CloudBrowser, Opened, Page};
use browser::{BrowserError, FocusState, HitTest, Input, Selection, TabEvent, TabOptions};
use model::Viewport;
use policy::rules::CompanyRule;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// What a fake page was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Dispatch(Input),
    Navigate(String),
    Back,
    Forward,
    Reload,
    Viewport(Viewport),
    Rules(usize),
    DeleteSelection,
    WakeGuard,
    Close,
}

/// A page: what it was asked, and what its guard answers.
pub(crate) struct FakePage {
    pub(crate) opts: TabOptions,
    /// Emits the page's events; `None` once the page is lost.
    events: Mutex<Option<mpsc::Sender<TabEvent>>>,
    ops: Mutex<Vec<Op>>,
    changed: Notify,
    /// The guard answers questions (else it is not there, as while a page navigates).
    pub(crate) guard_ready: AtomicBool,
    pub(crate) hit: Mutex<HitTest>,
    pub(crate) focus: Mutex<FocusState>,
    pub(crate) selection: Mutex<Selection>,
}

impl FakePage {
    /// A page of its own, at `https://shop.example/`.
    pub(crate) fn alone() -> (Arc<FakePage>, mpsc::Receiver<TabEvent>) {
        FakePage::new(TabOptions {
            viewport: Viewport::DEFAULT,
            locale: None,
            url: url::Url::parse("https://shop.example/").unwrap(),
            rules: Arc::from([]),
        })
    }

    fn new(opts: TabOptions) -> (Arc<FakePage>, mpsc::Receiver<TabEvent>) {
        // As many as the real tab's channel holds.
        let (tx, rx) = mpsc::channel(8);
        let page = Arc::new(FakePage {
            opts,
            events: Mutex::new(Some(tx)),
            ops: Mutex::new(Vec::new()),
            changed: Notify::new(),
            guard_ready: AtomicBool::new(true),
            hit: Mutex::default(),
            focus: Mutex::default(),
            selection: Mutex::default(),
        });
        (page, rx)
    }

    /// The page says something.
    pub(crate) async fn emit(&self, event: TabEvent) {
        let tx = self.events.lock().unwrap().clone().expect("the page is not lost");
        tx.send(event).await.expect("the session reads its page's events");
    }

    /// The page goes away without a word, as when Chromium dies.
    pub(crate) fn lose(&self) {
        self.events.lock().unwrap().take();
    }

    pub(crate) fn ops(&self) -> Vec<Op> {
        self.ops.lock().unwrap().clone()
    }

    /// Waits until the page was asked to do `n` things, and returns them.
    pub(crate) async fn wait_for_ops(&self, n: usize) -> Vec<Op> {
        loop {
            let changed = self.changed.notified();
            let ops = self.ops();
            if ops.len() >= n {
                return ops;
            }
            changed.await;
        }
    }

    fn record(&self, op: Op) {
        self.ops.lock().unwrap().push(op);
        self.changed.notify_waiters();
    }

    fn ask<T: Clone + Send>(&self, answer: &Mutex<T>) -> Result<T, BrowserError> {
        if self.guard_ready.load(Ordering::SeqCst) {
            Ok(answer.lock().unwrap().clone())
        } else {
            Err(BrowserError::Script("the guard is not ready".to_owned()))
        }
    }

    fn done(&self, op: Op) -> Answer<'_, ()> {
        self.record(op);
        Box::pin(async { Ok(()) })
    }
}

impl Page for FakePage {
    fn dispatch(&self, input: Input) -> Answer<'_, ()> {
        self.done(Op::Dispatch(input))
    }

    fn navigate<'a>(&'a self, url: &'a url::Url) -> Answer<'a, ()> {
        self.done(Op::Navigate(url.to_string()))
    }

    fn back(&self) -> Answer<'_, ()> {
        self.done(Op::Back)
    }

    fn forward(&self) -> Answer<'_, ()> {
        self.done(Op::Forward)
    }

    fn reload(&self) -> Answer<'_, ()> {
        self.done(Op::Reload)
    }

    fn set_viewport(&self, viewport: Viewport) -> Answer<'_, ()> {
        self.done(Op::Viewport(viewport))
    }

    fn set_company_rules<'a>(&'a self, rules: &'a [CompanyRule]) -> Answer<'a, ()> {
        self.done(Op::Rules(rules.len()))
    }

    fn hit_test(&self, _x: f64, _y: f64) -> Answer<'_, HitTest> {
        let answer = self.ask(&self.hit);
        Box::pin(async move { answer })
    }

    fn focus_state(&self) -> Answer<'_, FocusState> {
        let answer = self.ask(&self.focus);
        Box::pin(async move { answer })
    }

    fn selection(&self) -> Answer<'_, Selection> {
        let answer = self.ask(&self.selection);
        Box::pin(async move { answer })
    }

    fn delete_selection(&self) -> Answer<'_, ()> {
        self.done(Op::DeleteSelection)
    }

    fn wake_guard(&self) -> bool {
        let ready = self.guard_ready.load(Ordering::SeqCst);
        if ready {
            self.record(Op::WakeGuard);
        }
        ready
    }

    fn close(&self) -> Answer<'_, ()> {
        self.done(Op::Close)
    }
}

/// A browser of fake pages.
#[derive(Default)]
pub(crate) struct FakeBrowser {
    pages: Mutex<Vec<Arc<FakePage>>>,
    /// Opening a page fails while true (the browser is restarting).
    pub(crate) refuse: AtomicBool,
    /// Pages opened and not yet asked for by the test.
    n_opened: AtomicUsize,
    opened: Notify,
}

impl FakeBrowser {
    /// Opens a page as the registry would.
    pub(crate) fn open_page(&self, opts: TabOptions) -> Opened {
        let (page, events) = FakePage::new(opts);
        self.pages.lock().unwrap().push(page.clone());
        self.n_opened.fetch_add(1, Ordering::SeqCst);
        self.opened.notify_waiters();
        (page, events)
    }

    /// The `n`th page opened (from 0), once it is.
    pub(crate) async fn page(&self, n: usize) -> Arc<FakePage> {
        loop {
            let opened = self.opened.notified();
            if let Some(page) = self.pages.lock().unwrap().get(n) {
                return page.clone();
            }
            opened.await;
        }
    }

    pub(crate) fn pages(&self) -> Vec<Arc<FakePage>> {
        self.pages.lock().unwrap().clone()
    }

    pub(crate) fn n_pages(&self) -> usize {
        self.n_opened.load(Ordering::SeqCst)
    }
}

impl CloudBrowser for FakeBrowser {
    fn open(&self, opts: TabOptions) -> Answer<'_, Opened> {
        let res = if self.refuse.load(Ordering::SeqCst) {
            Err(BrowserError::BrowserGone)
        } else {
            Ok(self.open_page(opts))
        };
        Box::pin(async move { res })
    }

    fn check_selectors<'a>(&'a self, selectors: &'a [&'a str]) -> Answer<'a, Vec<Option<String>>> {
        let verdicts = selectors.iter().map(|_| None).collect();
        Box::pin(async move { Ok(verdicts) })
    }

    fn is_healthy(&self) -> bool {
        !self.refuse.load(Ordering::SeqCst)
    }

    fn is_own_connection(&self, _: std::net::SocketAddr) -> bool {
        false
    }
}

/// A screencast frame of a page of grey stripes, 128 × 96 CSS pixels, stamped `timestamp_ms`.
pub(crate) fn frame(timestamp_ms: f64) -> browser::Frame {
    let meta = model::FrameMeta {
        css_width: 128,
        css_height: 96,
        scroll_x: 0.0,
        scroll_y: 0.0,
        timestamp_ms,
    };
    browser::Frame { jpeg: jpeg(0), meta }
}

/// A JPEG of 128 × 96 pixels of grey stripes, with a square of brightness `shade` in its top
/// left corner when it is not 0 (frames of different shades differ there only).
pub(crate) fn jpeg(shade: u8) -> bytes::Bytes {
    let (width, height) = (128, 96);
    let pixels: Vec<u8> = (0..width * height * 3)
        .map(|i| {
            let (x, y) = ((i / 3) % width, i / 3 / width);
            match (x < 16 && y < 16, shade) {
                (true, shade) if shade != 0 => shade,
                _ if y % 8 < 4 => 90,
                _ => 200,
            }
        })
        .collect();
    let image = turbojpeg::Image {
        pixels: &pixels[..],
        width,
        pitch: 3 * width,
        height,
        format: turbojpeg::PixelFormat::RGB,
    };
    let jpeg = turbojpeg::compress(image, 80, turbojpeg::Subsamp::Sub2x2).unwrap();
    bytes::Bytes::copy_from_slice(&jpeg)
}
