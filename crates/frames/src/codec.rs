//! JPEG in and out with libjpeg-turbo, on YUV planes: a frame is decoded to its Y, Cb and Cr
//! planes, painted there and encoded again with the same subsampling and quality, so no
//! colour conversion or resampling happens and the unmasked pixels barely change. This is how
//! frames the compressed domain cannot mask (`dct::Unsupported`) are masked, and how hidden
//! frames are made.
//!
//! Each thread keeps its own decoder, encoder and plane buffer (libjpeg-turbo handles are not
//! shared between threads), so masking allocates little after the first frame.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use bytes::Bytes;
use turbojpeg::{Colorspace, Compressor, Decompressor, Subsamp, YuvImage};

use crate::paint::{Layout, Planes, FILL};
use crate::quality;

/// The largest frame masking decodes (a 7680×4320 picture); anything larger is hidden.
pub(crate) const MAX_PIXELS: usize = 7680 * 4320;
/// The quality of hidden frames: a flat picture is tiny at any quality.
const HIDDEN_QUALITY: i32 = 60;
/// Hidden frames kept encoded, one per pixel size; the cache is emptied when it is full.
const HIDDEN_CACHE_SIZES: usize = 16;

/// Why a frame could not be decoded, painted or encoded; the frame is then hidden.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CodecError {
    #[error("libjpeg-turbo: {0}")]
    Turbo(#[from] turbojpeg::Error),
    #[error("the frame is {width}×{height} pixels: empty, or more than masking decodes")]
    BadSize { width: usize, height: usize },
    #[error("the frame's colour space ({0:?}) or subsampling cannot be painted as planes")]
    Unsupported(Colorspace),
    #[error("the thread's codec is already in use")]
    Busy,
}

/// What the JPEG header says about a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) width: usize,
    pub(crate) height: usize,
}

struct Codec {
    decompressor: Decompressor,
    compressor: Compressor,
    /// The decoded planes of the frame being masked, reused from frame to frame.
    planes: Vec<u8>,
}

thread_local! {
    static CODEC: RefCell<Option<Codec>> = const { RefCell::new(None) };
}

static HIDDEN: LazyLock<Mutex<HashMap<(usize, usize), Bytes>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Runs `work` with this thread's codec, making it on first use.
fn with_codec<T>(work: impl FnOnce(&mut Codec) -> Result<T, CodecError>) -> Result<T, CodecError> {
    CODEC.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|_| CodecError::Busy)?;
        if slot.is_none() {
            let compressor = Compressor::new()?;
            *slot =
                Some(Codec { decompressor: Decompressor::new()?, compressor, planes: Vec::new() });
        }
        work(slot.as_mut().expect("the codec was made just above when the slot was empty"))
    })
}

/// The frame's pixel size from its JPEG header (cheap: no pixel is decoded).
pub(crate) fn header(jpeg: &[u8]) -> Result<Header, CodecError> {
    with_codec(|codec| {
        let header = codec.decompressor.read_header(jpeg)?;
        Ok(Header { width: header.width, height: header.height })
    })
}

/// Decodes `jpeg` to planes, lets `paint` paint them and encodes them again like the input.
pub(crate) fn repaint(
    jpeg: &[u8],
    paint: impl FnOnce(&mut Planes<'_>),
) -> Result<Bytes, CodecError> {
    with_codec(|codec| {
        let header = codec.decompressor.read_header(jpeg)?;
        let (width, height) = (header.width, header.height);
        check_size(width, height)?;
        let subsampling = match (header.colorspace, header.subsamp) {
            (_, Subsamp::Unknown) => return Err(CodecError::Unsupported(header.colorspace)),
            (Colorspace::Gray, _) | (_, Subsamp::Gray) => None,
            (Colorspace::YCbCr, subsamp) => Some(subsamp.size()),
            (other, _) => return Err(CodecError::Unsupported(other)),
        };
        if header.is_lossless {
            return Err(CodecError::Unsupported(header.colorspace));
        }
        let layout = Layout::new(width, height, subsampling);
        codec.planes.resize(layout.len(), 0);
        let image = YuvImage {
            pixels: &mut codec.planes[..],
            width,
            align: 1,
            height,
            subsamp: header.subsamp,
        };
        codec.decompressor.decompress_to_yuv(jpeg, image)?;

        paint(&mut Planes::new(layout, &mut codec.planes));

        let quality = quality::estimate(jpeg).unwrap_or(quality::FALLBACK_QUALITY);
        codec.compressor.set_quality(quality)?;
        codec.compressor.set_optimize(needs_optimised_tables(jpeg.len(), &layout))?;
        let image = YuvImage {
            pixels: &codec.planes[..],
            width,
            align: 1,
            height,
            subsamp: header.subsamp,
        };
        let encoded = codec.compressor.compress_yuv_to_owned(image)?;
        Ok(Bytes::copy_from_slice(&encoded))
    })
}

/// A frame of `width`×`height` pixels that shows nothing but the fill, encoded once per size.
pub(crate) fn hidden(width: usize, height: usize) -> Result<Bytes, CodecError> {
    check_size(width, height)?;
    let key = (width, height);
    if let Some(jpeg) =
        HIDDEN.lock().expect("the hidden-frame cache lock is never poisoned").get(&key)
    {
        return Ok(jpeg.clone());
    }
    // Encoded outside the lock: two threads may both encode a new size once, which is harmless.
    let jpeg = with_codec(|codec| {
        let subsamp = Subsamp::Sub2x2;
        let layout = Layout::new(width, height, Some(subsamp.size()));
        let mut planes = vec![0; layout.len()];
        Planes::new(layout, &mut planes).fill_all(FILL);
        codec.compressor.set_quality(HIDDEN_QUALITY)?;
        codec.compressor.set_optimize(true)?;
        let image = YuvImage { pixels: &planes[..], width, align: 1, height, subsamp };
        Ok(Bytes::copy_from_slice(&codec.compressor.compress_yuv_to_owned(image)?))
    })?;
    let mut cache = HIDDEN.lock().expect("the hidden-frame cache lock is never poisoned");
    if cache.len() >= HIDDEN_CACHE_SIZES {
        cache.clear();
    }
    cache.insert(key, jpeg.clone());
    Ok(jpeg)
}

/// Input entropy (bits per 8×8 block, on average) from which the standard Huffman tables
/// cost little: measured +1% at 24 bits per block, but +16% at 8 and +36% at 6.
const DENSE_BITS_PER_BLOCK: usize = 16;

/// Whether to spend a second pass on optimised Huffman tables (about a third of the encoding
/// time): yes for sparse frames (a plain page, mostly flat blocks), whose size the standard
/// tables would blow up; no for dense frames, where they cost a few per cent.
fn needs_optimised_tables(jpeg_len: usize, layout: &Layout) -> bool {
    let blocks = |w: usize, h: usize| w.div_ceil(8) * h.div_ceil(8);
    let n_blocks = blocks(layout.width, layout.height)
        + layout.chroma.map_or(0, |c| 2 * blocks(c.width, c.height));
    jpeg_len * 8 < DENSE_BITS_PER_BLOCK * n_blocks
}

fn check_size(width: usize, height: usize) -> Result<(), CodecError> {
    if width == 0 || height == 0 || width.saturating_mul(height) > MAX_PIXELS {
        return Err(CodecError::BadSize { width, height });
    }
    Ok(())
}
