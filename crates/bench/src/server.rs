//! The beside under test: a release binary started as `beside serve` on a free port with a
//! fresh data directory, a company and an agent created with its CLI first. It is stopped
//! (SIGTERM, then SIGKILL) when dropped, so an error or Ctrl-C in the bench stops it too.

use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The company and agent the bench creates.
pub(crate) const COMPANY: &str = "bench";
pub(crate) const AGENT_EMAIL: &str = "agent@bench.example";

/// The server's database pool (the default, said out loud for the soak's count of what is
/// left open).
pub(crate) const DB_POOL_SIZE: u32 = 8;

pub(crate) struct Options<'a> {
    pub(crate) binary: &'a Path,
    pub(crate) chromium: Option<&'a Path>,
    /// `host:port` of the bench's page server, which the cloud browser must reach.
    pub(crate) pages: SocketAddr,
    pub(crate) start_url: &'a str,
    pub(crate) max_sessions: usize,
    /// Where the server's stderr goes.
    pub(crate) log: &'a Path,
    /// The server's temporary directory (`TMPDIR`), when it should have one of its own.
    pub(crate) tmp_dir: Option<&'a Path>,
    /// `host:port` of the bench's webhook receiver, which beside must be allowed to reach.
    pub(crate) webhook_receiver: Option<SocketAddr>,
}

pub(crate) struct BesideServer {
    child: Child,
    pub(crate) pid: u32,
    pub(crate) addr: SocketAddr,
    pub(crate) agent_password: String,
    data_dir: PathBuf,
}

/// `beside` with the bench's environment: every inherited `BESIDE_*` variable removed (the
/// server refuses unknown ones, and the caller's settings must not change the figures),
/// then the bench's own.
fn command(opts: &Options<'_>, data_dir: &Path) -> Command {
    let mut cmd = Command::new(opts.binary);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("BESIDE_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("BESIDE_LISTEN", "127.0.0.1:0")
        .env("BESIDE_DATA_DIR", data_dir)
        .env("BESIDE_BROWSER_ALLOW_PRIVATE", opts.pages.to_string())
        .env("BESIDE_SESSION_MAX_SESSIONS", opts.max_sessions.to_string())
        .env("BESIDE_DATABASE_POOL_SIZE", DB_POOL_SIZE.to_string())
        .env("BESIDE_LOG_LEVEL", "warn")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(chromium) = opts.chromium {
        cmd.env("BESIDE_CHROMIUM", chromium);
    }
    if let Some(tmp) = opts.tmp_dir {
        cmd.env("TMPDIR", tmp);
    }
    if let Some(receiver) = opts.webhook_receiver {
        cmd.env("BESIDE_WEBHOOKS_ALLOW_PRIVATE", receiver.to_string());
    }
    cmd
}

async fn run_cli(
    opts: &Options<'_>,
    data_dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> anyhow::Result<()> {
    let mut cmd = command(opts, data_dir);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().with_context(|| format!("cannot run {}", opts.binary.display()))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).await.context("cannot write the password")?;
    }
    let out = child.wait_with_output().await.context("the beside CLI did not finish")?;
    if !out.status.success() {
        bail!(
            "`beside {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

impl BesideServer {
    pub(crate) async fn start(opts: &Options<'_>) -> anyhow::Result<BesideServer> {
        let data_dir =
            std::env::temp_dir().join(format!("beside-bench-data-{}", model::random_token()));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        let password = model::random_token();
        let prepared = async {
            run_cli(
                opts,
                &data_dir,
                &["company", "create", COMPANY, "--name", "Bench", "--start-url", opts.start_url],
                None,
            )
            .await?;
            run_cli(
                opts,
                &data_dir,
                &[
                    "agent",
                    "create",
                    "--company",
                    COMPANY,
                    "--email",
                    AGENT_EMAIL,
                    "--name",
                    "Bench agent",
                    "--password-stdin",
                    // Rule picking and webhooks are the company administrator's.
                    "--role",
                    "admin",
                ],
                Some(&password),
            )
            .await
        }
        .await;
        if let Err(e) = prepared {
            let _ = std::fs::remove_dir_all(&data_dir);
            return Err(e);
        }
        let log = std::fs::File::create(opts.log)
            .with_context(|| format!("cannot create the server log {}", opts.log.display()))?;
        let mut cmd = command(opts, &data_dir);
        cmd.arg("serve").stdout(Stdio::piped()).stderr(log);
        let mut child =
            cmd.spawn().with_context(|| format!("cannot start {} serve", opts.binary.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("the server's stdout is not piped")?;
        let mut server = BesideServer {
            child,
            pid,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            agent_password: password,
            data_dir,
        };
        let mut lines = BufReader::new(stdout).lines();
        let found = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(addr) = parse_listening(&line) {
                    return Some(addr);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(addr)) => server.addr = addr,
            Ok(None) => bail!("the server exited before it listened; see {}", opts.log.display()),
            Err(_) => bail!(
                "the server did not print its address within 60 s; see {}",
                opts.log.display()
            ),
        }
        // Keep reading its stdout so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(server)
    }

    /// How the server ended, if it has.
    pub(crate) fn exit_status(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }

    /// Stops the server: SIGTERM (it ends its sessions and its Chromium), SIGKILL after 15 s.
    pub(crate) async fn stop(mut self) {
        terminate(self.pid);
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

impl Drop for BesideServer {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            terminate(self.pid);
            for _ in 0..100 {
                std::thread::sleep(Duration::from_millis(100));
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
            }
            let _ = self.child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Sends SIGTERM with `kill(1)` (this crate has no unsafe code to call kill(2) itself).
fn terminate(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The address in the server's "Listening on http://127.0.0.1:PORT" line.
pub(crate) fn parse_listening(line: &str) -> Option<SocketAddr> {
    line.trim().strip_prefix("Listening on http://")?.trim_end_matches('/').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listen_address_is_read_from_its_line() {
        assert_eq!(
            parse_listening("Listening on http://127.0.0.1:43127"),
            Some(SocketAddr::from(([127, 0, 0, 1], 43127)))
        );
        assert_eq!(parse_listening("  customer page: http://127.0.0.1:1/c/demo"), None);
        assert_eq!(parse_listening("Listening on http://nowhere"), None);
    }
}
