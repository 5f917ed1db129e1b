//! Frames as tiles (only what changed): the picture a client rebuilds from tiles is the one the
//! whole frames show.

use crate::support::ws::decode_rgb;
use crate::support::{TestApp, Ws, PATIENCE};
use serde_json::json;

/// The largest difference of any colour channel, and how many channels differ by more than 4.
fn difference(a: &[u8], b: &[u8]) -> (u8, usize) {
    assert_eq!(a.len(), b.len(), "pictures of different sizes");
    a.iter().zip(b).fold((0, 0), |(worst, n), (x, y)| {
        let d = x.abs_diff(*y);
        (worst.max(d), n + usize::from(d > 4))
    })
}

#[tokio::test]
async fn a_picture_rebuilt_from_tiles_is_the_picture_whole_frames_show() {
    let app = TestApp::spawn().await;
    // The agent takes whole frames; the customer takes tiles and rebuilds its picture. Nothing on
    // the page is masked, so both streams carry the same frames.
    let started = app.start_session_at(Some(&app.site.url("still-typing"))).await;
    let mut customer: Ws =
        app.connect_with_tiles(&started.session_id, &started.customer_token).await;
    customer.wait_welcome().await;
    let agent_client = app.demo_agent().await;
    let (_, body) = app.join(&agent_client, &started.pin).await;
    let token = body["agent_token"].as_str().unwrap().to_owned();
    let mut agent = app.connect(&started.session_id, &token).await;
    agent.wait_welcome().await;
    customer.wait_title("empty").await;
    agent.wait_frame().await;
    // The unseen caret blinks: frames that change nothing are left out; tiles after them must
    // still apply to what the client shows.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !app.metrics().await.contains("beside_frames_unchanged_total") {
        assert!(tokio::time::Instant::now() < deadline, "no frame was ever left out");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    for c in ["a", "b", "c", "d", "e"] {
        customer.send(json!({"type":"text","text":c})).await;
        customer.wait_frame().await;
    }
    customer.wait_title("abcde").await;
    agent.wait_title("abcde").await;

    // Wait until both pictures show the last key; then they must agree.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let whole = agent.last_frame.as_ref().map(|(_, jpeg)| decode_rgb(jpeg).0);
        let rebuilt = customer.picture.as_ref().map(|(rgb, _, _)| rgb.clone());
        if let (Some(whole), Some(rebuilt)) = (whole, rebuilt) {
            // Tiles carry the frame's own coefficients: only the pixels along a tile's edge
            // may differ (chroma upsampling reads across it), and a little.
            let (worst, n_off) = difference(&whole, &rebuilt);
            if worst <= 24 && n_off * 1000 <= whole.len() {
                break;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "the pictures never agreed");
        tokio::select! {
            _ = agent.wait_frame() => {}
            _ = customer.wait_frame() => {}
        }
    }
    assert!(customer.n_tile_frames >= 3, "only {} frames came as tiles", customer.n_tile_frames);
    assert_eq!(agent.n_tile_frames, 0, "a client that did not ask for tiles got some");
    let metrics = app.metrics().await;
    assert!(metrics.contains("kind=\"tiles\""), "no tiles in the metrics:\n{metrics}");
    app.stop().await;
}
