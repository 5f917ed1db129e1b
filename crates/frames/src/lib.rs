//! The frame pipeline between the cloud browser and the viewers.
//!
//! Architecture Invariant: an agent's (or a recorder's) feed carries only `MaskedFrame`s,
//! and the only way to make one is `mask(raw, plan)`. The customer's feed carries
//! `RawFrame`s. Delivery is latest-wins per viewer (`slot`), so a slow viewer skips
//! frames and never slows anyone else.
//!
//! Masking works on the JPEG's quantised DCT coefficients (`dct`): the blocks under the masks
//! are replaced by the fill and a lock mark, and every other block keeps its coefficients, so
//! the agent's picture loses nothing outside the masks and no pixel is decoded. A frame that
//! cannot be masked that way (progressive, odd sampling, damaged) is decoded to YUV planes with
//! libjpeg-turbo, painted there and encoded again (`codec`, `paint`). A frame with nothing
//! visible to mask is passed on as it came, and whatever cannot be masked is hidden whole.

mod codec;
mod dct;
mod delta;
mod frame;
mod geometry;
mod mask;
mod paint;
mod quality;
mod slot;
mod update;

pub use delta::{requantize, Delta, Differ, Tile};
pub use frame::{age_seconds, RawFrame};
pub use mask::{mask, MaskPlan, MaskRect, MaskedFrame};
pub use slot::{slot, SlotReceiver, SlotSender};
pub use update::{Picture, Update};
