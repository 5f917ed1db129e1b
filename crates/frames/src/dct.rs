//! Masking in the compressed domain: the frame's quantised DCT coefficients are replaced where
//! the masks are, and nothing else is decoded to pixels or quantised again.
//!
//! The JPEG's markers are read (`markers`), its one scan is Huffman-decoded block by block
//! without an inverse DCT (`scan`, `block`, `huffman`, `bits`), every MCU a mask touches gets
//! flat blocks of the fill and the lock mark's blocks (`cover`), and the scan is written again
//! with the frame's own Huffman tables: unmasked MCUs are copied bit for bit. Only when those
//! tables lack a code the new blocks need (Chromium sends optimised tables, which code only
//! the symbols its frame used) are optimal tables made from the masked scan's symbol counts
//! and every block encoded again; unmasked blocks keep their coefficients either way.
//!
//! The frame written has the input's quantisation tables, frame header, restart interval and
//! scan header, a plain JFIF header, and nothing else: application data and comments (which
//! could hold a thumbnail of the unmasked page) are left out.
//!
//! What this does not support (progressive or arithmetic coding, more than 8 bits, odd
//! sampling, several scans, corrupt or truncated data) is `Unsupported`, and `mask` then paints
//! on the decoded pixels instead (`codec`).

pub(crate) mod bits;
pub(crate) mod block;
pub(crate) mod cover;
pub(crate) mod huffman;
pub(crate) mod markers;
pub(crate) mod scan;
#[cfg(test)]
pub(crate) mod tests;

use std::cell::RefCell;

use bytes::Bytes;

use crate::codec::MAX_PIXELS;
use crate::geometry::PixelRect;
use bits::Unstuffed;
use block::{Encoders, TableIds};
use cover::{Cover, Layout};
use huffman::{Decoder, Spec};
use markers::Header;
use scan::{Index, Rewrite, Slot};

/// Why a frame cannot be masked in the compressed domain (it is then masked on its pixels).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unsupported {
    #[error("the JPEG's coding is not supported in the compressed domain: {0}")]
    Process(&'static str),
    #[error(
        "the JPEG's components or sampling factors are not supported in the compressed domain"
    )]
    Layout,
    #[error("the JPEG ends early")]
    Truncated,
    #[error("the JPEG is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("a Huffman table has no code for a symbol to be written")]
    NoCode,
    #[error("the JPEG's header tells another size than the frame was measured at, or too large")]
    Size,
}

/// A JFIF APP0 segment without a thumbnail: YCbCr (or greyscale), square pixels.
pub(crate) const JFIF: [u8; 18] =
    [0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];

/// Buffers kept from frame to frame on each thread.
#[derive(Default)]
struct Scratch {
    unstuffed: Unstuffed,
    index: Index,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The frame `jpeg` of `size` pixels with every MCU that `rects` touch covered by the fill,
/// and lock marks where they have room (`scale`: frame pixels per CSS pixel).
pub(crate) fn mask(
    jpeg: &[u8],
    rects: &[PixelRect],
    scale: f64,
    size: (usize, usize),
) -> Result<Bytes, Unsupported> {
    let header = markers::read(jpeg)?;
    if (header.width, header.height) != size || header.width * header.height > MAX_PIXELS {
        return Err(Unsupported::Size);
    }
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => mask_with(jpeg, &header, rects, scale, &mut scratch),
        Err(_) => mask_with(jpeg, &header, rects, scale, &mut Scratch::default()),
    })
}

fn mask_with(
    jpeg: &[u8],
    header: &Header,
    rects: &[PixelRect],
    scale: f64,
    scratch: &mut Scratch,
) -> Result<Bytes, Unsupported> {
    let Scratch { unstuffed, index } = scratch;
    let end = unstuffed.read(jpeg, header.scan.end)?;
    if jpeg.get(end..end + 2) != Some(&[0xFF, 0xD9]) {
        return Err(Unsupported::Process("more than one scan, or data after the scan"));
    }
    let layout = Layout::new(header);
    let decoders = Decoders::new(header)?;
    let slots = decoders.slots(header, &layout)?;

    scan::read(&layout, &slots, unstuffed, index)?;
    let cover = Cover::new(header, &layout, rects, scale);
    let rewrite = Rewrite { layout: &layout, slots: &slots, unstuffed, index, cover: &cover };
    let added = rewrite.count_changes()?;

    let mut out = Vec::with_capacity(jpeg.len() + 1024);
    out.extend_from_slice(&[0xFF, 0xD8]);
    out.extend_from_slice(&JFIF);
    let tables = encoders(&header.dc_specs, &header.ac_specs)?;
    if tables.code_all(&added) {
        write_segments(&mut out, jpeg, header, true);
        out.extend_from_slice(&jpeg[header.scan.clone()]);
        rewrite.write_changes(&mut out, jpeg, &tables)?;
    } else {
        let counts = rewrite.count_all()?;
        let optimal = |counts: &[[u32; 256]; 4], id: fn(&markers::Component) -> usize| {
            let mut specs = [None, None, None, None];
            for component in &header.components {
                specs[id(component)] = Some(Spec::optimal(&counts[id(component)]));
            }
            specs
        };
        let dc_specs = optimal(&counts.dc, |c| c.dc_table);
        let ac_specs = optimal(&counts.ac, |c| c.ac_table);
        write_segments(&mut out, jpeg, header, false);
        write_huffman(&mut out, &dc_specs, &ac_specs);
        out.extend_from_slice(&jpeg[header.scan.clone()]);
        rewrite.write_all(&mut out, &encoders(&dc_specs, &ac_specs)?)?;
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok(Bytes::from(out))
}

/// The decoding tables of a frame, by class and id.
pub(crate) struct Decoders {
    dc: [Option<Decoder>; 4],
    ac: [Option<Decoder>; 4],
}

impl Decoders {
    pub(crate) fn new(header: &Header) -> Result<Self, Unsupported> {
        let decoders = |specs: &[Option<Spec>; 4]| -> Result<[Option<Decoder>; 4], Unsupported> {
            let mut decoders = [None, None, None, None];
            for (decoder, spec) in decoders.iter_mut().zip(specs) {
                *decoder = spec.as_ref().map(Spec::decoder).transpose()?;
            }
            Ok(decoders)
        };
        Ok(Self { dc: decoders(&header.dc_specs)?, ac: decoders(&header.ac_specs)? })
    }

    /// The component and tables of each block of an MCU.
    pub(crate) fn slots(
        &self,
        header: &Header,
        layout: &Layout,
    ) -> Result<Vec<Slot<'_>>, Unsupported> {
        layout
            .slots
            .iter()
            .map(|&component| {
                let c = &header.components[component];
                let ids = TableIds { dc: c.dc_table, ac: c.ac_table };
                let dc = self.dc[ids.dc].as_ref().ok_or(Unsupported::Corrupt("no DC table"))?;
                let ac = self.ac[ids.ac].as_ref().ok_or(Unsupported::Corrupt("no AC table"))?;
                Ok(Slot { component, ids, dc, ac })
            })
            .collect()
    }
}

/// The kept segments before the scan; the Huffman tables only with `huffman`.
fn write_segments(out: &mut Vec<u8>, jpeg: &[u8], header: &Header, huffman: bool) {
    for segment in header.segments.iter().filter(|s| huffman || !s.is_huffman) {
        out.extend_from_slice(&jpeg[segment.bytes.clone()]);
    }
}

/// One DHT segment with the given tables.
pub(crate) fn write_huffman(out: &mut Vec<u8>, dc: &[Option<Spec>; 4], ac: &[Option<Spec>; 4]) {
    let start = out.len();
    out.extend_from_slice(&[0xFF, 0xC4, 0, 0]);
    for (class, specs) in [(0u8, dc), (1, ac)] {
        for (id, spec) in specs.iter().enumerate() {
            if let Some(spec) = spec {
                spec.write(class << 4 | id as u8, out);
            }
        }
    }
    // At most 8 tables of 17 + 256 bytes: the length fits in 16 bits.
    let length = (out.len() - start - 2) as u16;
    out[start + 2..start + 4].copy_from_slice(&length.to_be_bytes());
}

pub(crate) fn encoders(
    dc: &[Option<Spec>; 4],
    ac: &[Option<Spec>; 4],
) -> Result<Encoders, Unsupported> {
    let encoder = |spec: &Option<Spec>| match spec {
        Some(spec) => spec.encoder(),
        None => Spec { bits: [0; 17], values: Vec::new() }.encoder(),
    };
    Ok(Encoders {
        dc: [encoder(&dc[0])?, encoder(&dc[1])?, encoder(&dc[2])?, encoder(&dc[3])?],
        ac: [encoder(&ac[0])?, encoder(&ac[1])?, encoder(&ac[2])?, encoder(&ac[3])?],
    })
}
