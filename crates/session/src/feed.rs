//! A tab's two frame streams, sans-IO. Customers get each frame at once. Agents get it once the
//! guard has spoken for its moment: held, planned, masked, and following the customers' changes;
//! a frame the guard stays silent on goes out hidden ("when in doubt, hide").

use crate::masks::MaskTracker;
use frames::{mask, Differ, MaskPlan, MaskedFrame, RawFrame, Update};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long an agent's frame may wait for the guard's word on it before it goes out hidden.
pub(crate) const MASK_WAIT: Duration = Duration::from_millis(150);
/// Frames that may wait for the guard at once; more, and the oldest is skipped.
pub(crate) const MAX_HELD: usize = 4;

/// Frames for the viewers: the customers' and the agents' (either may be missing).
#[derive(Default, Clone)]
pub(crate) struct Frames {
    pub(crate) customers: Option<Arc<Update<RawFrame>>>,
    pub(crate) agents: Option<Arc<Update<MaskedFrame>>>,
}

impl Frames {
    fn agents(update: Option<Arc<Update<MaskedFrame>>>) -> Frames {
        Frames { customers: None, agents: update }
    }
}

/// Numbers frames across all tabs of a session: a viewer's next frame, from whichever tab,
/// never takes the number of one it got before (its tiles name the frame they change).
pub(crate) type FrameNumbers = Arc<AtomicU64>;

/// The customers' and the agents' streams of one tab.
pub(crate) struct Feed {
    numbers: FrameNumbers,
    /// Each stream is compared frame by frame; the agents' takes the customers' changes when
    /// their frames are the same.
    customer_differ: Differ,
    agent_differ: Differ,
    /// Frames waiting for the guard before agents may get them, oldest first, and since when.
    held: VecDeque<(Arc<RawFrame>, Instant)>,
    /// The latest frame of each stream, for viewers who connect.
    latest: Frames,
    /// The agents' latest frame shows the layout the page rests on, masked exactly by it
    /// (`MaskTracker::is_exact_for`): nothing more to show them until the page changes.
    agents_settled: bool,
}

impl Feed {
    pub(crate) fn new(numbers: FrameNumbers) -> Feed {
        let customer_differ = Differ::new();
        Feed {
            numbers,
            agent_differ: customer_differ.sibling(),
            customer_differ,
            held: VecDeque::new(),
            latest: Frames::default(),
            agents_settled: false,
        }
    }

    /// The latest frame of each stream.
    pub(crate) fn latest(&self) -> &Frames {
        &self.latest
    }

    /// Whether frames wait for the guard.
    pub(crate) fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// When the oldest held frame must go, ready or not.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.held.front().map(|(_, since)| *since + MASK_WAIT)
    }

    /// A new frame from the page: the customers' at once, and the agents' when the guard has
    /// already spoken for it.
    pub(crate) fn on_frame(
        &mut self,
        frame: browser::Frame,
        masks: &MaskTracker,
        now: Instant,
    ) -> Frames {
        if let Some(age) = frames::age_seconds(frame.meta.timestamp_ms) {
            metrics::histogram!("beside_frame_age_seconds", "stage" => "session").record(age);
        }
        let seq = self.numbers.fetch_add(1, Ordering::Relaxed) + 1;
        let raw = Arc::new(RawFrame { seq, jpeg: frame.jpeg, meta: frame.meta });
        let update = Arc::new(Update::new(raw.as_ref().clone(), &mut self.customer_differ));
        self.latest.customers = Some(update.clone());
        // A few wait at once: on a page whose scripts change it every frame, each frame waits
        // for the guard's next measurement, which may come after the next frame.
        self.held.push_back((raw, now));
        if self.held.len() > MAX_HELD {
            self.held.pop_front();
            metrics::counter!("beside_frames_dropped_total", "reason" => "mask_pending")
                .increment(1);
        }
        Frames { customers: Some(update), agents: self.release(masks, now, false) }
    }

    /// Agents' frames that became ready now that the guard spoke.
    pub(crate) fn on_guard(&mut self, masks: &MaskTracker, now: Instant) -> Frames {
        Frames::agents(self.release(masks, now, false))
    }

    /// The oldest held frame, if it waited long enough, goes whatever the guard said: a silent
    /// guard means hidden.
    pub(crate) fn on_deadline(&mut self, masks: &MaskTracker, now: Instant) -> Frames {
        let overdue = self.deadline().is_some_and(|t| now >= t);
        Frames::agents(if overdue { self.release(masks, now, true) } else { None })
    }

    /// The agents' latest frame masked again, with what the guard reports now added: a still
    /// page gives no new frame to carry a new mask (a rule, a field that appeared).
    pub(crate) fn remask_latest(&mut self, masks: &MaskTracker, now: Instant) -> Frames {
        let Some(last) = self.latest.customers.clone() else { return Frames::default() };
        let raw = last.frame();
        let plan = masks.plan_again_for(raw, now.into_std());
        Frames::agents(Some(self.for_agents(raw, &plan, masks)))
    }

    /// Whether the agents' latest frame shows the resting layout, masked exactly by it.
    pub(crate) fn agents_settled(&self) -> bool {
        self.agents_settled
    }

    /// A picture of the page at rest, taken because its last frame may show an earlier moment
    /// and was masked by every layout it may show: agents get it with exact masks, if the guard
    /// settled on it (`MaskTracker::settle`). Customers have the page's own frames already.
    pub(crate) fn show_still(
        &mut self,
        picture: browser::Frame,
        masks: &MaskTracker,
        now: Instant,
    ) -> Frames {
        if self.is_holding() {
            // Frames that wait for the guard are newer: they go, planned as usual.
            return Frames::default();
        }
        let seq = self.numbers.fetch_add(1, Ordering::Relaxed) + 1;
        let raw = RawFrame { seq, jpeg: picture.jpeg, meta: picture.meta };
        if !masks.is_exact_for(&raw) {
            return Frames::default();
        }
        let plan = masks.plan_for(&raw, now.into_std());
        Frames::agents(Some(self.for_agents(&raw, &plan, masks)))
    }

    /// The newest held frame the guard has spoken for, masked (older ones are skipped); with
    /// `force` and none ready, the oldest, hidden.
    fn release(
        &mut self,
        masks: &MaskTracker,
        now: Instant,
        force: bool,
    ) -> Option<Arc<Update<MaskedFrame>>> {
        let ready = self.held.iter().rposition(|(raw, _)| masks.is_ready_for(raw));
        let (raw, plan) = match ready {
            Some(idx) => {
                for _ in 0..idx {
                    self.held.pop_front();
                    metrics::counter!("beside_frames_dropped_total", "reason" => "mask_pending")
                        .increment(1);
                }
                let (raw, since) = self.held.pop_front()?;
                metrics::histogram!("beside_agent_frame_held_seconds")
                    .record(now.duration_since(since).as_secs_f64());
                let plan = masks.plan_for(&raw, now.into_std());
                (raw, plan)
            }
            None if force => (self.held.pop_front()?.0, MaskPlan::HideAll),
            None => return None,
        };
        Some(self.for_agents(&raw, &plan, masks))
    }

    /// `raw` masked by `plan`, as the agents' next update.
    fn for_agents(
        &mut self,
        raw: &RawFrame,
        plan: &MaskPlan,
        masks: &MaskTracker,
    ) -> Arc<Update<MaskedFrame>> {
        self.agents_settled = *plan != MaskPlan::HideAll && masks.is_exact_for(raw);
        let frame = mask(raw, plan);
        // An unmasked frame that is the customers' latest, after the same frame as theirs, takes
        // their changes instead of being compared again.
        let update = Arc::new(match &self.latest.customers {
            Some(lead) => {
                Update::follow(frame, &mut self.agent_differ, lead, &self.customer_differ)
            }
            None => Update::new(frame, &mut self.agent_differ),
        });
        self.latest.agents = Some(update.clone());
        update
    }
}
