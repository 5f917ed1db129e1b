//! Point-and-click rules (F20), two figures:
//! - picker-open: an administrator's `POST /api/v1/picker` sent → their socket (ticket, then
//!   WebSocket, as the console does) reads the page's first frame; a rule-picking session is
//!   opened and closed per sample;
//! - publish → masked: with a draft that masks the still square page's big square,
//!   `POST /api/v1/rules/publish` sent → a live agent's socket reads a `masks` message that
//!   covers it (agents are told only once their picture is masked exactly, so this bounds the
//!   first masked frame from above); each sample has a session of its own, and the rule is
//!   deleted after it.

use crate::pages::{Page, TOGGLE};
use crate::phases::{deadline, ms_since, Ctx, Pair, Plan};
use crate::report::Figures;
use crate::stats::summarize;
use anyhow::Context as _;
use serde_json::{json, Value};
use std::time::Instant;

fn samples(plan: &Plan) -> usize {
    (plan.events / 8).clamp(5, 15)
}

pub(crate) async fn rules(ctx: &Ctx, plan: &Plan, figures: &mut Figures) -> anyhow::Result<()> {
    let n = samples(plan);
    say!("point-and-click rules: picker open → first frame, publish → masked ({n} each)");
    let mut opened = Vec::with_capacity(n);
    for _ in 0..n {
        opened.push(open_picker(ctx).await?);
    }
    figures.picker_open = summarize(&opened);

    figures.publish_to_masked = summarize(&publish_to_masked(ctx, n).await?);
    Ok(())
}

/// One rule-picking session opened, timed to its first frame, and closed.
async fn open_picker(ctx: &Ctx) -> anyhow::Result<f64> {
    let t0 = Instant::now();
    let res = ctx
        .api
        .post(&ctx.agent, "/api/v1/picker", json!({ "url": ctx.pages.url(Page::Square) }), None)
        .await?;
    let id = res["session_id"].as_str().with_context(|| format!("no session_id in {res}"))?;
    let token = res["token"].as_str().with_context(|| format!("no token in {res}"))?;
    let admin = ctx.api.connect(&ctx.agent, id, token, "admin", None).await?;
    admin.feed.first_frame(deadline()).await?;
    let took = ms_since(t0, Instant::now());
    ctx.api.delete(&ctx.agent, &format!("/api/v1/picker/{id}")).await?;
    Ok(took)
}

/// Whether a `masks` message covers the centre of the big square.
fn covers_square(v: &Value) -> bool {
    let (x, y) = (TOGGLE.x + TOGGLE.width / 2.0, TOGGLE.y + TOGGLE.height / 2.0);
    v["masked"].as_array().is_some_and(|rects| {
        rects.iter().any(|r| {
            let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
            x >= f("x") && y >= f("y") && x <= f("x") + f("width") && y <= f("y") + f("height")
        })
    })
}

async fn publish_to_masked(ctx: &Ctx, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut took = Vec::with_capacity(n);
    for _ in 0..n {
        // A fresh session each time: its agent has never been told of the square.
        let pair = Pair::open(ctx, Page::Square).await?;
        let res = async {
            let agent = &pair.agent;
            let draft = json!({ "kind": "mask", "selector": "#toggle" });
            ctx.api.post(&ctx.agent, "/api/v1/rules/drafts", draft, None).await?;
            let mark = agent.feed.text_mark();
            let t0 = Instant::now();
            let res = ctx.api.post(&ctx.agent, "/api/v1/rules/publish", json!({}), None).await?;
            let id = res["rules"][0]["id"].as_str().map(str::to_owned);
            let seen = agent.feed.text_after(mark, "masks", deadline(), covers_square).await;
            let ms = ms_since(t0, Instant::now());
            let id = id.with_context(|| format!("no rule in {res}"))?;
            ctx.api.delete(&ctx.agent, &format!("/api/v1/rules/{id}")).await?;
            seen.map(|_| ms)
        }
        .await;
        let _ = pair.end(ctx).await;
        took.push(res?);
    }
    Ok(took)
}
