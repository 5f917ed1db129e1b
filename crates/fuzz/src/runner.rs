//! A small mutation fuzzer for the ordinary test suite: it replays a target's corpus, then feeds
//! it mutations of the corpus (bit flips, interesting values, inserted tokens, cut, repeated and
//! spliced ranges) for a time budget. It has no coverage feedback (libFuzzer, under
//! `cargo xtask fuzz`, has), but it needs nothing beyond `cargo test` and finds shallow breakage
//! at once. An input that panics or runs too long is saved under `target/fuzz/found/` and the
//! run fails naming it, with the seed that reproduces the run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// An input running longer than this is a hang (debug builds on a busy machine included).
pub const HANG: Duration = Duration::from_secs(2);
/// Mutations never grow an input beyond this (the WebSocket message limit).
const MAX_LEN: usize = 64 * 1024;

/// Tokens worth inserting: JSON, HTTP, URL and JPEG syntax.
const DICTIONARY: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"-0",
    b"1e999",
    b"-1e308",
    b"\\u0000",
    b"\\ud800",
    b"\r\n",
    b"\r\n\r\n",
    b"CONNECT ",
    b"GET ",
    b" HTTP/1.1",
    b"Host: ",
    b"%",
    b"%2e",
    b"%00",
    b"@",
    b"//",
    b"..",
    b"::",
    b"[",
    b"xn--",
    b"0x",
    b"\xff\xd8",
    b"\xff\xc0",
    b"\xff\xc4",
    b"\xff\xda",
    b"\xff\xdd",
    b"\xff\xd9",
    b"\xff\x00",
    b"=",
    b"\0",
];

/// What a run did.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// Inputs run, the corpus included.
    pub n_inputs: u64,
    /// The longest any input took.
    pub slowest: Duration,
}

/// How long each target runs in the test suite: `BESIDE_FUZZ_SECONDS` (default 2).
pub fn budget_from_env() -> Duration {
    let secs = std::env::var("BESIDE_FUZZ_SECONDS").ok().and_then(|s| s.parse::<f64>().ok());
    Duration::from_secs_f64(secs.filter(|s| s.is_finite() && *s >= 0.0).unwrap_or(2.0))
}

/// The random seed of a run: `BESIDE_FUZZ_SEED`, or a fresh one.
pub fn seed_from_env() -> u64 {
    std::env::var("BESIDE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    })
}

/// Runs `target` on every input of `corpus`, then on mutations of them until `budget` is spent.
/// Panics (failing the test) on an input that panics or hangs, after saving it.
pub fn run(
    name: &str,
    target: fn(&[u8]),
    corpus: &[Vec<u8>],
    budget: Duration,
    seed: u64,
) -> Outcome {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut outcome = Outcome { n_inputs: 0, slowest: Duration::ZERO };
    let started = Instant::now();
    for input in corpus {
        one(name, target, input, seed, &mut outcome);
    }
    let seeds: Vec<&[u8]> =
        if corpus.is_empty() { vec![&b""[..]] } else { corpus.iter().map(Vec::as_slice).collect() };
    while started.elapsed() < budget {
        let mut input = seeds[rng.usize(..seeds.len())].to_vec();
        for _ in 0..rng.usize(1..=8) {
            mutate(&mut input, &seeds, &mut rng);
        }
        one(name, target, &input, seed, &mut outcome);
    }
    outcome
}

fn one(name: &str, target: fn(&[u8]), input: &[u8], seed: u64, outcome: &mut Outcome) {
    let started = Instant::now();
    let res = catch_unwind(AssertUnwindSafe(|| target(input)));
    let took = started.elapsed();
    outcome.n_inputs += 1;
    outcome.slowest = outcome.slowest.max(took);
    let problem = match res {
        Err(_) => Some("panicked"),
        Ok(()) if took > HANG => Some("hung"),
        Ok(()) => None,
    };
    if let Some(problem) = problem {
        let path = save(name, input);
        panic!(
            "fuzz target {name} {problem} ({took:?}) on {} (BESIDE_FUZZ_SEED={seed}); make it \
             a test and put it in crates/fuzz/corpus/{name}/",
            path.display()
        );
    }
}

/// Saves a failing input where `cargo` keeps build output; returns its path.
fn save(name: &str, input: &[u8]) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("fuzz/found").join(name);
    let _ = std::fs::create_dir_all(&dir);
    // FNV-1a: a stable name for the same input.
    let hash = input
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    let path = dir.join(format!("{hash:016x}"));
    let _ = std::fs::write(&path, input);
    path
}

fn mutate(input: &mut Vec<u8>, seeds: &[&[u8]], rng: &mut fastrand::Rng) {
    let len = input.len();
    match rng.u8(..9) {
        0 if len > 0 => input[rng.usize(..len)] ^= 1 << rng.u8(..8),
        1 if len > 0 => input[rng.usize(..len)] = rng.u8(..),
        2 if len > 0 => {
            let interesting = [0, 1, 0x7f, 0x80, 0xff, b'0', b'9', b' ', b'-', b'.'];
            input[rng.usize(..len)] = interesting[rng.usize(..interesting.len())];
        }
        3 => {
            let token = DICTIONARY[rng.usize(..DICTIONARY.len())];
            let at = rng.usize(..=len);
            input.splice(at..at, token.iter().copied());
        }
        4 => {
            let at = rng.usize(..=len);
            let n = rng.usize(1..=16);
            input.splice(at..at, std::iter::repeat_with(|| rng.u8(..)).take(n));
        }
        5 if len > 0 => {
            let from = rng.usize(..len);
            let to = rng.usize(from..=len.min(from + 64));
            input.drain(from..to);
        }
        6 if len > 0 => {
            let from = rng.usize(..len);
            let to = rng.usize(from..=len.min(from + 64));
            let copy = input[from..to].to_vec();
            let at = rng.usize(..=input.len());
            input.splice(at..at, copy);
        }
        7 => {
            let other = seeds[rng.usize(..seeds.len())];
            if !other.is_empty() {
                let from = rng.usize(..other.len());
                let to = rng.usize(from..=other.len());
                let at = rng.usize(..=len);
                input.splice(at..at, other[from..to].iter().copied());
            }
        }
        _ if len > 0 => input.truncate(rng.usize(..len)),
        _ => input.push(rng.u8(..)),
    }
    input.truncate(MAX_LEN);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_input_fails_the_run_and_is_saved() {
        fn target(data: &[u8]) {
            assert!(!data.starts_with(b"boom"), "boom");
        }
        let res = catch_unwind(|| run("selftest", target, &[b"boom".to_vec()], Duration::ZERO, 1));
        let message = res.unwrap_err();
        let message = message.downcast_ref::<String>().unwrap();
        assert!(message.contains("selftest panicked"), "{message}");
        let saved = message.split(" on ").nth(1).unwrap().split(" (").next().unwrap();
        assert_eq!(std::fs::read(saved).unwrap(), b"boom");
    }

    #[test]
    fn mutations_explore_beyond_the_corpus() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEEN: AtomicU64 = AtomicU64::new(0);
        fn target(data: &[u8]) {
            if data != b"seed" {
                SEEN.fetch_add(1, Ordering::Relaxed);
            }
        }
        let outcome = run("selftest2", target, &[b"seed".to_vec()], Duration::from_millis(50), 7);
        assert!(outcome.n_inputs > 10);
        assert!(SEEN.load(Ordering::Relaxed) > 0);
    }
}
