//! The frame pipeline between the cloud browser and the viewers.
//!
//! Architecture Invariant: an agent's (or a recorder's) feed carries only `MaskedFrame`s,
//! and the only way to make one is `mask(raw, plan)`. The customer's feed carries
//! `RawFrame`s. Delivery is latest-wins per viewer (`slot`), so a slow viewer skips
//! frames and never slows anyone else.

mod frame;
mod mask;
mod slot;

pub use frame::RawFrame;
pub use mask::{mask, MaskPlan, MaskedFrame};
pub use slot::{slot, SlotReceiver, SlotSender};
