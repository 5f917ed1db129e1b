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

    // Into the field (its autofocus may not have happened yet on a busy machine; input is
    // handled in order, so the click focuses it before the first character arrives).
    customer.click(100.0, 225.0).await;
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

/// The DC step of a JPEG's luminance quantisation table (13 at Chromium's quality 60; larger
/// is coarser).
fn luma_dc_step(jpeg: &[u8]) -> u8 {
    let at = jpeg.windows(2).position(|w| w == [0xFF, 0xDB]).expect("a DQT segment");
    // Marker, length, then each table's precision and id byte and its 64 steps.
    assert_eq!(jpeg[at + 4] & 0x0F, 0, "table 0 comes first");
    jpeg[at + 5]
}

#[tokio::test]
async fn a_viewer_whose_link_cannot_keep_up_gets_coarser_frames_then_finer_again() {
    let app = TestApp::spawn().await;
    let started = app.start_session_at(Some(&app.site.url("noise"))).await;
    let (status, body) = app.ticket(&started.session_id, &started.customer_token).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let url = app.ws_url(&started.session_id, body["ticket"].as_str().unwrap());
    let mut customer = Ws::connect_with_receive_buffer(&url, &app.origin(), 128 * 1024).await;
    customer.wait_title("noise").await;
    customer.wait_frame().await;
    let (_, first) = customer.last_frame.clone().unwrap();
    assert_eq!(luma_dc_step(&first), 13, "frames come at Chromium's quality 60");

    // The viewer stops reading for a while, as a link that carries nothing would: the
    // connection's buffers fill and the server waits to hand it the next frame. Then it reads
    // again: the frames after the wait are coarser, so each costs the link less. (The server's
    // metrics cannot say when it waited: they count every session of this test process.) A
    // longer pause each time, until the buffers have filled on a busy machine too.
    let deadline = tokio::time::Instant::now() + 3 * PATIENCE;
    let mut pause = std::time::Duration::from_secs(2);
    let coarse = loop {
        assert!(tokio::time::Instant::now() < deadline, "the frames never got coarser");
        tokio::time::sleep(pause).await;
        let reading = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut found = None;
        while let Ok(_frame) = tokio::time::timeout_at(reading, customer.wait_frame()).await {
            let (_, jpeg) = customer.last_frame.as_ref().expect("a whole frame");
            if luma_dc_step(jpeg) > 13 {
                found = Some(luma_dc_step(jpeg));
                break;
            }
        }
        match found {
            Some(step) => break step,
            None => pause *= 2,
        }
    };
    // libjpeg's luma DC step at qualities 45, 30 and 20 (a step for each time it waited).
    assert!([18, 27, 40].contains(&coarse), "a step coarser, not {coarse}");
    assert!(app.metrics().await.contains("beside_link_quality_changes_total"));
    // Then the link has room again: the frames are sent as they come.
    wait_step(&mut customer, "a frame as Chromium made it", |step| step == 13).await;
    app.stop().await;
}

/// Reads frames until one's luma DC step satisfies `pred`; that step.
async fn wait_step(ws: &mut Ws, what: &str, pred: impl Fn(u8) -> bool) -> u8 {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "never got {what}");
        ws.wait_frame().await;
        let (_, jpeg) = ws.last_frame.as_ref().expect("a whole frame");
        let step = luma_dc_step(jpeg);
        if pred(step) {
            return step;
        }
    }
}

#[tokio::test]
async fn a_client_that_acknowledges_frames_is_sent_the_newest_when_it_has_shown_the_last() {
    let app = TestApp::spawn().await;
    let started = app.start_session_at(Some(&app.site.url("noise"))).await;
    let mut customer = app.connect(&started.session_id, &started.customer_token).await;
    customer.wait_title("noise").await;
    // Shown, each as it comes: the frames keep coming (the page changes ten times a second).
    for _ in 0..8 {
        let frame = customer.wait_frame().await;
        customer.send(json!({"type": "ack", "seq": frame.seq})).await;
    }
    // It stops saying so, as a client that cannot decode as fast would: the server holds the
    // next frames back instead of queueing them, for as long as it reads.
    let mut held: Vec<u64> = Vec::new();
    let pause = tokio::time::Instant::now() + std::time::Duration::from_millis(1500);
    while let Ok(frame) = tokio::time::timeout_at(pause, customer.wait_frame()).await {
        held.push(frame.seq);
    }
    // A frame or two were on their way before the server could tell, and a busy machine that
    // reads acknowledgements late lets one or two more go; a server that did not hold frames
    // back would send about fifteen.
    assert!(held.len() <= 4, "frames sent unacknowledged in 1.5 s: {held:?}");
    // Once it has shown the last, the newest frame comes, not the next of those made meanwhile.
    let last = customer.last_frame.as_ref().unwrap().0.seq;
    customer.send(json!({"type": "ack", "seq": last})).await;
    let newest = customer.wait_frame().await;
    assert!(newest.seq > last + 1, "{} after {last}", newest.seq);
    app.stop().await;
}
