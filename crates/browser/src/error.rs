//! What can go wrong when driving the cloud browser, in words an operator can act on.

use std::path::PathBuf;
use std::time::Duration;

/// An error from the cloud browser.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// No Chromium executable was configured and none was found in the usual places.
    #[error(
        "no chromium executable found (looked in {searched}); install chromium or set the \
         browser executable in the configuration"
    )]
    NoExecutable { searched: String },
    /// Chromium could not be started, or did not answer on its debugging pipe.
    #[error("could not launch chromium from {}: {reason}", executable.display())]
    Launch { executable: PathBuf, reason: String },
    /// Preparing the environment for Chromium (temporary directories, user lookup) failed.
    #[error("could not prepare chromium's environment: {0}")]
    Setup(String),
    /// The egress proxy could not listen on loopback.
    #[error("could not start the egress proxy on 127.0.0.1: {0}")]
    Proxy(#[source] std::io::Error),
    /// Chromium exited or its debugging pipe closed; the supervisor restarts it.
    #[error("chromium is gone (it exited or closed its debugging pipe); open a new tab")]
    BrowserGone,
    /// The tab was closed, or its page went away.
    #[error("the tab is closed; open a new tab")]
    TabClosed,
    /// The tab may only open web addresses.
    #[error("cannot open this address: {0}")]
    Navigation(#[source] policy::navigation::NavigationRefusal),
    /// Chromium answered a command with an error.
    #[error("chromium refused {method}: {message}")]
    Cdp { method: String, message: String },
    /// Chromium did not answer a command in time.
    #[error("chromium did not answer {method} within {timeout:?}; it may be overloaded")]
    Timeout { method: String, timeout: Duration },
    /// Chromium answered with something this crate does not understand.
    #[error("unexpected answer from chromium to {method}: {detail}")]
    Protocol { method: String, detail: String },
    /// A page script threw or its promise rejected.
    #[error("the page script failed: {0}")]
    Script(String),
    /// The page's guard is not there to ask: the page is between documents (navigating). Its
    /// next document gets the guard; a question asked now gets no answer (callers refuse).
    #[error("the page's guard is not ready (the page is navigating)")]
    NotReady,
}
