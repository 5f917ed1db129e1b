//! Where recordings' bytes live: named objects (`<session>/<recording>/<object>`), as an
//! object store keeps them. [`DirStore`] keeps them as files under a directory.

use crate::RecordingError;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

/// The future a [`ChunkStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// A place for recordings' objects. Names are `/`-separated parts of letters, digits, `-`,
/// `_` and `.` (not first), checked by [`check_name`] before a store sees them.
pub trait ChunkStore: Send + Sync {
    /// Stores `bytes` under `name`, replacing what was there, all or nothing.
    fn put<'a>(&'a self, name: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, ()>;
    /// The bytes stored under `name` (`NotFound` without).
    fn get<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Vec<u8>>;
    /// Every name that begins with `prefix` (which ends with `/`), in no particular order.
    fn list<'a>(&'a self, prefix: &'a str) -> StoreFuture<'a, Vec<String>>;
    /// Removes every object whose name begins with `prefix` (which ends with `/`).
    fn remove_all<'a>(&'a self, prefix: &'a str) -> StoreFuture<'a, ()>;
}

/// Whether `name` (or, with `prefix`, a prefix ending with `/`) may name objects.
pub(crate) fn check_name(name: &str, prefix: bool) -> Result<(), RecordingError> {
    let body = if prefix { name.strip_suffix('/') } else { Some(name) };
    let ok = body.is_some_and(|body| {
        !body.is_empty()
            && body.split('/').all(|part| {
                !part.is_empty()
                    && part.len() <= 100
                    && !part.starts_with('.')
                    && part.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c))
            })
    });
    if ok {
        Ok(())
    } else {
        Err(RecordingError::BadName(name.to_owned()))
    }
}

/// Objects as files under a directory (readable by beside's user only), written through a
/// temporary file that is synced and renamed into place.
#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: impl Into<PathBuf>) -> DirStore {
        DirStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

/// Temporary files carry this in their names; listing skips them.
const TMP_MARK: &str = ".tmp-";

async fn make_dirs(dir: &Path) -> io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true).mode(0o700);
    builder.create(dir).await
}

impl ChunkStore for DirStore {
    fn put<'a>(&'a self, name: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            use tokio::io::AsyncWriteExt;
            let path = self.path(name);
            if let Some(dir) = path.parent() {
                make_dirs(dir).await?;
            }
            let tmp = path.with_file_name(format!(
                "{}{TMP_MARK}{}",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("object"),
                model::random_token()
            ));
            let written = async {
                let mut file = tokio::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&tmp)
                    .await?;
                file.write_all(&bytes).await?;
                file.sync_all().await?;
                tokio::fs::rename(&tmp, &path).await
            }
            .await;
            if written.is_err() {
                let _ = tokio::fs::remove_file(&tmp).await;
            }
            written
        })
    }

    fn get<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(tokio::fs::read(self.path(name)))
    }

    fn list<'a>(&'a self, prefix: &'a str) -> StoreFuture<'a, Vec<String>> {
        Box::pin(async move {
            let mut names = Vec::new();
            let mut dirs = vec![prefix.trim_end_matches('/').to_owned()];
            while let Some(dir) = dirs.pop() {
                let mut read = match tokio::fs::read_dir(self.path(&dir)).await {
                    Ok(read) => read,
                    Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                    Err(err) => return Err(err),
                };
                while let Some(item) = read.next_entry().await? {
                    let Some(file) = item.file_name().to_str().map(str::to_owned) else {
                        continue;
                    };
                    let name = format!("{dir}/{file}");
                    if item.file_type().await?.is_dir() {
                        dirs.push(name);
                    } else if !file.contains(TMP_MARK) {
                        names.push(name);
                    }
                }
            }
            Ok(names)
        })
    }

    fn remove_all<'a>(&'a self, prefix: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            match tokio::fs::remove_dir_all(self.path(prefix.trim_end_matches('/'))).await {
                Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_cannot_leave_the_store() {
        for good in ["ses_a/rec_b/manifest.json", "a/00000001.chunk"] {
            assert!(check_name(good, false).is_ok(), "{good}");
        }
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "a/.hidden", "a/b c", "a\\b", "a/"] {
            assert!(check_name(bad, false).is_err(), "{bad}");
        }
        assert!(check_name("ses_a/rec_b/", true).is_ok());
        assert!(check_name("ses_a/rec_b", true).is_err());
        assert!(check_name("/", true).is_err());
    }

    #[tokio::test]
    async fn objects_are_private_files_listed_and_removed_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::new(dir.path().join("recordings"));
        store.put("s/r/a", b"one".to_vec()).await.unwrap();
        store.put("s/r/a", b"two".to_vec()).await.unwrap();
        store.put("s/q/b", b"three".to_vec()).await.unwrap();
        assert_eq!(store.get("s/r/a").await.unwrap(), b"two");
        let mode = std::fs::metadata(dir.path().join("recordings/s/r/a")).unwrap().permissions();
        assert_eq!(mode.mode() & 0o777, 0o600);
        let dmode = std::fs::metadata(dir.path().join("recordings/s/r")).unwrap().permissions();
        assert_eq!(dmode.mode() & 0o777, 0o700);
        let mut all = store.list("s/").await.unwrap();
        all.sort();
        assert_eq!(all, ["s/q/b", "s/r/a"]);
        assert!(store.list("t/").await.unwrap().is_empty());
        store.remove_all("s/r/").await.unwrap();
        assert_eq!(store.list("s/").await.unwrap(), ["s/q/b"]);
        store.remove_all("s/r/").await.unwrap();
        assert_eq!(store.get("s/r/a").await.unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
