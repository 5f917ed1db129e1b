//! Huffman tables: as a DHT segment specifies them (`Spec`), for decoding (`Decoder`: a lookup
//! of the first bits, the canonical comparison beyond), for encoding (`Encoder`), and made
//! optimal for symbol counts with the 16-bit limit (ITU T.81 Annex K.2 and K.3).

use super::bits::BitReader;
use super::Unsupported;

/// Bits the decoder looks up at once; longer codes take the canonical route.
const LOOKAHEAD: u32 = 11;
const LOOKUP_SIZE: usize = 1 << LOOKAHEAD;

/// A table as a DHT segment gives it: how many codes each length has, and the symbols in
/// order of their codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    /// `bits[len]` codes of `len` bits, for `len` in 1..=16 (`bits[0]` is unused).
    pub(crate) bits: [u8; 17],
    pub(crate) values: Vec<u8>,
}

impl Spec {
    /// The table at the start of `payload` and the bytes after it.
    pub(super) fn parse(payload: &[u8]) -> Result<(Self, &[u8]), Unsupported> {
        let counts = payload.get(..16).ok_or(Unsupported::Corrupt("short Huffman table"))?;
        let mut bits = [0; 17];
        bits[1..].copy_from_slice(counts);
        let n_values: usize = counts.iter().map(|&n| usize::from(n)).sum();
        if n_values > 256 {
            return Err(Unsupported::Corrupt("Huffman table with too many codes"));
        }
        let values = payload
            .get(16..16 + n_values)
            .ok_or(Unsupported::Corrupt("short Huffman table"))?
            .to_vec();
        Ok((Self { bits, values }, &payload[16 + n_values..]))
    }

    /// Appends the table as DHT content (class and id byte first).
    pub(super) fn write(&self, class_and_id: u8, out: &mut Vec<u8>) {
        out.push(class_and_id);
        out.extend_from_slice(&self.bits[1..]);
        out.extend_from_slice(&self.values);
    }

    /// The code of each symbol in order, with its length; an error when the lengths do not
    /// make a prefix code that leaves the all-ones code free (as libjpeg requires).
    fn codes(&self) -> Result<impl Iterator<Item = (u8, u16, u32)> + '_, Unsupported> {
        let mut code = 0u32;
        for len in 1..=16 {
            code += u32::from(self.bits[len]);
            if code >= 1 << len {
                return Err(Unsupported::Corrupt("bad Huffman table"));
            }
            code <<= 1;
        }
        let lengths = (1..=16u32).flat_map(|len| (0..self.bits[len as usize]).map(move |_| len));
        let mut code = 0u32;
        let mut last_len = 1;
        Ok(self.values.iter().zip(lengths).map(move |(&symbol, len)| {
            code <<= len - last_len;
            last_len = len;
            let this = code;
            code += 1;
            (symbol, this as u16, len)
        }))
    }

    pub(super) fn decoder(&self) -> Result<Decoder, Unsupported> {
        let mut decoder = Decoder {
            lookup: Box::new([0; LOOKUP_SIZE]),
            skip: Box::new([0; LOOKUP_SIZE]),
            max_code: [-1; 17],
            offset: [0; 17],
            values: self.values.clone(),
        };
        for (k, (_, code, len)) in self.codes()?.enumerate() {
            let (code, len_us) = (i32::from(code), len as usize);
            if decoder.max_code[len_us] < 0 {
                decoder.offset[len_us] = k as i32 - code;
            }
            decoder.max_code[len_us] = code;
            if len <= LOOKAHEAD {
                let shift = LOOKAHEAD - len;
                let first = (code as usize) << shift;
                let symbol = self.values[k];
                decoder.lookup[first..first + (1 << shift)]
                    .fill((len << 8) as u16 | u16::from(symbol));
                // As an AC symbol: its code and the value's bits, if they fit.
                let with_value = len + u32::from(symbol & 0x0F);
                if with_value <= LOOKAHEAD {
                    let entry = (with_value << 8) as u16 | u16::from(symbol);
                    decoder.skip[first..first + (1 << shift)].fill(entry);
                }
            }
        }
        Ok(decoder)
    }

    pub(crate) fn encoder(&self) -> Result<Encoder, Unsupported> {
        let mut encoder = Encoder { codes: [0; 256], lens: [0; 256] };
        for (symbol, code, len) in self.codes()? {
            encoder.codes[usize::from(symbol)] = code;
            encoder.lens[usize::from(symbol)] = len as u8;
        }
        Ok(encoder)
    }

    /// The optimal table for symbols counted `counts` times, no code longer than 16 bits and
    /// the all-ones code left free (symbol 0 gets a code when nothing was counted).
    pub(crate) fn optimal(counts: &[u32; 256]) -> Self {
        // Annex K.2: merge the two least frequent entries until one is left; symbol 256 is a
        // reserved entry counted once, so no real symbol gets the all-ones code.
        let mut freq: Vec<u64> = counts.iter().map(|&n| u64::from(n)).chain([1]).collect();
        if counts.iter().all(|&n| n == 0) {
            freq[0] = 1;
        }
        let mut size = [0u32; 257];
        let mut next: [Option<usize>; 257] = [None; 257];
        let mut live: Vec<usize> = (0..257).filter(|&v| freq[v] > 0).collect();
        while live.len() > 1 {
            // The least frequent, and among equals the largest symbol (as libjpeg's).
            let least = |live: &[usize], freq: &[u64]| {
                (0..live.len())
                    .min_by_key(|&i| (freq[live[i]], std::cmp::Reverse(live[i])))
                    .expect("at least two entries are live")
            };
            let i1 = least(&live, &freq);
            let v1 = live.swap_remove(i1);
            let i2 = least(&live, &freq);
            let v2 = live[i2];
            // v1 takes v2's place with the sum; both branches get one bit longer.
            live[i2] = v1;
            freq[v1] += freq[v2];
            freq[v2] = 0;
            let mut chain = Some(v1);
            let mut last = v1;
            while let Some(v) = chain {
                size[v] += 1;
                last = v;
                chain = next[v];
            }
            next[last] = Some(v2);
            let mut chain = Some(v2);
            while let Some(v) = chain {
                size[v] += 1;
                chain = next[v];
            }
        }
        // 257 entries make a tree at most 256 deep.
        let mut bits = [0u32; 258];
        for &len in size.iter().filter(|&&len| len > 0) {
            bits[len as usize] += 1;
        }
        // Annex K.3: shorten codes longer than 16 bits two at a time, lengthening a shorter one.
        for len in (17..bits.len()).rev() {
            while bits[len] > 0 {
                let mut shorter = len - 2;
                while bits[shorter] == 0 {
                    shorter -= 1;
                }
                bits[len] -= 2;
                bits[len - 1] += 1;
                bits[shorter + 1] += 2;
                bits[shorter] -= 1;
            }
        }
        // Drop the reserved entry: it has one of the longest codes.
        let longest =
            (1..=16).rev().find(|&len| bits[len] > 0).expect("the reserved entry has a code");
        bits[longest] -= 1;

        let mut by_size: Vec<usize> = (0..256).filter(|&v| size[v] > 0).collect();
        by_size.sort_by_key(|&v| (size[v], v));
        let mut spec = Self { bits: [0; 17], values: Vec::with_capacity(by_size.len()) };
        for (to, &from) in spec.bits.iter_mut().zip(&bits).skip(1) {
            *to = from as u8;
        }
        // The shortened lengths go to the symbols in order of their original lengths.
        spec.values.extend(by_size.iter().map(|&v| v as u8));
        spec
    }
}

/// A table ready for decoding.
pub(crate) struct Decoder {
    /// By the next `LOOKAHEAD` bits: the code's length << 8 | its symbol; 0 for longer codes.
    lookup: Box<[u16; LOOKUP_SIZE]>,
    /// The same for an AC symbol with the bits of its value: their length << 8 | the symbol;
    /// 0 when they are longer.
    skip: Box<[u16; LOOKUP_SIZE]>,
    /// The largest code of each length; -1 when there is none.
    max_code: [i32; 17],
    /// Add to a code of each length to get its symbol's index in `values`.
    offset: [i32; 17],
    values: Vec<u8>,
}

impl Decoder {
    /// Decodes one symbol; the reader must hold at least 16 bits.
    #[inline]
    pub(super) fn decode(
        &self,
        reader: &mut super::bits::BitReader<'_>,
    ) -> Result<u8, Unsupported> {
        let entry = self.lookup[reader.peek(LOOKAHEAD) as usize % LOOKUP_SIZE];
        if entry != 0 {
            reader.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        for len in LOOKAHEAD + 1..=16 {
            let code = reader.peek(len) as i32;
            if code <= self.max_code[len as usize] {
                reader.consume(len);
                let index = code + self.offset[len as usize];
                return usize::try_from(index)
                    .ok()
                    .and_then(|i| self.values.get(i).copied())
                    .ok_or(Unsupported::Corrupt("bad Huffman code"));
            }
        }
        Err(Unsupported::Corrupt("bad Huffman code"))
    }

    /// Decodes one AC symbol and steps over the bits of its value; the reader must hold at
    /// least 32 bits.
    #[inline]
    pub(super) fn skip_ac(&self, reader: &mut BitReader<'_>) -> Result<u8, Unsupported> {
        let entry = self.skip[reader.peek(LOOKAHEAD) as usize % LOOKUP_SIZE];
        if entry != 0 {
            reader.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        let symbol = self.decode(reader)?;
        reader.consume(u32::from(symbol & 0x0F));
        Ok(symbol)
    }
}

/// A table ready for encoding: each symbol's code and length (0: the table has no code).
#[derive(Clone)]
pub(crate) struct Encoder {
    pub(super) codes: [u16; 256],
    pub(crate) lens: [u8; 256],
}

#[cfg(test)]
mod tests {
    use super::super::bits::{BitReader, BitWriter};
    use super::*;

    /// Annex K.3, Table K.3: the example luminance DC table.
    fn luma_dc() -> Spec {
        Spec {
            bits: [0, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
            values: (0..12).collect(),
        }
    }

    fn round_trip(spec: &Spec, symbols: &[u8]) {
        let encoder = spec.encoder().unwrap();
        let mut out = Vec::new();
        let mut writer = BitWriter::new(&mut out);
        for &s in symbols {
            assert!(encoder.lens[usize::from(s)] > 0, "symbol {s} has a code");
            writer.put(
                u32::from(encoder.codes[usize::from(s)]),
                u32::from(encoder.lens[usize::from(s)]),
            );
        }
        writer.finish();
        let n_bytes = out.len();
        // No 0xFF survives unstuffed here unless stuffed: compare against a plain copy.
        let mut data = Vec::new();
        let mut at = 0;
        while at < out.len() {
            data.push(out[at]);
            at += if out[at] == 0xFF { 2 } else { 1 };
        }
        data.extend_from_slice(&[0; 8]);
        let decoder = spec.decoder().unwrap();
        let mut reader = BitReader::new(&data, n_bytes, 0);
        for &s in symbols {
            reader.refill();
            assert_eq!(decoder.decode(&mut reader).unwrap(), s);
        }
    }

    #[test]
    fn the_standard_table_has_the_codes_of_annex_k() {
        let encoder = luma_dc().encoder().unwrap();
        assert_eq!((encoder.codes[0], encoder.lens[0]), (0b00, 2));
        assert_eq!((encoder.codes[1], encoder.lens[1]), (0b010, 3));
        assert_eq!((encoder.codes[5], encoder.lens[5]), (0b110, 3));
        assert_eq!((encoder.codes[6], encoder.lens[6]), (0b1110, 4));
        assert_eq!((encoder.codes[11], encoder.lens[11]), (0b1_1111_1110, 9));
        round_trip(&luma_dc(), &[0, 11, 3, 5, 6, 1, 1, 10, 0]);
    }

    #[test]
    fn a_table_that_uses_the_all_ones_code_or_overflows_is_refused() {
        let full =
            Spec { bits: [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], values: vec![0, 1] };
        assert!(full.decoder().is_err());
        let over = Spec {
            bits: [0, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            values: (0..5).collect(),
        };
        assert!(over.encoder().is_err());
    }

    #[test]
    fn an_optimal_table_codes_every_counted_symbol_and_frequent_ones_shorter() {
        let mut counts = [0u32; 256];
        counts[0x00] = 5000;
        counts[0x01] = 3000;
        counts[0x11] = 20;
        counts[0xF0] = 1;
        counts[0x2A] = 7;
        let spec = Spec::optimal(&counts);
        let encoder = spec.encoder().unwrap();
        let len = |s: usize| encoder.lens[s];
        assert!(len(0x00) <= len(0x01) && len(0x01) <= len(0x11) && len(0x11) <= len(0xF0));
        assert_eq!(spec.values.len(), 5);
        round_trip(&spec, &[0x00, 0x01, 0x11, 0xF0, 0x2A, 0x00]);

        let mut one = [0u32; 256];
        one[7] = 9;
        let spec = Spec::optimal(&one);
        assert_eq!(spec.encoder().unwrap().lens[7], 1);
        round_trip(&spec, &[7, 7, 7]);
    }

    #[test]
    fn skewed_counts_give_codes_of_at_most_16_bits() {
        // Fibonacci counts make a maximally deep Huffman tree.
        let mut counts = [0u32; 256];
        let (mut a, mut b) = (1u32, 1u32);
        for count in counts.iter_mut().take(40) {
            *count = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let spec = Spec::optimal(&counts);
        assert_eq!(spec.values.len(), 40);
        let encoder = spec.encoder().unwrap();
        assert!((0..40).all(|s| (1..=16).contains(&encoder.lens[s])));
        let symbols: Vec<u8> = (0..40).chain((0..40).rev()).collect();
        round_trip(&spec, &symbols);
    }

    #[test]
    fn a_parsed_table_writes_back_the_same_bytes() {
        let mut payload = vec![0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
        payload.extend(0..12u8);
        payload.push(0x99);
        let (spec, rest) = Spec::parse(&payload).unwrap();
        assert_eq!(spec, luma_dc());
        assert_eq!(rest, [0x99]);
        let mut out = Vec::new();
        spec.write(0x10, &mut out);
        assert_eq!(out[0], 0x10);
        assert_eq!(&out[1..], &payload[..payload.len() - 1]);
        assert!(Spec::parse(&payload[..20]).is_err());
        assert!(Spec::parse(&[0xFF; 16]).is_err());
    }
}
