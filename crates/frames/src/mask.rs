//! The masking step: the only producer of `MaskedFrame`.
//!
//! Rectangles are masked in the compressed domain (`dct`) when the JPEG allows it, else on
//! the decoded planes (`codec`). When in doubt, hide: a plan that cannot be honoured (a
//! rectangle that is not a number, a frame neither way can mask, a viewport without size)
//! gives a frame that shows nothing.

use bytes::Bytes;

use crate::codec::{self, CodecError};
use crate::dct;
use crate::geometry::{self, Mapping, Unmappable};
use crate::RawFrame;

/// What must be hidden from the agent in a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum MaskPlan {
    /// Nothing on the page is masked: the agent may see the frame as it is (not re-encoded).
    Clear,
    /// Paint these rectangles over. A plan whose rectangles are all empty or outside the
    /// frame passes the frame through unchanged.
    Rects(Vec<MaskRect>),
    /// The masks are not known to be current: hide the whole frame.
    HideAll,
}

/// A rectangle to paint over, in CSS pixels relative to the viewport of the frame it is
/// applied to (the frame's pixels may be CSS pixels times a scale). It is grown by a margin
/// of a few CSS pixels, and then to the JPEG's whole MCUs (8 or 16 pixels a side) when masked
/// in the compressed domain; an empty one (zero or negative size) is ignored; one with a
/// coordinate that is not a finite number hides the whole frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaskRect {
    pub rect: model::Rect,
}

/// A frame that went through `mask` and may be shown to an agent or recorded.
#[derive(Debug, Clone)]
pub struct MaskedFrame {
    frame: RawFrame,
    hidden: bool,
}

impl MaskedFrame {
    /// The frame as the agent may see it, with the raw frame's geometry.
    pub fn frame(&self) -> &RawFrame {
        &self.frame
    }

    /// Whether the whole frame is covered (the plan said so, or could not be honoured).
    pub fn is_hidden(&self) -> bool {
        self.hidden
    }
}

/// Why a `Rects` plan could not be painted; the frame is hidden instead.
#[derive(Debug, thiserror::Error)]
enum MaskError {
    #[error(transparent)]
    Unmappable(#[from] Unmappable),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Applies a mask plan to a raw frame. Never fails: what cannot be masked is hidden.
pub fn mask(raw: &RawFrame, plan: &MaskPlan) -> MaskedFrame {
    match plan {
        MaskPlan::Clear => MaskedFrame { frame: raw.clone(), hidden: false },
        MaskPlan::HideAll => hide(raw),
        MaskPlan::Rects(rects) => match paint(raw, rects) {
            Ok(Some(jpeg)) => {
                MaskedFrame { frame: RawFrame { jpeg, ..raw.clone() }, hidden: false }
            }
            Ok(None) => MaskedFrame { frame: raw.clone(), hidden: false },
            Err(error) => {
                tracing::debug!(seq = raw.seq, %error, "frame hidden: its masks cannot be painted");
                hide(raw)
            }
        },
    }
}

/// The frame with `rects` painted over, or `None` when none of them shows in it.
fn paint(raw: &RawFrame, rects: &[MaskRect]) -> Result<Option<Bytes>, MaskError> {
    let placement = geometry::to_pixels(rects.iter().map(|r| &r.rect), || {
        let header = codec::header(&raw.jpeg)?;
        Mapping::new(raw.meta.css_width, raw.meta.css_height, header.width, header.height)
            .ok_or(MaskError::Unmappable(Unmappable::NoCssSize))
    })?;
    let Some(placement) = placement.filter(|p| !p.rects.is_empty()) else {
        return Ok(None);
    };
    let scale = placement.mapping.scale_x.min(placement.mapping.scale_y);
    let size = (placement.mapping.width, placement.mapping.height);
    match dct::mask(&raw.jpeg, &placement.rects, scale, size) {
        Ok(jpeg) => return Ok(Some(jpeg)),
        Err(reason) => {
            tracing::debug!(seq = raw.seq, %reason, "frame masked on its pixels");
        }
    }
    let jpeg = codec::repaint(&raw.jpeg, |planes| {
        for rect in &placement.rects {
            planes.paint_mask(*rect, scale);
        }
    })?;
    Ok(Some(jpeg))
}

/// The largest side of a hidden frame whose pixel size cannot be read from the JPEG.
const MAX_FALLBACK_SIDE: u32 = 4096;

/// The frame fully covered: the same pixel size when its header tells it, else its CSS size.
fn hide(raw: &RawFrame) -> MaskedFrame {
    let css = (
        raw.meta.css_width.clamp(1, MAX_FALLBACK_SIDE) as usize,
        raw.meta.css_height.clamp(1, MAX_FALLBACK_SIDE) as usize,
    );
    let from_header = codec::header(&raw.jpeg).ok().map(|h| (h.width, h.height));
    let jpeg = from_header
        .into_iter()
        .chain([css])
        .find_map(|(width, height)| codec::hidden(width, height).ok())
        // Nothing could be encoded (out of memory?): an empty picture shows nothing either.
        .unwrap_or_default();
    MaskedFrame { frame: RawFrame { jpeg, ..raw.clone() }, hidden: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_plan_keeps_the_frame_and_its_geometry() {
        let raw = RawFrame {
            seq: 3,
            jpeg: Bytes::from_static(b"\xff\xd8"),
            meta: model::FrameMeta {
                css_width: 10,
                css_height: 20,
                scroll_x: 0.0,
                scroll_y: 5.0,
                timestamp_ms: 1.0,
            },
        };
        let masked = mask(&raw, &MaskPlan::Clear);
        assert_eq!(masked.frame().seq, 3);
        assert_eq!(masked.frame().jpeg, raw.jpeg);
        assert_eq!(masked.frame().meta.scroll_y, 5.0);
        assert!(!masked.is_hidden());
    }
}
