//! Point-and-click rules (F20) through the HTTP API: drafts, publishing and rolling back with
//! clear errors for bad input; a rule-picking session that proposes a selector for what the
//! administrator points at, previews the page exactly as an agent sees it with the drafts
//! applied, and a published mask that reaches a customer's live session.

use crate::rules::{delete, get, wait_agent_magenta, LOYAL};
use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

async fn audited_kinds(app: &TestApp) -> Vec<String> {
    let events = app.store().await.audit_events(None, 100).await.unwrap();
    assert!(events.iter().filter(|e| e.kind.starts_with("rule")).all(|e| e.agent.is_some()));
    events.into_iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn drafts_publish_and_roll_back_and_bad_input_gets_clear_codes() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    app.add_company_with(
        "third",
        "boss@third.example",
        "a long enough password",
        model::AgentRole::Admin,
    )
    .await;
    let foreign_admin = app.login("boss@third.example", "a long enough password").await;
    app.add_company_with_agent("other", "ann@other.example", "a long enough password").await;
    let agent = app.login("ann@other.example", "a long enough password").await;

    for (body, status, code) in [
        (json!({"kind":"mask","selector":"a{b}"}), StatusCode::BAD_REQUEST, "invalid_selector"),
        (json!({"kind":"mask","selector":"  "}), StatusCode::BAD_REQUEST, "invalid_selector"),
        (
            json!({"kind":"mask","selector":"li:hoverr"}),
            StatusCode::BAD_REQUEST,
            "invalid_selector",
        ),
        (
            json!({"kind":"mask","selector":"#a","url_pattern":"ftp://x"}),
            StatusCode::BAD_REQUEST,
            "invalid_url_pattern",
        ),
        (
            json!({"kind":"mask","selector":"#a","url_pattern":"shop.test/?q=1"}),
            StatusCode::BAD_REQUEST,
            "invalid_url_pattern",
        ),
        (
            json!({"kind":"mask","selector":"#a","rule_id":"rul_nothere"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ] {
        let (got, answer) = app.post(&admin, "/api/v1/rules/drafts", body.clone()).await;
        assert_eq!((got, answer["error"].as_str()), (status, Some(code)), "{body}: {answer}");
    }
    let (status, body) = app.post(&admin, "/api/v1/rules/publish", json!({})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("no_drafts")));

    // A draft is no rule until published.
    let (status, draft) = app
        .post(
            &admin,
            "/api/v1/rules/drafts",
            json!({"kind":"mask","selector":"#loyal","url_pattern":"shop.test/account/*"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert!(draft["id"].as_str().unwrap().starts_with("drf_"), "{draft}");
    let (_, drafts) = get(&app, &admin, "/api/v1/rules/drafts").await;
    assert_eq!(drafts["drafts"].as_array().unwrap().len(), 1, "{drafts}");
    assert_eq!(get(&app, &admin, "/api/v1/rules").await.1["rules"], json!([]));
    let (status, published) = app.post(&admin, "/api/v1/rules/publish", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    let rule = published["rules"][0].clone();
    assert_eq!((rule["selector"].as_str(), rule["version"].as_i64()), (Some("#loyal"), Some(1)));
    let id = rule["id"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, &admin, "/api/v1/rules/drafts").await.1["drafts"], json!([]));

    // Nothing to roll back to yet.
    let rollback = format!("/api/v1/rules/{id}/rollback");
    let (status, body) = app.post(&admin, &rollback, json!({})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("no_history")));

    // A published change rolls back to the version before it.
    let change = json!({"kind":"block","selector":"#archive","url_pattern":"*","rule_id":id});
    let (status, body) = app.post(&admin, "/api/v1/rules/drafts", change).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, published) = app.post(&admin, "/api/v1/rules/publish", json!({})).await;
    assert_eq!(published["rules"][0]["version"], 2, "{published}");
    assert_eq!(published["rules"][0]["kind"], "block", "{published}");
    let (status, body) = app.post(&foreign_admin, &rollback, json!({})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, body) = app.post(&agent, &rollback, json!({})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, back) = app.post(&admin, &rollback, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!((back["kind"].as_str(), back["selector"].as_str()), (Some("mask"), Some("#loyal")));
    assert_eq!(back["url_pattern"], "shop.test/account/*");
    assert_eq!(get(&app, &admin, "/api/v1/rules").await.1["rules"][0]["version"], 1);

    // A discarded draft is gone; another company's draft cannot be discarded.
    let (_, draft) =
        app.post(&admin, "/api/v1/rules/drafts", json!({"kind":"mask","selector":"#x"})).await;
    let path = format!("/api/v1/rules/drafts/{}", draft["id"].as_str().unwrap());
    assert_eq!(delete(&app, &foreign_admin, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(delete(&app, &admin, &path).await.0, StatusCode::NO_CONTENT);
    assert_eq!(delete(&app, &admin, &path).await.0, StatusCode::NOT_FOUND);

    let kinds = audited_kinds(&app).await;
    for (kind, n) in [
        ("rule_drafted", 3),
        ("rules_published", 2),
        ("rule_rolled_back", 1),
        ("rule_draft_discarded", 1),
    ] {
        assert_eq!(kinds.iter().filter(|k| *k == kind).count(), n, "{kind}: {kinds:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_mask_made_by_pointing_is_previewed_then_published_to_live_agents() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let (_s, _t, mut customer, mut agent) = app.pair(&app.site.url("rules")).await;
    customer.wait_title("rules").await;
    // Nothing detects the magenta block as sensitive: the agent sees it.
    wait_agent_magenta(&mut agent, true).await;

    // The administrator opens the same page in a session of their own.
    let (status, body) = app
        .post(&reqwest::Client::new(), "/api/v1/picker", json!({"url": app.site.url("rules")}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, opened) =
        app.post(&admin, "/api/v1/picker", json!({"url": app.site.url("rules")})).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let id = opened["session_id"].as_str().unwrap().to_owned();
    let mut own = app.connect(&id, opened["token"].as_str().unwrap()).await;
    own.wait_welcome().await;
    own.wait_title("rules").await;
    // Nobody else can join it by its id.
    let (status, _) = app.post(&admin, &format!("/api/v1/sessions/{id}/join"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Pointing at the block proposes its id, which finds one element.
    let inspect = format!("/api/v1/picker/{id}/inspect");
    let (status, found) = app.post(&admin, &inspect, json!({"x": LOYAL.0, "y": LOYAL.1})).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["candidates"][0]["selector"], "#loyal", "{found}");
    assert_eq!(found["matches"]["count"], 1, "{found}");
    // Wider: any div of the page; a selector the browser cannot parse is refused.
    let matches = format!("/api/v1/picker/{id}/matches");
    let (status, body) = app.post(&admin, &matches, json!({"selector": "div"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["count"].as_u64().unwrap() >= 2, "{body}");
    for selector in ["a{", "li:hoverr"] {
        let (status, body) = app.post(&admin, &matches, json!({"selector": selector})).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_selector"))
        );
    }

    // Seen as an agent, with a draft that masks it: hidden there, still shown to live agents.
    let (status, preview) =
        app.post(&admin, &format!("/api/v1/picker/{id}/preview"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let mut as_agent = app.connect(&id, preview["token"].as_str().unwrap()).await;
    as_agent.wait_welcome().await;
    wait_agent_magenta(&mut as_agent, true).await;
    let pattern = format!("{}/rules", app.site.addr.ip());
    let draft = json!({"kind":"mask","selector":"#loyal","url_pattern":pattern});
    let (status, body) = app.post(&admin, "/api/v1/rules/drafts", draft).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    wait_agent_magenta(&mut as_agent, false).await;
    wait_agent_magenta(&mut agent, true).await;

    // Published, it reaches the customer's session.
    let (status, body) = app.post(&admin, "/api/v1/rules/publish", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_agent_magenta(&mut agent, false).await;

    // Another admin's, or an ended, picking session is not found.
    app.add_company_with(
        "third",
        "boss@third.example",
        "a long enough password",
        model::AgentRole::Admin,
    )
    .await;
    let foreign_admin = app.login("boss@third.example", "a long enough password").await;
    let (status, _) = app.post(&foreign_admin, &inspect, json!({"x": 1, "y": 1})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        delete(&app, &admin, &format!("/api/v1/picker/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    // (Gone at once, or ended while the registry forgets it.)
    let (status, _) = app.post(&admin, &inspect, json!({"x": 1, "y": 1})).await;
    assert!(status == StatusCode::NOT_FOUND || status == StatusCode::GONE, "{status}");
    // It left no session record behind.
    let store = app.store().await;
    assert!(store.session(&id.parse().unwrap()).await.unwrap().is_none());
    assert_eq!(audited_kinds(&app).await.iter().filter(|k| *k == "rule_picker_opened").count(), 1);
    app.stop().await;
}
