//! How good a picture a viewer's link can carry (issue 4: "adapt quality to the viewer's
//! link"). A viewer's connection is handed each message in turn; when handing them over keeps
//! it waiting (the socket's buffers are full because the link drains slower than frames come),
//! the viewer's frames are sent coarser, a step at a time; when it has not waited for a while,
//! they are sent finer again, a step at a time, back to the frames as they come.
//!
//! Waiting is what tells a slow link from a busy server: a server that cannot make frames
//! faster leaves the connection idle, and coarser frames would only cost it more work.
//! Latest-wins delivery already makes a slow viewer skip frames; a coarser picture makes each
//! frame it gets cost less, so it skips fewer.
//!
//! Time is given by the caller, so every decision here is a pure function of what was seen.

use std::time::{Duration, Instant};

/// The qualities a viewer's frames are sent at, finest first: `None` is the frames as they
/// come (Chromium's quality), then libjpeg qualities.
pub const QUALITIES: [Option<u8>; 4] = [None, Some(45), Some(30), Some(20)];

/// The span over which waiting is measured.
pub const WINDOW: Duration = Duration::from_millis(500);
/// A window in which the connection waited for at least this share of the time makes the
/// frames coarser.
const CONGESTED_SHARE: f64 = 0.5;
/// A window in which it waited for at most this share is calm.
const CALM_SHARE: f64 = 0.1;
/// Calm windows in a row that make the frames finer again.
const CALM_WINDOWS: u32 = 4;

/// What a viewer's link has been found to carry.
#[derive(Debug, Clone)]
pub struct LinkQuality {
    level: usize,
    window_start: Instant,
    waited: Duration,
    calm: u32,
}

/// What an observation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    /// The frames are to be sent coarser from now on.
    Coarser,
    /// Finer: what the viewer shows is coarser than what comes next, so the next frame goes
    /// whole (its unchanged parts would otherwise stay coarse).
    Finer,
}

impl LinkQuality {
    /// A link not yet seen waiting: frames as they come.
    pub fn new(now: Instant) -> LinkQuality {
        LinkQuality { level: 0, window_start: now, waited: Duration::ZERO, calm: 0 }
    }

    /// The quality to send frames at: `None` for as they come.
    pub fn quality(&self) -> Option<u8> {
        QUALITIES[self.level]
    }

    /// Whether the frames are sent coarser than they come (so a caller should also call
    /// [`LinkQuality::idle`] now and then, for the link to be found calm while nothing is sent).
    pub fn is_reduced(&self) -> bool {
        self.level > 0
    }

    /// Handing a message to the connection took `waited`, ending at `now`.
    pub fn sent(&mut self, now: Instant, waited: Duration) -> Change {
        self.waited += waited;
        self.close_window(now)
    }

    /// Nothing was sent lately; a caller asks at least once a [`WINDOW`] while the frames are
    /// coarser, so a link that has room is found calm even when the page is still.
    pub fn idle(&mut self, now: Instant) -> Change {
        self.close_window(now)
    }

    fn close_window(&mut self, now: Instant) -> Change {
        let span = now.saturating_duration_since(self.window_start);
        if span < WINDOW {
            return Change::Same;
        }
        let share = self.waited.as_secs_f64() / span.as_secs_f64();
        self.window_start = now;
        self.waited = Duration::ZERO;
        if share >= CONGESTED_SHARE {
            self.calm = 0;
            if self.level + 1 < QUALITIES.len() {
                self.level += 1;
                return Change::Coarser;
            }
            return Change::Same;
        }
        if share > CALM_SHARE {
            self.calm = 0;
            return Change::Same;
        }
        self.calm += 1;
        if self.calm >= CALM_WINDOWS && self.level > 0 {
            self.calm = 0;
            self.level -= 1;
            return Change::Finer;
        }
        Change::Same
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_link_that_keeps_up_gets_the_frames_as_they_come() {
        let start = Instant::now();
        let mut link = LinkQuality::new(start);
        // 60 frames a second, each handed over in a millisecond, for ten seconds.
        for i in 1..=600 {
            assert_eq!(link.sent(start + ms(i * 16), ms(1)), Change::Same, "frame {i}");
        }
        assert_eq!(link.quality(), None);
        assert!(!link.is_reduced());
    }

    #[test]
    fn a_link_that_keeps_the_sender_waiting_gets_coarser_frames_a_step_a_window() {
        let start = Instant::now();
        let mut link = LinkQuality::new(start);
        let mut changes = Vec::new();
        // Each frame waits 90 of its 100 ms.
        for i in 1..=40 {
            let change = link.sent(start + ms(i * 100), ms(90));
            if change != Change::Same {
                changes.push((i, change, link.quality()));
            }
        }
        assert_eq!(
            changes,
            vec![
                (5, Change::Coarser, Some(45)),
                (10, Change::Coarser, Some(30)),
                (15, Change::Coarser, Some(20)),
            ]
        );
        // No coarser than the last step.
        assert_eq!(link.quality(), Some(20));
    }

    #[test]
    fn one_long_wait_is_one_step_and_middling_waits_change_nothing() {
        let start = Instant::now();
        let mut link = LinkQuality::new(start);
        assert_eq!(link.sent(start + ms(3000), ms(2900)), Change::Coarser);
        assert_eq!(link.quality(), Some(45));
        // A third of the time waiting: neither congested nor calm, for as long as it lasts.
        for i in 1..=100 {
            assert_eq!(link.sent(start + ms(3000 + i * 60), ms(20)), Change::Same);
        }
        assert_eq!(link.quality(), Some(45));
    }

    #[test]
    fn a_calm_link_gets_finer_frames_again_also_while_nothing_is_sent() {
        let start = Instant::now();
        let mut link = LinkQuality::new(start);
        link.sent(start + ms(600), ms(600));
        link.sent(start + ms(1200), ms(600));
        assert_eq!(link.quality(), Some(30));
        // Calm: finer after four calm windows, one step at a time.
        let mut t = 1200;
        let mut finer_at = Vec::new();
        for _ in 0..20 {
            t += 500;
            if link.idle(start + ms(t)) == Change::Finer {
                finer_at.push((t, link.quality()));
            }
        }
        assert_eq!(finer_at, vec![(3200, Some(45)), (5200, None)]);
        assert!(!link.is_reduced());
        // Checking more often than a window changes nothing by itself.
        assert_eq!(link.idle(start + ms(t + 100)), Change::Same);
    }

    #[test]
    fn a_congested_window_starts_the_calm_count_again() {
        let start = Instant::now();
        let mut link = LinkQuality::new(start);
        link.sent(start + ms(500), ms(500));
        assert_eq!(link.quality(), Some(45));
        link.idle(start + ms(1000));
        link.idle(start + ms(1500));
        link.idle(start + ms(2000));
        // The fourth window waits again: coarser, and the count of calm windows starts over.
        assert_eq!(link.sent(start + ms(2500), ms(400)), Change::Coarser);
        for t in [3000, 3500, 4000] {
            assert_eq!(link.idle(start + ms(t)), Change::Same);
        }
        assert_eq!(link.idle(start + ms(4500)), Change::Finer);
        assert_eq!(link.quality(), Some(45));
    }
}
