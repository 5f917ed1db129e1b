//! The entropy-coded segment as bits: taking the byte stuffing and restart markers out of a
//! scan (so bit positions are plain numbers and ranges of bits can be copied), reading bits
//! MSB first, and writing them back with stuffing.

use std::ops::Range;

use super::Unsupported;

/// One restart interval of a scan (the whole scan when the frame has no restart interval).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interval {
    /// Its bytes in the unstuffed data.
    pub(crate) clean: Range<usize>,
    /// Its bytes in the JPEG as they came, with the restart marker that ends it (if any).
    pub(super) stuffed: Range<usize>,
}

/// The scan's entropy-coded data without stuffing, split at its restart markers.
#[derive(Debug, Default)]
pub(crate) struct Unstuffed {
    pub(crate) data: Vec<u8>,
    pub(crate) intervals: Vec<Interval>,
}

/// Bytes at the end of `data` read as zeros, so the 8-byte loads of the readers need no check
/// (the decoder notices when it reads into them: see `BitReader::is_overrun`).
const PADDING: usize = 8;

impl Unstuffed {
    /// Reads the entropy-coded data starting at `jpeg[start]` up to the marker that ends it,
    /// whose position it returns. Restart markers must come in order (RST0, RST1, …).
    pub(crate) fn read(&mut self, jpeg: &[u8], start: usize) -> Result<usize, Unsupported> {
        self.data.clear();
        self.intervals.clear();
        self.data.reserve(jpeg.len().saturating_sub(start) + PADDING);
        let mut interval_start = (0, start);
        let mut at = start;
        loop {
            let Some(offset) = find_ff(&jpeg[at..]) else {
                return Err(Unsupported::Truncated);
            };
            self.data.extend_from_slice(&jpeg[at..at + offset]);
            let ff = at + offset;
            match jpeg.get(ff + 1) {
                None => return Err(Unsupported::Truncated),
                Some(0x00) => {
                    self.data.push(0xFF);
                    at = ff + 2;
                }
                // A fill byte before a marker.
                Some(0xFF) => at = ff + 1,
                Some(&marker @ 0xD0..=0xD7) => {
                    let expected = 0xD0 + (self.intervals.len() % 8) as u8;
                    if marker != expected {
                        return Err(Unsupported::Corrupt("restart markers out of order"));
                    }
                    self.intervals.push(Interval {
                        clean: interval_start.0..self.data.len(),
                        stuffed: interval_start.1..ff + 2,
                    });
                    at = ff + 2;
                    interval_start = (self.data.len(), at);
                }
                Some(_) => {
                    self.intervals.push(Interval {
                        clean: interval_start.0..self.data.len(),
                        stuffed: interval_start.1..ff,
                    });
                    self.data.extend_from_slice(&[0; PADDING]);
                    return Ok(ff);
                }
            }
        }
    }
}

/// The position of the first 0xFF byte, eight bytes at a time.
fn find_ff(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..).and_then(|rest| rest.first_chunk::<8>()) {
        let inverted = !u64::from_ne_bytes(*chunk);
        // A zero byte in `inverted` (an 0xFF in the data) sets its high bit here.
        if inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        at += 8;
    }
    bytes[at..].iter().position(|&b| b == 0xFF).map(|offset| at + offset)
}

/// Reads bits, most significant first, from unstuffed data; past its end it reads zeros.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// The next byte to load into `acc`.
    next: usize,
    /// Loaded bits, aligned to the top; the low `64 - n_bits` bits are not yet valid.
    acc: u64,
    n_bits: u32,
    /// Bits the caller may read before reading into the padding.
    limit: usize,
}

impl<'a> BitReader<'a> {
    /// A reader of the first `n_bytes` of `data` (which has `PADDING` more), from bit `at`.
    pub(crate) fn new(data: &'a [u8], n_bytes: usize, at: usize) -> Self {
        let mut reader =
            Self { data, next: at / 8, acc: 0, n_bits: 0, limit: n_bytes.saturating_mul(8) };
        reader.refill();
        reader.consume((at % 8) as u32);
        reader
    }

    /// Bits read so far, from the start of `data`.
    pub(crate) fn position(&self) -> usize {
        self.next * 8 - self.n_bits as usize
    }

    /// Whether more bits were read than the data has.
    pub(crate) fn is_overrun(&self) -> bool {
        self.position() > self.limit
    }

    /// Makes sure at least 56 bits are loaded.
    #[inline]
    pub(super) fn refill(&mut self) {
        if self.n_bits > 56 {
            return;
        }
        if let Some(word) = self.data.get(self.next..).and_then(|rest| rest.first_chunk::<8>()) {
            self.acc |= u64::from_be_bytes(*word) >> self.n_bits;
            let n_bytes = (63 - self.n_bits) / 8;
            self.next += n_bytes as usize;
            self.n_bits += n_bytes * 8;
        } else {
            while self.n_bits <= 56 {
                let byte = self.data.get(self.next).copied().unwrap_or(0);
                self.acc |= u64::from(byte) << (56 - self.n_bits);
                self.next += 1;
                self.n_bits += 8;
            }
        }
    }

    /// The next `len` (1..=32) bits, not consumed; `refill` must have loaded them.
    #[inline]
    pub(super) fn peek(&self, len: u32) -> u32 {
        (self.acc >> (64 - len)) as u32
    }

    #[inline]
    pub(super) fn consume(&mut self, len: u32) {
        self.acc <<= len;
        self.n_bits -= len;
    }

    /// Whether fewer than 32 bits are loaded.
    #[inline]
    pub(super) fn is_low(&self) -> bool {
        self.n_bits < 32
    }

    /// Reads `len` (0..=16) bits as a signed coefficient value (JPEG's RECEIVE and EXTEND).
    #[inline]
    pub(super) fn receive_extend(&mut self, len: u32) -> i32 {
        if len == 0 {
            return 0;
        }
        let bits = self.peek(len) as i32;
        self.consume(len);
        if bits < 1 << (len - 1) {
            bits - (1 << len) + 1
        } else {
            bits
        }
    }
}

/// Writes bits, most significant first, with a zero byte stuffed after every 0xFF.
pub(crate) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Pending bits in the low `n_bits` bits.
    acc: u64,
    n_bits: u32,
}

impl<'a> BitWriter<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, acc: 0, n_bits: 0 }
    }

    /// Writes the low `len` (0..=32) bits of `bits`.
    #[inline]
    pub(super) fn put(&mut self, bits: u32, len: u32) {
        let mask = if len == 32 { u32::MAX } else { (1 << len) - 1 };
        self.acc = (self.acc << len) | u64::from(bits & mask);
        self.n_bits += len;
        if self.n_bits >= 32 {
            self.n_bits -= 32;
            let word = (self.acc >> self.n_bits) as u32;
            let inverted = !word;
            if inverted.wrapping_sub(0x0101_0101) & !inverted & 0x8080_8080 == 0 {
                self.out.extend_from_slice(&word.to_be_bytes());
            } else {
                for byte in word.to_be_bytes() {
                    self.push(byte);
                }
            }
        }
    }

    fn push(&mut self, byte: u8) {
        self.out.push(byte);
        if byte == 0xFF {
            self.out.push(0x00);
        }
    }

    /// Copies bits `range` of unstuffed `data` (followed by `PADDING` bytes) to the output.
    pub(super) fn copy(&mut self, data: &[u8], range: Range<usize>) {
        let mut at = range.start;
        while at < range.end {
            let len = (range.end - at).min(32) as u32;
            let word = data
                .get(at / 8..)
                .and_then(|rest| rest.first_chunk::<8>())
                .map_or(0, |word| u64::from_be_bytes(*word));
            self.put(((word << (at % 8)) >> (64 - len)) as u32, len);
            at += len as usize;
        }
    }

    /// Fills the last byte with one bits, as a scan or restart interval ends.
    pub(crate) fn finish(mut self) {
        let pad = (8 - self.n_bits % 8) % 8;
        self.put((1 << pad) - 1, pad);
        while self.n_bits >= 8 {
            self.n_bits -= 8;
            self.push((self.acc >> self.n_bits) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unstuff(jpeg: &[u8]) -> (Unstuffed, Result<usize, Unsupported>) {
        let mut unstuffed = Unstuffed::default();
        let end = unstuffed.read(jpeg, 0);
        (unstuffed, end)
    }

    #[test]
    fn stuffing_fill_bytes_and_restart_markers_are_taken_out() {
        let scan = [1, 2, 0xFF, 0x00, 3, 0xFF, 0xD0, 4, 0xFF, 0xFF, 0xD1, 5, 0xFF, 0xD9];
        let (unstuffed, end) = unstuff(&scan);
        assert_eq!(end.unwrap(), 12);
        assert_eq!(&unstuffed.data[..6], &[1, 2, 0xFF, 3, 4, 5]);
        assert_eq!(
            unstuffed.intervals,
            [
                Interval { clean: 0..4, stuffed: 0..7 },
                Interval { clean: 4..5, stuffed: 7..11 },
                Interval { clean: 5..6, stuffed: 11..12 },
            ]
        );
    }

    #[test]
    fn restart_markers_out_of_order_and_a_missing_end_are_refused() {
        assert!(unstuff(&[1, 0xFF, 0xD1, 2, 0xFF, 0xD9]).1.is_err());
        assert!(unstuff(&[1, 2, 3]).1.is_err());
        assert!(unstuff(&[1, 2, 0xFF]).1.is_err());
        assert!(unstuff(&[0x55; 40]).1.is_err());
    }

    #[test]
    fn the_first_ff_is_found_in_long_and_short_runs() {
        for len in 0..40 {
            for at in 0..len {
                let mut bytes = vec![0xFE; len];
                bytes[at] = 0xFF;
                assert_eq!(find_ff(&bytes), Some(at));
            }
            assert_eq!(find_ff(&vec![0x7F; len]), None);
        }
    }

    #[test]
    fn written_bits_are_stuffed_padded_and_read_back() {
        let mut out = Vec::new();
        let mut writer = BitWriter::new(&mut out);
        let values: Vec<(u32, u32)> =
            (0..200u32).map(|i| (i.wrapping_mul(2654435761) >> (i % 17), i % 33)).collect();
        for &(bits, len) in &values {
            writer.put(bits, len);
        }
        writer.put(0xFF, 8);
        writer.finish();
        let (unstuffed, _) = unstuff(&[out.as_slice(), &[0xFF, 0xD9]].concat());
        assert!(out.windows(2).all(|w| w[0] != 0xFF || w[1] == 0x00), "0xFF is stuffed");
        let mut reader = BitReader::new(&unstuffed.data, unstuffed.data.len() - PADDING, 0);
        for &(bits, len) in &values {
            reader.refill();
            let mask = if len == 32 { u32::MAX } else { (1 << len) - 1 };
            if len > 0 {
                assert_eq!(reader.peek(len), bits & mask);
                reader.consume(len);
            }
        }
        reader.refill();
        assert_eq!(reader.peek(8), 0xFF);
    }

    #[test]
    fn bits_copied_from_any_offset_read_back_the_same() {
        let data: Vec<u8> = (0..64u32).map(|i| (i * 37 + 11) as u8).chain([0; PADDING]).collect();
        for start in [0, 1, 7, 8, 13, 100] {
            for end in [start, start + 1, start + 31, start + 33, 64 * 8] {
                let mut out = Vec::new();
                let mut writer = BitWriter::new(&mut out);
                writer.put(0b101, 3);
                writer.copy(&data, start..end);
                writer.finish();
                let (copied, _) = unstuff(&[out.as_slice(), &[0xFF, 0xD9]].concat());
                let mut reader = BitReader::new(&copied.data, copied.data.len() - PADDING, 3);
                let mut original = BitReader::new(&data, 64, start);
                for _ in start..end {
                    reader.refill();
                    original.refill();
                    assert_eq!(reader.peek(1), original.peek(1), "{start}..{end}");
                    reader.consume(1);
                    original.consume(1);
                }
            }
        }
    }

    #[test]
    fn signed_values_extend_as_jpeg_says() {
        let data = [0b0110_1010, 0b1000_0000, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut reader = BitReader::new(&data, 2, 0);
        assert_eq!(reader.receive_extend(1), -1);
        assert_eq!(reader.receive_extend(2), 3);
        assert_eq!(reader.receive_extend(3), -5);
        assert_eq!(reader.receive_extend(0), 0);
        assert_eq!(reader.receive_extend(2), 2);
        assert_eq!(reader.position(), 8);
        reader.consume(8);
        assert!(!reader.is_overrun());
        reader.consume(1);
        assert!(reader.is_overrun());
    }
}
