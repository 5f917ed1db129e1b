//! The measurements, one function each. All times are on the bench's monotonic clock
//! (`std::time::Instant`), taken when a request is sent or a message is read.

use crate::cdp::{BareChromium, CdpPage};
use crate::client::{Api, Started, Viewer};
use crate::feed::Feed;
use crate::latency::{
    self, first_showing, latencies, run_series, unix_ms_now, watch, Actor, Kind, Sample, Seen,
    Sender, HOLD,
};
use crate::pages::{
    Page, PageServer, FIELD, FORM_COMMENT, FORM_HEADER, FORM_HEADER_COLOUR, PALETTE, TOGGLE,
};
use crate::pixels::Effect;
use crate::procfs;
use crate::report::{Capacity, Figures, PerViewer, Stalled, Step};
use crate::server::COMPANY;
use crate::stats::{round1, summarize, Jitter, Summary};
use anyhow::Context;
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a page, a frame or a connection may take before a phase fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// Counts, windows and caps of one run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Input events per latency series (clicks and keys in turn).
    pub(crate) events: usize,
    /// Measuring window for frame rates and bandwidth.
    pub(crate) window: Duration,
    pub(crate) joins: usize,
    /// Sessions added per capacity step, and the most the ramp opens.
    pub(crate) ramp_step: usize,
    pub(crate) ramp_cap: usize,
    /// Measuring window of each capacity step.
    pub(crate) ramp_window: Duration,
    /// The ramp stops after this long, whatever the figures.
    pub(crate) ramp_budget: Duration,
}

impl Plan {
    pub(crate) fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                events: 40,
                window: Duration::from_secs(5),
                joins: 6,
                ramp_step: 4,
                ramp_cap: 20,
                ramp_window: Duration::from_secs(6),
                ramp_budget: Duration::from_secs(150),
            }
        } else {
            Plan {
                events: 120,
                window: Duration::from_secs(10),
                joins: 20,
                ramp_step: 5,
                ramp_cap: 150,
                ramp_window: Duration::from_secs(10),
                ramp_budget: Duration::from_secs(20 * 60),
            }
        }
    }
}

pub(crate) fn deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + PATIENCE
}

pub(crate) fn ms_since(t0: Instant, t: Instant) -> f64 {
    t.duration_since(t0).as_secs_f64() * 1000.0
}

/// Frames per second and kbit/s of one feed over a window.
#[derive(Debug, Clone, Copy)]
struct Rate {
    fps: f64,
    kbit_s: f64,
}

async fn rates(feeds: &[&Feed], window: Duration) -> Vec<Rate> {
    let before: Vec<_> = feeds.iter().map(|f| f.counters()).collect();
    let t0 = Instant::now();
    tokio::time::sleep(window).await;
    let dt = t0.elapsed().as_secs_f64();
    feeds
        .iter()
        .zip(before)
        .map(|(f, b)| {
            let a = f.counters();
            Rate {
                fps: (a.frames - b.frames) as f64 / dt,
                kbit_s: (a.bytes - b.bytes) as f64 * 8.0 / 1000.0 / dt,
            }
        })
        .collect()
}

/// Frames per second of each feed over a window.
pub(crate) async fn window_fps(feeds: &[&Feed], window: Duration) -> Vec<f64> {
    rates(feeds, window).await.into_iter().map(|r| r.fps).collect()
}

/// Summaries of one watched feed of a series, for the report's detail.
fn series_detail(samples: &[Sample], idx: usize) -> Value {
    let part = |kind| {
        let (ms, _, missed) = latencies(samples, idx, kind);
        json!({ "ms": summarize(&ms).map(Summary::to_json), "missed": missed })
    };
    let (_, painted, _) = latencies(samples, idx, None);
    json!({
        "all": part(None),
        "click": part(Some(Kind::Click)),
        "key": part(Some(Kind::Key)),
        "input_to_chromium_frame_timestamp_ms": summarize(&painted).map(Summary::to_json),
    })
}

fn main_summary(samples: &[Sample]) -> Option<Summary> {
    summarize(&latencies(samples, 0, None).0)
}

/// Figure 2, the limit, alone (when nothing of beside is measured): the probe page and
/// the same inputs in a bare Chromium, then its frame rate on the animation. With beside,
/// `session` runs the limit interleaved with beside's own events instead.
pub(crate) async fn limit_alone(
    browser: &BareChromium,
    pages: &PageServer,
    plan: &Plan,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    say!("the limit (a bare CDP client and its own Chromium)");
    let page = browser.open(&pages.url(Page::Probe)).await?;
    page.feed.first_frame(deadline()).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let actor = Actor { sender: &page, feeds: vec![&page.feed], page: 0 };
    let samples = run_series(&[actor], plan.events).await?.remove(0);
    figures.latency_limit = main_summary(&samples);
    figures.latency_detail["limit"] = series_detail(&samples, 0);
    limit_fps(&page, pages, plan, figures).await
}

/// The bare Chromium's frame rate (and kbit/s) on the animation; then its page is still
/// again, so it costs the next measurement nothing.
async fn limit_fps(
    page: &CdpPage,
    pages: &PageServer,
    plan: &Plan,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    page.navigate(&pages.url(Page::Animation)).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = rates(&[&page.feed], plan.window).await;
    figures.fps_limit = Some(r[0].fps);
    figures.latency_detail["limit_animation_kbit_s"] = json!(round1(r[0].kbit_s));
    page.navigate(&pages.url(Page::Probe)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

/// What the phases that talk to beside share.
pub(crate) struct Ctx {
    pub(crate) api: Api,
    /// The server's process, for CPU and memory figures.
    pub(crate) server_pid: Option<u32>,
    /// The logged-in agent (holds the cookie).
    pub(crate) agent: reqwest::Client,
    pub(crate) pages: Arc<PageServer>,
    n_sources: AtomicU32,
}

impl Ctx {
    pub(crate) fn new(
        api: Api,
        server_pid: u32,
        agent: reqwest::Client,
        pages: Arc<PageServer>,
    ) -> Ctx {
        Ctx { api, server_pid: Some(server_pid), agent, pages, n_sources: AtomicU32::new(0) }
    }

    /// A loopback address of its own for each customer (127.1.x.y): people start sessions
    /// from their own addresses, and beside limits starts per address.
    fn next_source(&self) -> IpAddr {
        let n = self.n_sources.fetch_add(1, Ordering::Relaxed);
        IpAddr::V4(Ipv4Addr::new(127, 1, (n / 250 % 250) as u8, (n % 250 + 1) as u8))
    }
}

/// A session with its customer and agent connected.
pub(crate) struct Pair {
    pub(crate) started: Started,
    customer_http: reqwest::Client,
    source: IpAddr,
    pub(crate) customer: Viewer,
    pub(crate) agent: Viewer,
}

impl Pair {
    pub(crate) async fn open(ctx: &Ctx, start: Page) -> anyhow::Result<Pair> {
        let source = ctx.next_source();
        let http = ctx.api.client(Some(source), false)?;
        let started = ctx.api.start_session(&http, COMPANY, &ctx.pages.url(start)).await?;
        let customer = ctx
            .api
            .connect(&http, &started.session_id, &started.customer_token, "customer", Some(source))
            .await?;
        let agent_token = ctx.api.join(&ctx.agent, &started.pin).await?;
        let agent =
            ctx.api.connect(&ctx.agent, &started.session_id, &agent_token, "agent", None).await?;
        customer.feed.first_frame(deadline()).await?;
        agent.feed.first_frame(deadline()).await?;
        Ok(Pair { started, customer_http: http, source, customer, agent })
    }

    /// The customer's connection drops and comes back (a new ticket with the same token, as
    /// the web client does); waits for its first frame.
    pub(crate) async fn reconnect_customer(&mut self, ctx: &Ctx) -> anyhow::Result<()> {
        let customer = ctx
            .api
            .connect(
                &self.customer_http,
                &self.started.session_id,
                &self.started.customer_token,
                "customer",
                Some(self.source),
            )
            .await?;
        // The old connection closes when dropped, after the new one is up (a page reload).
        self.customer = customer;
        self.customer.feed.first_frame(deadline()).await?;
        Ok(())
    }

    /// The customer ends the session.
    pub(crate) async fn end(&self, ctx: &Ctx) -> anyhow::Result<()> {
        ctx.api
            .end(&self.customer_http, &self.started.session_id, &self.started.customer_token)
            .await
    }

    /// The customer navigates; waits for the page's title, then lets it settle.
    pub(crate) async fn navigate(&self, ctx: &Ctx, page: Page) -> anyhow::Result<()> {
        let mark = self.customer.feed.text_mark();
        self.customer.navigate(&ctx.pages.url(page))?;
        self.customer
            .feed
            .text_after(mark, "page", deadline(), |v| v["page"]["title"] == page.title())
            .await
            .with_context(|| format!("{} did not load", page.path()))?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        Ok(())
    }
}

/// Figure 5, join: a customer starts a session (POST sent → first customer frame that shows
/// the page), reads the PIN out, and an agent redeems it (POST /join sent → first agent
/// frame that shows the page). One fresh session per sample, on the form page.
pub(crate) async fn join(ctx: &Ctx, plan: &Plan, figures: &mut Figures) -> anyhow::Result<()> {
    say!("join ({} sessions)", plan.joins);
    let mut start_ms = Vec::new();
    let mut join_ms = Vec::new();
    let (mut create_ms, mut redeem_ms, mut agent_ws_ms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut start_any_ms, mut join_any_ms) = (Vec::new(), Vec::new());
    for _ in 0..plan.joins {
        let source = ctx.next_source();
        let http = ctx.api.client(Some(source), false)?;
        let t_start = Instant::now();
        let started = ctx.api.start_session(&http, COMPANY, &ctx.pages.url(Page::Form)).await?;
        create_ms.push(ms_since(t_start, Instant::now()));
        let customer = ctx
            .api
            .connect(&http, &started.session_id, &started.customer_token, "customer", Some(source))
            .await?;
        let first = customer.feed.first_frame(deadline()).await?;
        let shown = first_showing(&customer.feed, form_shown(), deadline())
            .await
            .context("the customer's frames never showed the form page")?;
        start_any_ms.push(ms_since(t_start, first));
        start_ms.push(ms_since(t_start, shown));
        // The customer reads the PIN out to the agent.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let t_pin = Instant::now();
        let token = ctx.api.join(&ctx.agent, &started.pin).await?;
        let t_redeemed = Instant::now();
        redeem_ms.push(ms_since(t_pin, t_redeemed));
        let agent = ctx.api.connect(&ctx.agent, &started.session_id, &token, "agent", None).await?;
        agent_ws_ms.push(ms_since(t_redeemed, Instant::now()));
        let first_agent = agent.feed.first_frame(deadline()).await?;
        let shown_agent = first_showing(&agent.feed, form_shown(), deadline())
            .await
            .context("the agent's frames never showed the form page")?;
        join_any_ms.push(ms_since(t_pin, first_agent));
        join_ms.push(ms_since(t_pin, shown_agent));
        ctx.api.end(&http, &started.session_id, &started.customer_token).await?;
        drop((customer, agent));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    figures.join_customer = summarize(&start_ms);
    figures.join_agent = summarize(&join_ms);
    let s = |v: &[f64]| summarize(v).map(Summary::to_json);
    figures.join_detail = json!({
        "start_post_answered_ms": s(&create_ms),
        "join_post_answered_ms": s(&redeem_ms),
        "agent_ticket_and_websocket_ms": s(&agent_ws_ms),
        "start_to_any_first_customer_frame_ms": s(&start_any_ms),
        "pin_to_any_first_agent_frame_ms": s(&join_any_ms),
    });
    Ok(())
}

/// A frame that shows the form page (its header's colour where it has no text).
fn form_shown() -> Effect {
    Effect::Colour { region: FORM_HEADER, palette: [[255, 255, 255], FORM_HEADER_COLOUR], want: 1 }
}

/// Which of the session phases to run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionPhases {
    pub(crate) latency: bool,
    pub(crate) fps: bool,
    pub(crate) bandwidth: bool,
}

/// Figures 1 to 4 in one session: input → photon both ways on the probe page, taking
/// turns with the limit's (a bare Chromium's page, when `limit` is given); frame rates on
/// the animation, the limit's just before beside's, and beside's also with each viewer
/// stalled in turn; bandwidth of the standard workload and of the animation. Before
/// that, the CPU both use while idle on the still page.
pub(crate) async fn session(
    ctx: &Ctx,
    plan: &Plan,
    which: SessionPhases,
    limit: Option<&BareChromium>,
    figures: &mut Figures,
    notes: &mut Vec<String>,
) -> anyhow::Result<()> {
    let pair = Pair::open(ctx, Page::Probe).await?;
    let limit_page = match limit {
        Some(browser) => {
            let page = browser.open(&ctx.pages.url(Page::Probe)).await?;
            page.feed.first_frame(deadline()).await?;
            Some(page)
        }
        None => None,
    };
    let res = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut loop_page = None;
        if let (Some(browser), Some(page), Some(server_pid)) = (limit, &limit_page, ctx.server_pid)
        {
            // Both idle on the still probe page: what one session costs beside, and what
            // one page costs a bare Chromium.
            let feeds = [&pair.customer.feed, &pair.agent.feed, &page.feed];
            let frames0: Vec<u64> = feeds.iter().map(|f| f.counters().frames).collect();
            let (b0, l0, t0) =
                (procfs::tree_cpu(server_pid), procfs::tree_cpu(browser.pid), Instant::now());
            tokio::time::sleep(plan.window).await;
            let (b1, l1, dt) =
                (procfs::tree_cpu(server_pid), procfs::tree_cpu(browser.pid), t0.elapsed());
            let ticks_per_s = procfs::clock_ticks_per_second();
            let pct = |ticks: u64| round1(ticks as f64 / ticks_per_s / dt.as_secs_f64() * 100.0);
            let fps: Vec<f64> = feeds
                .iter()
                .zip(frames0)
                .map(|(f, n0)| round1((f.counters().frames - n0) as f64 / dt.as_secs_f64()))
                .collect();
            figures.idle_cpu = json!({
                "beside_server_and_chromium_one_session": pct(b1.ticks_since(&b0)),
                "bare_chromium_one_page": pct(l1.ticks_since(&l0)),
                "fps_customer": fps[0], "fps_agent": fps[1], "fps_bare_page": fps[2],
            });
            // The limit again, on a page with a guard-like loop on every animation frame.
            let page = browser.open(&ctx.pages.url(Page::ProbeLoop)).await?;
            page.feed.first_frame(deadline()).await?;
            loop_page = Some(page);
        }
        if which.latency || limit_page.is_some() {
            let mut actors = Vec::new();
            if which.latency {
                say!("input → photon ({} events each way)", plan.events);
                // The field has the focus from the page; a click into it makes sure.
                pair.customer.click(FIELD.x + 40.0, FIELD.y + FIELD.height / 2.0)?;
                tokio::time::sleep(Duration::from_millis(500)).await;
                actors.push(Actor {
                    sender: &pair.agent,
                    feeds: vec![&pair.customer.feed, &pair.agent.feed],
                    page: 0,
                });
                actors.push(Actor {
                    sender: &pair.customer,
                    feeds: vec![&pair.agent.feed, &pair.customer.feed],
                    page: 0,
                });
            }
            // The limit's page, then the page with the loop: popped in reverse below.
            if let Some(page) = &limit_page {
                say!(
                    "the limit's input → photon ({} events, taking turns with beside's)",
                    plan.events
                );
                actors.push(Actor { sender: page, feeds: vec![&page.feed], page: 1 });
            }
            if let Some(page) = &loop_page {
                actors.push(Actor { sender: page, feeds: vec![&page.feed], page: 2 });
            }
            let mut series = run_series(&actors, plan.events).await?;
            if loop_page.is_some() {
                let by_loop = series.pop().context("a series per actor")?;
                figures.latency_limit_loop = main_summary(&by_loop);
                figures.latency_detail["limit_with_frame_loop"] = series_detail(&by_loop, 0);
            }
            if limit_page.is_some() {
                let by_limit = series.pop().context("a series per actor")?;
                figures.latency_limit = main_summary(&by_limit);
                figures.latency_detail["limit"] = series_detail(&by_limit, 0);
            }
            if which.latency {
                let by_customer = series.remove(1);
                let by_agent = series.remove(0);
                figures.latency_customer = main_summary(&by_agent);
                figures.latency_detail["customer"] = series_detail(&by_agent, 0);
                figures.latency_detail["agent_own_stream_when_agent_acts"] =
                    series_detail(&by_agent, 1);
                figures.latency_agent = main_summary(&by_customer);
                figures.latency_detail["agent"] = series_detail(&by_customer, 0);
                figures.latency_detail["customer_own_stream_when_customer_acts"] =
                    series_detail(&by_customer, 1);
            }
        }
        // What the viewers show is not looked at from here on: they only count, as the
        // limit's client does, and leave the CPU to what is measured.
        pair.customer.count_only();
        pair.agent.count_only();
        if let Some(page) = &limit_page {
            say!("the limit's frame rate on a full-screen animation");
            limit_fps(page, &ctx.pages, plan, figures).await?;
        }
        if which.fps {
            say!("frame rates on a full-screen animation");
            pair.navigate(ctx, Page::Animation).await?;
            let drops_before = dropped_frames(ctx).await;
            let base = rates(&[&pair.customer.feed, &pair.agent.feed], plan.window).await;
            let drops_after = dropped_frames(ctx).await;
            // Where the frames the viewers did not get went, by the server's own counters.
            figures.fps_drops = drops_before
                .iter()
                .zip(drops_after)
                .map(|((reason, before), (_, after))| {
                    (
                        reason.to_string(),
                        json!(round1((after - before) / plan.window.as_secs_f64())),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into();
            figures.fps_customer = Some(base[0].fps);
            figures.fps_agent = Some(base[1].fps);
            figures.full_animation =
                Some(PerViewer { customer: base[0].kbit_s, agent: base[1].kbit_s });
            let (agent_fps, c1) =
                stalled_rate(ctx, &pair.customer, &pair.agent, base[0].fps, plan.window).await;
            let (customer_fps, c2) =
                stalled_rate(ctx, &pair.agent, &pair.customer, base[1].fps, plan.window).await;
            if !(c1 && c2) {
                notes.push(
                    "a stall was not confirmed by the server's slow_viewer drops within 8 s".into(),
                );
            }
            figures.stalled = Some(Stalled {
                agent_while_customer_stalled: agent_fps,
                customer_while_agent_stalled: customer_fps,
                confirmed: c1 && c2,
            });
            say!("a viewer on a {SLOW_LINK_KBIT_S} kbit/s link, on the animation");
            figures.slow_link = slow_link(&pair.customer, &base[0], plan.window).await;
            links_settled(ctx).await;
        }
        if which.bandwidth {
            say!("bandwidth of the standard workload");
            standard_workload(ctx, &pair, plan, figures).await?;
        }
        anyhow::Ok(())
    }
    .await;
    // What is measured is done; a failure to end shows in the server's log.
    let _ = pair.end(ctx).await;
    res
}

/// `beside_frames_dropped_total` by reason, from the server's `/metrics` (0 when absent).
async fn dropped_frames(ctx: &Ctx) -> Vec<(&'static str, f64)> {
    let mut out = Vec::new();
    for reason in ["session_busy", "mask_pending", "slow_viewer"] {
        let name = format!("beside_frames_dropped_total{{reason=\"{reason}\"}}");
        out.push((reason, ctx.api.metric(&name).await.unwrap_or(0.0)));
    }
    out
}

/// Stops reading `stalled`'s socket, waits until the server drops most of its frames
/// (`beside_frames_dropped_total{reason="slow_viewer"}` grows by at least half its frame
/// rate per second), measures `measured`'s frame rate, then reads again.
async fn stalled_rate(
    ctx: &Ctx,
    stalled: &Viewer,
    measured: &Viewer,
    stalled_fps: f64,
    window: Duration,
) -> (f64, bool) {
    const DROPS: &str = "beside_frames_dropped_total{reason=\"slow_viewer\"}";
    stalled.set_stalled(true);
    let mut confirmed = false;
    let mut last = ctx.api.metric(DROPS).await.unwrap_or(0.0);
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = ctx.api.metric(DROPS).await.unwrap_or(0.0);
        if now - last >= stalled_fps * 0.5 {
            confirmed = true;
            break;
        }
        last = now;
    }
    let r = rates(&[&measured.feed], window).await;
    stalled.set_stalled(false);
    // Let the stalled viewer read its backlog before the next measurement, and get frames
    // at their own quality again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    links_settled(ctx).await;
    (r[0].fps, confirmed)
}

/// Waits (at most 15 s) until every viewer whose frames went coarser got them as they come
/// again: as many `finer` steps as `coarser` ones (`beside_link_quality_changes_total`).
async fn links_settled(ctx: &Ctx) {
    const STEPS: &str = "beside_link_quality_changes_total";
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let coarser = ctx.api.metric_with(STEPS, "direction=\"coarser\"").await.unwrap_or(0.0);
        let finer = ctx.api.metric_with(STEPS, "direction=\"finer\"").await.unwrap_or(0.0);
        if finer >= coarser {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The link `slow_link` gives a viewer, in kbit/s.
const SLOW_LINK_KBIT_S: u64 = 2000;

/// A viewer that reads at most [`SLOW_LINK_KBIT_S`] while the animation runs: what it gets
/// once the server has found its link slow (3 s in), over `window`. `full` is what a viewer
/// that reads freely gets on the same page, which gives the frame rate the link would carry at
/// Chromium's own quality.
async fn slow_link(viewer: &Viewer, full: &Rate, window: Duration) -> Value {
    viewer.set_throttle(SLOW_LINK_KBIT_S * 1000 / 8);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut recorded = viewer.feed.record();
    let (c0, t0) = (viewer.feed.counters(), Instant::now());
    tokio::time::sleep(window).await;
    let (c1, dt) = (viewer.feed.counters(), t0.elapsed().as_secs_f64());
    viewer.set_throttle(0);
    let mut ages = Vec::new();
    while let Ok(arrival) = recorded.try_recv() {
        // How old the picture was when it arrived: Chromium's paint time to the arrival.
        let since_arrival = arrival.at.elapsed().as_secs_f64() * 1000.0;
        ages.push(unix_ms() - since_arrival - arrival.painted_unix_ms);
    }
    let frames = c1.frames - c0.frames;
    let bits_per_frame_as_they_come = full.kbit_s / full.fps.max(0.1);
    json!({
        "link_kbit_s": SLOW_LINK_KBIT_S,
        "fps": round1(frames as f64 / dt),
        "kbit_s": round1((c1.bytes - c0.bytes) as f64 * 8.0 / 1000.0 / dt),
        "coarser_pct": round1((c1.coarse - c0.coarse) as f64 * 100.0 / frames.max(1) as f64),
        "frame_age_ms": summarize(&ages).map(Summary::to_json),
        "fps_the_link_carries_at_chromium_quality": round1(SLOW_LINK_KBIT_S as f64 / bits_per_frame_as_they_come),
    })
}

fn unix_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Figure 4, the standard workload, three parts of one window each, the customer acting: typing
/// into a form (~6 characters a second), scrolling a long page (120 px every ~300 ms),
/// and a still page with a small spinner.
async fn standard_workload(
    ctx: &Ctx,
    pair: &Pair,
    plan: &Plan,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    const TEXT: &str =
        "please leave the parcel with the neighbour at number twelve if nobody is home ";
    let mut jitter = Jitter::new();
    let mut parts = serde_json::Map::new();
    let (mut customer_bytes, mut agent_bytes, mut seconds) = (0u64, 0u64, 0f64);
    for page in [Page::Form, Page::Long, Page::Spinner] {
        pair.navigate(ctx, page).await?;
        if page == Page::Form {
            pair.customer.click(FORM_COMMENT.0, FORM_COMMENT.1)?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let (c0, a0) = (pair.customer.feed.counters(), pair.agent.feed.counters());
        let t0 = Instant::now();
        let mut chars = TEXT.chars().cycle();
        while t0.elapsed() < plan.window {
            match page {
                Page::Form => {
                    pair.customer.key(chars.next().unwrap_or(' '))?;
                    tokio::time::sleep(Duration::from_millis(jitter.between(120, 220))).await;
                }
                Page::Long => {
                    pair.customer.wheel(640.0, 360.0, 120.0)?;
                    tokio::time::sleep(Duration::from_millis(jitter.between(250, 350))).await;
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let dt = t0.elapsed().as_secs_f64();
        let (c1, a1) = (pair.customer.feed.counters(), pair.agent.feed.counters());
        let kbit = |b: u64| round1(b as f64 * 8.0 / 1000.0 / dt);
        parts.insert(
            page.path().trim_start_matches('/').into(),
            json!({
                "customer_kbit_s": kbit(c1.bytes - c0.bytes), "agent_kbit_s": kbit(a1.bytes - a0.bytes),
                "customer_fps": round1((c1.frames - c0.frames) as f64 / dt),
                "agent_fps": round1((a1.frames - a0.frames) as f64 / dt),
            }),
        );
        customer_bytes += c1.bytes - c0.bytes;
        agent_bytes += a1.bytes - a0.bytes;
        seconds += dt;
    }
    let kbit = |b: u64| b as f64 * 8.0 / 1000.0 / seconds;
    figures.standard_workload =
        Some(PerViewer { customer: kbit(customer_bytes), agent: kbit(agent_bytes) });
    figures.standard_parts = Value::Object(parts);
    Ok(())
}

/// What the capacity ramp opens its sessions in: beside, or (the limit) a bare Chromium
/// driven over CDP, a page in a fresh browser context per session, clicked the same way.
#[derive(Clone, Copy)]
pub(crate) enum Fleet<'a> {
    Beside { ctx: &'a Ctx, server_pid: u32 },
    Bare { browser: &'a BareChromium, pages: &'a PageServer },
}

impl Fleet<'_> {
    /// What the ramp adds, in its messages.
    fn unit(&self) -> &'static str {
        match self {
            Fleet::Beside { .. } => "sessions",
            Fleet::Bare { .. } => "pages",
        }
    }

    /// Whose stream the clicks are watched on.
    fn watched(&self) -> &'static str {
        match self {
            Fleet::Beside { .. } => "agent",
            Fleet::Bare { .. } => "screencast",
        }
    }

    /// The process whose tree's CPU and PSS are measured.
    fn pid(&self) -> u32 {
        match self {
            Fleet::Beside { server_pid, .. } => *server_pid,
            Fleet::Bare { browser, .. } => browser.pid,
        }
    }
}

/// A capacity session: what sends and what is watched live in the task that clicks; a
/// beside session is ended through the API afterwards.
struct CapSession {
    ends: Option<(Started, reqwest::Client)>,
    task: tokio::task::JoinHandle<()>,
}

/// One capacity click: when it was sent, and input → photon on the watched stream (the
/// agent's; None = missed), with the part up to Chromium's frame timestamp, and on the
/// clicker's own stream (a beside customer's; None for the limit or when missed).
#[derive(Debug, Clone, Copy)]
struct Click {
    at: Instant,
    seen: Option<Seen>,
    own_ms: Option<f64>,
}

type Clicks = Arc<Mutex<Vec<Click>>>;

/// How long a capacity click may take before it counts as missed (and as this long).
const CAP_TIMEOUT: Duration = Duration::from_secs(5);

async fn open_cap_session(
    fleet: Fleet<'_>,
    clicks: Clicks,
    paused: Arc<AtomicBool>,
) -> anyhow::Result<CapSession> {
    match fleet {
        Fleet::Beside { ctx, .. } => {
            let pair = Pair::open(ctx, Page::Square).await?;
            let Pair { started, customer_http, customer, agent, .. } = pair;
            // The customer clicks; the agent's stream is watched, and the customer's own.
            let feeds = vec![agent.feed.clone(), customer.feed.clone()];
            let task = tokio::spawn(click_loop(customer, agent, feeds, clicks, paused));
            Ok(CapSession { ends: Some((started, customer_http)), task })
        }
        Fleet::Bare { browser, pages } => {
            let page = browser.open(&pages.url(Page::Square)).await?;
            page.feed.first_frame(deadline()).await?;
            let feeds = vec![page.feed.clone()];
            let task = tokio::spawn(click_loop(page, (), feeds, clicks, paused));
            Ok(CapSession { ends: None, task })
        }
    }
}

/// Clicks the square every 1–2 s (unless paused) and records how long until each of `feeds`
/// shows its new colour (the first is the figure); `keep` lives as long as the loop (the
/// other participant's socket).
async fn click_loop<S: Sender + Send + Sync + 'static, K: Send + 'static>(
    sender: S,
    keep: K,
    feeds: Vec<Arc<Feed>>,
    clicks: Clicks,
    paused: Arc<AtomicBool>,
) {
    let _keep = keep;
    let mut jitter = Jitter::new();
    let Some(first) = feeds.first() else { return };
    let Ok(mut colour) = latency::toggle_state(first).await else { return };
    let at = (TOGGLE.x + TOGGLE.width / 2.0, TOGGLE.y + TOGGLE.height / 2.0);
    loop {
        tokio::time::sleep(Duration::from_millis(jitter.between(1000, 2000))).await;
        if paused.load(Ordering::Relaxed) {
            continue;
        }
        if sender.press(at.0, at.1).is_err() {
            return;
        }
        tokio::time::sleep(HOLD).await;
        let recorders: Vec<_> = feeds.iter().map(|f| f.record()).collect();
        let t0 = Instant::now();
        let t0_unix_ms = unix_ms_now();
        if sender.release(at.0, at.1).is_err() {
            return;
        }
        colour = 1 - colour;
        let effect = Effect::Colour { region: TOGGLE, palette: PALETTE, want: colour };
        let until = tokio::time::Instant::from_std(t0 + CAP_TIMEOUT);
        let seen = futures_util::future::join_all(
            recorders.into_iter().map(|rec| watch(rec, effect.clone(), t0, t0_unix_ms, until)),
        )
        .await;
        let own_ms = seen.get(1).copied().flatten().map(|s| s.ms);
        let click = Click { at: t0, seen: seen.first().copied().flatten(), own_ms };
        clicks.lock().expect("never poisoned").push(click);
    }
}

/// One capacity window: the agent's input → photon over the clicks sent in it, PSS and CPU.
async fn measure_step(
    fleet: Fleet<'_>,
    n: usize,
    idle_kib: u64,
    clicks: &Clicks,
    window: Duration,
) -> Step {
    let server_pid = fleet.pid();
    let ticks_per_s = procfs::clock_ticks_per_second();
    let (cpu0, bench0) = (procfs::tree_cpu(server_pid), procfs::self_cpu_ticks());
    let t0 = Instant::now();
    tokio::time::sleep(window).await;
    let (cpu1, bench1) = (procfs::tree_cpu(server_pid), procfs::self_cpu_ticks());
    let t1 = Instant::now();
    let pct = |ticks: u64| ticks as f64 / ticks_per_s / t1.duration_since(t0).as_secs_f64() * 100.0;
    let in_window: Vec<Click> = clicks
        .lock()
        .expect("never poisoned")
        .iter()
        .filter(|c| c.at >= t0 && c.at < t1)
        .copied()
        .collect();
    let missed = in_window.iter().filter(|c| c.seen.is_none()).count();
    let timeout_ms = CAP_TIMEOUT.as_secs_f64() * 1000.0;
    let ms: Vec<f64> = in_window.iter().map(|c| c.seen.map_or(timeout_ms, |s| s.ms)).collect();
    let summary = summarize(&ms);
    let painted: Vec<f64> = in_window.iter().filter_map(|c| c.seen.map(|s| s.painted_ms)).collect();
    let own: Vec<f64> = in_window.iter().filter_map(|c| c.own_ms).collect();
    let pss = procfs::tree_pss(server_pid);
    let memory_used_pct = procfs::memory_kib()
        .map_or(0.0, |(total, avail)| (total - avail) as f64 * 100.0 / total as f64);
    let step = Step {
        sessions: n,
        agent_p95_ms: summary.map(|s| s.p95),
        agent_p50_ms: summary.map(|s| s.p50),
        painted: summarize(&painted),
        own: summarize(&own),
        n_clicks: ms.len(),
        missed,
        pss_total_mib: pss.kib as f64 / 1024.0,
        pss_mib_per_session: (pss.kib.saturating_sub(idle_kib)) as f64 / 1024.0 / n as f64,
        cpu_pct_per_session: pct(cpu1.ticks_since(&cpu0)) / n as f64,
        bench_cpu_pct: pct(bench1.saturating_sub(bench0)),
        memory_used_pct,
        retried: false,
    };
    say!(
        "  {n} {}: {} p95 {} ms over {} clicks, {:.0} MiB PSS each, {:.1} % CPU each",
        fleet.unit(),
        fleet.watched(),
        step.agent_p95_ms.map_or("–".into(), |v| format!("{v:.1}")),
        step.n_clicks,
        step.pss_mib_per_session,
        step.cpu_pct_per_session
    );
    step
}

/// Figure 6, capacity: sessions are added `ramp_step` at a time, each with its customer and
/// agent connected and the customer clicking the square of `/square` (the probe page with
/// nothing focused) every 1–2 s; after each step (2 s to settle), one window measures the
/// agent's input → photon over all sessions, the PSS of the server and everything below
/// it, and their CPU time (and the bench's own). After the first step the clicks pause for
/// one window, which measures what idle sessions cost. The ramp stops when p95 passes
/// 100 ms (in two windows running) or memory passes 80 %, at its cap, or when a session
/// cannot open.
///
/// With `Fleet::Bare` the same ramp measures the limit: pages in a bare Chromium, each
/// clicked the same way and watched on its own screencast, CPU and PSS of that Chromium.
pub(crate) async fn capacity(fleet: Fleet<'_>, plan: &Plan) -> anyhow::Result<Capacity> {
    let server_pid = fleet.pid();
    match fleet {
        Fleet::Beside { .. } => {
            say!("capacity (ramp of {} sessions a step, at most {})", plan.ramp_step, plan.ramp_cap)
        }
        Fleet::Bare { .. } => say!(
            "the limit's capacity: pages in the bare Chromium (ramp of {} a step, at most {})",
            plan.ramp_step,
            plan.ramp_cap
        ),
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = procfs::tree_pss(server_pid);
    let ticks_per_s = procfs::clock_ticks_per_second();
    let clicks: Clicks = Arc::default();
    let paused = Arc::new(AtomicBool::new(false));
    let mut idle_cpu_pct_per_session = None;
    let mut sessions: Vec<CapSession> = Vec::new();
    let mut steps = Vec::new();
    let mut capacity = 0;
    let mut capped = false;
    let began = Instant::now();
    let stop_reason = 'ramp: loop {
        let target = sessions.len() + plan.ramp_step;
        if target > plan.ramp_cap {
            capped = true;
            break format!("stopped at the ramp's cap of {} {}", plan.ramp_cap, fleet.unit());
        }
        if began.elapsed() > plan.ramp_budget {
            capped = true;
            break format!("stopped after the ramp's time budget of {:?}", plan.ramp_budget);
        }
        while sessions.len() < target {
            match open_cap_session(fleet, clicks.clone(), paused.clone()).await {
                Ok(s) => sessions.push(s),
                Err(e) => {
                    break 'ramp format!(
                        "{} {} could not open: {e:#}",
                        fleet.unit().trim_end_matches('s'),
                        sessions.len() + 1
                    )
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let n = sessions.len();
        let mut step = measure_step(fleet, n, idle.kib, &clicks, plan.ramp_window).await;
        if step.agent_p95_ms.is_none_or(|p| p > 100.0) {
            // One window on a shared machine can catch someone else's burst: a second
            // window confirms before the ramp stops.
            say!(
                "  {n} {}: {} p95 over 100 ms; measuring again to confirm",
                fleet.unit(),
                fleet.watched()
            );
            step = measure_step(fleet, n, idle.kib, &clicks, plan.ramp_window).await;
            step.retried = true;
        }
        let memory_used_pct = step.memory_used_pct;
        let p95 = step.agent_p95_ms;
        steps.push(step);
        if idle_cpu_pct_per_session.is_none() {
            // What the sessions cost when nobody does anything (once, at the first step).
            paused.store(true, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(3)).await;
            let (cpu0, t0) = (procfs::tree_cpu(server_pid), Instant::now());
            tokio::time::sleep(plan.ramp_window).await;
            let ticks = procfs::tree_cpu(server_pid).ticks_since(&cpu0);
            let idle_pct =
                ticks as f64 / ticks_per_s / t0.elapsed().as_secs_f64() * 100.0 / n as f64;
            say!("  {n} {}, nobody acting: {idle_pct:.1} % CPU each", fleet.unit());
            idle_cpu_pct_per_session = Some(idle_pct);
            paused.store(false, Ordering::Relaxed);
        }
        if p95.is_none_or(|p| p > 100.0) {
            break format!("{} p95 passed 100 ms at {n} {}", fleet.watched(), fleet.unit());
        }
        if memory_used_pct > 80.0 {
            break format!("memory passed 80 % at {n} {}", fleet.unit());
        }
        capacity = n;
    };
    for s in &sessions {
        s.task.abort();
    }
    if let Fleet::Beside { ctx, .. } = fleet {
        let ends = sessions
            .iter()
            .filter_map(|s| s.ends.as_ref())
            .map(|(started, http)| ctx.api.end(http, &started.session_id, &started.customer_token));
        futures_util::future::join_all(ends).await;
    }
    Ok(Capacity {
        sessions: capacity,
        pss_idle_mib: idle.kib as f64 / 1024.0,
        idle_cpu_pct_per_session,
        stop_reason,
        capped,
        steps,
    })
}
