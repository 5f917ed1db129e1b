//! A rectangle of a frame's MCUs written as a JPEG of its own, losslessly: its blocks keep the
//! frame's quantised coefficients, so it decodes to the frame's own samples.
//!
//! The tile has the frame's quantisation tables, frame header (with the tile's size) and scan
//! header, and a plain JFIF header (so any decoder takes it as YCbCr); no restart interval, so
//! the DC prediction starts once, at the tile's first MCU. Its blocks are decoded from the
//! frame's scan and encoded again. The DC differences change where each row of the tile starts,
//! and Chromium's optimised Huffman tables code only the symbols its frame used, so the
//! tile's symbols are counted first: it takes the frame's tables when they code every one and
//! cost less than tables made for the tile (with their DHT segment), else those.

use bytes::Bytes;

use super::mcus::Mcus;
use super::regions::Region;
use super::Tile;
use crate::dct::bits::{BitReader, BitWriter, Unstuffed};
use crate::dct::block::{self, Block, Counts, Emit, Encoders, Symbols};
use crate::dct::cover::Layout;
use crate::dct::huffman::Spec;
use crate::dct::markers::Header;
use crate::dct::scan::Slot;
use crate::dct::{self, Unsupported, JFIF};

/// Huffman tables for a tile's scan, by class and id: only those its components use.
pub(super) struct Tables {
    dc: [Option<Spec>; 4],
    ac: [Option<Spec>; 4],
    encoders: Encoders,
}

impl Tables {
    /// The frame's own tables.
    pub(super) fn of_frame(header: &Header) -> Result<Self, Unsupported> {
        let (mut dc, mut ac): ([Option<Spec>; 4], [Option<Spec>; 4]) = Default::default();
        for component in &header.components {
            dc[component.dc_table].clone_from(&header.dc_specs[component.dc_table]);
            ac[component.ac_table].clone_from(&header.ac_specs[component.ac_table]);
        }
        let encoders = dct::encoders(&dc, &ac)?;
        Ok(Self { dc, ac, encoders })
    }

    /// The optimal tables for the symbols `counts`.
    fn optimal(header: &Header, counts: &Counts) -> Result<Self, Unsupported> {
        let (mut dc, mut ac): ([Option<Spec>; 4], [Option<Spec>; 4]) = Default::default();
        for component in &header.components {
            let (d, a) = (component.dc_table, component.ac_table);
            dc[d].get_or_insert_with(|| Spec::optimal(&counts.dc[d]));
            ac[a].get_or_insert_with(|| Spec::optimal(&counts.ac[a]));
        }
        let encoders = dct::encoders(&dc, &ac)?;
        Ok(Self { dc, ac, encoders })
    }

    /// The length of their DHT segment in bytes.
    fn segment_len(&self) -> usize {
        let tables = self.dc.iter().chain(&self.ac).flatten();
        4 + tables.map(|spec| 17 + spec.values.len()).sum::<usize>()
    }

    /// The bits the codes of the symbols `counts` take with these tables (the value bits after
    /// them are the same with any tables), or `None` when one has no code.
    fn code_bits(&self, counts: &Counts) -> Option<u64> {
        let pairs = self.encoders.dc.iter().zip(&counts.dc);
        let pairs = pairs.chain(self.encoders.ac.iter().zip(&counts.ac));
        let mut bits = 0;
        for (encoder, counts) in pairs {
            for (&len, &count) in encoder.lens.iter().zip(counts) {
                if count > 0 {
                    if len == 0 {
                        return None;
                    }
                    bits += u64::from(len) * u64::from(count);
                }
            }
        }
        Some(bits)
    }
}

/// Coarser quantisation for a tile: each component's table, and the DQT segment defining them.
pub(super) struct Requant {
    /// Old and new table of each component, in zig-zag order.
    pub(super) tables: Vec<([u16; 64], [u16; 64])>,
    /// The DQT segment, marker included.
    pub(super) segment: Vec<u8>,
}

impl Requant {
    /// The block's coefficients quantised again with its component's new table, rounding to
    /// the nearest step (a coefficient is never made finer than it was).
    fn apply(&self, component: usize, block: &mut Block) {
        let (old, new) = &self.tables[component];
        let mut coefs = block.coefs;
        for ((c, &o), &n) in coefs.iter_mut().zip(old).zip(new).take(block.end) {
            let (value, step) = (i32::from(*c) * i32::from(o), i32::from(n));
            let q = (value.abs() + step / 2) / step;
            // |value / step| <= |c|: the new coefficient fits where the old one did.
            *c = i16::try_from(q * value.signum()).expect("requantised coefficients shrink");
        }
        *block = Block::new(coefs);
    }
}

/// The frame tiles are cut from, read.
pub(super) struct Source<'a> {
    pub(super) jpeg: &'a [u8],
    pub(super) header: &'a Header,
    pub(super) layout: &'a Layout,
    pub(super) slots: &'a [Slot<'a>],
    pub(super) unstuffed: &'a Unstuffed,
    pub(super) mcus: &'a Mcus,
}

impl Source<'_> {
    /// The frame's segments a tile starts with: its quantisation tables and frame header.
    fn segments(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let segments = self.header.segments.iter().map(|s| &self.jpeg[s.bytes.clone()]);
        segments.filter(|bytes| matches!(bytes[1], 0xDB | 0xC0 | 0xC1))
    }

    /// The bytes of a tile's markers and headers with `tables`.
    pub(super) fn overhead(&self, tables: &Tables) -> usize {
        let segments: usize = self.segments().map(<[u8]>::len).sum();
        2 + JFIF.len() + segments + tables.segment_len() + self.header.scan.len() + 2
    }

    /// The tile of `region`; `blocks` is a buffer for its blocks. `frame_tables` are the
    /// frame's (`Tables::of_frame`). With `requant`, its coefficients are quantised again,
    /// coarser, and the tile carries the new tables.
    pub(super) fn write(
        &self,
        region: Region,
        frame_tables: &Tables,
        blocks: &mut Vec<Block>,
        requant: Option<&Requant>,
    ) -> Result<Tile, Unsupported> {
        let (layout, header) = (self.layout, self.header);
        let n_slots = self.slots.len();
        blocks.resize((region.x1 - region.x0) * (region.y1 - region.y0) * n_slots, Block::flat(0));
        let columns = region.x0..region.x1;
        let mcus = (region.y0..region.y1)
            .flat_map(|row| columns.clone().map(move |column| row * layout.mcus_x + column));
        for (mcu, mcu_blocks) in mcus.zip(blocks.chunks_exact_mut(n_slots)) {
            let interval = &self.unstuffed.intervals[mcu / layout.restart_interval];
            let (data, limit) = (&self.unstuffed.data, interval.clean.end);
            let mut reader = BitReader::new(data, limit, self.mcus.starts[mcu]);
            let mut preds = self.mcus.preds[mcu];
            for (slot, block) in self.slots.iter().zip(mcu_blocks) {
                block::decode(&mut reader, slot.dc, slot.ac, &mut preds[slot.component], block)?;
                if let Some(requant) = requant {
                    requant.apply(slot.component, block);
                }
            }
        }

        let mut counts = Counts::default();
        self.encode(&mut counts, blocks)?;
        let optimal = Tables::optimal(header, &counts)?;
        let total = |tables: &Tables| {
            let bits = tables.code_bits(&counts)?;
            Some(bits.div_ceil(8) + tables.segment_len() as u64)
        };
        let tables = match (total(frame_tables), total(&optimal)) {
            (Some(frame), Some(made)) if frame <= made => frame_tables,
            _ => &optimal,
        };

        let x = region.x0 * layout.mcu_width;
        let y = region.y0 * layout.mcu_height;
        let width = (region.x1 * layout.mcu_width).min(header.width) - x;
        let height = (region.y1 * layout.mcu_height).min(header.height) - y;
        let mut out = Vec::with_capacity(self.overhead(tables) + blocks.len() * 16);
        out.extend_from_slice(&[0xFF, 0xD8]);
        out.extend_from_slice(&JFIF);
        if let Some(requant) = requant {
            out.extend_from_slice(&requant.segment);
        }
        for segment in self.segments() {
            if requant.is_some() && segment[1] == 0xDB {
                continue;
            }
            let start = out.len();
            out.extend_from_slice(segment);
            if matches!(segment[1], 0xC0 | 0xC1) {
                // A size the frame's header held fits its 16-bit fields.
                out[start + 5..start + 7].copy_from_slice(&(height as u16).to_be_bytes());
                out[start + 7..start + 9].copy_from_slice(&(width as u16).to_be_bytes());
            }
        }
        dct::write_huffman(&mut out, &tables.dc, &tables.ac);
        out.extend_from_slice(&self.jpeg[header.scan.clone()]);
        let mut writer = BitWriter::new(&mut out);
        self.encode(&mut Emit { writer: &mut writer, tables: &tables.encoders }, blocks)?;
        writer.finish();
        out.extend_from_slice(&[0xFF, 0xD9]);
        // The frame's size fits in 16 bits, so its parts do in 32.
        let px = |v: usize| v as u32;
        Ok(Tile {
            x: px(x),
            y: px(y),
            width: px(width),
            height: px(height),
            jpeg: Bytes::from(out),
        })
    }

    /// Encodes the tile's MCUs in order, the DC prediction starting at the first.
    fn encode(&self, out: &mut impl Symbols, blocks: &[Block]) -> Result<(), Unsupported> {
        let mut preds = [0; 3];
        for mcu_blocks in blocks.chunks_exact(self.slots.len()) {
            for (slot, block) in self.slots.iter().zip(mcu_blocks) {
                block::encode(out, block, slot.ids, &mut preds[slot.component])?;
            }
        }
        Ok(())
    }
}
