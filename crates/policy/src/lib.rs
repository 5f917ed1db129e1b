//! Pure decisions: which hosts the cloud browser may connect to, and which addresses it may open.
//!
//! Architecture Invariant: this crate does no IO and does not depend on tokio; callers resolve
//! names, open sockets and read configuration, then ask `policy` what to do.

// Tests may unwrap (the workspace rule); product code states invariants with `expect`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod egress;
pub mod navigation;
