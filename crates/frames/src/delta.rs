//! Sending only what changed: each frame of a stream is compared with the one before it, and
//! the MCUs that changed go out as a few small JPEGs (tiles) instead of the whole frame.
//!
//! Why: Chromium's screencast sends a whole frame whenever anything on the page moves, so a
//! 40×40 spinner costs a viewer some 10 Mbit/s and typing into a form about 1. A viewer that
//! already shows the frame before needs only the rectangles that differ.
//!
//! How: the frame's one scan is Huffman-decoded MCU by MCU without an inverse DCT, as masking
//! does (`dct`), and each MCU's quantised coefficients are hashed (`mcus`). Only the hashes are
//! kept for the next frame (8 bytes per MCU: 29 KB a stream at 720p), not the coefficients.
//! The changed MCUs are grouped into rectangles by what sending them costs (`regions`), and
//! each rectangle is written as a baseline JPEG of just those MCUs with the frame's exact
//! coefficients (`tile`): nothing is decoded to pixels or quantised again.
//!
//! A tile has no margin: its luma decodes exactly as the frame's does, and so do its chroma
//! samples, but a decoder's chroma upsampling (libjpeg-turbo's "fancy" triangle filter, as
//! browsers decode) reads the neighbouring chroma sample, which at a tile's edge is the tile's
//! own instead of the frame's (and just outside the tile, the frame before's). So the one
//! pixel either side of a tile's edge can differ from the frame decoded whole, in colour only,
//! by at most a quarter of the chroma step across the edge (7/16 at a corner). The tests
//! measure 2 to 15 per RGB channel on busy pages and 13 on a real Chromium frame; the worst
//! case, a saturated blue meeting a tile's corner exactly, is 57, which is how far the codec
//! itself is off from the drawn pixels there (56). One pixel of colour bleeding at an edge
//! that is there anyway is not worth a margin of 16 pixels around every tile.
//!
//! A frame is sent whole (`None`) when there is nothing to compare it with (the first frame,
//! one after a frame that could not be read), when it differs in pixel size, quantisation
//! tables or sampling, when the compressed-domain code cannot read it, or when its tiles would
//! not be clearly smaller than the frame.

mod mcus;
mod regions;
#[cfg(test)]
mod tests;
mod tile;

use std::cell::RefCell;
use std::hash::{BuildHasher, RandomState};

use bytes::Bytes;

use crate::codec::MAX_PIXELS;
use crate::dct::bits::Unstuffed;
use crate::dct::block::Block;
use crate::dct::cover::Layout;
use crate::dct::markers::{self, Header};
use crate::dct::{Decoders, Unsupported};
use mcus::Mcus;
use regions::{Costs, Region};
use tile::{Requant, Source, Tables};

/// One changed region of a frame as its own small JPEG, in the frame's pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    /// Where the tile's top left pixel goes in the frame (a multiple of the MCU size).
    pub x: u32,
    pub y: u32,
    /// The tile's size in pixels (whole MCUs, cut at the frame's right and bottom edges).
    pub width: u32,
    pub height: u32,
    /// A baseline JPEG of exactly `width`×`height` pixels: the frame's quantised coefficients
    /// in those MCUs, with the frame's quantisation tables.
    pub jpeg: Bytes,
}

/// A frame's changes against the frame before it in the same stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    /// The sequence number of the frame these tiles are drawn on.
    pub base_seq: u64,
    /// The changed regions, top to bottom, left to right; none when nothing changed. They may
    /// be drawn in any order.
    pub tiles: Vec<Tile>,
}

/// Remembers the last frame of one stream (a session's customer stream, its agent stream):
/// 8 bytes per MCU of it, some 29 KB at 720p.
#[derive(Debug, Default)]
pub struct Differ {
    /// The keys of the MCU hashes, random for each differ so no page can aim at a collision.
    keys: RandomState,
    /// The frame the next is compared with; none before the first frame and after a frame
    /// that could not be read.
    last: Option<Last>,
    /// The frame `last` was compared with, so a sibling stream (`follow`) that is one frame
    /// behind can take its changes; none when `last` was not compared with anything.
    before: Option<Last>,
}

/// What is kept of the last frame.
#[derive(Clone)]
struct Last {
    seq: u64,
    shape: Shape,
    /// A hash of each MCU's coefficients, in scan order.
    hashes: Vec<u64>,
}

impl std::fmt::Debug for Last {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Last")
            .field("seq", &self.seq)
            .field("size", &(self.shape.width, self.shape.height))
            .field("n_mcus", &self.hashes.len())
            .finish()
    }
}

/// What must be the same for two frames' coefficients to be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    width: usize,
    height: usize,
    /// Each component's blocks per MCU across and down, and quantisation table.
    components: Vec<(usize, usize, [u16; 64])>,
}

impl Shape {
    fn of(header: &Header) -> Self {
        let components = header.components.iter().map(|c| (c.h, c.v, c.quant)).collect();
        Self { width: header.width, height: header.height, components }
    }
}

/// Tiles beyond this many are merged; a frame is never sent as more.
const MAX_TILES: usize = 32;
/// A frame is sent whole when its tiles would take this share of its bytes or more.
const MAX_SHARE: f64 = 0.7;
/// Blocks of a tile kept on a thread for the next (some 500 KB); a larger buffer is let go.
const MAX_KEPT_BLOCKS: usize = 4096;

/// Buffers kept from frame to frame on each thread.
#[derive(Default)]
struct Scratch {
    unstuffed: Unstuffed,
    mcus: Mcus,
    changed: Vec<bool>,
    blocks: Vec<Block>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Differ {
    pub fn new() -> Differ {
        Differ::default()
    }

    /// A differ for a second stream of the same frames (a session's agents beside its
    /// customers): the same hash keys, so [`Differ::follow`] can tell when the two are in step.
    pub fn sibling(&self) -> Differ {
        Differ { keys: self.keys.clone(), last: None, before: None }
    }

    /// Takes `lead`'s latest comparison for frame `seq` instead of comparing again: true (and
    /// `seq` becomes this differ's last frame) when `lead` is a sibling whose last frame is
    /// `seq` and whose frame before it is this differ's last one (the same frame, with the same
    /// coefficients), so the changes are the same. The caller checks that the frames are the
    /// same JPEG.
    pub(crate) fn follow(&mut self, lead: &Differ, seq: u64) -> bool {
        let (Some(mine), Some(before), Some(now)) = (&self.last, &lead.before, &lead.last) else {
            return false;
        };
        let in_step = self.family() == lead.family()
            && now.seq == seq
            && mine.seq == before.seq
            && mine.shape == before.shape
            && mine.hashes == before.hashes;
        if in_step {
            self.last = Some(now.clone());
            self.before = None;
        }
        in_step
    }

    /// Equal for differs with the same keys (siblings), and different otherwise.
    fn family(&self) -> u64 {
        self.keys.hash_one(0x6265_7369_6465_u64)
    }

    /// The changes of frame `seq` (its JPEG bytes) against the previous frame given to this
    /// differ, or None when the frame must be sent whole: the first frame, another pixel size,
    /// other quantisation tables or sampling, a JPEG the compressed-domain code does not
    /// support, or tiles that would not be clearly smaller than the frame (70 % of its bytes
    /// or more). Either way, this frame becomes the one the next is compared with (a frame that
    /// cannot be read leaves none, so the next is sent whole too).
    pub fn diff(&mut self, seq: u64, jpeg: &[u8]) -> Option<Delta> {
        let res = SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.diff_with(seq, jpeg, &mut scratch),
            Err(_) => self.diff_with(seq, jpeg, &mut Scratch::default()),
        });
        match res {
            Ok(delta) => delta,
            Err(error) => {
                tracing::debug!(seq, %error, "frame sent whole: it cannot be compared");
                None
            }
        }
    }

    fn diff_with(
        &mut self,
        seq: u64,
        jpeg: &[u8],
        scratch: &mut Scratch,
    ) -> Result<Option<Delta>, Unsupported> {
        // Whatever happens below, the frame before is of no use any more.
        let last = self.last.take();
        if let Some(old) = self.before.take() {
            // Its buffer is reused for this frame's hashes.
            if scratch.mcus.hashes.capacity() == 0 {
                scratch.mcus.hashes = old.hashes;
            }
        }
        let header = markers::read(jpeg)?;
        if header.width * header.height > MAX_PIXELS {
            return Err(Unsupported::Size);
        }
        let Scratch { unstuffed, mcus, changed, blocks } = scratch;
        read_scan(jpeg, &header, unstuffed)?;
        let layout = Layout::new(&header);
        let decoders = Decoders::new(&header)?;
        let slots = decoders.slots(&header, &layout)?;
        mcus.read(&layout, &slots, unstuffed, &self.keys)?;

        let shape = Shape::of(&header);
        let base = match last {
            Some(last) if last.shape == shape => last,
            _ => {
                let hashes = std::mem::take(&mut mcus.hashes);
                self.last = Some(Last { seq, shape, hashes });
                return Ok(None);
            }
        };
        changed.clear();
        changed.extend(base.hashes.iter().zip(&mcus.hashes).map(|(a, b)| a != b));
        let hashes = std::mem::take(&mut mcus.hashes);
        self.last = Some(Last { seq, shape, hashes });
        let base_seq = base.seq;
        self.before = Some(base);
        if !changed.contains(&true) {
            return Ok(Some(Delta { base_seq, tiles: Vec::new() }));
        }

        let tables = Tables::of_frame(&header)?;
        let source =
            Source { jpeg, header: &header, layout: &layout, slots: &slots, unstuffed, mcus };
        let costs = Costs::new(&mcus.bits, layout.mcus_x, 8 * source.overhead(&tables) as u64);
        let regions = regions::group(changed, layout.mcus_x, &costs, MAX_TILES);
        let budget = MAX_SHARE * jpeg.len() as f64;
        let estimate: u64 = regions.iter().map(|&r| costs.of(r)).sum();
        if estimate as f64 / 8.0 >= budget {
            return Ok(None);
        }
        let tiles = write_tiles(&source, &regions, &tables, blocks, budget);
        if blocks.capacity() > MAX_KEPT_BLOCKS {
            *blocks = Vec::new();
        }
        let Some(tiles) = tiles? else {
            return Ok(None);
        };
        Ok(Some(Delta { base_seq, tiles }))
    }
}

/// The tiles of `regions`, or `None` once they take `budget` bytes.
fn write_tiles(
    source: &Source<'_>,
    regions: &[Region],
    tables: &Tables,
    blocks: &mut Vec<Block>,
    budget: f64,
) -> Result<Option<Vec<Tile>>, Unsupported> {
    let mut tiles = Vec::with_capacity(regions.len());
    let mut n_bytes = 0;
    for &region in regions {
        let tile = source.write(region, tables, blocks, None)?;
        n_bytes += tile.jpeg.len();
        if n_bytes as f64 >= budget {
            return Ok(None);
        }
        tiles.push(tile);
    }
    Ok(Some(tiles))
}

/// `jpeg` (a frame or a tile) at `quality` (1–100) or the quality it has, whichever is coarser,
/// for a viewer whose link cannot carry the frames as they are: its quantised coefficients are
/// quantised again with libjpeg's tables for `quality` (never finer than the frame's own), in
/// the compressed domain, and the scan is written with tables made for it. `None` when that
/// would change nothing (the frame is as coarse already) or the JPEG cannot be read that way;
/// it is then sent as it is.
pub fn requantize(jpeg: &[u8], quality: u8) -> Option<Bytes> {
    let res = SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => requantize_with(jpeg, i32::from(quality), &mut scratch),
        Err(_) => requantize_with(jpeg, i32::from(quality), &mut Scratch::default()),
    });
    match res {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::debug!(%error, "frame sent at its own quality: it cannot be requantised");
            None
        }
    }
}

fn requantize_with(
    jpeg: &[u8],
    quality: i32,
    scratch: &mut Scratch,
) -> Result<Option<Bytes>, Unsupported> {
    let header = markers::read(jpeg)?;
    if header.width * header.height > MAX_PIXELS {
        return Err(Unsupported::Size);
    }
    // Each component's table at `quality`, never finer than its own; one table per id.
    let mut by_id: [Option<[u16; 64]>; 4] = [None; 4];
    let mut tables = Vec::with_capacity(header.components.len());
    for (index, component) in header.components.iter().enumerate() {
        let new = *by_id[component.quant_id].get_or_insert_with(|| {
            let target = crate::quality::table(quality, index > 0);
            std::array::from_fn(|k| target[k].max(component.quant[k]))
        });
        tables.push((component.quant, new));
    }
    if tables.iter().all(|(old, new)| old == new) {
        return Ok(None);
    }
    if tables.iter().any(|(_, new)| new.iter().any(|&q| q > 255)) {
        return Err(Unsupported::Process("16-bit quantisation tables"));
    }
    let mut segment = vec![0xFF, 0xDB, 0, 0];
    for (id, table) in by_id.iter().enumerate() {
        if let Some(table) = table {
            segment.push(id as u8);
            segment.extend(table.iter().map(|&q| q as u8));
        }
    }
    let length = u16::try_from(segment.len() - 2).expect("four tables of 65 bytes at most");
    segment[2..4].copy_from_slice(&length.to_be_bytes());
    let requant = Requant { tables, segment };

    let Scratch { unstuffed, mcus, blocks, .. } = scratch;
    read_scan(jpeg, &header, unstuffed)?;
    let layout = Layout::new(&header);
    let decoders = Decoders::new(&header)?;
    let slots = decoders.slots(&header, &layout)?;
    mcus.read(&layout, &slots, unstuffed, &RandomState::new())?;
    let frame_tables = Tables::of_frame(&header)?;
    let source = Source { jpeg, header: &header, layout: &layout, slots: &slots, unstuffed, mcus };
    let whole = Region { x0: 0, y0: 0, x1: layout.mcus_x, y1: layout.mcus_y };
    let tile = source.write(whole, &frame_tables, blocks, Some(&requant));
    if blocks.capacity() > MAX_KEPT_BLOCKS {
        *blocks = Vec::new();
    }
    Ok(Some(tile?.jpeg))
}

/// Reads the JPEG's one scan into `unstuffed`: an error when more follows it than the EOI.
fn read_scan(jpeg: &[u8], header: &Header, unstuffed: &mut Unstuffed) -> Result<(), Unsupported> {
    let end = unstuffed.read(jpeg, header.scan.end)?;
    if jpeg.get(end..end + 2) != Some(&[0xFF, 0xD9]) {
        return Err(Unsupported::Process("more than one scan, or data after the scan"));
    }
    Ok(())
}
