//! What a viewer's slot carries: a frame, and the same frame as its changes against the frame
//! before it in the stream, so a viewer that got that one receives only the tiles that changed.
//!
//! Architecture Invariant: the tiles of an update are cut from that update's own JPEG (`Update`
//! has no other constructor), so an agent's tiles come from a masked frame.

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

    /// The frame alone, for a stream that keeps no differ (nothing to compare with).
    pub fn whole(frame: F) -> Update<F> {
        Update { frame, delta: None }
    }

    pub fn frame(&self) -> &F {
        &self.frame
    }

    /// The frame as changes, when they are smaller than the frame.
    pub fn delta(&self) -> Option<&Delta> {
        self.delta.as_ref()
    }
}
