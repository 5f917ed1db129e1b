//! No page can stall a session (issue 10): a dialog or a script that never ends holds up
//! neither person, and the page is recovered.

use crate::support::TestApp;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// What recovering a stuck page may take at most: an input's deadline (1.5 s), a probe and
/// the script's stop (1 s each), and the new page's load, on a busy machine.
const RECOVERED_WITHIN: Duration = Duration::from_secs(10);

fn at(path: &'static str) -> impl Fn(&Value) -> bool {
    move |v: &Value| v["page"]["url"].as_str().is_some_and(|u| u.ends_with(path))
}

// See: issue 10 — a page that called `alert()` froze the session for both people; the
// customer's navigation waited 30 s behind three of the agent's clicks.
#[tokio::test]
async fn issue_10_a_page_with_alert_or_an_endless_script_holds_up_neither_person() {
    let app = TestApp::spawn().await;
    for page in ["alert", "endless"] {
        let (_, _, mut customer, mut agent) = app.pair(&app.site.url(page)).await;
        customer.seen_or_wait_text("page", |v| at(page)(v) && v["page"]["loading"] == false).await;
        customer.wait_frame().await;
        // The customer presses the page's button: an alert opens (for the customer to
        // answer), or a script starts that never ends.
        customer.click(200.0, 200.0).await;
        if page == "alert" {
            customer.wait_text("dialog", |v| v["message"] == "hello").await;
            agent.wait_text("customer_dialog", |v| v["open"] == true).await;
        } else {
            customer.wait_text("page", |v| v["page"]["title"] == "looping").await;
        }
        // More presses (into a page whose dialog is open they are refused); the agent
        // navigates meanwhile, which closes the dialog as in a browser.
        for _ in 0..3 {
            customer.click(200.0, 200.0).await;
        }
        let began = Instant::now();
        agent.navigate(&app.site.url("click")).await;
        customer.wait_text("page", |v| at("/click")(v) && v["page"]["title"] == "clicks:0").await;
        assert!(
            began.elapsed() < RECOVERED_WITHIN,
            "{page}: navigating took {:?}",
            began.elapsed()
        );
        if page == "alert" {
            customer.seen_or_wait_text("dialog_closed", |_| true).await;
            agent.seen_or_wait_text("customer_dialog", |v| v["open"] == false).await;
        }
        // The page takes input again.
        customer.wait_frame().await;
        customer.click(200.0, 200.0).await;
        agent.wait_text("page", |v| v["page"]["title"] == "clicks:1").await;
        if page == "endless" {
            // Both were told that the page hung and what was done.
            for ws in [&mut customer, &mut agent] {
                ws.seen_or_wait_text("page_recovered", |v| v["recovery"] == "script_stopped").await;
            }
        }
    }
    let metrics = app.metrics().await;
    let recoveries: Vec<&str> = metrics.lines().filter(|l| l.contains("beside_page_")).collect();
    assert!(
        recoveries.iter().any(|l| l.starts_with("beside_page_dialogs_total")),
        "the dialog is not counted: {recoveries:?}"
    );
    assert!(
        recoveries
            .iter()
            .any(|l| l.starts_with("beside_page_recoveries_total{what=\"script_stopped\"}")),
        "the endless script was not stopped: {recoveries:?}"
    );
    app.stop().await;
}

// See: issue 10 — a hung renderer was found only when someone sent it input.
#[tokio::test]
async fn issue_10_a_script_a_timer_starts_while_nobody_acts_is_found_and_stopped() {
    let app = TestApp::spawn().await;
    let (_, _, mut customer, mut agent) = app.pair(&app.site.url("timer-endless")).await;
    customer.wait_text("page", |v| v["page"]["title"] == "looping").await;
    let began = Instant::now();
    // Nobody acts: the watchdog finds the page hung and stops its script.
    let stopped = "beside_page_recoveries_total{what=\"script_stopped\"}";
    loop {
        if app.metrics().await.lines().any(|l| l.starts_with(stopped)) {
            break;
        }
        assert!(began.elapsed() < RECOVERED_WITHIN * 2, "the hung page was not found");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Both are told, and the page answers again.
    for ws in [&mut customer, &mut agent] {
        ws.seen_or_wait_text("page_recovered", |v| v["recovery"] == "script_stopped").await;
    }
    customer.click(200.0, 200.0).await;
    agent.wait_text("page", |v| v["page"]["title"] == "pressed").await;
    app.stop().await;
}

// See: issue 10 — a page whose script could not be stopped had its renderer crashed and was
// loaded again at once, losing what the customer had entered, without asking them.
#[tokio::test]
async fn issue_10_a_page_that_keeps_hanging_is_loaded_again_once_the_customer_agrees() {
    let app = TestApp::spawn().await;
    let (_, _, mut customer, mut agent) = app.pair(&app.site.url("spinning")).await;
    customer
        .seen_or_wait_text("page", |v| at("spinning")(v) && v["page"]["loading"] == false)
        .await;
    customer.wait_frame().await;
    // Nothing to answer yet.
    customer.send(json!({"type": "reload_answer", "tab": 1, "reload": true})).await;
    customer.wait_text("rejected", |v| v["code"] == "no_reload_question").await;
    customer.click(200.0, 200.0).await;
    customer.wait_text("page", |v| v["page"]["title"] == "spinning").await;
    // The agent navigates while the page hangs: it waits for the customer's answer.
    agent.navigate(&app.site.url("click")).await;
    let began = Instant::now();
    let asked = customer.wait_text("reload_question", |_| true).await;
    assert!(began.elapsed() < RECOVERED_WITHIN, "asking took {:?}", began.elapsed());
    agent.seen_or_wait_text("hung_page", |v| v["state"] == "asking").await;
    // Only the customer answers.
    agent.send(json!({"type": "reload_answer", "tab": asked["tab"], "reload": true})).await;
    agent.wait_text("rejected", |v| v["code"] == "customer_only").await;
    customer.send(json!({"type": "reload_answer", "tab": asked["tab"], "reload": true})).await;
    for ws in [&mut customer, &mut agent] {
        ws.seen_or_wait_text("page_recovered", |v| v["recovery"] == "reloaded").await;
    }
    agent.seen_or_wait_text("hung_page", |v| v["state"] == "none").await;
    // The page answers again, and the agent's navigation went through.
    customer.wait_text("page", |v| at("/click")(v) && v["page"]["title"] == "clicks:0").await;
    customer.wait_frame().await;
    customer.click(200.0, 200.0).await;
    agent.wait_text("page", |v| v["page"]["title"] == "clicks:1").await;
    let metrics = app.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("beside_page_recoveries_total{what=\"unresponsive\"}")),
        "the page that kept hanging is not counted"
    );
    app.stop().await;
}
