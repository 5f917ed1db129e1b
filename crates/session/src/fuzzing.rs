//! Entry point for the fuzz targets (`crates/fuzz`): a client's WebSocket text message,
//! decoded and arbitrated as the session does it, for both roles. It panics when a promise of
//! the arbiter is broken: what reaches the page is inside the viewport, finite, and of the
//! lengths the arbiter allows.

use crate::input::{Action, Arbiter};
use model::{Role, Viewport};
use std::time::Instant;

pub fn client_message(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(msg) = protocol::parse_client_message(text) else { return };
    let viewport = Viewport::DEFAULT;
    for role in [Role::Customer, Role::Agent] {
        let mut arbiter = Arbiter::new(role, 250, Instant::now());
        let Ok(decision) = arbiter.decide(msg.clone(), &viewport, Instant::now()) else { continue };
        let inside = |x: f64, y: f64| {
            x.is_finite()
                && y.is_finite()
                && (0.0..=f64::from(viewport.width)).contains(&x)
                && (0.0..=f64::from(viewport.height)).contains(&y)
        };
        if let Some(p) = decision.cursor {
            assert!(inside(p.x, p.y), "{p:?}");
        }
        match decision.action {
            Action::Dispatch(browser::Input::Mouse { x, y, buttons, click_count, .. }) => {
                assert!(inside(x, y) && buttons <= 0b111 && click_count <= 3);
            }
            Action::Dispatch(browser::Input::Wheel { x, y, delta_x, delta_y, .. }) => {
                assert!(inside(x, y));
                assert!(delta_x.abs() <= 10_000.0 && delta_y.abs() <= 10_000.0);
            }
            Action::Dispatch(browser::Input::Touch { points, .. }) => {
                assert!(points.len() <= browser::MAX_TOUCH_POINTS);
                assert!(points.iter().all(|p| inside(p.x, p.y)));
            }
            Action::Dispatch(browser::Input::Key { key, code, .. }) => {
                assert!(!key.is_empty() && key.chars().count() <= 32 && code.chars().count() <= 32);
            }
            Action::Dispatch(
                browser::Input::InsertText(text) | browser::Input::Composition(text),
            ) => {
                assert!(text.chars().count() <= 4096);
                assert!(!text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')));
            }
            Action::Navigate(url) => {
                assert!(matches!(url.scheme(), "http" | "https"), "{url}");
                assert!(policy::navigation::check_url(url.as_str()).is_ok(), "{url}");
            }
            Action::SetViewport(v) => assert_eq!(v, v.clamped()),
            _ => {}
        }
    }
}
