//! Reading what a frame shows: a JPEG decoded at 1/8 of its size (each pixel the mean of
//! an 8×8 block, from the DC coefficients alone), and the detectors that decide whether a
//! frame shows an input's effect (a region's colour, or any change in a region).

use anyhow::Context;

/// An RGB picture, row by row, 3 bytes a pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Image {
    pub(crate) width: usize,
    pub(crate) height: usize,
    rgb: Vec<u8>,
}

impl Image {
    /// `None` when `rgb` does not hold `width * height` pixels.
    pub(crate) fn from_rgb(width: usize, height: usize, rgb: Vec<u8>) -> Option<Image> {
        (rgb.len() == width * height * 3).then_some(Image { width, height, rgb })
    }

    /// Draws `tile` with its top left corner at `(x, y)`; what falls outside is cut off.
    pub(crate) fn paste(&mut self, tile: &Image, x: usize, y: usize) {
        for row in 0..tile.height {
            let to_y = y + row;
            if to_y >= self.height || x >= self.width {
                break;
            }
            let n = tile.width.min(self.width - x) * 3;
            let from = row * tile.width * 3;
            let to = (to_y * self.width + x) * 3;
            self.rgb[to..to + n].copy_from_slice(&tile.rgb[from..from + n]);
        }
    }

    fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}

/// Decodes a JPEG at 1/8 of its width and height: enough to tell a region's colour, and
/// several times cheaper than a full decode (no inverse DCT beyond the DC term).
pub(crate) fn decode_eighth(jpeg: &[u8]) -> anyhow::Result<Image> {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    decoder.read_info().context("the frame is not a JPEG")?;
    let info = decoder.info().context("the JPEG has no header")?;
    let (w, h) = (info.width.div_ceil(8).max(1), info.height.div_ceil(8).max(1));
    let (width, height) = decoder.scale(w, h).context("cannot scale the JPEG")?;
    let data = decoder.decode().context("cannot decode the JPEG")?;
    let info = decoder.info().context("the JPEG has no header")?;
    let (width, height) = (usize::from(width), usize::from(height));
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => data,
        jpeg_decoder::PixelFormat::L8 => data.iter().flat_map(|&l| [l, l, l]).collect(),
        other => anyhow::bail!("unexpected JPEG pixel format {other:?}"),
    };
    Image::from_rgb(width, height, rgb).context("the decoder returned a short picture")
}

/// A rectangle in CSS pixels of the viewport.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Region {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
}

impl Region {
    /// The picture's pixels inside the region, one pixel in from each edge (a block that
    /// straddles the border is a mixture): `(x0, y0, x1, y1)`, end exclusive.
    fn pixels(&self, img: &Image, css: (u32, u32)) -> Option<(usize, usize, usize, usize)> {
        if css.0 == 0 || css.1 == 0 {
            return None;
        }
        let sx = img.width as f64 / f64::from(css.0);
        let sy = img.height as f64 / f64::from(css.1);
        let clamp_x = |v: f64| (v.max(0.0) as usize).min(img.width);
        let clamp_y = |v: f64| (v.max(0.0) as usize).min(img.height);
        let x0 = clamp_x((self.x * sx).ceil() + 1.0);
        let y0 = clamp_y((self.y * sy).ceil() + 1.0);
        let x1 = clamp_x(((self.x + self.width) * sx).floor() - 1.0);
        let y1 = clamp_y(((self.y + self.height) * sy).floor() - 1.0);
        (x0 < x1 && y0 < y1).then_some((x0, y0, x1, y1))
    }
}

/// The mean colour of a region.
pub(crate) fn mean_colour(img: &Image, region: Region, css: (u32, u32)) -> Option<[f64; 3]> {
    let (x0, y0, x1, y1) = region.pixels(img, css)?;
    let mut sum = [0u64; 3];
    for y in y0..y1 {
        for x in x0..x1 {
            let p = img.pixel(x, y);
            for c in 0..3 {
                sum[c] += u64::from(p[c]);
            }
        }
    }
    let n = ((x1 - x0) * (y1 - y0)) as f64;
    Some(sum.map(|s| s as f64 / n))
}

/// The index of the palette colour nearest to `colour`, if it is within `max_distance`
/// (Euclidean, in RGB levels).
pub(crate) fn nearest(colour: [f64; 3], palette: &[[u8; 3]], max_distance: f64) -> Option<usize> {
    palette
        .iter()
        .map(|p| {
            let d2: f64 = (0..3).map(|c| (colour[c] - f64::from(p[c])).powi(2)).sum();
            d2.sqrt()
        })
        .enumerate()
        .filter(|(_, d)| *d <= max_distance)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The largest difference of any channel of any pixel of the region between two pictures
/// of the same size; `None` when their sizes differ.
pub(crate) fn max_difference(a: &Image, b: &Image, region: Region, css: (u32, u32)) -> Option<u8> {
    if (a.width, a.height) != (b.width, b.height) {
        return None;
    }
    let (x0, y0, x1, y1) = region.pixels(a, css)?;
    let mut max = 0u8;
    for y in y0..y1 {
        for x in x0..x1 {
            let (p, q) = (a.pixel(x, y), b.pixel(x, y));
            for c in 0..3 {
                max = max.max(p[c].abs_diff(q[c]));
            }
        }
    }
    Some(max)
}

/// How far a region's mean may be from a palette colour and still count as it (JPEG at
/// q60 moves a flat colour by a few levels; the two palette colours are far apart).
pub(crate) const COLOUR_TOLERANCE: f64 = 60.0;
/// The smallest per-channel change of an 8×8 block mean that counts as "changed": large
/// glyphs move blocks by well over 100 levels, re-encoding noise by a few.
pub(crate) const CHANGE_THRESHOLD: u8 = 40;

/// What the first frame that shows an input's effect looks like.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    /// The region's mean colour is nearest to `palette[want]`.
    Colour { region: Region, palette: [[u8; 3]; 2], want: usize },
    /// Some pixel of the region differs from `baseline` by at least `CHANGE_THRESHOLD`.
    Changed { region: Region, baseline: Image },
}

impl Effect {
    pub(crate) fn seen_in(&self, img: &Image, css: (u32, u32)) -> bool {
        match self {
            Effect::Colour { region, palette, want } => {
                mean_colour(img, *region, css).and_then(|c| nearest(c, palette, COLOUR_TOLERANCE))
                    == Some(*want)
            }
            Effect::Changed { region, baseline } => {
                max_difference(img, baseline, *region, css).is_some_and(|d| d >= CHANGE_THRESHOLD)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: [u8; 3] = [214, 40, 40];
    const BLUE: [u8; 3] = [29, 78, 216];

    /// A 160×90 picture (a 1280×720 frame at 1/8) of `background` with `rect` (in picture
    /// pixels) painted `colour`.
    fn picture(background: [u8; 3], rect: (usize, usize, usize, usize), colour: [u8; 3]) -> Image {
        let (w, h) = (160, 90);
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let inside = x >= rect.0 && x < rect.2 && y >= rect.1 && y < rect.3;
                rgb.extend_from_slice(if inside { &colour } else { &background });
            }
        }
        Image::from_rgb(w, h, rgb).unwrap()
    }

    const CSS: (u32, u32) = (1280, 720);
    const TOGGLE: Region = Region { x: 40.0, y: 120.0, width: 560.0, height: 480.0 };

    #[test]
    fn a_region_is_told_by_its_colour() {
        let red = picture([255; 3], (5, 15, 75, 75), RED);
        let blue = picture([255; 3], (5, 15, 75, 75), BLUE);
        let c = mean_colour(&red, TOGGLE, CSS).unwrap();
        assert_eq!(c, [214.0, 40.0, 40.0]);
        assert_eq!(nearest(c, &[RED, BLUE], COLOUR_TOLERANCE), Some(0));
        let want_blue = Effect::Colour { region: TOGGLE, palette: [RED, BLUE], want: 1 };
        assert!(want_blue.seen_in(&blue, CSS));
        assert!(!want_blue.seen_in(&red, CSS));
        // Neither colour (a grey "hidden" frame) is not the effect.
        let grey = picture([128; 3], (0, 0, 0, 0), [0; 3]);
        assert!(!want_blue.seen_in(&grey, CSS));
        assert_eq!(nearest([128.0; 3], &[RED, BLUE], COLOUR_TOLERANCE), None);
    }

    #[test]
    fn the_edge_blocks_of_a_region_do_not_count() {
        // Colour fills the region exactly; the white around it bleeds into no counted pixel.
        let img = picture([255; 3], (5, 15, 75, 75), RED);
        let (x0, y0, x1, y1) = TOGGLE.pixels(&img, CSS).unwrap();
        assert_eq!((x0, y0, x1, y1), (6, 16, 74, 74));
        // A region smaller than three blocks has nothing left.
        let tiny = Region { x: 8.0, y: 8.0, width: 16.0, height: 16.0 };
        assert_eq!(tiny.pixels(&img, CSS), None);
        assert_eq!(TOGGLE.pixels(&img, (0, 720)), None);
    }

    #[test]
    fn a_change_inside_the_region_is_seen_and_one_outside_is_not() {
        let field = Region { x: 680.0, y: 200.0, width: 560.0, height: 180.0 };
        let before = picture([255; 3], (0, 0, 0, 0), [0; 3]);
        let glyph = picture([255; 3], (90, 30, 95, 40), [20; 3]);
        let elsewhere = picture([255; 3], (10, 10, 20, 20), [20; 3]);
        let faint = picture([255; 3], (90, 30, 95, 40), [250; 3]);
        let typed = Effect::Changed { region: field, baseline: before.clone() };
        assert!(typed.seen_in(&glyph, CSS));
        assert!(!typed.seen_in(&elsewhere, CSS));
        assert!(!typed.seen_in(&faint, CSS), "re-encoding noise is not a change");
        assert!(!typed.seen_in(&before, CSS));
        let other_size = Image::from_rgb(1, 1, vec![0, 0, 0]).unwrap();
        assert_eq!(max_difference(&other_size, &before, field, CSS), None);
        assert!(!typed.seen_in(&other_size, CSS));
    }

    #[test]
    fn pictures_must_hold_all_their_pixels() {
        assert!(Image::from_rgb(2, 2, vec![0; 11]).is_none());
        assert!(Image::from_rgb(2, 2, vec![0; 12]).is_some());
    }

    #[test]
    fn a_real_chromium_frame_is_read_at_one_eighth() {
        // Headless Chromium's JPEG of a page with the probe's square (blue) and field ("w8").
        let jpeg = include_bytes!("testdata/probe-blue.jpeg");
        let img = decode_eighth(jpeg).unwrap();
        assert_eq!((img.width, img.height), (160, 90));
        let square = Effect::Colour { region: TOGGLE, palette: [RED, BLUE], want: 1 };
        assert!(square.seen_in(&img, CSS));
        let field = Region { x: 680.0, y: 200.0, width: 560.0, height: 180.0 };
        let white = picture([255; 3], (0, 0, 0, 0), [0; 3]);
        assert!(Effect::Changed { region: field, baseline: white.clone() }.seen_in(&img, CSS));
        // The white margin left of the square is the same as a white picture.
        let margin = Region { x: 0.0, y: 120.0, width: 40.0, height: 480.0 };
        assert!(max_difference(&img, &white, margin, CSS).is_none_or(|d| d < CHANGE_THRESHOLD));
    }

    #[test]
    fn bad_bytes_are_not_a_picture() {
        assert!(decode_eighth(b"not a jpeg").is_err());
        assert!(decode_eighth(&[]).is_err());
    }

    #[test]
    fn a_pasted_tile_covers_its_place_and_is_cut_at_the_edges() {
        let mut picture = Image::from_rgb(4, 3, vec![0; 4 * 3 * 3]).unwrap();
        let tile = Image::from_rgb(2, 2, vec![9; 2 * 2 * 3]).unwrap();
        picture.paste(&tile, 1, 0);
        picture.paste(&tile, 3, 2);
        let nines: Vec<(usize, usize)> = (0..3)
            .flat_map(|y| (0..4).map(move |x| (x, y)))
            .filter(|&(x, y)| picture.pixel(x, y) == [9, 9, 9])
            .collect();
        assert_eq!(nines, vec![(1, 0), (2, 0), (1, 1), (2, 1), (3, 2)]);
        picture.paste(&tile, 10, 10);
    }
}
