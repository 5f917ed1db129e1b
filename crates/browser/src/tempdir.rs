//! Chromium's temporary directory for each launch (profile, home), and the clean-up of the
//! ones a beside that was killed (SIGKILL, a power cut) left behind.
//!
//! Each directory holds a lock file that the beside process owning it keeps locked (`flock`)
//! for the directory's life. The kernel drops the lock when that process dies, however it dies,
//! so at start a directory whose lock can be taken, and that no running process still names, is
//! a leftover.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::BrowserError;

/// The name every such directory starts with, in the system's temporary directory.
const PREFIX: &str = "beside-chromium-";
/// The file the owning process keeps locked.
const LOCK_FILE: &str = "beside.lock";
/// A directory without a lock file younger than this may be one being made right now.
const NEW_DIR_GRACE: Duration = Duration::from_secs(60);

/// A directory removed when dropped; its lock is held until then.
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
    /// Held (locked) for as long as the directory is in use.
    _lock: Option<File>,
}

impl TempDir {
    /// Makes a fresh directory with `profile` and `home` in it, given to `run_as` when set.
    pub(crate) fn create(run_as: Option<(u32, u32)>) -> Result<TempDir, BrowserError> {
        TempDir::create_with(run_as, &["profile", "home"])
    }

    /// Makes a fresh directory (0700) with the sub-directories `subdirs` in it (0700 too), all
    /// given to `run_as` when set.
    pub(crate) fn create_with(
        run_as: Option<(u32, u32)>,
        subdirs: &[&str],
    ) -> Result<TempDir, BrowserError> {
        let path = std::env::temp_dir().join(format!("{PREFIX}{}", model::random_token()));
        let setup = |what: &Path, e: std::io::Error| {
            BrowserError::Setup(format!("cannot create {}: {e}", what.display()))
        };
        std::fs::DirBuilder::new().mode(0o700).create(&path).map_err(|e| setup(&path, e))?;
        // From here on, dropping `dir` removes what was made.
        let mut dir = TempDir { path, _lock: None };
        let lock_path = dir.path.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| setup(&lock_path, e))?;
        lock.try_lock().map_err(|e| {
            BrowserError::Setup(format!("cannot lock {}: {e}", lock_path.display()))
        })?;
        dir._lock = Some(lock);
        for sub in subdirs {
            let sub = dir.path.join(sub);
            std::fs::DirBuilder::new().mode(0o700).create(&sub).map_err(|e| setup(&sub, e))?;
        }
        if let Some((uid, gid)) = run_as {
            // The lock file stays beside's: Chromium has no business with it.
            let paths =
                std::iter::once(dir.path.clone()).chain(subdirs.iter().map(|s| dir.path.join(s)));
            for path in paths {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).map_err(|e| {
                    BrowserError::Setup(format!("cannot give {} to uid {uid}: {e}", path.display()))
                })?;
            }
        }
        Ok(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory, retrying while Chromium's helper processes finish writing to it
    /// (they outlive the main process by a few milliseconds).
    pub(crate) async fn remove(mut self) {
        let path = std::mem::take(&mut self.path);
        for attempt in 0..20 {
            let res = tokio::task::spawn_blocking({
                let path = path.clone();
                move || std::fs::remove_dir_all(path)
            })
            .await;
            match res {
                Ok(Ok(())) => return,
                Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => return,
                Ok(Err(error)) if attempt == 19 => {
                    tracing::warn!(%error, dir = %path.display(), "Could not remove chromium's temporary directory.");
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.path.as_os_str().is_empty() {
            return;
        }
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(%error, dir = %self.path.display(), "Could not remove chromium's temporary directory.");
        }
    }
}

/// Removes the directories in `root` that a beside which is gone left behind: owned by one of
/// `owners` (beside's user, Chromium's), not locked, and named by no running process. Returns
/// the paths removed. Directories of other users, of a live beside (in this process too), and
/// ones being made right now are kept.
pub(crate) fn remove_stale(root: &Path, owners: &[u32]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let candidates: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(PREFIX)))
        .map(|e| e.path())
        .filter(|path| {
            std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir() && owners.contains(&m.uid()))
        })
        .filter(|path| is_abandoned(path))
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    // A Chromium of a killed beside may still be on its way out.
    let in_use = paths_in_use();
    let mut removed = Vec::new();
    for path in candidates {
        if in_use.iter().any(|used| used.starts_with(&path)) {
            continue;
        }
        match std::fs::remove_dir_all(&path) {
            Ok(()) => removed.push(path),
            Err(error) => {
                tracing::warn!(%error, dir = %path.display(), "Could not remove a temporary directory an earlier beside left behind.");
            }
        }
    }
    removed
}

/// Whether nobody holds the directory's lock (or, for one without a lock file, whether it is
/// older than a directory being made now could be).
fn is_abandoned(dir: &Path) -> bool {
    match File::open(dir.join(LOCK_FILE)) {
        // The lock taken here goes when `lock` is dropped, before the directory is removed.
        Ok(lock) => match lock.try_lock() {
            Ok(()) => true,
            Err(TryLockError::WouldBlock) => false,
            Err(TryLockError::Error(_)) => false,
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::symlink_metadata(dir).and_then(|m| m.modified()).is_ok_and(|t| {
                SystemTime::now().duration_since(t).unwrap_or_default() > NEW_DIR_GRACE
            })
        }
        Err(_) => false,
    }
}

/// The directories named by `--user-data-dir=` in the command lines of running processes.
fn paths_in_use() -> Vec<PathBuf> {
    let Ok(procs) = std::fs::read_dir("/proc") else { return Vec::new() };
    procs
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .flat_map(|cmdline| {
            cmdline
                .split(|b| *b == 0)
                .filter_map(|arg| arg.strip_prefix(b"--user-data-dir="))
                .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_uid() -> u32 {
        std::fs::metadata("/proc/self").unwrap().uid()
    }

    #[test]
    fn only_abandoned_directories_are_removed() {
        let root = tempfile::tempdir().unwrap();
        let uid = own_uid();
        // A live one: its lock is held (by this process, through another open file).
        let live = root.path().join(format!("{PREFIX}live"));
        std::fs::create_dir(&live).unwrap();
        let held = File::create(live.join(LOCK_FILE)).unwrap();
        held.try_lock().unwrap();
        // One whose owner died: the lock file is there, nobody holds it.
        let dead = root.path().join(format!("{PREFIX}dead"));
        std::fs::create_dir_all(dead.join("profile/Default")).unwrap();
        File::create(dead.join(LOCK_FILE)).unwrap();
        // One being made this very moment, without its lock file yet.
        let new = root.path().join(format!("{PREFIX}new"));
        std::fs::create_dir(&new).unwrap();
        // Something else entirely.
        let other = root.path().join("something-else");
        std::fs::create_dir(&other).unwrap();

        let removed = remove_stale(root.path(), &[uid]);
        assert_eq!(removed, vec![dead.clone()]);
        assert!(!dead.exists());
        assert!(live.exists() && new.exists() && other.exists());
        // Another user's directories are never touched.
        File::create(live.join("x")).unwrap();
        drop(held);
        assert!(remove_stale(root.path(), &[uid + 1]).is_empty());
        // A process another test spawns at this moment holds a copy of the lock's descriptor
        // from its fork until its exec: wait for the lock to be free.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let removed = remove_stale(root.path(), &[uid]);
            if !removed.is_empty() || std::time::Instant::now() > deadline {
                assert_eq!(removed, vec![live]);
                break;
            }
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_directory_a_running_process_names_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(format!("{PREFIX}used"));
        std::fs::create_dir_all(dir.join("profile")).unwrap();
        File::create(dir.join(LOCK_FILE)).unwrap();
        let arg = format!("--user-data-dir={}", dir.join("profile").display());
        // A process with the argument in its command line. It waits in the shell's own `read`,
        // so no child of it (which would carry the same command line between its fork and its
        // exec) can outlive it; closing its input ends it.
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "read -r line", "sh", &arg])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The kernel lets `spawn` return once the exec has begun, before the new command line
        // is in place (reading it then gives nothing): wait until it is.
        let cmdline = format!("/proc/{}/cmdline", sh.id());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !std::fs::read(&cmdline).unwrap().split(|b| *b == 0).any(|a| a == arg.as_bytes()) {
            assert!(std::time::Instant::now() < deadline, "the shell never showed its arguments");
            std::thread::yield_now();
        }
        assert!(remove_stale(root.path(), &[own_uid()]).is_empty());
        drop(sh.stdin.take());
        sh.wait().unwrap();
        assert_eq!(remove_stale(root.path(), &[own_uid()]), vec![dir]);
    }
}
