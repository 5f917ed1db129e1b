//! `beside-bench`: measures beside as people feel it, as a black-box client speaking its
//! HTTP API and WebSocket protocol, next to a bare CDP client as the limit.
//!
//! Architecture Invariant: nothing of ours but `protocol` and `model`. The bare CDP client
//! in `cdp` is a reference measurement, not product code.
//!
//! It starts its own test-page server and (unless only the limit is asked for) a
//! `beside serve` with a fresh data directory, prints a table and writes a JSON report.
//! Both servers and both Chromiums are stopped on exit, on failure and on Ctrl-C.
//! Nothing here asserts a timing; `cargo test -p bench` tests the pure parts.

/// Prints a progress line with the seconds since the bench started.
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("bench [{:6.1} s] {}", crate::started().elapsed().as_secs_f64(), format!($($arg)*))
    };
}

mod cdp;
mod client;
mod everyday;
mod feed;
mod guidance;
mod latency;
mod masks;
mod pages;
mod phases;
mod pixels;
mod procfs;
mod report;
mod rules;
mod server;
mod soak;
mod stats;
mod webhooks;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use phases::{Ctx, Fleet, Plan, SessionPhases};
use report::{Figures, Meta};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Measures beside with real Chromium: input → photon both ways and against a bare CDP
/// client, frames per second (also with a stalled viewer), bandwidth, join times and
/// capacity. Prints a table and writes a JSON report. See docs/benchmarks.md.
#[derive(Debug, Parser)]
#[command(name = "beside-bench", version)]
struct Args {
    /// Fewer events, shorter windows, and a capacity ramp capped at 20 sessions
    /// (under 5 minutes on 2 cores).
    #[arg(long)]
    quick: bool,
    /// The beside binary to start (default: `beside` next to this program).
    #[arg(long, value_name = "PATH")]
    beside: Option<PathBuf>,
    /// The Chromium both beside and the limit run.
    #[arg(
        long,
        value_name = "PATH",
        env = "BESIDE_CHROMIUM",
        default_value = "/usr/lib/chromium/chromium"
    )]
    chromium: PathBuf,
    /// Where the JSON report goes (default: $CARGO_TARGET_DIR or target, then bench/report.json).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Input events per latency series, clicks and keys in turn (default 120; 40 with --quick).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=5000))]
    events: Option<u32>,
    /// The most sessions the capacity ramp opens (default 150; 20 with --quick).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_sessions: Option<u32>,
    /// Run only these measurements (comma-separated; default: all).
    #[arg(long, value_name = "WHAT", value_delimiter = ',')]
    only: Vec<Phase>,
    /// Instead of the measurements, a soak of this many minutes: sessions started, used,
    /// reconnected and ended in a loop; reports memory growth, leaks and failed sessions.
    #[arg(long, value_name = "MINUTES", conflicts_with_all = ["only", "quick"])]
    soak_minutes: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Phase {
    Limit,
    Latency,
    Fps,
    Bandwidth,
    Join,
    Guidance,
    Masks,
    Picker,
    /// Point-and-click rules: picker open → first frame, publish → masked.
    Rules,
    NewTab,
    BackgroundTab,
    Pdf,
    /// Webhooks: a session ended → its `session.ended` read by a receiver.
    Webhooks,
    Capacity,
}

/// When the bench started (for progress lines).
fn started() -> Instant {
    static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *STARTED.get_or_init(Instant::now)
}

fn main() -> ExitCode {
    started();
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("beside-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let res = runtime.block_on(async {
        tokio::select! {
            res = run(args) => res,
            signal = stop_signal() => Err(anyhow::anyhow!("stopped by {signal}; the servers and Chromiums were stopped")),
        }
    });
    // Reader tasks may still hold sockets; they end with the runtime.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match res {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("beside-bench: some measurements failed (see the notes above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("beside-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C or SIGTERM. Returning drops the run, whose servers stop in their `Drop`.
async fn stop_signal() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "Ctrl-C";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
        _ = term.recv() => "SIGTERM",
    }
}

fn default_out() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("bench/report.json")
}

fn default_beside() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("cannot find this program's path")?;
    Ok(me.with_file_name("beside"))
}

/// The commit being measured, with a mark when the work tree differs from it.
fn git_commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.is_empty() => format!("{commit} (with uncommitted changes)"),
            _ => commit,
        },
        None => "unknown".into(),
    }
}

fn chromium_version(exe: &Path) -> String {
    std::process::Command::new(exe)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Runs the asked-for measurements; `Ok(false)` when some of them failed (the report is
/// written all the same, with what was measured).
async fn run(args: Args) -> anyhow::Result<bool> {
    if let Some(minutes) = args.soak_minutes {
        return run_soak(&args, minutes).await;
    }
    let began = Instant::now();
    let started_unix_s = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let want = |p: Phase| args.only.is_empty() || args.only.contains(&p);
    let mut plan = Plan::new(args.quick);
    if let Some(n) = args.events {
        plan.events = n as usize;
    }
    if let Some(n) = args.max_sessions {
        plan.ramp_cap = n as usize;
        plan.ramp_step = plan.ramp_step.min(n as usize);
    }
    let out = args.out.clone().unwrap_or_else(default_out);
    let beside = match &args.beside {
        Some(path) => path.clone(),
        None => default_beside()?,
    };
    let needs_beside = [
        Phase::Latency,
        Phase::Fps,
        Phase::Bandwidth,
        Phase::Join,
        Phase::Guidance,
        Phase::Masks,
        Phase::Picker,
        Phase::Rules,
        Phase::NewTab,
        Phase::BackgroundTab,
        Phase::Pdf,
        Phase::Webhooks,
        Phase::Capacity,
    ]
    .into_iter()
    .any(want);
    if needs_beside && !beside.is_file() {
        anyhow::bail!(
            "{} does not exist; build it with `cargo build --release -p beside` or pass --beside",
            beside.display()
        );
    }
    if !args.chromium.is_file() {
        anyhow::bail!(
            "{} does not exist; install Debian's chromium (`cargo xtask setup`) or pass --chromium",
            args.chromium.display()
        );
    }
    let out_dir = out.parent().map_or_else(|| PathBuf::from("."), Path::to_owned);
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;

    let mut figures = Figures { latency_detail: serde_json::json!({}), ..Figures::default() };
    let mut notes: Vec<String> = Vec::new();
    let mut failed = false;
    let mut fail = |what: &str, e: anyhow::Error, notes: &mut Vec<String>| {
        say!("{what} failed: {e:#}");
        notes.push(format!("{what} failed: {e:#}"));
        failed = true;
    };
    let pages = Arc::new(pages::PageServer::start().await?);

    // The bare Chromium lives as long as it is needed; dropping it stops it.
    let limit = if want(Phase::Limit) {
        say!("starting the limit's own Chromium");
        match cdp::BareChromium::launch(&args.chromium).await {
            Ok(browser) => Some(browser),
            Err(e) => {
                fail("the limit", e, &mut notes);
                None
            }
        }
    } else {
        None
    };
    if let (Some(browser), false) = (&limit, needs_beside) {
        if let Err(e) = phases::limit_alone(browser, &pages, &plan, &mut figures).await {
            fail("the limit", e, &mut notes);
        }
    }

    if needs_beside {
        say!("starting {} serve", beside.display());
        let log = out_dir.join("server.log");
        let start_url = pages.url(pages::Page::Probe);
        let mut receiver = webhooks::Receiver::start().await?;
        let mut server = server::BesideServer::start(&server::Options {
            binary: &beside,
            chromium: Some(&args.chromium),
            pages: pages.addr,
            start_url: &start_url,
            max_sessions: plan.ramp_cap + 10,
            log: &log,
            tmp_dir: None,
            webhook_receiver: Some(receiver.addr),
        })
        .await?;
        let api = client::Api { addr: server.addr };
        let agent = api.login(server::AGENT_EMAIL, &server.agent_password).await?;
        let ctx = Ctx::new(api, server.pid, agent, pages.clone());
        // A server that died takes the rest of the run with it: say so, skip the rest.
        let gone = |server: &mut server::BesideServer, notes: &mut Vec<String>| {
            let status = server.exit_status()?;
            notes.push(format!("the server exited ({status}); its log is {}", log.display()));
            Some(())
        };
        if want(Phase::Join) {
            if let Err(e) = phases::join(&ctx, &plan, &mut figures).await {
                fail("join", e, &mut notes);
            }
        }
        if want(Phase::Guidance) {
            if let Err(e) = guidance::guidance(&ctx, &plan, &mut figures).await {
                fail("guidance", e, &mut notes);
            }
        }
        if want(Phase::Masks) {
            if let Err(e) = masks::masks(&ctx, &plan, &mut figures).await {
                fail("masks", e, &mut notes);
            }
        }
        if want(Phase::Rules) {
            if let Err(e) = rules::rules(&ctx, &plan, &mut figures).await {
                fail("point-and-click rules", e, &mut notes);
            }
        }
        if want(Phase::Picker) {
            if let Err(e) = everyday::picker(&ctx, &plan, &mut figures).await {
                fail("picker", e, &mut notes);
            }
        }
        if want(Phase::NewTab) {
            if let Err(e) = everyday::new_tab(&ctx, &plan, &mut figures).await {
                fail("new tab", e, &mut notes);
            }
        }
        if want(Phase::BackgroundTab) {
            if let Err(e) = everyday::background_tab(&ctx, &plan, &mut figures).await {
                fail("background tab", e, &mut notes);
            }
        }
        if want(Phase::Pdf) {
            if let Err(e) = everyday::pdf(&ctx, &plan, &mut figures).await {
                fail("PDF", e, &mut notes);
            }
        }
        if want(Phase::Webhooks) {
            if let Err(e) = webhooks::webhooks(&ctx, &plan, &mut receiver, &mut figures).await {
                fail("webhooks", e, &mut notes);
            }
        }
        let which = SessionPhases {
            latency: want(Phase::Latency),
            fps: want(Phase::Fps),
            bandwidth: want(Phase::Bandwidth),
        };
        let mut alive = gone(&mut server, &mut notes).is_none();
        if alive && (which.latency || which.fps || which.bandwidth || limit.is_some()) {
            let res =
                phases::session(&ctx, &plan, which, limit.as_ref(), &mut figures, &mut notes).await;
            if let Err(e) = res {
                fail("the session measurements", e, &mut notes);
            }
        }
        alive = alive && gone(&mut server, &mut notes).is_none();
        if alive && want(Phase::Capacity) {
            match phases::capacity(Fleet::Beside { ctx: &ctx, server_pid: server.pid }, &plan).await
            {
                Ok(c) => figures.capacity = Some(c),
                Err(e) => fail("capacity", e, &mut notes),
            }
            if let Some(c) = &figures.capacity {
                if c.capped && args.quick {
                    notes.push(format!(
                        "--quick: the capacity ramp stops at {} sessions",
                        plan.ramp_cap
                    ));
                }
            }
        }
        if alive {
            gone(&mut server, &mut notes);
        }
        server.stop().await;
    }
    if let (Some(browser), true) = (&limit, want(Phase::Capacity)) {
        // After beside has stopped: the same ramp in the bare Chromium alone.
        match phases::capacity(Fleet::Bare { browser, pages: &pages }, &plan).await {
            Ok(c) => figures.capacity_limit = Some(c),
            Err(e) => fail("the limit's capacity", e, &mut notes),
        }
    }
    if let Some(browser) = limit {
        browser.stop().await;
    }

    let meta = Meta {
        quick: args.quick,
        machine: procfs::machine(),
        chromium: chromium_version(&args.chromium),
        commit: git_commit(),
        started_unix_s,
        duration_s: began.elapsed().as_secs_f64(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        notes,
    };
    let json = report::to_json(&figures, &meta);
    let text = serde_json::to_string_pretty(&json).context("the report always serializes")?;
    std::fs::write(&out, text + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    println!("{}", report::table(&figures, &meta));
    println!("report: {}", out.display());
    Ok(!failed)
}

/// `--soak-minutes`: the soak alone, against a server with a temporary directory of its own.
async fn run_soak(args: &Args, minutes: f64) -> anyhow::Result<bool> {
    if !(minutes.is_finite() && minutes > 0.0) {
        anyhow::bail!("--soak-minutes must be a positive number of minutes");
    }
    let beside = match &args.beside {
        Some(path) => path.clone(),
        None => default_beside()?,
    };
    let out = args.out.clone().unwrap_or_else(default_out);
    let out_dir = out.parent().map_or_else(|| PathBuf::from("."), Path::to_owned);
    let tmp = out_dir.join("soak-tmp");
    // A previous run's leftovers would count as this one's.
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let pages = Arc::new(pages::PageServer::start().await?);
    let log = out_dir.join("soak-server.log");
    let start_url = pages.url(pages::Page::Form);
    let mut server = server::BesideServer::start(&server::Options {
        binary: &beside,
        chromium: Some(&args.chromium),
        pages: pages.addr,
        start_url: &start_url,
        max_sessions: 10,
        log: &log,
        tmp_dir: Some(&tmp),
        webhook_receiver: None,
    })
    .await?;
    let api = client::Api { addr: server.addr };
    let agent = api.login(server::AGENT_EMAIL, &server.agent_password).await?;
    let ctx = Arc::new(Ctx::new(api, server.pid, agent, pages.clone()));
    let res = soak::run(ctx, server.pid, &tmp, minutes).await;
    let exited = server.exit_status();
    server.stop().await;
    let (mut report, ok) = res?;
    if let Some(status) = &exited {
        anyhow::bail!("the server exited during the soak ({status}); see {}", log.display());
    }
    report["commit"] = serde_json::json!(git_commit());
    report["cores"] = serde_json::json!(procfs::machine().cores);
    let text = serde_json::to_string_pretty(&report).context("the report always serializes")?;
    std::fs::write(&out, text + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    println!("{}", soak::table(&report));
    println!("report: {}", out.display());
    Ok(ok)
}
