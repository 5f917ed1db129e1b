//! Touch (F6): a phone customer's fingers reach the page as touch events (taps, swipes that
//! scroll, long presses, two fingers), while the agent's mouse stays a mouse.

use crate::masking::{scan, scan_agent_view};
use crate::support::{TestApp, Ws};
use serde_json::{json, Value};
use std::time::Duration;

/// Waits for a title of the touch page that has every one of `parts`.
async fn wait_title_with(ws: &mut Ws, parts: &[&str]) -> String {
    let has = |v: &Value| {
        v["page"]["title"]
            .as_str()
            .is_some_and(|t| parts.iter().all(|p| t.split(' ').any(|w| w == *p)))
    };
    if let Some(v) = ws.texts.iter().rev().find(|v| v["type"] == "page") {
        if has(v) {
            return v["page"]["title"].as_str().unwrap().to_owned();
        }
    }
    let v = ws.wait_text("page", has).await;
    v["page"]["title"].as_str().unwrap().to_owned()
}

/// The number after `name` in a title of the touch page.
fn number_in(title: &str, name: &str) -> f64 {
    let word = title.split(' ').find_map(|w| w.strip_prefix(name));
    word.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no {name} in {title}"))
}

fn touch(kind: &str, points: &[(u32, f64, f64)]) -> Value {
    let points: Vec<Value> =
        points.iter().map(|&(id, x, y)| json!({ "id": id, "x": x, "y": y })).collect();
    json!({ "type": "touch", "kind": kind, "points": points })
}

#[tokio::test]
async fn a_phone_customers_fingers_are_touches_and_the_agents_mouse_stays_a_mouse() {
    let app = TestApp::spawn().await;
    let (_s, _t, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    let phone = json!({ "width": 390, "height": 700, "device_scale_factor": 2.0, "mobile": true });
    customer.send(json!({ "type": "viewport", "viewport": phone })).await;
    customer.navigate(&app.site.url("touch")).await;
    // The page looks like a phone's: touch events exist, five fingers, a coarse pointer.
    wait_title_with(&mut customer, &["cap=true/5/true", "s=0"]).await;

    // A tap is a touch start and end, and the click it makes is a touch's.
    customer.send(touch("start", &[(0, 100.0, 100.0)])).await;
    customer.send(touch("end", &[])).await;
    wait_title_with(&mut customer, &["s=1", "e=1", "c=touch"]).await;

    // A swipe up scrolls the page down, following the finger.
    customer.send(touch("start", &[(1, 200.0, 600.0)])).await;
    for step in 1..=10 {
        customer.send(touch("move", &[(1, 200.0, 600.0 - 40.0 * f64::from(step))])).await;
    }
    customer.send(touch("end", &[])).await;
    let title = wait_title_with(&mut customer, &["s=2", "e=2"]).await;
    let scrolled = number_in(&title, "y=");
    assert!(scrolled > 300.0, "a 400 px swipe scrolled {scrolled} px: {title}");

    // Two fingers move apart.
    customer.send(touch("start", &[(2, 150.0, 300.0)])).await;
    customer.send(touch("start", &[(2, 150.0, 300.0), (3, 240.0, 300.0)])).await;
    for step in 1..=8 {
        let d = 10.0 * f64::from(step);
        customer.send(touch("move", &[(2, 150.0 - d, 300.0), (3, 240.0 + d, 300.0)])).await;
    }
    customer.send(touch("end", &[(3, 320.0, 300.0)])).await;
    customer.send(touch("end", &[])).await;
    let title = wait_title_with(&mut customer, &["f=2", "e=4"]).await;
    assert!(number_in(&title, "z=") > 1.0, "two fingers moving apart did not zoom: {title}");

    // The agent cannot touch; their click is a mouse's.
    agent.send(touch("start", &[(0, 50.0, 50.0)])).await;
    let refused = agent.wait_text("rejected", |_| true).await;
    assert_eq!(refused["code"], "customer_only", "{refused}");
    agent.click(50.0, 50.0).await;
    wait_title_with(&mut customer, &["c=mouse", "s=4"]).await;
    app.stop().await;
}

/// A pinch zooms the cloud page as it would a phone's; the agent's masks follow the zoom, so
/// no frame shows the card field while the customer zooms and after, and the customer's do.
#[tokio::test]
async fn a_pinch_zooms_the_page_and_the_agents_masks_follow_the_zoom() {
    let app = TestApp::spawn().await;
    let (_s, _t, mut customer, mut agent) = app.pair_with(&app.site.url("click"), true).await;
    let phone = json!({ "width": 390, "height": 700, "device_scale_factor": 2.0, "mobile": true });
    customer.send(json!({ "type": "viewport", "viewport": phone })).await;
    customer.navigate(&app.site.url("touch-card")).await;
    customer.wait_title("card").await;
    customer
        .seen_or_wait_text("masks", |v| v["masked"].as_array().is_some_and(|a| !a.is_empty()))
        .await;

    customer.send(touch("start", &[(0, 150.0, 150.0)])).await;
    customer.send(touch("start", &[(0, 150.0, 150.0), (1, 240.0, 150.0)])).await;
    for step in 1..=6 {
        let d = 5.0 * f64::from(step);
        customer.send(touch("move", &[(0, 150.0 - d, 150.0), (1, 240.0 + d, 150.0)])).await;
    }
    customer.send(touch("end", &[(1, 270.0, 150.0)])).await;
    customer.send(touch("end", &[])).await;
    let title = customer
        .wait_text("page", |v| {
            v["page"]["title"]
                .as_str()
                .and_then(|t| t.strip_prefix("card z="))
                .and_then(|z| z.parse::<f64>().ok())
                .is_some_and(|z| z > 1.1)
        })
        .await;
    let zoom = number_in(title["page"]["title"].as_str().unwrap(), "z=");

    // Every agent frame until the page rests (the zoom's last step comes as a still picture): the field never shows, the page does.
    let (mut n_frames, mut n_leaky, mut worst, mut n_showing_page) = (0, 0, 0, 0);
    while tokio::time::timeout(Duration::from_secs(3), agent.wait_frame()).await.is_ok() {
        let s = scan_agent_view(&mut agent);
        if s.magenta > 12 {
            n_leaky += 1;
            worst = worst.max(s.magenta);
        }
        if s.green > 1000 {
            n_showing_page += 1;
        }
        n_frames += 1;
    }
    assert_eq!(
        n_leaky, 0,
        "{n_leaky} of {n_frames} agent frames at zoom {zoom} showed the field (worst {worst})"
    );
    assert!(n_showing_page > 0, "none of the agent's {n_frames} frames showed the page");
    // The customer saw their own card number meanwhile.
    let mut n_customer_field = 0;
    while tokio::time::timeout(Duration::from_secs(1), customer.wait_frame()).await.is_ok() {
        let (_, jpeg) = customer.last_frame.as_ref().expect("whole frames for the customer");
        if scan(jpeg).magenta > 200 {
            n_customer_field += 1;
        }
    }
    assert!(n_customer_field > 0, "the customer's view never showed the zoomed field");
    app.stop().await;
}
