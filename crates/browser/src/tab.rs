//! One page of a session's browser context: setting it up, commanding it, and watching it.
//!
//! Each tab has a task that reads the page's events: it acknowledges screencast frames at once,
//! keeps the page's address, title, loading and history state, reloads a crashed page, and
//! reports all of it as [`TabEvent`]s. Windows the page opens become tabs of their own (see
//! `context`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::cdp::Event;
use crate::context::{Context, ContextShared};
use crate::dialog::{default_answer, parse_opening, Dialog, DialogKind};
use crate::files::{parse_chooser, write_uploads};
use crate::guard::{
    guard_script, parse_focus, parse_hit_test, parse_inspected, parse_late, parse_matches,
    parse_report, parse_selection, parse_tick, set_rules_call, FocusState, GuardReport, HitTest,
    Inspected, Matches, Selection, GUARD_BINDING,
};
use crate::input::{to_command, Input};
use crate::permissions::{parse_request, PERMISSION_BINDING, PERMISSION_WATCH_SCRIPT};
use crate::screencast::{decode_frame, fits, start_params, Frame, Outbox};
use crate::sign_in::{answer_params, continue_params, enable_params, parse_challenge, Challenge};
use crate::widgets::{
    choose_call, dismiss_call, parse_choice_answer, parse_picker_event, PickRefusal, PickerEvent,
    PICKER_BINDING, WIDGETS_JS,
};
use crate::BrowserError;
use crate::{DownloadEvent, FileChooser, UploadFile};
use policy::rules::CompanyRule;

/// How long the page may take to answer a probe of [`Tab::recover`] before it counts as hung.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long after its script was stopped [`Tab::recover`] looks again whether the page still
/// answers: a script that a timer starts again at once is not stopped for good.
const STOPPED_HOLDS: Duration = Duration::from_millis(400);

/// What a new tab shows and how.
#[derive(Debug, Clone, PartialEq)]
pub struct TabOptions {
    /// Clamped to what the server renders ([`model::Viewport::clamped`]).
    pub viewport: model::Viewport,
    /// The customer's languages (`Accept-Language`, `navigator.languages`, `Intl`) and time
    /// zone (`Intl`, `Date`); empty keeps Chromium's own.
    pub locale: model::Locale,
    pub url: url::Url,
    /// The company's masking and blocking rules, applied by the page's guard.
    pub rules: Arc<[CompanyRule]>,
    /// Where the company lets its sessions go: the egress proxy refuses every request of the
    /// context to a site the lists do not allow. Taken when the context is made.
    pub domains: Arc<policy::domains::DomainLists>,
}

/// The page's state as a browser's address bar and buttons show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageInfo {
    pub url: String,
    pub title: String,
    /// The title with the values of masked fields taken out, for the agent.
    pub agent_title: String,
    pub loading: bool,
    pub can_go_back: bool,
    pub can_go_forward: bool,
}

/// What [`Tab::recover`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// The page answers: it was only slow.
    Responsive,
    /// A dialog nobody answered was answered.
    DialogAnswered,
    /// A script that did not end was stopped.
    ScriptStopped,
    /// The page still does not answer: its script could not be stopped for good (something
    /// starts it again) or its renderer hung. Only loading the page again ([`Tab::restart`])
    /// would help, and that loses what was entered in it, so nothing more was done.
    Unresponsive,
    /// The renderer was crashed, and the page is loaded again.
    Crashed,
}

impl Recovery {
    pub fn as_str(self) -> &'static str {
        match self {
            Recovery::Responsive => "responsive",
            Recovery::DialogAnswered => "dialog_answered",
            Recovery::ScriptStopped => "script_stopped",
            Recovery::Unresponsive => "unresponsive",
            Recovery::Crashed => "crashed",
        }
    }
}

/// What happened in a tab.
#[derive(Debug, Clone, PartialEq)]
pub enum TabEvent {
    Frame(Frame),
    Page(PageInfo),
    /// The guard's latest map of what the agent must not see or trigger; a slow owner gets only
    /// the latest one, before the frame that follows it.
    Guard(GuardReport),
    /// The guard looked at an animation frame (Unix milliseconds) and nothing had changed
    /// since its last report.
    GuardTick(f64),
    /// A script changed the DOM after the guard measured at this time (Unix milliseconds): a
    /// frame of that animation frame may show what the measurement did not.
    GuardLate(f64),
    /// The page opened a dialog; its scripts and input wait until it is answered
    /// ([`Tab::answer_dialog`]).
    Dialog(Dialog),
    /// The page's dialog was answered, by whoever answered it.
    DialogClosed,
    /// A site asks to sign in; its request waits for [`Tab::answer_sign_in`], the page goes on.
    SignIn(crate::SignIn),
    /// The page asked for a permission (location, notifications…), which was refused.
    PermissionRefused(model::SitePermission),
    /// The page's renderer crashed; the tab reloads the page by itself.
    Crashed,
    /// The page closed itself (`window.close()`): this tab shows nothing any more.
    Closed,
    /// A native widget (select list, date chooser…) opened or closed in the page.
    Picker(PickerEvent),
    /// The page asks for files (an `<input type=file>`); give them with [`Tab::set_files`].
    FileChooser(FileChooser),
    /// A download of the page finished, was too large, or failed.
    Download(DownloadEvent),
    /// The page is about to show a PDF (itself or in a frame), in Chromium's viewer, which the
    /// guard cannot look into; reported before any pixel of it is drawn.
    Pdf(crate::pdf::PdfShown),
    /// The page went to a document that is not a PDF after showing one: frames drawn from this
    /// time on (Unix milliseconds) no longer show it.
    PdfGone(f64),
    /// Chromium died or the page went away; this tab is dead and a new one must be opened.
    Lost,
}

/// Settings of the browser every tab needs.
#[derive(Debug, Clone)]
pub(crate) struct TabSettings {
    pub(crate) quality: u8,
    pub(crate) proxy_port: u16,
    pub(crate) user_agent: String,
    /// Who Chromium runs as (when beside is root): the owner of every session's files.
    pub(crate) run_as: Option<(u32, u32)>,
    pub(crate) max_download_bytes: u64,
}

/// A handle to one page of a browser context; clones share the page.
#[derive(Clone)]
pub struct Tab {
    owner: Arc<Owner>,
}

/// Closes the page when the last `Tab` clone is dropped without `close`.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let shared = self.shared.clone();
        if !shared.closed.load(Ordering::SeqCst) {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { shared.close().await });
            }
        }
    }
}

/// What the tab's handles and its event task share.
struct Shared {
    cdp: crate::cdp::Cdp,
    session_id: String,
    target_id: String,
    /// The browser context, kept alive by its tabs.
    context: Arc<ContextShared>,
    quality: u8,
    user_agent: String,
    /// Whether the screencast runs: only the tab people look at streams.
    streaming: AtomicBool,
    viewport: Mutex<model::Viewport>,
    /// The languages and time zone in force, so a change knows what to clear first.
    locale: tokio::sync::Mutex<model::Locale>,
    /// The execution context of beside's isolated world in the main frame, while it exists.
    guard_context: Mutex<Option<i64>>,
    /// The identifier of the guard script injected into new documents (it carries the
    /// company's rules, so it is replaced when they change).
    guard_script: tokio::sync::Mutex<Option<String>>,
    /// The kind of the dialog the page has open, if any.
    dialog: Mutex<Option<DialogKind>>,
    /// How many times the page was reloaded after its renderer crashed (counted once the
    /// reload was asked for), for [`Tab::restart`] to wait for.
    crash_reloads: tokio::sync::watch::Sender<u64>,
    closed: AtomicBool,
}

impl Shared {
    async fn call(&self, method: &str, params: Value) -> Result<Value, BrowserError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(BrowserError::TabClosed);
        }
        self.cdp.call(method, params, Some(&self.session_id)).await
    }

    fn open_dialog(&self) -> Option<DialogKind> {
        *self.dialog.lock().expect("the dialog lock is never held across a panic")
    }

    fn set_dialog(&self, kind: Option<DialogKind>) {
        *self.dialog.lock().expect("the dialog lock is never held across a panic") = kind;
    }

    /// Whether the page's main world answers a trivial script within [`PROBE_TIMEOUT`] (an
    /// error is an answer too: the page is not stuck).
    async fn answers(&self) -> bool {
        self.answers_within(PROBE_TIMEOUT).await
    }

    /// Whether the page's renderer runs a trivial script within `within`.
    async fn answers_within(&self, within: Duration) -> bool {
        let res = self
            .cdp
            .call_within(
                "Runtime.evaluate",
                json!({ "expression": "0", "returnByValue": true }),
                Some(&self.session_id),
                within,
            )
            .await;
        !matches!(res, Err(BrowserError::Timeout { .. }))
    }

    fn guard_context(&self) -> Option<i64> {
        *self.guard_context.lock().expect("the guard context lock is never held across a panic")
    }

    fn set_guard_context(&self, context: Option<i64>) {
        *self.guard_context.lock().expect("the guard context lock is never held across a panic") =
            context;
    }

    /// Evaluates `expression` in beside's isolated world of the main frame.
    async fn evaluate_in_guard(&self, expression: &str) -> Result<Value, BrowserError> {
        let context = self.guard_context().ok_or(BrowserError::NotReady)?;
        let res = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "contextId": context, "returnByValue": true }),
            )
            .await?;
        script_result(&res)
    }

    /// Asks the guard to measure on the next animation frame (false: there is no guard to
    /// ask yet). Nothing waits for the answer: it arrives as a report or a tick like any other.
    fn wake_guard(&self) -> bool {
        if self.closed.load(Ordering::SeqCst) {
            return false;
        }
        let Some(context) = self.guard_context() else { return false };
        self.cdp.send(
            "Runtime.evaluate",
            json!({ "expression": "globalThis.__besideWake?.()", "contextId": context }),
            Some(&self.session_id),
        );
        true
    }

    /// Adds a script of beside's isolated world to every new document; returns its identifier.
    async fn add_script(&self, source: &str) -> Result<String, BrowserError> {
        let res = self
            .call(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": source, "worldName": WORLD, "runImmediately": true }),
            )
            .await?;
        string_field(&res, "identifier", "Page.addScriptToEvaluateOnNewDocument")
    }

    fn viewport(&self) -> model::Viewport {
        *self.viewport.lock().expect("the viewport lock is never held across a panic")
    }

    async fn apply_viewport(&self, viewport: model::Viewport) -> Result<(), BrowserError> {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": viewport.width, "height": viewport.height,
                "deviceScaleFactor": viewport.device_scale_factor, "mobile": viewport.mobile,
            }),
        )
        .await?;
        // A phone's page has touch (`ontouchstart`, `navigator.maxTouchPoints`, a coarse
        // pointer); the agent's mouse stays a mouse there (mouse events are not made touches).
        self.call(
            "Emulation.setTouchEmulationEnabled",
            json!({ "enabled": viewport.mobile, "maxTouchPoints": crate::MAX_TOUCH_POINTS }),
        )
        .await?;
        self.call("Emulation.setEmitTouchEventsForMouse", json!({ "enabled": false })).await?;
        Ok(())
    }

    async fn restart_screencast(&self) -> Result<(), BrowserError> {
        if !self.streaming.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.call("Page.stopScreencast", json!({})).await?;
        self.call("Page.startScreencast", start_params(self.viewport(), self.quality)).await?;
        Ok(())
    }

    /// Takes on the customer's languages and time zone. Chromium refuses to replace an
    /// override in force, so a changed one is cleared first. The locale and time zone are one
    /// per renderer process: a window a page opened shares its opener's process, whose tab has
    /// set them already (to the session's same ones), and Chromium says so.
    async fn apply_locale(&self, locale: &model::Locale) -> Result<(), BrowserError> {
        let mut current = self.locale.lock().await;
        let first = *current == model::Locale::default();
        if first || current.primary() != locale.primary() {
            self.override_once("Emulation.setLocaleOverride", json!({})).await?;
            if let Some(primary) = locale.primary() {
                self.override_once("Emulation.setLocaleOverride", json!({ "locale": primary }))
                    .await?;
            }
        }
        if first || current.languages != locale.languages {
            // The header (with weights) and `navigator.languages` both come from this list.
            let accept = policy::locale::browser_languages(&locale.languages);
            self.call(
                "Emulation.setUserAgentOverride",
                json!({ "userAgent": self.user_agent, "acceptLanguage": accept }),
            )
            .await?;
        }
        if first || current.time_zone != locale.time_zone {
            self.override_once("Emulation.setTimezoneOverride", json!({ "timezoneId": "" }))
                .await?;
            if let Some(zone) = &locale.time_zone {
                self.override_once("Emulation.setTimezoneOverride", json!({ "timezoneId": zone }))
                    .await?;
            }
        }
        *current = locale.clone();
        Ok(())
    }

    /// An override that another tab of the same renderer process may hold already.
    async fn override_once(&self, method: &str, params: Value) -> Result<(), BrowserError> {
        match self.call(method, params).await {
            Err(BrowserError::Cdp { message, .. }) if message.contains("already in effect") => {
                Ok(())
            }
            res => res.map(drop),
        }
    }

    /// Opens `url` in the page. Every navigation beside makes itself goes through here, and so
    /// through `policy::navigation` (the address bar's, a new window's, a crashed page's reload),
    /// whatever Chromium would refuse by itself; `about:blank` is the one address beside may
    /// open besides web pages.
    async fn navigate(&self, url: &str) -> Result<(), BrowserError> {
        let url = navigation_target(url)?;
        let res = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(error) = res.get("errorText").and_then(Value::as_str) {
            // The page shows Chromium's error page; the caller learns of it from PageInfo.
            tracing::debug!(error, "Navigation ended on an error page.");
        }
        Ok(())
    }

    async fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.cdp.unsubscribe(&[&self.session_id, &self.target_id]);
        self.context.forget(&self.target_id);
        if self.context.is_disposed() {
            return;
        }
        let res =
            self.cdp.call("Target.closeTarget", json!({ "targetId": self.target_id }), None).await;
        match res {
            Ok(_) | Err(BrowserError::BrowserGone) => {}
            Err(error) => tracing::debug!(%error, "Could not close a tab."),
        }
    }

    async fn set_streaming(&self, on: bool) -> Result<(), BrowserError> {
        if self.streaming.swap(on, Ordering::SeqCst) == on {
            return Ok(());
        }
        if on {
            // The tab people look at is the one in front: it has the focus, and its
            // animation frames run.
            self.call("Page.bringToFront", json!({})).await?;
            self.call("Page.startScreencast", start_params(self.viewport(), self.quality)).await?;
        } else {
            self.call("Page.stopScreencast", json!({})).await?;
        }
        Ok(())
    }
}

impl Tab {
    /// Takes over `target_id` of `context`: sets it up like every tab (title script, guard with
    /// the company's rules, viewport, languages), starts its screencast when `stream`, and opens
    /// `url` in it when given (a window a page opened is already on its way).
    pub(crate) async fn attach(
        context: Arc<ContextShared>,
        target_id: String,
        url: Option<&str>,
        stream: bool,
    ) -> Result<(Tab, mpsc::Receiver<TabEvent>), BrowserError> {
        let cdp = context.cdp.clone();
        let setup = context.setup();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        cdp.subscribe_target(&target_id, events_tx.clone());
        let attached = cdp
            .call("Target.attachToTarget", json!({ "targetId": target_id, "flatten": true }), None)
            .await;
        let session_id = match attached
            .and_then(|a| string_field(&a, "sessionId", "Target.attachToTarget"))
        {
            Ok(session_id) => session_id,
            Err(error) => {
                cdp.unsubscribe(&[&target_id]);
                context.forget(&target_id);
                let _ =
                    cdp.call("Target.closeTarget", json!({ "targetId": target_id }), None).await;
                return Err(error);
            }
        };
        cdp.subscribe_session(&session_id, events_tx);
        let settings = context.settings.clone();
        let shared = Arc::new(Shared {
            cdp,
            session_id,
            target_id,
            context,
            quality: settings.quality,
            user_agent: settings.user_agent.clone(),
            streaming: AtomicBool::new(stream),
            viewport: Mutex::new(setup.viewport),
            locale: tokio::sync::Mutex::new(model::Locale::default()),
            guard_context: Mutex::new(None),
            guard_script: tokio::sync::Mutex::new(None),
            dialog: Mutex::new(None),
            crash_reloads: tokio::sync::watch::Sender::new(0),
            closed: AtomicBool::new(false),
        });
        let tab = Tab { owner: Arc::new(Owner { shared: shared.clone() }) };
        // From here on, dropping `tab` on an error closes the page.
        shared.call("Page.enable", json!({})).await?;
        shared.call("Inspector.enable", json!({})).await?;
        // Chromium does not report titles a page sets from script as target changes, so a
        // script in beside's own isolated world (invisible to the page) reports them.
        shared
            .call(
                "Runtime.addBinding",
                json!({ "name": TITLE_BINDING, "executionContextName": WORLD }),
            )
            .await?;
        // The guard reports what the agent must not see or trigger, from the same world.
        shared
            .call(
                "Runtime.addBinding",
                json!({ "name": GUARD_BINDING, "executionContextName": WORLD }),
            )
            .await?;
        // Native widgets' popups are reported as pickers, from the same world too.
        shared
            .call(
                "Runtime.addBinding",
                json!({ "name": PICKER_BINDING, "executionContextName": WORLD }),
            )
            .await?;
        // What the page asks to be allowed is reported from its own world (see `permissions`).
        shared.call("Runtime.addBinding", json!({ "name": PERMISSION_BINDING })).await?;
        shared.call("Runtime.enable", json!({})).await?;
        shared.add_script(TITLE_WATCH_SCRIPT).await?;
        let guard = shared.add_script(&guard_script(&setup.rules)).await?;
        *shared.guard_script.lock().await = Some(guard);
        shared.add_script(WIDGETS_JS).await?;
        shared
            .call(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": PERMISSION_WATCH_SCRIPT, "runImmediately": true }),
            )
            .await?;
        // File choosers are the customer's to answer: Chromium's own dialog never opens.
        shared.call("Page.setInterceptFileChooserDialog", json!({ "enabled": true })).await?;
        // So are sites' sign-in prompts (see `sign_in`); and documents' responses stop once,
        // so a PDF is known before it is drawn (`pdf`).
        shared.call("Fetch.enable", enable_params()).await?;
        shared.apply_viewport(setup.viewport).await?;
        shared.apply_locale(&setup.locale).await?;
        if stream {
            shared
                .call("Page.startScreencast", start_params(setup.viewport, settings.quality))
                .await?;
        }
        let (tx, rx) = mpsc::channel(8);
        let outbox = Outbox::start(tx);
        shared.context.add_outbox(&outbox);
        let watcher = Watcher {
            shared: shared.clone(),
            outbox,
            page: PageInfo::default(),
            sent: None,
            showed_pdf: false,
        };
        tokio::spawn(watcher.run(events_rx));
        if let Some(url) = url {
            shared.navigate(url).await?;
        }
        Ok((tab, rx))
    }

    fn shared(&self) -> &Shared {
        &self.owner.shared
    }

    /// Resizes the page area; frames follow at the new size.
    /// Sizes outside what the server renders are clamped ([`model::Viewport::clamped`]).
    pub async fn set_viewport(&self, viewport: model::Viewport) -> Result<(), BrowserError> {
        let viewport = viewport.clamped();
        *self.shared().viewport.lock().expect("the viewport lock is never held across a panic") =
            viewport;
        self.shared().context.update_setup(|setup| setup.viewport = viewport);
        self.shared().apply_viewport(viewport).await?;
        self.shared().restart_screencast().await
    }

    /// Takes on the customer's (new) languages and time zone: websites see them from now on,
    /// in scripts at once and in requests from the next one.
    pub async fn set_locale(&self, locale: &model::Locale) -> Result<(), BrowserError> {
        self.shared().context.update_setup(|setup| setup.locale = locale.clone());
        self.shared().apply_locale(locale).await
    }

    /// Gives the page's guard the company's new rules: for the document on screen at once, and
    /// for every document after it.
    pub async fn set_company_rules(&self, rules: &[CompanyRule]) -> Result<(), BrowserError> {
        let shared = self.shared();
        shared.context.update_setup(|setup| setup.rules = rules.into());
        let mut current = shared.guard_script.lock().await;
        // The new script first, then the old one goes: a document that starts in between runs
        // both, and the newer one hands its rules to the guard the older one installed.
        let added = shared.add_script(&guard_script(rules)).await?;
        if let Some(old) = current.replace(added) {
            shared
                .call("Page.removeScriptToEvaluateOnNewDocument", json!({ "identifier": old }))
                .await?;
        }
        drop(current);
        match shared.evaluate_in_guard(&set_rules_call(rules)).await {
            // No guard yet: the page is navigating, and its new document gets the new script.
            Ok(_) | Err(BrowserError::NotReady) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Feeds one input event to the page.
    ///
    /// Clipboard shortcuts ([`crate::clipboard_shortcut`]) are dropped: Chromium's clipboard is
    /// one for all of its contexts, so a page must never copy into it nor paste from it. The
    /// session serves them with a clipboard of its own ([`Tab::selection`], text input).
    pub async fn dispatch(&self, input: Input) -> Result<(), BrowserError> {
        if let Input::Key { key, code, modifiers, .. } = &input {
            if crate::input::clipboard_shortcut(key, code, *modifiers).is_some() {
                return Ok(());
            }
        }
        let (method, params) = to_command(&input);
        self.shared().call(method, params).await.map(drop)
    }

    /// Whether the page has a dialog open (its input waits until it is answered).
    pub fn has_dialog(&self) -> bool {
        self.shared().open_dialog().is_some()
    }

    /// Opens a web address (http or https) in this tab.
    pub async fn navigate(&self, url: &url::Url) -> Result<(), BrowserError> {
        check_url(url)?;
        self.shared().navigate(url.as_str()).await
    }

    pub async fn back(&self) -> Result<(), BrowserError> {
        self.go_in_history(-1).await
    }

    pub async fn forward(&self) -> Result<(), BrowserError> {
        self.go_in_history(1).await
    }

    async fn go_in_history(&self, step: i64) -> Result<(), BrowserError> {
        let history = self.shared().call("Page.getNavigationHistory", json!({})).await?;
        let (current, entries) = parse_history(&history);
        let Some(idx) = usize::try_from(current as i64 + step).ok() else {
            return Ok(());
        };
        if idx < first_entry(&entries) {
            return Ok(());
        }
        let Some(entry_id) = entries.get(idx).map(|e| e.id) else {
            return Ok(());
        };
        self.shared()
            .call("Page.navigateToHistoryEntry", json!({ "entryId": entry_id }))
            .await
            .map(drop)
    }

    pub async fn reload(&self) -> Result<(), BrowserError> {
        self.shared().call("Page.reload", json!({})).await.map(drop)
    }

    /// Answers the page's open dialog: `accept` is OK (with `prompt_text` for a prompt),
    /// otherwise Cancel.
    pub async fn answer_dialog(
        &self,
        accept: bool,
        prompt_text: Option<&str>,
    ) -> Result<(), BrowserError> {
        let mut params = json!({ "accept": accept });
        if let Some(text) = prompt_text {
            params["promptText"] = json!(text);
        }
        self.shared().call("Page.handleJavaScriptDialog", params).await?;
        self.shared().set_dialog(None);
        Ok(())
    }

    /// Answers a site's sign-in prompt: its waiting request goes on with `credentials`, or
    /// without (the site's refusal shows). The credentials go to Chromium and nowhere else.
    pub async fn answer_sign_in(
        &self,
        sign_in: &crate::SignIn,
        credentials: Option<&model::Credentials>,
    ) -> Result<(), BrowserError> {
        let params = answer_params(&sign_in.request_id, credentials);
        self.shared().call("Fetch.continueWithAuth", params).await.map(drop)
    }

    /// Whether the page's renderer answers a trivial script within `within`: the watchdog's
    /// probe of a page nobody acts on. A page showing a dialog counts as answering: the dialog
    /// waits for a person, and its script goes on once they answer.
    pub async fn answers_within(&self, within: Duration) -> bool {
        let shared = self.shared();
        shared.open_dialog().is_some() || shared.answers_within(within).await
    }

    /// Makes a page that did not answer in time answer again where that keeps the page, and
    /// says what was wrong: a dialog nobody answered gets its [`default_answer`]; a script that
    /// does not end is stopped. A page that still does not answer (the script starts again, or
    /// the renderer hung) is left as it is, [`Recovery::Unresponsive`]: loading it again
    /// ([`Tab::restart`]) loses what was entered in it, which is for the customer to agree to.
    pub async fn recover(&self) -> Result<Recovery, BrowserError> {
        let shared = self.shared();
        if let Some(kind) = shared.open_dialog() {
            tracing::info!(target_id = %shared.target_id, ?kind, "Answering a dialog nobody answered.");
            self.answer_dialog(default_answer(kind), None).await?;
            return Ok(Recovery::DialogAnswered);
        }
        if shared.answers().await {
            return Ok(Recovery::Responsive);
        }
        tracing::warn!(target_id = %shared.target_id, "A page's script does not end; stopping it.");
        // Chromium runs this one between the script's steps; it stops the script running now.
        let stopped = shared
            .cdp
            .call_within(
                "Runtime.terminateExecution",
                json!({}),
                Some(&shared.session_id),
                PROBE_TIMEOUT,
            )
            .await;
        if stopped.is_ok() && shared.answers().await {
            // Stopped for good, unless a timer starts it again at once.
            tokio::time::sleep(STOPPED_HOLDS).await;
            if shared.answers().await {
                return Ok(Recovery::ScriptStopped);
            }
        }
        tracing::warn!(target_id = %shared.target_id, "A page does not answer even after its script was stopped.");
        Ok(Recovery::Unresponsive)
    }

    /// Loads a page that does not answer again: its renderer is crashed (nothing else stops a
    /// renderer that hung), and the tab reloads the page as after any crash
    /// ([`TabEvent::Crashed`]). What was entered in the page is lost. Returns once the reload
    /// was asked for (or after `within`), so that a navigation that follows is not undone by it.
    pub async fn restart(&self, within: Duration) {
        let shared = self.shared();
        tracing::warn!(target_id = %shared.target_id, "Crashing a page's renderer to load the page again.");
        let mut reloads = shared.crash_reloads.subscribe();
        reloads.mark_unchanged();
        // Run between a script's steps too; the renderer dies before it can answer, so
        // nothing waits for one.
        shared.cdp.send("Page.crash", json!({}), Some(&shared.session_id));
        if tokio::time::timeout(within, reloads.changed()).await.is_err() {
            tracing::warn!(target_id = %shared.target_id, "A crashed page was not reloaded in time.");
        }
    }

    /// One picture of the page as it is drawn now, at the screencast's size: for a page that
    /// came to rest, whose last screencast frame may show an earlier moment. Its timestamp is
    /// when it was asked for; it shows the page as drawn at that time or a little after.
    pub async fn capture(&self) -> Result<Frame, BrowserError> {
        let shared = self.shared();
        let viewport = shared.viewport();
        let asked_ms = unix_ms();
        let (shot, metrics) = tokio::join!(
            shared.call(
                "Page.captureScreenshot",
                json!({ "format": "jpeg", "quality": shared.quality, "optimizeForSpeed": true }),
            ),
            shared.call("Page.getLayoutMetrics", json!({})),
        );
        let (shot, metrics) = (shot?, metrics?);
        let data = shot.get("data").and_then(Value::as_str).unwrap_or_default();
        let jpeg = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data)
            .map_err(|e| BrowserError::Protocol {
                method: "Page.captureScreenshot".into(),
                detail: format!("the image is not base64: {e}"),
            })?;
        let visual = |name: &str| {
            metrics.pointer(&format!("/cssVisualViewport/{name}")).and_then(Value::as_f64)
        };
        // In the picture's units, as the screencast's (see `screencast::decode_frame`).
        let zoom = visual("clientWidth")
            .filter(|w| w.is_finite() && *w > 0.0)
            .map_or(1.0, |w| f64::from(viewport.width) / w);
        let scroll = |name: &str| visual(name).unwrap_or(0.0) * zoom;
        Ok(Frame {
            jpeg: jpeg.into(),
            meta: model::FrameMeta {
                css_width: viewport.width,
                css_height: viewport.height,
                scroll_x: scroll("pageX"),
                scroll_y: scroll("pageY"),
                timestamp_ms: asked_ms,
            },
        })
    }

    /// Asks the page's guard to measure the page on its next animation frame, without waiting:
    /// the guard measures only while the page moves, and a frame may show a change it was not
    /// told of (a caret, a video, a canvas). The answer arrives as a [`TabEvent::Guard`] or
    /// [`TabEvent::GuardTick`] like any other. Once asked, the guard measures for a while
    /// (`ASKED_MS` in guard.js). False when there is no guard to ask yet (the page navigates).
    pub fn wake_guard(&self) -> bool {
        self.shared().wake_guard()
    }

    /// Closes the page. Its browser context (cookies, storage, cache) goes with the last of its
    /// tabs and handles, or at once with [`Context::close`].
    pub async fn close(&self) -> Result<(), BrowserError> {
        self.shared().close().await;
        Ok(())
    }

    /// Starts or stops the screencast: only the tab people look at streams, so a tab in the
    /// background costs no frames. A tab that starts comes to the front (focus, animation).
    pub async fn set_streaming(&self, on: bool) -> Result<(), BrowserError> {
        self.shared().set_streaming(on).await
    }

    /// The browser context this tab belongs to, to open more tabs in it.
    pub fn context(&self) -> Context {
        Context { shared: self.shared().context.clone() }
    }

    /// Runs a script in the page and returns its (awaited) result as JSON; for tests and probes.
    pub async fn evaluate(&self, js: &str) -> Result<Value, BrowserError> {
        let res = self
            .shared()
            .call(
                "Runtime.evaluate",
                json!({ "expression": js, "returnByValue": true, "awaitPromise": true, "userGesture": true }),
            )
            .await?;
        script_result(&res)
    }

    /// What is at a point of the viewport (CSS pixels), as the guard sees it now.
    ///
    /// Fails while the page navigates and the guard is not there yet; callers refuse the input
    /// then (fail closed).
    pub async fn hit_test(&self, x: f64, y: f64) -> Result<HitTest, BrowserError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(BrowserError::Script("the point is not a number".to_owned()));
        }
        let value = self
            .shared()
            .evaluate_in_guard(&format!("globalThis.__besideHitTest({x}, {y})"))
            .await?;
        parse_hit_test(&value).ok_or_else(|| malformed_answer("__besideHitTest", &value))
    }

    /// The element at a point of the viewport (CSS pixels) and its ancestors, nearest first,
    /// described for a point-and-click rule (empty: nothing there).
    pub async fn inspect(&self, x: f64, y: f64) -> Result<Vec<Inspected>, BrowserError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(BrowserError::Script("the point is not a number".to_owned()));
        }
        let value = self
            .shared()
            .evaluate_in_guard(&format!("globalThis.__besideInspect({x}, {y})"))
            .await?;
        parse_inspected(&value).ok_or_else(|| malformed_answer("__besideInspect", &value))
    }

    /// What `selector` finds in the page's top document now.
    pub async fn count_matches(&self, selector: &str) -> Result<Matches, BrowserError> {
        let call = format!("globalThis.__besideCount({})", Value::String(selector.to_owned()));
        let value = self.shared().evaluate_in_guard(&call).await?;
        parse_matches(&value).ok_or_else(|| malformed_answer("__besideCount", &value))
    }

    /// What keys typed now would reach, as the guard sees it now.
    ///
    /// Fails while the page navigates and the guard is not there yet; callers refuse the input
    /// then (fail closed).
    pub async fn focus_state(&self) -> Result<FocusState, BrowserError> {
        let value = self.shared().evaluate_in_guard("globalThis.__besideFocus()").await?;
        parse_focus(&value).ok_or_else(|| malformed_answer("__besideFocus", &value))
    }

    /// What a copy would take now, as the guard sees it.
    ///
    /// Fails while the page navigates and the guard is not there yet.
    pub async fn selection(&self) -> Result<Selection, BrowserError> {
        let value = self.shared().evaluate_in_guard("globalThis.__besideSelection()").await?;
        parse_selection(&value).ok_or_else(|| malformed_answer("__besideSelection", &value))
    }

    /// Applies a person's choice to an open picker, as the native popup would (the value, then
    /// `input` and `change` events). `by_agent`: an agent chose, who may not change a masked
    /// field. `Ok(Err(_))` says why the page refused it.
    pub async fn choose(
        &self,
        id: model::PickerId,
        choice: &model::PickerChoice,
        by_agent: bool,
    ) -> Result<Result<(), PickRefusal>, BrowserError> {
        let value = self.shared().evaluate_in_guard(&choose_call(id, choice, by_agent)).await?;
        match parse_choice_answer(&value) {
            Some(None) => Ok(Ok(())),
            Some(Some(refusal)) => Ok(Err(refusal)),
            None => Err(malformed_answer("__besideChoose", &value)),
        }
    }

    /// Gives `files` to the page's file chooser `chooser`: they are written into the session's
    /// own directory and set on its `<input type=file>` (which fires `input` and `change`).
    /// Fails when the chooser's element is gone.
    pub async fn set_files(
        &self,
        chooser: model::FileChooserId,
        files: Vec<UploadFile>,
    ) -> Result<(), BrowserError> {
        let shared = self.shared();
        let (uploads, run_as) = (shared.context.uploads_dir(), shared.context.settings.run_as);
        let paths = tokio::task::spawn_blocking(move || write_uploads(&uploads, run_as, &files))
            .await
            .map_err(|e| BrowserError::Setup(format!("writing uploads stopped: {e}")))??;
        shared
            .call("DOM.setFileInputFiles", json!({ "files": paths, "backendNodeId": chooser.0 }))
            .await
            .map(drop)
    }

    /// Closes an open picker without a choice.
    pub async fn dismiss_picker(&self, id: model::PickerId) -> Result<(), BrowserError> {
        self.shared().evaluate_in_guard(&dismiss_call(id)).await.map(drop)
    }

    /// Deletes the selected text, as a cut does after copying it.
    pub async fn delete_selection(&self) -> Result<(), BrowserError> {
        self.shared().evaluate_in_guard("globalThis.__besideDeleteSelection()").await.map(drop)
    }

    /// Runs a script in beside's isolated world of the main frame; for tests of the guard.
    #[doc(hidden)]
    pub async fn evaluate_in_guard(&self, js: &str) -> Result<Value, BrowserError> {
        self.shared().evaluate_in_guard(js).await
    }
}

/// The value of a `Runtime.evaluate` answer, or the script's error.
fn script_result(res: &Value) -> Result<Value, BrowserError> {
    if let Some(details) = res.get("exceptionDetails") {
        let message = details
            .pointer("/exception/description")
            .or_else(|| details.get("text"))
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        return Err(BrowserError::Script(message.to_owned()));
    }
    Ok(res.pointer("/result/value").cloned().unwrap_or(Value::Null))
}

fn malformed_answer(function: &str, value: &Value) -> BrowserError {
    let mut shown = value.to_string();
    shown.truncate(200);
    BrowserError::Protocol {
        method: "Runtime.evaluate".to_owned(),
        detail: format!("the guard's {function} answered {shown}"),
    }
}

pub(crate) fn check_url(url: &url::Url) -> Result<(), BrowserError> {
    check_url_str(url.as_str())
}

fn check_url_str(url: &str) -> Result<(), BrowserError> {
    policy::navigation::check_url(url).map(drop).map_err(BrowserError::Navigation)
}

/// The empty page: where a crashed page whose address beside may not open again goes.
const BLANK: &str = "about:blank";

/// `url` when beside may open it in a page: a web address `policy::navigation` allows, or
/// the empty page.
fn navigation_target(url: &str) -> Result<&str, BrowserError> {
    if url != BLANK {
        check_url_str(url)?;
    }
    Ok(url)
}

/// The address a crashed page is reloaded at: its own when beside may open it, else blank (an
/// error page's `chrome-error://` address, a `data:` page).
fn reload_target(url: &str) -> &str {
    if check_url_str(url).is_ok() {
        url
    } else {
        BLANK
    }
}

pub(crate) fn string_field(
    value: &Value,
    name: &str,
    method: &str,
) -> Result<String, BrowserError> {
    value.get(name).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
        BrowserError::Protocol {
            method: method.to_owned(),
            detail: format!("the answer has no {name}"),
        }
    })
}

struct HistoryEntry {
    id: i64,
    url: String,
    title: String,
}

/// The first entry the user can go back to: the about:blank every tab starts on is not one.
fn first_entry(entries: &[HistoryEntry]) -> usize {
    usize::from(entries.len() > 1 && entries[0].url == "about:blank")
}

fn parse_history(history: &Value) -> (usize, Vec<HistoryEntry>) {
    let current = history.get("currentIndex").and_then(Value::as_u64).unwrap_or(0) as usize;
    let entries = history
        .get("entries")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| HistoryEntry {
                    id: e.get("id").and_then(Value::as_i64).unwrap_or(0),
                    url: e.get("url").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    title: e.get("title").and_then(Value::as_str).unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    (current, entries)
}

/// Results of work the watcher started in the background.
enum Internal {
    History { can_go_back: bool, can_go_forward: bool, title: String },
}

/// The name of beside's isolated world in every page.
const WORLD: &str = "beside";
/// The binding through which the isolated world reports the document's title.
const TITLE_BINDING: &str = "__besideTitle";
/// Reports the main document's title whenever it changes, with the title for the agent: the
/// guard's `__besideRedact` takes the values of masked fields out of it (a page that puts what
/// is typed into its title). Typing re-checks it, as the values change, and so does a return
/// from the back-forward cache (the tab cleared the agent's title when the address changed).
const TITLE_WATCH_SCRIPT: &str = r#"(() => {
  if (window.top !== window || typeof __besideTitle !== "function") return;
  const report = __besideTitle;
  let last = null;
  const check = () => {
    const title = document.title;
    const redact = globalThis.__besideRedact;
    const agent = typeof redact === "function" ? redact(title) : "";
    const payload = JSON.stringify([title, agent]);
    if (payload !== last) { last = payload; report(payload); }
  };
  globalThis.__besideTitleCheck = check;
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
  document.addEventListener("DOMContentLoaded", check);
  document.addEventListener("input", check, true);
  // A page restored from the back-forward cache keeps this script's state but not the
  // session's view of it: say the title again.
  window.addEventListener("pageshow", (e) => { if (e.persisted) { last = null; check(); } });
  check();
})();"#;

/// The longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 500;

/// `[title, agent_title]` from the title script; `None` when malformed.
fn parse_titles(payload: &str) -> Option<(String, String)> {
    let (title, agent_title): (String, String) = serde_json::from_str(payload).ok()?;
    let cut = |s: String| s.chars().take(MAX_TITLE_CHARS).collect::<String>();
    Some((cut(title), cut(agent_title)))
}

/// The tab's event task.
struct Watcher {
    shared: Arc<Shared>,
    outbox: Arc<Outbox>,
    page: PageInfo,
    sent: Option<PageInfo>,
    /// A PDF was reported since the page last went to another document.
    showed_pdf: bool,
}

impl Watcher {
    async fn run(mut self, mut events: mpsc::UnboundedReceiver<Event>) {
        let (internal_tx, mut internal_rx) = mpsc::unbounded_channel();
        let lost = loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => {
                        if self.on_event(event, &internal_tx) {
                            break true;
                        }
                    }
                    None => break true,
                },
                Some(internal) = internal_rx.recv() => self.on_internal(internal),
            }
            if self.shared.closed.load(Ordering::SeqCst) {
                break false;
            }
            if self.sent.as_ref() != Some(&self.page) {
                self.sent = Some(self.page.clone());
                self.outbox.push_event(TabEvent::Page(self.page.clone()));
            }
        };
        if lost && !self.shared.closed.load(Ordering::SeqCst) {
            if self.shared.cdp.is_closed() || self.shared.context.is_disposed() {
                tracing::info!(target_id = %self.shared.target_id, "Tab lost its page.");
                self.outbox.push_event(TabEvent::Lost);
            } else {
                // Chromium is there: the page closed itself.
                tracing::debug!(target_id = %self.shared.target_id, "A page closed its tab.");
                self.shared.closed.store(true, Ordering::SeqCst);
                self.shared.cdp.unsubscribe(&[&self.shared.session_id, &self.shared.target_id]);
                self.shared.context.forget(&self.shared.target_id);
                self.outbox.push_event(TabEvent::Closed);
            }
        }
        self.outbox.finish();
    }

    /// Handles one event; true when the page is gone.
    fn on_event(&mut self, event: Event, internal: &mpsc::UnboundedSender<Internal>) -> bool {
        let params = &event.params;
        let is_main = |frame_id: Option<&Value>| {
            frame_id.and_then(Value::as_str) == Some(self.shared.target_id.as_str())
        };
        match event.method.as_str() {
            "Page.screencastFrame" => {
                if let Some((frame, ack)) = decode_frame(params) {
                    self.shared.cdp.send(
                        "Page.screencastFrameAck",
                        json!({ "sessionId": ack }),
                        Some(&self.shared.session_id),
                    );
                    match frame {
                        Some(frame) if fits(&frame.meta, self.shared.viewport()) => {
                            self.outbox.push_frame(frame);
                        }
                        Some(frame) => tracing::debug!(
                            width = frame.meta.css_width,
                            height = frame.meta.css_height,
                            "A frame not of the emulated size is not used."
                        ),
                        None => {}
                    }
                }
            }
            "Page.frameNavigated" => {
                let frame = &params["frame"];
                if frame.get("parentId").is_none() {
                    let mime = frame.get("mimeType").and_then(Value::as_str).unwrap_or_default();
                    if self.showed_pdf && !policy::pdf::is_shown_pdf(Some(mime), None) {
                        self.showed_pdf = false;
                        self.outbox.push_event(TabEvent::PdfGone(unix_ms()));
                    }
                    let url = frame.get("url").and_then(Value::as_str).unwrap_or_default();
                    let fragment =
                        frame.get("urlFragment").and_then(Value::as_str).unwrap_or_default();
                    self.page.url = format!("{url}{fragment}");
                    self.refresh_history(internal);
                }
            }
            "Page.navigatedWithinDocument" if is_main(params.get("frameId")) => {
                if let Some(url) = params.get("url").and_then(Value::as_str) {
                    self.page.url = url.to_owned();
                }
                self.refresh_history(internal);
                // Reports of the old address no longer count: the guard says where things are
                // at the new one (and applies its rules), without waiting for the page to move.
                self.shared.wake_guard();
            }
            "Page.frameStartedLoading" if is_main(params.get("frameId")) => {
                self.page.loading = true;
            }
            "Page.frameStoppedLoading" if is_main(params.get("frameId")) => {
                self.page.loading = false;
                self.refresh_history(internal);
            }
            "Page.domContentEventFired" | "Page.loadEventFired" => self.refresh_history(internal),
            "Fetch.requestPaused" => self.on_paused(params),
            "Runtime.bindingCalled"
                if params.get("name").and_then(Value::as_str) == Some(TITLE_BINDING) =>
            {
                let payload = params.get("payload").and_then(Value::as_str).unwrap_or_default();
                if let Some((title, agent_title)) = parse_titles(payload) {
                    if !title.is_empty() {
                        self.page.title = title;
                        self.page.agent_title = agent_title;
                    }
                }
            }
            "Runtime.bindingCalled"
                if params.get("name").and_then(Value::as_str) == Some(GUARD_BINDING) =>
            {
                let payload = params.get("payload").and_then(Value::as_str).unwrap_or_default();
                if let Some(time_ms) = parse_late(payload) {
                    self.outbox.push_late(time_ms);
                    return false;
                }
                if let Some(time_ms) = parse_tick(payload) {
                    self.outbox.push_tick(time_ms);
                    return false;
                }
                match parse_report(payload) {
                    Some(report) => self.outbox.push_guard(report),
                    None => tracing::debug!(
                        bytes = payload.len(),
                        "Dropped a malformed report of the guard."
                    ),
                }
            }
            "Runtime.bindingCalled"
                if params.get("name").and_then(Value::as_str) == Some(PICKER_BINDING) =>
            {
                let payload = params.get("payload").and_then(Value::as_str).unwrap_or_default();
                match parse_picker_event(payload) {
                    Some(event) => self.outbox.push_event(TabEvent::Picker(event)),
                    None => tracing::debug!(
                        bytes = payload.len(),
                        "Dropped a malformed report of a native widget."
                    ),
                }
            }
            "Runtime.bindingCalled"
                if params.get("name").and_then(Value::as_str) == Some(PERMISSION_BINDING) =>
            {
                let payload = params.get("payload").and_then(Value::as_str).unwrap_or_default();
                if let Some(permission) = parse_request(payload) {
                    self.outbox.push_event(TabEvent::PermissionRefused(permission));
                }
            }
            "Runtime.executionContextCreated" => {
                let context = &params["context"];
                if context.get("name").and_then(Value::as_str) == Some(WORLD)
                    && is_main(context.pointer("/auxData/frameId"))
                {
                    self.shared.set_guard_context(context.get("id").and_then(Value::as_i64));
                }
            }
            "Runtime.executionContextDestroyed" => {
                let id = params.get("executionContextId").and_then(Value::as_i64);
                if id.is_some() && id == self.shared.guard_context() {
                    self.shared.set_guard_context(None);
                }
            }
            "Runtime.executionContextsCleared" => self.shared.set_guard_context(None),
            "Page.javascriptDialogOpening" => {
                if let Some(dialog) = parse_opening(params) {
                    self.shared.set_dialog(Some(dialog.kind));
                    self.outbox.push_event(TabEvent::Dialog(dialog));
                }
            }
            "Page.javascriptDialogClosed" => {
                self.shared.set_dialog(None);
                self.outbox.push_event(TabEvent::DialogClosed);
            }
            "Fetch.authRequired" => match parse_challenge(params) {
                Some(Challenge::Site(sign_in)) => {
                    self.outbox.push_event(TabEvent::SignIn(sign_in));
                }
                Some(Challenge::Proxy(request_id)) => {
                    tracing::debug!("A proxy asked to sign in; refused.");
                    let params = answer_params(&request_id, None);
                    let session = Some(self.shared.session_id.as_str());
                    self.shared.cdp.send("Fetch.continueWithAuth", params, session);
                }
                None => tracing::debug!("Dropped a malformed sign-in challenge."),
            },
            "Page.fileChooserOpened" => {
                if let Some(chooser) = parse_chooser(params) {
                    self.outbox.push_event(TabEvent::FileChooser(chooser));
                }
            }
            // A download of a frame of this page (the context follows it on; see `downloads`).
            "Page.downloadWillBegin" => self.shared.context.claim_download(params),
            "Inspector.targetCrashed" => {
                tracing::warn!(target_id = %self.shared.target_id, "A page's renderer crashed; reloading it.");
                self.outbox.push_event(TabEvent::Crashed);
                let shared = self.shared.clone();
                let url = self.page.url.clone();
                tokio::spawn(async move {
                    let res = async {
                        let res = shared.navigate(reload_target(&url)).await;
                        shared.crash_reloads.send_modify(|n| *n += 1);
                        res?;
                        shared.restart_screencast().await
                    }
                    .await;
                    if let Err(error) = res {
                        tracing::warn!(%error, "Could not reload a crashed page.");
                    }
                });
            }
            "Target.targetCreated" | "Target.targetInfoChanged" => {
                let info = &params["targetInfo"];
                let target_id = info.get("targetId").and_then(Value::as_str).unwrap_or_default();
                let url = info.get("url").and_then(Value::as_str).unwrap_or_default();
                if target_id == self.shared.target_id {
                    if (self.page.url.is_empty() || self.page.url == BLANK) && !url.is_empty() {
                        // A window a page opened may have navigated before this tab saw it:
                        // its first address was about:blank, and the navigation away from it
                        // came before `Page.enable`, so only the target tells where it is.
                        self.page.url = url.to_owned();
                    }
                    if let Some(title) = info.get("title").and_then(Value::as_str) {
                        // Chromium shows the address as the title until the page sets one.
                        // The agent's title comes only from the isolated world, which takes
                        // masked values out of it.
                        if (title != url || self.page.title.is_empty()) && title != self.page.title
                        {
                            self.page.title = title.to_owned();
                            self.page.agent_title.clear();
                        }
                    }
                }
            }
            "Target.targetDestroyed" => {
                let target_id = params.get("targetId").and_then(Value::as_str).unwrap_or_default();
                if target_id == self.shared.target_id {
                    return true;
                }
            }
            "Target.detachedFromTarget"
                if params.get("sessionId").and_then(Value::as_str)
                    == Some(self.shared.session_id.as_str()) =>
            {
                return true;
            }
            _ => {}
        }
        false
    }

    fn on_internal(&mut self, internal: Internal) {
        match internal {
            Internal::History { can_go_back, can_go_forward, title } => {
                self.page.can_go_back = can_go_back;
                self.page.can_go_forward = can_go_forward;
                if !title.is_empty() && title != self.page.title {
                    self.page.title = title;
                    self.page.agent_title.clear();
                }
            }
        }
    }

    fn refresh_history(&self, internal: &mpsc::UnboundedSender<Internal>) {
        let shared = self.shared.clone();
        let internal = internal.clone();
        tokio::spawn(async move {
            if let Ok(history) = shared.call("Page.getNavigationHistory", json!({})).await {
                let (current, entries) = parse_history(&history);
                let title = entries.get(current).map(|e| e.title.clone()).unwrap_or_default();
                let _ = internal.send(Internal::History {
                    can_go_back: current > first_entry(&entries),
                    can_go_forward: current + 1 < entries.len(),
                    title,
                });
            }
        });
    }
}

impl Watcher {
    /// A document's response stopped: a PDF is reported (with its fields) before it goes on,
    /// anything else goes on at once.
    fn on_paused(&mut self, params: &Value) {
        let Some(paused) = crate::pdf::paused_response(params) else {
            // A request (stopped for sign-in prompts, see `sign_in`): it goes on as it was.
            if let Some(params) = continue_params(params) {
                let session = Some(self.shared.session_id.as_str());
                self.shared.cdp.send("Fetch.continueRequest", params, session);
            }
            return;
        };
        let shared = self.shared.clone();
        if !paused.pdf {
            crate::pdf::continue_response(&shared.cdp, &shared.session_id, &paused.request_id);
            return;
        }
        self.showed_pdf = true;
        let since_ms = unix_ms();
        let outbox = self.outbox.clone();
        tokio::spawn(
            async move {
                let fields =
                    crate::pdf::read_fields(&shared.cdp, &shared.session_id, &paused).await;
                outbox.push_event(crate::pdf::event(fields, since_ms));
                crate::pdf::continue_response(&shared.cdp, &shared.session_id, &paused.request_id);
            }
            .instrument(tracing::Span::current()),
        );
    }
}

/// Now, in milliseconds since the Unix epoch (the clock of frames and guard reports).
fn unix_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_opens_web_addresses_and_the_empty_page_only() {
        for ok in ["https://example.com/", "http://127.0.0.1:8080/demo/", "about:blank"] {
            assert_eq!(navigation_target(ok).unwrap(), ok);
        }
        // What a new window may ask for, whatever Chromium would do with it.
        for refused in [
            "data:text/html,<title>x</title>",
            "file:///etc/passwd",
            "chrome://settings",
            "javascript:alert(1)",
            "about:config",
            "view-source:https://example.com/",
        ] {
            assert!(
                matches!(navigation_target(refused), Err(BrowserError::Navigation(_))),
                "{refused}"
            );
        }
    }

    #[test]
    fn a_crashed_page_is_reloaded_only_at_an_address_beside_may_open() {
        assert_eq!(reload_target("https://example.com/a"), "https://example.com/a");
        for refused in [
            "",
            "chrome-error://chromewebdata/",
            "file:///etc/passwd",
            "data:text/html,x",
            "javascript:1",
        ] {
            assert_eq!(reload_target(refused), BLANK, "{refused}");
        }
    }
}
