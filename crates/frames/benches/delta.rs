//! What sending only the changes costs and saves per frame, at 1280×720 (JPEG quality 60,
//! 4:2:0, optimised Huffman tables, as Chromium's screencast sends it). On a busy page (a
//! header bar, paragraphs of blocky text, a photo-like picture, coloured cards, a form field;
//! some 73 KB a frame, heavier than most real pages): (a) a 40×40 spinner turning, (b)
//! characters typed into the field one per frame, (c) the whole page changing every frame
//! (two pages in turn), (d) the same frame again. On Chromium's own screencast frame of a
//! plain checkout page (decoded and encoded again here, some 25 KB): (e) the spinner, (f)
//! typing into its card number field; and (g) that frame as Chromium sent it and its masked
//! copy in turn.
//!
//! Each case is a cycle of frames diffed in order, 300 diffs after 20 warm-up ones; it prints
//! the time per diff (p50, p95, fastest), the tiles' bytes against the whole frames' (and
//! both as Mbit/s at 60 frames a second). Most of the time is the Huffman decode of the whole
//! scan, as masking does.
//!
//! Then what making a whole frame coarser for a slow viewer costs (`requantize`).
//!
//! Run with `cargo bench -p frames --bench delta`, or `… -- spinner` for the cases whose name
//! has "spinner" (`… -- requantize` for the last part alone).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use frames::{mask, Differ, MaskPlan, MaskRect, RawFrame};

const RUNS: usize = 300;
const WARM_UP: usize = 20;
const WHITE: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [20, 24, 36];
const BLUE: [u8; 3] = [26, 115, 232];

/// A frame of Chromium's own screencast (a plain checkout page, quality 60) and its three
/// fields in CSS pixels: see `tests/mask.rs`.
const CHROMIUM_FRAME: &[u8] = include_bytes!("../tests/data/chromium-checkout.jpg");
const CHROMIUM_FIELDS: [(f64, f64, f64, f64); 3] = [
    (143.75, 142.4375, 400.0, 44.0),
    (90.265625, 208.4375, 200.0, 44.0),
    (328.265625, 208.4375, 200.0, 44.0),
];

/// An RGB picture of a web page.
#[derive(Clone)]
struct Page {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Page {
    fn busy(seed: u64) -> Self {
        let (width, height) = (1280, 720);
        let mut page = Self { width, height, pixels: WHITE.repeat(width * height) };
        page.fill(0, 0, width, 60, [24, 40, 72]);
        page.text(24, 20, 300, 1, 16, WHITE, seed);
        page.text(60, 100, 560, 8, 14, INK, seed + 1);
        page.picture(700, 90, 520, 260);
        for (i, colour) in [[230, 80, 60], [60, 170, 90], [250, 200, 40]].into_iter().enumerate() {
            page.fill(700 + 180 * i, 380, 160, 90, colour);
            page.text(712 + 180 * i, 400, 136, 2, 12, WHITE, seed + 2 + i as u64);
        }
        page.text(60, 420, 560, 4, 13, [90, 90, 100], seed + 9);
        page.field(60, 560, 420, 44);
        page.text(700, 500, 520, 5, 12, [60, 60, 70], seed + 11);
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

    fn field(&mut self, x: usize, y: usize, width: usize, height: usize) {
        self.fill(x, y, width, height, [170, 175, 185]);
        self.fill(x + 1, y + 1, width - 2, height - 2, WHITE);
    }

    /// One glyph-like shape, `size` high, its strokes chosen by `code`; returns its advance.
    fn glyph(&mut self, x: usize, y: usize, size: usize, code: usize, colour: [u8; 3]) -> usize {
        let (width, stroke) = (size * 3 / 5, (size / 8).max(1));
        let ascent = [size, size * 2 / 3, size * 2 / 3][code % 3];
        self.fill(x, y + size - ascent, stroke, ascent, colour);
        if code % 2 != 1 {
            self.fill(x, y + size / 3, width, stroke, colour);
        }
        if code % 5 != 1 {
            self.fill(x + width - stroke, y + size / 3, stroke, size - size / 3, colour);
        }
        self.fill(x, y + size - stroke, width * (1 + code % 2) / 2, stroke, colour);
        width + 2
    }

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
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 16) as usize
        };
        for line in 0..lines {
            let top = y + line * size * 3 / 2;
            let mut col = x;
            let end = x + width - next() % (width / 4 + 1);
            while col + size < end {
                for _ in 0..2 + next() % 7 {
                    if col + size > end {
                        break;
                    }
                    col += self.glyph(col, top, size, next(), colour);
                }
                col += size / 2;
            }
        }
    }

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

    /// A 40×40 spinner: eight dots on a ring, the brightest at `step` of eight.
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

    /// A form field at (`x`, `y`) with `n` characters typed and the caret after them.
    fn typed(&mut self, x: usize, y: usize, n: usize) {
        self.field(x, y, 420, 44);
        let mut col = x + 12;
        for i in 0..n {
            col += self.glyph(col, y + 14, 16, i * 7 + 3, INK);
        }
        self.fill(col + 1, y + 10, 1, 24, INK);
    }

    /// Chromium's screencast frame decoded: a plain checkout page.
    fn checkout() -> Self {
        let image = turbojpeg::decompress(CHROMIUM_FRAME, turbojpeg::PixelFormat::RGB)
            .expect("the fixture decodes");
        assert_eq!(image.pitch, 3 * image.width);
        Self { width: image.width, height: image.height, pixels: image.pixels }
    }

    fn frame(&self) -> Bytes {
        let image = turbojpeg::Image {
            pixels: &self.pixels[..],
            width: self.width,
            pitch: 3 * self.width,
            height: self.height,
            format: turbojpeg::PixelFormat::RGB,
        };
        let mut compressor = turbojpeg::Compressor::new().expect("a compressor can be made");
        compressor.set_quality(60).expect("quality 60 is valid");
        compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2).expect("4:2:0 is valid");
        compressor.set_optimize(true).expect("optimised tables are supported");
        Bytes::from(compressor.compress_to_vec(image).expect("the page encodes"))
    }
}

/// The cases: a name and a cycle of frames.
fn cases() -> Vec<(&'static str, Vec<Bytes>)> {
    let page = Page::busy(1);
    let checkout = Page::checkout();
    let spinner = |page: &Page, x: usize, y: usize| -> Vec<Bytes> {
        (0..8)
            .map(|step| {
                let mut page = page.clone();
                page.spinner(x, y, step);
                page.frame()
            })
            .collect()
    };
    // Typed forward, then deleted, so the cycle has no jump.
    let typing = |page: &Page, x: usize, y: usize| -> Vec<Bytes> {
        (0..24)
            .chain((1..23).rev())
            .map(|n| {
                let mut page = page.clone();
                page.typed(x, y, n);
                page.frame()
            })
            .collect()
    };
    let whole = vec![page.frame(), Page::busy(2).frame()];
    let same = vec![page.frame()];
    let raw = RawFrame {
        seq: 1,
        jpeg: Bytes::from_static(CHROMIUM_FRAME),
        meta: model::FrameMeta { css_width: 1280, css_height: 720, ..Default::default() },
    };
    let fields = CHROMIUM_FIELDS
        .iter()
        .map(|&(x, y, width, height)| MaskRect { rect: model::Rect { x, y, width, height } })
        .collect();
    let masked = mask(&raw, &MaskPlan::Rects(fields)).frame().jpeg.clone();
    let chromium = vec![Bytes::from_static(CHROMIUM_FRAME), masked];
    vec![
        ("(a) spinner turning, busy page", spinner(&page, 620, 300)),
        ("(b) typing, busy page", typing(&page, 60, 560)),
        ("(c) whole page changing", whole),
        ("(d) the same frame again", same),
        ("(e) spinner turning, checkout", spinner(&checkout, 700, 300)),
        ("(f) typing, checkout", typing(&checkout, 143, 142)),
        ("(g) checkout / its masked copy", chromium),
    ]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    println!("frames::Differ at 1280x720, {RUNS} diffs each after {WARM_UP} warm-up ones");
    // `cargo bench -p frames --bench delta -- typing` runs the cases whose name has "typing".
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    for (name, frames) in cases() {
        if !filter.iter().all(|word| name.contains(word.as_str())) {
            continue;
        }
        // Bytes and tiles over one cycle, each frame against the one before it.
        let mut differ = Differ::new();
        let _ = differ.diff(0, &frames[frames.len() - 1]);
        let (mut n_tile_bytes, mut n_frame_bytes, mut n_tiles, mut n_whole) = (0, 0, 0, 0);
        for (seq, frame) in frames.iter().enumerate() {
            n_frame_bytes += frame.len();
            match differ.diff(seq as u64 + 1, frame) {
                Some(delta) => {
                    n_tiles += delta.tiles.len();
                    n_tile_bytes += delta.tiles.iter().map(|t| t.jpeg.len()).sum::<usize>();
                }
                None => {
                    n_whole += 1;
                    n_tile_bytes += frame.len();
                }
            }
        }
        let n = frames.len() as f64;
        let mbits = |bytes: usize| bytes as f64 / n * 8.0 * 60.0 / 1e6;
        println!(
            "{name:<30} frame {:>6.0} B  sent {:>6.0} B/frame ({:>5.1} %)  {:.2} tiles/frame, \
             {n_whole} of {} whole  =  {:.2} Mbit/s at 60 fps instead of {:.2}",
            n_frame_bytes as f64 / n,
            n_tile_bytes as f64 / n,
            100.0 * n_tile_bytes as f64 / n_frame_bytes as f64,
            n_tiles as f64 / n,
            frames.len(),
            mbits(n_tile_bytes),
            mbits(n_frame_bytes),
        );

        let mut differ = Differ::new();
        let mut seq = 0;
        let mut run = || {
            let frame = &frames[seq as usize % frames.len()];
            seq += 1;
            black_box(differ.diff(seq, frame));
        };
        for _ in 0..WARM_UP {
            run();
        }
        let mut samples: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                run();
                start.elapsed()
            })
            .collect();
        samples.sort();
        println!(
            "{:<30} p50 {:>7.3} ms   p95 {:>7.3} ms   min {:>7.3} ms",
            "",
            ms(samples[RUNS / 2]),
            ms(samples[RUNS * 95 / 100]),
            ms(samples[0])
        );
    }
    if filter.iter().all(|word| "requantize".contains(word.as_str())) {
        requantize_cases();
    }
}

/// What making a whole frame coarser for a slow viewer costs (`frames::requantize`), on the
/// busy page and on Chromium's checkout frame, at each step the server takes.
fn requantize_cases() {
    println!("frames::requantize at 1280x720, {RUNS} runs each after {WARM_UP} warm-up ones");
    let pages = [
        ("busy page", Page::busy(1).frame()),
        ("Chromium's checkout", Bytes::from_static(CHROMIUM_FRAME)),
    ];
    for (name, frame) in pages {
        for quality in [45u8, 30, 20] {
            let coarse = frames::requantize(&frame, quality).expect("coarser than quality 60");
            for _ in 0..WARM_UP {
                black_box(frames::requantize(&frame, quality));
            }
            let mut samples: Vec<Duration> = (0..RUNS)
                .map(|_| {
                    let start = Instant::now();
                    black_box(frames::requantize(&frame, quality));
                    start.elapsed()
                })
                .collect();
            samples.sort();
            println!(
                "{name:<20} quality {quality}: {:>6} B of {:>6} B ({:>5.1} %)   p50 {:>7.3} ms   \
                 p95 {:>7.3} ms",
                coarse.len(),
                frame.len(),
                100.0 * coarse.len() as f64 / frame.len() as f64,
                ms(samples[RUNS / 2]),
                ms(samples[RUNS * 95 / 100]),
            );
        }
    }
}
