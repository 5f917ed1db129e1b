//! Every fuzz target, run briefly in the ordinary test suite: its corpus replayed (regression
//! inputs of crashes found included), then mutations of it for `BESIDE_FUZZ_SECONDS` (2 by
//! default). `BESIDE_FUZZ_SEED` repeats a run.

// Tests may unwrap: a panic is how they fail.
#![allow(clippy::unwrap_used)]

fn check(name: &str) {
    let target = fuzz::target(name).unwrap();
    let corpus: Vec<Vec<u8>> = fuzz::corpus(name).into_iter().map(|(_, bytes)| bytes).collect();
    assert!(!corpus.is_empty(), "{} has no corpus", fuzz::corpus_dir(name).display());
    let seed = fuzz::runner::seed_from_env();
    let budget = fuzz::runner::budget_from_env();
    let outcome = fuzz::runner::run(name, target, &corpus, budget, seed);
    eprintln!(
        "fuzz {name}: {} inputs in {budget:?}, slowest {:?}, seed {seed}",
        outcome.n_inputs, outcome.slowest
    );
}

#[test]
fn client_message() {
    check("client_message");
}

#[test]
fn jpeg() {
    check("jpeg");
}

#[test]
fn egress_request() {
    check("egress_request");
}

#[test]
fn url_policy() {
    check("url_policy");
}

#[test]
fn guard_report() {
    check("guard_report");
}

#[test]
fn config() {
    check("config");
}

#[test]
fn every_target_is_tested_here() {
    let source = include_str!("targets.rs");
    for (name, _) in fuzz::TARGETS {
        assert!(source.contains(&format!("fn {name}()")), "{name} has no test here");
    }
}
