//! The data directory: created readable by beside's own user only (0700, files 0600), and
//! checked at every start, with a warning for anything looser (F: least privilege). Chromium
//! runs as another user when beside is root, and must read none of it.

use anyhow::Context;
use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How deep the start-up check looks.
const MAX_DEPTH: usize = 3;
/// Entries the start-up check looks at, at most (it runs before serving).
const MAX_ENTRIES: usize = 10_000;

/// Creates `dir` (and missing parents) as 0700.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// Creates a SQLite database's file as 0600 when missing (and its missing directories as 0700),
/// so SQLite's journal files, which take the database file's mode, are 0600 too.
pub fn prepare_database_file(file: &Path) -> anyhow::Result<()> {
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        DirBuilder::new().recursive(true).mode(0o700).create(parent).with_context(|| {
            format!("cannot create the database's directory {}", parent.display())
        })?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(file)
        .with_context(|| format!("cannot create the database file {}", file.display()))?;
    Ok(())
}

/// Logs a warning for every entry of `dir` that others than its owner may read or write.
pub fn warn_if_loose(dir: &Path) {
    for (path, mode) in loose_entries(dir) {
        let wanted = if path.is_dir() { "0700" } else { "0600" };
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:04o}", mode & 0o7777),
            "Other users than beside's may read or change this part of the data directory (the \
             cloud browser's user among them); `chmod {wanted}` it."
        );
    }
}

/// The entries of `dir` (itself included, a few levels deep) with any group or other
/// permission bit, and their modes. Symbolic links are not followed.
pub fn loose_entries(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut loose = Vec::new();
    let mut pending = vec![(dir.to_owned(), 0)];
    let mut n_seen = 0;
    while let Some((path, depth)) = pending.pop() {
        n_seen += 1;
        if n_seen > MAX_ENTRIES {
            break;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            loose.push((path.clone(), mode));
        }
        if meta.is_dir() && depth < MAX_DEPTH {
            if let Ok(entries) = std::fs::read_dir(&path) {
                pending.extend(entries.flatten().map(|e| (e.path(), depth + 1)));
            }
        }
    }
    loose.sort();
    loose
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_is_private_and_a_loose_one_is_reported() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/data");
        prepare(&dir).unwrap();
        prepare_database_file(&dir.join("beside.db")).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&dir.join("beside.db")), 0o600);
        assert!(loose_entries(&dir).is_empty());
        // Again on an existing directory: nothing changes, the database is kept.
        std::fs::write(dir.join("beside.db"), b"kept").unwrap();
        prepare(&dir).unwrap();
        prepare_database_file(&dir.join("beside.db")).unwrap();
        assert_eq!(std::fs::read(dir.join("beside.db")).unwrap(), b"kept");
        // A SQLite file elsewhere gets private directories and a private file too.
        let elsewhere = root.path().join("b/c/other.db");
        prepare_database_file(&elsewhere).unwrap();
        assert_eq!((mode(&root.path().join("b")), mode(&elsewhere)), (0o700, 0o600));

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(dir.join("sub")).unwrap();
        std::fs::set_permissions(dir.join("sub"), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(dir.join("sub/file"), b"x").unwrap();
        std::fs::set_permissions(dir.join("sub/file"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let loose: Vec<PathBuf> = loose_entries(&dir).into_iter().map(|(p, _)| p).collect();
        assert_eq!(loose, vec![dir.clone(), dir.join("sub/file")]);
    }
}
