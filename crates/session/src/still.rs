//! Exact masks once the page comes to rest, sans-IO.
//!
//! While the page moves, an agent's frame is masked by every layout it may show (it trails the
//! layout by a few animation frames), grown by the movement: failing closed. When the page
//! stops, Chromium sends no new frame to replace that wide mask, and the agent would stay blind
//! around the fields. So once no frame has come for `REST_AFTER` and the guard says the page
//! rests, the tab asks for a picture of the page; once the guard has measured after it came,
//! with the layout unchanged, that picture shows the resting layout, and agents get it masked
//! exactly by it (`MaskTracker::settle`).

use std::time::Duration;
use tokio::time::Instant;

/// How long after the agents' last frame the page counts as resting, if the guard agrees.
pub(crate) const REST_AFTER: Duration = Duration::from_millis(100);
/// How soon to look again when the guard has not yet said the page rests (it is asked to).
const LOOK_AGAIN_AFTER: Duration = Duration::from_millis(50);
/// Looks before giving up on a page the guard never calls resting (it animates).
const N_LOOKS: u32 = 20;
/// How long a picture waits for the guard's word after it came.
const CONFIRM_WITHIN: Duration = Duration::from_millis(500);

/// What to do next about a still picture.
#[derive(Debug, PartialEq)]
pub(crate) enum StillStep {
    /// Nothing now.
    Wait,
    /// Ask the guard to measure (it has not said the page rests yet).
    WakeGuard,
    /// Ask for a picture: the page rests on the layout `mark`. `ticket` comes back with it.
    Capture { ticket: u64, mark: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// The agents' frame is exact, or there is nothing to show them.
    Idle,
    /// The agents' frame is wide; look whether the page rests at `at`.
    Waiting { at: Instant, looks: u32 },
    /// A picture was asked for while the page rested on `mark`.
    Asked { mark: f64 },
    /// The picture came (at `came_ms`, Unix ms) and waits for the guard's word until `until`.
    Came { mark: f64, came_ms: f64, until: Instant },
}

/// The still picture of one tab.
pub(crate) struct Still {
    phase: Phase,
    /// Which request is current: a picture of an older one is dropped.
    ticket: u64,
}

impl Default for Still {
    fn default() -> Still {
        Still { phase: Phase::Idle, ticket: 0 }
    }
}

impl Still {
    /// The agents got a frame: exact, or masked wide (then a still picture is due once the page
    /// rests). A picture asked for before is dropped: the page moved.
    pub(crate) fn on_agent_frame(&mut self, exact: bool, now: Instant) {
        self.ticket += 1;
        self.phase =
            if exact { Phase::Idle } else { Phase::Waiting { at: now + REST_AFTER, looks: 0 } };
    }

    /// When to look next.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Waiting { at, .. } => Some(at),
            Phase::Came { until, .. } => Some(until),
            Phase::Idle | Phase::Asked { .. } => None,
        }
    }

    /// Time passed: `resting` is the layout the guard says the page rests on, `holding` whether
    /// frames wait for the guard (they go first).
    pub(crate) fn on_deadline(
        &mut self,
        now: Instant,
        resting: Option<f64>,
        holding: bool,
    ) -> StillStep {
        match self.phase {
            Phase::Waiting { at, looks } if now >= at => {
                if holding {
                    self.phase = Phase::Waiting { at: now + LOOK_AGAIN_AFTER, looks };
                    return StillStep::Wait;
                }
                if let Some(mark) = resting {
                    self.phase = Phase::Asked { mark };
                    return StillStep::Capture { ticket: self.ticket, mark };
                }
                if looks + 1 >= N_LOOKS {
                    self.phase = Phase::Idle;
                    return StillStep::Wait;
                }
                self.phase = Phase::Waiting { at: now + LOOK_AGAIN_AFTER, looks: looks + 1 };
                StillStep::WakeGuard
            }
            Phase::Came { until, .. } if now >= until => {
                self.phase = Phase::Idle;
                StillStep::Wait
            }
            _ => StillStep::Wait,
        }
    }

    /// The picture for `ticket` came (or failed: `None`) at `came_ms`. Gives the layout mark it
    /// was taken on when it is the current one; the guard is then to be asked to measure.
    pub(crate) fn on_picture(&mut self, ticket: u64, came_ms: Option<f64>, now: Instant) -> bool {
        let Phase::Asked { mark } = self.phase else { return false };
        if ticket != self.ticket {
            return false;
        }
        self.phase = match came_ms {
            Some(came_ms) => Phase::Came { mark, came_ms, until: now + CONFIRM_WITHIN },
            None => Phase::Idle,
        };
        self.phase != Phase::Idle
    }

    /// The picture waiting for the guard's word: the layout it was taken on and when it came.
    pub(crate) fn waiting_picture(&self) -> Option<(f64, f64)> {
        match self.phase {
            Phase::Came { mark, came_ms, .. } => Some((mark, came_ms)),
            _ => None,
        }
    }

    /// The waiting picture went out (or the page moved and it never will).
    pub(crate) fn done(&mut self) {
        self.phase = Phase::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_wide_frame_asks_for_a_picture_once_the_page_rests_and_a_newer_frame_drops_it() {
        let mut still = Still::default();
        let t0 = Instant::now();
        still.on_agent_frame(false, t0);
        assert_eq!(still.deadline(), Some(t0 + REST_AFTER));
        assert_eq!(still.on_deadline(t0, Some(1.0), false), StillStep::Wait, "not yet");
        let at = t0 + REST_AFTER;
        assert_eq!(still.on_deadline(at, None, false), StillStep::WakeGuard, "the guard is asked");
        let at = at + LOOK_AGAIN_AFTER;
        assert_eq!(still.on_deadline(at, Some(7.0), true), StillStep::Wait, "held frames go first");
        let at = at + LOOK_AGAIN_AFTER;
        let StillStep::Capture { ticket, mark } = still.on_deadline(at, Some(7.0), false) else {
            panic!("a picture is due")
        };
        assert_eq!(mark, 7.0);
        assert!(still.on_picture(ticket, Some(123.0), at));
        assert_eq!(still.waiting_picture(), Some((7.0, 123.0)));
        still.done();
        assert_eq!(still.deadline(), None);

        // A frame after the request makes its picture worthless.
        still.on_agent_frame(false, at);
        let later = at + REST_AFTER;
        let StillStep::Capture { ticket, .. } = still.on_deadline(later, Some(8.0), false) else {
            panic!("a picture is due")
        };
        still.on_agent_frame(false, later);
        assert!(!still.on_picture(ticket, Some(200.0), later));
        assert_eq!(still.waiting_picture(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_exact_frame_needs_no_picture_and_a_page_that_never_rests_is_given_up() {
        let mut still = Still::default();
        let t0 = Instant::now();
        still.on_agent_frame(true, t0);
        assert_eq!(still.deadline(), None);
        still.on_agent_frame(false, t0);
        let mut now = t0;
        let mut wakes = 0;
        while let Some(at) = still.deadline() {
            now = at;
            if still.on_deadline(now, None, false) == StillStep::WakeGuard {
                wakes += 1;
            }
        }
        assert_eq!(wakes, N_LOOKS - 1);
        assert!(now - t0 < Duration::from_secs(2));
    }
}
