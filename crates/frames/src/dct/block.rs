//! One 8×8 block in the entropy-coded data: decoding its quantised coefficients (or only
//! stepping over them), and encoding them again (or counting the symbols that takes).
//!
//! Only the canonical coding is accepted (a ZRL is always followed by a coefficient), so
//! decoding and encoding again gives the same symbols, and the same bits with the same tables.

use super::bits::{BitReader, BitWriter};
use super::huffman::{Decoder, Encoder};
use super::Unsupported;

/// A block's quantised coefficients in zig-zag order, its DC as a value (not a difference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) coefs: [i16; 64],
    /// One past the last coefficient that is not zero (at least 1).
    pub(crate) end: usize,
}

impl Block {
    /// A flat block: this DC, every AC zero.
    pub(crate) fn flat(dc: i16) -> Self {
        let mut coefs = [0; 64];
        coefs[0] = dc;
        Self { coefs, end: 1 }
    }

    /// A block with these coefficients.
    pub(crate) fn new(coefs: [i16; 64]) -> Self {
        let end = coefs.iter().rposition(|&c| c != 0).map_or(1, |last| (last + 1).max(1));
        Self { coefs, end }
    }
}

/// The largest DC value kept: beyond it a frame is treated as corrupt.
const MAX_DC: i32 = 1 << 14;

/// Huffman symbols counted per table (DC and AC, ids 0..=3): what optimal tables are made of.
#[derive(Clone)]
pub(crate) struct Counts {
    pub(crate) dc: [[u32; 256]; 4],
    pub(crate) ac: [[u32; 256]; 4],
}

impl Default for Counts {
    fn default() -> Self {
        Self { dc: [[0; 256]; 4], ac: [[0; 256]; 4] }
    }
}

/// Where the symbols of encoded blocks go: into the output, or only counted.
pub(crate) trait Symbols {
    fn dc(&mut self, table: usize, symbol: u8, extra: u32) -> Result<(), Unsupported>;
    fn ac(&mut self, table: usize, symbol: u8, extra: u32) -> Result<(), Unsupported>;
}

impl Symbols for Counts {
    #[inline]
    fn dc(&mut self, table: usize, symbol: u8, _: u32) -> Result<(), Unsupported> {
        self.dc[table][usize::from(symbol)] += 1;
        Ok(())
    }

    #[inline]
    fn ac(&mut self, table: usize, symbol: u8, _: u32) -> Result<(), Unsupported> {
        self.ac[table][usize::from(symbol)] += 1;
        Ok(())
    }
}

/// The encoding tables of a scan, by class and id (a table that is not defined has no codes).
pub(crate) struct Encoders {
    pub(crate) dc: [Encoder; 4],
    pub(crate) ac: [Encoder; 4],
}

impl Encoders {
    /// Whether every symbol counted in `counts` has a code.
    pub(crate) fn code_all(&self, counts: &Counts) -> bool {
        let pairs = self.dc.iter().zip(&counts.dc).chain(self.ac.iter().zip(&counts.ac));
        pairs.into_iter().all(|(encoder, counts)| {
            encoder.lens.iter().zip(counts).all(|(&len, &count)| count == 0 || len > 0)
        })
    }
}

/// Symbols written with the scan's codes.
pub(crate) struct Emit<'w, 'o, 't> {
    pub(crate) writer: &'w mut BitWriter<'o>,
    pub(crate) tables: &'t Encoders,
}

impl Emit<'_, '_, '_> {
    #[inline]
    fn put(&mut self, encoder: &Encoder, symbol: u8, extra: u32) -> Result<(), Unsupported> {
        let len = u32::from(encoder.lens[usize::from(symbol)]);
        if len == 0 {
            return Err(Unsupported::NoCode);
        }
        let extra_len = u32::from(symbol & 0x0F);
        let code = u32::from(encoder.codes[usize::from(symbol)]);
        self.writer.put((code << extra_len) | extra, len + extra_len);
        Ok(())
    }
}

impl Symbols for Emit<'_, '_, '_> {
    #[inline]
    fn dc(&mut self, table: usize, symbol: u8, extra: u32) -> Result<(), Unsupported> {
        let tables = self.tables;
        self.put(&tables.dc[table], symbol, extra)
    }

    #[inline]
    fn ac(&mut self, table: usize, symbol: u8, extra: u32) -> Result<(), Unsupported> {
        let tables = self.tables;
        self.put(&tables.ac[table], symbol, extra)
    }
}

/// The tables one component's blocks are coded with.
#[derive(Clone, Copy)]
pub(crate) struct TableIds {
    pub(crate) dc: usize,
    pub(crate) ac: usize,
}

/// Decodes the DC of a block; `pred` is its component's DC predictor and becomes the DC.
#[inline(always)]
fn decode_dc(
    reader: &mut BitReader<'_>,
    table: &Decoder,
    pred: &mut i32,
) -> Result<(), Unsupported> {
    reader.refill();
    let size = table.decode(reader)?;
    if size > 11 {
        return Err(Unsupported::Corrupt("DC difference too large"));
    }
    let dc = *pred + reader.receive_extend(u32::from(size));
    if dc.abs() > MAX_DC {
        return Err(Unsupported::Corrupt("DC value out of range"));
    }
    *pred = dc;
    Ok(())
}

/// Where the AC coefficients of a block go on from `k` after `symbol`: the position of the
/// coefficient it codes, or `None` at the end of the block; `after_zrl` tells whether the
/// symbol before was a run of 16 zeros (which must come before a coefficient).
#[inline]
fn step(symbol: u8, k: usize, after_zrl: &mut bool) -> Result<Option<usize>, Unsupported> {
    let (run, size) = (usize::from(symbol >> 4), symbol & 0x0F);
    if size == 0 {
        return match run {
            15 if k + 16 < 64 => {
                *after_zrl = true;
                Ok(Some(k + 15))
            }
            0 if !*after_zrl => Ok(None),
            _ => Err(Unsupported::Corrupt("AC run that is not canonical")),
        };
    }
    *after_zrl = false;
    if size > 10 || k + run > 63 {
        return Err(Unsupported::Corrupt("AC coefficient out of range"));
    }
    Ok(Some(k + run))
}

/// Steps over one block, keeping only its DC in `pred` (its component's DC predictor).
#[inline]
pub(super) fn skip(
    reader: &mut BitReader<'_>,
    dc_table: &Decoder,
    ac_table: &Decoder,
    pred: &mut i32,
) -> Result<(), Unsupported> {
    decode_dc(reader, dc_table, pred)?;
    let mut k = 1;
    let mut after_zrl = false;
    while k < 64 {
        if reader.is_low() {
            reader.refill();
        }
        let symbol = ac_table.skip_ac(reader)?;
        match step(symbol, k, &mut after_zrl)? {
            Some(at) => k = at + 1,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Decodes one block into `block`; `pred` is its component's DC predictor and becomes its DC.
#[inline]
pub(crate) fn decode(
    reader: &mut BitReader<'_>,
    dc_table: &Decoder,
    ac_table: &Decoder,
    pred: &mut i32,
    block: &mut Block,
) -> Result<(), Unsupported> {
    decode_dc(reader, dc_table, pred)?;
    block.coefs = [0; 64];
    block.coefs[0] = *pred as i16;
    block.end = 1;
    let mut k = 1;
    let mut after_zrl = false;
    while k < 64 {
        if reader.is_low() {
            reader.refill();
        }
        let symbol = ac_table.decode(reader)?;
        let value = reader.receive_extend(u32::from(symbol & 0x0F));
        match step(symbol, k, &mut after_zrl)? {
            Some(at) if value != 0 => {
                block.coefs[at] = value as i16;
                block.end = at + 1;
                k = at + 1;
            }
            Some(at) => k = at + 1,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// JPEG's magnitude category of a value and the bits that follow its symbol.
#[inline]
fn category(value: i32) -> (u32, u32) {
    let size = 32 - value.unsigned_abs().leading_zeros();
    let bits = if value < 0 { (value - 1) as u32 & ((1 << size) - 1) } else { value as u32 };
    (size, bits)
}

/// Encodes one block; `pred` is its component's DC predictor and becomes the block's DC.
#[inline]
pub(crate) fn encode(
    out: &mut impl Symbols,
    block: &Block,
    tables: TableIds,
    pred: &mut i32,
) -> Result<(), Unsupported> {
    let dc = i32::from(block.coefs[0]);
    let (size, bits) = category(dc - *pred);
    if size > 11 {
        return Err(Unsupported::Corrupt("DC difference too large"));
    }
    *pred = dc;
    out.dc(tables.dc, size as u8, bits)?;
    let mut run = 0;
    for &coef in &block.coefs[1..block.end.clamp(1, 64)] {
        if coef == 0 {
            run += 1;
            continue;
        }
        while run > 15 {
            out.ac(tables.ac, 0xF0, 0)?;
            run -= 16;
        }
        let (size, bits) = category(i32::from(coef));
        if size > 10 {
            return Err(Unsupported::Corrupt("AC coefficient out of range"));
        }
        out.ac(tables.ac, (run << 4) as u8 | size as u8, bits)?;
        run = 0;
    }
    if block.end < 64 {
        out.ac(tables.ac, 0x00, 0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::huffman::Spec;
    use super::*;

    /// A table with a code for every symbol (8 and 9 bits long).
    fn every_symbol() -> Spec {
        let mut bits = [0u8; 17];
        bits[8] = 254;
        bits[9] = 2;
        Spec { bits, values: (0..=255).collect() }
    }

    fn encoders(spec: &Spec) -> Encoders {
        let e = spec.encoder().unwrap();
        Encoders {
            dc: [e.clone(), e.clone(), e.clone(), e.clone()],
            ac: [e.clone(), e.clone(), e.clone(), e],
        }
    }

    fn encode_all(blocks: &[Block]) -> Vec<u8> {
        let spec = every_symbol();
        let tables = encoders(&spec);
        let mut out = Vec::new();
        let mut writer = BitWriter::new(&mut out);
        let mut pred = 0;
        for block in blocks {
            let mut emit = Emit { writer: &mut writer, tables: &tables };
            encode(&mut emit, block, TableIds { dc: 0, ac: 0 }, &mut pred).unwrap();
        }
        writer.finish();
        out
    }

    fn unstuffed(out: &[u8]) -> Vec<u8> {
        let mut data = Vec::new();
        let mut at = 0;
        while at < out.len() {
            data.push(out[at]);
            at += if out[at] == 0xFF { 2 } else { 1 };
        }
        data.extend_from_slice(&[0; 8]);
        data
    }

    #[test]
    fn blocks_come_back_as_they_were_encoded() {
        let mut busy = [0i16; 64];
        for (k, c) in busy.iter_mut().enumerate() {
            *c = ((k as i16 * 37) % 19) - 9;
        }
        busy[0] = -700;
        let mut sparse = [0i16; 64];
        sparse[0] = 1023;
        sparse[20] = -1;
        sparse[63] = 1000;
        let mut zrl = [0i16; 64];
        zrl[0] = 5;
        zrl[40] = 3;
        let blocks =
            [Block::flat(9), Block::new(busy), Block::new(sparse), Block::new(zrl), Block::flat(0)];
        let data = unstuffed(&encode_all(&blocks));
        let decoder = every_symbol().decoder().unwrap();
        let mut reader = BitReader::new(&data, data.len() - 8, 0);
        let mut pred = 0;
        for block in &blocks {
            let mut decoded = Block::flat(0);
            decode(&mut reader, &decoder, &decoder, &mut pred, &mut decoded).unwrap();
            assert_eq!(&decoded, block);
        }
        assert!(!reader.is_overrun());
    }

    #[test]
    fn skipping_a_block_ends_where_decoding_it_does_with_the_same_dc() {
        let mut coefs = [0i16; 64];
        coefs[0] = -30;
        coefs[3] = 2;
        coefs[30] = -77;
        coefs[63] = 1;
        let blocks = [Block::new(coefs), Block::flat(-30), Block::flat(600)];
        let data = unstuffed(&encode_all(&blocks));
        let decoder = every_symbol().decoder().unwrap();
        let mut skipping = BitReader::new(&data, data.len() - 8, 0);
        let mut decoding = BitReader::new(&data, data.len() - 8, 0);
        let (mut skipped_dc, mut decoded_dc) = (0, 0);
        let mut block = Block::flat(0);
        for _ in &blocks {
            skip(&mut skipping, &decoder, &decoder, &mut skipped_dc).unwrap();
            decode(&mut decoding, &decoder, &decoder, &mut decoded_dc, &mut block).unwrap();
            assert_eq!(skipping.position(), decoding.position());
            assert_eq!(skipped_dc, decoded_dc);
        }
        let mut counts = Counts::default();
        encode(&mut counts, &blocks[0], TableIds { dc: 0, ac: 0 }, &mut 0).unwrap();
        assert_eq!((counts.ac[0][0xF0], counts.ac[0][0xA7], counts.ac[0][0x00]), (3, 1, 0));
    }

    #[test]
    fn a_zrl_before_the_end_of_block_is_refused() {
        let spec = every_symbol();
        let encoder = spec.encoder().unwrap();
        let mut out = Vec::new();
        let mut writer = BitWriter::new(&mut out);
        for symbol in [0x00, 0xF0, 0x00] {
            writer.put(u32::from(encoder.codes[symbol]), u32::from(encoder.lens[symbol]));
        }
        writer.finish();
        let data = unstuffed(&out);
        let decoder = spec.decoder().unwrap();
        let mut reader = BitReader::new(&data, data.len() - 8, 0);
        let mut block = Block::flat(0);
        assert!(decode(&mut reader, &decoder, &decoder, &mut 0, &mut block).is_err());
    }

    #[test]
    fn categories_follow_the_standard() {
        assert_eq!(category(0), (0, 0));
        assert_eq!(category(1), (1, 1));
        assert_eq!(category(-1), (1, 0));
        assert_eq!(category(-5), (3, 0b010));
        assert_eq!(category(1023), (10, 1023));
        assert_eq!(category(-2047), (11, 0));
    }
}
