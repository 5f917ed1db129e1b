//! Per-key limits for public endpoints: sliding windows (session starts) and progressive
//! back-off after failures (logins). Both take the time as an argument, so tests need no
//! sleeping, and both bound their memory.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys a limiter tracks before it forgets those it no longer needs.
const PRUNE_ABOVE: usize = 10_000;
/// Keys a back-off tracks at most; beyond, the ones idle longest go (a flood of fresh keys can
/// then reset old ones, which is better than running out of memory).
const MAX_KEYS: usize = 100_000;

/// At most `max` hits per key in any `window`.
pub(crate) struct Limiter<K> {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Eq + Hash + Clone> Limiter<K> {
    pub(crate) fn new(max: usize, window: Duration) -> Limiter<K> {
        Limiter { max, window, hits: Mutex::new(HashMap::new()) }
    }

    /// Records a hit for `key`; false when the key is over its limit (not recorded then).
    pub(crate) fn hit(&self, key: &K) -> bool {
        let now = Instant::now();
        let mut hits = self.hits.lock().expect("limiter lock is never poisoned");
        if hits.len() > PRUNE_ABOVE {
            let window = self.window;
            hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = hits.entry(key.clone()).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() >= self.max {
            return false;
        }
        q.push_back(now);
        true
    }
}

/// Progressive delays after failures: a key may fail `free` times; after that each attempt
/// must wait `base`, then twice as long after each further failure, up to `max`. A key that
/// has not failed for `forget` (or its current delay, when longer) starts afresh.
pub(crate) struct Backoff<K> {
    free: u32,
    base: Duration,
    max: Duration,
    forget: Duration,
    entries: Mutex<HashMap<K, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    n: u32,
    last: Instant,
}

impl<K: Eq + Hash + Clone> Backoff<K> {
    pub(crate) fn new(free: u32, base: Duration, max: Duration, forget: Duration) -> Backoff<K> {
        Backoff { free, base, max, forget, entries: Mutex::new(HashMap::new()) }
    }

    /// The delay owed after `n` failures.
    fn delay(&self, n: u32) -> Duration {
        if n < self.free {
            return Duration::ZERO;
        }
        let doublings = (n - self.free).min(30);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }

    fn is_forgotten(&self, f: &Failures, now: Instant) -> bool {
        now.saturating_duration_since(f.last) >= self.forget.max(self.delay(f.n))
    }

    /// `Err(wait)` when `key` must wait before its next attempt.
    #[cfg(test)]
    fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let entries = self.lock();
        self.wait(entries.get(key), now)
    }

    fn wait(&self, f: Option<&Failures>, now: Instant) -> Result<(), Duration> {
        let Some(f) = f else { return Ok(()) };
        let ready_at = f.last + self.delay(f.n);
        if self.is_forgotten(f, now) || now >= ready_at {
            Ok(())
        } else {
            Err(ready_at - now)
        }
    }

    /// Starts an attempt of `key`: `Err(wait)` when it must wait; otherwise the attempt counts
    /// as failed until [`Backoff::succeeded`] or [`Backoff::forgive`] says otherwise, so
    /// attempts made at the same moment cannot all slip through before the first one fails.
    pub(crate) fn attempt(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut entries = self.lock();
        self.wait(entries.get(key), now)?;
        self.record(&mut entries, key, now);
        Ok(())
    }

    /// Takes back one failure of `key` (an attempt that did not fail after all).
    pub(crate) fn forgive(&self, key: &K) {
        let mut entries = self.lock();
        if let Some(f) = entries.get_mut(key) {
            f.n = f.n.saturating_sub(1);
            if f.n == 0 {
                entries.remove(key);
            }
        }
    }

    /// Records a failed attempt of `key`.
    #[cfg(test)]
    fn failed(&self, key: &K, now: Instant) {
        self.record(&mut self.lock(), key, now);
    }

    fn record(&self, entries: &mut HashMap<K, Failures>, key: &K, now: Instant) {
        if entries.len() >= MAX_KEYS {
            entries.retain(|_, f| !self.is_forgotten(f, now));
        }
        if entries.len() >= MAX_KEYS {
            // Still full of live keys: the quarter idle longest goes, at once, so this sort is
            // paid once per many thousand failures.
            let mut by_age: Vec<(K, Instant)> =
                entries.iter().map(|(k, f)| (k.clone(), f.last)).collect();
            by_age.sort_unstable_by_key(|(_, last)| *last);
            for (k, _) in by_age.into_iter().take(MAX_KEYS / 4) {
                entries.remove(&k);
            }
        }
        let fresh = Failures { n: 0, last: now };
        let f = entries.entry(key.clone()).or_insert(fresh);
        if self.is_forgotten(f, now) {
            *f = fresh;
        }
        f.n = f.n.saturating_add(1);
        f.last = now;
    }

    /// Forgets the failures of `key` (it proved itself).
    pub(crate) fn succeeded(&self, key: &K) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Failures>> {
        self.entries.lock().expect("limiter lock is never poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_limited_independently() {
        let l = Limiter::new(2, Duration::from_secs(60));
        assert!(l.hit(&"a"));
        assert!(l.hit(&"a"));
        assert!(!l.hit(&"a"));
        assert!(l.hit(&"b"));
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn back_off_doubles_after_the_free_failures_and_is_per_key() {
        let b = Backoff::new(3, secs(1), secs(60), secs(900));
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(b.check(&"a", t0 + secs(i)), Ok(()));
            b.failed(&"a", t0 + secs(i));
        }
        // The third failure was at t0+2 s: one second to wait.
        assert_eq!(b.check(&"a", t0 + secs(2)), Err(secs(1)));
        assert_eq!(b.check(&"b", t0 + secs(2)), Ok(()));
        assert_eq!(b.check(&"a", t0 + secs(3)), Ok(()));
        b.failed(&"a", t0 + secs(3));
        assert_eq!(b.check(&"a", t0 + secs(4)), Err(secs(1)));
        b.failed(&"a", t0 + secs(5));
        assert_eq!(b.check(&"a", t0 + secs(5)), Err(secs(4)));
        // Never more than the maximum.
        for i in 0..40 {
            b.failed(&"a", t0 + secs(10 + i));
        }
        assert_eq!(b.check(&"a", t0 + secs(49)), Err(secs(60)));
        // A success clears the key.
        b.succeeded(&"a");
        assert_eq!(b.check(&"a", t0 + secs(49)), Ok(()));
    }

    #[test]
    fn attempts_count_as_failures_until_they_succeed() {
        let b = Backoff::new(2, secs(1), secs(60), secs(900));
        let t0 = Instant::now();
        // Two attempts at once are both let through; the third must wait.
        assert_eq!(b.attempt(&"a", t0), Ok(()));
        assert_eq!(b.attempt(&"a", t0), Ok(()));
        assert_eq!(b.attempt(&"a", t0), Err(secs(1)));
        // One of them succeeded after all.
        b.forgive(&"a");
        assert_eq!(b.attempt(&"a", t0), Ok(()));
        b.succeeded(&"a");
        b.forgive(&"a");
        assert_eq!(b.check(&"a", t0), Ok(()));
    }

    #[test]
    fn back_off_forgets_a_key_that_stopped_failing() {
        let b = Backoff::new(1, secs(1), secs(60), secs(900));
        let t0 = Instant::now();
        b.failed(&"a", t0);
        b.failed(&"a", t0 + secs(1));
        assert!(b.check(&"a", t0 + secs(1)).is_err());
        // Fifteen quiet minutes later the count starts again: one free failure.
        b.failed(&"a", t0 + secs(901));
        assert_eq!(b.check(&"a", t0 + secs(901)), Err(secs(1)));
    }

    #[test]
    fn back_off_memory_is_bounded() {
        let b = Backoff::new(1, secs(1), secs(60), secs(900));
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS as u64 + 20) {
            b.failed(&i, t0 + Duration::from_micros(i));
        }
        assert!(b.lock().len() <= MAX_KEYS, "{}", b.lock().len());
        // The newest keys are kept.
        assert!(b.check(&(MAX_KEYS as u64 + 19), t0 + secs(10)).is_ok());
        assert!(b.lock().contains_key(&(MAX_KEYS as u64 + 19)));
    }
}
