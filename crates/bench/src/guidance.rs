//! Guidance as people feel it (F3, F12, F13): how long an agent's chat message and
//! annotation stroke take to reach the customer, and how long after the customer resumes a
//! paused view the agent's first frame arrives. One session on the probe page; each sample is
//! sent on the agent's socket and timed until the customer's socket (or the agent's, for the
//! frame) reads it.

use crate::pages::Page;
use crate::phases::Ctx;
use crate::phases::{deadline, ms_since, Pair, Plan};
use crate::report::Figures;
use crate::stats::summarize;
use protocol::{AnnotationKind, ClientMessage};
use std::time::{Duration, Instant};

/// The session keeps each writer to 10 chat messages in 10 s: one every 1.1 s stays below.
const CHAT_SPACING: Duration = Duration::from_millis(1100);
/// Points of each measured stroke (a short pen line).
const STROKE_POINTS: usize = 24;

/// How many samples of each: chat is paced by its rate limit, so fewer of those.
fn samples(plan: &Plan) -> (usize, usize, usize) {
    (
        (plan.events / 4).clamp(5, 30),
        (plan.events / 2).clamp(10, 100),
        (plan.events / 8).clamp(5, 15),
    )
}

pub(crate) async fn guidance(ctx: &Ctx, plan: &Plan, figures: &mut Figures) -> anyhow::Result<()> {
    let (n_chat, n_strokes, n_resumes) = samples(plan);
    say!("guidance ({n_chat} chat messages, {n_strokes} strokes, {n_resumes} pauses)");
    let pair = Pair::open(ctx, Page::Probe).await?;
    let res = measure(&pair, n_chat, n_strokes, n_resumes, figures).await;
    // What is measured is done; a failure to end shows in the server's log.
    let _ = pair.end(ctx).await;
    res
}

async fn measure(
    pair: &Pair,
    n_chat: usize,
    n_strokes: usize,
    n_resumes: usize,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    let (customer, agent) = (&pair.customer, &pair.agent);
    let mut chat_ms = Vec::with_capacity(n_chat);
    for i in 0..n_chat {
        let text = format!("bench message {i}: order ORD-{i:06}");
        let mark = customer.feed.text_mark();
        let t0 = Instant::now();
        agent.send(&ClientMessage::Chat { text: text.clone() })?;
        customer
            .feed
            .text_after(mark, "chat", deadline(), |v| v["entry"]["text"] == text.as_str())
            .await?;
        chat_ms.push(ms_since(t0, Instant::now()));
        tokio::time::sleep(CHAT_SPACING).await;
    }
    let mut stroke_ms = Vec::with_capacity(n_strokes);
    for i in 0..n_strokes {
        // The board keeps 200 strokes a page: clear now and then.
        if i % 150 == 149 {
            agent.send(&ClientMessage::ClearAnnotations)?;
        }
        let id = 1000 + i as u32;
        let points = (0..STROKE_POINTS)
            .map(|k| [100.0 + 5.0 * k as f64, 200.0 + (k % 7) as f64 * 3.0])
            .collect();
        let mark = customer.feed.text_mark();
        let t0 = Instant::now();
        agent.send(&ClientMessage::Annotate {
            id,
            kind: AnnotationKind::Pen,
            points,
            done: true,
        })?;
        customer
            .feed
            .text_after(mark, "annotation", deadline(), |v| v["stroke"]["id"] == id)
            .await?;
        stroke_ms.push(ms_since(t0, Instant::now()));
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    agent.send(&ClientMessage::ClearAnnotations)?;
    let mut resume_ms = Vec::with_capacity(n_resumes);
    for _ in 0..n_resumes {
        let mark = agent.feed.text_mark();
        customer.send(&ClientMessage::SetPaused { paused: true })?;
        agent.feed.text_after(mark, "paused", deadline(), |v| v["paused"] == true).await?;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let mut frames = agent.feed.record();
        let t0 = Instant::now();
        customer.send(&ClientMessage::SetPaused { paused: false })?;
        let first = tokio::time::timeout_at(deadline(), frames.recv())
            .await
            .map_err(|_| anyhow::anyhow!("no agent frame after the view resumed"))?
            .ok_or_else(|| anyhow::anyhow!("the agent's connection closed"))?;
        resume_ms.push(ms_since(t0, first.at));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    figures.guidance_chat = summarize(&chat_ms);
    figures.guidance_annotation = summarize(&stroke_ms);
    figures.guidance_resume = summarize(&resume_ms);
    Ok(())
}
