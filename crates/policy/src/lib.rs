//! Pure decisions: which hosts the cloud browser may connect to, which addresses it may open,
//! which fields the agent may not see and which controls the agent may not trigger, how
//! good a picture a viewer's link can carry, which client a request comes from, and what an
//! agent may see of a PDF.
//!
//! Architecture Invariant: this crate does no IO and does not depend on tokio; callers resolve
//! names, open sockets and read configuration, then ask `policy` what to do.

// Tests may unwrap (the workspace rule); product code states invariants with `expect`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod blocking;
pub mod branding;
pub mod client;
pub mod domains;
pub mod egress;
pub mod embed;
pub mod link;
pub mod locale;
pub mod masking;
pub mod navigation;
pub mod pdf;
pub mod redact;
pub mod rules;
pub mod selector;
pub mod start_token;
mod text;

pub use text::Normalization;
