//! The rectangles a mask plan paints: a field's box grown by a margin, once each, and the
//! hull of two layouts.

use super::EXACT_MARGIN;
use browser::GuardReport;
use frames::{MaskPlan, MaskRect};
use model::Rect;

/// The plan that masks `frame` by one report's layout, which it is known to show: each field's
/// box and a small margin, and nothing else.
pub(super) fn exact(report: &GuardReport) -> MaskPlan {
    let mut rects: Vec<MaskRect> = Vec::new();
    for g in &report.masked {
        if !add(&mut rects, grown(g.rect, EXACT_MARGIN, EXACT_MARGIN)) {
            return MaskPlan::HideAll;
        }
    }
    plan_of(rects)
}

/// `rect` grown by `dx` each side across and `dy` each side down.
pub(super) fn grown(rect: Rect, dx: f64, dy: f64) -> Rect {
    Rect {
        x: rect.x - dx,
        y: rect.y - dy,
        width: rect.width + 2.0 * dx,
        height: rect.height + 2.0 * dy,
    }
}

/// Adds `rect` to be painted, once (the same place in several reports of a page moving
/// elsewhere is painted once); false when it is not a rectangle (not finite).
pub(super) fn add(rects: &mut Vec<MaskRect>, rect: Rect) -> bool {
    if !(rect.x.is_finite()
        && rect.y.is_finite()
        && rect.width.is_finite()
        && rect.height.is_finite())
    {
        return false;
    }
    if !rects.iter().any(|m| m.rect == rect) {
        rects.push(MaskRect { rect });
    }
    true
}

pub(super) fn plan_of(rects: Vec<MaskRect>) -> MaskPlan {
    if rects.is_empty() {
        MaskPlan::Clear
    } else {
        MaskPlan::Rects(rects)
    }
}

/// The smallest rectangle holding both.
pub(super) fn hull(a: Rect, b: Rect) -> Rect {
    let x = a.x.min(b.x);
    let y = a.y.min(b.y);
    Rect {
        x,
        y,
        width: (a.x + a.width).max(b.x + b.width) - x,
        height: (a.y + a.height).max(b.y + b.height) - y,
    }
}
