//! The reference measurement: a bare CDP client talking to its own Chromium directly, with
//! the flags beside uses, so beside's overhead shows as a difference. It is not product
//! code and shares none: beside's own CDP client lives in `crates/browser`.
//!
//! Chromium runs with its sandbox on; when the bench runs as root, it runs as `nobody`
//! with a temporary home and profile that `nobody` owns. CDP goes over
//! `--remote-debugging-port=0` (the port Chromium picked is read from `DevToolsActivePort`),
//! which needs no fd passing; the port is on 127.0.0.1 and lives only as long as the bench.

use crate::client::key_and_code;
use crate::feed::{Arrival, Feed};
use anyhow::{bail, Context};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// The flags beside gives its Chromium (`crates/browser/src/process.rs`), less its debugging
/// pipe and egress proxy: the bench's pages are on loopback and need no proxy.
const FLAGS: &[&str] = &[
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-startup-window",
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,AutofillServerCommunication,\
     OptimizationHints,OptimizationGuideModelDownloading,Translate,MediaRouter,\
     DialMediaRouteProvider,InterestFeedContentSuggestions,\
     CertificateTransparencyComponentUpdater,PrivacySandboxSettings4,\
     NetworkTimeServiceQuerying",
    "--disable-threaded-scrolling",
    "--disable-threaded-animation",
    "--disable-smooth-scrolling",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-pings",
    "--password-store=basic",
    "--mute-audio",
    "--remote-debugging-port=0",
];

/// A Chromium of the bench's own, stopped (and its directory removed) on `stop` or drop.
pub(crate) struct BareChromium {
    child: Child,
    pub(crate) pid: u32,
    dir: PathBuf,
    pub(crate) cdp: Cdp,
}

/// The uid and gid to run Chromium as: `nobody` when we are root, else ourselves.
fn run_as() -> anyhow::Result<Option<(u32, u32)>> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("cannot read /proc/self/status")?;
    let euid: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|id| id.parse().ok())
        .context("/proc/self/status has no Uid line")?;
    if euid != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").context("cannot read /etc/passwd")?;
    let ids = passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.first() == Some(&"nobody"))
            .then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))?
    });
    ids.map(Some)
        .context("running as root needs the user `nobody` (Chromium refuses root with its sandbox)")
}

impl BareChromium {
    pub(crate) async fn launch(executable: &Path) -> anyhow::Result<BareChromium> {
        use std::os::unix::fs::DirBuilderExt;
        let run_as = run_as()?;
        let dir =
            std::env::temp_dir().join(format!("beside-bench-chromium-{}", model::random_token()));
        for d in [dir.clone(), dir.join("profile"), dir.join("home")] {
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&d)
                .with_context(|| format!("cannot create {}", d.display()))?;
            if let Some((uid, gid)) = run_as {
                std::os::unix::fs::chown(&d, Some(uid), Some(gid))
                    .with_context(|| format!("cannot give {} to uid {uid}", d.display()))?;
            }
        }
        let home = dir.join("home");
        let mut command = Command::new(executable);
        command
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .current_dir(&home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some((uid, gid)) = run_as {
            command.uid(uid).gid(gid);
        }
        let mut child =
            command.spawn().with_context(|| format!("cannot start {}", executable.display()))?;
        let stderr_tail = Arc::new(Mutex::new(String::new()));
        if let Some(mut stderr) = child.stderr.take() {
            let tail = stderr_tail.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let mut t = tail.lock().expect("the stderr tail lock is never poisoned");
                    t.push_str(&String::from_utf8_lossy(&buf[..n]));
                    let excess = t.len().saturating_sub(4000);
                    if excess > 0 {
                        let cut = (excess..t.len()).find(|i| t.is_char_boundary(*i)).unwrap_or(0);
                        t.drain(..cut);
                    }
                }
            });
        }
        let pid = child.id().context("chromium exited at once")?;
        let mut chromium = BareChromium { child, pid, dir, cdp: Cdp::dead() };
        let port_file = chromium.dir.join("profile/DevToolsActivePort");
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let (port, path) = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    if let Ok(port) = port.trim().parse::<u16>() {
                        break (port, path.trim().to_owned());
                    }
                }
            }
            if let Ok(Some(status)) = chromium.child.try_wait() {
                let tail =
                    stderr_tail.lock().expect("the stderr tail lock is never poisoned").clone();
                bail!("chromium exited during start-up ({status}); its output:\n{tail}");
            }
            if Instant::now() > deadline {
                bail!("chromium did not open its debugging port within {STARTUP_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        chromium.cdp = Cdp::connect(&format!("ws://127.0.0.1:{port}{path}")).await?;
        // The first answer shows the connection works.
        chromium.cdp.call("Browser.getVersion", json!({}), None).await?;
        Ok(chromium)
    }

    /// Opens `url` in a fresh browser context at 1280×720 and starts its screencast (JPEG
    /// q60, every frame, each acknowledged as soon as it arrives).
    pub(crate) async fn open(&self, url: &str) -> anyhow::Result<CdpPage> {
        let cdp = &self.cdp;
        let context = cdp
            .call("Target.createBrowserContext", json!({ "disposeOnDetach": true }), None)
            .await?;
        let context_id = context["browserContextId"].as_str().context("no browserContextId")?;
        let target = cdp
            .call(
                "Target.createTarget",
                json!({ "url": "about:blank", "browserContextId": context_id }),
                None,
            )
            .await?;
        let target_id = target["targetId"].as_str().context("no targetId")?;
        let attached = cdp
            .call("Target.attachToTarget", json!({ "targetId": target_id, "flatten": true }), None)
            .await?;
        let session = attached["sessionId"].as_str().context("no sessionId")?.to_owned();
        let feed = Feed::new("limit");
        cdp.screencasts
            .lock()
            .expect("the screencast table lock is never poisoned")
            .insert(session.clone(), feed.clone());
        let page = CdpPage { cdp: cdp.clone(), session, feed };
        page.call("Page.enable", json!({})).await?;
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await?;
        page.call(
            "Page.startScreencast",
            json!({ "format": "jpeg", "quality": 60, "maxWidth": 1280, "maxHeight": 720, "everyNthFrame": 1 }),
        )
        .await?;
        page.navigate(url).await?;
        Ok(page)
    }

    /// Closes Chromium (politely, then not) and removes its directory.
    pub(crate) async fn stop(mut self) {
        let _ = tokio::time::timeout(
            Duration::from_secs(3),
            self.cdp.call("Browser.close", json!({}), None),
        )
        .await;
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
        // Helper processes outlive the browser process by a moment.
        for _ in 0..40 {
            match std::fs::remove_dir_all(&self.dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                _ => break,
            }
        }
    }
}

impl Drop for BareChromium {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// A CDP connection: numbered calls, and screencast frames acknowledged at once.
#[derive(Clone)]
pub(crate) struct Cdp {
    out: mpsc::UnboundedSender<String>,
    next_id: Arc<AtomicU64>,
    pending: Pending,
    /// The feed of each attached session that runs a screencast.
    screencasts: Arc<Mutex<HashMap<String, Arc<Feed>>>>,
}

impl Cdp {
    /// A connection that answers nothing (before the real one is open).
    fn dead() -> Cdp {
        let (out, _) = mpsc::unbounded_channel();
        Cdp {
            out,
            next_id: Arc::new(AtomicU64::new(1)),
            pending: Pending::default(),
            screencasts: Arc::default(),
        }
    }

    async fn connect(url: &str) -> anyhow::Result<Cdp> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .with_context(|| format!("cannot open chromium's debugging socket {url}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        let cdp = Cdp { out, ..Cdp::dead() };
        tokio::spawn(async move {
            while let Some(text) = out_rx.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        });
        let reader = cdp.clone();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let at = Instant::now();
                if let Message::Text(text) = msg {
                    reader.receive(at, text.as_str());
                }
            }
            for feed in reader.screencasts.lock().expect("never poisoned").values() {
                feed.set_closed();
            }
            reader.pending.lock().expect("never poisoned").clear();
        });
        Ok(cdp)
    }

    fn receive(&self, at: Instant, text: &str) {
        let Ok(msg) = serde_json::from_str::<Value>(text) else { return };
        if let Some(id) = msg["id"].as_u64() {
            if let Some(tx) = self.pending.lock().expect("never poisoned").remove(&id) {
                let _ = tx.send(msg);
            }
            return;
        }
        if msg["method"] != "Page.screencastFrame" {
            return;
        }
        let Some(session) = msg["sessionId"].as_str() else { return };
        let params = &msg["params"];
        if let Some(n) = params["sessionId"].as_i64() {
            self.send_nowait("Page.screencastFrameAck", json!({ "sessionId": n }), Some(session));
        }
        let feed = self.screencasts.lock().expect("never poisoned").get(session).cloned();
        let (Some(feed), Some(data)) = (feed, params["data"].as_str()) else { return };
        let Ok(jpeg) = base64::engine::general_purpose::STANDARD.decode(data) else { return };
        let meta = &params["metadata"];
        let css = (
            meta["deviceWidth"].as_f64().unwrap_or(0.0).round() as u32,
            meta["deviceHeight"].as_f64().unwrap_or(0.0).round() as u32,
        );
        let painted_unix_ms = meta["timestamp"].as_f64().unwrap_or(0.0) * 1000.0;
        feed.push_frame(
            Arrival { at, jpeg: jpeg.into(), image: None, css, painted_unix_ms },
            text.len(),
        );
    }

    fn message(&self, method: &str, params: Value, session: Option<&str>) -> (u64, String) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        (id, msg.to_string())
    }

    /// Sends a command without waiting for its answer (which is dropped).
    pub(crate) fn send_nowait(&self, method: &str, params: Value, session: Option<&str>) {
        let (_, text) = self.message(method, params, session);
        let _ = self.out.send(text);
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        params: Value,
        session: Option<&str>,
    ) -> anyhow::Result<Value> {
        let (id, text) = self.message(method, params, session);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("never poisoned").insert(id, tx);
        self.out.send(text).ok().context("the debugging connection is closed")?;
        let answer = tokio::time::timeout(CALL_TIMEOUT, rx)
            .await
            .with_context(|| format!("{method} got no answer within {CALL_TIMEOUT:?}"))?
            .with_context(|| format!("the debugging connection closed during {method}"))?;
        if let Some(error) = answer.get("error") {
            bail!("{method} failed: {error}");
        }
        Ok(answer["result"].clone())
    }
}

/// One page of the bare Chromium, with its screencast feed.
pub(crate) struct CdpPage {
    cdp: Cdp,
    session: String,
    pub(crate) feed: Arc<Feed>,
}

impl CdpPage {
    async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.cdp.call(method, params, Some(&self.session)).await
    }

    fn send(&self, method: &str, params: Value) {
        self.cdp.send_nowait(method, params, Some(&self.session));
    }

    /// Navigates and waits until the document has loaded.
    pub(crate) async fn navigate(&self, url: &str) -> anyhow::Result<()> {
        self.call("Page.navigate", json!({ "url": url })).await?;
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let res = self
                .call(
                    "Runtime.evaluate",
                    json!({ "expression": "document.readyState", "returnByValue": true }),
                )
                .await?;
            if res["result"]["value"] == "complete" {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{url} did not load in the bare chromium within {STARTUP_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The command beside sends for a pointer message with the left button
    /// (`crates/browser/src/input.rs`): `kind` is `mouseMoved`, `mousePressed` or
    /// `mouseReleased`. Sent without waiting for its answer.
    pub(crate) fn pointer(&self, kind: &str, x: f64, y: f64) {
        let (button, buttons) = match kind {
            "mousePressed" => ("left", 1),
            "mouseReleased" => ("left", 0),
            _ => ("none", 0),
        };
        self.send(
            "Input.dispatchMouseEvent",
            json!({ "type": kind, "x": x, "y": y, "button": button, "buttons": buttons,
                    "clickCount": 1, "modifiers": 0 }),
        );
    }

    /// The command beside sends for a key of `ch` going down (typing it) or up.
    pub(crate) fn key_event(&self, down: bool, ch: char) {
        let (key, code) = key_and_code(ch);
        let vk = u32::from(ch.to_ascii_uppercase());
        let mut params = json!({ "type": if down { "keyDown" } else { "keyUp" }, "key": key,
            "code": code, "modifiers": 0, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk });
        if down {
            params["text"] = json!(key);
            params["unmodifiedText"] = json!(key);
        }
        self.send("Input.dispatchKeyEvent", params);
    }
}
