//! Rate limits as plain state machines fed a clock (`Instant`), so tests need no sleeping.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// At most `max` events in any sliding `window`.
#[derive(Debug)]
pub(crate) struct Window {
    max: u32,
    window: Duration,
    events: VecDeque<Instant>,
}

impl Window {
    pub(crate) fn new(max: u32, window: Duration) -> Window {
        Window { max, window, events: VecDeque::new() }
    }

    fn forget_old(&mut self, now: Instant) {
        while let Some(&first) = self.events.front() {
            if now.duration_since(first) >= self.window {
                self.events.pop_front();
            } else {
                break;
            }
        }
    }

    /// True when another event would exceed the limit.
    pub(crate) fn is_full(&mut self, now: Instant) -> bool {
        self.forget_old(now);
        self.events.len() >= self.max as usize
    }

    pub(crate) fn record(&mut self, now: Instant) {
        self.forget_old(now);
        self.events.push_back(now);
    }

    /// Nothing recorded within the window any more (the entry can be dropped).
    pub(crate) fn is_idle(&mut self, now: Instant) -> bool {
        self.forget_old(now);
        self.events.is_empty()
    }
}

/// A token bucket: `rate` tokens a second, holding at most `2 × rate`.
#[derive(Debug)]
pub(crate) struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub(crate) fn new(rate: u32, now: Instant) -> Bucket {
        let rate = f64::from(rate);
        Bucket { rate, tokens: rate * 2.0, last: now }
    }

    /// Takes a token if there is one.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate * 2.0);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_max_events_then_frees_up_as_they_age() {
        let t0 = Instant::now();
        let mut w = Window::new(5, Duration::from_secs(60));
        for i in 0..5 {
            assert!(!w.is_full(t0 + Duration::from_secs(i)));
            w.record(t0 + Duration::from_secs(i));
        }
        assert!(w.is_full(t0 + Duration::from_secs(30)));
        assert!(w.is_full(t0 + Duration::from_secs(59)));
        assert!(!w.is_full(t0 + Duration::from_secs(60)));
        assert!(!w.is_idle(t0 + Duration::from_secs(63)));
        assert!(w.is_idle(t0 + Duration::from_secs(65)));
    }

    #[test]
    fn a_bucket_allows_bursts_of_twice_the_rate_then_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(10, t0);
        let n_burst = (0..100).filter(|_| b.take(t0)).count();
        assert_eq!(n_burst, 20);
        assert!(!b.take(t0));
        let t1 = t0 + Duration::from_millis(500);
        let n_later = (0..100).filter(|_| b.take(t1)).count();
        assert_eq!(n_later, 5);
    }
}
