//! Tests of the cloud browser against the real Chromium and a local test site.

// Tests may unwrap: a panic is how they fail.
#![allow(clippy::unwrap_used)]

mod egress;
mod files;
mod guard;
mod input;
mod isolation;
mod navigation;
mod screencast;
mod supervisor;
mod support;
mod widgets;
