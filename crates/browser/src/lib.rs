//! The cloud browser: a real Chromium whose pages are streamed to the session and fed its input.
//!
//! Architecture Invariant: this is the only crate that knows the Chrome DevTools Protocol; its
//! API speaks of tabs, frames and input, never of CDP messages.
//! Architecture Invariant: Chromium never runs as root, and reaches the network only through the
//! egress proxy of this crate, which refuses loopback, private and metadata addresses.
// Tests may unwrap: a panic is how they fail.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod browser;
mod cdp;
mod config;
mod context;
mod dialog;
mod egress;
mod error;
mod files;
#[doc(hidden)]
pub mod fuzzing;
mod guard;
mod input;
mod pdf;
mod permissions;
mod process;
mod screencast;
mod sign_in;
mod tab;
mod tempdir;
mod widgets;

pub use browser::Browser;
pub use config::Config;
pub use context::{Context, NewTab};
pub use dialog::{default_answer, Dialog, DialogKind};
pub use error::BrowserError;
pub use files::{safe_file_name, Download, DownloadEvent, FileChooser, UploadFile};
pub use guard::{FocusState, GuardRect, GuardReport, HitTest, Inspected, Matches, Selection};
pub use input::{
    clipboard_shortcut, ClipboardOp, Input, Modifiers, MouseButton, MouseKind, TouchKind,
    TouchPoint, MAX_TOUCH_POINTS,
};
pub use pdf::PdfShown;
pub use screencast::Frame;
pub use sign_in::SignIn;
pub use tab::{PageInfo, Recovery, Tab, TabEvent, TabOptions};
pub use widgets::{PickRefusal, PickerEvent};

/// How far apart a screencast frame's timestamp and the time of the animation frame it was
/// drawn in may be, in milliseconds (they are one clock; the page's is coarsened to 0.1 ms).
pub const FRAME_TIME_SLACK_MS: f64 = 1.0;

/// How many animation frames a screencast frame's layout may trail the last animation frame
/// that began at or before the frame's timestamp. The renderer runs only a few frames ahead of
/// what is drawn (one on the main thread, one waiting to be rasterised, one drawn, one with the
/// display compositor): two to three were measured on a busy 2-core machine, where the frame's
/// timestamp trailed its layout by up to 200 ms; `tests/it/screencast.rs` checks it.
pub const MAX_FRAMES_BEHIND: usize = 5;
