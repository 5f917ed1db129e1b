//! Files in and out of the page: a file chooser the page opens (an `<input type=file>`) and the
//! files given to it, and the files the page downloads.
//!
//! Both live in the browser context's own directory (see `context`): uploads in `uploads/`,
//! each in a directory of its own so that its name is the page's `File.name`, and downloads in
//! `downloads/`, named by Chromium's id for them. The directory goes with the context.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::BrowserError;

/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 120;

/// A file chooser the page opened; Chromium's own dialog never shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChooser {
    /// The `<input type=file>` it is for, as Chromium names the element.
    pub id: model::FileChooserId,
    /// Several files may be chosen.
    pub multiple: bool,
}

/// A file to give to the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadFile {
    /// The name the page sees (made safe by [`safe_file_name`]).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A file the page downloaded, complete, in the context's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// The name the site suggested (made safe by [`safe_file_name`]).
    pub name: String,
    pub size: u64,
    pub path: PathBuf,
}

/// What became of a download the page started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadEvent {
    Finished(Download),
    /// It was larger than the limit (`browser.max_download_bytes`) and was cancelled.
    TooLarge {
        name: String,
        limit: u64,
    },
    /// It did not finish (the site broke off, the page went away).
    Failed {
        name: String,
    },
}

/// A download Chromium is fetching.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) name: String,
    /// Cancelled for its size: the cancellation that follows is not a failure.
    pub(crate) too_large: bool,
}

/// The file chooser in `Page.fileChooserOpened`'s parameters.
pub(crate) fn parse_chooser(params: &Value) -> Option<FileChooser> {
    let id = params.get("backendNodeId").and_then(Value::as_u64)?;
    let multiple = params.get("mode").and_then(Value::as_str) == Some("selectMultiple");
    Some(FileChooser { id: model::FileChooserId(id), multiple })
}

/// A file name that is one plain name in a directory: no path, no control characters, not
/// `.` or `..`, not too long; "file" when nothing is left.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// Writes `files` into a fresh directory under `uploads` (0700 and the files 0600, owned by
/// `run_as` when set, so Chromium reads them); returns their paths, in order.
pub(crate) fn write_uploads(
    uploads: &Path,
    run_as: Option<(u32, u32)>,
    files: &[UploadFile],
) -> Result<Vec<PathBuf>, BrowserError> {
    let setup = |what: &Path, e: std::io::Error| {
        BrowserError::Setup(format!("cannot write {}: {e}", what.display()))
    };
    let give = |path: &Path| -> Result<(), BrowserError> {
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| setup(path, e))?;
        }
        Ok(())
    };
    let mut paths = Vec::with_capacity(files.len());
    for file in files {
        // One directory per file: two files of one choice may have the same name.
        let dir = uploads.join(model::random_token());
        std::fs::DirBuilder::new().mode(0o700).create(&dir).map_err(|e| setup(&dir, e))?;
        give(&dir)?;
        let path = dir.join(safe_file_name(&file.name));
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| setup(&path, e))?;
        std::io::Write::write_all(&mut out, &file.bytes).map_err(|e| setup(&path, e))?;
        give(&path)?;
        paths.push(path);
    }
    Ok(paths)
}

/// Chromium's id of a download as a file name (it names the file by it): a UUID, anything
/// else reduced to its letters, digits and dashes.
pub(crate) fn safe_guid(guid: &str) -> String {
    guid.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect()
}

/// Whether a download of `received` bytes out of `total` (0: unknown) is over `limit`.
pub(crate) fn over_limit(total: u64, received: u64, limit: u64) -> bool {
    total > limit || received > limit
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn file_names_are_one_plain_name() {
        assert_eq!(safe_file_name("invoice 2026.pdf"), "invoice 2026.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\x\\scan.png"), "scan.png");
        assert_eq!(safe_file_name(".."), "file");
        assert_eq!(safe_file_name(".hidden"), "hidden");
        assert_eq!(safe_file_name("a\u{0}b\nc"), "abc");
        assert_eq!(safe_file_name(""), "file");
        assert_eq!(safe_file_name(&"x".repeat(500)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn choosers_are_read_from_chromium() {
        let one = parse_chooser(&json!({"backendNodeId": 7, "mode": "selectSingle"}));
        assert_eq!(one, Some(FileChooser { id: model::FileChooserId(7), multiple: false }));
        let many = parse_chooser(&json!({"backendNodeId": 8, "mode": "selectMultiple"}));
        assert!(many.unwrap().multiple);
        assert_eq!(parse_chooser(&json!({"mode": "selectSingle"})), None);
    }

    #[test]
    fn uploads_are_written_each_in_a_directory_of_their_own() {
        let root = tempfile::tempdir().unwrap();
        let files = [
            UploadFile { name: "a.txt".into(), bytes: b"one".to_vec() },
            UploadFile { name: "../a.txt".into(), bytes: b"two".to_vec() },
        ];
        let paths = write_uploads(root.path(), None, &files).unwrap();
        assert_eq!(paths.len(), 2);
        assert_ne!(paths[0].parent(), paths[1].parent());
        for (path, want) in paths.iter().zip([&b"one"[..], b"two"]) {
            assert!(path.starts_with(root.path()));
            assert_eq!(path.file_name().unwrap(), "a.txt");
            assert_eq!(std::fs::read(path).unwrap(), want);
        }
    }

    #[test]
    fn downloads_over_the_limit_are_caught_by_either_size() {
        assert!(!over_limit(0, 10, 10));
        assert!(over_limit(0, 11, 10));
        assert!(over_limit(11, 0, 10));
        assert!(!over_limit(10, 10, 10));
    }
}
