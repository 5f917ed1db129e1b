//! A fake cloud browser for the engine's unit tests: its pages record what they are asked to
//! do, answer the guard's questions as the test sets them, and emit the events the test gives.

use crate::page::{Answer, CloudBrowser, Opened, OpenedContext, Page, PageContext, Popup};
use browser::{
    BrowserError, FocusState, HitTest, Input, PickRefusal, Selection, TabEvent, TabOptions,
    UploadFile,
};
use model::{FileChooserId, PickerChoice, PickerId, Viewport};
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
    Streaming(bool),
    Locale(model::Locale),
    Rules(usize),
    DeleteSelection,
    Choose(PickerId, PickerChoice, bool),
    DismissPicker(PickerId),
    /// The names of the files given to a chooser.
    SetFiles(FileChooserId, Vec<String>),
    WakeGuard,
    AnswerDialog(bool, Option<String>),
    /// A sign-in prompt was answered: the user name given, or `None` for a refusal.
    AnswerSignIn(Option<String>),
    Recover,
    Restart,
    Capture,
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
    /// Input never finishes while true (a script that does not end), until `recover`.
    pub(crate) stuck: AtomicBool,
    /// `recover` cannot make the page answer (its script starts again), until `restart`.
    pub(crate) stays_stuck: AtomicBool,
    /// What a capture of the page gives (a frame stamped then).
    pub(crate) picture: Mutex<Option<browser::Frame>>,
    /// What the page answers to a choice.
    pub(crate) choice: Mutex<Result<(), PickRefusal>>,
    /// The page has a dialog open: from its `TabEvent::Dialog` until it is answered.
    dialog_open: AtomicBool,
    dialog_answered: Notify,
    /// The next input opens this dialog and finishes only once it is answered, as a click on
    /// a button whose handler calls `confirm()` does.
    pub(crate) opens_dialog: Mutex<Option<browser::Dialog>>,
}

impl FakePage {
    /// A page of its own, at `https://shop.example/`.
    pub(crate) fn alone() -> (Arc<FakePage>, mpsc::Receiver<TabEvent>) {
        FakePage::new(TabOptions {
            viewport: Viewport::DEFAULT,
            locale: model::Locale::default(),
            url: url::Url::parse("https://shop.example/").unwrap(),
            rules: Arc::from([]),
            domains: Arc::default(),
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
            stuck: AtomicBool::new(false),
            stays_stuck: AtomicBool::new(false),
            picture: Mutex::default(),
            choice: Mutex::new(Ok(())),
            dialog_open: AtomicBool::new(false),
            dialog_answered: Notify::new(),
            opens_dialog: Mutex::new(None),
        });
        (page, rx)
    }

    /// The page says something.
    pub(crate) async fn emit(&self, event: TabEvent) {
        if matches!(event, TabEvent::Dialog(_)) {
            self.dialog_open.store(true, Ordering::SeqCst);
        }
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
            Err(BrowserError::NotReady)
        }
    }

    fn done(&self, op: Op) -> Answer<'_, ()> {
        self.record(op);
        Box::pin(async { Ok(()) })
    }
}

impl Page for FakePage {
    fn dispatch(&self, input: Input) -> Answer<'_, ()> {
        if let Some(dialog) = self.opens_dialog.lock().unwrap().take() {
            self.record(Op::Dispatch(input));
            self.dialog_open.store(true, Ordering::SeqCst);
            let tx = self.events.lock().unwrap().clone().expect("the page is not lost");
            tx.try_send(TabEvent::Dialog(dialog)).expect("the session reads its page's events");
            return Box::pin(async move {
                loop {
                    let answered = self.dialog_answered.notified();
                    if !self.dialog_open.load(Ordering::SeqCst) {
                        return Ok(());
                    }
                    answered.await;
                }
            });
        }
        if self.stuck.load(Ordering::SeqCst) {
            self.record(Op::Dispatch(input));
            return Box::pin(std::future::pending());
        }
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

    fn set_locale<'a>(&'a self, locale: &'a model::Locale) -> Answer<'a, ()> {
        self.done(Op::Locale(locale.clone()))
    }

    fn set_streaming(&self, on: bool) -> Answer<'_, ()> {
        self.done(Op::Streaming(on))
    }

    fn set_company_rules<'a>(&'a self, rules: &'a [CompanyRule]) -> Answer<'a, ()> {
        self.done(Op::Rules(rules.len()))
    }

    fn hit_test(&self, _x: f64, _y: f64) -> Answer<'_, HitTest> {
        let answer = self.ask(&self.hit);
        Box::pin(async move { answer })
    }

    fn inspect(&self, _x: f64, _y: f64) -> Answer<'_, Vec<browser::Inspected>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn count_matches<'a>(&'a self, _selector: &'a str) -> Answer<'a, browser::Matches> {
        Box::pin(async { Ok(browser::Matches { count: Some(0), rects: Vec::new() }) })
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

    fn choose<'a>(
        &'a self,
        id: PickerId,
        choice: &'a PickerChoice,
        by_agent: bool,
    ) -> Answer<'a, Result<(), PickRefusal>> {
        self.record(Op::Choose(id, choice.clone(), by_agent));
        let answer = self.ask(&self.choice);
        Box::pin(async move { answer })
    }

    fn dismiss_picker(&self, id: PickerId) -> Answer<'_, ()> {
        self.done(Op::DismissPicker(id))
    }

    fn set_files(&self, chooser: FileChooserId, files: Vec<UploadFile>) -> Answer<'_, ()> {
        self.done(Op::SetFiles(chooser, files.into_iter().map(|f| f.name).collect()))
    }

    fn wake_guard(&self) -> bool {
        let ready = self.guard_ready.load(Ordering::SeqCst);
        if ready {
            self.record(Op::WakeGuard);
        }
        ready
    }

    fn has_dialog(&self) -> bool {
        self.dialog_open.load(Ordering::SeqCst)
    }

    fn answer_dialog<'a>(&'a self, accept: bool, text: Option<&'a str>) -> Answer<'a, ()> {
        self.dialog_open.store(false, Ordering::SeqCst);
        self.dialog_answered.notify_waiters();
        self.done(Op::AnswerDialog(accept, text.map(str::to_owned)))
    }

    fn answer_sign_in<'a>(
        &'a self,
        _sign_in: &'a browser::SignIn,
        credentials: Option<&'a model::Credentials>,
    ) -> Answer<'a, ()> {
        self.done(Op::AnswerSignIn(credentials.map(|c| c.username.expose().clone())))
    }

    fn recover(&self) -> Answer<'_, browser::Recovery> {
        self.record(Op::Recover);
        let found = if self.stays_stuck.load(Ordering::SeqCst) {
            browser::Recovery::Unresponsive
        } else if self.stuck.swap(false, Ordering::SeqCst) {
            browser::Recovery::ScriptStopped
        } else {
            browser::Recovery::Responsive
        };
        Box::pin(async move { Ok(found) })
    }

    fn restart(&self, _within: std::time::Duration) -> Answer<'_, ()> {
        self.stays_stuck.store(false, Ordering::SeqCst);
        self.stuck.store(false, Ordering::SeqCst);
        self.done(Op::Restart)
    }

    fn answers_within(&self, within: std::time::Duration) -> Answer<'_, bool> {
        let stuck = self.stuck.load(Ordering::SeqCst);
        Box::pin(async move {
            if stuck {
                tokio::time::sleep(within).await;
            }
            Ok(!stuck)
        })
    }

    fn capture(&self) -> Answer<'_, browser::Frame> {
        self.record(Op::Capture);
        let picture = self.picture.lock().unwrap().clone();
        Box::pin(async move { picture.ok_or(BrowserError::TabClosed) })
    }

    fn close(&self) -> Answer<'_, ()> {
        self.done(Op::Close)
    }
}

/// The pages a fake browser opened, in order, shared with its contexts.
#[derive(Default)]
struct Opening {
    pages: Mutex<Vec<Arc<FakePage>>>,
    opened: Notify,
}

impl Opening {
    fn add(&self, opts: TabOptions) -> (Arc<FakePage>, Opened) {
        let (page, events) = FakePage::new(opts);
        self.pages.lock().unwrap().push(page.clone());
        self.opened.notify_waiters();
        (page.clone(), (page, events))
    }
}

/// A browser of fake pages.
#[derive(Default)]
pub(crate) struct FakeBrowser {
    opening: Arc<Opening>,
    /// Opening a page fails while true (the browser is restarting).
    pub(crate) refuse: AtomicBool,
    /// Contexts opened: where their pages open windows.
    popups: Mutex<Vec<mpsc::Sender<Popup>>>,
    n_contexts: AtomicUsize,
}

/// A browser context of fake pages: closing it closes them.
struct FakeContext {
    opening: Arc<Opening>,
    opts: TabOptions,
    pages: Mutex<Vec<Arc<FakePage>>>,
}

impl PageContext for FakeContext {
    fn open_tab<'a>(&'a self, url: &'a url::Url) -> Answer<'a, Opened> {
        let (page, opened) = self.opening.add(TabOptions { url: url.clone(), ..self.opts.clone() });
        self.pages.lock().unwrap().push(page);
        Box::pin(async move { Ok(opened) })
    }

    fn close(&self) -> Answer<'_, ()> {
        for page in self.pages.lock().unwrap().iter() {
            page.record(Op::Close);
        }
        Box::pin(async { Ok(()) })
    }
}

impl FakeBrowser {
    /// Opens a context with its first page, as the registry would.
    pub(crate) fn open_page(&self, opts: TabOptions) -> OpenedContext {
        let (page, first) = self.opening.add(opts.clone());
        let (tx, popups) = mpsc::channel(16);
        self.popups.lock().unwrap().push(tx);
        self.n_contexts.fetch_add(1, Ordering::SeqCst);
        let context =
            FakeContext { opening: self.opening.clone(), opts, pages: Mutex::new(vec![page]) };
        OpenedContext { context: Arc::new(context), popups, first }
    }

    /// A page of the latest context opens a window at `url` (in the background, as a
    /// Ctrl-click does, when `background`); returns its page.
    pub(crate) async fn open_window(&self, url: &str, background: bool) -> Arc<FakePage> {
        let tx = self.popups.lock().unwrap().last().cloned().expect("a context is open");
        let opts = TabOptions {
            viewport: Viewport::DEFAULT,
            locale: model::Locale::default(),
            url: url::Url::parse(url).unwrap(),
            rules: Arc::from([]),
            domains: Arc::default(),
        };
        let (page, opened) = self.opening.add(opts);
        tx.send(Popup { opened, background }).await.expect("the session takes new windows");
        page
    }

    /// The `n`th page opened (from 0), once it is.
    pub(crate) async fn page(&self, n: usize) -> Arc<FakePage> {
        loop {
            let opened = self.opening.opened.notified();
            if let Some(page) = self.opening.pages.lock().unwrap().get(n) {
                return page.clone();
            }
            opened.await;
        }
    }

    pub(crate) fn pages(&self) -> Vec<Arc<FakePage>> {
        self.opening.pages.lock().unwrap().clone()
    }

    /// Browser contexts opened (the first, and one for each time the browser was lost).
    pub(crate) fn n_contexts(&self) -> usize {
        self.n_contexts.load(Ordering::SeqCst)
    }
}

impl CloudBrowser for FakeBrowser {
    fn open(&self, opts: TabOptions) -> Answer<'_, OpenedContext> {
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
