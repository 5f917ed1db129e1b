//! A frame as the cloud browser produced it.

use bytes::Bytes;
use model::FrameMeta;

/// One JPEG frame of a session's page with where and when it was taken.
/// This is what the customer sees; agents only ever get it through `mask`.
#[derive(Debug, Clone)]
pub struct RawFrame {
    /// Increases by one per frame of the session.
    pub seq: u64,
    pub jpeg: Bytes,
    pub meta: FrameMeta,
}

impl RawFrame {
    /// Seconds since Chromium produced this frame (see `age_seconds`).
    pub fn age_seconds(&self) -> Option<f64> {
        age_seconds(self.meta.timestamp_ms)
    }
}

/// Seconds from `timestamp_ms` (when Chromium produced a frame, milliseconds since the Unix
/// epoch) until now; `None` for a frame without a timestamp or one from the future (the
/// clocks of this process and Chromium's are the same machine's, so that is a bad stamp).
pub fn age_seconds(timestamp_ms: f64) -> Option<f64> {
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs_f64()
            * 1000.0;
    (timestamp_ms > 0.0 && now_ms >= timestamp_ms).then(|| (now_ms - timestamp_ms) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_measured_from_the_frames_timestamp() {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0;
        let age = age_seconds(now_ms - 250.0).unwrap();
        assert!((0.25..5.0).contains(&age), "{age}");
        assert_eq!(age_seconds(0.0), None);
        assert_eq!(age_seconds(now_ms + 60_000.0), None);
    }
}
