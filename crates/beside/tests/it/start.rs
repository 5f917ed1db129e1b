//! What beside does when it starts after a predecessor was killed (issue 10).

use crate::support::PATIENCE;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// `beside serve` with its temporary files in `tmp`, once it says it listens.
fn serve(tmp: &Path, data: &Path) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_beside"));
    command
        .arg("serve")
        .env("TMPDIR", tmp)
        .env("BESIDE_DATA_DIR", data)
        .env("BESIDE_LISTEN", "127.0.0.1:0")
        .env("BESIDE_LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("beside starts");
    let stdout = child.stdout.take().expect("stdout");
    let deadline = Instant::now() + PATIENCE;
    let mut lines = BufReader::new(stdout).lines();
    loop {
        assert!(Instant::now() < deadline, "beside did not say it listens");
        match lines.next() {
            Some(Ok(line)) if line.starts_with("Listening on") => {
                // Keep reading: beside prints more, and a closed stdout would make it fail.
                std::thread::spawn(move || lines.for_each(drop));
                break;
            }
            Some(_) => {}
            None => panic!("beside exited before it listened: {:?}", child.wait()),
        }
    }
    child
}

fn chromium_dirs(tmp: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("beside-chromium-"))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}

/// Whether a running process names `dir` in its command line (a Chromium still using it).
fn in_use(dir: &Path) -> bool {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read(e.path().join("cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle))
    })
}

// See: issue 10 — after a SIGKILL of beside, its temporary directories stayed forever.
#[tokio::test]
async fn issue_10_a_killed_besides_temporary_directories_are_removed_at_the_next_start() {
    let tmp = tempfile::tempdir().unwrap();
    // Chromium runs as another user when the tests run as root: it must reach its directory.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let (tmp_path, data_path) = (tmp.path().to_owned(), data.path().to_owned());
    tokio::task::spawn_blocking(move || {
        let mut first = serve(&tmp_path, &data_path);
        let left = chromium_dirs(&tmp_path);
        assert_eq!(left.len(), 1, "{left:?}");
        first.kill().unwrap(); // SIGKILL: nothing of beside runs after it.
        first.wait().unwrap();
        let deadline = Instant::now() + PATIENCE;
        while in_use(&left[0]) {
            assert!(Instant::now() < deadline, "the killed beside's Chromium did not exit");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(left[0].exists(), "nothing was left behind to clean");

        let mut second = serve(&tmp_path, &data_path);
        let now = chromium_dirs(&tmp_path);
        assert_eq!(now.len(), 1, "{now:?}");
        assert_ne!(now[0], left[0], "the leftover is still there");
        // A clean stop removes its own.
        Command::new("kill").arg(second.id().to_string()).status().unwrap();
        let status = second.wait().unwrap();
        let left: Vec<_> = chromium_dirs(&tmp_path)
            .iter()
            .flat_map(|d| std::fs::read_dir(d).unwrap().flatten().map(|e| e.path()))
            .collect();
        assert!(left.is_empty(), "{status:?} {left:?}");
    })
    .await
    .unwrap();
}
