//! Points, rectangles and the cloud browser's viewport, in CSS pixels.

use serde::{Deserialize, Serialize};

/// A position in CSS pixels relative to the viewport's top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// An axis-aligned rectangle in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn contains(&self, p: Point) -> bool {
        p.x >= self.x && p.y >= self.y && p.x < self.x + self.width && p.y < self.y + self.height
    }
}

/// The size of the page area in the cloud browser; it follows the customer's window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    /// Emulated device pixel ratio (1.0 on most desktops, 2–3 on phones).
    pub device_scale_factor: f64,
    /// Phone-style viewport: touch, mobile layout, no scrollbars.
    pub mobile: bool,
}

impl Viewport {
    pub const MIN_SIDE: u32 = 200;
    pub const MAX_WIDTH: u32 = 2560;
    pub const MAX_HEIGHT: u32 = 1600;
    /// Frames are produced at CSS size times this at most; more costs bandwidth, not clarity.
    pub const MAX_SCALE: f64 = 2.0;

    /// The viewport used before the customer's window has reported its size.
    pub const DEFAULT: Viewport =
        Viewport { width: 1280, height: 720, device_scale_factor: 1.0, mobile: false };

    /// Brings a size reported by a client into the range the server will render.
    /// Anything a client sends is untrusted: NaN, zero and huge values are all clamped.
    pub fn clamped(self) -> Viewport {
        let scale = if self.device_scale_factor.is_finite() {
            self.device_scale_factor.clamp(1.0, Self::MAX_SCALE)
        } else {
            1.0
        };
        Viewport {
            width: self.width.clamp(Self::MIN_SIDE, Self::MAX_WIDTH),
            height: self.height.clamp(Self::MIN_SIDE, Self::MAX_HEIGHT),
            device_scale_factor: scale,
            mobile: self.mobile,
        }
    }

    /// Clamps a client-supplied point into the viewport; `None` for NaN or infinities.
    pub fn clamp_point(&self, p: Point) -> Option<Point> {
        if !p.x.is_finite() || !p.y.is_finite() {
            return None;
        }
        Some(Point {
            x: p.x.clamp(0.0, f64::from(self.width) - 1.0),
            y: p.y.clamp(0.0, f64::from(self.height) - 1.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamping_tames_hostile_sizes() {
        let v = Viewport { width: 0, height: 99_999, device_scale_factor: f64::NAN, mobile: true }
            .clamped();
        assert_eq!((v.width, v.height, v.device_scale_factor), (200, 1600, 1.0));
        let v =
            Viewport { width: 390, height: 844, device_scale_factor: 3.0, mobile: true }.clamped();
        assert_eq!((v.width, v.height, v.device_scale_factor), (390, 844, 2.0));
    }

    #[test]
    fn points_are_clamped_into_the_viewport() {
        let v = Viewport::DEFAULT;
        assert_eq!(v.clamp_point(Point { x: -5.0, y: 9000.0 }), Some(Point { x: 0.0, y: 719.0 }));
        assert_eq!(v.clamp_point(Point { x: f64::NAN, y: 1.0 }), None);
        assert!(
            Rect { x: 10.0, y: 10.0, width: 5.0, height: 5.0 }.contains(Point { x: 12.0, y: 14.9 })
        );
    }
}
