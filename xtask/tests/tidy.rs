//! Tidiness the compiler does not check: every source file says what it is in its first line,
//! the bench's Chromium runs with the flags beside's does, and the files generated from Rust
//! types (`cargo xtask codegen`) are fresh.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is in the workspace").to_owned()
}

/// The files under `dir` (not its `node_modules` or `target`), recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if !matches!(name, "node_modules" | "target") && !name.starts_with('.') {
                files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// How a file of this extension must begin, or `None` for files without a header rule.
fn header(path: &Path) -> Option<&'static [&'static str]> {
    match path.extension()?.to_str()? {
        "rs" => Some(&["//!"]),
        "js" | "mjs" => Some(&["//", "/*"]),
        "css" => Some(&["/*"]),
        _ => None,
    }
}

#[test]
fn every_source_file_begins_with_a_header() {
    let root = root();
    let mut all = Vec::new();
    for dir in ["crates", "xtask", "web"] {
        files(&root.join(dir), &mut all);
    }
    let mut missing = Vec::new();
    let mut checked = 0;
    for path in all {
        let Some(starts) = header(&path) else { continue };
        checked += 1;
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let first = text.lines().next().unwrap_or_default();
        if !starts.iter().any(|s| first.starts_with(s)) {
            missing.push(path.strip_prefix(&root).unwrap_or(&path).display().to_string());
        }
    }
    assert!(checked > 100, "only {checked} source files found under {}", root.display());
    assert!(missing.is_empty(), "these files begin without a header comment: {missing:#?}");
}

/// The string literals in `text` from the first `start` on up to the next `end`, with Rust's
/// line continuations (`\` at a line's end) joined.
fn literals(text: &str, start: &str, end: &str) -> Vec<String> {
    let from = text.find(start).unwrap_or_else(|| panic!("no `{start}`"));
    let rest = &text[from..];
    let region = &rest[..rest.find(end).unwrap_or_else(|| panic!("no `{end}` after `{start}`"))];
    let mut out = Vec::new();
    let mut chars = region.chars().peekable();
    let mut in_comment = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => in_comment = true,
            '\n' => in_comment = false,
            '"' if !in_comment => {
                let mut literal = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if chars.peek() == Some(&'\n') => {
                            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                                chars.next();
                            }
                        }
                        c => literal.push(c),
                    }
                }
                out.push(literal);
            }
            _ => {}
        }
    }
    out
}

#[test]
fn the_bench_runs_chromium_with_the_flags_beside_does() {
    let root = root();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect(p);
    let beside: BTreeSet<String> =
        literals(&read("crates/browser/src/process.rs"), "fn flags(", "\n    ]\n")
            .into_iter()
            .filter(|f| f.starts_with("--"))
            .collect();
    let bench: BTreeSet<String> =
        literals(&read("crates/bench/src/cdp.rs"), "const FLAGS", "];").into_iter().collect();
    assert!(beside.contains("--headless") && bench.contains("--headless"), "{beside:?} {bench:?}");
    // beside talks to its Chromium over a pipe and sends its traffic through the egress proxy;
    // the bench's Chromium talks over a port and reaches only loopback pages.
    let beside_only = [
        "--remote-debugging-pipe",
        "--proxy-bypass-list=<-loopback>",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    ];
    let bench_only = ["--remote-debugging-port=0"];
    let beside: BTreeSet<&str> =
        beside.iter().map(String::as_str).filter(|f| !beside_only.contains(f)).collect();
    let bench: BTreeSet<&str> =
        bench.iter().map(String::as_str).filter(|f| !bench_only.contains(f)).collect();
    let missing: Vec<_> = beside.difference(&bench).collect();
    let extra: Vec<_> = bench.difference(&beside).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the bench's Chromium lacks {missing:?} and has {extra:?} beyond beside's"
    );
}

#[test]
fn the_generated_protocol_names_are_fresh() {
    let path = root().join(protocol::codegen::PROTOCOL_JS_PATH);
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == protocol::codegen::protocol_js(),
        "{} is stale: run `cargo xtask codegen` and commit it",
        path.display()
    );
}
