//! One viewer's frames on their way to its client, sans-IO: the session's frames (from the
//! viewer's slot), the client's acknowledgements and a clock go in; frame messages and the time
//! to be woken come out. A transport only moves bytes between its socket and a `ViewerStream`.
//!
//! A frame goes as tiles when the client applies them and they change what it shows, else whole;
//! a frame that changed nothing is not sent. It goes requantised while the viewer's link cannot
//! keep up (`policy::link::LinkQuality`, fed with how long each message waited to be handed over
//! and how long frames were held back), and, to a client that acknowledges frames, only while
//! none on its way is overdue (`policy::link::Pacer`).
//!
//! Architecture Invariant: an agent's stream holds only `Update<MaskedFrame>`s and encodes its
//! messages from them; a raw frame has no way into it.

use crate::handle::{Feed, FrameFeed};
use bytes::Bytes;
use frames::{MaskedFrame, Picture, RawFrame, SlotReceiver, Update};
use model::Role;
use policy::link::{Change, LinkQuality, Pacer};
use protocol::{FrameHeader, TileHeader};
use std::sync::Arc;
use std::time::Instant;

#[cfg(test)]
mod tests;

/// One viewer's frames, from its slot to the messages its transport sends.
pub struct ViewerStream {
    frames: Frames,
    tiler: Tiler,
    role: &'static str,
    /// Paces frames by the client's acknowledgements (when it sends any).
    pacer: Pacer,
    /// How good a picture the viewer's link carries.
    link: LinkQuality,
    /// When the link is looked at next while its frames go coarser, so that they get finer on a
    /// still page too.
    next_check: Option<Instant>,
}

/// The frames of one kind of viewer.
enum Frames {
    Customer(Typed<RawFrame>),
    Agent(Typed<MaskedFrame>),
}

struct Typed<F> {
    feed: SlotReceiver<Arc<Update<F>>>,
    /// The latest frame, to send again when the link gets room on a still page.
    latest: Option<Arc<Update<F>>>,
}

/// What the next frame of a stream came to.
pub enum Next {
    /// A message to send.
    Send(Outgoing),
    /// The frame changed nothing the client shows: nothing to send.
    Unchanged,
    /// The session ended.
    Ended,
}

impl ViewerStream {
    /// The stream of a viewer's `feed`; `tiles` when its client applies tiles.
    pub fn new(feed: FrameFeed, tiles: bool, now: Instant) -> ViewerStream {
        let (frames, role) = match feed.0 {
            Feed::Customer(feed) => {
                (Frames::Customer(Typed { feed, latest: None }), Role::Customer)
            }
            Feed::Agent(feed) => (Frames::Agent(Typed { feed, latest: None }), Role::Agent),
        };
        ViewerStream {
            frames,
            tiler: Tiler { enabled: tiles, last_sent: None, same_as: None, refresh: false },
            role: role.as_str(),
            pacer: Pacer::new(),
            link: LinkQuality::new(now),
            next_check: None,
        }
    }

    /// Whether a frame may go now. While it may not, the time counts as held back.
    pub fn may_send(&mut self, now: Instant) -> bool {
        self.pacer.may_send(now)
    }

    /// When to call [`ViewerStream::on_wake`] if nothing else happens first (`may_send` as
    /// just asked): the oldest frame on its way is given up on, or the link is looked at again.
    pub fn wake_at(&self, may_send: bool) -> Option<Instant> {
        let give_up = if may_send { None } else { self.pacer.give_up_at() };
        [give_up, self.next_check].into_iter().flatten().min()
    }

    /// Waits for the session's next frame for this viewer and says what it comes to.
    /// Cancel-safe: a frame is taken only when this returns.
    pub async fn next_frame(&mut self) -> Next {
        let quality = self.link.quality();
        let (tiler, role) = (&mut self.tiler, self.role);
        let next = match &mut self.frames {
            Frames::Customer(t) => t.next(tiler).await.map(|p| p.map(Job::Customer)),
            Frames::Agent(t) => t.next(tiler).await.map(|p| p.map(Job::Agent)),
        };
        match next {
            None => Next::Ended,
            Some(None) => {
                metrics::counter!("beside_frames_unchanged_total", "role" => role).increment(1);
                Next::Unchanged
            }
            Some(Some(job)) => Next::Send(Outgoing::new(job, quality, role)),
        }
    }

    /// Forgets the latest frame, so it is never sent again (the viewer may no longer see it:
    /// the customer paused the view); the next frame goes whole.
    pub fn forget_latest(&mut self) {
        match &mut self.frames {
            Frames::Customer(t) => t.latest = None,
            Frames::Agent(t) => t.latest = None,
        }
        self.tiler.refresh = true;
    }

    /// The client has shown frame `seq` and every one before it.
    pub fn on_ack(&mut self, seq: u64, now: Instant) {
        self.pacer.acked(seq, now);
    }

    /// The time [`ViewerStream::wake_at`] said has come; may give the picture the viewer shows
    /// again, finer.
    pub fn on_wake(&mut self, now: Instant) -> Option<Outgoing> {
        if self.pacer.give_up_at().is_some_and(|t| now >= t) {
            self.pacer.give_up();
        }
        if self.next_check.is_none_or(|t| now < t) {
            return None;
        }
        self.next_check = None;
        let held = self.pacer.take_held(now);
        let change = if held.is_zero() { self.link.idle(now) } else { self.link.sent(now, held) };
        self.on_change(change, now)
    }

    /// A message (frame `frame`, or another) was handed to the connection from `started` to
    /// `now`; may give the picture the viewer shows again, finer.
    pub fn on_sent(
        &mut self,
        frame: Option<u64>,
        started: Instant,
        now: Instant,
    ) -> Option<Outgoing> {
        if let Some(seq) = frame {
            self.pacer.sent(seq, started);
        }
        let waited = now.duration_since(started) + self.pacer.take_held(now);
        let change = self.link.sent(now, waited);
        self.on_change(change, now)
    }

    fn on_change(&mut self, change: Change, now: Instant) -> Option<Outgoing> {
        let direction = match change {
            Change::Same => None,
            Change::Coarser => Some("coarser"),
            Change::Finer => Some("finer"),
        };
        if let Some(direction) = direction {
            metrics::counter!("beside_link_quality_changes_total", "role" => self.role, "direction" => direction)
                .increment(1);
        }
        if self.link.is_reduced() {
            self.next_check.get_or_insert(now + policy::link::WINDOW);
        } else {
            self.next_check = None;
        }
        if change != Change::Finer {
            return None;
        }
        // What the viewer shows is coarser than what comes next: it goes again, whole.
        self.tiler.refresh = true;
        let (tiler, quality, role) = (&mut self.tiler, self.link.quality(), self.role);
        let job = match &mut self.frames {
            Frames::Customer(t) => t.again(tiler).map(Job::Customer),
            Frames::Agent(t) => t.again(tiler).map(Job::Agent),
        }?;
        Some(Outgoing::new(job, quality, role))
    }
}

impl<F: Picture> Typed<F> {
    /// The next frame from the slot (`None` once the session ended), as the message to send
    /// (`None` when it changed nothing).
    async fn next(&mut self, tiler: &mut Tiler) -> Option<Option<Pick<F>>> {
        let update = self.feed.take().await?;
        self.latest = Some(update.clone());
        Some(tiler.pick(update))
    }

    /// The latest frame again.
    fn again(&mut self, tiler: &mut Tiler) -> Option<Pick<F>> {
        tiler.pick(self.latest.clone()?)
    }
}

/// Which frames go whole and which as tiles.
struct Tiler {
    /// The client applies tiles.
    enabled: bool,
    /// The frame this connection got last, and the newest frame known to look exactly like it
    /// (frames that changed nothing are not sent): tiles against that one apply to what the
    /// client shows.
    last_sent: Option<FrameHeader>,
    same_as: Option<u64>,
    /// The next frame goes whole (the quality went finer: tiles would leave the rest coarse).
    refresh: bool,
}

impl Tiler {
    /// How `update` goes to the client, or `None` when it changed nothing the client shows.
    fn pick<F: Picture>(&mut self, update: Arc<Update<F>>) -> Option<Pick<F>> {
        let frame = update.frame().raw();
        let header = FrameHeader { seq: frame.seq, meta: frame.meta };
        let delta = update
            .delta()
            .filter(|d| self.enabled && !self.refresh && self.same_as == Some(d.base_seq));
        let base = self.last_sent.as_ref();
        let tiles_on = match delta {
            Some(d)
                if d.tiles.is_empty()
                    && base.is_some_and(|b| b.meta.same_geometry(&header.meta)) =>
            {
                // Tiles against this frame apply to what the client shows.
                self.same_as = Some(header.seq);
                return None;
            }
            Some(d) => Some(base.map_or(d.base_seq, |b| b.seq)),
            None => None,
        };
        self.same_as = Some(header.seq);
        self.last_sent = Some(header.clone());
        self.refresh = false;
        Some(Pick { update, header, tiles_on })
    }
}

/// A frame chosen to go, and how.
struct Pick<F> {
    update: Arc<Update<F>>,
    header: FrameHeader,
    /// As tiles against this frame (the one the client shows), or whole.
    tiles_on: Option<u64>,
}

enum Job {
    Customer(Pick<RawFrame>),
    Agent(Pick<MaskedFrame>),
}

/// A frame message to build. Requantising makes it CPU work of a few milliseconds
/// ([`Outgoing::is_heavy`]), which a transport runs where it likes; [`Outgoing::encode`] gives
/// the bytes to send.
pub struct Outgoing {
    job: Job,
    /// Coarser than the frame as it came, or `None` for as it came.
    quality: Option<u8>,
    role: &'static str,
}

impl Outgoing {
    fn new(job: Job, quality: Option<u8>, role: &'static str) -> Outgoing {
        let tiles = match &job {
            Job::Customer(p) => p.tiles_on.is_some(),
            Job::Agent(p) => p.tiles_on.is_some(),
        };
        let kind = if tiles { "tiles" } else { "whole" };
        metrics::counter!("beside_frames_sent_total", "role" => role, "kind" => kind).increment(1);
        Outgoing { job, quality, role }
    }

    /// The number of the frame.
    pub fn seq(&self) -> u64 {
        match &self.job {
            Job::Customer(p) => p.header.seq,
            Job::Agent(p) => p.header.seq,
        }
    }

    /// Whether encoding it is long work (requantising), to run off the async threads.
    pub fn is_heavy(&self) -> bool {
        self.quality.is_some()
    }

    /// The binary message.
    pub fn encode(self) -> Vec<u8> {
        let started = Instant::now();
        let (bytes, age) = match &self.job {
            Job::Customer(p) => (p.encode(self.quality, self.role), p.age_seconds()),
            Job::Agent(p) => (p.encode(self.quality, self.role), p.age_seconds()),
        };
        metrics::histogram!("beside_frame_encode_seconds").record(started.elapsed().as_secs_f64());
        if let Some(age) = age {
            metrics::histogram!("beside_frame_age_seconds", "stage" => self.role).record(age);
        }
        metrics::counter!("beside_frame_bytes_sent_total", "role" => self.role)
            .increment(bytes.len() as u64);
        bytes
    }
}

impl<F: Picture> Pick<F> {
    fn age_seconds(&self) -> Option<f64> {
        self.update.frame().raw().age_seconds()
    }

    fn encode(&self, quality: Option<u8>, role: &'static str) -> Vec<u8> {
        let mut n_requantized = 0;
        let mut at_quality = |jpeg: &Bytes| match quality.and_then(|q| frames::requantize(jpeg, q))
        {
            Some(coarse) => {
                n_requantized += 1;
                coarse
            }
            None => jpeg.clone(),
        };
        let bytes = match (self.tiles_on, self.update.delta()) {
            (Some(shown), Some(delta)) => {
                let jpegs: Vec<Bytes> = delta.tiles.iter().map(|t| at_quality(&t.jpeg)).collect();
                let tiles: Vec<(TileHeader, &[u8])> = delta
                    .tiles
                    .iter()
                    .zip(&jpegs)
                    .map(|(t, jpeg)| {
                        let place =
                            TileHeader { x: t.x, y: t.y, width: t.width, height: t.height, len: 0 };
                        (place, jpeg.as_ref())
                    })
                    .collect();
                protocol::encode_tiles(&self.header, shown, &tiles)
            }
            _ => protocol::encode_frame(&self.header, &at_quality(&self.update.frame().raw().jpeg)),
        };
        if quality.is_some() {
            metrics::counter!("beside_frames_requantized_total", "role" => role)
                .increment(n_requantized);
        }
        bytes
    }
}
