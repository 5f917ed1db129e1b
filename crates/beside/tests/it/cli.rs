//! The `beside` command line: help, company and agent creation, exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn beside(data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_beside"))
        .args(args)
        .env("BESIDE_DATA_DIR", data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("beside runs");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("beside finishes")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn help_explains_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = beside(dir.path(), &["--help"], None);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in ["serve", "company", "agent", "--config", "BESIDE_LISTEN"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
    let out = beside(dir.path(), &["agent", "create", "--help"], None);
    assert!(text(&out.stdout).contains("--password-stdin"));
}

#[test]
fn companies_and_agents_are_created_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = beside(
        dir.path(),
        &[
            "company",
            "create",
            "acme",
            "--name",
            "Acme Inc",
            "--start-url",
            "https://acme.example/",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("/c/acme"));

    let args = [
        "agent",
        "create",
        "--company",
        "acme",
        "--email",
        "a@acme.example",
        "--name",
        "Ann",
        "--password-stdin",
    ];
    let out = beside(dir.path(), &args, Some("a long enough password\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Duplicates, unknown companies, short passwords and bad input: exit 2 with one line.
    let out = beside(dir.path(), &["company", "create", "acme", "--name", "Again"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = beside(dir.path(), &args, Some("another long password"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = beside(
        dir.path(),
        &[
            "agent",
            "create",
            "--company",
            "nope",
            "--email",
            "b@x.example",
            "--name",
            "B",
            "--password-stdin",
        ],
        Some("a long enough password"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
    let out = beside(
        dir.path(),
        &[
            "agent",
            "create",
            "--company",
            "acme",
            "--email",
            "c@acme.example",
            "--name",
            "C",
            "--password-stdin",
        ],
        Some("short"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("at least"), "{}", text(&out.stderr));
    let out = beside(dir.path(), &["company", "create", "Bad Slug!", "--name", "X"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = beside(
        dir.path(),
        &["company", "create", "ok-slug", "--name", "X", "--start-url", "file:///etc"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let out = beside(dir.path(), &["serve", "--listen", "not-an-address"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).lines().count(), 1, "{}", text(&out.stderr));
    let out = beside(dir.path(), &["frobnicate"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn company_rules_are_added_listed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = beside(dir.path(), &["company", "create", "acme", "--name", "Acme"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let add = |args: &[&str]| {
        let mut all = vec!["rule", "add", "--company", "acme"];
        all.extend_from_slice(args);
        beside(dir.path(), &all, None)
    };
    let out = add(&["--kind", "mask", "--selector", "#iban", "--url-pattern", "*.acme.test/pay/*"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Chromium checked the selector (it warns when it could not).
    assert!(!text(&out.stderr).contains("warning"), "{}", text(&out.stderr));
    let created = text(&out.stdout);
    let id = created.split_whitespace().nth(2).unwrap().trim_end_matches(':').to_owned();
    assert!(id.starts_with("rul_"), "{created}");
    let out = add(&["--kind", "block", "--selector", "button.delete-account"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = beside(dir.path(), &["rule", "list", "--company", "acme"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert_eq!(lines[0], format!("{id}\tmask\t*.acme.test/pay/*\t#iban"));
    assert!(lines[1].ends_with("\tblock\t*\tbutton.delete-account"), "{listed}");

    // Bad input: one line on stderr, exit 2, nothing stored.
    for (args, needle) in [
        (vec!["--kind", "mask", "--selector", "a{b}"], "cannot contain"),
        (vec!["--kind", "mask", "--selector", "#a", "--url-pattern", "ftp://x"], "ftp"),
        (vec!["--kind", "hide", "--selector", "#a"], "hide"),
        // Passes beside's light check; Chromium, which applies rules, cannot parse it.
        (vec!["--kind", "mask", "--selector", "input[name=card number]"], "not a valid selector"),
        (
            vec!["--kind", "mask", "--selector", "#iban", "--url-pattern", "*.acme.test/pay/*"],
            "already",
        ),
    ] {
        let out = add(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(needle), "{args:?}: {}", text(&out.stderr));
    }
    let out = beside(dir.path(), &["rule", "list", "--company", "nope"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
    let out = beside(dir.path(), &["rule", "remove", "--company", "acme", "rul_unknown"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = beside(dir.path(), &["rule", "remove", "--company", "acme", "not-an-id"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let out = beside(dir.path(), &["rule", "remove", "--company", "acme", &id], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = beside(dir.path(), &["rule", "list", "--company", "acme"], None);
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn a_companys_session_policy_is_shown_and_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = beside(dir.path(), &["company", "create", "acme", "--name", "Acme"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = beside(dir.path(), &["company", "show", "acme"], None);
    let shown = text(&out.stdout);
    for line in ["pin_approval: false", "agents_start_with_control: true", "transcripts: delete"] {
        assert!(shown.contains(line), "{line} missing from:\n{shown}");
    }
    let args = ["company", "set", "acme", "--pin-approval", "true", "--transcripts", "keep"];
    let out = beside(dir.path(), &args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let set = text(&out.stdout);
    assert!(set.contains("pin_approval: true") && set.contains("transcripts: keep"), "{set}");
    // What was left out stays as it was.
    let out = beside(
        dir.path(),
        &["company", "set", "acme", "--agents-start-with-control", "false"],
        None,
    );
    let set = text(&out.stdout);
    assert!(
        set.contains("pin_approval: true") && set.contains("agents_start_with_control: false"),
        "{set}"
    );
    // Bad values and unknown companies are the user's to fix: exit code 2, one line.
    let out = beside(dir.path(), &["company", "set", "acme", "--transcripts", "forever"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = beside(dir.path(), &["company", "show", "nobody"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("there is no company `nobody`"));
}
