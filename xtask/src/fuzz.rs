//! `cargo xtask fuzz [--seconds N] [TARGET…]`: the fuzz targets of `crates/fuzz` under libFuzzer,
//! coverage-guided, for N seconds each (60 by default), with the corpus of the repository as
//! the seed. New inputs libFuzzer finds go to `target/fuzz/corpus/<target>/`; an input that
//! crashes or hangs (longer than 2 s) goes to `target/fuzz/artifacts/<target>/` and fails the
//! run. Prints, per target, the runs, the corpus size and what was found.

use anyhow::{bail, Context};
use std::path::Path;
use std::process::Command;

/// Every target (the binaries of `crates/fuzz/libfuzzer`).
const TARGETS: &[&str] =
    &["client_message", "jpeg", "egress_request", "url_policy", "guard_report", "config"];
/// An input running longer than this, in seconds, is a hang.
const HANG_SECS: u32 = 2;

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let mut seconds: u32 = 60;
    let mut targets: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = it.next().context("--seconds needs a number")?;
                seconds =
                    value.parse().with_context(|| format!("--seconds {value}: not a number"))?;
            }
            name => match TARGETS.iter().find(|t| **t == name) {
                Some(t) => targets.push(t),
                None => bail!("no fuzz target `{name}`; the targets are {}", TARGETS.join(", ")),
            },
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let root = crate::project_root();
    let out = crate::target_dir().join("fuzz");
    let manifest = root.join("crates/fuzz/libfuzzer/Cargo.toml");
    // The same dependency versions as the project's own build.
    std::fs::copy(root.join("Cargo.lock"), root.join("crates/fuzz/libfuzzer/Cargo.lock"))
        .context("cannot copy Cargo.lock for the fuzz build")?;
    let host = host_triple()?;
    // Coverage for libFuzzer (the flags cargo-fuzz uses, without a sanitizer: stable Rust).
    // With an explicit --target they reach the targets' code only, not build scripts.
    let rustflags = [
        "-Cpasses=sancov-module",
        "-Cllvm-args=-sanitizer-coverage-level=4",
        "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
        "-Cllvm-args=-sanitizer-coverage-pc-table",
        "-Cllvm-args=-sanitizer-coverage-trace-compares",
        "--cfg",
        "fuzzing",
    ]
    .join(" ");
    crate::run(
        Command::new("cargo")
            .args(["build", "--release", "--bins", "--target", &host, "--manifest-path"])
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", &out)
            .env("RUSTFLAGS", rustflags),
    )?;
    let mut rows = Vec::new();
    let mut failed = false;
    for target in &targets {
        let row = fuzz_one(&root, &out, &host, target, seconds)?;
        failed |= row.found > 0;
        rows.push(row);
    }
    eprintln!(
        "\n{:<16} {:>10} {:>9} {:>8} {:>7} {:>7}",
        "target", "runs", "runs/s", "corpus", "crashes", "hangs"
    );
    for r in &rows {
        eprintln!(
            "{:<16} {:>10} {:>9} {:>8} {:>7} {:>7}",
            r.target,
            r.runs,
            r.runs / u64::from(seconds.max(1)),
            r.corpus,
            r.crashes,
            r.hangs
        );
    }
    if failed {
        bail!("fuzzing found inputs that crash or hang; see target/fuzz/artifacts/");
    }
    Ok(())
}

struct Row {
    target: String,
    runs: u64,
    corpus: usize,
    crashes: usize,
    hangs: usize,
    found: usize,
}

fn fuzz_one(
    root: &Path,
    out: &Path,
    host: &str,
    target: &str,
    seconds: u32,
) -> anyhow::Result<Row> {
    let work = out.join("corpus").join(target);
    let artifacts = out.join("artifacts").join(target);
    for dir in [&work, &artifacts] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let seeds = root.join("crates/fuzz/corpus").join(target);
    let max_len = if target == "jpeg" { 65_536 } else { 16_384 };
    let binary = out.join(host).join("release").join(target);
    eprintln!("xtask: fuzzing {target} for {seconds} s");
    let output = Command::new(&binary)
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={HANG_SECS}"))
        .arg(format!("-max_len={max_len}"))
        .arg("-rss_limit_mb=2048")
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(&work)
        .arg(&seeds)
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let runs = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let count = |prefix: &str| -> usize {
        std::fs::read_dir(&artifacts)
            .map(|d| {
                d.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(prefix)).count()
            })
            .unwrap_or(0)
    };
    let (crashes, hangs) = (count("crash-") + count("oom-") + count("leak-"), count("timeout-"));
    if !output.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    }
    let corpus = std::fs::read_dir(&work).map(|d| d.count()).unwrap_or(0)
        + std::fs::read_dir(&seeds).map(|d| d.count()).unwrap_or(0);
    let found = crashes + hangs + usize::from(!output.status.success() && crashes + hangs == 0);
    Ok(Row { target: target.to_owned(), runs, corpus, crashes, hangs, found })
}

fn host_triple() -> anyhow::Result<String> {
    let out = Command::new("rustc").arg("-vV").output().context("cannot run rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV names no host")
}
