//! Files in and out of a session (F11): the page's file choosers and its downloads.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A file chooser a page opened (an `<input type=file>` asked for files), unique within its tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileChooserId(pub u64);

impl fmt::Display for FileChooserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "file chooser {}", self.0)
    }
}
