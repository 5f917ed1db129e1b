//! Painting masks straight into a decoded frame's Y, Cb and Cr planes (no RGB conversion),
//! and the mask's look both ways of masking share: the fill colour and the lock mark.

use crate::geometry::PixelRect;

/// The mask's fill, #8a8f98: an opaque neutral grey that reads as "something is here".
pub(crate) const FILL_RGB: [u8; 3] = [0x8a, 0x8f, 0x98];
/// The fill in JPEG's YCbCr (full range, BT.601).
pub(crate) const FILL: [u8; 3] = ycbcr(FILL_RGB);
/// Luma of the lock mark drawn on masks that are big enough (#5a5f68 on the fill's chroma).
pub(crate) const MARK_Y: u8 = ycbcr([0x5a, 0x5f, 0x68])[0];

/// The lock mark, one cell per character ('#' painted); all rows have the same width.
const MARK: [&[u8; 7]; 8] = [
    b"..###..", //
    b".#...#.", b".#...#.", b"#######", b"###.###", b"###.###", b"###.###", b"#######",
];
/// Size of one mark cell in CSS pixels.
const MARK_CELL_CSS: f64 = 2.0;
/// Fill left around the mark on each side, in mark cells.
const MARK_PADDING_CELLS: usize = 2;

/// JFIF's RGB → YCbCr conversion in 16-bit fixed point, rounded.
const fn ycbcr(rgb: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (rgb[0] as i32, rgb[1] as i32, rgb[2] as i32);
    let y = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
    let cb = ((-11059 * r - 21709 * g + 32768 * b + 32768) >> 16) + 128;
    let cr = ((32768 * r - 27439 * g - 5329 * b + 32768) >> 16) + 128;
    [clamp_u8(y), clamp_u8(cb), clamp_u8(cr)]
}

const fn clamp_u8(v: i32) -> u8 {
    if v < 0 {
        0
    } else if v > 255 {
        255
    } else {
        v as u8
    }
}

/// Where a frame's planes lie in one buffer, as libjpeg-turbo lays them out with a row
/// alignment of 1: Y, then Cb, then Cr (no chroma planes for a greyscale frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The picture's size in pixels.
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// The Y plane's size: the picture padded to whole chroma samples.
    pub(crate) y_width: usize,
    pub(crate) y_height: usize,
    /// Chroma subsampling factors and the size of each chroma plane; `None` for greyscale.
    pub(crate) chroma: Option<ChromaLayout>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChromaLayout {
    pub(crate) sub_x: usize,
    pub(crate) sub_y: usize,
    pub(crate) width: usize,
    pub(crate) height: usize,
}

impl Layout {
    pub(crate) fn new(width: usize, height: usize, subsampling: Option<(usize, usize)>) -> Self {
        let (sub_x, sub_y) = subsampling.unwrap_or((1, 1));
        Self {
            width,
            height,
            y_width: width.next_multiple_of(sub_x),
            y_height: height.next_multiple_of(sub_y),
            chroma: subsampling.map(|(sub_x, sub_y)| ChromaLayout {
                sub_x,
                sub_y,
                width: width.div_ceil(sub_x),
                height: height.div_ceil(sub_y),
            }),
        }
    }

    /// Bytes the three planes take.
    pub(crate) fn len(&self) -> usize {
        self.y_width * self.y_height + self.chroma.map_or(0, |c| 2 * c.width * c.height)
    }
}

/// A frame's planes, ready to be painted on.
pub(crate) struct Planes<'a> {
    layout: Layout,
    data: &'a mut [u8],
}

impl<'a> Planes<'a> {
    /// `data` must hold at least `layout.len()` bytes.
    pub(crate) fn new(layout: Layout, data: &'a mut [u8]) -> Self {
        assert!(data.len() >= layout.len(), "the planes' buffer is smaller than their layout");
        Self { layout, data }
    }

    /// Fills every plane with `colour` (Y, Cb, Cr).
    pub(crate) fn fill_all(&mut self, colour: [u8; 3]) {
        let y_len = self.layout.y_width * self.layout.y_height;
        self.data[..y_len].fill(colour[0]);
        if let Some(chroma) = self.layout.chroma {
            let c_len = chroma.width * chroma.height;
            self.data[y_len..y_len + c_len].fill(colour[1]);
            self.data[y_len + c_len..y_len + 2 * c_len].fill(colour[2]);
        }
    }

    /// Paints a mask over `rect`: the opaque fill, and the lock mark in its middle when the
    /// rect has room for it. `scale` is the frame's pixels per CSS pixel.
    pub(crate) fn paint_mask(&mut self, rect: PixelRect, scale: f64) {
        let layout = self.layout;
        // A rect that reaches the picture's right or bottom edge also covers the planes'
        // padding beyond it: the encoder reads those samples into the edge blocks.
        let x1 = if rect.x1 >= layout.width { layout.y_width } else { rect.x1 };
        let y1 = if rect.y1 >= layout.height { layout.y_height } else { rect.y1 };
        for row in rect.y0..y1 {
            let start = row * layout.y_width;
            self.data[start + rect.x0..start + x1].fill(FILL[0]);
        }
        if let Some(chroma) = layout.chroma {
            // Every chroma sample any covered pixel uses: round outwards.
            let cx0 = rect.x0 / chroma.sub_x;
            let cx1 = x1.div_ceil(chroma.sub_x).min(chroma.width);
            let cy0 = rect.y0 / chroma.sub_y;
            let cy1 = y1.div_ceil(chroma.sub_y).min(chroma.height);
            let y_len = layout.y_width * layout.y_height;
            let c_len = chroma.width * chroma.height;
            for (plane, value) in [(y_len, FILL[1]), (y_len + c_len, FILL[2])] {
                for row in cy0..cy1 {
                    let start = plane + row * chroma.width;
                    self.data[start + cx0..start + cx1].fill(value);
                }
            }
        }
        self.paint_mark(rect, scale);
    }

    /// The lock mark, luma only, centred in `rect`, if it fits with its padding.
    fn paint_mark(&mut self, rect: PixelRect, scale: f64) {
        let Some(mark) = Mark::place(rect, scale) else {
            return;
        };
        let stride = self.layout.y_width;
        for y in mark.top..mark.top + mark.height() {
            for x in mark.left..mark.left + mark.width() {
                if mark.covers(x, y) {
                    self.data[y * stride + x] = MARK_Y;
                }
            }
        }
    }
}

/// Where the lock mark goes on a masked rectangle: centred, in cells of a few pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    /// The mark's top left pixel.
    pub(crate) left: usize,
    pub(crate) top: usize,
    /// Pixels per side of one cell.
    cell: usize,
}

impl Mark {
    /// The mark centred in `rect`, or `None` when the rect has no room for it and its padding.
    /// `scale` is the frame's pixels per CSS pixel.
    pub(crate) fn place(rect: PixelRect, scale: f64) -> Option<Self> {
        let cell = (MARK_CELL_CSS * scale).round().max(1.0) as usize;
        let (mark_w, mark_h) = (MARK[0].len() * cell, MARK.len() * cell);
        let padding = 2 * MARK_PADDING_CELLS * cell;
        if rect.width() < mark_w + padding || rect.height() < mark_h + padding {
            return None;
        }
        Some(Self {
            left: rect.x0 + (rect.width() - mark_w) / 2,
            top: rect.y0 + (rect.height() - mark_h) / 2,
            cell,
        })
    }

    /// A mark with its top left pixel at (`left`, `top`) and cells of `cell` pixels.
    pub(crate) fn at(left: usize, top: usize, cell: usize) -> Self {
        Self { left, top, cell: cell.max(1) }
    }

    /// Pixels per side of one cell.
    pub(crate) fn cell(&self) -> usize {
        self.cell
    }

    pub(crate) fn width(&self) -> usize {
        MARK[0].len() * self.cell
    }

    pub(crate) fn height(&self) -> usize {
        MARK.len() * self.cell
    }

    /// Whether the frame pixel (`x`, `y`) is one of the mark's painted ones.
    pub(crate) fn covers(&self, x: usize, y: usize) -> bool {
        let (Some(dx), Some(dy)) = (x.checked_sub(self.left), y.checked_sub(self.top)) else {
            return false;
        };
        MARK.get(dy / self.cell)
            .and_then(|row| row.get(dx / self.cell))
            .is_some_and(|&ch| ch == b'#')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fill_converts_to_the_expected_ycbcr() {
        assert_eq!(FILL, [143, 133, 125]);
        assert_eq!(ycbcr([255, 255, 255]), [255, 128, 128]);
        assert_eq!(ycbcr([0, 0, 0]), [0, 128, 128]);
        assert_eq!(ycbcr([255, 0, 255]), [105, 212, 235]);
    }

    #[test]
    fn the_layout_pads_luma_to_whole_chroma_samples() {
        let layout = Layout::new(35, 35, Some((2, 2)));
        assert_eq!((layout.y_width, layout.y_height), (36, 36));
        let chroma = layout.chroma.unwrap();
        assert_eq!((chroma.width, chroma.height), (18, 18));
        assert_eq!(layout.len(), 36 * 36 + 2 * 18 * 18);
        assert_eq!(Layout::new(35, 35, None).len(), 35 * 35);
    }

    #[test]
    fn a_mask_covers_its_pixels_and_the_chroma_samples_they_use_and_nothing_else() {
        let layout = Layout::new(16, 8, Some((2, 2)));
        let mut data = vec![0; layout.len()];
        Planes::new(layout, &mut data).paint_mask(PixelRect { x0: 3, y0: 1, x1: 6, y1: 3 }, 1.0);
        let (y, cb) = data.split_at(16 * 8);
        for row in 0..8 {
            for col in 0..16 {
                let inside = (1..3).contains(&row) && (3..6).contains(&col);
                assert_eq!(y[row * 16 + col] == FILL[0], inside, "luma at {col},{row}");
            }
        }
        for row in 0..4 {
            for col in 0..8 {
                let inside = (0..2).contains(&row) && (1..3).contains(&col);
                assert_eq!(cb[row * 8 + col] == FILL[1], inside, "cb at {col},{row}");
                assert_eq!(cb[32 + row * 8 + col] == FILL[2], inside, "cr at {col},{row}");
            }
        }
    }

    #[test]
    fn a_mask_at_the_edge_covers_the_planes_padding() {
        let layout = Layout::new(5, 3, Some((2, 2)));
        let mut data = vec![0; layout.len()];
        Planes::new(layout, &mut data).paint_mask(PixelRect { x0: 2, y0: 1, x1: 5, y1: 3 }, 1.0);
        assert_eq!(
            &data[..24],
            &[
                0, 0, 0, 0, 0, 0, 0, 0, 143, 143, 143, 143, 0, 0, 143, 143, 143, 143, 0, 0, 143,
                143, 143, 143
            ]
        );
    }

    #[test]
    fn a_big_mask_gets_the_mark_and_a_small_one_does_not() {
        let layout = Layout::new(64, 64, None);
        let mut data = vec![0; layout.len()];
        let mut planes = Planes::new(layout, &mut data);
        planes.paint_mask(PixelRect { x0: 0, y0: 0, x1: 22, y1: 24 }, 1.0);
        planes.paint_mask(PixelRect { x0: 30, y0: 30, x1: 51, y1: 53 }, 1.0);
        let marked = |x0: usize, y0: usize, x1: usize, y1: usize| {
            (y0..y1).any(|y| (x0..x1).any(|x| data[y * 64 + x] == MARK_Y))
        };
        assert!(marked(0, 0, 22, 24));
        assert!(!marked(30, 30, 51, 53));
    }
}
