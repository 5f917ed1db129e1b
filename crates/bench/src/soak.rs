//! The soak (`beside-bench --soak-minutes N`, `cargo xtask soak --minutes N`): sessions started,
//! joined, used, reconnected and ended in a loop for N minutes, while the server's process
//! tree is sampled. It reports memory growth per hour (a least-squares line through the
//! samples after a warm-up), and what is left once the sessions are gone, against what was
//! there after the first: processes, the server's open file descriptors and Chromium's
//! temporary directories (the server gets a `TMPDIR` of its own, so other programs' do not
//! count); and every cycle that failed, with its reason.

use crate::pages::Page;
use crate::phases::{Ctx, Pair};
use crate::procfs;
use crate::stats::round1;
use anyhow::Context;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sessions in use at once.
const N_LANES: usize = 2;
/// How long the load waits for the server to let go of ended sessions.
const SETTLE: Duration = Duration::from_secs(30);
/// Reasons of failed cycles kept for the report (the count is complete).
const N_REASONS_KEPT: usize = 20;

/// One look at the server's process tree.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at_s: f64,
    pss_kib: u64,
    /// The server process's own part of `pss_kib` (the rest is Chromium's).
    server_pss_kib: u64,
    n_processes: usize,
    n_fds: usize,
    n_temp_dirs: usize,
}

fn sample(server_pid: u32, tmp: &Path, began: Instant) -> Sample {
    let pss = procfs::tree_pss(server_pid);
    let server_pss_kib = std::fs::read_to_string(format!("/proc/{server_pid}/smaps_rollup"))
        .ok()
        .and_then(|t| procfs::parse_pss_kib(&t))
        .unwrap_or(0);
    Sample {
        at_s: began.elapsed().as_secs_f64(),
        pss_kib: pss.kib,
        server_pss_kib,
        n_processes: procfs::process_tree(server_pid).len(),
        n_fds: std::fs::read_dir(format!("/proc/{server_pid}/fd")).map_or(0, |d| d.count()),
        n_temp_dirs: std::fs::read_dir(tmp).map_or(0, |d| d.count()),
    }
}

/// What the lanes did.
#[derive(Default)]
struct Tally {
    cycles: AtomicU64,
    failed: AtomicU64,
    reasons: Mutex<Vec<String>>,
}

impl Tally {
    fn fail(&self, e: &anyhow::Error) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut reasons = self.reasons.lock().expect("the tally lock is never held across a panic");
        if reasons.len() < N_REASONS_KEPT {
            reasons.push(format!("{e:#}"));
        }
    }
}

/// One session's life: started and joined (both see the page), input from both, a navigation,
/// the customer's connection dropped and restored, then ended by the customer.
async fn cycle(ctx: &Ctx, n: u64) -> anyhow::Result<()> {
    let mut pair = Pair::open(ctx, Page::Form).await.context("start and join")?;
    let res = async {
        for i in 0..5u32 {
            let x = 100.0 + f64::from(i) * 40.0;
            pair.agent.click(x, 200.0)?;
            pair.customer.click(x, 260.0)?;
            pair.customer.key(char::from(b'a' + (i as u8)))?;
        }
        let next = if n.is_multiple_of(2) { Page::Probe } else { Page::Long };
        pair.navigate(ctx, next).await.context("navigate")?;
        pair.agent.wheel(300.0, 300.0, 200.0)?;
        pair.reconnect_customer(ctx).await.context("reconnect")?;
        anyhow::Ok(())
    }
    .await;
    let ended = pair.end(ctx).await.context("end");
    res?;
    ended?;
    // Both hear it (the viewers read until `pair` goes).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for (who, feed) in [("customer", &pair.customer.feed), ("agent", &pair.agent.feed)] {
        feed.text_after(0, "ended", deadline, |_| true)
            .await
            .with_context(|| format!("the {who} told of the end"))?;
    }
    Ok(())
}

/// Waits until the server runs no session, as its metrics say, and its process tree has let
/// go of them: until the processes and descriptors are down to `idle` (what there was once
/// idle before), or, without it, have not changed for `STILL_FOR`. The bench's own idle
/// connections are closed by then (`client::POOL_IDLE`), so its pool is not counted as the
/// server's. Gives up waiting for the tree after `SETTLE` (what is left then is a leak).
async fn settle(
    ctx: &Ctx,
    server_pid: u32,
    tmp: &Path,
    idle: Option<&Sample>,
) -> anyhow::Result<()> {
    const STILL_FOR: Duration = Duration::from_secs(5);
    let deadline = Instant::now() + SETTLE;
    loop {
        let active = ctx.api.metric("beside_sessions_active").await?;
        if active == 0.0 {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!("{active} sessions still active {} s after the load", SETTLE.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Chromium lets go of a context's renderers a moment after it is disposed, later on a busy
    // machine; the bench's pooled connections close after `POOL_IDLE`.
    tokio::time::sleep(crate::client::POOL_IDLE * 2).await;
    let counts = |s: &Sample| (s.n_processes, s.n_fds, s.n_temp_dirs);
    let began = Instant::now();
    let mut last = counts(&sample(server_pid, tmp, began));
    let mut still_since = Instant::now();
    while Instant::now() < deadline + SETTLE {
        if idle.is_some_and(|idle| {
            let (p, f, t) = last;
            p <= idle.n_processes && f <= idle.n_fds && t <= idle.n_temp_dirs
        }) || (idle.is_none() && still_since.elapsed() >= STILL_FOR)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = counts(&sample(server_pid, tmp, began));
        if now != last {
            last = now;
            still_since = Instant::now();
        }
    }
    Ok(())
}

/// How often the load pauses for a measurement at rest: about 8 times a run, 1 to 5 minutes
/// apart. Under load the tree's memory is mostly that of the renderers alive at that moment
/// (it swings by half between samples), which says little about growth; at rest the same
/// processes are measured each time.
fn rest_every(minutes: f64) -> Duration {
    Duration::from_secs_f64((minutes * 60.0 / 8.0).clamp(60.0, 300.0))
}

/// Open descriptors of the database's files that may be left over: the store's SQLite pool
/// keeps a connection it opened under load until its idle timeout (sqlx's, 10 minutes), each
/// with the database and its WAL open; the WAL index (`-shm`) is one descriptor for all.
/// Returns the expected part of what `left` says changed, taken out of it, while the end
/// holds no more than a full pool would.
fn pooled_database_files(
    end_kinds: &BTreeMap<String, i64>,
    left: &mut BTreeMap<String, i64>,
) -> BTreeMap<String, i64> {
    let pool = i64::from(crate::server::DB_POOL_SIZE);
    let limits = [
        ("fd file beside.db", pool),
        ("fd file beside.db-wal", pool),
        ("fd file beside.db-shm", 1),
    ];
    let mut expected = BTreeMap::new();
    for (kind, limit) in limits {
        let at_end = end_kinds.get(kind).copied().unwrap_or(0);
        if let Some(n) = left.get(kind).copied().filter(|n| *n > 0 && at_end <= limit) {
            left.remove(kind);
            expected.insert(kind.to_owned(), n);
        }
    }
    expected
}

/// Why Chromium's on-device model service is not a leak.
const MODEL_SERVICE_WHY: &str = "Chromium starts its on-device model service once, about 3 \
     minutes after launch, whatever the sessions do (no --disable-features switch stops it), and \
     keeps it; one of it and its sandbox broker at most";

/// Chromium's on-device model service and its broker, if they are what is left: Chromium
/// starts the service by itself about 3 minutes after launch to rate the machine, sessions or
/// not, and keeps it (seen with no session at all; disabling `OptimizationGuideOnDeviceModel`,
/// `LogOnDeviceMetricsOnStartup`, `OptimizationGuideModelExecution` and the like does not stop
/// it). Expected while there is at most one, with at most one broker.
fn chromium_model_service(
    end_kinds: &BTreeMap<String, i64>,
    left: &mut BTreeMap<String, i64>,
) -> BTreeMap<String, i64> {
    const SERVICE: &str = "process chromium utility on_device_model.mojom.OnDeviceModelService";
    const BROKER: &str = "process chromium broker";
    let at_end = |kind: &str| end_kinds.get(kind).copied().unwrap_or(0);
    let mut expected = BTreeMap::new();
    if at_end(SERVICE) <= 1 && at_end(BROKER) <= at_end(SERVICE) {
        for kind in [SERVICE, BROKER] {
            if let Some(n) = left.get(kind).copied().filter(|n| *n > 0) {
                left.remove(kind);
                expected.insert(kind.to_owned(), n);
            }
        }
    }
    expected
}

/// Memory growth per hour, in percent of the mean, from a least-squares line through the
/// samples.
fn growth_percent_per_hour(samples: &[Sample]) -> Option<f64> {
    if samples.len() < 3 {
        return None;
    }
    let n = samples.len() as f64;
    let mean_t = samples.iter().map(|s| s.at_s).sum::<f64>() / n;
    let mean_m = samples.iter().map(|s| s.pss_kib as f64).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for s in samples {
        num += (s.at_s - mean_t) * (s.pss_kib as f64 - mean_m);
        den += (s.at_s - mean_t).powi(2);
    }
    (den > 0.0 && mean_m > 0.0).then(|| num / den * 3600.0 / mean_m * 100.0)
}

/// Runs the soak for `minutes` against the server `server_pid` at `ctx`, whose temporary
/// directory is `tmp`; returns the report and whether it met its goals.
pub(crate) async fn run(
    ctx: Arc<Ctx>,
    server_pid: u32,
    tmp: &Path,
    minutes: f64,
) -> anyhow::Result<(Value, bool)> {
    let began = Instant::now();
    say!("soak: a first session, then the baseline");
    cycle(&ctx, 0).await.context("the first session of the soak failed")?;
    settle(&ctx, server_pid, tmp, None).await?;
    let baseline = sample(server_pid, tmp, began);
    let baseline_kinds = procfs::kinds(server_pid);
    let tally = Arc::new(Tally::default());
    let run_for = Duration::from_secs_f64(minutes * 60.0);
    let load_began = Instant::now();
    let counter = Arc::new(AtomicU64::new(1));
    // Cycles run under a read lock; a measurement at rest takes the write lock, so it waits
    // for the cycles under way and holds up new ones.
    let gate = Arc::new(tokio::sync::RwLock::new(()));
    let mut lanes = Vec::new();
    for _ in 0..N_LANES {
        let (ctx, tally, counter) = (ctx.clone(), tally.clone(), counter.clone());
        let gate = gate.clone();
        lanes.push(tokio::spawn(async move {
            while load_began.elapsed() < run_for {
                let running = gate.read().await;
                if load_began.elapsed() >= run_for {
                    break;
                }
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let res = cycle(&ctx, n).await;
                drop(running);
                match res {
                    Ok(()) => tally.cycles.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        say!("soak: cycle {n} failed: {e:#}");
                        tally.fail(&e);
                        // Whatever broke, the next cycle starts from a quieter server.
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        0
                    }
                };
            }
        }));
    }
    let every = Duration::from_secs_f64((minutes * 60.0 / 40.0).clamp(5.0, 30.0));
    let rest_every = rest_every(minutes);
    let mut samples = Vec::new();
    let mut rests = Vec::new();
    let mut next_rest = Instant::now() + rest_every;
    while load_began.elapsed() < run_for {
        tokio::time::sleep(every).await;
        // Not in the last minute: the end is measured at rest anyway.
        if Instant::now() >= next_rest && load_began.elapsed() + Duration::from_secs(60) < run_for {
            let pause = gate.write().await;
            settle(&ctx, server_pid, tmp, None).await?;
            let s = sample(server_pid, tmp, began);
            drop(pause);
            say!(
                "soak: {:5.1} min, at rest: PSS {:.0} MiB (the server's {:.1}), {} processes, \
                 {} fds",
                load_began.elapsed().as_secs_f64() / 60.0,
                s.pss_kib as f64 / 1024.0,
                s.server_pss_kib as f64 / 1024.0,
                s.n_processes,
                s.n_fds
            );
            rests.push(s);
            next_rest = Instant::now() + rest_every;
            continue;
        }
        let s = sample(server_pid, tmp, began);
        say!(
            "soak: {:5.1} min, {} cycles, {} failed, PSS {:.0} MiB, {} processes, {} fds",
            load_began.elapsed().as_secs_f64() / 60.0,
            tally.cycles.load(Ordering::Relaxed),
            tally.failed.load(Ordering::Relaxed),
            s.pss_kib as f64 / 1024.0,
            s.n_processes,
            s.n_fds
        );
        samples.push(s);
    }
    for lane in lanes {
        lane.await.context("a soak lane panicked")?;
    }
    settle(&ctx, server_pid, tmp, Some(&baseline)).await?;
    let end = sample(server_pid, tmp, began);
    // What was left, by kind, so that a leak says what it is.
    let end_kinds = procfs::kinds(server_pid);
    let mut left = end_kinds.clone();
    for (kind, n) in &baseline_kinds {
        *left.entry(kind.clone()).or_insert(0) -= n;
    }
    left.retain(|_, n| *n != 0);
    let pooled = pooled_database_files(&end_kinds, &mut left);
    let model_service = chromium_model_service(&end_kinds, &mut left);
    // The first tenth of the load (at least a minute) warms caches up: not growth.
    let warm_up = (run_for.as_secs_f64() / 10.0).max(60.0).min(run_for.as_secs_f64() / 2.0);
    let steady: Vec<Sample> = samples
        .iter()
        .copied()
        .filter(|s| s.at_s - (load_began - began).as_secs_f64() >= warm_up)
        .collect();
    let growth_under_load = growth_percent_per_hour(&steady);
    // At rest: the measurements after the warm-up, and the end.
    let warm = (load_began - began).as_secs_f64() + warm_up;
    let at_rest: Vec<Sample> =
        rests.iter().copied().filter(|s| s.at_s >= warm).chain([end]).collect();
    let growth = growth_percent_per_hour(&at_rest);
    let cycles = tally.cycles.load(Ordering::Relaxed);
    let failed = tally.failed.load(Ordering::Relaxed);
    let leaked_processes =
        end.n_processes as i64 - baseline.n_processes as i64 - model_service.values().sum::<i64>();
    let leaked_fds = end.n_fds as i64 - baseline.n_fds as i64 - pooled.values().sum::<i64>();
    let mut expected = Vec::new();
    if !pooled.is_empty() {
        expected.push(json!({ "kinds": pooled, "why": "the database pool keeps connections opened under load until they idle out (10 min); at most a full pool's" }));
    }
    if !model_service.is_empty() {
        expected.push(json!({ "kinds": model_service, "why": MODEL_SERVICE_WHY }));
    }
    let leaked_temp_dirs = end.n_temp_dirs as i64 - baseline.n_temp_dirs as i64;
    let ok = failed == 0
        && leaked_processes <= 0
        && leaked_fds <= 0
        && leaked_temp_dirs <= 0
        && growth.is_none_or(|g| g < 5.0);
    let reasons =
        tally.reasons.lock().expect("the tally lock is never held across a panic").clone();
    let report = json!({
        "minutes": round1(load_began.elapsed().as_secs_f64() / 60.0),
        "lanes": N_LANES,
        "cycles": cycles,
        "failed_cycles": failed,
        "failure_reasons": reasons,
        "memory_growth_percent_per_hour": growth.map(round1),
        "memory_growth_under_load_percent_per_hour": growth_under_load.map(round1),
        "pss_mib": {
            "baseline_idle": round1(baseline.pss_kib as f64 / 1024.0),
            "end_idle": round1(end.pss_kib as f64 / 1024.0),
            "server_baseline_idle": round1(baseline.server_pss_kib as f64 / 1024.0),
            "server_end_idle": round1(end.server_pss_kib as f64 / 1024.0),
            "at_rest": rests.iter().map(|s| json!([round1(s.at_s), round1(s.pss_kib as f64 / 1024.0), round1(s.server_pss_kib as f64 / 1024.0)])).collect::<Vec<_>>(),
            "under_load_first": samples.first().map(|s| round1(s.pss_kib as f64 / 1024.0)),
            "under_load_last": samples.last().map(|s| round1(s.pss_kib as f64 / 1024.0)),
        },
        "idle_baseline": { "processes": baseline.n_processes, "fds": baseline.n_fds, "temp_dirs": baseline.n_temp_dirs },
        "idle_end": { "processes": end.n_processes, "fds": end.n_fds, "temp_dirs": end.n_temp_dirs },
        "leaked": { "processes": leaked_processes, "fds": leaked_fds, "temp_dirs": leaked_temp_dirs },
        "changed_kinds": left,
        "expected_leftovers": expected,
        "samples": samples.iter().map(|s| json!([round1(s.at_s), s.pss_kib, s.n_processes, s.n_fds])).collect::<Vec<_>>(),
    });
    Ok((report, ok))
}

/// The soak's figures as lines of text.
pub(crate) fn table(report: &Value) -> String {
    let v = |p: &str| report.pointer(p).map_or_else(|| "-".to_owned(), ToString::to_string);
    [
        format!("soak over {} min, {} sessions at once", v("/minutes"), v("/lanes")),
        format!("  session cycles        {} ({} failed)", v("/cycles"), v("/failed_cycles")),
        format!(
            "  memory growth         {} % per hour at rest (goal < 5); under load {}",
            v("/memory_growth_percent_per_hour"),
            v("/memory_growth_under_load_percent_per_hour")
        ),
        format!(
            "  PSS (MiB)             idle {} → {}; under load {} → {}",
            v("/pss_mib/baseline_idle"),
            v("/pss_mib/end_idle"),
            v("/pss_mib/under_load_first"),
            v("/pss_mib/under_load_last")
        ),
        format!(
            "  leaked (goal 0)       processes {}, fds {}, temp dirs {}",
            v("/leaked/processes"),
            v("/leaked/fds"),
            v("/leaked/temp_dirs")
        ),
        format!("  changed by kind       {}", v("/changed_kinds")),
        format!("  expected, not leaks   {}", v("/expected_leftovers")),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at_s: f64, pss_kib: u64) -> Sample {
        Sample { at_s, pss_kib, server_pss_kib: 0, n_processes: 0, n_fds: 0, n_temp_dirs: 0 }
    }

    #[test]
    fn processes_and_descriptors_are_told_apart_by_kind() {
        let renderer = "/usr/lib/chromium/chromium\0--type=renderer\0--lang=en\0";
        assert_eq!(procfs::process_kind(renderer), "chromium renderer");
        let network = "/usr/lib/chromium/chromium\0--type=utility\0--utility-sub-type=network.mojom.NetworkService\0";
        assert_eq!(procfs::process_kind(network), "chromium utility network.mojom.NetworkService");
        assert_eq!(procfs::process_kind("/target/release/beside\0serve\0"), "beside");
        let retitled = "/usr/lib/chromium/chromium --type=utility \
                        --utility-sub-type=on_device_model.mojom.OnDeviceModelService \
                        --user-data-dir=/tmp/beside-chromium-x/profile --lang=en-US";
        assert_eq!(
            procfs::process_kind(retitled),
            "chromium utility on_device_model.mojom.OnDeviceModelService"
        );
        // Retitled too, with the rest of its arguments' room left empty.
        let broker = "/usr/lib/chromium/chromium --type=broker\0\0\0";
        assert_eq!(procfs::process_kind(broker), "chromium broker");
        assert_eq!(procfs::fd_kind("socket:[12345]"), "socket");
        assert_eq!(procfs::fd_kind("pipe:[99]"), "pipe");
        assert_eq!(procfs::fd_kind("anon_inode:[eventfd]"), "anon_inode eventfd");
        assert_eq!(procfs::fd_kind("/dev/null"), "/dev/null");
        assert_eq!(procfs::fd_kind("/data/beside.db"), "file beside.db");
        assert_eq!(procfs::fd_kind("/tmp/beside-chromium-x1/beside.lock"), "file beside.lock");
    }

    #[test]
    fn only_what_a_full_database_pool_holds_is_expected() {
        let kinds = |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> {
            pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
        };
        // One more pooled connection than at the baseline, and a lock file besides.
        let end = kinds(&[
            ("fd file beside.db", 3),
            ("fd file beside.db-wal", 3),
            ("fd file beside.db-shm", 1),
        ]);
        let mut left = kinds(&[
            ("fd file beside.db", 1),
            ("fd file beside.db-wal", 1),
            ("fd file beside.lock", 1),
        ]);
        let expected = pooled_database_files(&end, &mut left);
        assert_eq!(expected, kinds(&[("fd file beside.db", 1), ("fd file beside.db-wal", 1)]));
        assert_eq!(left, kinds(&[("fd file beside.lock", 1)]));
        // More than a full pool could hold is a leak.
        let over = i64::from(crate::server::DB_POOL_SIZE) + 1;
        let end = kinds(&[("fd file beside.db", over), ("fd file beside.db-wal", over)]);
        let mut left = kinds(&[("fd file beside.db", 2), ("fd file beside.db-wal", 2)]);
        assert!(pooled_database_files(&end, &mut left).is_empty());
        assert_eq!(left.len(), 2);
    }

    #[test]
    fn one_chromium_model_service_with_its_broker_is_expected() {
        let service = "process chromium utility on_device_model.mojom.OnDeviceModelService";
        let broker = "process chromium broker";
        let kinds = |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> {
            pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
        };
        let end = kinds(&[(service, 1), (broker, 1), ("process chromium renderer", 1)]);
        let mut left = kinds(&[(service, 1), (broker, 1), ("process chromium renderer", 1)]);
        assert_eq!(chromium_model_service(&end, &mut left), kinds(&[(service, 1), (broker, 1)]));
        assert_eq!(left, kinds(&[("process chromium renderer", 1)]));
        // Two of them, or a broker of something else, are not what Chromium does by itself.
        let end = kinds(&[(service, 2), (broker, 2)]);
        let mut left = kinds(&[(service, 2), (broker, 2)]);
        assert!(chromium_model_service(&end, &mut left).is_empty());
        let end = kinds(&[(broker, 1)]);
        let mut left = kinds(&[(broker, 1)]);
        assert!(chromium_model_service(&end, &mut left).is_empty());
    }

    #[test]
    fn growth_is_the_slope_per_hour_over_the_mean() {
        // 1000 KiB growing by 10 KiB a minute: 600 KiB an hour, over a mean of 1010.
        let samples: Vec<Sample> =
            (0..=2u32).map(|m| at(f64::from(m) * 60.0, 1000 + 10 * u64::from(m))).collect();
        let g = growth_percent_per_hour(&samples).unwrap();
        assert!((g - 600.0 / 1010.0 * 100.0).abs() < 1e-6, "{g}");
        let flat: Vec<Sample> = (0..5u32).map(|m| at(f64::from(m), 500)).collect();
        assert_eq!(growth_percent_per_hour(&flat), Some(0.0));
        assert_eq!(growth_percent_per_hour(&flat[..2]), None);
    }
}
