//! Company rules (F15, F16) through the HTTP API (applied to live sessions at once) and the
//! command line (applied by the running server within a second); and the
//! side channels a masked value must not leak through: the address, the title, the clipboard.

use crate::support::{on_both_backends, Backend, TestApp, Ws};
use reqwest::StatusCode;
use serde_json::{json, Value};

// Places on the "rules" test page (support/site.rs), viewport CSS pixels.
pub(crate) const LOYAL: (f64, f64) = (160.0, 30.0);
const ARCHIVE: (f64, f64) = (160.0, 80.0);
const NOTE: (f64, f64) = (160.0, 130.0);
const IBAN: (f64, f64) = (160.0, 180.0);
const NUMBER: (f64, f64) = (160.0, 230.0);
const CVC: (f64, f64) = (160.0, 280.0);
const EMPTY: (f64, f64) = (700.0, 500.0);

async fn key(ws: &mut Ws, key: &str, code: &str, modifiers: Value) {
    for kind in ["down", "up"] {
        ws.send(json!({"type":"key","kind":kind,"key":key,"code":code,"modifiers":modifiers}))
            .await;
    }
}

async fn ctrl(ws: &mut Ws, letter: &str) {
    let code = format!("Key{}", letter.to_uppercase());
    key(ws, letter, &code, json!({"ctrl": true})).await;
}

async fn type_text(ws: &mut Ws, text: &str) {
    ws.send(json!({"type":"text","text":text})).await;
}

/// Whether a rectangle of a `masks` message contains the point.
pub(crate) fn covers(rects: &Value, (x, y): (f64, f64)) -> bool {
    rects.as_array().is_some_and(|a| {
        a.iter().any(|r| {
            let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
            x >= f("x") && y >= f("y") && x <= f("x") + f("width") && y <= f("y") + f("height")
        })
    })
}

/// How many pixels of the frame are the page's magenta.
fn magenta(jpeg: &[u8]) -> usize {
    let image = turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::RGB).expect("valid JPEG");
    image.pixels.chunks_exact(3).filter(|p| p[0] > 170 && p[1] < 110 && p[2] > 170).count()
}

/// The next agent frame's magenta count.
async fn next_magenta(agent: &mut Ws) -> usize {
    agent.wait_frame().await;
    let (_, jpeg) = agent.last_frame.take().expect("a frame was just received");
    magenta(&jpeg)
}

/// Waits (frame by frame) until the agent's frames show the magenta block or stop showing it.
pub(crate) async fn wait_agent_magenta(agent: &mut Ws, shown: bool) {
    for _ in 0..600 {
        if (next_magenta(agent).await > 2000) == shown {
            return;
        }
    }
    panic!("the agent's frames never {} the magenta block", if shown { "showed" } else { "hid" });
}

pub(crate) async fn get(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
) -> (StatusCode, Value) {
    let res = client.get(app.url(path)).send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn delete(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
) -> (StatusCode, Value) {
    let res = client.delete(app.url(path)).send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

on_both_backends!(only_a_companys_admins_manage_its_rules_and_bad_rules_are_refused);
async fn only_a_companys_admins_manage_its_rules_and_bad_rules_are_refused(backend: Backend) {
    let app = TestApp::spawn_on(backend, |_| {}).await;
    let admin = app.demo_agent().await;
    app.add_company_with_agent("other", "ann@other.example", "a long enough password").await;
    app.add_company_with(
        "third",
        "boss@third.example",
        "a long enough password",
        model::AgentRole::Admin,
    )
    .await;
    let agent = app.login("ann@other.example", "a long enough password").await;
    let foreign_admin = app.login("boss@third.example", "a long enough password").await;

    let (status, body) = app
        .post(
            &admin,
            "/api/v1/rules",
            json!({"kind":"mask","selector":" #iban ","url_pattern":"*.shop.test/pay/*"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("rul_"), "{body}");
    assert_eq!(body["selector"], "#iban");
    assert_eq!(body["url_pattern"], "*.shop.test/pay/*");
    let (status, body) =
        app.post(&admin, "/api/v1/rules", json!({"kind":"block","selector":"#delete"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["url_pattern"], "*");

    let (status, body) = get(&app, &admin, "/api/v1/rules").await;
    assert_eq!(status, StatusCode::OK);
    let rules = body["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "{body}");
    assert_eq!(rules[0]["id"], id.as_str());
    assert_eq!(rules[0]["kind"], "mask");

    // Bad rules: a clear 400 (or 409 for the same rule twice), and nothing stored.
    for (body, code, needle) in [
        (json!({"kind":"mask","selector":"a{b}"}), "invalid_request", "cannot contain"),
        (json!({"kind":"mask","selector":"#a","url_pattern":"ftp://x"}), "invalid_request", "ftp"),
        (json!({"kind":"mask","selector":""}), "invalid_request", "empty"),
        // Well-formed to the light check, but not CSS Chromium can apply.
        (
            json!({"kind":"mask","selector":"input[name=card number]"}),
            "invalid_request",
            "is not a valid selector",
        ),
        (json!({"kind":"mask","selector":"li:hoverr"}), "invalid_request", "cannot apply"),
        (json!({"kind":"hide","selector":"#a"}), "invalid_request", "kind"),
        (json!({"kind":"mask","selector":"#a","extra":1}), "invalid_request", "extra"),
        (
            json!({"kind":"mask","selector":"#iban","url_pattern":"*.shop.test/pay/*"}),
            "conflict",
            "already",
        ),
    ] {
        let (status, answer) = app.post(&admin, "/api/v1/rules", body.clone()).await;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::CONFLICT, "{body}");
        assert_eq!(answer["error"], code, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(needle), "{body}: {answer}");
    }
    assert_eq!(get(&app, &admin, "/api/v1/rules").await.1["rules"].as_array().unwrap().len(), 2);

    // Agents who are not admins, strangers and other companies' admins get nowhere.
    let (status, body) = get(&app, &agent, "/api/v1/rules").await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, _) =
        app.post(&agent, "/api/v1/rules", json!({"kind":"mask","selector":"#x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&app, &reqwest::Client::new(), "/api/v1/rules").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = get(&app, &foreign_admin, "/api/v1/rules").await;
    assert_eq!((status, body["rules"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (status, body) = delete(&app, &foreign_admin, &format!("/api/v1/rules/{id}")).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let res = admin
        .post(app.url("/api/v1/rules"))
        .header("Origin", "https://evil.example")
        .json(&json!({"kind":"mask","selector":"#x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (status, _) = delete(&app, &admin, &format!("/api/v1/rules/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = delete(&app, &admin, &format!("/api/v1/rules/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = delete(&app, &admin, "/api/v1/rules/not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, &admin, "/api/v1/rules").await.1["rules"].as_array().unwrap().len(), 1);

    // Every change is in the company's audit log, with who made it.
    let store = app.store().await;
    let events = store.audit_events(None, 50).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "rule_created").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "rule_deleted").count(), 1, "{kinds:?}");
    assert!(events.iter().filter(|e| e.kind.starts_with("rule_")).all(|e| e.agent.is_some()));
    app.stop().await;
}

#[tokio::test]
async fn a_rule_made_during_a_session_masks_and_blocks_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let (_s, _t, mut customer, mut agent) = app.pair(&app.site.url("rules")).await;
    customer.wait_title("rules").await;
    // Nothing about the magenta block is sensitive: the agent sees it.
    wait_agent_magenta(&mut agent, true).await;

    let pattern = format!("{}/rules", app.site.addr.ip());
    let (status, mask) = app
        .post(
            &admin,
            "/api/v1/rules",
            json!({"kind":"mask","selector":"#loyal","url_pattern":pattern}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mask}");
    let (status, body) = app
        .post(&admin, "/api/v1/rules", json!({"kind":"block","selector":"button#archive"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The customer is shown the new mask and the reserved button...
    customer
        .wait_text("masks", |v| covers(&v["masked"], LOYAL) && covers(&v["blocked"], ARCHIVE))
        .await;
    // ...and from then on the agent's frames hide the block, frame after frame.
    wait_agent_magenta(&mut agent, false).await;
    for _ in 0..60 {
        assert!(next_magenta(&mut agent).await < 50, "a frame after the rule showed the block");
    }
    // The button is the customer's alone now.
    agent.click(ARCHIVE.0, ARCHIVE.1).await;
    agent.wait_text("rejected", |v| v["code"] == "blocked").await;
    // The refused click was never dispatched: the page still has its title.
    let archived =
        |ws: &Ws| ws.texts.iter().any(|v| v["type"] == "page" && v["page"]["title"] == "archived");
    assert!(!archived(&customer) && !archived(&agent));
    customer.click(ARCHIVE.0, ARCHIVE.1).await;
    customer.wait_title("archived").await;

    // Removing the rule gives the agent the block back.
    let id = mask["id"].as_str().unwrap();
    let (status, _) = delete(&app, &admin, &format!("/api/v1/rules/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    wait_agent_magenta(&mut agent, true).await;
    app.stop().await;
}

/// On a page that draws nothing new, a rule made during the session reaches the picture the
/// agent already has: it is masked again at once, not when the page next moves.
#[tokio::test]
async fn a_rule_made_while_the_page_is_still_hides_what_the_agent_already_sees() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let (_s, _t, mut customer, mut agent) = app.pair(&app.site.url("rules-still")).await;
    customer.wait_title("rules-still").await;
    wait_agent_magenta(&mut agent, true).await;

    let pattern = format!("{}/rules-still", app.site.addr.ip());
    let (status, body) = app
        .post(
            &admin,
            "/api/v1/rules",
            json!({"kind":"mask","selector":"#loyal","url_pattern":pattern}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    customer.wait_text("masks", |v| covers(&v["masked"], LOYAL)).await;
    // The page draws nothing: the agent's last frame comes again, masked (frames of the page's
    // first moments still on their way may come first).
    wait_agent_magenta(&mut agent, false).await;
    app.stop().await;
}

/// Runs the `beside` command line on the test server's data directory, as an operator would
/// beside the running server; its standard output.
fn command_line(app: &TestApp, args: &[&str]) -> String {
    let out = app.command_line(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

on_both_backends!(a_rule_changed_on_the_command_line_reaches_the_running_sessions);
async fn a_rule_changed_on_the_command_line_reaches_the_running_sessions(backend: Backend) {
    let app = TestApp::spawn_on(backend, |_| {}).await;
    let (_s, _t, mut customer, mut agent) = app.pair(&app.site.url("rules-still")).await;
    customer.wait_title("rules-still").await;
    wait_agent_magenta(&mut agent, true).await;

    // Another process adds a rule to the store: the running session applies it.
    let pattern = format!("{}/rules-still", app.site.addr.ip());
    let created = command_line(
        &app,
        &["rule", "add", "--company", "demo", "--kind", "mask", "--selector", "#loyal"]
            .into_iter()
            .chain(["--url-pattern", pattern.as_str()])
            .collect::<Vec<_>>(),
    );
    let id = created.split_whitespace().nth(2).unwrap().trim_end_matches(':').to_owned();
    assert!(id.starts_with("rul_"), "{created}");
    customer.wait_text("masks", |v| covers(&v["masked"], LOYAL)).await;
    wait_agent_magenta(&mut agent, false).await;

    // And removes it: the session stops masking it.
    command_line(&app, &["rule", "remove", "--company", "demo", &id]);
    customer.wait_text("masks", |v| !covers(&v["masked"], LOYAL)).await;

    // Both changes are audited, as made on the command line.
    let store = app.store().await;
    let events = store.audit_events(None, 50).await.unwrap();
    for kind in ["rule_created", "rule_deleted"] {
        let event = events.iter().find(|e| e.kind == kind).unwrap_or_else(|| panic!("{kind}"));
        assert_eq!(event.detail, json!({"rule_id": id, "via": "command_line"}), "{kind}");
        assert_eq!(event.agent, None);
        assert!(event.company.is_some());
    }
    app.stop().await;
}

#[tokio::test]
async fn agents_never_get_masked_values_through_the_address_title_or_clipboard() {
    let app = TestApp::spawn().await;
    let (_s, _t, mut customer, mut agent) = app.pair(&app.site.url("rules")).await;
    customer.wait_title("rules").await;
    customer.seen_or_wait_text("masks", |v| covers(&v["masked"], IBAN)).await;

    // The page echoes the IBAN into its title: the customer sees it, the agent does not.
    customer.click(IBAN.0, IBAN.1).await;
    type_text(&mut customer, "NL91ABNA0417164300").await;
    customer.wait_title("Pay to NL91ABNA0417164300").await;
    agent.wait_title("Pay to •••").await;
    assert!(
        !agent.texts.iter().any(|v| v.to_string().contains("NL91ABNA")),
        "the agent was told the IBAN: {:?}",
        agent.texts
    );

    // The customer copies it: their own clipboard gets it.
    ctrl(&mut customer, "a").await;
    ctrl(&mut customer, "c").await;
    let copied = customer.wait_text("clipboard", |_| true).await;
    assert_eq!(copied["text"], "NL91ABNA0417164300");
    // The agent can neither paste it nor copy anything that touches it.
    agent.click(NOTE.0, NOTE.1).await;
    ctrl(&mut agent, "v").await;
    agent.wait_text("rejected", |v| v["code"] == "masked_field").await;
    type_text(&mut agent, "x").await;
    agent.wait_title("note:x").await;
    agent.click(EMPTY.0, EMPTY.1).await;
    ctrl(&mut agent, "a").await;
    ctrl(&mut agent, "c").await;
    let n_rejected = |ws: &Ws| {
        ws.texts.iter().filter(|v| v["type"] == "rejected" && v["code"] == "masked_field").count()
    };
    let before = n_rejected(&agent);
    agent.wait_text("rejected", |v| v["code"] == "masked_field").await;
    assert_eq!(n_rejected(&agent), before + 1);
    // Plain text is the agent's to copy, and the customer's to paste.
    agent.click(NOTE.0, NOTE.1).await;
    ctrl(&mut agent, "a").await;
    ctrl(&mut agent, "c").await;
    assert_eq!(agent.wait_text("clipboard", |_| true).await["text"], "x");
    // (One page, one focus: the note field, its "x" still selected.)
    key(&mut customer, "End", "End", json!({})).await;
    ctrl(&mut customer, "v").await;
    customer.wait_title("note:xx").await;
    assert!(!agent.texts.iter().any(|v| v.to_string().contains("NL91ABNA")));

    // A form that puts a card number and a CVC into the address.
    customer.click(NUMBER.0, NUMBER.1).await;
    type_text(&mut customer, "4111111111111111").await;
    customer.click(CVC.0, CVC.1).await;
    type_text(&mut customer, "123").await;
    key(&mut customer, "Enter", "Enter", json!({})).await;
    let seen = customer
        .wait_text("page", |v| {
            v["page"]["url"].as_str().is_some_and(|u| u.contains("number=4111111111111111"))
        })
        .await;
    assert!(seen["page"]["url"].as_str().unwrap().contains("cvc=123"), "{seen}");
    let page = agent
        .wait_text("page", |v| v["page"]["url"].as_str().is_some_and(|u| u.contains("number=")))
        .await;
    assert!(page["page"]["url"].as_str().unwrap().ends_with("/rules?number=•••&cvc=•••"), "{page}");
    assert!(!agent.texts.iter().any(|v| v.to_string().contains("4111111111111111")));

    // Another session's customer pastes nothing of this session's clipboard.
    let other = app.start_session_at(Some(&app.site.url("rules"))).await;
    let mut stranger = app.connect(&other.session_id, &other.customer_token).await;
    stranger.wait_welcome().await;
    stranger.wait_title("rules").await;
    stranger.click(NOTE.0, NOTE.1).await;
    ctrl(&mut stranger, "v").await;
    type_text(&mut stranger, "y").await;
    stranger.wait_title("note:y").await;
    app.stop().await;
}
