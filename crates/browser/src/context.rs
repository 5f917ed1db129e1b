//! A session's browser context: the cookies, storage and cache its tabs share, the settings
//! every new tab of it starts with, and the windows its pages open, which become tabs.
//!
//! The context's own task watches Chromium's target events for the context: a page that opens a
//! window (`target=_blank`, `window.open`, a Ctrl-click or middle click on a link) makes a new
//! target, which the task attaches to, sets up as a [`Tab`] like the first one (guard, title
//! script, viewport, languages), and hands to the owner as a [`NewTab`]. A window opened without
//! an opener (Ctrl-click, middle click) is one a browser opens in the background.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::cdp::{Cdp, Event};
use crate::egress::ContextDoor;
use crate::files::{over_limit, safe_guid, Pending};
use crate::screencast::Outbox;
use crate::tab::{string_field, TabSettings};
use crate::tempdir::TempDir;
use crate::{BrowserError, Download, DownloadEvent, Tab, TabEvent, TabOptions};
use policy::rules::CompanyRule;

/// New tabs that may wait for the owner; more, and the newest are closed.
const NEW_TAB_QUEUE: usize = 16;

/// A tab a page opened, ready to use.
pub struct NewTab {
    pub tab: Tab,
    pub events: mpsc::Receiver<TabEvent>,
    /// Opened without an opener (a Ctrl-click or a middle click): a browser keeps it in the
    /// background; a `target=_blank` link or `window.open` comes to the front.
    pub background: bool,
}

impl std::fmt::Debug for NewTab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTab").field("background", &self.background).finish_non_exhaustive()
    }
}

/// What a new tab of the context starts with: the session's latest viewport, languages and
/// rules (a change to any tab changes them here too).
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    pub(crate) viewport: model::Viewport,
    pub(crate) locale: model::Locale,
    pub(crate) rules: Arc<[CompanyRule]>,
}

/// A handle to a session's browser context; clones share it. The context is disposed of (its
/// cookies, storage and cache go) by [`Context::close`], or when the last handle and the last
/// of its tabs are dropped.
#[derive(Clone)]
pub struct Context {
    pub(crate) shared: Arc<ContextShared>,
}

pub(crate) struct ContextShared {
    pub(crate) cdp: Cdp,
    pub(crate) context_id: String,
    pub(crate) settings: TabSettings,
    setup: Mutex<Setup>,
    /// Targets of this context that are beside's tabs (opened or adopted), so that the watcher
    /// tells a new window from a tab beside opened itself.
    known: Mutex<HashSet<String>>,
    /// Held while beside creates a target, so the watcher waits to learn its id.
    creating: tokio::sync::Mutex<()>,
    disposed: AtomicBool,
    /// The session's own directory (0700, Chromium's user's): uploads and downloads. It goes
    /// with the context.
    files: Mutex<Option<TempDir>>,
    files_path: PathBuf,
    /// The context's own door of the egress proxy, if its company restricts where it goes;
    /// it closes with the context.
    _door: Option<ContextDoor>,
    /// Downloads on their way, by Chromium's id, whichever tab started them: a tab opened for
    /// a file (a `target=_blank` link to it) closes as its download begins.
    downloads: Mutex<HashMap<String, Pending>>,
    /// The context's tabs' outboxes: a download's news goes to the first still open.
    outboxes: Mutex<Vec<Weak<Outbox>>>,
}

impl Drop for ContextShared {
    fn drop(&mut self) {
        if !self.disposed.swap(true, Ordering::SeqCst) {
            let (cdp, id) = (self.cdp.clone(), self.context_id.clone());
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { dispose(&cdp, &id).await });
            }
        }
    }
}

async fn dispose(cdp: &Cdp, context_id: &str) {
    cdp.unsubscribe(&[context_id]);
    let res =
        cdp.call("Target.disposeBrowserContext", json!({ "browserContextId": context_id }), None);
    match res.await {
        Ok(_) | Err(BrowserError::BrowserGone) => {}
        Err(error) => tracing::warn!(%error, "Could not dispose of a browser context."),
    }
}

impl ContextShared {
    pub(crate) fn setup(&self) -> Setup {
        self.setup.lock().expect("the setup lock is never held across a panic").clone()
    }

    pub(crate) fn update_setup(&self, change: impl FnOnce(&mut Setup)) {
        change(&mut self.setup.lock().expect("the setup lock is never held across a panic"));
    }

    pub(crate) fn forget(&self, target_id: &str) {
        self.known.lock().expect("the known lock is never held across a panic").remove(target_id);
    }

    /// Where this context's download news goes: the tab of `outbox`, while it is open.
    pub(crate) fn add_outbox(&self, outbox: &Arc<Outbox>) {
        let mut outboxes =
            self.outboxes.lock().expect("the outboxes lock is never held across a panic");
        outboxes.retain(|o| o.upgrade().is_some_and(|o| !o.is_finished()));
        outboxes.push(Arc::downgrade(outbox));
    }

    /// A download this context started (`Page.downloadWillBegin` or
    /// `Browser.downloadWillBegin`'s parameters); the second word of the same one changes
    /// nothing.
    pub(crate) fn claim_download(&self, params: &Value) {
        let Some(guid) = params.get("guid").and_then(Value::as_str) else { return };
        let name = params.get("suggestedFilename").and_then(Value::as_str);
        let name = crate::safe_file_name(name.unwrap_or_default());
        let mut downloads = self.lock_downloads();
        downloads.entry(guid.to_owned()).or_insert(Pending { name, too_large: false });
    }

    /// A download moved on: one over the limit is cancelled (and its file removed), a finished
    /// one is reported with its file, to an open tab of the context.
    fn on_download_progress(&self, params: &Value) {
        let Some(guid) = params.get("guid").and_then(Value::as_str) else { return };
        let bytes = |name: &str| params.get(name).and_then(Value::as_f64).unwrap_or(0.0) as u64;
        let (total, received) = (bytes("totalBytes"), bytes("receivedBytes"));
        let limit = self.settings.max_download_bytes;
        let path = self.downloads_dir().join(safe_guid(guid));
        let mut downloads = self.lock_downloads();
        let Some(pending) = downloads.get_mut(guid) else { return };
        let event = match params.get("state").and_then(Value::as_str) {
            Some("inProgress") if !pending.too_large && over_limit(total, received, limit) => {
                pending.too_large = true;
                let cdp = self.cdp.clone();
                let params = json!({ "guid": guid, "browserContextId": self.context_id });
                tokio::spawn(async move {
                    let _ = cdp.call("Browser.cancelDownload", params, None).await;
                });
                Some(DownloadEvent::TooLarge { name: pending.name.clone(), limit })
            }
            Some("completed") => {
                let Some(pending) = downloads.remove(guid) else { return };
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(received);
                if pending.too_large || over_limit(total, size, limit) {
                    let _ = std::fs::remove_file(&path);
                    (!pending.too_large)
                        .then_some(DownloadEvent::TooLarge { name: pending.name, limit })
                } else {
                    Some(DownloadEvent::Finished(Download { name: pending.name, size, path }))
                }
            }
            Some("canceled") => {
                let Some(pending) = downloads.remove(guid) else { return };
                let _ = std::fs::remove_file(&path);
                (!pending.too_large).then_some(DownloadEvent::Failed { name: pending.name })
            }
            _ => None,
        };
        drop(downloads);
        if let Some(event) = event {
            self.tell(TabEvent::Download(event));
        }
    }

    /// Gives `event` to the first open tab of the context (the session takes a download's
    /// news from any of its tabs).
    fn tell(&self, event: TabEvent) {
        let outboxes =
            self.outboxes.lock().expect("the outboxes lock is never held across a panic");
        let open = outboxes.iter().filter_map(Weak::upgrade).find(|o| !o.is_finished());
        match open {
            Some(outbox) => outbox.push_event(event),
            None => tracing::debug!("A download finished with no tab open to say so."),
        }
    }

    fn lock_downloads(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.downloads.lock().expect("the downloads lock is never held across a panic")
    }

    fn is_known(&self, target_id: &str) -> bool {
        self.known.lock().expect("the known lock is never held across a panic").contains(target_id)
    }

    fn adopt(&self, target_id: &str) {
        self.known
            .lock()
            .expect("the known lock is never held across a panic")
            .insert(target_id.to_owned());
    }

    pub(crate) fn is_disposed(&self) -> bool {
        self.disposed.load(Ordering::SeqCst)
    }

    /// Where files given to the page are written.
    pub(crate) fn uploads_dir(&self) -> PathBuf {
        self.files_path.join(UPLOADS)
    }

    /// Where Chromium puts what the page downloads.
    pub(crate) fn downloads_dir(&self) -> PathBuf {
        self.files_path.join(DOWNLOADS)
    }

    /// Removes the session's files.
    async fn remove_files(&self) {
        let files = self.files.lock().expect("the files lock is never held across a panic").take();
        if let Some(files) = files {
            files.remove().await;
        }
    }
}

/// The sub-directories of a context's own directory.
const UPLOADS: &str = "uploads";
const DOWNLOADS: &str = "downloads";

impl Context {
    /// Creates a fresh browser context (own proxy settings, downloads into its own directory)
    /// and starts its watcher; new windows arrive on the receiver.
    pub(crate) async fn create(
        cdp: Cdp,
        opts: &TabOptions,
        settings: &TabSettings,
        door: Option<ContextDoor>,
    ) -> Result<(Context, mpsc::Receiver<NewTab>), BrowserError> {
        let port = door.as_ref().map_or(settings.proxy_port, |d| d.port);
        let proxy = format!("http://127.0.0.1:{port}");
        let created = cdp
            .call(
                "Target.createBrowserContext",
                json!({ "disposeOnDetach": true, "proxyServer": proxy, "proxyBypassList": "<-loopback>" }),
                None,
            )
            .await?;
        let context_id = string_field(&created, "browserContextId", "Target.createBrowserContext")?;
        let files = match TempDir::create_with(settings.run_as, &[UPLOADS, DOWNLOADS]) {
            Ok(files) => files,
            Err(error) => {
                dispose(&cdp, &context_id).await;
                return Err(error);
            }
        };
        let files_path = files.path().to_owned();
        let shared = Arc::new(ContextShared {
            cdp: cdp.clone(),
            context_id: context_id.clone(),
            settings: settings.clone(),
            setup: Mutex::new(Setup {
                viewport: opts.viewport,
                locale: opts.locale.clone(),
                rules: opts.rules.clone(),
            }),
            known: Mutex::new(HashSet::new()),
            creating: tokio::sync::Mutex::new(()),
            disposed: AtomicBool::new(false),
            files: Mutex::new(Some(files)),
            files_path,
            _door: door,
            downloads: Mutex::new(HashMap::new()),
            outboxes: Mutex::new(Vec::new()),
        });
        // From here on, dropping `shared` on an error disposes of the context.
        cdp.call(
            "Browser.setDownloadBehavior",
            json!({
                "behavior": "allowAndName",
                "browserContextId": context_id,
                "downloadPath": shared.downloads_dir(),
                "eventsEnabled": true,
            }),
            None,
        )
        .await?;
        // Location, notifications, camera, microphone and the clipboard: refused (see
        // `permissions`).
        for params in crate::permissions::refusals(&context_id) {
            cdp.call("Browser.setPermission", params, None).await?;
        }
        let (events_tx, events) = mpsc::unbounded_channel();
        cdp.subscribe_downloads(&context_id, events_tx.clone());
        cdp.subscribe_target(&context_id, events_tx);
        let (new_tabs_tx, new_tabs) = mpsc::channel(NEW_TAB_QUEUE);
        tokio::spawn(watch(Arc::downgrade(&shared), events, new_tabs_tx));
        Ok((Context { shared }, new_tabs))
    }

    /// Opens a new tab of this context at `url` (an http or https address) and starts its
    /// screencast when `stream`.
    pub async fn open_tab(
        &self,
        url: &url::Url,
        stream: bool,
    ) -> Result<(Tab, mpsc::Receiver<TabEvent>), BrowserError> {
        crate::tab::check_url(url)?;
        let shared = &self.shared;
        if shared.is_disposed() {
            return Err(BrowserError::TabClosed);
        }
        let target_id = {
            let _creating = shared.creating.lock().await;
            let target = shared
                .cdp
                .call(
                    "Target.createTarget",
                    json!({ "url": "about:blank", "browserContextId": shared.context_id }),
                    None,
                )
                .await?;
            let target_id = string_field(&target, "targetId", "Target.createTarget")?;
            shared.adopt(&target_id);
            target_id
        };
        Tab::attach(shared.clone(), target_id, Some(url.as_str()), stream).await
    }

    /// Disposes of the context: its tabs close, its cookies, storage, cache and files go.
    pub async fn close(&self) {
        if !self.shared.disposed.swap(true, Ordering::SeqCst) {
            dispose(&self.shared.cdp, &self.shared.context_id).await;
        }
        self.shared.remove_files().await;
    }

    /// The context's own directory, where its uploads and downloads are; for tests.
    #[doc(hidden)]
    pub fn files_dir(&self) -> PathBuf {
        self.shared.files_path.clone()
    }
}

/// The context's watcher: new windows become tabs, until the context is gone.
async fn watch(
    context: std::sync::Weak<ContextShared>,
    mut events: mpsc::UnboundedReceiver<Event>,
    new_tabs: mpsc::Sender<NewTab>,
) {
    while let Some(event) = events.recv().await {
        let Some(context) = context.upgrade() else { return };
        if context.is_disposed() {
            return;
        }
        match event.method.as_str() {
            "Target.targetCreated" => {}
            // The browser's word on every context's downloads: this context's begin in a page
            // of its own (a frame's begins are claimed by its tab, `Page.downloadWillBegin`).
            "Browser.downloadWillBegin" => {
                let frame = event.params.get("frameId").and_then(Value::as_str);
                if frame.is_some_and(|frame| context.is_known(frame)) {
                    context.claim_download(&event.params);
                }
                continue;
            }
            "Browser.downloadProgress" => {
                context.on_download_progress(&event.params);
                continue;
            }
            _ => continue,
        }
        let info = &event.params["targetInfo"];
        if info.get("type").and_then(Value::as_str) != Some("page") {
            continue;
        }
        let Some(target_id) = info.get("targetId").and_then(Value::as_str) else { continue };
        // A tab beside is creating names itself once its creation answers.
        drop(context.creating.lock().await);
        if context.is_known(target_id) {
            continue;
        }
        context.adopt(target_id);
        let background = info.get("openerId").and_then(Value::as_str).is_none_or(str::is_empty);
        let url = info.get("url").and_then(Value::as_str).unwrap_or_default().to_owned();
        let target_id = target_id.to_owned();
        let new_tabs = new_tabs.clone();
        tokio::spawn(async move {
            let refused = (!(url.is_empty() || url == "about:blank"))
                .then(|| policy::navigation::check_url(&url).err())
                .flatten();
            if let Some(refusal) = refused {
                tracing::info!(
                    reason = refusal.code(),
                    "A page opened a window at an address that is not a website; it was closed."
                );
                metrics::counter!("beside_navigations_refused_total", "reason" => refusal.code())
                    .increment(1);
                close_target(&context, &target_id).await;
                return;
            }
            match Tab::attach(context.clone(), target_id.clone(), None, false).await {
                Ok((tab, events)) => {
                    if let Err(
                        mpsc::error::TrySendError::Full(new)
                        | mpsc::error::TrySendError::Closed(new),
                    ) = new_tabs.try_send(NewTab { tab, events, background })
                    {
                        tracing::debug!(
                            "Nobody takes a new window of this context; it was closed."
                        );
                        let _ = new.tab.close().await;
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "Could not take over a new window; it was closed.");
                    close_target(&context, &target_id).await;
                }
            }
        });
    }
}

async fn close_target(context: &ContextShared, target_id: &str) {
    context.forget(target_id);
    let _ = context.cdp.call("Target.closeTarget", json!({ "targetId": target_id }), None).await;
}
