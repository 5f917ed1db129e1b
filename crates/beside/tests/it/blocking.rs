//! Blocking (F16): the agent cannot trigger reserved controls by any input path, the page
//! proves nothing happened, the agent is told why, and the customer still can.

use crate::support::{TestApp, Ws};
use serde_json::{json, Value};

async fn key(ws: &mut Ws, key: &str, code: &str, modifiers: Value) {
    for kind in ["down", "up"] {
        ws.send(json!({"type":"key","kind":kind,"key":key,"code":code,"modifiers":modifiers}))
            .await;
    }
}

/// Whether a rectangle of a `masks` message contains the point.
fn covers(rects: &Value, x: f64, y: f64) -> bool {
    rects.as_array().is_some_and(|a| {
        a.iter().any(|r| {
            let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
            x >= f("x") && y >= f("y") && x <= f("x") + f("width") && y <= f("y") + f("height")
        })
    })
}

// The page (support/site.rs "blocking") places its controls at fixed positions:
const CARD: (f64, f64) = (160.0, 30.0);
const NOTE: (f64, f64) = (160.0, 80.0);
const PAY: (f64, f64) = (160.0, 130.0);
const AGREE_LABEL: (f64, f64) = (150.0, 185.0);
const HELP: (f64, f64) = (160.0, 250.0);

#[tokio::test]
async fn agent_input_on_reserved_controls_is_refused_on_every_path() {
    let app = TestApp::spawn().await;
    let (_s, _t, mut customer, mut agent) = app.pair(&app.site.url("blocking")).await;
    customer.wait_title("nothing happened").await;
    // The customer is shown what is hidden from the agent and what is theirs alone.
    let masks = customer
        .seen_or_wait_text("masks", |v| {
            covers(&v["masked"], CARD.0, CARD.1) && covers(&v["blocked"], PAY.0, PAY.1)
        })
        .await;
    assert!(
        !covers(&masks["masked"], NOTE.0, NOTE.1) && !covers(&masks["blocked"], HELP.0, HELP.1),
        "{masks}"
    );

    // A click on the pay button.
    agent.click(PAY.0, PAY.1).await;
    let refused = agent.wait_text("rejected", |v| v["code"] == "blocked").await;
    assert!(refused["message"].as_str().unwrap().contains("only the customer"), "{refused}");
    // A click on the label of "I agree".
    agent.click(AGREE_LABEL.0, AGREE_LABEL.1).await;
    // Focus reached with Tab (card → note → pay), then Enter and Space.
    agent.click(700.0, 500.0).await;
    for _ in 0..3 {
        key(&mut agent, "Tab", "Tab", json!({})).await;
    }
    key(&mut agent, "Enter", "Enter", json!({})).await;
    key(&mut agent, " ", "Space", json!({})).await;
    // Implicit submission: Enter and Ctrl+Enter in a plain field of the form with a card field.
    agent.click(NOTE.0, NOTE.1).await;
    key(&mut agent, "Enter", "Enter", json!({})).await;
    key(&mut agent, "Enter", "Enter", json!({"ctrl": true})).await;
    // Typing into the card field is dropped, whether keys, text or IME.
    agent.click(CARD.0, CARD.1).await;
    key(&mut agent, "4", "Digit4", json!({})).await;
    agent.send(json!({"type":"text","text":"1234"})).await;
    agent.send(json!({"type":"composition","text":"12"})).await;
    agent.wait_text("rejected", |v| v["code"] == "masked_field").await;

    // An ordinary button still works for the agent, so input was flowing all along.
    agent.click(HELP.0, HELP.1).await;
    customer.wait_title("helped").await;
    for v in customer.texts.iter().filter(|v| v["type"] == "page") {
        let t = v["page"]["title"].as_str().unwrap_or("");
        assert!(
            !t.starts_with("paid") && !t.starts_with("submitted") && !t.starts_with("agreed"),
            "{t}"
        );
    }
    // The refusals were counted and audited.
    let metrics = app.metrics().await;
    assert!(metrics.contains("beside_inputs_rejected_total{reason=\"blocked\"}"), "{metrics}");
    assert!(metrics.contains("beside_inputs_rejected_total{reason=\"masked_field\"}"), "{metrics}");
    let store = app.store().await;
    let n_audited = store
        .audit_events(None, 200)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == "agent_input_refused")
        .count();
    assert!(n_audited >= 6, "{n_audited} refusals audited");

    // The customer can always use them.
    customer.click(AGREE_LABEL.0, AGREE_LABEL.1).await;
    customer.wait_title("agreed:true").await;
    customer.click(CARD.0, CARD.1).await;
    customer.send(json!({"type":"text","text":"4242"})).await;
    customer.click(PAY.0, PAY.1).await;
    customer.wait_title("submitted").await;
    app.stop().await;
}
