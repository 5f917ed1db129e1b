//! How the cloud browser is started: which Chromium, as which user, and what it may reach.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Settings of the cloud browser; `beside`'s configuration composes this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The Chromium binary; when unset, the usual Debian locations are searched.
    pub executable: Option<PathBuf>,
    /// The unprivileged user Chromium runs as when beside runs as root ("nobody" when unset).
    pub user: Option<String>,
    /// Runs Chromium without its sandbox. Dangerous: only for containers that forbid it.
    pub no_sandbox: bool,
    /// `host:port` entries the egress proxy lets through although they are loopback or private.
    pub allow_private: Vec<String>,
    /// JPEG quality of screencast frames and screenshots, 1–100.
    pub jpeg_quality: u8,
    /// The largest file a page may download, in bytes; a larger download is cancelled and the
    /// customer told so.
    pub max_download_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            executable: None,
            user: None,
            no_sandbox: false,
            allow_private: Vec::new(),
            jpeg_quality: 60,
            max_download_bytes: 100 * 1024 * 1024,
        }
    }
}

impl Config {
    /// Where Chromium is looked for when no executable is configured, best first.
    pub const SEARCH_PATH: &'static [&'static str] = &[
        "/usr/lib/chromium/chromium",
        "/usr/lib/chromium/chromium-headless-shell",
        "/usr/bin/chromium-headless-shell",
        "/usr/bin/chromium",
    ];

    /// The user Chromium runs as when beside is root.
    pub fn user_or_default(&self) -> &str {
        self.user.as_deref().unwrap_or("nobody")
    }

    pub(crate) fn quality(&self) -> u8 {
        self.jpeg_quality.clamp(1, 100)
    }
}
