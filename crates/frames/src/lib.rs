//! The frame pipeline between the cloud browser and the viewers.
//!
//! Architecture Invariant: an agent's (or a recorder's) feed carries only `MaskedFrame`s,
//! and the only way to make one is `mask(raw, plan)`. The customer's feed carries
//! `RawFrame`s. Delivery is latest-wins per viewer (`slot`), so a slow viewer skips
//! frames and never slows anyone else.
//!
//! Masking paints over rectangles of a frame by decoding it to YUV planes with libjpeg-turbo,
//! painting there and encoding it again; a frame with nothing visible to mask is passed on as
//! it came, and whatever cannot be masked is hidden whole.

mod codec;
mod frame;
mod geometry;
mod mask;
mod paint;
mod quality;
mod slot;

pub use frame::RawFrame;
pub use mask::{mask, MaskPlan, MaskRect, MaskedFrame};
pub use slot::{slot, SlotReceiver, SlotSender};
