//! A customer's touches (F6): the fingers of a `touch` message, checked and clamped before
//! they reach the page as touch events.

use crate::input::Rejection;
use model::{Point, Viewport};
use protocol::{RejectCode, TouchKind, TouchPoint};

/// The touch of a touch message, its fingers clamped into the viewport: at most `MAX_TOUCH_POINTS`,
/// each finger once, finite positions; a finger going down or moving needs a finger down, and
/// a cancel names none.
pub(crate) fn check(
    kind: TouchKind,
    points: &[TouchPoint],
    viewport: &Viewport,
) -> Result<browser::Input, Rejection> {
    let invalid = |why: &str| Err(Rejection::new(RejectCode::InvalidInput, why));
    if points.len() > browser::MAX_TOUCH_POINTS {
        return invalid("too many touch points");
    }
    match kind {
        TouchKind::Start | TouchKind::Move if points.is_empty() => {
            return invalid("a touch that starts or moves needs a touch point");
        }
        TouchKind::Cancel if !points.is_empty() => {
            return invalid("a cancelled touch has no touch points");
        }
        _ => {}
    }
    let mut fingers = Vec::with_capacity(points.len());
    for (i, t) in points.iter().enumerate() {
        if points[..i].iter().any(|other| other.id == t.id) {
            return invalid("a touch point is named twice");
        }
        let Some(p) = viewport.clamp_point(Point { x: t.x, y: t.y }) else {
            return invalid("touch position is not a number");
        };
        fingers.push(browser::TouchPoint { id: t.id, x: p.x, y: p.y });
    }
    let kind = match kind {
        TouchKind::Start => browser::TouchKind::Start,
        TouchKind::Move => browser::TouchKind::Move,
        TouchKind::End => browser::TouchKind::End,
        TouchKind::Cancel => browser::TouchKind::Cancel,
    };
    Ok(browser::Input::Touch { kind, points: fingers })
}

/// Where the first finger of a touch is: the sender's cursor (none once every finger is up).
pub(crate) fn first_finger(input: &browser::Input) -> Option<Point> {
    match input {
        browser::Input::Touch { points, .. } => points.first().map(|p| Point { x: p.x, y: p.y }),
        _ => None,
    }
}
