//! Input → photon: an input is sent at `t0` (the bench's monotonic clock); each watched
//! feed's frames that arrive after it are decoded, in order, until one shows the effect;
//! that frame's arrival time minus `t0` is the sample. Decoding happens after the arrival
//! is stamped, on a blocking thread, so its cost is not in the figure.

use crate::cdp::CdpPage;
use crate::client::Viewer;
use crate::feed::{Arrival, Feed};
use crate::pages::{FIELD, PALETTE, TOGGLE};
use crate::pixels::{decode_eighth, mean_colour, nearest, Effect, Image, COLOUR_TOLERANCE};
use crate::stats::Jitter;
use anyhow::Context;
use protocol::PointerKind;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// How long a frame showing the effect may take before the event counts as missed.
pub(crate) const EVENT_TIMEOUT: Duration = Duration::from_secs(3);

/// Something that sends input to the page, one event at a time.
pub(crate) trait Sender {
    /// Moves the pointer to (x, y) and presses the left button there.
    fn press(&self, x: f64, y: f64) -> anyhow::Result<()>;
    fn release(&self, x: f64, y: f64) -> anyhow::Result<()>;
    fn key_down(&self, ch: char) -> anyhow::Result<()>;
    fn key_up(&self, ch: char) -> anyhow::Result<()>;
}

impl Sender for Viewer {
    fn press(&self, x: f64, y: f64) -> anyhow::Result<()> {
        self.pointer(PointerKind::Move, x, y)?;
        self.pointer(PointerKind::Down, x, y)
    }
    fn release(&self, x: f64, y: f64) -> anyhow::Result<()> {
        self.pointer(PointerKind::Up, x, y)
    }
    fn key_down(&self, ch: char) -> anyhow::Result<()> {
        self.key_event(true, ch)
    }
    fn key_up(&self, ch: char) -> anyhow::Result<()> {
        self.key_event(false, ch)
    }
}

impl Sender for CdpPage {
    fn press(&self, x: f64, y: f64) -> anyhow::Result<()> {
        self.pointer("mouseMoved", x, y);
        self.pointer("mousePressed", x, y);
        Ok(())
    }
    fn release(&self, x: f64, y: f64) -> anyhow::Result<()> {
        self.pointer("mouseReleased", x, y);
        Ok(())
    }
    fn key_down(&self, ch: char) -> anyhow::Result<()> {
        self.key_event(true, ch);
        Ok(())
    }
    fn key_up(&self, ch: char) -> anyhow::Result<()> {
        self.key_event(false, ch);
        Ok(())
    }
}

/// How long a button or key is held, as a person's finger does (and so the release does
/// not queue behind the press).
pub(crate) const HOLD: Duration = Duration::from_millis(70);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Click,
    Key,
}

/// A frame that showed the effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Seen {
    /// Input sent → frame arrived, milliseconds (monotonic clock).
    pub(crate) ms: f64,
    /// Input sent → Chromium's timestamp of that frame, milliseconds (wall clock on both
    /// ends); the rest of `ms` is the frame's way from Chromium to the viewer.
    pub(crate) painted_ms: f64,
}

/// One input event and what each watched feed saw (`None`: missed within the timeout).
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) kind: Kind,
    pub(crate) seen: Vec<Option<Seen>>,
}

pub(crate) fn unix_ms_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub(crate) async fn decode(arrival: &Arc<Arrival>) -> anyhow::Result<Image> {
    if let Some(image) = &arrival.image {
        return Ok(image.as_ref().clone());
    }
    let jpeg = arrival.jpeg.clone();
    tokio::task::spawn_blocking(move || decode_eighth(&jpeg))
        .await
        .context("the decoder panicked")?
}

/// The latest frame of a feed, decoded (waits up to 10 s for one).
async fn latest_image(feed: &Feed) -> anyhow::Result<(Image, (u32, u32))> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    feed.first_frame(deadline).await?;
    let arrival = feed.latest().context("a feed with a first frame has a latest frame")?;
    Ok((decode(&arrival).await?, arrival.css))
}

/// The palette index the probe page's square shows in the latest frame of `feed`.
pub(crate) async fn toggle_state(feed: &Feed) -> anyhow::Result<usize> {
    for _ in 0..20 {
        let (img, css) = latest_image(feed).await?;
        if let Some(i) =
            mean_colour(&img, TOGGLE, css).and_then(|c| nearest(c, &PALETTE, COLOUR_TOLERANCE))
        {
            return Ok(i);
        }
        // A hidden or half-loaded frame; the next one will tell.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    anyhow::bail!("{}: the probe page's square shows neither of its colours", feed.name)
}

/// When the first frame of `feed` since its connection opened that shows `effect` arrived.
pub(crate) async fn first_showing(
    feed: &Feed,
    effect: Effect,
    deadline: tokio::time::Instant,
) -> Option<Instant> {
    let frames = feed.record_from_start();
    let t0 = Instant::now();
    // Only the arrival time is wanted; the paint time is relative to anything.
    let seen = watch(frames, effect, t0, 0.0, deadline).await?;
    Some(t0 + Duration::from_secs_f64(seen.ms.max(0.0) / 1000.0))
}

/// Reads recorded frames until one shows `effect`, or the deadline.
pub(crate) async fn watch(
    mut frames: mpsc::UnboundedReceiver<Arc<Arrival>>,
    effect: Effect,
    t0: Instant,
    t0_unix_ms: f64,
    deadline: tokio::time::Instant,
) -> Option<Seen> {
    loop {
        let arrival = tokio::time::timeout_at(deadline, frames.recv()).await.ok()??;
        let Ok(img) = decode(&arrival).await else { continue };
        if effect.seen_in(&img, arrival.css) {
            return Some(Seen {
                ms: arrival.at.duration_since(t0).as_secs_f64() * 1000.0,
                painted_ms: arrival.painted_unix_ms - t0_unix_ms,
            });
        }
    }
}

/// Heavy glyphs, so each typed character changes many 8×8 blocks.
const TYPED: &[char] = &['w', 'm', '8', 'b', '0', 'd', 'q', 'g'];

/// Who sends input, and the feeds that watch for its effect (the first is the figure;
/// others are extra).
pub(crate) struct Actor<'a> {
    pub(crate) sender: &'a dyn Sender,
    pub(crate) feeds: Vec<&'a Arc<Feed>>,
    /// Actors with the same number act on the same page (one square, one field).
    pub(crate) page: usize,
}

/// `n_events` inputs per actor on the probe page, clicks on the square and keys into the
/// field in turn; the actors take turns event by event, so a change in the machine's load
/// falls on all of them alike. A click is a press, `HOLD`, then the release, and is timed
/// from the release (the click comes with it); a key is timed from going down (it types
/// then) and released `HOLD` later. Between events: until every feed has shown the effect
/// or timed out, then a random 150–300 ms. Returns each actor's samples.
pub(crate) async fn run_series(
    actors: &[Actor<'_>],
    n_events: usize,
) -> anyhow::Result<Vec<Vec<Sample>>> {
    let mut jitter = Jitter::new();
    // The colour each page's square shows, from the first feed of its first actor.
    let mut colours = std::collections::HashMap::new();
    for actor in actors {
        if let std::collections::hash_map::Entry::Vacant(entry) = colours.entry(actor.page) {
            let feed = actor.feeds.first().context("an actor needs a feed")?;
            entry.insert(toggle_state(feed).await?);
        }
    }
    let mut samples: Vec<Vec<Sample>> =
        actors.iter().map(|_| Vec::with_capacity(n_events)).collect();
    let click_at = (TOGGLE.x + TOGGLE.width / 2.0, TOGGLE.y + TOGGLE.height / 2.0);
    for i in 0..n_events {
        let kind = if i % 2 == 0 { Kind::Click } else { Kind::Key };
        let typed = TYPED[i / 2 % TYPED.len()];
        for (actor, out) in actors.iter().zip(&mut samples) {
            let colour = colours.get_mut(&actor.page).context("every page has a colour")?;
            let mut effects = Vec::with_capacity(actor.feeds.len());
            for feed in &actor.feeds {
                effects.push(match kind {
                    Kind::Click => {
                        Effect::Colour { region: TOGGLE, palette: PALETTE, want: 1 - *colour }
                    }
                    Kind::Key => {
                        Effect::Changed { region: FIELD, baseline: latest_image(feed).await?.0 }
                    }
                });
            }
            let sender = actor.sender;
            if kind == Kind::Click {
                // The square toggles on `click`, which comes with the release.
                sender.press(click_at.0, click_at.1)?;
                tokio::time::sleep(HOLD).await;
            }
            let recorders: Vec<_> = actor.feeds.iter().map(|f| f.record()).collect();
            let t0 = Instant::now();
            let t0_unix_ms = unix_ms_now();
            match kind {
                Kind::Click => sender.release(click_at.0, click_at.1)?,
                Kind::Key => sender.key_down(typed)?,
            }
            if kind == Kind::Click {
                *colour = 1 - *colour;
            }
            let deadline = tokio::time::Instant::from_std(t0 + EVENT_TIMEOUT);
            let watches = recorders
                .into_iter()
                .zip(effects)
                .map(|(rec, effect)| watch(rec, effect, t0, t0_unix_ms, deadline));
            let release_key = async {
                if kind == Kind::Key {
                    tokio::time::sleep(HOLD).await;
                    sender.key_up(typed)?;
                }
                anyhow::Ok(())
            };
            let (seen, released) =
                tokio::join!(futures_util::future::join_all(watches), release_key);
            released?;
            out.push(Sample { kind, seen });
            tokio::time::sleep(Duration::from_millis(jitter.between(150, 300))).await;
        }
    }
    Ok(samples)
}

/// The figures of feed `idx` over a series: all, clicks only, keys only, and paint times.
pub(crate) fn latencies(
    samples: &[Sample],
    idx: usize,
    kind: Option<Kind>,
) -> (Vec<f64>, Vec<f64>, usize) {
    let mut ms = Vec::new();
    let mut painted = Vec::new();
    let mut missed = 0;
    for s in samples.iter().filter(|s| kind.is_none_or(|k| s.kind == k)) {
        match s.seen.get(idx).copied().flatten() {
            Some(seen) => {
                ms.push(seen.ms);
                painted.push(seen.painted_ms);
            }
            None => missed += 1,
        }
    }
    (ms, painted, missed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_are_split_by_kind_and_misses_are_counted() {
        let seen = |ms| Some(Seen { ms, painted_ms: ms / 2.0 });
        let samples = vec![
            Sample { kind: Kind::Click, seen: vec![seen(20.0), seen(10.0)] },
            Sample { kind: Kind::Key, seen: vec![seen(30.0), None] },
            Sample { kind: Kind::Click, seen: vec![None, seen(12.0)] },
        ];
        assert_eq!(latencies(&samples, 0, None), (vec![20.0, 30.0], vec![10.0, 15.0], 1));
        assert_eq!(latencies(&samples, 0, Some(Kind::Click)), (vec![20.0], vec![10.0], 1));
        assert_eq!(latencies(&samples, 1, Some(Kind::Key)), (vec![], vec![], 1));
    }
}
