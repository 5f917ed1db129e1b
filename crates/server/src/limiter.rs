//! Per-key sliding-window limits for public endpoints (logins, session starts).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
        if hits.len() > 10_000 {
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
}
