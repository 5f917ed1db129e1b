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

use std::collections::VecDeque;
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

/// Frames on their way to a client that says which it has shown (`ack`): a frame is sent
/// while none on the way is overdue, i.e. while the oldest unacknowledged one has been on its
/// way for less than the quickest acknowledgement seen lately plus [`SLACK`]. A link that
/// queues (a slow or busy link, a client slow to decode) delays the acknowledgements, so the
/// server holds the next frame back, and the newest one goes when the link is free: what the
/// client shows is at most a frame or two behind, however deep the buffers between them. On a
/// link that does not queue, as many frames are on their way as its round trip needs.
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    /// Frames sent and not acknowledged: their number and when they were sent.
    in_flight: VecDeque<(u64, Instant)>,
    /// The quickest acknowledgement lately, and when it was seen.
    quickest: Option<(Duration, Instant)>,
    /// Whether the client acknowledges frames at all (from its first acknowledgement).
    acknowledging: bool,
    /// Since when the next frame has been held back, and for how long it was before.
    held_since: Option<Instant>,
    held: Duration,
}

/// How late an acknowledgement may come, beyond the quickest, before the next frame waits.
pub const SLACK: Duration = Duration::from_millis(50);
/// Frames on the way at most, whatever the link.
pub const MAX_IN_FLIGHT: usize = 16;
/// A frame not acknowledged for this long is given up on (the client is hidden, or stuck):
/// the next one goes anyway.
pub const GIVE_UP: Duration = Duration::from_secs(2);
/// The quickest acknowledgement is forgotten after this long (the route may have changed).
const QUICKEST_FOR: Duration = Duration::from_secs(10);

impl Pacer {
    pub fn new() -> Pacer {
        Pacer::default()
    }

    /// Frame `seq` went to the client at `at`.
    pub fn sent(&mut self, seq: u64, at: Instant) {
        if self.acknowledging {
            self.in_flight.push_back((seq, at));
        }
    }

    /// The client has shown frame `seq` and every one before it.
    pub fn acked(&mut self, seq: u64, now: Instant) {
        self.acknowledging = true;
        let mut newest = None;
        while self.in_flight.front().is_some_and(|&(s, _)| s <= seq) {
            newest = self.in_flight.pop_front();
        }
        if let Some((_, sent)) = newest {
            let took = now.saturating_duration_since(sent);
            let stale = self.quickest.is_none_or(|(q, at)| {
                took <= q || now.saturating_duration_since(at) > QUICKEST_FOR
            });
            if stale {
                self.quickest = Some((took, now));
            }
        }
    }

    /// Whether the next frame may go now. While it may not, the time counts as held.
    pub fn may_send(&mut self, now: Instant) -> bool {
        let free = match self.in_flight.front() {
            None => true,
            Some(_) if self.in_flight.len() >= MAX_IN_FLIGHT => false,
            Some(&(_, sent)) => {
                let quickest = self.quickest.map_or(Duration::ZERO, |(q, _)| q);
                now.saturating_duration_since(sent) < quickest + SLACK
            }
        };
        if free {
            if let Some(since) = self.held_since.take() {
                self.held += now.saturating_duration_since(since);
            }
        } else {
            self.held_since.get_or_insert(now);
        }
        free
    }

    /// When the oldest frame on the way is given up on, while the next is held back.
    pub fn give_up_at(&self) -> Option<Instant> {
        self.held_since?;
        self.in_flight.front().map(|&(_, sent)| sent + GIVE_UP)
    }

    /// Forgets the frames on the way (see [`GIVE_UP`]).
    pub fn give_up(&mut self) {
        self.in_flight.clear();
    }

    /// The time the next frame was held back since this was last asked (for [`LinkQuality`]:
    /// a link that holds frames back is as slow as one that keeps the sender waiting).
    pub fn take_held(&mut self, now: Instant) -> Duration {
        let mut held = std::mem::take(&mut self.held);
        if let Some(since) = self.held_since.as_mut() {
            held += now.saturating_duration_since(*since);
            *since = now;
        }
        held
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
    #[test]
    fn a_client_that_does_not_acknowledge_is_never_held_back() {
        let start = Instant::now();
        let mut pacer = Pacer::new();
        for i in 0..100 {
            pacer.sent(i, start + ms(i * 16));
            assert!(pacer.may_send(start + ms(i * 16 + 1)));
        }
        assert_eq!(pacer.take_held(start + ms(2000)), Duration::ZERO);
    }

    #[test]
    fn frames_go_while_none_on_the_way_is_overdue() {
        let start = Instant::now();
        let mut pacer = Pacer::new();
        pacer.acked(0, start);
        // A 20 ms round trip: frame 1 acknowledged 20 ms after it went.
        pacer.sent(1, start);
        pacer.acked(1, start + ms(20));
        // Frames every 16 ms, acknowledged 20 ms later: never held back.
        for i in 2..50 {
            let t = 20 + i * 16;
            assert!(pacer.may_send(start + ms(t)), "frame {i}");
            pacer.sent(i, start + ms(t));
            pacer.acked(i - 1, start + ms(t + 4));
        }
        assert_eq!(pacer.take_held(start + ms(2000)), Duration::ZERO);
    }

    #[test]
    fn a_link_that_queues_holds_the_next_frame_until_an_acknowledgement_frees_it() {
        let start = Instant::now();
        let mut pacer = Pacer::new();
        pacer.acked(0, start);
        pacer.sent(1, start);
        pacer.acked(1, start + ms(10));
        // Frame 2 goes; its acknowledgement is late (the link queues).
        pacer.sent(2, start + ms(100));
        assert!(pacer.may_send(start + ms(140)), "40 ms on the way: not overdue");
        pacer.sent(3, start + ms(140));
        assert!(!pacer.may_send(start + ms(161)), "61 ms on the way: overdue");
        assert_eq!(pacer.give_up_at(), Some(start + ms(100) + GIVE_UP));
        assert!(!pacer.may_send(start + ms(300)));
        // Frame 2's acknowledgement: frame 3 has been on its way 200 ms, overdue too.
        pacer.acked(2, start + ms(340));
        assert!(!pacer.may_send(start + ms(340)));
        pacer.acked(3, start + ms(400));
        assert!(pacer.may_send(start + ms(400)));
        // Held from 161 ms to 400 ms.
        assert_eq!(pacer.take_held(start + ms(500)), ms(239));
        assert_eq!(pacer.take_held(start + ms(600)), Duration::ZERO);
    }

    #[test]
    fn frames_not_acknowledged_for_long_are_given_up_on() {
        let start = Instant::now();
        let mut pacer = Pacer::new();
        pacer.acked(0, start);
        pacer.sent(1, start);
        assert!(!pacer.may_send(start + ms(500)));
        assert_eq!(pacer.give_up_at(), Some(start + GIVE_UP));
        pacer.give_up();
        assert!(pacer.may_send(start + GIVE_UP));
        // Held while it waited: the link is found slow.
        assert_eq!(pacer.take_held(start + GIVE_UP), GIVE_UP - ms(500));
    }

    #[test]
    fn no_more_than_the_most_frames_are_on_the_way() {
        let start = Instant::now();
        let mut pacer = Pacer::new();
        pacer.acked(0, start);
        // A long round trip, once: every frame may go at once.
        pacer.sent(1, start);
        pacer.acked(1, start + ms(1000));
        let t = start + ms(2000);
        for i in 0..MAX_IN_FLIGHT as u64 {
            assert!(pacer.may_send(t), "frame {i}");
            pacer.sent(10 + i, t);
        }
        assert!(!pacer.may_send(t));
    }
}
