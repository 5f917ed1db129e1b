//! A dropped participant comes back into the same session within the grace period (F30).

use crate::support::TestApp;
use serde_json::{json, Value};

fn connected(participants: &Value, role: &str) -> Option<bool> {
    participants
        .as_array()?
        .iter()
        .find(|p| p["role"] == role)
        .and_then(|p| p["connected"].as_bool())
}

#[tokio::test]
async fn a_dropped_customer_comes_back_and_the_agent_sees_reconnecting_meanwhile() {
    let app = TestApp::spawn().await;
    let (started, _t, customer, mut agent) = app.pair(&app.site.url("click")).await;
    drop(customer);
    agent
        .wait_text("participants", |v| connected(&v["participants"], "customer") == Some(false))
        .await;

    let mut customer = app.connect(&started.session_id, &started.customer_token).await;
    let welcome = customer.wait_welcome().await;
    assert_eq!(welcome["you"]["role"], "customer");
    agent
        .wait_text("participants", |v| connected(&v["participants"], "customer") == Some(true))
        .await;
    // The page kept its state: the same session, the same browser tab.
    customer.click(3.0, 3.0).await;
    agent.wait_title("clicks:1").await;
    customer.wait_frame().await;
    app.stop().await;
}

#[tokio::test]
async fn a_second_connection_of_the_same_person_replaces_the_first() {
    let app = TestApp::spawn().await;
    let (started, _t, mut first, _agent) = app.pair(&app.site.url("click")).await;
    let mut second = app.connect(&started.session_id, &started.customer_token).await;
    second.wait_welcome().await;
    first.wait_closed().await;
    second.click(3.0, 3.0).await;
    second.wait_title("clicks:1").await;
    app.stop().await;
}

#[tokio::test]
async fn a_customer_gone_past_the_grace_period_ends_the_session() {
    let app = TestApp::spawn_with(|c| c.session.reconnect_grace_secs = 1).await;
    let (started, agent_token, customer, mut agent) = app.pair(&app.site.url("click")).await;
    drop(customer);
    let ended = agent.wait_text("ended", |_| true).await;
    assert_eq!(ended["reason"], "customer_left");
    let (status, body) = app.ticket(&started.session_id, &agent_token).await;
    assert_eq!(status, reqwest::StatusCode::GONE, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn an_agent_who_drops_comes_back_with_the_same_token() {
    let app = TestApp::spawn().await;
    let (started, agent_token, mut customer, agent) = app.pair(&app.site.url("click")).await;
    drop(agent);
    customer
        .wait_text("participants", |v| connected(&v["participants"], "agent") == Some(false))
        .await;
    let mut agent = app.connect(&started.session_id, &agent_token).await;
    agent.wait_welcome().await;
    customer
        .wait_text("participants", |v| connected(&v["participants"], "agent") == Some(true))
        .await;
    agent.send(json!({"type":"ping"})).await;
    agent.wait_text("pong", |_| true).await;
    app.stop().await;
}

#[tokio::test]
async fn a_crashed_cloud_browser_is_replaced_and_the_session_goes_on() {
    let app = TestApp::spawn().await;
    let (_started, _t, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    customer.click(3.0, 3.0).await;
    agent.wait_title("clicks:1").await;
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &app.browser_pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The page comes back at the same address in a new browser, for both, and takes input.
    customer.wait_title("clicks:0").await;
    agent.wait_title("clicks:0").await;
    agent.click(3.0, 3.0).await;
    customer.wait_title("clicks:1").await;
    customer.wait_frame().await;
    let metrics = app.metrics().await;
    assert!(metrics.contains("beside_browser_restarts_total 1"), "{metrics}");
    app.stop().await;
}
