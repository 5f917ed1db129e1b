//! One viewer's stream, fed by hand with a clock of its own.

use super::*;
use crate::fake;
use frames::{mask, Differ, MaskPlan, SlotSender};
use policy::link::{GIVE_UP, WINDOW};
use protocol::FrameMessage;
use std::time::Duration;

fn raw(seq: u64, shade: u8) -> RawFrame {
    RawFrame { seq, jpeg: fake::jpeg(shade), meta: fake::frame(1000.0 + seq as f64).meta }
}

struct Customer {
    tx: SlotSender<Arc<Update<RawFrame>>>,
    differ: Differ,
    stream: ViewerStream,
}

fn customer(tiles: bool, now: Instant) -> Customer {
    let (tx, rx) = frames::slot();
    let stream = ViewerStream::new(FrameFeed(Feed::Customer(rx)), tiles, now);
    Customer { tx, differ: Differ::new(), stream }
}

impl Customer {
    /// The session hands over frame `seq`; what does the stream make of it?
    async fn frame(&mut self, seq: u64, shade: u8) -> Next {
        self.tx.put(Arc::new(Update::new(raw(seq, shade), &mut self.differ)));
        self.stream.next_frame().await
    }
}

/// The frame message's number, whether it is tiles (and against which frame), and its JPEGs.
fn decoded(out: Outgoing) -> (u64, Option<u64>, Vec<Vec<u8>>) {
    let bytes = out.encode();
    match protocol::decode_message(&bytes).unwrap() {
        FrameMessage::Whole(header, jpeg) => (header.seq, None, vec![jpeg.to_vec()]),
        FrameMessage::Tiles(header, jpegs) => (
            header.frame.seq,
            Some(header.base_seq),
            jpegs.into_iter().map(<[u8]>::to_vec).collect(),
        ),
    }
}

fn sent(next: Next) -> Outgoing {
    match next {
        Next::Send(out) => out,
        Next::Unchanged => panic!("the frame was not sent"),
        Next::Ended => panic!("the stream ended"),
    }
}

#[tokio::test]
async fn a_frame_that_changed_nothing_is_not_sent_and_tiles_apply_to_what_the_client_shows() {
    let mut c = customer(true, Instant::now());
    assert_eq!(decoded(sent(c.frame(1, 0).await)).1, None, "the first frame goes whole");
    assert!(matches!(c.frame(2, 0).await, Next::Unchanged));
    // Frame 3 changed the corner against frame 2, which looks like frame 1, which the client shows.
    let (seq, base, jpegs) = decoded(sent(c.frame(3, 120).await));
    assert_eq!((seq, base), (3, Some(1)));
    assert!(jpegs.iter().map(Vec::len).sum::<usize>() < fake::jpeg(120).len() / 2);
    // A client that does not apply tiles gets every frame whole, changed or not.
    let mut whole = customer(false, Instant::now());
    assert_eq!(decoded(sent(whole.frame(1, 0).await)).1, None);
    assert_eq!(decoded(sent(whole.frame(2, 0).await)), (2, None, vec![fake::jpeg(0).to_vec()]));
}

#[tokio::test]
async fn an_agents_stream_sends_its_masked_frames() {
    let (tx, rx) = frames::slot();
    let mut stream = ViewerStream::new(FrameFeed(Feed::Agent(rx)), true, Instant::now());
    let hidden = mask(&raw(1, 120), &MaskPlan::HideAll);
    tx.put(Arc::new(Update::new(hidden.clone(), &mut Differ::new())));
    let (seq, _, jpegs) = decoded(sent(stream.next_frame().await));
    assert_eq!(seq, 1);
    assert_eq!(jpegs, vec![hidden.frame().jpeg.to_vec()]);
    assert_ne!(jpegs[0], fake::jpeg(120).to_vec());
    drop(tx);
    assert!(matches!(stream.next_frame().await, Next::Ended));
}

#[tokio::test]
async fn a_client_that_acknowledges_gets_a_frame_while_none_on_its_way_is_overdue() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut c = customer(false, t0);
    // Frame 1 is shown 10 ms after it went: the quickest acknowledgement.
    c.stream.on_sent(Some(1), t0, t0);
    c.stream.on_ack(1, t0 + ms(10));
    let t1 = t0 + ms(20);
    c.stream.on_sent(Some(2), t1, t1);
    assert!(c.stream.may_send(t1 + ms(30)));
    assert!(!c.stream.may_send(t1 + ms(70)), "frame 2 is overdue: the next waits");
    assert_eq!(c.stream.wake_at(false), Some(t1 + GIVE_UP));
    // Shown at last: the next goes.
    c.stream.on_ack(2, t1 + ms(90));
    assert!(c.stream.may_send(t1 + ms(90)));
    // One never shown is given up on.
    let t2 = t1 + ms(100);
    c.stream.on_sent(Some(3), t2, t2);
    assert!(!c.stream.may_send(t2 + ms(200)));
    assert!(c.stream.on_wake(t2 + GIVE_UP).is_none());
    assert!(c.stream.may_send(t2 + GIVE_UP));
}

#[tokio::test]
async fn a_slow_link_gets_coarser_frames_and_the_picture_again_finer_when_it_has_room() {
    let t0 = Instant::now();
    let mut c = customer(true, t0);
    assert!(!sent(c.frame(1, 120).await).is_heavy());
    // Handing each message over takes 90 of every 100 ms.
    let mut now = t0;
    let mut again = None;
    for _ in 0..5 {
        now += Duration::from_millis(100);
        again = again.or(c.stream.on_sent(None, now - Duration::from_millis(90), now));
    }
    assert!(again.is_none(), "coarser, nothing to send again");
    let coarse = sent(c.frame(2, 60).await);
    assert!(coarse.is_heavy());
    let (seq, base, jpegs) = decoded(coarse);
    assert_eq!((seq, base), (2, Some(1)));
    // The same tiles to a viewer whose link keeps up.
    let mut fast = customer(true, t0);
    sent(fast.frame(1, 120).await);
    let (_, _, fine) = decoded(sent(fast.frame(2, 60).await));
    let n_bytes = |jpegs: &[Vec<u8>]| jpegs.iter().map(Vec::len).sum::<usize>();
    assert!(
        n_bytes(&jpegs) < n_bytes(&fine),
        "{} bytes, {} as they came",
        n_bytes(&jpegs),
        n_bytes(&fine)
    );
    // The page is still and the link idle: it is looked at every window until it is calm.
    let mut finer = None;
    for _ in 0..10 {
        let Some(at) = c.stream.wake_at(true) else { break };
        now = at;
        if let Some(out) = c.stream.on_wake(now) {
            finer = Some(out);
            break;
        }
    }
    let finer = finer.expect("the link was found calm");
    assert!(!finer.is_heavy());
    assert_eq!(
        decoded(finer),
        (2, None, vec![fake::jpeg(60).to_vec()]),
        "the picture, whole, as it came"
    );
    assert_eq!(c.stream.wake_at(true), None, "back to the frames as they come");
    assert!(now - t0 >= WINDOW * 4);
}

#[tokio::test]
async fn a_forgotten_picture_is_not_sent_again_when_the_link_gets_room() {
    let t0 = Instant::now();
    let mut c = customer(true, t0);
    sent(c.frame(1, 120).await);
    let mut now = t0;
    for _ in 0..5 {
        now += Duration::from_millis(100);
        c.stream.on_sent(None, now - Duration::from_millis(90), now);
    }
    // The viewer may no longer see the page (the view was paused): the last picture is gone.
    c.stream.forget_latest();
    for _ in 0..10 {
        let Some(at) = c.stream.wake_at(true) else { break };
        now = at;
        assert!(c.stream.on_wake(now).is_none(), "nothing is sent again");
    }
    assert_eq!(c.stream.wake_at(true), None, "the link is calm again");
    // The next frame goes whole, though tiles against the forgotten one were smaller.
    assert_eq!(decoded(sent(c.frame(2, 60).await)).1, None);
}
