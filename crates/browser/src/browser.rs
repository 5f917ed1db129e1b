//! The cloud browser as a whole: the egress proxy, one Chromium process, and the supervisor task
//! that restarts Chromium when it dies.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::cdp::Cdp;
use crate::context::{Context, NewTab};
use crate::egress::Egress;
use crate::process::{self, LaunchSpec, Process};
use crate::tab::{string_field, TabSettings};
use crate::{BrowserError, Config, Tab, TabEvent, TabOptions};

/// How long `new_tab` waits for a restarting Chromium.
const RESTART_WAIT: Duration = Duration::from_secs(15);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A Chromium that ran this long resets the restart backoff.
const STABLE_AFTER: Duration = Duration::from_secs(60);

/// A cheap-clone handle to the cloud browser; it survives Chromium restarts.
#[derive(Clone)]
pub struct Browser {
    shared: Arc<Shared>,
}

struct Shared {
    settings: TabSettings,
    /// The running Chromium, `None` while (re)starting or after shutdown.
    current: watch::Receiver<Option<Running>>,
    product: Mutex<String>,
    egress: Egress,
    /// Dropping or sending tells the supervisor to stop.
    stop: watch::Sender<bool>,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Clone)]
struct Running {
    cdp: Cdp,
    pid: u32,
}

impl Browser {
    /// Starts the egress proxy and Chromium, and a supervisor that restarts Chromium.
    pub async fn launch(config: Config) -> Result<Browser, BrowserError> {
        let executable = process::find_executable(&config)?;
        let uid = process::effective_uid()?;
        let run_as =
            if uid == 0 { Some(process::lookup_user(config.user_or_default())?) } else { None };
        // What a beside that was killed left behind: its Chromium's profile and home.
        let owners: Vec<u32> = std::iter::once(uid).chain(run_as.map(|(u, _)| u)).collect();
        let removed = tokio::task::spawn_blocking(move || {
            crate::tempdir::remove_stale(&std::env::temp_dir(), &owners)
        })
        .await
        .unwrap_or_default();
        for dir in &removed {
            tracing::info!(dir = %dir.display(), "Removed a temporary directory an earlier beside left behind.");
        }
        if config.no_sandbox {
            tracing::warn!(
                "Chromium runs WITHOUT its sandbox (browser.no_sandbox is set): a compromised \
                 page can take over the Chromium process. Use this only where the sandbox cannot work."
            );
        }
        let exceptions = policy::egress::Exceptions::parse(&config.allow_private)
            .map_err(|e| BrowserError::Setup(e.to_string()))?;
        let version = process::executable_version(&executable).await?;
        let egress = Egress::start(exceptions).await?;
        let spec = LaunchSpec {
            executable,
            run_as,
            no_sandbox: config.no_sandbox,
            system_proxy_port: egress.system_addr.port(),
            user_agent: process::user_agent(&version),
        };
        let first = match process::launch(&spec).await {
            Ok(first) => first,
            Err(error) => {
                egress.stop();
                return Err(error);
            }
        };
        tracing::info!(pid = first.pid, product = %first.product, run_as = ?spec.run_as.map(|(uid, _)| uid), "Chromium started.");
        let (current_tx, current) =
            watch::channel(Some(Running { cdp: first.cdp.clone(), pid: first.pid }));
        let (stop, stop_rx) = watch::channel(false);
        let settings = TabSettings {
            quality: config.quality(),
            proxy_port: egress.addr.port(),
            user_agent: spec.user_agent.clone(),
            run_as: spec.run_as,
            max_download_bytes: config.max_download_bytes,
        };
        // Debian's Chromium calls itself "Chrome/<version>" over CDP.
        let product = match first.product.split_once('/') {
            Some((_, version)) => format!("Chromium/{version}"),
            None => first.product.clone(),
        };
        let supervisor = tokio::spawn(supervise(spec, first, current_tx, stop_rx));
        Ok(Browser {
            shared: Arc::new(Shared {
                settings,
                current,
                product: Mutex::new(product),
                egress,
                stop,
                supervisor: Mutex::new(Some(supervisor)),
            }),
        })
    }

    /// Opens a page in a fresh browser context; its events arrive on the receiver. Windows it
    /// opens are closed (a session that keeps them uses [`Browser::new_context`]).
    pub async fn new_tab(
        &self,
        opts: TabOptions,
    ) -> Result<(Tab, mpsc::Receiver<TabEvent>), BrowserError> {
        let (context, _new_tabs) = self.new_context(&opts).await?;
        context.open_tab(&opts.url, true).await
    }

    /// A fresh browser context whose tabs start with `opts`' viewport, languages and rules
    /// (`opts.url` is not opened: [`Context::open_tab`] does that). Windows its pages open
    /// arrive on the receiver as new tabs.
    pub async fn new_context(
        &self,
        opts: &TabOptions,
    ) -> Result<(Context, mpsc::Receiver<NewTab>), BrowserError> {
        let running = self.running().await?;
        let opts = TabOptions { viewport: opts.viewport.clamped(), ..opts.clone() };
        // A company that restricts where its sessions go gets a door of the proxy that holds
        // to its lists; the others share the node's.
        let door = if opts.domains.is_open() {
            None
        } else {
            Some(self.shared.egress.open_door(opts.domains.clone()).await?)
        };
        Context::create(running.cdp, &opts, &self.shared.settings, door).await
    }

    async fn running(&self) -> Result<Running, BrowserError> {
        let mut current = self.shared.current.clone();
        let wait = async {
            let running = current
                .wait_for(|running| running.as_ref().is_some_and(|r| !r.cdp.is_closed()))
                .await
                .ok()?;
            running.clone()
        };
        tokio::time::timeout(RESTART_WAIT, wait)
            .await
            .ok()
            .flatten()
            .ok_or(BrowserError::BrowserGone)
    }

    /// Chromium's own verdict on CSS selectors (company rules): for each, `None` when Chromium
    /// accepts it, or Chromium's reason. The guard applies rules with `querySelectorAll`, which
    /// skips a selector it cannot parse; asking the same parser when a rule is made turns that
    /// silent gap into an error the rule's author sees. Runs in a blank page of a throwaway
    /// browser context.
    pub async fn check_selectors(
        &self,
        selectors: &[&str],
    ) -> Result<Vec<Option<String>>, BrowserError> {
        let cdp = self.running().await?.cdp;
        let context = cdp
            .call(
                "Target.createBrowserContext",
                json!({
                    "disposeOnDetach": true,
                    "proxyServer": format!("http://127.0.0.1:{}", self.shared.settings.proxy_port),
                }),
                None,
            )
            .await?;
        let context_id = string_field(&context, "browserContextId", "Target.createBrowserContext")?;
        let verdicts = async {
            let target = cdp
                .call(
                    "Target.createTarget",
                    json!({ "url": "about:blank", "browserContextId": context_id }),
                    None,
                )
                .await?;
            let target_id = string_field(&target, "targetId", "Target.createTarget")?;
            let attached = cdp
                .call(
                    "Target.attachToTarget",
                    json!({ "targetId": target_id, "flatten": true }),
                    None,
                )
                .await?;
            let session = string_field(&attached, "sessionId", "Target.attachToTarget")?;
            let list = serde_json::to_string(selectors)
                .expect("a list of strings always serialises to JSON");
            let answer = cdp
                .call(
                    "Runtime.evaluate",
                    json!({
                        "expression": format!("({SELECTOR_CHECK})({list})"),
                        "returnByValue": true,
                    }),
                    Some(&session),
                )
                .await?;
            parse_verdicts(&answer, selectors.len())
        }
        .await;
        let disposed = cdp
            .call("Target.disposeBrowserContext", json!({ "browserContextId": context_id }), None)
            .await;
        if let Err(error) = disposed {
            tracing::debug!(%error, "Could not dispose of the selector check's browser context.");
        }
        verdicts
    }

    /// Whether a connection from `peer` was opened by the cloud browser (through its egress
    /// proxy), whatever name or address its page used to reach this host.
    pub fn is_own_connection(&self, peer: std::net::SocketAddr) -> bool {
        self.shared.egress.opened(peer)
    }

    /// The `host:port`s the egress proxy was asked for lately: through the pages' door, and
    /// through the door for Chromium's own requests (refused); for tests and diagnostics.
    #[doc(hidden)]
    pub fn egress_requests(&self) -> (Vec<String>, Vec<String>) {
        self.shared.egress.requested()
    }

    /// Chromium's version, e.g. "Chromium/156.0.8078.79".
    pub fn version(&self) -> String {
        self.shared.product.lock().expect("the product lock is never held across a panic").clone()
    }

    /// Whether Chromium is up and answering (for readiness checks).
    pub fn is_healthy(&self) -> bool {
        self.shared.current.borrow().as_ref().is_some_and(|r| !r.cdp.is_closed())
    }

    /// The process id of the running Chromium, for tests that kill it.
    #[doc(hidden)]
    pub fn pid(&self) -> Option<u32> {
        self.shared.current.borrow().as_ref().map(|r| r.pid)
    }

    /// Stops Chromium and the egress proxy and removes Chromium's temporary files.
    pub async fn shutdown(&self) {
        self.shared.stop.send_replace(true);
        let supervisor = self
            .shared
            .supervisor
            .lock()
            .expect("the supervisor lock is never held across a panic")
            .take();
        if let Some(supervisor) = supervisor {
            let _ = supervisor.await;
        }
        self.shared.egress.stop();
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        self.egress.stop();
    }
}

/// Watches Chromium; when it dies, fails its tabs, and starts a new one with backoff.
async fn supervise(
    spec: LaunchSpec,
    mut process: Process,
    current: watch::Sender<Option<Running>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut n_failures: u32 = 0;
    loop {
        let started = Instant::now();
        let stopping = tokio::select! {
            status = process.child.wait() => {
                let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                tracing::warn!(pid = process.pid, %status, "Chromium exited; restarting it.");
                false
            }
            () = process.cdp.closed() => {
                tracing::warn!(pid = process.pid, "Chromium closed its debugging pipe; restarting it.");
                false
            }
            _ = stop.wait_for(|stop| *stop) => true,
        };
        current.send_replace(None);
        if stopping {
            // Let Chromium close cleanly first; it is killed below if it takes too long.
            let close = process.cdp.call("Browser.close", serde_json::json!({}), None);
            let _ = tokio::time::timeout(Duration::from_secs(2), close).await;
            let _ = tokio::time::timeout(Duration::from_secs(2), process.child.wait()).await;
        }
        process.cdp.close();
        let _ = process.child.start_kill();
        let _ = process.child.wait().await;
        process.dir.remove().await;
        if stopping {
            tracing::info!("Chromium stopped.");
            return;
        }
        metrics::counter!("beside_browser_restarts_total").increment(1);
        if started.elapsed() > STABLE_AFTER {
            n_failures = 0;
        }
        process = loop {
            let backoff = if n_failures == 0 {
                Duration::ZERO
            } else {
                (Duration::from_millis(250) * 2u32.saturating_pow(n_failures - 1)).min(MAX_BACKOFF)
            };
            n_failures = n_failures.saturating_add(1);
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
            match process::launch(&spec).await {
                Ok(process) => break process,
                Err(error) => tracing::error!(%error, "Chromium could not be restarted."),
            }
        };
        tracing::info!(pid = process.pid, "Chromium restarted.");
        current.send_replace(Some(Running { cdp: process.cdp.clone(), pid: process.pid }));
    }
}

/// Parses each selector the way `querySelectorAll` does (the guard's way of applying a rule):
/// `null` when it parses, or the browser's reason.
const SELECTOR_CHECK: &str = r#"(selectors) => {
  const probe = document.createDocumentFragment();
  return selectors.map((s) => {
    try {
      probe.querySelectorAll(s);
      return null;
    } catch (e) {
      return String((e && e.message) || e);
    }
  });
}"#;

/// The selector check's answer: one `null` or reason per selector.
fn parse_verdicts(answer: &Value, n: usize) -> Result<Vec<Option<String>>, BrowserError> {
    if let Some(details) = answer.get("exceptionDetails") {
        return Err(BrowserError::Script(details.to_string()));
    }
    let verdicts: Option<Vec<Option<String>>> = answer
        .pointer("/result/value")
        .and_then(Value::as_array)
        .filter(|list| list.len() == n)
        .map(|list| list.iter().map(|v| v.as_str().map(str::to_owned)).collect());
    verdicts.ok_or_else(|| BrowserError::Protocol {
        method: "Runtime.evaluate".to_owned(),
        detail: "the answer has no verdict for every selector".to_owned(),
    })
}
