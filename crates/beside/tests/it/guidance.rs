//! Guidance and the customer's say with the real server and Chromium: chat, annotations,
//! control, the privacy pause, approving agents, a second agent, and bad input.

use crate::support::{TestApp, Ws};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Receives until the connection has been quiet of frames for a moment; returns how many
/// frames came meanwhile.
async fn frames_within(ws: &mut Ws, ms: u64) -> usize {
    let before = ws.n_frames;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(ms);
    let _ = tokio::time::timeout_at(deadline, ws.wait_for("nothing", |_| None::<()>)).await;
    ws.n_frames - before
}

#[tokio::test]
async fn chat_goes_both_ways_keeps_its_text_and_survives_a_reconnect() {
    let app = TestApp::spawn().await;
    let (started, agent_token, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    let order = "Bestellnummer SN-0O1l|I 4711 <b>&amp;</b>";
    customer.send(json!({"type": "chat", "text": order})).await;
    let got = agent.wait_text("chat", |v| v["entry"]["kind"] == "text").await;
    assert_eq!(got["entry"]["text"], order);
    assert_eq!(got["entry"]["role"], "customer");
    agent.send(json!({"type": "chat", "text": "Danke! https://example.com/help"})).await;
    let got = customer.wait_text("chat", |v| v["entry"]["role"] == "agent").await;
    assert_eq!(got["entry"]["name"], "Alex Demo");

    // The agent reconnects: the chat so far comes with the welcome.
    drop(agent);
    let mut again = app.connect(&started.session_id, &agent_token).await;
    let history = again.wait_text("chat_history", |_| true).await;
    let texts: Vec<&Value> = history["entries"].as_array().unwrap().iter().collect();
    assert!(texts.iter().any(|e| e["kind"] == "system" && e["event"] == "joined"));
    assert!(texts.iter().any(|e| e["text"] == order));
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_code_and_the_session_goes_on() {
    let app = TestApp::spawn().await;
    let (_, _, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    // A 1 MB chat message: too large for the protocol; the connection stays open.
    agent.send(json!({"type": "chat", "text": "x".repeat(1 << 20)})).await;
    agent.wait_text("error", |v| v["code"] == "message_too_large").await;
    agent.send(json!({"type": "chat", "text": "x".repeat(2001)})).await;
    agent.wait_text("rejected", |v| v["code"] == "chat_too_long").await;
    // An annotation with 100,000 points, and one with more points than a stroke may have.
    let points: Vec<[f64; 2]> = vec![[1.0, 2.0]; 100_000];
    agent.send(json!({"type": "annotate", "id": 1, "kind": "pen", "points": points})).await;
    agent.wait_text("error", |v| v["code"] == "message_too_large").await;
    let points: Vec<[u8; 2]> = vec![[1, 2]; 3000];
    agent.send(json!({"type": "annotate", "id": 2, "kind": "pen", "points": points})).await;
    agent.wait_text("rejected", |v| v["code"] == "too_many_points").await;
    // NaN is not JSON; a number beyond f64 is not one either.
    let nan = r#"{"type":"annotate","id":3,"kind":"pen","points":[[NaN,1]]}"#;
    agent.send_raw(tokio_tungstenite::tungstenite::Message::Text(nan.into())).await;
    agent.wait_text("error", |v| v["code"] == "invalid_message").await;
    // What is the customer's to decide, asked by the agent; control asked by the customer.
    let customer_id = customer.texts[0]["you"]["id"].clone();
    let agent_id = agent.texts[0]["you"]["id"].clone();
    for msg in [
        json!({"type": "set_control", "agent": agent_id, "granted": true}),
        json!({"type": "set_paused", "paused": true}),
        json!({"type": "admit", "participant": customer_id, "approved": true}),
    ] {
        agent.send(msg).await;
        agent.wait_text("rejected", |v| v["code"] == "customer_only").await;
        agent.texts.clear();
    }
    customer.send(json!({"type": "request_control"})).await;
    customer.wait_text("rejected", |v| v["code"] == "agent_only").await;
    // The session goes on: chat still works both ways, and the agent still drives the page.
    agent.send(json!({"type": "chat", "text": "still here"})).await;
    customer.wait_text("chat", |v| v["entry"]["text"] == "still here").await;
    agent.click(10.0, 10.0).await;
    customer.wait_title("clicks:1").await;
    app.stop().await;
}

#[tokio::test]
async fn control_revoked_keeps_the_agents_click_off_the_page_and_granted_lets_it_on() {
    let app = TestApp::spawn().await;
    let (_, _, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    customer.wait_title("clicks:0").await;
    let agent_id = agent.texts[0]["you"]["id"].clone();
    customer.send(json!({"type": "set_control", "agent": agent_id, "granted": false})).await;
    agent.wait_text("participants", |v| v["participants"][1]["control"] == false).await;
    agent.click(10.0, 10.0).await;
    agent.wait_text("rejected", |v| v["code"] == "no_control").await;
    // The customer's own click is the first the page counts.
    customer.click(20.0, 20.0).await;
    customer.wait_title("clicks:1").await;
    customer.send(json!({"type": "set_control", "agent": agent_id, "granted": true})).await;
    agent.wait_text("participants", |v| v["participants"][1]["control"] == true).await;
    agent.click(10.0, 10.0).await;
    customer.wait_title("clicks:2").await;
    let audit = app.audited("control_granted").await;
    assert!(audit.iter().any(|e| e.kind == "control_revoked"));
    app.stop().await;
}

#[tokio::test]
async fn a_paused_agent_gets_no_frame_while_the_customer_acts_and_the_picture_on_resume() {
    let app = TestApp::spawn().await;
    let (_, _, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    agent.wait_frame().await;
    customer.send(json!({"type": "set_paused", "paused": true})).await;
    agent.wait_text("paused", |v| v["paused"] == true).await;
    let n_before = agent.n_frames;
    // The customer acts: each click changes the page, and the customer sees it.
    for n in 1..=3 {
        customer.click(20.0, 20.0).await;
        customer.wait_title(&format!("clicks:{n}")).await;
        customer.wait_frame().await;
    }
    assert_eq!(frames_within(&mut agent, 1500).await, 0);
    assert_eq!(agent.n_frames, n_before, "no frame after the pause");
    assert!(
        !agent.texts.iter().any(|v| v["type"] == "page" && v["page"]["title"] == "clicks:1"),
        "no title while paused"
    );
    agent.click(10.0, 10.0).await;
    agent.wait_text("rejected", |v| v["code"] == "paused").await;
    customer.send(json!({"type": "set_paused", "paused": false})).await;
    agent.wait_text("page", |v| v["page"]["title"] == "clicks:3").await;
    let first = agent.wait_frame().await;
    assert!(first.seq > 0);
    let audit = app.audited("view_resumed").await;
    assert!(audit.iter().any(|e| e.kind == "view_paused"));
    app.stop().await;
}

#[tokio::test]
async fn with_approval_required_an_agent_waits_is_let_in_or_turned_away() {
    let app = TestApp::spawn().await;
    app.set_policy("demo", store::SessionPolicy { pin_approval: true, ..Default::default() }).await;
    let started = app.start_session_at(Some(&app.site.url("click"))).await;
    let mut customer = app.connect(&started.session_id, &started.customer_token).await;
    customer.wait_welcome().await;
    let anna = app.demo_agent().await;
    let (status, body) = app.join(&anna, &started.pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["waiting"], true);
    let mut agent = app.connect(&started.session_id, body["agent_token"].as_str().unwrap()).await;
    let welcome = agent.wait_welcome().await;
    assert_eq!(welcome["you"]["waiting"], true);
    assert_eq!(welcome["page"]["url"], "");
    let waiting = customer
        .wait_text("participants", |v| {
            v["participants"].as_array().unwrap().iter().any(|p| p["waiting"] == true)
        })
        .await;
    let agent_id = waiting["participants"][1]["id"].clone();
    assert_eq!(frames_within(&mut agent, 1000).await, 0, "a waiting agent sees nothing");
    // The PIN is used: nobody else gets in with it.
    let (status, _) = app.join(&app.demo_agent().await, &started.pin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    customer.send(json!({"type": "admit", "participant": agent_id, "approved": true})).await;
    let welcome = agent.wait_text("welcome", |v| v["you"]["waiting"] == false).await;
    assert!(welcome["page"]["url"].as_str().unwrap().ends_with("/click"));
    agent.wait_frame().await;
    agent.click(10.0, 10.0).await;
    customer.wait_title("clicks:1").await;

    // A second agent asks to join by the session's id; the customer turns them away.
    let carl = app.add_agent_to("demo", "carl@demo.example", "Carl Super").await;
    let path = format!("/api/v1/sessions/{}/join", started.session_id);
    let (status, body) = app.post(&carl, &path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["waiting"], true);
    let carl_token = body["agent_token"].as_str().unwrap().to_owned();
    let mut carl_ws = app.connect(&started.session_id, &carl_token).await;
    carl_ws.wait_welcome().await;
    let listed = customer
        .wait_text("participants", |v| {
            v["participants"].as_array().unwrap().iter().any(|p| p["name"] == "Carl Super")
        })
        .await;
    let carl_id = listed["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Carl Super")
        .unwrap()["id"]
        .clone();
    customer.send(json!({"type": "admit", "participant": carl_id, "approved": false})).await;
    carl_ws.wait_text("denied", |_| true).await;
    carl_ws.wait_closed().await;
    let (status, body) = app.ticket(&started.session_id, &carl_token).await;
    assert_eq!(
        status,
        StatusCode::GONE,
        "a denied agent's token no longer opens the session: {body}"
    );
    let record = app
        .store()
        .await
        .session(&model::SessionId::parse(&started.session_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(record.joined_at.is_some());
    app.stop().await;
}

#[tokio::test]
async fn a_second_agent_joins_with_a_new_pin_with_their_own_cursor_colour_and_control() {
    let app = TestApp::spawn().await;
    let (started, _, mut customer, mut first) = app.pair(&app.site.url("click")).await;
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/sessions/{}/pin", started.session_id)))
        .bearer_auth(&started.customer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let renewed: Value = res.json().await.unwrap();
    let new_pin = renewed["pin"].as_str().unwrap();
    assert_ne!(new_pin, started.pin);
    let carl = app.add_agent_to("demo", "carl@demo.example", "Carl Super").await;
    let (status, body) = app.join(&carl, new_pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut second = app.connect(&started.session_id, body["agent_token"].as_str().unwrap()).await;
    let welcome = second.wait_welcome().await;
    let list = welcome["participants"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    let colors: std::collections::HashSet<u64> =
        list.iter().map(|p| p["color"].as_u64().unwrap()).collect();
    assert_eq!(colors.len(), 3, "each has their own colour");
    let second_id = welcome["you"]["id"].clone();
    // The customer sees everyone; revoking one agent's control leaves the other's.
    customer
        .wait_text("participants", |v| {
            v["participants"].as_array().unwrap().len() == 3
                && v["participants"][2]["connected"] == true
        })
        .await;
    customer.send(json!({"type": "set_control", "agent": second_id, "granted": false})).await;
    second.wait_text("participants", |v| v["participants"][2]["control"] == false).await;
    second.click(10.0, 10.0).await;
    second.wait_text("rejected", |v| v["code"] == "no_control").await;
    first.click(10.0, 10.0).await;
    customer.wait_title("clicks:1").await;
    second.send(json!({"type": "pointer", "kind": "move", "x": 50, "y": 60})).await;
    let cursor = customer.wait_text("cursor", |v| v["name"] == "Carl Super").await;
    assert_eq!((cursor["x"].as_f64(), cursor["y"].as_f64()), (Some(50.0), Some(60.0)));
    // An agent's token cannot make a PIN.
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/sessions/{}/pin", started.session_id)))
        .bearer_auth(body["agent_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn annotations_reach_the_others_and_clear_when_the_page_changes() {
    let app = TestApp::spawn().await;
    let (_, _, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    customer.wait_title("clicks:0").await;
    agent
        .send(json!({"type": "annotate", "id": 1, "kind": "rect", "points": [[10, 900], [200, 950]], "done": true}))
        .await;
    let got = customer.wait_text("annotation", |_| true).await;
    assert_eq!(got["stroke"]["kind"], "rect");
    assert_eq!(got["stroke"]["points"][1], json!([200.0, 950.0]));
    agent.send(json!({"type": "annotate", "id": 2, "kind": "laser", "points": [[5, 5]]})).await;
    customer.wait_text("annotation", |v| v["stroke"]["kind"] == "laser").await;
    customer.navigate(&app.site.url("typed")).await;
    agent.wait_text("annotations_cleared", |_| true).await;
    app.stop().await;
}

#[tokio::test]
async fn a_kept_transcript_is_read_by_staff_of_the_company_only() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let (status, body) = app.post(&admin, "/api/v1/company", json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let patch = |body: Value| {
        let admin = admin.clone();
        let url = app.url("/api/v1/company");
        async move {
            let res = admin.patch(url).json(&body).send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = patch(json!({"chat": {"transcripts": "keep"}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["chat"]["transcripts"], "keep");
    assert_eq!(body["pin"]["approval"], false);
    assert_eq!(body["control"]["agents_start_with_control"], true);
    let (status, body) = patch(json!({"chat": {"transcripts": "forever"}})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, _) = patch(json!({"pin": {"colour": 8}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown settings are refused");

    let (started, _, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    customer.send(json!({"type": "chat", "text": "IBAN is not for the chat"})).await;
    agent.wait_text("chat", |v| v["entry"]["kind"] == "text").await;
    customer.send(json!({"type": "end"})).await;
    customer.wait_text("ended", |_| true).await;
    let url = app.url(&format!("/api/v1/sessions/{}/transcript", started.session_id));
    let kept: Value = admin.get(&url).send().await.unwrap().json().await.unwrap();
    let entries = kept["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["kind"] == "text" && e["body"] == "IBAN is not for the chat"));
    app.add_company_with_agent("other", "o@other.example", "a long enough password").await;
    let stranger = app.login("o@other.example", "a long enough password").await;
    let res = stranger.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A plain agent reads the settings but cannot change them.
    let plain = app.add_agent_to("demo", "plain@demo.example", "Plain").await;
    let res = plain.patch(app.url("/api/v1/company")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = plain.get(app.url("/api/v1/company")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn agents_start_without_control_when_the_company_says_so_and_ask_for_it() {
    let app = TestApp::spawn().await;
    let policy = store::SessionPolicy { agents_start_with_control: false, ..Default::default() };
    app.set_policy("demo", policy).await;
    let (_, _, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    assert_eq!(agent.texts[0]["you"]["control"], false);
    agent.click(10.0, 10.0).await;
    agent.wait_text("rejected", |v| v["code"] == "no_control").await;
    agent.send(json!({"type": "request_control"})).await;
    let asked = customer
        .wait_text("participants", |v| v["participants"][1]["control_requested"] == true)
        .await;
    customer.wait_text("chat", |v| v["entry"]["event"] == "control_requested").await;
    let agent_id = asked["participants"][1]["id"].clone();
    customer.send(json!({"type": "set_control", "agent": agent_id, "granted": true})).await;
    agent.wait_text("participants", |v| v["participants"][1]["control"] == true).await;
    agent.click(10.0, 10.0).await;
    customer.wait_title("clicks:1").await;
    assert!(!customer.texts.iter().any(|v| matches!(v["type"].as_str(), Some("error"))));
    app.stop().await;
}
