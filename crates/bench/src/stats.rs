//! Percentiles of samples, and a small random source for jitter.

use serde_json::{json, Value};

/// What the report says about a set of samples (milliseconds, usually).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    pub(crate) n: usize,
    pub(crate) p50: f64,
    pub(crate) p95: f64,
    pub(crate) max: f64,
    pub(crate) min: f64,
    pub(crate) mean: f64,
}

impl Summary {
    /// `{"p50","p95","max","min","mean","n"}`, rounded to 0.1.
    pub(crate) fn to_json(self) -> Value {
        json!({
            "p50": round1(self.p50), "p95": round1(self.p95), "max": round1(self.max),
            "min": round1(self.min), "mean": round1(self.mean), "n": self.n,
        })
    }
}

/// Nearest-rank percentile of sorted samples: the smallest sample such that at least `p` %
/// of all samples are less than or equal to it. `None` for no samples.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Summarises samples; NaN samples are ignored. `None` when nothing is left.
pub(crate) fn summarize(samples: &[f64]) -> Option<Summary> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|s| !s.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    Some(Summary {
        n,
        p50: percentile(&sorted, 50.0)?,
        p95: percentile(&sorted, 95.0)?,
        max: *sorted.last()?,
        min: *sorted.first()?,
        mean: sorted.iter().sum::<f64>() / n as f64,
    })
}

pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// xorshift64*: jitter between events, so input does not lock onto the frame clock.
/// Not for anything secret.
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new() -> Jitter {
        Jitter(u64::from_le_bytes(model::random_bytes::<8>()) | 1)
    }

    /// A number in `[lo, hi)`.
    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        lo + r % (hi - lo).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&s, 50.0), Some(50.0));
        assert_eq!(percentile(&s, 95.0), Some(95.0));
        assert_eq!(percentile(&s, 100.0), Some(100.0));
        assert_eq!(percentile(&s, 0.0), Some(1.0));
        // With 12 samples p95 is the largest (ceil(11.4) = 12), with 40 the 38th.
        let twelve: Vec<f64> = (1..=12).map(f64::from).collect();
        assert_eq!(percentile(&twelve, 95.0), Some(12.0));
        let forty: Vec<f64> = (1..=40).map(f64::from).collect();
        assert_eq!(percentile(&forty, 95.0), Some(38.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn summaries_sort_and_skip_nan() {
        let s = summarize(&[30.0, f64::NAN, 10.0, 20.0]).unwrap();
        assert_eq!((s.n, s.p50, s.p95, s.max, s.min, s.mean), (3, 20.0, 30.0, 30.0, 10.0, 20.0));
        assert_eq!(summarize(&[f64::NAN]), None);
        let j = s.to_json();
        assert_eq!(j["p50"], 20.0);
        assert_eq!(j["n"], 3);
    }

    #[test]
    fn jitter_stays_in_range() {
        let mut j = Jitter::new();
        for _ in 0..1000 {
            let v = j.between(100, 200);
            assert!((100..200).contains(&v), "{v}");
        }
    }
}
