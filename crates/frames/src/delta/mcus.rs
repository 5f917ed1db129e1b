//! A frame's MCUs as the differ sees them: the scan is Huffman-decoded once, block by block
//! (no inverse DCT), and each MCU's quantised coefficients are hashed, so that the next frame
//! can be compared with this one without keeping the coefficients. Where each MCU starts in
//! the scan, its DC predictors there and its length in bits are noted too, for the tiles cut
//! from this frame.

use std::hash::{BuildHasher, Hasher};

use crate::dct::bits::{BitReader, Unstuffed};
use crate::dct::block::{self, Block};
use crate::dct::cover::Layout;
use crate::dct::scan::Slot;
use crate::dct::Unsupported;

/// The MCUs of one frame, in scan order.
#[derive(Debug, Default)]
pub(super) struct Mcus {
    /// A hash of each MCU's coefficients: every block of every component, the DC as a value
    /// (not as the difference the scan codes), so an MCU hashes the same wherever it is.
    pub(super) hashes: Vec<u64>,
    /// Where each MCU starts, in bits of the unstuffed scan.
    pub(super) starts: Vec<usize>,
    /// The DC predictors of the components where each MCU starts.
    pub(super) preds: Vec<[i32; 3]>,
    /// Each MCU's length in the scan, in bits: about what it costs in a tile.
    pub(super) bits: Vec<u32>,
}

/// Blocks in an MCU at most: four of luma and two of chroma (see `markers`).
const MAX_SLOTS: usize = 6;

impl Mcus {
    /// Decodes the whole scan, hashing with `keys`. A damaged scan is an error.
    pub(super) fn read(
        &mut self,
        layout: &Layout,
        slots: &[Slot<'_>],
        unstuffed: &Unstuffed,
        keys: &impl BuildHasher,
    ) -> Result<(), Unsupported> {
        if slots.len() > MAX_SLOTS {
            return Err(Unsupported::Layout);
        }
        let n_mcus = layout.n_mcus();
        if unstuffed.intervals.len() != n_mcus.div_ceil(layout.restart_interval) {
            return Err(Unsupported::Corrupt("restart markers do not match the frame's size"));
        }
        self.hashes.clear();
        self.starts.clear();
        self.preds.clear();
        self.bits.clear();
        self.hashes.reserve(n_mcus);
        self.starts.reserve(n_mcus);
        self.preds.reserve(n_mcus);
        self.bits.reserve(n_mcus);
        let mut block = Block::flat(0);
        // The bytes of an MCU, hashed at once (SipHash is fastest in bulk): each block's end and
        // its coefficients up to there (all 64 are copied, and the next block's bytes go after
        // its end).
        let mut bytes = [0; MAX_SLOTS * 129];
        for (i, interval) in unstuffed.intervals.iter().enumerate() {
            let mut reader =
                BitReader::new(&unstuffed.data, interval.clean.end, interval.clean.start * 8);
            let mut preds = [0; 3];
            let first = i * layout.restart_interval;
            for _ in first..(first + layout.restart_interval).min(n_mcus) {
                let start = reader.position();
                self.starts.push(start);
                self.preds.push(preds);
                let mut len = 0;
                for slot in slots {
                    let pred = &mut preds[slot.component];
                    block::decode(&mut reader, slot.dc, slot.ac, pred, &mut block)?;
                    // Its end, then its coefficients up to there (the rest are zeros).
                    bytes[len] = block.end as u8;
                    let coefs = bytes[len + 1..len + 129].chunks_exact_mut(2);
                    for (pair, coef) in coefs.zip(block.coefs) {
                        pair.copy_from_slice(&coef.to_le_bytes());
                    }
                    len += 1 + 2 * block.end;
                }
                if reader.is_overrun() {
                    return Err(Unsupported::Truncated);
                }
                let mut hasher = keys.build_hasher();
                hasher.write(&bytes[..len]);
                self.hashes.push(hasher.finish());
                self.bits.push(u32::try_from(reader.position() - start).unwrap_or(u32::MAX));
            }
            if reader.position().div_ceil(8) != interval.clean.end {
                return Err(Unsupported::Corrupt("data left over in a restart interval"));
            }
        }
        Ok(())
    }
}
