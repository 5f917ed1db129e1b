//! The `beside` command line: help, company and agent creation, exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn beside(data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    beside_with(data_dir, &[], args, stdin)
}

/// `beside` with more environment variables (the database URL comes only from them).
fn beside_with(
    data_dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_beside"))
        .args(args)
        .env("BESIDE_DATA_DIR", data_dir)
        .env_remove("BESIDE_DATABASE_URL")
        .envs(env.iter().copied())
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
    let dir = crate::support::private_dir();
    let out = beside(dir.path(), &["--help"], None);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in ["serve", "migrate", "db", "company", "agent", "--config", "BESIDE_LISTEN"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
    let out = beside(dir.path(), &["agent", "create", "--help"], None);
    assert!(text(&out.stdout).contains("--password-stdin"));
    let out = beside(dir.path(), &["agent", "--help"], None);
    for verb in ["create", "list", "set", "disable", "enable", "delete", "reset-password"] {
        assert!(text(&out.stdout).contains(verb), "{verb} missing from:\n{}", text(&out.stdout));
    }
    let out = beside(dir.path(), &["agent", "reset-password", "--help"], None);
    let help = text(&out.stdout);
    assert!(help.contains("--email") && help.contains("one-time link"), "{help}");
    let out = beside(dir.path(), &["db", "copy", "--help"], None);
    assert!(text(&out.stdout).contains("--from") && text(&out.stdout).contains("--to"));
}

#[test]
fn companies_and_agents_are_created_with_clear_errors() {
    let dir = crate::support::private_dir();
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
fn agents_are_listed_disabled_reset_and_removed_with_clear_errors() {
    let dir = crate::support::private_dir();
    let env = [("BESIDE_SERVER_PUBLIC_URL", "https://cobrowse.acme.test/")];
    // The arguments are split at spaces.
    let run = |args: &str, stdin: Option<&str>| {
        let args: Vec<&str> = args.split(' ').collect();
        beside_with(dir.path(), &env, &args, stdin)
    };
    let ok = |args: &str, stdin: Option<&str>| {
        let out = run(args, stdin);
        assert!(out.status.success(), "{args}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok("company create acme --name Acme", None);
    let base = "https://cobrowse.acme.test/set-password#";

    // Without a password: a one-time link at the public address, on the last line.
    let created = ok("agent create --company acme --email Nia@acme.example --name Nia", None);
    let link = created.lines().last().unwrap().to_owned();
    assert!(link.starts_with(base) && link.len() > base.len() + 20, "{created}");
    let created = ok(
        "agent create --company acme --email ann@acme.example --name Ann --role admin \
         --password-stdin",
        Some("Ann's long password\n"),
    );
    assert!(!created.contains("set-password"), "{created}");

    let list = || ok("agent list --company acme", None);
    let listed = list();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].starts_with("agt_"), "{listed}");
    assert!(lines[0].ends_with("\tann@acme.example\tAnn\tadmin\tactive"), "{listed}");
    assert!(lines[1].ends_with("\tNia@acme.example\tNia\tagent\tactive"), "{listed}");

    // Any letter case finds her; doing it twice says so and succeeds.
    let disable = "agent disable --company acme --email NIA@ACME.EXAMPLE";
    assert!(ok(disable, None).contains("is disabled; their logins ended"));
    assert!(ok(disable, None).contains("is disabled already"));
    assert!(list().contains("\tNia\tagent\tdisabled"), "{}", list());
    ok("agent enable --company acme --email nia@acme.example", None);
    assert!(list().contains("\tNia\tagent\tactive"), "{}", list());

    // Name, email and role change; what is left out stays.
    let set =
        ok("agent set --company acme --email nia@acme.example --name Nia_N --role admin", None);
    assert!(set.ends_with("\tNia@acme.example\tNia_N\tadmin\tactive\n"), "{set}");
    let set =
        ok("agent set --company acme --email nia@acme.example --new-email nia@acme.test", None);
    assert!(set.ends_with("\tnia@acme.test\tNia_N\tadmin\tactive\n"), "{set}");
    ok(
        "agent set --company acme --email nia@acme.test --new-email Nia@acme.example --role agent",
        None,
    );

    // A reset prints a new link; with --password-stdin it sets the password instead.
    let reset = "agent reset-password --company acme --email ann@acme.example";
    let out = ok(reset, None);
    let new_link = out.lines().last().unwrap();
    assert!(new_link.starts_with(base) && new_link != link, "{out}");
    let set = ok(&format!("{reset} --password-stdin"), Some("Ann's new long password"));
    assert!(!set.contains("set-password#"), "{set}");

    // Bad input: exit 2 and one line that says what to do.
    for (args, stdin, needle) in [
        (
            "agent disable --company acme --email nobody@acme.example",
            None,
            "acme has no agent `nobody@acme.example`; `beside agent list --company acme`",
        ),
        ("agent delete --company acme --email nobody@acme.example", None, "has no agent"),
        ("agent enable --company nope --email x@acme.example", None, "no company `nope`"),
        (&format!("{reset} --password-stdin"), Some("short"), "at least 10 characters"),
        ("agent create --company acme --email not-an-email --name X", None, "not-an-email"),
        ("agent create --company acme --email nia@ACME.example --name N", None, "already exists"),
        ("agent set --company acme --email nia@acme.example", None, "say what to change"),
        (
            "agent set --company acme --email nia@acme.example --new-email ann@acme.example",
            None,
            "already exists",
        ),
    ] {
        let out = run(args, stdin);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args}: {stderr}");
        assert!(stderr.contains(needle), "{args}: {stderr}");
    }
    let out = run("agent disable --company acme", None);
    assert_eq!(out.status.code(), Some(2), "a missing --email: {}", text(&out.stderr));
    let out = run("agent set --company acme --email nia@acme.example --role boss", None);
    assert_eq!(out.status.code(), Some(2), "an unknown role: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("boss"), "{}", text(&out.stderr));

    let delete = "agent delete --company acme --email nia@acme.example";
    assert!(ok(delete, None).contains("Removed Nia@acme.example from acme"));
    assert_eq!(list().lines().count(), 1, "{}", list());
    assert_eq!(run(delete, None).status.code(), Some(2));
}

#[test]
fn company_rules_are_added_listed_and_removed() {
    let dir = crate::support::private_dir();
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

/// The private PostgreSQL's URL for a fresh database, and its password.
async fn postgres() -> (String, String) {
    let server = tokio::task::spawn_blocking(store::testing::shared).await.unwrap();
    (server.create_database().await.expose(), server.password().to_owned())
}

#[tokio::test]
async fn database_urls_that_cannot_work_stop_beside_with_exit_2_in_one_line() {
    let dir = crate::support::private_dir();
    let (good, password) = postgres().await;
    let closed_port =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let port = url::Url::parse(&good).unwrap().port().unwrap();
    let unreachable = good.replace(&format!(":{port}/"), &format!(":{closed_port}/"));
    let wrong_password = good.replace(&password, "hunter2-wrong");
    let mut unknown_database = url::Url::parse(&good).unwrap();
    unknown_database.set_path("/no_such_database");
    let cases = [
        (format!("postgress://beside:{password}@db.example/beside"), "postgress"),
        (format!("mysql://beside:{password}@db.example/beside"), "mysql"),
        (format!("beside:{password}@db.example"), "not a URL"),
        ("sqlite://".to_owned(), "names no file"),
        (unreachable, "refused"),
        (wrong_password, "password authentication failed"),
        (unknown_database.to_string(), "no_such_database"),
    ];
    for (url, needle) in &cases {
        for args in [&["migrate"][..], &["serve"], &["company", "create", "acme", "--name", "A"]] {
            let out = beside_with(dir.path(), &[("BESIDE_DATABASE_URL", url)], args, None);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{url} {args:?}: {stderr}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{url} {args:?}: {stderr}");
            assert!(stderr.contains(needle), "{url} {args:?}: {stderr}");
            assert!(!stderr.contains(&password), "{url} {args:?}: {stderr}");
            assert!(!stderr.contains("hunter2-wrong"), "{url} {args:?}: {stderr}");
        }
    }
}

#[tokio::test]
async fn migrate_applies_the_schema_once_and_refuses_a_newer_one() {
    let dir = crate::support::private_dir();
    let (url, password) = postgres().await;
    let env = [("BESIDE_DATABASE_URL", url.as_str())];
    for _ in 0..2 {
        let out = beside_with(dir.path(), &env, &["migrate"], None);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let version = format!("schema version {}", store::Store::latest_schema_version());
        assert!(stdout.contains(&version) && stdout.contains(":***@"), "{stdout}");
        assert!(!stdout.contains(&password), "{stdout}");
    }
    // Without a URL: beside.db in the data directory.
    let out = beside(dir.path(), &["migrate"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("beside.db").exists());

    // A database a newer beside has migrated: exit 2, one line, for every command.
    let parsed = store::DatabaseUrl::parse(&url).unwrap();
    store::testing::record_future_migration(&parsed, 99).await;
    for args in [&["migrate"][..], &["serve"], &["rule", "list", "--company", "demo"]] {
        let out = beside_with(dir.path(), &env, args, None);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("schema version 99, newer"), "{stderr}");
    }
}

#[tokio::test]
async fn serve_on_postgres_never_logs_the_password() {
    use std::io::BufRead;
    let dir = crate::support::private_dir();
    let (url, password) = postgres().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_beside"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BESIDE_DATA_DIR", dir.path())
        .env("BESIDE_DATABASE_URL", &url)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("beside runs");
    // Read both pipes to their ends on threads (a closed pipe would fail beside's next line,
    // a full one would hold it up), and hand over stdout's lines as they come.
    let mut stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut logs = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut logs).map(|_| logs)
    });
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let reader = std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut printed = String::new();
    let mut addr = None;
    while let Ok(line) = lines.recv() {
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.strip_prefix("Listening on ") {
            addr = Some(rest.to_owned());
            break;
        }
    }
    let addr = addr.unwrap_or_else(|| panic!("beside did not start:\n{printed}"));
    // Work that reaches the database: readiness, a failed login (audited).
    let res = reqwest::get(format!("{addr}/readyz")).await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let res = reqwest::Client::new()
        .post(format!("{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"email":"agent@demo.example","password":"not it"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED);
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    printed.extend(lines.try_iter().map(|line| line + "\n"));
    let logs = logs.join().unwrap().unwrap();
    assert!(logs.contains("Opened the database"), "{logs}");
    assert!(logs.contains(":***@127.0.0.1"), "{logs}");
    assert!(!logs.contains(&password) && !printed.contains(&password), "{printed}{logs}");
}
