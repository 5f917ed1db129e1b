//! The privacy guarantee (F15): whatever the customer does, the agent's frames never show
//! a sensitive field, while the customer's own frames do. The agent takes frames as tiles,
//! as the web client does; every tile and the picture rebuilt from them are scanned.

use crate::support::{TestApp, TestSite, Ws};
use serde_json::{json, Value};
use std::time::Duration;

/// Pixels of a decoded frame by colour class.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Scan {
    pub(crate) magenta: usize,
    pub(crate) green: usize,
}

pub(crate) fn scan(jpeg: &[u8]) -> Scan {
    scan_rgb(&crate::support::ws::decode_rgb(jpeg).0)
}

fn scan_rgb(pixels: &[u8]) -> Scan {
    let mut s = Scan::default();
    for px in pixels.chunks_exact(3) {
        let (r, g, b) = (px[0], px[1], px[2]);
        if r > 170 && g < 110 && b > 170 {
            s.magenta += 1;
        }
        if g > 140 && r < 90 && b < 90 {
            s.green += 1;
        }
    }
    s
}

/// What an agent that takes tiles was just sent: the most magenta in its new tiles or its
/// rebuilt picture, and the picture's green.
pub(crate) fn scan_agent_view(agent: &mut Ws) -> Scan {
    let tiles = agent.last_tiles.drain(..).map(|(_, jpeg)| scan(&jpeg).magenta).max();
    let (picture, _, _) = agent.picture.as_ref().expect("a picture after a frame");
    let s = scan_rgb(picture);
    Scan { magenta: s.magenta.max(tiles.unwrap_or(0)), green: s.green }
}

fn centre(rect: &Value) -> (f64, f64) {
    let f = |k: &str| rect[k].as_f64().unwrap_or(0.0);
    (f("x") + f("width") / 2.0, f("y") + f("height") / 2.0)
}

#[tokio::test]
async fn the_agent_never_sees_a_sensitive_field_in_any_frame() {
    let second = TestSite::start().await;
    let allowed = second.addr.to_string();
    let app = TestApp::spawn_with(move |c| c.browser.allow_private.push(allowed)).await;
    let url = format!("{}?xo={}", app.site.url("leaky-checkout"), second.addr.port());
    let (_s, _t, mut customer, agent) = app.pair_with(&url, true).await;
    customer.wait_title("checkout").await;
    // The customer is told what is hidden: the fields of the form and the cross-origin frame.
    let masks = customer
        .seen_or_wait_text("masks", |v| v["masked"].as_array().is_some_and(|a| a.len() >= 6))
        .await;
    let targets: Vec<(f64, f64)> = masks["masked"].as_array().unwrap().iter().map(centre).collect();

    const N_FRAMES: usize = 2000;
    let reader = tokio::spawn(async move {
        let mut agent: Ws = agent;
        let (mut n, mut n_leaky, mut n_showing_page, mut worst) = (0usize, 0usize, 0usize, 0usize);
        let mut last_ping: Option<std::time::Instant> = None;
        let mut busy = Duration::ZERO;
        let began = std::time::Instant::now();
        while n < N_FRAMES {
            if last_ping.is_none_or(|t| t.elapsed() > Duration::from_secs(15)) {
                // Like the web client, stay alive with a ping now and then.
                agent.send(json!({"type":"ping"})).await;
                last_ping = Some(std::time::Instant::now());
            }
            agent.wait_frame().await;
            let busy_from = std::time::Instant::now();
            let tile_magenta =
                agent.last_tiles.drain(..).map(|(_, jpeg)| scan(&jpeg).magenta).max().unwrap_or(0);
            let (picture, _, _) = agent.picture.as_ref().expect("a picture after a frame");
            let s = scan_rgb(picture);
            if s.magenta > 12 || tile_magenta > 12 {
                n_leaky += 1;
                worst = worst.max(s.magenta).max(tile_magenta);
                if let Some((_, jpeg)) = &agent.last_frame {
                    std::fs::write(std::env::temp_dir().join(format!("beside-leak-{n}.jpg")), jpeg)
                        .ok();
                }
            }
            if s.green > 1000 {
                n_showing_page += 1;
            }
            n += 1;
            busy += busy_from.elapsed();
        }
        eprintln!(
            "agent frames: {n} ({} as tiles), leaky: {n_leaky}, showing the page: {n_showing_page}; reading took {:?} of {:?}",
            agent.n_tile_frames, busy, began.elapsed()
        );
        (n, n_leaky, n_showing_page, worst, agent.n_tile_frames)
    });

    // The customer types into every masked field, scrolls up and down, and watches.
    let mut n_customer_magenta = 0;
    let mut step = 0usize;
    while !reader.is_finished() {
        let (x, y) = targets[step % targets.len()];
        customer.click(x, y).await;
        customer.send(json!({"type":"text","text":"4242 4242"})).await;
        let delta = if (step / 6).is_multiple_of(2) { 120.0 } else { -120.0 };
        customer.send(json!({"type":"wheel","x":400,"y":300,"delta_x":0,"delta_y":delta})).await;
        if let Ok(Some(())) = tokio::time::timeout(Duration::from_millis(150), async {
            customer.wait_frame().await;
            Some(())
        })
        .await
        {
            if let Some((_, jpeg)) = customer.last_frame.take() {
                if scan(&jpeg).magenta > 200 {
                    n_customer_magenta += 1;
                }
            }
        }
        step += 1;
    }
    let (n, n_leaky, n_showing_page, worst, n_tiles) = reader.await.unwrap();
    // The tiles path was taken (the spinner and the typing change small parts of the page).
    assert!(n_tiles * 4 >= n, "only {n_tiles} of {n} agent frames came as tiles");
    assert_eq!(n, N_FRAMES);
    assert_eq!(n_leaky, 0, "{n_leaky} of {n} agent frames showed sensitive pixels (worst {worst}); see beside-leak-*.jpg in the temp dir");
    // The test can fail: the customer's own frames show the values...
    assert!(n_customer_magenta > 0, "the customer's frames never showed the sensitive values");
    // ...and the agent was really watching the page, not a hidden screen.
    assert!(
        n_showing_page * 10 >= n * 8,
        "only {n_showing_page} of {n} agent frames showed the page"
    );
    app.stop().await;
}

/// A masked field that a script moves while the guard is idle, and again on the next animation
/// frame, never shows: the place it is painted at first is measured although the guard was
/// not measuring when the script moved it.
#[tokio::test]
async fn a_field_moved_while_the_guard_is_idle_never_shows() {
    a_moving_field_never_shows("jumper", 60).await;
}

/// A masked field that a script moves to another place on every animation frame never shows:
/// each frame is paired with the measurements of the animation frames around its time.
#[tokio::test]
async fn a_field_a_script_moves_every_frame_never_shows() {
    a_moving_field_never_shows("hopper", 300).await;
}

/// Watches `n_frames` agent frames of `page` (its title is its name; a magenta card field that
/// a script moves, a green bar that stays): none shows the field, most show the page.
async fn a_moving_field_never_shows(page: &str, n_frames: usize) {
    let app = TestApp::spawn().await;
    let (_s, _t, _customer, mut agent) = app.pair_with(&app.site.url(page), true).await;
    agent.wait_title(page).await;
    let (mut n_leaky, mut n_showing_page, mut worst) = (0, 0, 0);
    for _ in 0..n_frames {
        agent.wait_frame().await;
        let s = scan_agent_view(&mut agent);
        if s.magenta > 12 {
            n_leaky += 1;
            worst = worst.max(s.magenta);
        }
        if s.green > 1000 {
            n_showing_page += 1;
        }
    }
    assert_eq!(n_leaky, 0, "{n_leaky} of {n_frames} agent frames showed the field (worst {worst})");
    assert!(n_showing_page * 10 >= n_frames * 8, "only {n_showing_page} frames showed the page");
    app.stop().await;
}

/// Once the page is still, the agent's picture is the customer's except inside the masks: no
/// wide block over labels, ordinary fields and buttons (issue 9: after a scroll, the agent's
/// view stayed covered until something else repainted). Says how long after the last scroll.
#[tokio::test]
async fn once_the_page_is_still_the_agent_sees_all_but_the_fields() {
    let app = TestApp::spawn().await;
    let (_s, _t, mut customer, agent) = app.pair_with(&app.site.url("still-form"), false).await;
    customer.wait_title("form").await;
    customer
        .seen_or_wait_text("masks", |v| v["masked"].as_array().is_some_and(|a| a.len() >= 3))
        .await;
    // The agent takes every frame as it comes (a client that lags gets coarser pictures).
    let (tx, mut agent_frames) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut agent: Ws = agent;
        loop {
            agent.wait_frame().await;
            let Some((_, jpeg)) = agent.last_frame.take() else { continue };
            if tx.send(jpeg).is_err() {
                return;
            }
        }
    });
    let mut took = Vec::new();
    let rounds = [(4, 40.0), (2, -50.0), (3, 30.0), (1, -40.0)];
    for (round, (steps, delta)) in rounds.into_iter().enumerate() {
        for _ in 0..steps {
            customer
                .send(json!({"type":"wheel","x":400,"y":300,"delta_x":0,"delta_y":delta}))
                .await;
            let _ = tokio::time::timeout(Duration::from_millis(40), customer.wait_frame()).await;
        }
        let stopped = std::time::Instant::now();
        let mut last = None;
        let mut ours: Option<Vec<u8>> = None;
        let exact = loop {
            assert!(
                stopped.elapsed() < Duration::from_secs(10),
                "round {round}: the agent's picture never became exact ({last:?} pixels differ)"
            );
            // The customer's latest frame and outlines: what the page shows now.
            while tokio::time::timeout(Duration::from_millis(20), customer.wait_frame())
                .await
                .is_ok()
            {}
            while let Ok(jpeg) = agent_frames.try_recv() {
                ours = Some(jpeg);
            }
            let at = stopped.elapsed();
            let outlines = customer.texts.iter().rev().find(|v| v["type"] == "masks").cloned();
            let (Some((_, theirs)), Some(agents), Some(outlines)) =
                (customer.last_frame.as_ref(), ours.as_ref(), outlines)
            else {
                continue;
            };
            let theirs = crate::support::ws::decode_rgb(theirs);
            let agents = crate::support::ws::decode_rgb(agents);
            assert_eq!(scan_rgb(&agents.0).magenta, 0, "round {round}: the agent saw a value");
            if (theirs.1, theirs.2) != (agents.1, agents.2) {
                continue;
            }
            let outside = differing_outside(&theirs, &agents, &outlines["masked"]);
            last = Some(outside);
            if outside == 0 {
                break at;
            }
        };
        took.push(exact);
    }
    reader.abort();
    took.sort();
    eprintln!("last scroll to exact masks: {took:?}");
    app.stop().await;
}

/// 8 × 8 blocks where two pictures of the same size differ (in their mean colour, which a
/// coarser JPEG keeps: a lagging link gets requantized pictures), outside `masked` (viewport
/// CSS pixels, the frames at one pixel per CSS pixel) grown by a JPEG block and the mask's
/// margin.
fn differing_outside(
    a: &(Vec<u8>, usize, usize),
    b: &(Vec<u8>, usize, usize),
    masked: &Value,
) -> usize {
    const BLOCK: usize = 8;
    let grow = 20.0;
    let rects: Vec<(f64, f64, f64, f64)> = masked
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
            (f("x") - grow, f("y") - grow, f("x") + f("width") + grow, f("y") + f("height") + grow)
        })
        .collect();
    let (width, height) = (a.1, a.2);
    let mean = |pixels: &[u8], bx: usize, by: usize| {
        let mut sum = [0u32; 3];
        for y in by..by + BLOCK {
            for x in bx..bx + BLOCK {
                let i = (y * width + x) * 3;
                for (c, s) in sum.iter_mut().enumerate() {
                    *s += u32::from(pixels[i + c]);
                }
            }
        }
        sum.map(|s| s / (BLOCK * BLOCK) as u32)
    };
    let mut n = 0;
    for by in (0..height - height % BLOCK).step_by(BLOCK) {
        for bx in (0..width - width % BLOCK).step_by(BLOCK) {
            let (x0, y0) = (bx as f64, by as f64);
            let (x1, y1) = (x0 + BLOCK as f64, y0 + BLOCK as f64);
            if rects.iter().any(|&(l, t, r, b)| x0 < r && x1 > l && y0 < b && y1 > t) {
                continue;
            }
            let (ours, theirs) = (mean(&a.0, bx, by), mean(&b.0, bx, by));
            let d: u32 = (0..3).map(|c| ours[c].abs_diff(theirs[c])).sum();
            if d > 48 {
                n += 1;
            }
        }
    }
    n
}
