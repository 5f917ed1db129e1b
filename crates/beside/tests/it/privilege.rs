//! Least privilege (issue 10): the data directory is beside's alone, /metrics goes to allowed
//! addresses only, and the cloud browser reaches beside's own port for the demo shop only.

use crate::support::TestApp;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The real and effective uid and gid of a process, from /proc.
fn ids_of(pid: u32) -> (u32, u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u32 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(2).unwrap().parse().unwrap()
    };
    (field("Uid:"), field("Gid:"))
}

// See: issue 10 — Chromium's unprivileged user could read beside.db: the data directory was
// created with default permissions.
#[tokio::test]
async fn issue_10_the_data_directory_is_readable_by_beside_only() {
    let app = TestApp::spawn_with(|c| c.data_dir = c.data_dir.join("private")).await;
    let dir = app.data_dir.path().join("private");
    assert_eq!(mode(&dir), 0o700);
    // The demo login was written, so SQLite's journal files exist too.
    for name in ["beside.db", "beside.db-wal", "beside.db-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    let (uid, gid) = ids_of(app.browser_pid);
    let own_uid = ids_of(std::process::id()).0;
    if uid != own_uid {
        // beside runs as root and Chromium as its own user: that user reads nothing of it.
        for path in [dir.clone(), dir.join("beside.db")] {
            let out = Command::new("setpriv")
                .args([format!("--reuid={uid}"), format!("--regid={gid}"), "--clear-groups".into()])
                .arg("cat")
                .arg(&path)
                .output()
                .unwrap();
            assert!(!out.status.success(), "Chromium's user read {}", path.display());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("Permission denied"), "{stderr}");
        }
    }
    app.stop().await;
}
