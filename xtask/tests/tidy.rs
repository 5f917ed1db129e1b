//! Tidiness the compiler does not check: every source file says what it is in its first line,
//! the bench's Chromium runs with the flags beside's does, the files generated from Rust types
//! (`cargo xtask codegen`) are fresh, and the session engine's files and loop stay short.

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

/// The longest a file of the session engine may be, its inline unit tests not counted: a file
/// that grows past it holds more than one part and is split along them.
const MAX_SESSION_FILE_LINES: usize = 400;
/// The longest the session's loop may be: it only dispatches to the parts.
const MAX_ACTOR_LOOP_LINES: usize = 300;

/// The lines of `text` before its inline unit tests (`#[cfg(test)]` then `mod tests {`).
fn code_lines(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let tests = lines.windows(2).position(|w| w[0] == "#[cfg(test)]" && w[1] == "mod tests {");
    tests.unwrap_or(lines.len())
}

#[test]
fn the_session_engine_keeps_its_files_and_its_loop_short() {
    let root = root();
    let mut all = Vec::new();
    files(&root.join("crates/session/src"), &mut all);
    let mut long = Vec::new();
    for path in &all {
        let relative = path.strip_prefix(&root).unwrap_or(path);
        // Unit tests and the fake browser they use are not the engine.
        let is_test = relative.components().any(|c| c.as_os_str() == "tests")
            || matches!(path.file_name().and_then(|n| n.to_str()), Some("tests.rs" | "fake.rs"));
        if is_test || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let n = code_lines(&std::fs::read_to_string(path).expect("a source file"));
        if n > MAX_SESSION_FILE_LINES {
            long.push(format!("{}: {n} lines", relative.display()));
        }
    }
    assert!(all.len() > 20, "only {} files found in crates/session/src", all.len());
    assert!(
        long.is_empty(),
        "these files of the session engine are over {MAX_SESSION_FILE_LINES} lines; split them \
         along their parts: {long:#?}"
    );

    let actor = std::fs::read_to_string(root.join("crates/session/src/actor.rs")).expect("actor");
    let lines: Vec<&str> = actor.lines().collect();
    let start = lines.iter().position(|l| l.contains("async fn run(")).expect("the actor's loop");
    let indent = lines[start].len() - lines[start].trim_start().len();
    let end = lines[start..]
        .iter()
        .position(|l| l.len() - l.trim_start().len() == indent && l.trim() == "}")
        .expect("the end of the actor's loop");
    assert!(
        end < MAX_ACTOR_LOOP_LINES,
        "the actor's loop is {} lines, over {MAX_ACTOR_LOOP_LINES}: move work into the parts",
        end + 1
    );
}
