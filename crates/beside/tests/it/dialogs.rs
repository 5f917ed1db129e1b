//! The page's dialogs go to the customer (issue 13): they answer them, and nothing of a
//! dialog (that there is one aside) reaches an agent's socket.

use crate::support::TestApp;
use serde_json::{json, Value};

fn answer(dialog: &Value, accept: bool, text: &str) -> Value {
    json!({ "type": "dialog_answer", "dialog": dialog, "accept": accept, "text": text })
}

#[tokio::test]
async fn a_prompt_goes_to_the_customer_and_nothing_of_it_reaches_the_agent() {
    let app = TestApp::spawn().await;
    let (_, _, mut customer, mut agent) = app.pair(&app.site.url("prompt")).await;
    customer.wait_text("page", |v| v["page"]["title"] == "prompt").await;
    customer.wait_frame().await;

    // The agent presses the page's button; the prompt goes to the customer.
    agent.click(200.0, 200.0).await;
    let dialog = customer.wait_text("dialog", |v| v["kind"] == "prompt").await;
    assert_eq!(dialog["message"], "Your secret word?");
    let id = dialog["dialog"].clone();
    agent.wait_text("customer_dialog", |v| v["open"] == true).await;
    // The agent may not answer it.
    agent.send(answer(&id, true, "agent")).await;
    agent.wait_text("rejected", |v| v["code"] == "customer_only").await;

    customer.send(answer(&id, true, "swordfish")).await;
    agent.wait_text("page", |v| v["page"]["title"] == "answered:9").await;
    customer.seen_or_wait_text("dialog_closed", |v| v["dialog"] == id).await;
    agent.seen_or_wait_text("customer_dialog", |v| v["open"] == false).await;

    // An answer after it closed, and one for a dialog that never was, are refused; the
    // session goes on.
    customer.send(answer(&id, true, "again")).await;
    customer.wait_text("rejected", |v| v["code"] == "unknown_dialog").await;
    customer.send(answer(&json!(123_456), false, "")).await;
    customer.wait_text("rejected", |v| v["code"] == "unknown_dialog").await;
    customer.click(200.0, 200.0).await;
    let again = customer.wait_text("dialog", |v| v["dialog"] != id).await;
    customer.send(answer(&again["dialog"], false, "")).await;
    agent.wait_text("page", |v| v["page"]["title"] == "answered:null").await;

    for v in &agent.texts {
        assert!(v["type"] != "dialog" && v["type"] != "dialog_closed", "the agent got {v}");
        let text = v.to_string();
        assert!(
            !text.contains("swordfish") && !text.contains("secret word"),
            "the agent got the dialog's words or answer: {v}"
        );
    }
    app.stop().await;
}
