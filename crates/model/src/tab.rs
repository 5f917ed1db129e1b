//! The tabs of a session's cloud browser, by number.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A tab of one session, numbered from 1 in the order the tabs opened; never reused within
/// the session, so a message about a closed tab cannot reach another one.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct TabId(pub u32);

impl fmt::Display for TabId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tab {}", self.0)
    }
}
