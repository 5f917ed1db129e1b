//! Everyday websites (issue 13): how soon a native widget's picker reaches the person who
//! pressed it, how soon a new tab shows in both views, what a background tab that animates
//! costs the active tab's frame rate, and how soon a big PDF's first page shows.

use crate::latency::watch;
use crate::pages::{
    Page, DOCUMENT_BLOCK, DOCUMENT_PALETTE, FORM_HEADER, FORM_HEADER_COLOUR, LINK, SELECT,
};
use crate::phases::{deadline, ms_since, Ctx, Pair, Plan};
use crate::pixels::{Effect, Region};
use crate::report::{BackgroundTab, Figures, NewTab, PdfShown};
use crate::stats::{round1, summarize, Jitter};
use anyhow::Context;
use protocol::{ClientMessage, Modifiers, MouseButton, PointerKind};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn samples(plan: &Plan) -> usize {
    (plan.events / 4).clamp(10, 30)
}

fn centre(r: Region) -> (f64, f64) {
    (r.x + r.width / 2.0, r.y + r.height / 2.0)
}

/// A message the bench builds from JSON (ids it only read from the server).
fn message(v: Value) -> anyhow::Result<ClientMessage> {
    serde_json::from_value(v).context("the bench built a message the protocol does not know")
}

/// Picker: the customer presses the select list (as a tap does); timed from the press sent
/// until the customer's socket reads the `picker`. The picker is dismissed between samples.
pub(crate) async fn picker(ctx: &Ctx, plan: &Plan, figures: &mut Figures) -> anyhow::Result<()> {
    let n = samples(plan);
    say!("picker: press → picker ({n} presses)");
    let pair = Pair::open(ctx, Page::Probe).await?;
    let res = async {
        pair.navigate(ctx, Page::Select).await?;
        let customer = &pair.customer;
        let (x, y) = centre(SELECT);
        let mut jitter = Jitter::new();
        let mut took = Vec::with_capacity(n);
        for _ in 0..n {
            customer.pointer(PointerKind::Move, x, y)?;
            let mark = customer.feed.text_mark();
            let t0 = Instant::now();
            customer.pointer(PointerKind::Down, x, y)?;
            let shown = customer.feed.text_after(mark, "picker", deadline(), |_| true).await?;
            took.push(ms_since(t0, Instant::now()));
            customer.pointer(PointerKind::Up, x, y)?;
            let id = shown["picker"]["id"].clone();
            let mark = customer.feed.text_mark();
            customer.send(&message(json!({ "type": "picker_dismiss", "picker": id }))?)?;
            customer.feed.text_after(mark, "picker_closed", deadline(), |_| true).await?;
            tokio::time::sleep(Duration::from_millis(jitter.between(150, 300))).await;
        }
        figures.picker_shown = summarize(&took);
        Ok(())
    }
    .await;
    let _ = pair.end(ctx).await;
    res
}

/// The `tabs` message that shows `count` tabs.
fn tabs_of(v: &Value, count: usize) -> bool {
    v["tabs"].as_array().is_some_and(|t| t.len() == count)
}

/// New tab: the customer clicks a `target=_blank` link; timed from the release (the click)
/// until both sockets have read the `tabs` message with the new tab active (both tab strips
/// show it), and until both have a frame that shows the new tab's page. The new tab is
/// closed between samples.
pub(crate) async fn new_tab(ctx: &Ctx, plan: &Plan, figures: &mut Figures) -> anyhow::Result<()> {
    let n = samples(plan);
    say!("new tab: link click → both views show the tab ({n} tabs)");
    let pair = Pair::open(ctx, Page::Probe).await?;
    let res = async {
        pair.navigate(ctx, Page::Opener).await?;
        let (customer, agent) = (&pair.customer, &pair.agent);
        let (x, y) = centre(LINK);
        let shown = Effect::Colour {
            region: FORM_HEADER,
            palette: [[238, 238, 238], FORM_HEADER_COLOUR],
            want: 1,
        };
        let mut jitter = Jitter::new();
        let (mut strip, mut page) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let marks = (customer.feed.text_mark(), agent.feed.text_mark());
            let frames = (customer.feed.record(), agent.feed.record());
            customer.pointer(PointerKind::Move, x, y)?;
            customer.pointer(PointerKind::Down, x, y)?;
            let t0 = Instant::now();
            customer.pointer(PointerKind::Up, x, y)?;
            let t0_unix = crate::latency::unix_ms_now();
            let new = |v: &Value| tabs_of(v, 2) && v["active"] == v["tabs"][1]["id"];
            // Read one after the other: the later arrival is when the second wait returns.
            let tabs = customer.feed.text_after(marks.0, "tabs", deadline(), new).await?;
            agent.feed.text_after(marks.1, "tabs", deadline(), new).await?;
            strip.push(ms_since(t0, Instant::now()));
            let mut both = 0.0_f64;
            for (who, rec) in [("customer", frames.0), ("agent", frames.1)] {
                let seen = watch(rec, shown.clone(), t0, t0_unix, deadline())
                    .await
                    .with_context(|| format!("the {who}'s frames never showed the new tab"))?;
                both = both.max(seen.ms);
            }
            page.push(both);
            let mark = customer.feed.text_mark();
            customer.send(&message(json!({ "type": "close_tab", "tab": tabs["active"] }))?)?;
            customer.feed.text_after(mark, "tabs", deadline(), |v| tabs_of(v, 1)).await?;
            tokio::time::sleep(Duration::from_millis(jitter.between(300, 500))).await;
        }
        figures.new_tab = Some(NewTab { strip: summarize(&strip), page: summarize(&page) });
        Ok(())
    }
    .await;
    let _ = pair.end(ctx).await;
    res
}

/// The active tab's frame rate on the animation, with no other tab and then while a
/// background tab (opened with a Ctrl-click on a link) animates too, in the same session.
pub(crate) async fn background_tab(
    ctx: &Ctx,
    plan: &Plan,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    say!("a background tab: the active tab's fps alone and beside an animating tab");
    let pair = Pair::open(ctx, Page::Probe).await?;
    let res = async {
        let (customer, agent) = (&pair.customer, &pair.agent);
        pair.navigate(ctx, Page::AnimationTab).await?;
        customer.count_only();
        agent.count_only();
        let alone = crate::phases::window_fps(&[&customer.feed, &agent.feed], plan.window).await;
        let mark = customer.feed.text_mark();
        let (x, y) = centre(LINK);
        let ctrl = Modifiers { ctrl: true, ..Modifiers::default() };
        for (kind, buttons) in
            [(PointerKind::Move, 0), (PointerKind::Down, 1), (PointerKind::Up, 0)]
        {
            customer.send(&ClientMessage::Pointer {
                kind,
                x,
                y,
                button: if kind == PointerKind::Move {
                    MouseButton::None
                } else {
                    MouseButton::Left
                },
                buttons,
                click_count: 1,
                modifiers: ctrl,
            })?;
        }
        let tabs = customer.feed.text_after(mark, "tabs", deadline(), |v| tabs_of(v, 2)).await?;
        let first = tabs["tabs"][0]["id"].clone();
        if tabs["active"] != first {
            // Opened in front after all: the first tab is made active again.
            let mark = customer.feed.text_mark();
            customer.send(&message(json!({ "type": "activate_tab", "tab": first }))?)?;
            customer.feed.text_after(mark, "tabs", deadline(), |v| v["active"] == first).await?;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let beside = crate::phases::window_fps(&[&customer.feed, &agent.feed], plan.window).await;
        figures.background_tab = Some(BackgroundTab {
            customer_alone: alone[0],
            agent_alone: alone[1],
            customer_beside: beside[0],
            agent_beside: beside[1],
        });
        say!(
            "fps alone {:.1} / {:.1}, beside a background animation {:.1} / {:.1}",
            round1(alone[0]),
            round1(alone[1]),
            round1(beside[0]),
            round1(beside[1])
        );
        Ok(())
    }
    .await;
    let _ = pair.end(ctx).await;
    res
}

/// A PDF: the customer opens the 5 MB, 50-page document (its address sent as `navigate`);
/// timed until each viewer has a frame that shows its first page's magenta block. A PDF
/// without a form: agents see it too (the company's default). Back to the probe page between
/// samples, so each one loads the file afresh (another query, no cache).
pub(crate) async fn pdf(ctx: &Ctx, plan: &Plan, figures: &mut Figures) -> anyhow::Result<()> {
    let n = (plan.events / 12).clamp(5, 10);
    say!("PDF: the address sent → its first page shown ({n} opens)");
    let pair = Pair::open(ctx, Page::Probe).await?;
    let res = async {
        let (customer, agent) = (&pair.customer, &pair.agent);
        let shown = Effect::Colour { region: DOCUMENT_BLOCK, palette: DOCUMENT_PALETTE, want: 1 };
        let (mut customer_ms, mut agent_ms) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let frames = (customer.feed.record(), agent.feed.record());
            let url = format!("{}?n={i}", ctx.pages.url(Page::Document));
            let t0 = Instant::now();
            customer.navigate(&url)?;
            let t0_unix = crate::latency::unix_ms_now();
            for (who, rec, out) in
                [("customer", frames.0, &mut customer_ms), ("agent", frames.1, &mut agent_ms)]
            {
                let seen = watch(rec, shown.clone(), t0, t0_unix, deadline())
                    .await
                    .with_context(|| format!("the {who}'s frames never showed the PDF"))?;
                out.push(seen.ms);
            }
            pair.navigate(ctx, Page::Probe).await?;
        }
        figures.pdf_first_page =
            Some(PdfShown { customer: summarize(&customer_ms), agent: summarize(&agent_ms) });
        Ok(())
    }
    .await;
    let _ = pair.end(ctx).await;
    res
}
