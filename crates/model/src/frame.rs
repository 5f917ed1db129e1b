//! What is known of a frame of a page besides its pixels.

use serde::{Deserialize, Serialize};

/// Where and when a frame was taken: the page area it shows, the page's scroll offset and
/// Chromium's timestamp. A screencast frame, a session's raw and masked frames, and the header
/// of a frame message all carry this one.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct FrameMeta {
    /// The page area the frame shows, in CSS pixels (its JPEG may be larger on high-DPI).
    pub css_width: u32,
    pub css_height: u32,
    /// The page's scroll offset when the frame was taken, in CSS pixels.
    pub scroll_x: f64,
    pub scroll_y: f64,
    /// When Chromium produced the frame, in milliseconds since the Unix epoch.
    pub timestamp_ms: f64,
}

impl FrameMeta {
    /// Whether two frames show the page at the same size and scroll offset.
    pub fn same_geometry(&self, other: &FrameMeta) -> bool {
        self.css_width == other.css_width
            && self.css_height == other.css_height
            && self.scroll_x == other.scroll_x
            && self.scroll_y == other.scroll_y
    }
}
