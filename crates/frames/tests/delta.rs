//! Sending only what changed, checked the way a viewer sees it: pages are drawn and encoded
//! with libjpeg-turbo like Chromium's screencast (quality 60, 4:2:0, optimised Huffman tables),
//! diffed, and the frame before, decoded, with every tile decoded and pasted on it, is compared
//! with the next frame decoded whole.
//!
//! Every sample (luma and both chroma planes) must be the same. In RGB, a pixel can differ only
//! on the one-pixel band either side of a tile's edge, where the decoder's chroma upsampling
//! reads the chroma sample next to it (the tile's own at the tile's edge, the frame before's
//! just outside it); `EDGE_TOLERANCE` bounds it.

// Tests may unwrap: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use frames::{mask, Delta, Differ, MaskPlan, MaskRect, RawFrame, Tile, Update};
use turbojpeg::Subsamp;

/// The largest difference of an RGB channel on the band along a tile's edge: a quarter to a
/// half of the chroma step across the edge, so it is largest where a saturated colour meets
/// white at a tile's edge (the spinner and the coloured blocks of these pages).
const EDGE_TOLERANCE: u8 = 64;

const WHITE: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [20, 24, 36];
const BLUE: [u8; 3] = [26, 115, 232];

/// A xorshift generator: the same "random" page on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as usize
    }
}

/// An RGB picture of a web page.
#[derive(Clone)]
struct Page {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Page {
    fn blank(width: usize, height: usize) -> Self {
        Self { width, height, pixels: WHITE.repeat(width * height) }
    }

    /// A busy page: a header bar, paragraphs, a photo-like gradient, coloured cards, a field.
    fn busy(width: usize, height: usize, seed: u64) -> Self {
        let mut page = Self::blank(width, height);
        let s = |v: usize| v * width / 1280;
        page.fill(0, 0, width, s(60), [24, 40, 72]);
        page.text(s(24), s(20), s(300), 1, 16, WHITE, seed);
        page.text(s(60), s(100), s(560), 12, 14, INK, seed + 1);
        page.picture(s(700), s(90), s(520), s(260));
        for (i, colour) in [[230, 80, 60], [60, 170, 90], [250, 200, 40]].into_iter().enumerate() {
            page.fill(s(700 + 180 * i), s(380), s(160), s(90), colour);
            page.text(s(712 + 180 * i), s(400), s(136), 2, 12, WHITE, seed + 2 + i as u64);
        }
        page.text(s(60), s(420), s(560), 6, 13, [90, 90, 100], seed + 9);
        page.field(s(60), s(560), s(420), s(44));
        page.text(s(700), s(500), s(520), 8, 12, [60, 60, 70], seed + 11);
        page
    }

    fn fill(&mut self, x: usize, y: usize, width: usize, height: usize, colour: [u8; 3]) {
        for row in y..(y + height).min(self.height) {
            for col in x..(x + width).min(self.width) {
                let at = 3 * (row * self.width + col);
                self.pixels[at..at + 3].copy_from_slice(&colour);
            }
        }
    }

    /// A text field: white with a grey border.
    fn field(&mut self, x: usize, y: usize, width: usize, height: usize) {
        self.fill(x, y, width, height, [170, 175, 185]);
        self.fill(x + 1, y + 1, width - 2, height - 2, WHITE);
    }

    /// One glyph-like shape in a `size`-high box at (`x`, `y`): strokes chosen by `code`.
    fn glyph(&mut self, x: usize, y: usize, size: usize, code: usize, colour: [u8; 3]) -> usize {
        let (width, stroke) = (size * 3 / 5, (size / 8).max(1));
        let ascent = [size, size * 2 / 3, size * 2 / 3][code % 3];
        let top = y + size - ascent;
        self.fill(x, top, stroke, ascent, colour);
        if code % 2 != 1 {
            self.fill(x, y + size / 3, width, stroke, colour);
        }
        if code % 5 != 1 {
            self.fill(x + width - stroke, y + size / 3, stroke, size - size / 3, colour);
        }
        self.fill(x, y + size - stroke, width * (1 + code % 2) / 2, stroke, colour);
        width + 2
    }

    /// `lines` lines of words in a box `width` wide.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: usize,
        y: usize,
        width: usize,
        lines: usize,
        size: usize,
        colour: [u8; 3],
        seed: u64,
    ) {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for line in 0..lines {
            let top = y + line * size * 3 / 2;
            let mut col = x;
            let end = x + width - rng.next() % (width / 4 + 1);
            while col + size < end {
                for _ in 0..2 + rng.next() % 7 {
                    if col + size > end {
                        break;
                    }
                    col += self.glyph(col, top, size, rng.next(), colour);
                }
                col += size / 2;
            }
        }
    }

    /// A photo-like picture: smooth colour gradients with some texture.
    fn picture(&mut self, x: usize, y: usize, width: usize, height: usize) {
        for row in y..(y + height).min(self.height) {
            for col in x..(x + width).min(self.width) {
                let (u, v) = ((col - x) as f32 / width as f32, (row - y) as f32 / height as f32);
                let texture = ((col as f32 * 0.37).sin() * (row as f32 * 0.23).cos() * 6.0) as i32;
                let r = (200.0 * u + 40.0) as i32 + texture;
                let g = (160.0 * (1.0 - v) + 50.0 * u) as i32 + texture / 2;
                let b = (120.0 + 100.0 * v * (1.0 - u)) as i32 - texture;
                let at = 3 * (row * self.width + col);
                self.pixels[at..at + 3].copy_from_slice(&[r, g, b].map(|c| c.clamp(0, 255) as u8));
            }
        }
    }

    /// A 40×40 spinner with its top left at (`x`, `y`): eight dots on a ring, the brightest at
    /// `step` of eight, fading behind it.
    fn spinner(&mut self, x: usize, y: usize, step: usize) {
        self.fill(x, y, 40, 40, WHITE);
        for dot in 0..8 {
            let angle = dot as f32 * std::f32::consts::FRAC_PI_4;
            let (cx, cy) =
                (x as f32 + 20.0 + 14.0 * angle.cos(), y as f32 + 20.0 + 14.0 * angle.sin());
            let fade = ((dot + 8 - step % 8) % 8) as f32 / 8.0;
            let colour = BLUE.map(|c| (f32::from(c) + (255.0 - f32::from(c)) * fade) as u8);
            for row in (cy - 4.0) as usize..=(cy + 4.0) as usize {
                for col in (cx - 4.0) as usize..=(cx + 4.0) as usize {
                    let (dx, dy) = (col as f32 + 0.5 - cx, row as f32 + 0.5 - cy);
                    if dx * dx + dy * dy <= 16.0 {
                        self.fill(col, row, 1, 1, colour);
                    }
                }
            }
        }
    }

    /// The field at (60, 560) of a busy 720p page with `n` characters typed and the caret
    /// after them.
    fn typed(&mut self, n: usize) {
        self.field(60, 560, 420, 44);
        let mut col = 72;
        for i in 0..n {
            col += self.glyph(col, 574, 16, i * 7 + 3, INK);
        }
        self.fill(col + 1, 570, 1, 24, INK);
    }

    fn jpeg(&self, subsamp: Subsamp, quality: i32) -> Vec<u8> {
        let image = turbojpeg::Image {
            pixels: &self.pixels[..],
            width: self.width,
            pitch: 3 * self.width,
            height: self.height,
            format: turbojpeg::PixelFormat::RGB,
        };
        // As Chromium's screencast encodes (Skia over libjpeg-turbo): optimised Huffman tables.
        let mut compressor = turbojpeg::Compressor::new().unwrap();
        compressor.set_quality(quality).unwrap();
        compressor.set_subsamp(subsamp).unwrap();
        compressor.set_optimize(true).unwrap();
        compressor.compress_to_vec(image).unwrap()
    }

    /// As Chromium's screencast sends it.
    fn frame(&self) -> Vec<u8> {
        self.jpeg(Subsamp::Sub2x2, 60)
    }
}

/// A JPEG decoded by libjpeg-turbo: to RGB (upsampled as a browser does) and to its planes.
struct Decoded {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
    /// Each plane's samples, width, height, and pixels per sample across and down.
    planes: Vec<(Vec<u8>, usize, usize, usize, usize)>,
}

impl Decoded {
    fn new(jpeg: &[u8]) -> Self {
        let header = turbojpeg::read_header(jpeg).unwrap();
        let (width, height) = (header.width, header.height);
        let image = turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::RGB).unwrap();
        assert_eq!(image.pitch, 3 * width);
        let len = turbojpeg::yuv_pixels_len(width, 1, height, header.subsamp).unwrap();
        let mut all = vec![0; len];
        let yuv = turbojpeg::YuvImage {
            pixels: &mut all[..],
            width,
            align: 1,
            height,
            subsamp: header.subsamp,
        };
        turbojpeg::Decompressor::new().unwrap().decompress_to_yuv(jpeg, yuv).unwrap();
        // libjpeg-turbo pads the luma plane to whole chroma samples.
        let (sx, sy) = if header.subsamp == Subsamp::Gray { (1, 1) } else { header.subsamp.size() };
        let (yw, yh) = (width.next_multiple_of(sx), height.next_multiple_of(sy));
        let y_len = yw * yh;
        let mut planes = vec![(all[..y_len].to_vec(), yw, yh, 1, 1)];
        if header.subsamp != Subsamp::Gray {
            let (cw, ch) = (yw / sx, yh / sy);
            planes.push((all[y_len..y_len + cw * ch].to_vec(), cw, ch, sx, sy));
            planes.push((all[y_len + cw * ch..y_len + 2 * cw * ch].to_vec(), cw, ch, sx, sy));
        }
        Self { width, height, rgb: image.pixels, planes }
    }

    /// Pastes `tile` (decoded) at its place.
    fn paste(&mut self, tile: &Tile) {
        let decoded = Decoded::new(&tile.jpeg);
        assert_eq!((decoded.width, decoded.height), (tile.width as usize, tile.height as usize));
        let (x, y) = (tile.x as usize, tile.y as usize);
        assert!(x + decoded.width <= self.width && y + decoded.height <= self.height);
        for row in 0..decoded.height {
            let from = 3 * row * decoded.width;
            let to = 3 * ((y + row) * self.width + x);
            self.rgb[to..to + 3 * decoded.width]
                .copy_from_slice(&decoded.rgb[from..from + 3 * decoded.width]);
        }
        assert_eq!(self.planes.len(), decoded.planes.len());
        for (plane, tile_plane) in self.planes.iter_mut().zip(&decoded.planes) {
            let (samples, width, _, sx, sy) = plane;
            let (tile_samples, tile_width, tile_height, ..) = tile_plane;
            let (px, py) = (x / *sx, y / *sy);
            for row in 0..*tile_height {
                let to = (py + row) * *width + px;
                samples[to..to + tile_width]
                    .copy_from_slice(&tile_samples[row * tile_width..(row + 1) * tile_width]);
            }
        }
    }

    fn rgb(&self, x: usize, y: usize) -> [u8; 3] {
        let at = 3 * (y * self.width + x);
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }
}

/// Checks that `prev` with `delta`'s tiles pasted on it looks like `next`: every sample the
/// same, every RGB pixel but those along a tile's edge the same, and those within
/// `EDGE_TOLERANCE`. Returns the largest difference along the edges.
fn check_paints(prev: &[u8], next: &[u8], delta: &Delta) -> u8 {
    let mut painted = Decoded::new(prev);
    for tile in &delta.tiles {
        painted.paste(tile);
    }
    let expected = Decoded::new(next);
    for (plane, (got, want)) in painted.planes.iter().zip(&expected.planes).enumerate() {
        if got.0 != want.0 {
            let at = got.0.iter().zip(&want.0).position(|(a, b)| a != b).unwrap();
            let (x, y) = (at % got.1, at / got.1);
            panic!("plane {plane} differs at sample {x},{y}: {delta:?}");
        }
    }
    // The band either side of each tile's edge.
    let mut edge = vec![false; expected.width * expected.height];
    for tile in &delta.tiles {
        let (x0, y0) = ((tile.x as usize).saturating_sub(1), (tile.y as usize).saturating_sub(1));
        let x1 = ((tile.x + tile.width) as usize + 1).min(expected.width);
        let y1 = ((tile.y + tile.height) as usize + 1).min(expected.height);
        for y in y0..y1 {
            for x in x0..x1 {
                let inner_x = x > tile.x as usize && x + 2 < (tile.x + tile.width) as usize + 1;
                let inner_y = y > tile.y as usize && y + 2 < (tile.y + tile.height) as usize + 1;
                if !(inner_x && inner_y) {
                    edge[y * expected.width + x] = true;
                }
            }
        }
    }
    let mut worst = 0;
    for y in 0..expected.height {
        for x in 0..expected.width {
            let (got, want) = (painted.rgb(x, y), expected.rgb(x, y));
            let diff = (0..3).map(|i| got[i].abs_diff(want[i])).max().unwrap();
            if edge[y * expected.width + x] {
                worst = worst.max(diff);
            } else {
                assert_eq!(got, want, "pixel {x},{y} away from the tiles' edges differs");
            }
        }
    }
    assert!(worst <= EDGE_TOLERANCE, "a pixel along a tile's edge is {worst} off");
    worst
}

fn n_bytes(delta: &Delta) -> usize {
    delta.tiles.iter().map(|t| t.jpeg.len()).sum()
}

#[test]
fn the_first_frame_is_sent_whole_and_an_unchanged_one_gives_no_tiles() {
    let frame = Page::busy(1280, 720, 1).frame();
    let mut differ = Differ::new();
    assert_eq!(differ.diff(1, &frame), None);
    assert_eq!(differ.diff(2, &frame), Some(Delta { base_seq: 1, tiles: vec![] }));
    // Encoded again from the same pixels.
    let again = Page::busy(1280, 720, 1).frame();
    assert_eq!(differ.diff(3, &again), Some(Delta { base_seq: 2, tiles: vec![] }));
}

#[test]
fn a_turning_spinner_is_one_or_two_small_tiles_that_paint_the_next_frame() {
    let page = Page::busy(1280, 720, 2);
    let mut differ = Differ::new();
    let mut prev = page.frame();
    assert_eq!(differ.diff(0, &prev), None);
    let mut worst = 0;
    for step in 1..=16 {
        let mut next_page = page.clone();
        next_page.spinner(620, 300, step);
        let next = next_page.frame();
        let delta = differ.diff(step as u64, &next).unwrap();
        assert_eq!(delta.base_seq, step as u64 - 1);
        assert!((1..=2).contains(&delta.tiles.len()), "step {step}: {} tiles", delta.tiles.len());
        assert!(n_bytes(&delta) * 10 < next.len(), "step {step}: {} bytes", n_bytes(&delta));
        for tile in &delta.tiles {
            assert!(tile.width <= 80 && tile.height <= 80, "step {step}: {tile:?}");
        }
        worst = worst.max(check_paints(&prev, &next, &delta));
        prev = next;
    }
    eprintln!("spinner: largest difference along tile edges {worst}");
}

#[test]
fn a_typed_character_is_one_small_tile_that_paints_the_next_frame() {
    let mut page = Page::busy(1280, 720, 3);
    page.typed(0);
    let mut prev = page.frame();
    let mut differ = Differ::new();
    assert_eq!(differ.diff(0, &prev), None);
    for n in 1..=12 {
        page.typed(n);
        let next = page.frame();
        let delta = differ.diff(n as u64, &next).unwrap();
        assert_eq!(delta.tiles.len(), 1, "character {n}: {delta:?}");
        assert!(n_bytes(&delta) * 20 < next.len(), "character {n}: {} bytes", n_bytes(&delta));
        check_paints(&prev, &next, &delta);
        prev = next;
    }
}

#[test]
fn changes_far_apart_with_text_between_are_separate_tiles() {
    let mut page = Page::busy(1280, 720, 4);
    page.typed(3);
    let prev = page.frame();
    page.typed(4);
    page.spinner(1200, 660, 3);
    page.spinner(640, 40, 5);
    let next = page.frame();
    let mut differ = Differ::new();
    differ.diff(0, &prev);
    let delta = differ.diff(1, &next).unwrap();
    assert_eq!(delta.tiles.len(), 3, "{delta:?}");
    check_paints(&prev, &next, &delta);
}

#[test]
fn a_frame_of_another_size_quality_or_sampling_is_sent_whole_and_compared_with_next() {
    let page = Page::busy(1280, 720, 5);
    let small = Page::busy(1280, 712, 5);
    let empty = |base_seq| Some(Delta { base_seq, tiles: vec![] });
    let mut differ = Differ::new();
    assert_eq!(differ.diff(1, &page.frame()), None);
    assert_eq!(differ.diff(2, &small.frame()), None);
    assert_eq!(differ.diff(3, &small.frame()), empty(2));
    assert_eq!(differ.diff(4, &page.frame()), None);
    assert_eq!(differ.diff(5, &page.jpeg(Subsamp::Sub2x2, 70)), None);
    assert_eq!(differ.diff(6, &page.jpeg(Subsamp::None, 70)), None);
    assert_eq!(differ.diff(7, &page.jpeg(Subsamp::None, 70)), empty(6));
    assert_eq!(differ.diff(8, &page.jpeg(Subsamp::Gray, 70)), None);
    assert_eq!(differ.diff(9, &page.frame()), None);
    assert_eq!(differ.diff(10, &page.frame()), empty(9));
}

#[test]
fn a_frame_where_everything_changed_is_sent_whole() {
    let page = Page::busy(1280, 720, 6);
    let mut inverted = page.clone();
    inverted.pixels.iter_mut().for_each(|p| *p = 255 - *p);
    // Scrolled by 24 pixels: the header bar stays, everything under it moves.
    let mut scrolled = page.clone();
    let (bar, row) = (60 * 3 * 1280, 3 * 1280);
    scrolled.pixels.copy_within(bar + 24 * row.., bar);
    let mut differ = Differ::new();
    differ.diff(1, &page.frame());
    assert_eq!(differ.diff(2, &inverted.frame()), None);
    assert_eq!(differ.diff(3, &page.frame()), None);
    assert_eq!(differ.diff(4, &scrolled.frame()), None);
}

#[test]
fn tiles_at_the_right_and_bottom_edges_are_cut_to_the_frame() {
    for (subsamp, width, height) in [
        (Subsamp::Sub2x2, 203, 117),
        (Subsamp::Sub2x2, 1281, 721),
        (Subsamp::Sub2x1, 203, 117),
        (Subsamp::None, 203, 117),
        (Subsamp::Gray, 203, 117),
    ] {
        let page = Page::busy(width, height, 7);
        let mut next_page = page.clone();
        next_page.fill(width - 20, height - 9, 20, 9, BLUE);
        next_page.fill(0, 0, 3, 3, INK);
        let (prev, next) = (page.jpeg(subsamp, 60), next_page.jpeg(subsamp, 60));
        let mut differ = Differ::new();
        differ.diff(0, &prev);
        let delta = differ.diff(1, &next).unwrap();
        assert_eq!(delta.tiles.len(), 2, "{subsamp:?} {width}×{height}: {delta:?}");
        let corner = &delta.tiles[1];
        assert_eq!(
            (corner.x + corner.width, corner.y + corner.height),
            (width as u32, height as u32)
        );
        let worst = check_paints(&prev, &next, &delta);
        if matches!(subsamp, Subsamp::None | Subsamp::Gray) {
            assert_eq!(worst, 0, "{subsamp:?}: nothing is upsampled");
        }
    }
}

/// Damages `jpeg` in one to three places: flipped bits, bytes, 0xFF, cuts, cut-outs, copies.
fn damage(jpeg: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.next() % 3 {
        let at = rng.next() % jpeg.len();
        match rng.next() % 6 {
            0 => jpeg[at] ^= 1 << (rng.next() % 8),
            1 => jpeg[at] = rng.next() as u8,
            2 => jpeg[at] = 0xFF,
            3 => jpeg.truncate(at.max(2)),
            4 => drop(jpeg.drain(at..(at + 1 + rng.next() % 64).min(jpeg.len()))),
            _ => {
                let piece = jpeg[at..(at + 1 + rng.next() % 64).min(jpeg.len())].to_vec();
                let to = rng.next() % jpeg.len();
                jpeg.splice(to..to, piece);
            }
        }
    }
}

#[test]
fn damaged_frames_never_panic_and_every_tile_decodes() {
    let page = Page::busy(320, 192, 8);
    let mut next_page = page.clone();
    next_page.spinner(150, 100, 2);
    let (prev, next) = (page.frame(), next_page.frame());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut n_whole, mut n_tiles) = (0, 0);
    for round in 0..200 {
        let mut differ = Differ::new();
        let (mut damaged_prev, mut damaged_next) = (prev.clone(), next.clone());
        if round % 2 == 0 {
            damage(&mut damaged_prev, &mut rng);
        } else {
            damage(&mut damaged_next, &mut rng);
        }
        differ.diff(0, &damaged_prev);
        match differ.diff(1, &damaged_next) {
            None => n_whole += 1,
            Some(delta) => {
                n_tiles += 1;
                for tile in &delta.tiles {
                    let image = turbojpeg::decompress(&tile.jpeg, turbojpeg::PixelFormat::RGB);
                    assert!(image.is_ok(), "round {round}: a tile does not decode: {tile:?}");
                }
            }
        }
        // Whatever came before, a good frame after a damaged one is compared or sent whole.
        let _ = differ.diff(2, &next);
    }
    assert!(n_whole > 0 && n_tiles > 0, "{n_whole} whole, {n_tiles} with tiles");
    let mut differ = Differ::new();
    for garbage in [&b""[..], b"\xFF\xD8", b"\xFF\xD8\xFF\xD9", &[0x55; 300]] {
        assert_eq!(differ.diff(0, garbage), None);
    }
    assert_eq!(differ.diff(1, &next), None, "nothing to compare with after garbage");
}

/// A frame of Chromium 156's screencast (quality 60, 1280×720) of a checkout page, and its
/// payment fields in CSS pixels (see `tests/mask.rs`).
const CHROMIUM_FRAME: &[u8] = include_bytes!("data/chromium-checkout.jpg");
const CHROMIUM_FIELDS: [(f64, f64, f64, f64); 3] = [
    (143.75, 142.4375, 400.0, 44.0),
    (90.265625, 208.4375, 200.0, 44.0),
    (328.265625, 208.4375, 200.0, 44.0),
];

#[test]
fn a_real_chromium_frame_and_its_masked_copy_differ_where_the_fields_are() {
    let raw = RawFrame {
        seq: 1,
        jpeg: Bytes::from_static(CHROMIUM_FRAME),
        meta: model::FrameMeta { css_width: 1280, css_height: 720, ..Default::default() },
    };
    let plan = MaskPlan::Rects(
        CHROMIUM_FIELDS
            .iter()
            .map(|&(x, y, width, height)| MaskRect { rect: model::Rect { x, y, width, height } })
            .collect(),
    );
    let masked = mask(&raw, &plan).frame().jpeg.clone();
    let mut differ = Differ::new();
    assert_eq!(differ.diff(1, CHROMIUM_FRAME), None);
    let there = differ.diff(2, &masked).unwrap();
    let back = differ.diff(3, CHROMIUM_FRAME).unwrap();
    for (delta, prev, next) in
        [(&there, CHROMIUM_FRAME, &masked[..]), (&back, &masked, CHROMIUM_FRAME)]
    {
        assert!((1..=3).contains(&delta.tiles.len()), "{delta:?}");
        assert!(n_bytes(delta) * 3 < CHROMIUM_FRAME.len(), "{} bytes", n_bytes(delta));
        // Every tile is within the fields grown to MCUs, and the margin mask adds.
        for tile in &delta.tiles {
            assert!(tile.x >= 64 && tile.x + tile.width <= 560, "{tile:?}");
            assert!(tile.y >= 128 && tile.y + tile.height <= 272, "{tile:?}");
        }
        let worst = check_paints(prev, next, delta);
        eprintln!("chromium frame: largest difference along tile edges {worst}");
    }
    assert_eq!(differ.diff(4, CHROMIUM_FRAME), Some(Delta { base_seq: 3, tiles: vec![] }));
}

#[test]
fn the_worst_edge_is_a_saturated_colour_meeting_a_changed_tile() {
    // A blue block whose right and bottom edges are on MCU edges, and right of it and below it
    // text that changes: the tiles start where the blue ends.
    let mut page = Page::busy(1280, 720, 9);
    page.fill(240, 320, 80, 64, WHITE);
    page.fill(240, 320, 80, 48, BLUE);
    let mut next_page = page.clone();
    next_page.text(320, 322, 80, 3, 12, INK, 99);
    next_page.text(240, 370, 160, 1, 12, INK, 98);
    let (prev, next) = (page.frame(), next_page.frame());
    let mut differ = Differ::new();
    differ.diff(0, &prev);
    let delta = differ.diff(1, &next).unwrap();
    let worst = check_paints(&prev, &next, &delta);
    // What the frame decoded whole is off from the drawn page there, for scale.
    let decoded = Decoded::new(&next);
    let mut codec = 0;
    for y in 318..388 {
        for x in 316..324 {
            let at = 3 * (y * 1280 + x);
            let drawn = &next_page.pixels[at..at + 3];
            let got = decoded.rgb(x, y);
            codec = codec.max((0..3).map(|i| got[i].abs_diff(drawn[i])).max().unwrap());
        }
    }
    eprintln!("blue meets tile: {worst} off along tile edges; the codec is {codec} off there");
    assert!(worst > 20, "the case is as bad as it gets: {worst}");
    assert!(worst <= codec + 4, "{worst} off along the edges, the codec {codec}");
}

fn raw(seq: u64, jpeg: &[u8]) -> RawFrame {
    RawFrame {
        seq,
        jpeg: Bytes::copy_from_slice(jpeg),
        meta: model::FrameMeta { css_width: 1280, css_height: 720, ..Default::default() },
    }
}

#[test]
fn a_stream_in_step_with_another_takes_its_changes_and_one_out_of_step_compares_itself() {
    let page = Page::busy(1280, 720, 4);
    let frames: Vec<RawFrame> = (0..6u64)
        .map(|step| {
            let mut p = page.clone();
            p.spinner(620, 300, step as usize);
            raw(step, &p.frame())
        })
        .collect();
    let mut lead = Differ::new();
    let mut follower = lead.sibling();
    // What a follower that always compares by itself would send.
    let mut alone = Differ::new();
    let clear = |f: &RawFrame| mask(f, &MaskPlan::Clear);
    let check = |update: &Update<frames::MaskedFrame>, alone: &mut Differ, f: &RawFrame| {
        assert_eq!(update.delta(), alone.diff(f.seq, &f.jpeg).as_ref(), "frame {}", f.seq);
    };

    // In step from the first frame: the same changes.
    let l0 = Update::new(frames[0].clone(), &mut lead);
    check(&Update::follow(clear(&frames[0]), &mut follower, &l0, &lead), &mut alone, &frames[0]);
    let l1 = Update::new(frames[1].clone(), &mut lead);
    let f1 = Update::follow(clear(&frames[1]), &mut follower, &l1, &lead);
    assert!(f1.delta().is_some_and(|d| d.base_seq == 0 && !d.tiles.is_empty()));
    check(&f1, &mut alone, &frames[1]);

    // The follower skips frame 2: for frame 3 it is out of step and compares with frame 1.
    let _l2 = Update::new(frames[2].clone(), &mut lead);
    let l3 = Update::new(frames[3].clone(), &mut lead);
    let f3 = Update::follow(clear(&frames[3]), &mut follower, &l3, &lead);
    assert_eq!(f3.delta().map(|d| d.base_seq), Some(1));
    alone.diff(2, &frames[2].jpeg);
    let mut alone = Differ::new();
    alone.diff(1, &frames[1].jpeg);
    check(&f3, &mut alone, &frames[3]);

    // In step again at frame 4; a masked copy of frame 5 is another JPEG: compared by itself.
    let l4 = Update::new(frames[4].clone(), &mut lead);
    let f4 = Update::follow(clear(&frames[4]), &mut follower, &l4, &lead);
    check(&f4, &mut alone, &frames[4]);
    let l5 = Update::new(frames[5].clone(), &mut lead);
    let cover = MaskPlan::Rects(vec![MaskRect {
        rect: model::Rect { x: 40.0, y: 40.0, width: 200.0, height: 60.0 },
    }]);
    let masked = mask(&frames[5], &cover);
    let f5 = Update::follow(masked.clone(), &mut follower, &l5, &lead);
    assert_ne!(f5.delta(), l5.delta());
    assert_eq!(f5.delta(), alone.diff(5, &masked.frame().jpeg).as_ref());

    // A differ that is not a sibling never follows, even on the same frames.
    let mut stranger = Differ::new();
    stranger.diff(4, &frames[4].jpeg);
    let mut lead = Differ::new();
    lead.diff(4, &frames[4].jpeg);
    let l5 = Update::new(frames[5].clone(), &mut lead);
    let s5 = Update::follow(clear(&frames[5]), &mut stranger, &l5, &lead);
    assert_eq!(s5.delta(), l5.delta(), "the same changes, found by comparing");
}
