//! The scan, read once and written again.
//!
//! Reading decodes every block's symbols (so a damaged scan is caught before anything is
//! written) and notes where each MCU starts and its components' DC predictors there.
//! Writing then touches only what changed: a restart interval without a masked MCU is copied
//! as bytes; in the others, runs of unmasked MCUs are copied as bits, masked MCUs are encoded
//! from the cover, and the MCU after a masked one is decoded and encoded again (its first
//! blocks' DC differences change). When the frame's Huffman tables lack a symbol the new
//! blocks need, the whole masked scan is encoded once to count its symbols and once more with
//! optimal tables made from the counts.

use super::bits::{BitReader, BitWriter, Unstuffed};
use super::block::{self, Block, Counts, Emit, Encoders, Symbols, TableIds};
use super::cover::{Cover, Layout};
use super::huffman::Decoder;
use super::Unsupported;

/// The tables and component of each block of an MCU.
pub(crate) struct Slot<'a> {
    pub(crate) component: usize,
    pub(crate) ids: TableIds,
    pub(crate) dc: &'a Decoder,
    pub(crate) ac: &'a Decoder,
}

/// Where the MCUs of a scan are, and what its symbols are.
#[derive(Default)]
pub(super) struct Index {
    /// Where each MCU starts, in bits of the unstuffed data.
    starts: Vec<usize>,
    /// The DC predictors of the components at the start of each MCU.
    preds: Vec<[i32; 3]>,
    /// Where the last MCU of each restart interval ends, in bits of the unstuffed data.
    ends: Vec<usize>,
}

/// The MCUs of restart interval `interval`.
fn mcus(layout: &Layout, interval: usize) -> std::ops::Range<usize> {
    let start = interval * layout.restart_interval;
    start..(start + layout.restart_interval).min(layout.n_mcus())
}

/// Decodes the whole scan into `index`.
pub(super) fn read(
    layout: &Layout,
    slots: &[Slot<'_>],
    unstuffed: &Unstuffed,
    index: &mut Index,
) -> Result<(), Unsupported> {
    let n_intervals = layout.n_mcus().div_ceil(layout.restart_interval);
    if unstuffed.intervals.len() != n_intervals {
        return Err(Unsupported::Corrupt("restart markers do not match the frame's size"));
    }
    index.starts.clear();
    index.preds.clear();
    index.ends.clear();
    index.starts.reserve(layout.n_mcus());
    index.preds.reserve(layout.n_mcus());
    for (i, interval) in unstuffed.intervals.iter().enumerate() {
        let mut reader =
            BitReader::new(&unstuffed.data, interval.clean.end, interval.clean.start * 8);
        let mut preds = [0; 3];
        for _ in mcus(layout, i) {
            index.starts.push(reader.position());
            index.preds.push(preds);
            for slot in slots {
                block::skip(&mut reader, slot.dc, slot.ac, &mut preds[slot.component])?;
            }
            if reader.is_overrun() {
                return Err(Unsupported::Truncated);
            }
        }
        let end = reader.position();
        if end.div_ceil(8) != interval.clean.end {
            return Err(Unsupported::Corrupt("data left over in a restart interval"));
        }
        index.ends.push(end);
    }
    Ok(())
}

/// Whether MCU `mcu`, of an interval starting at `start`, is written anew: it is masked, or
/// follows a masked one (so its DC differences change).
fn is_changed(masked: &[bool], start: usize, mcu: usize) -> bool {
    masked[mcu] || (mcu > start && masked[mcu - 1])
}

/// A scan that was read, and the cover to put on it.
pub(super) struct Rewrite<'a> {
    pub(super) layout: &'a Layout,
    pub(super) slots: &'a [Slot<'a>],
    pub(super) unstuffed: &'a Unstuffed,
    pub(super) index: &'a Index,
    pub(super) cover: &'a Cover,
}

impl Rewrite<'_> {
    /// The DC predictors to encode MCU `mcu` with, given those after the MCU before it: the
    /// original ones unless the MCU before was masked.
    fn preds_before(&self, start: usize, mcu: usize, last: [i32; 3]) -> [i32; 3] {
        if mcu > start && self.cover.masked[mcu - 1] {
            last
        } else {
            self.index.preds[mcu]
        }
    }

    /// Decodes MCU `mcu` (of an interval ending at byte `limit`) as it came, into `blocks`.
    fn decode_original(
        &self,
        limit: usize,
        mcu: usize,
        blocks: &mut [Block],
    ) -> Result<(), Unsupported> {
        let mut reader = BitReader::new(&self.unstuffed.data, limit, self.index.starts[mcu]);
        let mut preds = self.index.preds[mcu];
        for (slot, block) in self.slots.iter().zip(blocks.iter_mut()) {
            block::decode(&mut reader, slot.dc, slot.ac, &mut preds[slot.component], block)?;
        }
        Ok(())
    }

    /// Encodes one MCU's blocks; a masked MCU's come from the cover instead of `blocks`.
    fn encode_mcu(
        &self,
        out: &mut impl Symbols,
        mcu: usize,
        blocks: &[Block],
        preds: &mut [i32; 3],
    ) -> Result<(), Unsupported> {
        let masked = self.cover.masked[mcu];
        for (number, (slot, original)) in self.slots.iter().zip(blocks).enumerate() {
            let block =
                if masked { self.cover.block(mcu, number, slot.component) } else { original };
            block::encode(out, block, slot.ids, &mut preds[slot.component])?;
        }
        Ok(())
    }

    /// Counts the symbols of the changed MCUs after masking.
    pub(super) fn count_changes(&self) -> Result<Counts, Unsupported> {
        let mut counts = Counts::default();
        let mut blocks = vec![Block::flat(0); self.slots.len()];
        for (i, interval) in self.unstuffed.intervals.iter().enumerate() {
            let mcus = mcus(self.layout, i);
            let mut preds = [0; 3];
            for mcu in mcus.clone().filter(|&mcu| is_changed(&self.cover.masked, mcus.start, mcu)) {
                preds = self.preds_before(mcus.start, mcu, preds);
                if !self.cover.masked[mcu] {
                    self.decode_original(interval.clean.end, mcu, &mut blocks)?;
                }
                self.encode_mcu(&mut counts, mcu, &blocks, &mut preds)?;
            }
        }
        Ok(counts)
    }

    /// Writes the masked scan with the frame's own tables, which must code every symbol the
    /// changed MCUs need (see `count_changes`). `jpeg` is the frame as it came.
    pub(super) fn write_changes(
        &self,
        out: &mut Vec<u8>,
        jpeg: &[u8],
        tables: &Encoders,
    ) -> Result<(), Unsupported> {
        let (index, masked) = (self.index, &self.cover.masked);
        let mut blocks = vec![Block::flat(0); self.slots.len()];
        let n_intervals = self.unstuffed.intervals.len();
        for (i, interval) in self.unstuffed.intervals.iter().enumerate() {
            let mcus = mcus(self.layout, i);
            if !masked[mcus.clone()].contains(&true) {
                // Its restart marker included: that is the same too.
                out.extend_from_slice(&jpeg[interval.stuffed.clone()]);
                continue;
            }
            let mut writer = BitWriter::new(out);
            let mut preds = [0; 3];
            let mut mcu = mcus.start;
            while mcu < mcus.end {
                if is_changed(masked, mcus.start, mcu) {
                    preds = self.preds_before(mcus.start, mcu, preds);
                    if !masked[mcu] {
                        self.decode_original(interval.clean.end, mcu, &mut blocks)?;
                    }
                    let mut emit = Emit { writer: &mut writer, tables };
                    self.encode_mcu(&mut emit, mcu, &blocks, &mut preds)?;
                    mcu += 1;
                } else {
                    let next = (mcu..mcus.end).find(|&m| masked[m]).unwrap_or(mcus.end);
                    let to = if next < mcus.end { index.starts[next] } else { index.ends[i] };
                    writer.copy(&self.unstuffed.data, index.starts[mcu]..to);
                    mcu = next;
                }
            }
            writer.finish();
            if i + 1 < n_intervals {
                out.extend_from_slice(&[0xFF, 0xD0 + (i % 8) as u8]);
            }
        }
        Ok(())
    }

    /// Encodes every MCU of restart interval `i` again, masked or as it came.
    fn encode_interval(&self, i: usize, out: &mut impl Symbols) -> Result<(), Unsupported> {
        let (data, interval) = (&self.unstuffed.data, &self.unstuffed.intervals[i]);
        let mcus = mcus(self.layout, i);
        let mut blocks = vec![Block::flat(0); self.slots.len()];
        let mut reader = BitReader::new(data, interval.clean.end, interval.clean.start * 8);
        let (mut preds, mut original_preds) = ([0; 3], [0; 3]);
        for mcu in mcus.clone() {
            if !self.cover.masked[mcu] {
                if mcu > mcus.start && self.cover.masked[mcu - 1] {
                    reader = BitReader::new(data, interval.clean.end, self.index.starts[mcu]);
                    original_preds = self.index.preds[mcu];
                }
                for (slot, block) in self.slots.iter().zip(blocks.iter_mut()) {
                    let pred = &mut original_preds[slot.component];
                    block::decode(&mut reader, slot.dc, slot.ac, pred, block)?;
                }
            }
            self.encode_mcu(out, mcu, &blocks, &mut preds)?;
        }
        Ok(())
    }

    /// The symbols of the whole masked scan.
    pub(super) fn count_all(&self) -> Result<Counts, Unsupported> {
        let mut counts = Counts::default();
        for i in 0..self.unstuffed.intervals.len() {
            self.encode_interval(i, &mut counts)?;
        }
        Ok(counts)
    }

    /// Writes the masked scan with new tables: every MCU is encoded again.
    pub(super) fn write_all(
        &self,
        out: &mut Vec<u8>,
        tables: &Encoders,
    ) -> Result<(), Unsupported> {
        let n_intervals = self.unstuffed.intervals.len();
        for i in 0..n_intervals {
            let mut writer = BitWriter::new(out);
            self.encode_interval(i, &mut Emit { writer: &mut writer, tables })?;
            writer.finish();
            if i + 1 < n_intervals {
                out.extend_from_slice(&[0xFF, 0xD0 + (i % 8) as u8]);
            }
        }
        Ok(())
    }
}
