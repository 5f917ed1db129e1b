//! What a page may ask the browser to allow (F11): the cloud browser refuses them all, and the
//! people in the session are told what the page asked for.

use serde::{Deserialize, Serialize};

/// A permission a page asked for, and was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SitePermission {
    /// The device's location (`navigator.geolocation`).
    Geolocation,
    /// Showing notifications (`Notification.requestPermission`).
    Notifications,
    /// A camera (`getUserMedia` with video).
    Camera,
    /// A microphone (`getUserMedia` with audio).
    Microphone,
    /// Reading the clipboard (`navigator.clipboard.read`, `readText`).
    Clipboard,
}

impl SitePermission {
    /// Every permission, in declaration order.
    pub const ALL: [SitePermission; 5] = [
        SitePermission::Geolocation,
        SitePermission::Notifications,
        SitePermission::Camera,
        SitePermission::Microphone,
        SitePermission::Clipboard,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SitePermission::Geolocation => "geolocation",
            SitePermission::Notifications => "notifications",
            SitePermission::Camera => "camera",
            SitePermission::Microphone => "microphone",
            SitePermission::Clipboard => "clipboard",
        }
    }

    /// The permission of a wire name.
    pub fn parse(name: &str) -> Option<SitePermission> {
        SitePermission::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_have_their_wire_names() {
        for p in SitePermission::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
            assert_eq!(SitePermission::parse(p.as_str()), Some(p));
        }
        assert_eq!(SitePermission::parse("midi"), None);
    }
}
