//! What pages may ask the browser to allow: location, notifications, camera, microphone and
//! reading the clipboard are refused in every session's browser context
//! (`Browser.setPermission`), so no prompt ever waits for anyone and nothing of the server's
//! devices or clipboard is shared. Chromium reports no request it refuses, so a script in the
//! page's own world tells the tab when the page asks ([`crate::TabEvent::PermissionRefused`]):
//! it can only make the people hear of a request, never grant one.

use model::SitePermission;
use serde_json::{json, Value};

/// The binding through which the page's world reports what it asked for.
pub(crate) const PERMISSION_BINDING: &str = "__besidePermission";

/// The permissions refused, by Chromium's names, with what the people are told of.
const REFUSED: [(&str, SitePermission); 5] = [
    ("geolocation", SitePermission::Geolocation),
    ("notifications", SitePermission::Notifications),
    ("camera", SitePermission::Camera),
    ("microphone", SitePermission::Microphone),
    ("clipboard-read", SitePermission::Clipboard),
];

/// `Browser.setPermission`'s parameters, one call each, refusing everything in `context_id`.
pub(crate) fn refusals(context_id: &str) -> impl Iterator<Item = Value> + '_ {
    REFUSED.iter().map(move |(name, _)| {
        json!({
            "permission": { "name": name },
            "setting": "denied",
            "browserContextId": context_id,
        })
    })
}

/// What the page asked for, from the watch script's report.
pub(crate) fn parse_request(payload: &str) -> Option<SitePermission> {
    SitePermission::parse(payload)
}

/// Runs first in every document's own world: wraps the calls that ask for a permission so
/// that each also reports what it asked for. The binding is taken off the page's globals first.
pub(crate) const PERMISSION_WATCH_SCRIPT: &str = r#"(() => {
  const report = globalThis.__besidePermission;
  if (typeof report !== "function") return;
  try { delete globalThis.__besidePermission; } catch {}
  const tell = (kind) => { try { report(kind); } catch {} };
  const wrap = (owner, name, kind) => {
    const original = owner && owner[name];
    if (typeof original !== "function") return;
    owner[name] = function (...args) {
      const k = typeof kind === "function" ? kind(args) : kind;
      for (const one of Array.isArray(k) ? k : [k]) tell(one);
      return original.apply(this, args);
    };
  };
  wrap(globalThis.Geolocation?.prototype, "getCurrentPosition", "geolocation");
  wrap(globalThis.Geolocation?.prototype, "watchPosition", "geolocation");
  wrap(globalThis.Notification, "requestPermission", "notifications");
  wrap(globalThis.MediaDevices?.prototype, "getUserMedia", (args) => {
    const c = args[0] || {};
    return [c.video ? "camera" : null, c.audio ? "microphone" : null].filter(Boolean);
  });
  wrap(globalThis.Clipboard?.prototype, "read", "clipboard");
  wrap(globalThis.Clipboard?.prototype, "readText", "clipboard");
})();"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refused_permission_is_one_people_hear_of() {
        let all: Vec<_> = REFUSED.iter().map(|(_, p)| *p).collect();
        assert_eq!(all, SitePermission::ALL);
        let calls: Vec<_> = refusals("ctx").collect();
        assert_eq!(calls.len(), 5);
        assert_eq!(calls[4]["permission"]["name"], "clipboard-read");
        assert_eq!(calls[0]["setting"], "denied");
        assert_eq!(calls[0]["browserContextId"], "ctx");
        assert_eq!(parse_request("camera"), Some(SitePermission::Camera));
        assert_eq!(parse_request("usb"), None);
    }
}
