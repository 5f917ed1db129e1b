//! The masking step: the only producer of `MaskedFrame`.

use crate::RawFrame;

/// What must be hidden from the agent in a frame.
///
/// Today beside has no masking rules, so the only plan is `Clear`. Masking rules
/// (detected sensitive fields, company selectors) add variants here that `mask` must
/// paint; a variant it cannot honour must hide the whole frame, never pass it through.
#[derive(Debug, Clone, PartialEq)]
pub enum MaskPlan {
    /// Nothing on the page is masked: the agent may see the frame as it is.
    Clear,
}

/// A frame that went through `mask` and may be shown to an agent or recorded.
#[derive(Debug, Clone)]
pub struct MaskedFrame {
    frame: RawFrame,
}

impl MaskedFrame {
    /// The frame as the agent may see it.
    pub fn frame(&self) -> &RawFrame {
        &self.frame
    }
}

/// Applies a mask plan to a raw frame.
pub fn mask(raw: &RawFrame, plan: &MaskPlan) -> MaskedFrame {
    match plan {
        MaskPlan::Clear => MaskedFrame { frame: raw.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn a_clear_plan_keeps_the_frame_and_its_geometry() {
        let raw = RawFrame {
            seq: 3,
            jpeg: Bytes::from_static(b"\xff\xd8"),
            css_width: 10,
            css_height: 20,
            scroll_x: 0.0,
            scroll_y: 5.0,
            timestamp_ms: 1.0,
        };
        let masked = mask(&raw, &MaskPlan::Clear);
        assert_eq!(masked.frame().seq, 3);
        assert_eq!(masked.frame().jpeg, raw.jpeg);
        assert_eq!(masked.frame().scroll_y, 5.0);
    }
}
