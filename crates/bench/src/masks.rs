//! Precise masks after a scroll (issue 9): while the customer's page moves, the agent's
//! picture is masked by every layout it may show (wide, failing closed); once it comes to rest
//! it is masked exactly by the current layout, and the agent is told which fields are hidden
//! (a `masks` message with rectangles; agents get one only while their picture is masked
//! exactly). Each sample is a short scroll on the customer's socket (a few wheel events), timed
//! from the last wheel event sent until the agent's socket reads the `masks` message of the
//! layout the page rests on (the same rectangles the customer is shown).

use crate::pages::Page;
use crate::phases::{deadline, ms_since, Ctx, Pair, Plan};
use crate::report::Figures;
use crate::stats::summarize;
use protocol::ClientMessage;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Wheel events of one scroll, and the time between them (a short flick of a wheel).
const STEPS: usize = 3;
const STEP_GAP: Duration = Duration::from_millis(30);
/// How long the customer's outlines may trail the agent's marks of the same layout.
const OUTLINES_GRACE: Duration = Duration::from_millis(300);

fn samples(plan: &Plan) -> usize {
    (plan.events / 4).clamp(10, 30)
}

pub(crate) async fn masks(ctx: &Ctx, plan: &Plan, figures: &mut Figures) -> anyhow::Result<()> {
    let n = samples(plan);
    say!("precise masks after a scroll ({n} scrolls)");
    let pair = Pair::open(ctx, Page::Probe).await?;
    let res = async {
        pair.navigate(ctx, Page::Checkout).await?;
        measure(&pair, n, figures).await
    }
    .await;
    // What is measured is done; a failure to end shows in the server's log.
    let _ = pair.end(ctx).await;
    res
}

/// The masked rectangles of a `masks` message, when there are any.
fn masked(v: &Value) -> Option<&Vec<Value>> {
    v["masked"].as_array().filter(|a| !a.is_empty())
}

async fn measure(pair: &Pair, n: usize, figures: &mut Figures) -> anyhow::Result<()> {
    let (customer, agent) = (&pair.customer, &pair.agent);
    // The page rests first: the agent is told what is hidden.
    agent.feed.text_after(0, "masks", deadline(), |v| masked(v).is_some()).await?;
    let mut took = Vec::with_capacity(n);
    for i in 0..n {
        // Down twice as far as up, so the fields keep moving through the view.
        let delta = if i % 2 == 0 { 80.0 } else { -40.0 };
        let mut mark = 0;
        let mut last = Instant::now();
        for step in 0..STEPS {
            if step + 1 == STEPS {
                mark = agent.feed.text_mark();
            }
            customer.send(&ClientMessage::Wheel {
                x: 640.0,
                y: 360.0,
                delta_x: 0.0,
                delta_y: delta,
                modifiers: Default::default(),
            })?;
            last = Instant::now();
            if step + 1 < STEPS {
                tokio::time::sleep(STEP_GAP).await;
            }
        }
        took.push(ms_since(last, precise_after(pair, mark).await?));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    figures.masks_after_scroll = summarize(&took);
    Ok(())
}

/// When the agent read the `masks` message (after `mark`) of the layout the page rests on:
/// the rectangles the customer's latest outlines show.
async fn precise_after(pair: &Pair, mut mark: u64) -> anyhow::Result<Instant> {
    let (customer, agent) = (&pair.customer, &pair.agent);
    loop {
        let (n, v) = agent
            .feed
            .numbered_text_after(mark, "masks", deadline(), |v| masked(v).is_some())
            .await?;
        let at = Instant::now();
        let ours = masked(&v).cloned();
        let until = tokio::time::Instant::now() + OUTLINES_GRACE;
        let same = customer
            .feed
            .latest_text_until("masks", until, |theirs| masked(theirs).cloned() == ours)
            .await;
        if same {
            return Ok(at);
        }
        // A layout passed on the way: the next one is the resting one.
        mark = n;
    }
}
