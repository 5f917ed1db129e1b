//! Route modules; each exposes `router()`.

pub(crate) mod agents;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod companies;
pub(crate) mod company;
pub(crate) mod files;
pub(crate) mod health;
pub(crate) mod picker;
pub(crate) mod rules;
pub(crate) mod sessions;
pub(crate) mod webhooks;
