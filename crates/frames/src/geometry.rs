//! Mapping mask rectangles from the viewport's CSS pixels to the frame's pixels.

use model::Rect;

/// Room added around every masked rectangle, in CSS pixels: it covers borders, focus rings,
/// anti-aliasing and the blur of JPEG blocks at the field's edge.
pub(crate) const MARGIN_CSS: f64 = 4.0;

/// A rectangle of frame pixels, half-open (`x0 <= x < x1`, `y0 <= y < y1`), never empty and
/// always inside the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PixelRect {
    pub(crate) x0: usize,
    pub(crate) y0: usize,
    pub(crate) x1: usize,
    pub(crate) y1: usize,
}

impl PixelRect {
    pub(crate) fn width(&self) -> usize {
        self.x1 - self.x0
    }

    pub(crate) fn height(&self) -> usize {
        self.y1 - self.y0
    }
}

/// How CSS pixels of the viewport land on the pixels of one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Mapping {
    /// Frame pixels per CSS pixel, horizontally and vertically.
    pub(crate) scale_x: f64,
    pub(crate) scale_y: f64,
    /// The frame's size in pixels.
    pub(crate) width: usize,
    pub(crate) height: usize,
}

/// Why a plan's rectangles cannot be placed on a frame; the frame must then be hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unmappable {
    #[error("a mask rectangle has a coordinate that is not a finite number")]
    NotFinite,
    #[error("the frame has no CSS size, so mask rectangles cannot be scaled to it")]
    NoCssSize,
}

impl Mapping {
    /// The mapping for a frame of `width`×`height` pixels showing a `css_width`×`css_height`
    /// viewport; `None` when the viewport has no area.
    pub(crate) fn new(
        css_width: u32,
        css_height: u32,
        width: usize,
        height: usize,
    ) -> Option<Self> {
        if css_width == 0 || css_height == 0 {
            return None;
        }
        Some(Self {
            scale_x: width as f64 / f64::from(css_width),
            scale_y: height as f64 / f64::from(css_height),
            width,
            height,
        })
    }

    /// The frame pixels to paint for `rect` (grown by the margin, clamped to the frame);
    /// `None` when nothing of it is in the frame. `rect` must be finite and not empty.
    fn place(&self, rect: &Rect) -> Option<PixelRect> {
        let x0 = ((rect.x - MARGIN_CSS) * self.scale_x).floor();
        let y0 = ((rect.y - MARGIN_CSS) * self.scale_y).floor();
        let x1 = ((rect.x + rect.width + MARGIN_CSS) * self.scale_x).ceil();
        let y1 = ((rect.y + rect.height + MARGIN_CSS) * self.scale_y).ceil();
        // Clamp as floats first: the casts below then never saturate or wrap.
        let clamp_x = |v: f64| v.clamp(0.0, self.width as f64) as usize;
        let clamp_y = |v: f64| v.clamp(0.0, self.height as f64) as usize;
        let placed =
            PixelRect { x0: clamp_x(x0), y0: clamp_y(y0), x1: clamp_x(x1), y1: clamp_y(y1) };
        (placed.x0 < placed.x1 && placed.y0 < placed.y1).then_some(placed)
    }
}

/// Where a plan's rectangles land on a frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placement {
    pub(crate) mapping: Mapping,
    /// The visible part of each rectangle; empty when none is in the frame.
    pub(crate) rects: Vec<PixelRect>,
}

/// The frame pixels to paint for `rects`: the visible part of each (grown by the margin);
/// `None` when no rectangle has an area.
///
/// Empty rectangles (zero or negative width or height) are ignored. A rectangle with a
/// coordinate that is not finite makes the whole plan unmappable: nobody can tell what it
/// was meant to cover. `mapping` is only asked for when there is something to place.
pub(crate) fn to_pixels<'a, E: From<Unmappable>>(
    rects: impl IntoIterator<Item = &'a Rect>,
    mapping: impl FnOnce() -> Result<Mapping, E>,
) -> Result<Option<Placement>, E> {
    let mut wanted = Vec::new();
    for rect in rects {
        let finite = [rect.x, rect.y, rect.width, rect.height].iter().all(|v| v.is_finite());
        if !finite {
            return Err(Unmappable::NotFinite.into());
        }
        if rect.width > 0.0 && rect.height > 0.0 {
            wanted.push(rect);
        }
    }
    if wanted.is_empty() {
        return Ok(None);
    }
    let mapping = mapping()?;
    let rects = wanted.into_iter().filter_map(|rect| mapping.place(rect)).collect();
    Ok(Some(Placement { mapping, rects }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f64, y: f64, width: f64, height: f64) -> Rect {
        Rect { x, y, width, height }
    }

    fn mapping(
        css: (u32, u32),
        px: (usize, usize),
    ) -> impl FnOnce() -> Result<Mapping, Unmappable> {
        move || Mapping::new(css.0, css.1, px.0, px.1).ok_or(Unmappable::NoCssSize)
    }

    fn placed(
        rects: &[Rect],
        css: (u32, u32),
        px: (usize, usize),
    ) -> Result<Option<Vec<PixelRect>>, Unmappable> {
        to_pixels(rects, mapping(css, px)).map(|placement| placement.map(|p| p.rects))
    }

    #[test]
    fn a_rect_grows_by_the_margin_and_scales_with_the_frame() {
        let placed = placed(&[rect(100.0, 50.0, 20.0, 10.0)], (640, 360), (1280, 720));
        assert_eq!(placed, Ok(Some(vec![PixelRect { x0: 192, y0: 92, x1: 248, y1: 128 }])));
    }

    #[test]
    fn fractional_edges_round_outwards() {
        let placed = placed(&[rect(10.5, 10.5, 1.2, 1.2)], (100, 100), (100, 100));
        assert_eq!(placed, Ok(Some(vec![PixelRect { x0: 6, y0: 6, x1: 16, y1: 16 }])));
    }

    #[test]
    fn a_rect_partly_outside_is_clamped_and_one_fully_outside_is_dropped() {
        let rects = [
            rect(-50.0, -50.0, 100.0, 100.0),
            rect(90.0, 80.0, 1e300, 1e300),
            rect(500.0, 10.0, 10.0, 10.0),
            rect(10.0, -30.0, 10.0, 10.0),
        ];
        assert_eq!(
            placed(&rects, (100, 100), (100, 100)),
            Ok(Some(vec![
                PixelRect { x0: 0, y0: 0, x1: 54, y1: 54 },
                PixelRect { x0: 86, y0: 76, x1: 100, y1: 100 },
            ]))
        );
        let outside = [rect(500.0, 10.0, 10.0, 10.0)];
        assert_eq!(placed(&outside, (100, 100), (100, 100)), Ok(Some(vec![])));
    }

    #[test]
    fn empty_and_negative_rects_are_ignored() {
        let rects =
            [rect(1.0, 1.0, 0.0, 5.0), rect(1.0, 1.0, 5.0, -5.0), rect(1.0, 1.0, -1.0, -1.0)];
        assert_eq!(placed(&rects, (100, 100), (100, 100)), Ok(None));
    }

    #[test]
    fn a_rect_that_is_not_finite_makes_the_plan_unmappable() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let rects = [rect(1.0, 1.0, 5.0, 5.0), rect(1.0, bad, 5.0, 5.0)];
            assert_eq!(placed(&rects, (100, 100), (100, 100)), Err(Unmappable::NotFinite));
            let rects = [rect(1.0, 1.0, bad, 5.0)];
            assert_eq!(placed(&rects, (100, 100), (100, 100)), Err(Unmappable::NotFinite));
        }
    }

    #[test]
    fn a_frame_without_css_size_cannot_be_masked_but_needs_no_mapping_for_nothing() {
        let rects = [rect(1.0, 1.0, 5.0, 5.0)];
        assert_eq!(placed(&rects, (0, 100), (100, 100)), Err(Unmappable::NoCssSize));
        let empty = [rect(1.0, 1.0, 0.0, 0.0)];
        let unasked = || -> Result<Mapping, Unmappable> { panic!("no mapping is needed") };
        assert_eq!(to_pixels(&empty, unasked), Ok(None));
    }
}
