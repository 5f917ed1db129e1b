//! `cargo xtask` — the project's chores, in Rust so they need nothing but cargo.
//!
//! - `cargo xtask serve`: install what is missing (Chromium), build, run `beside serve`.
//! - `cargo xtask test`: install what is missing (Chromium, PostgreSQL, the npm packages of
//!   `web/`), then every test: format, lints, Rust unit and integration tests with real
//!   Chromium and real SQLite and PostgreSQL, the web unit tests, JS type checks, and the
//!   end-to-end tests in a real browser.
//! - `cargo xtask ci`: what CI runs (`.ci/run`): the same as `test`.
//! - `cargo xtask codegen`: writes the files made from Rust types (`web/shared/protocol-names.js`
//!   from `protocol`); the tidy test fails while a checked-in one is stale.
//! - `cargo xtask bench-ui`: a release build measured through the real pages
//!   (join and click latency, memory per session); see `web/bench/README.md`.
//! - `cargo xtask bench [--quick] [beside-bench flags]`: a release build measured as a
//!   black-box client next to a bare CDP client (latency, fps, bandwidth, join, capacity);
//!   writes `target/bench/report.json`; see `docs/benchmarks.md`.
//! - `cargo xtask fuzz [--seconds N] [target…]`: the fuzz targets of `crates/fuzz` under
//!   libFuzzer, coverage-guided, N seconds each (60 by default); see `docs/fuzzing.md`.
//! - `cargo xtask soak [--minutes N]`: sessions started, used, reconnected and ended in a loop
//!   for N minutes (30 by default); reports memory growth per hour, leaked processes, fds and
//!   temporary directories, and failed sessions; writes `target/soak/report.json`.

mod bench;
mod fuzz;

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root).context("cannot enter the project root")?;
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("test") | Some("ci") => test(),
        Some("setup") => setup(),
        Some("codegen") => codegen(),
        Some("bench-ui") => bench_ui(),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("soak") => bench::soak(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <serve [beside serve flags] | test | ci | setup | codegen | bench-ui \
                 | bench [--quick] [beside-bench flags] | fuzz [--seconds N] [target…] \
                 | soak [--minutes N]>"
            );
            std::process::exit(2);
        }
    }
}

/// Writes the files generated from the Rust types.
fn codegen() -> anyhow::Result<()> {
    let path = project_root().join(protocol::codegen::PROTOCOL_JS_PATH);
    let text = protocol::codegen::protocol_js();
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        eprintln!("xtask: {} is up to date", path.display());
        return Ok(());
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("xtask: wrote {}", path.display());
    Ok(())
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` when set, else `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => project_root().join(dir),
        None => project_root().join("target"),
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the project root")
        .to_owned()
}

/// Runs a command, failing with its name when it fails.
fn run(cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: $ {cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs Debian packages that are missing, with apt-get (as root, or through sudo).
fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo: &[&str] = if is_root() {
        &[]
    } else if have("sudo") {
        &["sudo"]
    } else {
        bail!(
            "these Debian packages are missing and I am not root: {}; install them with apt-get",
            missing.join(" ")
        );
    };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.push("apt-get");
        all.extend_from_slice(args);
        let mut cmd = Command::new(all[0]);
        cmd.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(&missing);
    apt(&args)
}

/// What building and running beside needs: Debian's Chromium (never a downloaded build),
/// fonts for the pages it renders, and cmake and nasm to build the bundled libjpeg-turbo.
fn setup_runtime() -> anyhow::Result<()> {
    apt_install(&["chromium", "fonts-noto-core", "fonts-noto-cjk", "cmake", "nasm"])
}

/// What the tests need on top: Debian's PostgreSQL (the store's contract tests and the
/// black-box tests start private servers of it; none is skipped for want of it), curl and jq
/// (a black-box test runs docs/api.md's examples), and the npm packages of `web/`
/// (TypeScript, Playwright's driver library; the browser is Debian's).
fn setup_tests() -> anyhow::Result<()> {
    setup_runtime()?;
    apt_install(&["postgresql", "curl", "jq"])?;
    if !have("node") || !have("npm") {
        apt_install(&["nodejs", "npm"])?;
    }
    if !Path::new("web/node_modules/.package-lock.json").exists()
        || modified(Path::new("web/package-lock.json"))
            > modified(Path::new("web/node_modules/.package-lock.json"))
    {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir("web"))?;
    }
    Ok(())
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn setup() -> anyhow::Result<()> {
    setup_tests()
}

fn serve(extra: &[String]) -> anyhow::Result<()> {
    setup_runtime()?;
    run(Command::new("cargo")
        .args(["run", "--release", "--package", "beside", "--", "serve"])
        .args(extra))
}

fn test() -> anyhow::Result<()> {
    setup_tests()?;
    run(Command::new("cargo").args(["fmt", "--all", "--check"]))?;
    run(Command::new("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(Command::new("cargo").args(["test", "--workspace", "--no-fail-fast"]))?;
    run(Command::new("npx")
        .args(["--no-install", "tsc", "-p", "jsconfig.json"])
        .current_dir("web"))?;
    // The guard (`crates/browser/src/guard.js`) is checked too, with implicit `any` allowed:
    // most of what it handles is whatever DOM node the page made.
    run(Command::new("npx")
        .args(["--no-install", "tsc", "-p", "jsconfig.guard.json"])
        .current_dir("web"))?;
    run(Command::new("node").args(["--test", "test/"]).current_dir("web"))?;
    end_to_end()
}

/// Measures a release build through the real pages and prints the figures.
fn bench_ui() -> anyhow::Result<()> {
    setup_tests()?;
    run(Command::new("cargo").args(["build", "--release", "--package", "beside"]))?;
    let bin = target_dir().join("release/beside");
    let out = std::env::temp_dir().join("beside-bench-ui");
    std::fs::create_dir_all(&out).context("cannot create the bench directory")?;
    let mut cmd = as_unprivileged("node", &out)?;
    cmd.args(["bench/ui.mjs"])
        .current_dir("web")
        .env("E2E_BESIDE_BIN", &bin)
        .env("BENCH_OUT", out.join("last-run.json"));
    run(&mut cmd)?;
    eprintln!("xtask: figures written to {}", out.join("last-run.json").display());
    Ok(())
}

/// A command that runs `program` as the unprivileged `nobody` when we are root (Chromium
/// refuses its sandbox as root), with `home` (made writable for it) as its home.
fn as_unprivileged(program: &str, home: &Path) -> anyhow::Result<Command> {
    if !is_root() {
        return Ok(Command::new(program));
    }
    run(Command::new("chown").args(["-R", "nobody:nogroup"]).arg(home))?;
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "env"])
        .arg(format!("HOME={}", home.display()))
        .arg(program);
    Ok(cmd)
}

/// The end-to-end tests drive the real pages in Debian's Chromium through Playwright.
/// Chromium refuses its sandbox as root, so as root they run as the unprivileged `nobody`.
fn end_to_end() -> anyhow::Result<()> {
    let bin = target_dir().join("debug/beside");
    if !bin.exists() {
        bail!("{} is missing; `cargo test` builds it", bin.display());
    }
    let home = std::env::temp_dir().join("beside-e2e-home");
    std::fs::create_dir_all(&home).context("cannot create the e2e home directory")?;
    let mut cmd = as_unprivileged("node", &home)?;
    cmd.args(["--test", "--test-concurrency=1", "e2e/"])
        .current_dir("web")
        .env("E2E_BESIDE_BIN", &bin);
    run(&mut cmd)
}
