//! Exact masks for agents once the page rests: the tab asks for a picture of the resting page
//! (`still` says when), waits for the guard to measure after it came with nothing moved, and
//! then shows it to agents masked exactly; a picture of a page that moved meanwhile is dropped.

use super::{Changes, SessionTab};
use crate::still::StillStep;
use std::sync::Arc;
use tokio::time::Instant;
use tracing::Instrument;

/// A picture of the page asked for by the tab: which request, and what came.
pub(crate) struct Picture {
    ticket: u64,
    frame: Result<browser::Frame, browser::BrowserError>,
}

impl SessionTab {
    /// A picture of the resting page came: it waits for the guard's word on it.
    pub(crate) fn on_picture(&mut self, picture: Picture, now: Instant) -> Changes {
        let frame = picture.frame.ok();
        let mut changes = Changes::default();
        if !self.still.on_picture(picture.ticket, frame.is_some().then(unix_ms), now) {
            return changes;
        }
        self.picture = frame;
        // The guard measures after the picture came, and says whether the page stayed still.
        self.page.wake_guard();
        self.woken_at = Some(now);
        changes.frames.agents = self.show_picture(now);
        self.after_agents_frame(&mut changes, now);
        changes
    }

    /// The waiting picture, masked exactly, once the guard has measured after it came with
    /// the layout unchanged; dropped if the page moved.
    pub(super) fn show_picture(
        &mut self,
        now: Instant,
    ) -> Option<Arc<frames::Update<frames::MaskedFrame>>> {
        let (mark, came_ms) = self.still.waiting_picture()?;
        if self.masks.resting(now.into_std()) != Some(mark) {
            self.still.done();
            self.picture = None;
            return None;
        }
        if !self.masks.has_spoken_after(came_ms) {
            return None;
        }
        // The picture was drawn before it came, after the page settled, and the guard has
        // measured since with nothing changed: it shows the resting layout.
        let picture = self.picture.take()?;
        self.still.done();
        let frames = self.feed.show_still(picture, &self.masks, now);
        if frames.agents.is_some() {
            metrics::counter!("beside_still_pictures_total").increment(1);
        }
        frames.agents
    }

    /// Looks whether the page rests, for a still picture.
    pub(super) fn on_still_deadline(&mut self, now: Instant) {
        let resting = self.masks.resting(now.into_std());
        match self.still.on_deadline(now, resting, self.feed.is_holding()) {
            StillStep::Wait => {}
            StillStep::WakeGuard => self.wake_guard(now),
            StillStep::Capture { ticket, mark } => {
                // Frames drawn from now on show the resting layout; the picture asked for makes
                // Chromium draw one (it usually sends it as a screencast frame too).
                if !self.masks.settle(mark, unix_ms(), now.into_std()) {
                    self.still.done();
                    return;
                }
                let page = self.page.clone();
                let tx = self.pictures.0.clone();
                tokio::spawn(
                    async move {
                        let frame = page.capture().await;
                        let _ = tx.send(Picture { ticket, frame });
                    }
                    .in_current_span(),
                );
            }
        }
    }
}

/// Now, in milliseconds since the Unix epoch (the clock of frames and guard reports).
fn unix_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}
