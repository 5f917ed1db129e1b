//! The figures, their targets, the printed table and `report.json`.

use crate::procfs::Machine;
use crate::stats::{round1, Summary};
use serde_json::{json, Value};

/// Frames per second while one viewer of the session is stalled (reads nothing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stalled {
    pub(crate) agent_while_customer_stalled: f64,
    pub(crate) customer_while_agent_stalled: f64,
    /// The server was seen dropping frames for the stalled viewer (`slow_viewer`).
    pub(crate) confirmed: bool,
}

/// Per-viewer bandwidth, kbit/s of WebSocket payload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PerViewer {
    pub(crate) customer: f64,
    pub(crate) agent: f64,
}

impl PerViewer {
    pub(crate) fn max(self) -> f64 {
        self.customer.max(self.agent)
    }
}

/// A new tab opened by a link click: until both tab strips show it, and until both views
/// show its page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NewTab {
    pub(crate) strip: Option<Summary>,
    pub(crate) page: Option<Summary>,
}

/// A 5 MB, 50-page PDF opened: until each viewer shows its first page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PdfShown {
    pub(crate) customer: Option<Summary>,
    pub(crate) agent: Option<Summary>,
}

/// The active tab's frames per second on the animation, alone and while a background tab
/// animates too, in the same session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BackgroundTab {
    pub(crate) customer_alone: f64,
    pub(crate) agent_alone: f64,
    pub(crate) customer_beside: f64,
    pub(crate) agent_beside: f64,
}

impl BackgroundTab {
    /// The lower viewer's frame rate with the background tab over the same without it.
    pub(crate) fn ratio(self) -> f64 {
        let alone = self.customer_alone.min(self.agent_alone);
        if alone > 0.0 {
            self.customer_beside.min(self.agent_beside) / alone
        } else {
            0.0
        }
    }
}

/// One step of the capacity ramp.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub(crate) sessions: usize,
    pub(crate) agent_p95_ms: Option<f64>,
    pub(crate) agent_p50_ms: Option<f64>,
    /// Of the watched stream's input → photon: the part up to Chromium's frame timestamp.
    pub(crate) painted: Option<Summary>,
    /// Input → photon on the clicker's own stream (a beside customer's).
    pub(crate) own: Option<Summary>,
    pub(crate) n_clicks: usize,
    pub(crate) missed: usize,
    pub(crate) pss_total_mib: f64,
    pub(crate) pss_mib_per_session: f64,
    pub(crate) cpu_pct_per_session: f64,
    /// The bench's own CPU (all its threads), % of one core: it shares the machine.
    pub(crate) bench_cpu_pct: f64,
    pub(crate) memory_used_pct: f64,
    /// The first window's p95 passed 100 ms; these are a second window's figures.
    pub(crate) retried: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Capacity {
    /// The largest step that met both limits (agent p95 ≤ 100 ms, memory ≤ 80 %).
    pub(crate) sessions: usize,
    pub(crate) pss_idle_mib: f64,
    /// CPU per session (% of one core) at the first step while nobody acts.
    pub(crate) idle_cpu_pct_per_session: Option<f64>,
    pub(crate) stop_reason: String,
    /// The ramp was stopped by its cap (`--quick`, `--max-sessions`), not by a limit.
    pub(crate) capped: bool,
    pub(crate) steps: Vec<Step>,
}

impl Capacity {
    /// The step whose figures stand for the capacity: the last that met the limits.
    pub(crate) fn step(&self) -> Option<&Step> {
        self.steps.iter().rev().find(|s| s.sessions == self.sessions)
    }
}

/// Everything measured; `None` for what was not (a phase skipped or failed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Figures {
    /// The agent's input, seen on the customer's stream.
    pub(crate) latency_customer: Option<Summary>,
    /// The customer's input, seen on the agent's stream.
    pub(crate) latency_agent: Option<Summary>,
    /// The same inputs to a bare Chromium, seen on its own screencast.
    pub(crate) latency_limit: Option<Summary>,
    /// The limit on the probe page with a guard-like script on every animation frame.
    pub(crate) latency_limit_loop: Option<Summary>,
    /// Breakdowns (by kind, own stream, Chromium's paint time, misses).
    pub(crate) latency_detail: Value,
    pub(crate) fps_customer: Option<f64>,
    pub(crate) fps_agent: Option<f64>,
    pub(crate) fps_limit: Option<f64>,
    pub(crate) stalled: Option<Stalled>,
    /// A viewer that reads at a slow link's rate, on the animation.
    pub(crate) slow_link: Value,
    /// Frames per second the server dropped during the unstalled animation window, by reason.
    pub(crate) fps_drops: Value,
    pub(crate) standard_workload: Option<PerViewer>,
    pub(crate) standard_parts: Value,
    pub(crate) full_animation: Option<PerViewer>,
    pub(crate) join_agent: Option<Summary>,
    pub(crate) join_customer: Option<Summary>,
    pub(crate) join_detail: Value,
    /// An agent's chat message, sent → read on the customer's socket.
    pub(crate) guidance_chat: Option<Summary>,
    /// An agent's annotation stroke, sent → read on the customer's socket.
    pub(crate) guidance_annotation: Option<Summary>,
    /// The customer resumes a paused view → the agent's first frame.
    pub(crate) guidance_resume: Option<Summary>,
    /// The customer's last scroll event sent → the agent told of the precise masks of the
    /// layout the page rests on.
    pub(crate) masks_after_scroll: Option<Summary>,
    /// The customer presses a select list → their socket reads the `picker`.
    pub(crate) picker_shown: Option<Summary>,
    /// An administrator's `POST /picker` → their socket's first frame of the page.
    pub(crate) picker_open: Option<Summary>,
    /// `POST /rules/publish` of a mask → a live agent told its picture hides the element.
    pub(crate) publish_to_masked: Option<Summary>,
    /// A customer's `POST /sessions/{id}/end` → a webhook receiver read its `session.ended`.
    pub(crate) webhook_delivery: Option<Summary>,
    pub(crate) new_tab: Option<NewTab>,
    pub(crate) background_tab: Option<BackgroundTab>,
    pub(crate) pdf_first_page: Option<PdfShown>,
    pub(crate) capacity: Option<Capacity>,
    /// The same ramp with pages in the bare Chromium (the limit).
    pub(crate) capacity_limit: Option<Capacity>,
    /// CPU (% of one core) of beside with one idle session, and of the bare Chromium
    /// with one idle page, measured side by side.
    pub(crate) idle_cpu: Value,
}

/// About the run.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub(crate) quick: bool,
    pub(crate) machine: Machine,
    pub(crate) chromium: String,
    pub(crate) commit: String,
    pub(crate) started_unix_s: u64,
    pub(crate) duration_s: f64,
    pub(crate) command: String,
    pub(crate) notes: Vec<String>,
}

fn opt(x: Option<f64>) -> Value {
    x.map_or(Value::Null, |v| json!(round1(v)))
}

fn summary(s: Option<Summary>) -> Value {
    s.map_or_else(|| json!({ "p50": null, "p95": null, "max": null }), Summary::to_json)
}

/// The steps of a capacity ramp; for the limit, "agent" is the page's own screencast.
fn steps_json(steps: &[Step]) -> Vec<Value> {
    steps
        .iter()
        .map(|s| {
            json!({
                "sessions": s.sessions,
                "agent_p50_ms": opt(s.agent_p50_ms),
                "agent_p95_ms": opt(s.agent_p95_ms),
                "input_to_chromium_frame_timestamp_ms": s.painted.map(Summary::to_json),
                "customer_own_stream_ms": s.own.map(Summary::to_json),
                "clicks": s.n_clicks,
                "missed": s.missed,
                "pss_total_mib": round1(s.pss_total_mib),
                "pss_mib_per_session": round1(s.pss_mib_per_session),
                "cpu_pct_per_session": round1(s.cpu_pct_per_session),
                "bench_cpu_pct": round1(s.bench_cpu_pct),
                "memory_used_pct": round1(s.memory_used_pct),
                "second_window": s.retried,
            })
        })
        .collect()
}

pub(crate) fn to_json(f: &Figures, meta: &Meta) -> Value {
    let with_stalled =
        f.stalled.map(|s| s.agent_while_customer_stalled.min(s.customer_while_agent_stalled));
    let cap_step = f.capacity.as_ref().and_then(Capacity::step);
    json!({
        "latency_ms": {
            "customer": summary(f.latency_customer),
            "agent": summary(f.latency_agent),
            "limit": summary(f.latency_limit),
            "limit_with_frame_loop": summary(f.latency_limit_loop),
            "detail": f.latency_detail,
        },
        "fps": {
            "customer": opt(f.fps_customer),
            "agent": opt(f.fps_agent),
            "limit": opt(f.fps_limit),
            "with_stalled_viewer": opt(with_stalled),
            "server_drops_per_s": f.fps_drops,
            "slow_link": f.slow_link,
            "stalled_detail": f.stalled.map(|s| json!({
                "agent_while_customer_stalled": round1(s.agent_while_customer_stalled),
                "customer_while_agent_stalled": round1(s.customer_while_agent_stalled),
                "stall_confirmed_by_slow_viewer_drops": s.confirmed,
            })),
        },
        "bandwidth_kbit_s": {
            "standard_workload": opt(f.standard_workload.map(PerViewer::max)),
            "full_animation": opt(f.full_animation.map(PerViewer::max)),
            "per_viewer": {
                "standard_workload": f.standard_workload.map(|b| json!({ "customer": round1(b.customer), "agent": round1(b.agent) })),
                "full_animation": f.full_animation.map(|b| json!({ "customer": round1(b.customer), "agent": round1(b.agent) })),
            },
            "standard_parts": f.standard_parts,
        },
        "join_ms": {
            "pin_to_first_agent_frame": opt(f.join_agent.map(|s| s.p50)),
            "start_to_first_customer_frame": opt(f.join_customer.map(|s| s.p50)),
            "samples": {
                "pin_to_first_agent_frame": summary(f.join_agent),
                "start_to_first_customer_frame": summary(f.join_customer),
            },
            "detail": f.join_detail,
        },
        "guidance_ms": {
            "chat_agent_to_customer": summary(f.guidance_chat),
            "annotation_agent_to_customer": summary(f.guidance_annotation),
            "resume_to_first_agent_frame": summary(f.guidance_resume),
        },
        "masks_ms": {
            "last_scroll_to_precise_masks": summary(f.masks_after_scroll),
        },
        "everyday_ms": {
            "press_to_picker": summary(f.picker_shown),
            "picker_open_to_first_frame": summary(f.picker_open),
            "publish_to_masked_agent": summary(f.publish_to_masked),
            "link_click_to_both_tab_strips": summary(f.new_tab.and_then(|t| t.strip)),
            "link_click_to_both_show_the_tab_page": summary(f.new_tab.and_then(|t| t.page)),
            "pdf_address_to_first_page_customer": summary(f.pdf_first_page.and_then(|p| p.customer)),
            "pdf_address_to_first_page_agent": summary(f.pdf_first_page.and_then(|p| p.agent)),
        },
        "webhooks_ms": {
            "session_end_to_delivery_read": summary(f.webhook_delivery),
        },
        "background_tab_fps": {
            "alone": {
                "customer": opt(f.background_tab.map(|b| b.customer_alone)),
                "agent": opt(f.background_tab.map(|b| b.agent_alone)),
            },
            "beside_an_animating_background_tab": {
                "customer": opt(f.background_tab.map(|b| b.customer_beside)),
                "agent": opt(f.background_tab.map(|b| b.agent_beside)),
            },
            "ratio": f.background_tab.map_or(Value::Null, |b| json!((b.ratio() * 1000.0).round() / 1000.0)),
        },
        "capacity": {
            "sessions": f.capacity.as_ref().map(|c| c.sessions),
            "pss_mib_per_session": opt(cap_step.map(|s| s.pss_mib_per_session)),
            "cpu_pct_per_session": opt(cap_step.map(|s| s.cpu_pct_per_session)),
            "pss_idle_mib": opt(f.capacity.as_ref().map(|c| c.pss_idle_mib)),
            "idle_cpu_pct_per_session": opt(f.capacity.as_ref().and_then(|c| c.idle_cpu_pct_per_session)),
            "idle_cpu_pct_one_session_vs_bare_page": f.idle_cpu,
            "stop_reason": f.capacity.as_ref().map(|c| c.stop_reason.clone()),
            "capped": f.capacity.as_ref().map(|c| c.capped),
            "steps": f.capacity.as_ref().map(|c| steps_json(&c.steps)),
            "limit": f.capacity_limit.as_ref().map(|c| {
                let step = c.step();
                json!({
                    "sessions": c.sessions,
                    "pss_mib_per_session": opt(step.map(|s| s.pss_mib_per_session)),
                    "cpu_pct_per_session": opt(step.map(|s| s.cpu_pct_per_session)),
                    "pss_idle_mib": round1(c.pss_idle_mib),
                    "idle_cpu_pct_per_session": opt(c.idle_cpu_pct_per_session),
                    "stop_reason": c.stop_reason,
                    "capped": c.capped,
                    "steps": steps_json(&c.steps),
                })
            }),
        },
        "targets": targets(f).iter().map(|t| json!({
            "figure": t.figure, "value": t.value, "target": t.goal, "verdict": t.verdict.as_str(),
        })).collect::<Vec<_>>(),
        "machine": {
            "cores": meta.machine.cores,
            "memory_mib": meta.machine.memory_mib,
            "kernel": meta.machine.kernel,
            "cpu": meta.machine.cpu,
        },
        "chromium": meta.chromium,
        "commit": meta.commit,
        "quick": meta.quick,
        "started_unix_s": meta.started_unix_s,
        "duration_s": round1(meta.duration_s),
        "command": meta.command,
        "notes": meta.notes,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    Miss,
    /// The condition of the target does not hold (Chromium itself below 55 fps).
    NotApplicable,
    NotMeasured,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Miss => "MISS",
            Verdict::NotApplicable => "n/a",
            Verdict::NotMeasured => "not measured",
        }
    }

    fn of(ok: Option<bool>) -> Verdict {
        match ok {
            Some(true) => Verdict::Pass,
            Some(false) => Verdict::Miss,
            None => Verdict::NotMeasured,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    pub(crate) figure: &'static str,
    pub(crate) value: String,
    pub(crate) goal: String,
    pub(crate) verdict: Verdict,
}

fn ms(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.1} ms"))
}

/// A stalled viewer "costs nothing" when the others lose at most 2 fps or 5 %, whichever
/// is more (two measurement windows on a shared 2-core machine differ by that much).
fn stall_cost_ok(baseline: f64, stalled: f64) -> bool {
    baseline - stalled <= (baseline * 0.05).max(2.0)
}

/// A time that must stay at or below `limit` ms.
fn at_most(figure: &'static str, value: Option<f64>, limit: f64) -> Target {
    Target {
        figure,
        value: ms(value),
        goal: format!("≤ {limit} ms"),
        verdict: Verdict::of(value.map(|v| v <= limit)),
    }
}

pub(crate) fn targets(f: &Figures) -> Vec<Target> {
    let mut out = Vec::new();
    let agent_p50 = f.latency_agent.map(|s| s.p50);
    let limit_p50 = f.latency_limit.map(|s| s.p50);
    out.push(Target {
        figure: "agent input→photon p50",
        value: format!("{} (limit {})", ms(agent_p50), ms(limit_p50)),
        goal: "≤ limit + 7 ms".into(),
        verdict: Verdict::of(agent_p50.zip(limit_p50).map(|(a, l)| a <= l + 7.0)),
    });
    out.push(at_most("agent input→photon p95", f.latency_agent.map(|s| s.p95), 45.0));
    let both = f.fps_customer.zip(f.fps_agent).map(|(c, a)| c.min(a));
    out.push(Target {
        figure: "fps to both viewers",
        value: match (both, f.fps_limit) {
            (Some(b), Some(l)) => format!("{b:.1} (limit {l:.1})"),
            (Some(b), None) => format!("{b:.1}"),
            _ => "–".into(),
        },
        goal: "≥ 50 when the limit ≥ 55".into(),
        verdict: match (both, f.fps_limit) {
            (Some(_), Some(l)) if l < 55.0 => Verdict::NotApplicable,
            (Some(b), _) => Verdict::of(Some(b >= 50.0)),
            _ => Verdict::NotMeasured,
        },
    });
    let stall = f.stalled.zip(f.fps_customer.zip(f.fps_agent)).map(|(s, (c, a))| {
        stall_cost_ok(a, s.agent_while_customer_stalled)
            && stall_cost_ok(c, s.customer_while_agent_stalled)
    });
    out.push(Target {
        figure: "fps with a stalled viewer",
        value: f.stalled.map_or_else(
            || "–".into(),
            |s| {
                format!(
                    "agent {:.1}, customer {:.1}",
                    s.agent_while_customer_stalled, s.customer_while_agent_stalled
                )
            },
        ),
        goal: "costs the others nothing (≤ max(2 fps, 5 %))".into(),
        verdict: Verdict::of(stall),
    });
    let standard = f.standard_workload.map(PerViewer::max);
    out.push(Target {
        figure: "standard workload per viewer",
        value: standard.map_or_else(|| "–".into(), |v| format!("{v:.0} kbit/s")),
        goal: "≤ 1500 kbit/s".into(),
        verdict: Verdict::of(standard.map(|v| v <= 1500.0)),
    });
    let join = f.join_agent.map(|s| s.p50);
    out.push(Target {
        figure: "join: PIN → first agent frame (p50)",
        value: ms(join),
        goal: "≤ 300 ms".into(),
        verdict: Verdict::of(join.map(|v| v <= 300.0)),
    });
    let start = f.join_customer.map(|s| s.p50);
    out.push(Target {
        figure: "start → first customer frame (p50)",
        value: ms(start),
        goal: "≤ 1000 ms".into(),
        verdict: Verdict::of(start.map(|v| v <= 1000.0)),
    });
    for (figure, s) in [
        ("chat message agent → customer (p50)", f.guidance_chat),
        ("annotation stroke agent → customer (p50)", f.guidance_annotation),
    ] {
        out.push(at_most(figure, s.map(|s| s.p50), 30.0));
    }
    out.push(at_most(
        "last scroll → precise masks (p95)",
        f.masks_after_scroll.map(|s| s.p95),
        300.0,
    ));
    out.push(at_most("press → picker (p50)", f.picker_shown.map(|s| s.p50), 100.0));
    out.push(at_most(
        "publish → masked for a live agent (p50)",
        f.publish_to_masked.map(|s| s.p50),
        1000.0,
    ));
    out.push(at_most(
        "link click → new tab in both strips (p50)",
        f.new_tab.and_then(|t| t.strip).map(|s| s.p50),
        400.0,
    ));
    out.push(at_most(
        "PDF (5 MB, 50 pages) → first page, customer (p50)",
        f.pdf_first_page.and_then(|p| p.customer).map(|s| s.p50),
        2000.0,
    ));
    let bg = f.background_tab;
    out.push(Target {
        figure: "active tab fps beside a background animation",
        value: bg.map_or_else(
            || "–".into(),
            |b| {
                format!(
                    "{:.1} (alone {:.1}, ratio {:.2})",
                    b.customer_beside.min(b.agent_beside),
                    b.customer_alone.min(b.agent_alone),
                    b.ratio()
                )
            },
        ),
        goal: "≥ 50 when ≥ 50 alone".into(),
        verdict: match bg {
            Some(b) if b.customer_alone.min(b.agent_alone) < 50.0 => Verdict::NotApplicable,
            Some(b) => Verdict::of(Some(b.customer_beside.min(b.agent_beside) >= 50.0)),
            None => Verdict::NotMeasured,
        },
    });
    let cap = f.capacity.as_ref();
    let cap_step = cap.and_then(Capacity::step);
    out.push(Target {
        figure: "capacity",
        value: cap.map_or_else(
            || "–".into(),
            |c| {
                let pss = cap_step
                    .map_or_else(|| "–".into(), |s| format!("{:.0} MiB", s.pss_mib_per_session));
                let limit = f.capacity_limit.as_ref().map_or_else(String::new, |l| {
                    format!(" (limit {}{})", l.sessions, if l.capped { ", capped" } else { "" })
                });
                format!(
                    "{} sessions{}, {pss} PSS each{limit}",
                    c.sessions,
                    if c.capped { " (capped)" } else { "" }
                )
            },
        ),
        goal: "≥ 60 sessions at ≤ 80 MiB PSS each".into(),
        verdict: Verdict::of(
            cap.map(|c| {
                c.sessions >= 60 && cap_step.is_some_and(|s| s.pss_mib_per_session <= 80.0)
            }),
        ),
    });
    out
}

/// The table printed at the end of a run.
pub(crate) fn table(f: &Figures, meta: &Meta) -> String {
    let mut rows: Vec<[String; 3]> = Vec::new();
    let sum = |s: Option<Summary>| {
        s.map_or_else(
            || "not measured".into(),
            |s| format!("p50 {:.1}  p95 {:.1}  max {:.1} ms  (n={})", s.p50, s.p95, s.max, s.n),
        )
    };
    let num = |x: Option<f64>, unit: &str| {
        x.map_or_else(|| "not measured".into(), |v| format!("{v:.1} {unit}"))
    };
    rows.push([
        "input→photon, customer's stream (agent acts)".into(),
        sum(f.latency_customer),
        String::new(),
    ]);
    rows.push([
        "input→photon, agent's stream (customer acts)".into(),
        sum(f.latency_agent),
        String::new(),
    ]);
    rows.push(["input→photon, limit (bare CDP)".into(), sum(f.latency_limit), String::new()]);
    if f.latency_limit_loop.is_some() {
        rows.push([
            "input→photon, limit, page with a per-frame loop".into(),
            sum(f.latency_limit_loop),
            String::new(),
        ]);
    }
    rows.push([
        "fps customer / agent / limit".into(),
        format!(
            "{} / {} / {}",
            num(f.fps_customer, "fps"),
            num(f.fps_agent, "fps"),
            num(f.fps_limit, "fps")
        ),
        String::new(),
    ]);
    if let Some(s) = f.stalled {
        rows.push([
            "fps while the other viewer is stalled".into(),
            format!(
                "agent {:.1}, customer {:.1}{}",
                s.agent_while_customer_stalled,
                s.customer_while_agent_stalled,
                if s.confirmed { "" } else { " (stall not confirmed)" }
            ),
            String::new(),
        ]);
    }
    if let Some(link) = f.slow_link.as_object() {
        let n = |k: &str| link.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
        rows.push([
            format!("a viewer on a {} kbit/s link", n("link_kbit_s")),
            format!(
                "{:.1} fps ({:.1} at Chromium's quality), {:.0} % coarser, frames {} ms old (p50)",
                n("fps"),
                n("fps_the_link_carries_at_chromium_quality"),
                n("coarser_pct"),
                link.get("frame_age_ms")
                    .and_then(|s| s.get("p50"))
                    .and_then(Value::as_f64)
                    .map_or("?".into(), |v| format!("{v:.0}")),
            ),
            String::new(),
        ]);
    }
    let bw = |b: Option<PerViewer>| {
        b.map_or_else(
            || "not measured".into(),
            |b| format!("customer {:.0}, agent {:.0} kbit/s", b.customer, b.agent),
        )
    };
    rows.push(["bandwidth, standard workload".into(), bw(f.standard_workload), String::new()]);
    rows.push(["bandwidth, full-screen animation".into(), bw(f.full_animation), String::new()]);
    rows.push(["join: PIN → first agent frame".into(), sum(f.join_agent), String::new()]);
    rows.push(["start → first customer frame".into(), sum(f.join_customer), String::new()]);
    rows.push(["chat message, agent → customer".into(), sum(f.guidance_chat), String::new()]);
    rows.push([
        "annotation stroke, agent → customer".into(),
        sum(f.guidance_annotation),
        String::new(),
    ]);
    rows.push([
        "resume after a pause → first agent frame".into(),
        sum(f.guidance_resume),
        String::new(),
    ]);
    rows.push([
        "last scroll event → precise masks for the agent".into(),
        sum(f.masks_after_scroll),
        String::new(),
    ]);
    rows.push(["press on a select list → picker".into(), sum(f.picker_shown), String::new()]);
    rows.push(["rule picker opened → its first frame".into(), sum(f.picker_open), String::new()]);
    rows.push([
        "mask published → a live agent's picture hides it".into(),
        sum(f.publish_to_masked),
        "≤ 1000 ms (p50)".into(),
    ]);
    rows.push([
        "session ended → webhook receiver read session.ended".into(),
        sum(f.webhook_delivery),
        String::new(),
    ]);
    rows.push([
        "link click → new tab in both strips".into(),
        sum(f.new_tab.and_then(|t| t.strip)),
        String::new(),
    ]);
    rows.push([
        "link click → both views show the new tab's page".into(),
        sum(f.new_tab.and_then(|t| t.page)),
        String::new(),
    ]);
    let pdf = |who: fn(&PdfShown) -> Option<Summary>| sum(f.pdf_first_page.as_ref().and_then(who));
    rows.push([
        "PDF (5 MB, 50 pages) → first page, customer".into(),
        pdf(|p| p.customer),
        String::new(),
    ]);
    rows.push(["PDF (5 MB, 50 pages) → first page, agent".into(), pdf(|p| p.agent), String::new()]);
    if let Some(b) = f.background_tab {
        rows.push([
            "active tab fps, alone / beside an animating background tab".into(),
            format!(
                "customer {:.1} / {:.1}, agent {:.1} / {:.1} (ratio {:.2})",
                b.customer_alone,
                b.customer_beside,
                b.agent_alone,
                b.agent_beside,
                b.ratio()
            ),
            String::new(),
        ]);
    }
    let cap_row = |c: Option<&Capacity>, unit: &str| {
        c.map_or_else(
            || "not measured".into(),
            |c| {
                let step = c.step();
                format!(
                    "{} {unit}{}; each {} PSS, {} CPU{} ({})",
                    c.sessions,
                    if c.capped { " (ramp capped)" } else { "" },
                    step.map_or_else(
                        || "–".into(),
                        |s| format!("{:.1} MiB", s.pss_mib_per_session)
                    ),
                    step.map_or_else(|| "–".into(), |s| format!("{:.1} %", s.cpu_pct_per_session)),
                    c.idle_cpu_pct_per_session
                        .map_or_else(String::new, |v| format!(" ({v:.1} % idle)")),
                    c.stop_reason
                )
            },
        )
    };
    rows.push(["capacity".into(), cap_row(f.capacity.as_ref(), "sessions"), String::new()]);
    if f.capacity_limit.is_some() {
        rows.push([
            "capacity, limit (bare CDP pages)".into(),
            cap_row(f.capacity_limit.as_ref(), "pages"),
            String::new(),
        ]);
    }
    let mut out = String::new();
    out.push_str(&format!(
        "beside bench{} — {} cores, {} MiB, Linux {}, {}, commit {}\n\n",
        if meta.quick { " (--quick)" } else { "" },
        meta.machine.cores,
        meta.machine.memory_mib,
        meta.machine.kernel,
        meta.chromium,
        meta.commit
    ));
    let w0 = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
    for r in &rows {
        out.push_str(&format!("  {:<w0$}  {}\n", r[0], r[1]));
    }
    out.push_str("\ntargets\n");
    let ts = targets(f);
    let tw = ts.iter().map(|t| t.figure.chars().count()).max().unwrap_or(0);
    let vw = ts.iter().map(|t| t.value.chars().count()).max().unwrap_or(0);
    let gw = ts.iter().map(|t| t.goal.chars().count()).max().unwrap_or(0);
    for t in &ts {
        out.push_str(&format!(
            "  {:<tw$}  {:<vw$}  {:<gw$}  {}\n",
            t.figure,
            t.value,
            t.goal,
            t.verdict.as_str()
        ));
    }
    for note in &meta.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(p50: f64, p95: f64) -> Option<Summary> {
        Some(Summary { n: 40, p50, p95, max: p95 + 5.0, min: 1.0, mean: p50 })
    }

    fn meta() -> Meta {
        Meta {
            quick: true,
            machine: Machine { cores: 2, memory_mib: 24000, kernel: "6.1".into(), cpu: "x".into() },
            chromium: "Chromium 156".into(),
            commit: "abc123".into(),
            started_unix_s: 1,
            duration_s: 2.0,
            command: "beside-bench --quick".into(),
            notes: vec![],
        }
    }

    fn full() -> Figures {
        Figures {
            latency_customer: s(30.0, 40.0),
            latency_agent: s(28.0, 44.0),
            latency_limit: s(22.0, 30.0),
            fps_customer: Some(56.0),
            fps_agent: Some(55.0),
            fps_limit: Some(58.0),
            stalled: Some(Stalled {
                agent_while_customer_stalled: 54.0,
                customer_while_agent_stalled: 50.0,
                confirmed: true,
            }),
            standard_workload: Some(PerViewer { customer: 1200.0, agent: 1600.0 }),
            full_animation: Some(PerViewer { customer: 8000.0, agent: 7900.0 }),
            join_agent: s(250.0, 300.0),
            join_customer: s(900.0, 1200.0),
            guidance_chat: s(4.0, 9.0),
            guidance_annotation: s(45.0, 60.0),
            guidance_resume: s(40.0, 70.0),
            masks_after_scroll: s(150.0, 240.0),
            picker_shown: s(40.0, 60.0),
            pdf_first_page: Some(PdfShown { customer: s(900.0, 1400.0), agent: s(950.0, 1500.0) }),
            picker_open: s(700.0, 900.0),
            publish_to_masked: s(300.0, 500.0),
            new_tab: Some(NewTab { strip: s(300.0, 500.0), page: s(450.0, 600.0) }),
            background_tab: Some(BackgroundTab {
                customer_alone: 58.0,
                agent_alone: 55.0,
                customer_beside: 57.0,
                agent_beside: 44.0,
            }),
            capacity: Some(Capacity {
                sessions: 20,
                pss_idle_mib: 300.0,
                idle_cpu_pct_per_session: Some(1.0),
                stop_reason: "cap".into(),
                capped: true,
                steps: vec![Step {
                    sessions: 20,
                    agent_p95_ms: Some(60.0),
                    agent_p50_ms: Some(30.0),
                    painted: None,
                    own: None,
                    n_clicks: 100,
                    missed: 0,
                    pss_total_mib: 1500.0,
                    pss_mib_per_session: 60.0,
                    cpu_pct_per_session: 2.5,
                    bench_cpu_pct: 10.0,
                    memory_used_pct: 10.0,
                    retried: false,
                }],
            }),
            ..Figures::default()
        }
    }

    /// The paths the issue names exist in every report, measured or not.
    const REQUIRED: &[&str] = &[
        "/latency_ms/customer/p50",
        "/latency_ms/customer/p95",
        "/latency_ms/customer/max",
        "/latency_ms/agent/p50",
        "/latency_ms/agent/p95",
        "/latency_ms/agent/max",
        "/latency_ms/limit/p50",
        "/latency_ms/limit/p95",
        "/latency_ms/limit/max",
        "/fps/customer",
        "/fps/agent",
        "/fps/limit",
        "/fps/with_stalled_viewer",
        "/bandwidth_kbit_s/standard_workload",
        "/bandwidth_kbit_s/full_animation",
        "/join_ms/pin_to_first_agent_frame",
        "/join_ms/start_to_first_customer_frame",
        "/guidance_ms/chat_agent_to_customer/p50",
        "/guidance_ms/chat_agent_to_customer/p95",
        "/guidance_ms/annotation_agent_to_customer/p50",
        "/guidance_ms/annotation_agent_to_customer/p95",
        "/guidance_ms/resume_to_first_agent_frame/p50",
        "/masks_ms/last_scroll_to_precise_masks/p50",
        "/masks_ms/last_scroll_to_precise_masks/p95",
        "/everyday_ms/press_to_picker/p50",
        "/everyday_ms/link_click_to_both_tab_strips/p50",
        "/everyday_ms/link_click_to_both_show_the_tab_page/p50",
        "/everyday_ms/pdf_address_to_first_page_customer/p50",
        "/background_tab_fps/ratio",
        "/capacity/sessions",
        "/capacity/pss_mib_per_session",
        "/capacity/cpu_pct_per_session",
        "/machine/cores",
        "/machine/memory_mib",
        "/machine/kernel",
        "/chromium",
        "/commit",
        "/quick",
    ];

    #[test]
    fn the_report_has_every_figure_the_issue_names() {
        let j = to_json(&full(), &meta());
        for path in REQUIRED {
            let v = j.pointer(path).unwrap_or_else(|| panic!("{path} missing"));
            assert!(!v.is_null(), "{path} is null");
        }
        assert_eq!(j["latency_ms"]["agent"]["p95"], 44.0);
        assert_eq!(j["fps"]["with_stalled_viewer"], 50.0);
        assert_eq!(j["bandwidth_kbit_s"]["standard_workload"], 1600.0);
        assert_eq!(j["join_ms"]["pin_to_first_agent_frame"], 250.0);
        assert_eq!(j["capacity"]["sessions"], 20);
        assert_eq!(j["capacity"]["pss_mib_per_session"], 60.0);
        assert_eq!(j["quick"], true);
        assert_eq!(j["background_tab_fps"]["ratio"], 0.8);
    }

    #[test]
    fn what_was_not_measured_is_null_not_missing() {
        let j = to_json(&Figures::default(), &meta());
        for path in REQUIRED {
            assert!(j.pointer(path).is_some(), "{path} missing");
        }
        assert!(j["latency_ms"]["agent"]["p50"].is_null());
        assert!(j["capacity"]["sessions"].is_null());
        assert!(targets(&Figures::default()).iter().all(|t| t.verdict == Verdict::NotMeasured));
    }

    #[test]
    fn targets_judge_each_figure() {
        let verdicts: Vec<(&str, Verdict)> =
            targets(&full()).iter().map(|t| (t.figure, t.verdict)).collect();
        assert_eq!(
            verdicts,
            vec![
                ("agent input→photon p50", Verdict::Pass),
                ("agent input→photon p95", Verdict::Pass),
                ("fps to both viewers", Verdict::Pass),
                ("fps with a stalled viewer", Verdict::Miss),
                ("standard workload per viewer", Verdict::Miss),
                ("join: PIN → first agent frame (p50)", Verdict::Pass),
                ("start → first customer frame (p50)", Verdict::Pass),
                ("chat message agent → customer (p50)", Verdict::Pass),
                ("annotation stroke agent → customer (p50)", Verdict::Miss),
                ("last scroll → precise masks (p95)", Verdict::Pass),
                ("press → picker (p50)", Verdict::Pass),
                ("publish → masked for a live agent (p50)", Verdict::Pass),
                ("link click → new tab in both strips (p50)", Verdict::Pass),
                ("PDF (5 MB, 50 pages) → first page, customer (p50)", Verdict::Pass),
                ("active tab fps beside a background animation", Verdict::Miss),
                ("capacity", Verdict::Miss),
            ]
        );
        let slow_chromium = Figures { fps_limit: Some(40.0), ..full() };
        assert_eq!(targets(&slow_chromium)[2].verdict, Verdict::NotApplicable);
    }

    #[test]
    fn the_capacity_limit_is_reported_beside_beside_s() {
        let mut f = full();
        let mut limit = f.capacity.clone().unwrap();
        limit.sessions = 35;
        limit.capped = false;
        limit.steps[0].sessions = 35;
        limit.steps[0].pss_mib_per_session = 30.0;
        f.capacity_limit = Some(limit);
        let j = to_json(&f, &meta());
        assert_eq!(j["capacity"]["limit"]["sessions"], 35);
        assert_eq!(j["capacity"]["limit"]["steps"][0]["agent_p95_ms"], 60.0);
        assert!(to_json(&full(), &meta())["capacity"]["limit"].is_null());
        let t = table(&f, &meta());
        assert!(t.contains("35 pages; each 30.0 MiB PSS"), "{t}");
        assert!(t.contains("(limit 35)"), "{t}");
    }

    #[test]
    fn a_stall_costs_nothing_within_noise() {
        assert!(stall_cost_ok(56.0, 55.0));
        assert!(stall_cost_ok(56.0, 54.0));
        assert!(!stall_cost_ok(56.0, 50.0));
        assert!(stall_cost_ok(10.0, 30.0));
    }

    #[test]
    fn the_table_names_every_target() {
        let t = table(&full(), &meta());
        for target in targets(&full()) {
            assert!(t.contains(target.figure), "{t}");
        }
        assert!(t.contains("(--quick)"));
    }
}
