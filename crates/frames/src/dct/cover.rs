//! What masked MCUs hold instead of the page, made straight as quantised coefficients: flat
//! blocks of the fill colour (a DC alone), and the lock mark's luma blocks (the mark drawn on
//! the fill, through a forward DCT and the frame's own quantisation table).
//!
//! Masks grow to whole MCUs: every block of an MCU a rectangle touches is replaced, in every
//! component, so nothing of the page under a mask survives in any block. The mark is moved to
//! the nearest block corner, so its blocks are the same wherever it is: they are made once per
//! cell size and quantisation table and kept. Quantising the mark's sharp edges rings; the
//! blocks are corrected until no pixel of them decodes lighter than the fill, so the mark only
//! ever darkens the mask.

use std::cell::RefCell;
use std::f64::consts::{FRAC_1_SQRT_2, PI};
use std::rc::Rc;
use std::sync::LazyLock;

use super::block::Block;
use super::markers::Header;
use crate::geometry::PixelRect;
use crate::paint::{Mark, FILL, MARK_Y};
use crate::quality::ZIGZAG;

/// How a frame's pixels fall into MCUs and blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// An MCU's size in pixels.
    pub(crate) mcu_width: usize,
    pub(crate) mcu_height: usize,
    /// MCUs across and down the frame (the last ones may reach past its edges).
    pub(crate) mcus_x: usize,
    pub(crate) mcus_y: usize,
    /// The component of each block in an MCU, in coding order (the luma blocks first).
    pub(crate) slots: Vec<usize>,
    /// MCUs per restart interval (all of them when the frame has no restart interval).
    pub(crate) restart_interval: usize,
}

impl Layout {
    pub(crate) fn new(header: &Header) -> Self {
        let h_max = header.components.iter().map(|c| c.h).max().unwrap_or(1);
        let v_max = header.components.iter().map(|c| c.v).max().unwrap_or(1);
        let (mcu_width, mcu_height) = (8 * h_max, 8 * v_max);
        let (mcus_x, mcus_y) =
            (header.width.div_ceil(mcu_width), header.height.div_ceil(mcu_height));
        let slots = header
            .components
            .iter()
            .enumerate()
            .flat_map(|(index, c)| std::iter::repeat_n(index, c.h * c.v))
            .collect();
        let n_mcus = mcus_x * mcus_y;
        let restart_interval =
            if header.restart_interval == 0 { n_mcus } else { header.restart_interval };
        Self { mcu_width, mcu_height, mcus_x, mcus_y, slots, restart_interval }
    }

    pub(crate) fn n_mcus(&self) -> usize {
        self.mcus_x * self.mcus_y
    }
}

/// The masked MCUs of a frame and what goes into them.
#[derive(Debug)]
pub(super) struct Cover {
    /// Whether each MCU, in scan order, is masked.
    pub(super) masked: Vec<bool>,
    /// The flat fill block of each component.
    fills: Vec<Block>,
    /// The lock marks' blocks by MCU and slot, sorted.
    marks: Vec<((usize, usize), Block)>,
}

impl Cover {
    /// The MCUs `rects` touch, filled, with a lock mark on each rect that has room for one.
    /// A later rect covers the marks of earlier ones where they overlap, as paint would.
    pub(super) fn new(header: &Header, layout: &Layout, rects: &[PixelRect], scale: f64) -> Self {
        let mut masked = vec![false; layout.n_mcus()];
        let mut marks: Vec<((usize, usize), Block)> = Vec::new();
        let fills = header
            .components
            .iter()
            .zip(FILL)
            .map(|(c, value)| Block::flat(fill_dc(value, c.quant[0])))
            .collect();
        let luma = &header.components[0];
        for rect in rects {
            let columns =
                rect.x0 / layout.mcu_width..rect.x1.div_ceil(layout.mcu_width).min(layout.mcus_x);
            let rows =
                rect.y0 / layout.mcu_height..rect.y1.div_ceil(layout.mcu_height).min(layout.mcus_y);
            for row in rows.clone() {
                let first = row * layout.mcus_x;
                masked[first + columns.start..first + columns.end].fill(true);
            }
            marks.retain(|((mcu, _), _)| {
                !(rows.contains(&(mcu / layout.mcus_x)) && columns.contains(&(mcu % layout.mcus_x)))
            });
            let Some(mark) = Mark::place(*rect, scale) else {
                continue;
            };
            // On the block grid, still inside the masked MCUs (the mark fits in its rect).
            let align = |centred: usize, size: usize, mcus: &std::ops::Range<usize>, mcu: usize| {
                let (low, high) = (mcus.start * mcu, (mcus.end * mcu).saturating_sub(size));
                ((centred + 4) / 8 * 8).min(high / 8 * 8).max(low)
            };
            let left = align(mark.left, mark.width(), &columns, layout.mcu_width);
            let top = align(mark.top, mark.height(), &rows, layout.mcu_height);
            let blocks = mark_blocks(mark.cell(), &luma.quant);
            for (number, block) in blocks.blocks.iter().enumerate() {
                let bx = left / 8 + number % blocks.columns;
                let by = top / 8 + number / blocks.columns;
                let mcu = (by / luma.v) * layout.mcus_x + bx / luma.h;
                let slot = (by % luma.v) * luma.h + bx % luma.h;
                marks.retain(|(at, _)| *at != (mcu, slot));
                marks.push(((mcu, slot), block.clone()));
            }
        }
        marks.sort_by_key(|(at, _)| *at);
        Self { masked, fills, marks }
    }

    /// The block that replaces block `slot` (of component `component`) of a masked MCU.
    pub(super) fn block(&self, mcu: usize, slot: usize, component: usize) -> &Block {
        match self.marks.binary_search_by_key(&(mcu, slot), |(at, _)| *at) {
            Ok(found) => &self.marks[found].1,
            Err(_) => &self.fills[component],
        }
    }
}

/// The quantised DC of a flat block of `value`: JPEG's level shift, the DCT's gain of 8.
fn fill_dc(value: u8, q0: u16) -> i16 {
    let dc = (f64::from(value) * 8.0 - 1024.0) / f64::from(q0);
    dc.round().clamp(-2047.0, 2047.0) as i16
}

/// The lock mark's luma blocks, left to right and top to bottom, its top left pixel at the
/// top left of the first.
#[derive(Debug)]
struct MarkBlocks {
    columns: usize,
    blocks: Vec<Block>,
}

/// Mark blocks made on this thread, by cell size and quantisation table.
type MarkCache = Vec<((usize, [u16; 64]), Rc<MarkBlocks>)>;

/// Cell sizes and tables kept per thread; a session's frames use one or two.
const MARK_CACHE_SIZE: usize = 8;

thread_local! {
    static MARKS: RefCell<MarkCache> = const { RefCell::new(Vec::new()) };
}

fn mark_blocks(cell: usize, quant: &[u16; 64]) -> Rc<MarkBlocks> {
    let key = (cell, *quant);
    MARKS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, blocks)) = cache.iter().find(|(k, _)| *k == key) {
            return blocks.clone();
        }
        let mark = Mark::at(0, 0, cell);
        let (columns, rows) = (mark.width().div_ceil(8), mark.height().div_ceil(8));
        let blocks = (0..rows)
            .flat_map(|by| (0..columns).map(move |bx| (bx, by)))
            .map(|(bx, by)| mark_block(&mark, bx * 8, by * 8, quant))
            .collect();
        let blocks = Rc::new(MarkBlocks { columns, blocks });
        if cache.len() >= MARK_CACHE_SIZE {
            cache.clear();
        }
        cache.push((key, blocks.clone()));
        blocks
    })
}

/// Rounds of correction for a mark block's ringing; a few usually suffice.
const MAX_CORRECTIONS: usize = 30;

/// The luma block with top left pixel (`x0`, `y0`): the fill with the mark's pixels on it,
/// quantised so that no pixel decodes lighter than the fill.
fn mark_block(mark: &Mark, x0: usize, y0: usize, quant: &[u16; 64]) -> Block {
    let fill = f64::from(FILL[0]) - 128.0;
    let mut samples = [0.0f64; 64];
    for (at, sample) in samples.iter_mut().enumerate() {
        let value = if mark.covers(x0 + at % 8, y0 + at / 8) { MARK_Y } else { FILL[0] };
        *sample = f64::from(value) - 128.0;
    }
    let mut coefs = quantise(&forward_dct(&samples), quant);
    for _ in 0..MAX_CORRECTIONS {
        let decoded = inverse_dct(&dequantise(&coefs, quant));
        let mut lighter = false;
        // Where the block decodes lighter than the fill, aim that much darker, and again.
        for (sample, value) in samples.iter_mut().zip(decoded) {
            if value > fill + 0.25 {
                *sample = (*sample - (value - fill) - 0.5).max(-128.0);
                lighter = true;
            }
        }
        if !lighter {
            break;
        }
        coefs = quantise(&forward_dct(&samples), quant);
    }
    Block::new(coefs)
}

/// Zig-zag quantised coefficients of natural-order DCT output, within baseline's range.
fn quantise(dct: &[f64; 64], quant: &[u16; 64]) -> [i16; 64] {
    let mut coefs = [0i16; 64];
    for (k, coef) in coefs.iter_mut().enumerate() {
        let limit = if k == 0 { 2047.0 } else { 1023.0 };
        *coef = (dct[ZIGZAG[k]] / f64::from(quant[k])).round().clamp(-limit, limit) as i16;
    }
    coefs
}

/// Natural-order DCT coefficients of zig-zag quantised ones.
fn dequantise(coefs: &[i16; 64], quant: &[u16; 64]) -> [f64; 64] {
    let mut dct = [0.0f64; 64];
    for (k, (&coef, &q)) in coefs.iter().zip(quant).enumerate() {
        dct[ZIGZAG[k]] = f64::from(coef) * f64::from(q);
    }
    dct
}

/// The orthonormal 1-D DCT basis of JPEG (ITU T.81, A.3.3): `BASIS[u][x]`.
static BASIS: LazyLock<[[f64; 8]; 8]> = LazyLock::new(|| {
    let mut basis = [[0.0; 8]; 8];
    for (u, row) in basis.iter_mut().enumerate() {
        let scale = if u == 0 { FRAC_1_SQRT_2 } else { 1.0 } / 2.0;
        for (x, value) in row.iter_mut().enumerate() {
            *value = scale * ((2 * x + 1) as f64 * u as f64 * PI / 16.0).cos();
        }
    }
    basis
});

/// The 2-D DCT of JPEG, samples and coefficients in natural (row) order.
fn forward_dct(samples: &[f64; 64]) -> [f64; 64] {
    let basis = &*BASIS;
    let mut rows = [0.0f64; 64];
    for y in 0..8 {
        for u in 0..8 {
            rows[y * 8 + u] = (0..8).map(|x| samples[y * 8 + x] * basis[u][x]).sum();
        }
    }
    let mut out = [0.0f64; 64];
    for v in 0..8 {
        for u in 0..8 {
            out[v * 8 + u] = (0..8).map(|y| rows[y * 8 + u] * basis[v][y]).sum();
        }
    }
    out
}

/// The inverse of `forward_dct`.
fn inverse_dct(coefs: &[f64; 64]) -> [f64; 64] {
    let basis = &*BASIS;
    let mut columns = [0.0f64; 64];
    for y in 0..8 {
        for u in 0..8 {
            columns[y * 8 + u] = (0..8).map(|v| coefs[v * 8 + u] * basis[v][y]).sum();
        }
    }
    let mut out = [0.0f64; 64];
    for y in 0..8 {
        for x in 0..8 {
            out[y * 8 + x] = (0..8).map(|u| columns[y * 8 + u] * basis[u][x]).sum();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_block_has_only_a_dc_of_eight_times_its_level() {
        let dct = forward_dct(&[100.0 - 128.0; 64]);
        assert!((dct[0] - (-28.0 * 8.0)).abs() < 1e-9);
        assert!(dct[1..].iter().all(|c| c.abs() < 1e-9));
    }

    #[test]
    fn the_inverse_dct_undoes_the_forward_one() {
        let samples: [f64; 64] = std::array::from_fn(|i| ((i * 37) % 255) as f64 - 128.0);
        let back = inverse_dct(&forward_dct(&samples));
        assert!(samples.iter().zip(back).all(|(a, b)| (a - b).abs() < 1e-9));
    }

    #[test]
    fn the_fill_dc_decodes_back_to_the_fill() {
        for (value, q0) in [(143u8, 13u16), (133, 14), (125, 14), (0, 1), (255, 1), (143, 255)] {
            let dc = fill_dc(value, q0);
            let back = f64::from(dc) * f64::from(q0) / 8.0 + 128.0;
            assert!((back - f64::from(value)).abs() <= f64::from(q0) / 16.0 + 1e-9, "{value} {q0}");
        }
        assert_eq!(fill_dc(143, 13), 9);
        assert_eq!(fill_dc(125, 14), -2);
    }

    /// libjpeg's luminance table at quality 60, zig-zag order.
    fn luma_q60() -> [u16; 64] {
        let natural = [
            13, 9, 8, 13, 19, 32, 41, 49, 10, 10, 11, 15, 21, 46, 48, 44, 11, 10, 13, 19, 32, 46,
            55, 45, 11, 14, 18, 23, 41, 70, 64, 50, 14, 18, 30, 45, 54, 87, 82, 62, 19, 28, 44, 51,
            65, 83, 90, 74, 39, 51, 62, 70, 82, 97, 96, 81, 58, 74, 76, 78, 90, 80, 82, 79,
        ];
        std::array::from_fn(|k| natural[ZIGZAG[k]])
    }

    #[test]
    fn mark_blocks_darken_where_the_mark_is_and_never_lighten() {
        for cell in [1, 2, 3] {
            let blocks = mark_blocks(cell, &luma_q60());
            let mark = Mark::at(0, 0, cell);
            assert_eq!(blocks.columns, mark.width().div_ceil(8));
            let mut darkest = f64::MAX;
            for (number, block) in blocks.blocks.iter().enumerate() {
                let decoded = inverse_dct(&dequantise(&block.coefs, &luma_q60()));
                for (at, value) in decoded.iter().enumerate() {
                    let value = value + 128.0;
                    assert!(
                        value <= f64::from(FILL[0]) + 0.5,
                        "cell {cell} block {number}: {value}"
                    );
                    let (x, y) = (
                        (number % blocks.columns) * 8 + at % 8,
                        (number / blocks.columns) * 8 + at / 8,
                    );
                    if mark.covers(x, y) {
                        darkest = darkest.min(value);
                    }
                }
            }
            assert!(darkest < f64::from(MARK_Y) + 15.0, "cell {cell}: darkest {darkest}");
        }
        assert!(Rc::ptr_eq(&mark_blocks(2, &luma_q60()), &mark_blocks(2, &luma_q60())));
    }
}
