//! A frame as the cloud browser produced it.

use bytes::Bytes;

/// One JPEG frame of a session's page with the geometry it was taken at.
/// This is what the customer sees; agents only ever get it through `mask`.
#[derive(Debug, Clone)]
pub struct RawFrame {
    /// Increases by one per frame of the session.
    pub seq: u64,
    pub jpeg: Bytes,
    /// Viewport size in CSS pixels.
    pub css_width: u32,
    pub css_height: u32,
    /// Scroll offset of the page when the frame was taken, CSS pixels.
    pub scroll_x: f64,
    pub scroll_y: f64,
    /// When Chromium produced it, milliseconds since the Unix epoch.
    pub timestamp_ms: f64,
}
