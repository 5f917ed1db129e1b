//! What a viewer's slot carries: a frame, and the same frame as its changes against the frame
//! before it in the stream, so a viewer that got that one receives only the tiles that changed.
//!
//! Architecture Invariant: the tiles of an update are cut from that update's own JPEG (`new`
//! cuts them; `follow` takes another stream's only when its JPEG is the same, byte for byte),
//! so an agent's tiles come from a masked frame.

use crate::{Delta, Differ, MaskedFrame, RawFrame};

/// A frame that can go to a viewer: its JPEG and geometry.
pub trait Picture {
    fn raw(&self) -> &RawFrame;
}

impl Picture for RawFrame {
    fn raw(&self) -> &RawFrame {
        self
    }
}

impl Picture for MaskedFrame {
    fn raw(&self) -> &RawFrame {
        self.frame()
    }
}

/// A frame of one stream, whole and as changes against the frame before it in that stream.
#[derive(Debug)]
pub struct Update<F> {
    frame: F,
    delta: Option<Delta>,
}

impl<F: Picture> Update<F> {
    /// The frame with its changes against the frame `differ` saw before it (which this frame
    /// now replaces there). A viewer that did not get that frame gets this one whole.
    pub fn new(frame: F, differ: &mut Differ) -> Update<F> {
        let raw = frame.raw();
        let delta = differ.diff(raw.seq, &raw.jpeg);
        Update { frame, delta }
    }

    /// `frame` for a stream that follows `lead`'s (agents beside customers): when it is the very
    /// JPEG `lead` carries and this stream's last frame is the one `lead`'s was compared with,
    /// `lead`'s changes are its changes (no second decode); otherwise as [`Update::new`]. The
    /// tiles are then cut from `lead`'s JPEG, which is this frame's JPEG, byte for byte.
    pub fn follow<G: Picture>(
        frame: F,
        differ: &mut Differ,
        lead: &Update<G>,
        lead_differ: &Differ,
    ) -> Update<F> {
        let (raw, lead_raw) = (frame.raw(), lead.frame.raw());
        if raw.seq == lead_raw.seq
            && raw.jpeg == lead_raw.jpeg
            && differ.follow(lead_differ, raw.seq)
        {
            let delta = lead.delta.clone();
            return Update { frame, delta };
        }
        Update::new(frame, differ)
    }

    pub fn frame(&self) -> &F {
        &self.frame
    }

    /// The frame as changes, when they are smaller than the frame.
    pub fn delta(&self) -> Option<&Delta> {
        self.delta.as_ref()
    }
}
