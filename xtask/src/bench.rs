//! `cargo xtask bench`: builds beside and `beside-bench` in release, then runs the bench,
//! which starts `beside serve` and its own Chromium itself and stops both when it ends.
//! The report goes to `target/bench/report.json` (under `CARGO_TARGET_DIR` when set).
//! `cargo xtask soak --minutes N` runs the bench's soak instead (`target/soak/report.json`).

use anyhow::Context;
use std::process::Command;

/// `args` are `beside-bench`'s flags (`--quick`, `--events N`, `--only ...`); it refuses
/// unknown ones with a usage message and exit code 2, which this passes on.
pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let target = super::target_dir();
    let out = target.join("bench/report.json");
    bench(&out, args.iter().map(String::as_str))
}

/// `cargo xtask soak [--minutes N]` (30 by default).
pub(crate) fn soak(args: &[String]) -> anyhow::Result<()> {
    let minutes = match args {
        [] => "30".to_owned(),
        [flag, n] if flag == "--minutes" => n.clone(),
        _ => {
            eprintln!("usage: cargo xtask soak [--minutes N]");
            std::process::exit(2);
        }
    };
    let out = super::target_dir().join("soak/report.json");
    bench(&out, ["--soak-minutes", minutes.as_str()])
}

fn bench<'a>(out: &std::path::Path, args: impl IntoIterator<Item = &'a str>) -> anyhow::Result<()> {
    super::setup_runtime()?;
    super::run(Command::new("cargo").args([
        "build",
        "--release",
        "--package",
        "beside",
        "--package",
        "bench",
    ]))?;
    let target = super::target_dir();
    let mut cmd = Command::new(target.join("release/beside-bench"));
    cmd.arg("--beside").arg(target.join("release/beside")).arg("--out").arg(out).args(args);
    eprintln!("xtask: $ {cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot run {cmd:?}"))?;
    match status.code() {
        Some(0) => Ok(()),
        // A usage error was already explained by beside-bench.
        Some(2) => std::process::exit(2),
        _ => anyhow::bail!("beside-bench failed with {status}"),
    }
}
