//! Starting one Chromium process: executable search, the unprivileged user, its temporary
//! directories, its flags, and the debugging pipe on fds 3 and 4.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use command_fds::{CommandFdExt, FdMapping};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};

use crate::cdp::Cdp;
use crate::tempdir::TempDir;
use crate::{BrowserError, Config};

/// How long a fresh Chromium may take to answer its first command.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// What every launch of the same `Browser` shares.
#[derive(Debug, Clone)]
pub(crate) struct LaunchSpec {
    pub(crate) executable: PathBuf,
    /// uid and gid to run as, when beside runs as root.
    pub(crate) run_as: Option<(u32, u32)>,
    pub(crate) no_sandbox: bool,
    /// The egress proxy's door for Chromium's own requests (pages get theirs per context).
    pub(crate) system_proxy_port: u16,
    pub(crate) user_agent: String,
}

/// A running Chromium with its debugging connection and temporary directory.
pub(crate) struct Process {
    pub(crate) child: Child,
    pub(crate) pid: u32,
    pub(crate) cdp: Cdp,
    pub(crate) product: String,
    /// Removed once Chromium has exited.
    pub(crate) dir: TempDir,
}

/// The configured executable, or the first of [`Config::SEARCH_PATH`] that exists.
pub(crate) fn find_executable(config: &Config) -> Result<PathBuf, BrowserError> {
    if let Some(path) = &config.executable {
        return Ok(path.clone());
    }
    Config::SEARCH_PATH
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| BrowserError::NoExecutable { searched: Config::SEARCH_PATH.join(", ") })
}

/// The effective uid of this process, read from `/proc` (no `unsafe` needed).
pub(crate) fn effective_uid() -> Result<u32, BrowserError> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| BrowserError::Setup(format!("cannot read /proc/self/status: {e}")))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|euid| euid.parse().ok())
        .ok_or_else(|| BrowserError::Setup("/proc/self/status has no readable Uid line".into()))
}

/// The uid and gid of `user` from `/etc/passwd`.
pub(crate) fn lookup_user(user: &str) -> Result<(u32, u32), BrowserError> {
    let passwd = std::fs::read_to_string("/etc/passwd")
        .map_err(|e| BrowserError::Setup(format!("cannot read /etc/passwd: {e}")))?;
    parse_passwd(&passwd, user).ok_or_else(|| {
        BrowserError::Setup(format!(
            "user {user:?} (for running chromium without root) is not in /etc/passwd; \
             create it or set the browser user in the configuration"
        ))
    })
}

fn parse_passwd(passwd: &str, user: &str) -> Option<(u32, u32)> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

/// Asks the executable for its version ("156.0.8078.79").
pub(crate) async fn executable_version(spec_exe: &Path) -> Result<String, BrowserError> {
    let launch_error =
        |reason: String| BrowserError::Launch { executable: spec_exe.to_owned(), reason };
    let output = tokio::time::timeout(
        Duration::from_secs(10),
        Command::new(spec_exe).arg("--version").stdin(Stdio::null()).output(),
    )
    .await
    .map_err(|_| launch_error("`--version` did not answer within 10 s".into()))?
    .map_err(|e| launch_error(format!("cannot run it: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()) && word.contains('.'))
        .map(str::to_owned)
        .ok_or_else(|| launch_error(format!("`--version` printed no version: {text:?}")))
}

/// The browser's user agent without "HeadlessChrome", with a reduced version as Chrome sends it.
pub(crate) fn user_agent(version: &str) -> String {
    let major = version.split('.').next().unwrap_or(version);
    format!(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/{major}.0.0.0 Safari/537.36"
    )
}

fn flags(spec: &LaunchSpec, dir: &TempDir) -> Vec<String> {
    let mut flags: Vec<String> = [
        "--headless",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-startup-window",
        // Chromium's own calls home (autofill, translation, hints, media router, network time)
        // would send what customers browse to Google and waste the egress proxy's time. What
        // no switch turns off (component updates on demand, account checks) goes to the
        // egress proxy's door for Chromium's own requests, which refuses it.
        "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,AutofillServerCommunication,\
         OptimizationHints,OptimizationGuideModelDownloading,Translate,MediaRouter,\
         DialMediaRouteProvider,InterestFeedContentSuggestions,\
         CertificateTransparencyComponentUpdater,PrivacySandboxSettings4,\
         NetworkTimeServiceQuerying",
        // Scrolling and animations run on the main thread, so every frame's pixels, its
        // scroll metadata and the guard's report of where masked fields are agree. With the
        // compositor scrolling on its own, pixels could move ahead of both (a leak).
        "--disable-threaded-scrolling",
        "--disable-threaded-animation",
        "--disable-smooth-scrolling",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-breakpad",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-pings",
        "--remote-debugging-pipe",
        "--password-store=basic",
        "--mute-audio",
        "--proxy-bypass-list=<-loopback>",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    flags.push(format!("--user-data-dir={}", dir.path().join("profile").display()));
    // Every page's browser context has the egress proxy as its own; what is left on the
    // browser's proxy is Chromium's own traffic, which this door refuses whole.
    flags.push(format!("--proxy-server=http://127.0.0.1:{}", spec.system_proxy_port));
    flags.push(format!("--user-agent={}", spec.user_agent));
    if spec.no_sandbox {
        flags.push("--no-sandbox".into());
    }
    flags
}

/// Starts Chromium and waits until it answers on its debugging pipe.
pub(crate) async fn launch(spec: &LaunchSpec) -> Result<Process, BrowserError> {
    let launch_error =
        |reason: String| BrowserError::Launch { executable: spec.executable.clone(), reason };
    let dir = TempDir::create(spec.run_as)?;
    let home = dir.path().join("home");

    // Chromium reads commands on its fd 3 and writes on its fd 4.
    let (chromium_reads, we_write) =
        std::io::pipe().map_err(|e| launch_error(format!("cannot create a pipe: {e}")))?;
    let (we_read, chromium_writes) =
        std::io::pipe().map_err(|e| launch_error(format!("cannot create a pipe: {e}")))?;
    let to_chromium = pipe::Sender::from_owned_fd(OwnedFd::from(we_write))
        .map_err(|e| launch_error(format!("cannot use the pipe: {e}")))?;
    let from_chromium = pipe::Receiver::from_owned_fd(OwnedFd::from(we_read))
        .map_err(|e| launch_error(format!("cannot use the pipe: {e}")))?;

    let mut command = Command::new(&spec.executable);
    command
        .args(flags(spec, &dir))
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
    for var in ["LANG", "TZ", "FONTCONFIG_PATH"] {
        if let Some(value) = std::env::var_os(var) {
            command.env(var, value);
        }
    }
    if let Some((uid, gid)) = spec.run_as {
        // std clears supplementary groups when root sets a uid without explicit groups.
        command.uid(uid).gid(gid);
    }
    command
        .fd_mappings(vec![
            FdMapping { parent_fd: OwnedFd::from(chromium_reads), child_fd: 3 },
            FdMapping { parent_fd: OwnedFd::from(chromium_writes), child_fd: 4 },
        ])
        .map_err(|e| launch_error(format!("cannot map the debugging pipe: {e}")))?;
    let mut child = command.spawn().map_err(|e| launch_error(format!("cannot start it: {e}")))?;
    // The child's pipe ends live on in `command`; drop it so a dead Chromium means EOF for us.
    drop(command);
    let pid = child.id().ok_or_else(|| launch_error("it exited at once".into()))?;
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(target: "browser::chromium", pid, "{line}");
            }
        });
    }

    let cdp = Cdp::start(from_chromium, to_chromium);
    let version = tokio::select! {
        res = tokio::time::timeout(STARTUP_TIMEOUT, cdp.call("Browser.getVersion", json!({}), None)) => match res {
            Ok(Ok(version)) => version,
            Ok(Err(error)) => return Err(launch_error(format!("it did not answer on its debugging pipe: {error}"))),
            Err(_) => return Err(launch_error(format!("it did not answer within {STARTUP_TIMEOUT:?}"))),
        },
        status = child.wait() => {
            let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
            return Err(launch_error(format!(
                "it exited during start-up ({status}); run with RUST_LOG=browser::chromium=debug to see its output"
            )));
        }
    };
    let product = version.get("product").and_then(Value::as_str).unwrap_or("Chromium").to_owned();
    cdp.call("Target.setDiscoverTargets", json!({ "discover": true }), None)
        .await
        .map_err(|e| launch_error(format!("it refused target discovery: {e}")))?;
    Ok(Process { child, pid, cdp, product, dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_give_uid_and_gid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        assert_eq!(parse_passwd(passwd, "nobody"), Some((65534, 65534)));
        assert_eq!(parse_passwd(passwd, "nobod"), None);
    }

    #[test]
    fn user_agent_does_not_say_headless() {
        let ua = user_agent("156.0.8078.79");
        assert!(ua.contains("Chrome/156.0.0.0"), "{ua}");
        assert!(!ua.contains("Headless"), "{ua}");
    }
}
