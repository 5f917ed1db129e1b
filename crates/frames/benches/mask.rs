//! What masking costs per frame: a checkout page at 1280×720 and 1920×1080 (JPEG quality 60,
//! 4:2:0, optimised Huffman tables, as Chromium's screencast sends it) masked with three
//! rectangles (card number, expiry, CVC), 300 times each, against the pass-through cases. The
//! busy page has a photo and paragraphs of blocky (not anti-aliased) text, so it is heavier
//! than most real frames; the plain one (a header, a title, the form and its button) is
//! lighter than most; a frame of Chromium's own screencast (a plain checkout page) comes
//! last. These frames are masked in the compressed domain: the whole scan is
//! Huffman-decoded once (no inverse DCT) and only the masked MCUs and the ones after them are
//! encoded again, so the cost follows the JPEG's size; libjpeg-turbo's decode to YUV (which
//! the pixel-domain fallback starts with) is timed alongside for scale.
//!
//! Run with `cargo bench -p frames`; prints p50, p95 and the fastest run per case and size.
//! With `FRAMES_BENCH_DUMP=DIR` it also writes each input and masked frame to DIR.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use frames::{mask, MaskPlan, MaskRect, RawFrame};
use model::Rect;

const RUNS: usize = 300;

/// A frame of Chromium's own screencast (a plain checkout page, quality 60) and its three
/// fields in CSS pixels: see `tests/mask.rs`.
const CHROMIUM_FRAME: &[u8] = include_bytes!("../tests/data/chromium-checkout.jpg");
const CHROMIUM_FIELDS: [(f64, f64, f64, f64); 3] = [
    (143.75, 142.4375, 400.0, 44.0),
    (90.265625, 208.4375, 200.0, 44.0),
    (328.265625, 208.4375, 200.0, 44.0),
];
const WARM_UP: usize = 20;

/// An RGB picture of a web page.
struct Page {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Page {
    fn fill(&mut self, x: usize, y: usize, width: usize, height: usize, colour: [u8; 3]) {
        for row in y..(y + height).min(self.height) {
            for col in x..(x + width).min(self.width) {
                let at = 3 * (row * self.width + col);
                self.pixels[at..at + 3].copy_from_slice(&colour);
            }
        }
    }

    fn frame(&mut self, x: usize, y: usize, width: usize, height: usize, colour: [u8; 3]) {
        self.fill(x, y, width, 1, colour);
        self.fill(x, y + height - 1, width, 1, colour);
        self.fill(x, y, 1, height, colour);
        self.fill(x + width - 1, y, 1, height, colour);
    }

    /// Lines of text-like glyph runs: strokes of varying height, words, spaces.
    fn text(
        &mut self,
        x: usize,
        y: usize,
        width: usize,
        lines: usize,
        size: usize,
        colour: [u8; 3],
    ) {
        let mut seed = (x * 31 + y * 17) as u32 | 1;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let line_height = size * 3 / 2;
        for line in 0..lines {
            let baseline = y + line * line_height + size;
            let mut col = x;
            let end = x + width - (next() as usize % (width / 4 + 1));
            while col + 2 < end {
                let word = 2 + next() as usize % 8;
                for _ in 0..word {
                    let glyph_w = size / 2 + next() as usize % (size / 3 + 1);
                    if col + glyph_w > x + width {
                        break;
                    }
                    let ascent = size / 2 + next() as usize % (size / 2 + 1);
                    let stroke = (size / 8).max(1);
                    self.fill(col, baseline - ascent, stroke, ascent, colour);
                    self.fill(col, baseline - size / 2, glyph_w - stroke, stroke, colour);
                    self.fill(
                        col + glyph_w - stroke * 2,
                        baseline - size / 2,
                        stroke,
                        size / 2,
                        colour,
                    );
                    col += glyph_w + 1;
                }
                col += size / 2;
            }
        }
    }

    /// A photo-like block: smooth gradients with some texture.
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

    fn jpeg(&self) -> Bytes {
        let image = turbojpeg::Image {
            pixels: &self.pixels[..],
            width: self.width,
            pitch: 3 * self.width,
            height: self.height,
            format: turbojpeg::PixelFormat::RGB,
        };
        // As Chromium's screencast encodes (Skia over libjpeg-turbo): optimised Huffman tables.
        let mut compressor = turbojpeg::Compressor::new().expect("a compressor can be made");
        compressor.set_quality(60).expect("quality 60 is valid");
        compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2).expect("4:2:0 is valid");
        compressor.set_optimize(true).expect("optimised tables are supported");
        Bytes::from(compressor.compress_to_vec(image).expect("the page encodes"))
    }
}

/// A checkout page laid out on a 1280-wide grid, drawn at `scale` (1 for 720p, 1.5 for 1080p),
/// with the three payment fields' rectangles in CSS pixels (= frame pixels here).
fn checkout(width: usize, height: usize, busy: bool) -> (Bytes, Vec<MaskRect>) {
    let s = |v: usize| v * width / 1280;
    let mut page = Page { width, height, pixels: [250, 250, 252].repeat(width * height) };
    page.fill(0, 0, width, s(64), [24, 40, 72]);
    page.text(s(32), s(18), s(260), 1, s(20), [255, 255, 255]);
    page.text(s(720), s(22), s(500), 1, s(14), [200, 210, 230]);
    page.text(s(80), s(100), s(600), 1, s(28), [20, 20, 30]);
    if busy {
        page.text(s(80), s(150), s(560), 6, s(14), [60, 60, 70]);
        page.picture(s(760), s(100), s(440), s(300));
        page.text(s(760), s(420), s(440), 5, s(13), [80, 80, 90]);
    }
    let mut fields = Vec::new();
    for (x, y, w) in [(80, 400, 420), (80, 470, 200), (300, 470, 200)] {
        let (x, y, w, h) = (s(x), s(y), s(w), s(44));
        page.fill(x, y, w, h, [255, 255, 255]);
        page.frame(x, y, w, h, [170, 175, 185]);
        page.text(x + s(12), y + s(12), w - s(24), 1, s(18), [30, 30, 40]);
        fields.push(MaskRect {
            rect: Rect { x: x as f64, y: y as f64, width: w as f64, height: h as f64 },
        });
    }
    page.fill(s(80), s(560), s(420), s(48), [30, 110, 220]);
    page.text(s(220), s(574), s(150), 1, s(18), [255, 255, 255]);
    if busy {
        page.text(s(80), s(630), s(560), 3, s(12), [110, 110, 120]);
    }
    (page.jpeg(), fields)
}

/// p50, p95 and the fastest run.
fn time(mut run: impl FnMut()) -> (Duration, Duration, Duration) {
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
    (samples[RUNS / 2], samples[RUNS * 95 / 100], samples[0])
}

fn report(size: &str, case: &str, (p50, p95, min): (Duration, Duration, Duration)) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{size:>17}  {case:<38} p50 {:>7.3} ms   p95 {:>7.3} ms   min {:>7.3} ms",
        ms(p50),
        ms(p95),
        ms(min)
    );
}

fn main() {
    println!("frames::mask, {RUNS} runs each after {WARM_UP} warm-up runs");
    let drawn = [(1280, 720, true), (1920, 1080, true), (1280, 720, false), (1920, 1080, false)];
    let mut pages: Vec<(String, usize, usize, Bytes, Vec<MaskRect>)> = drawn
        .into_iter()
        .map(|(width, height, busy)| {
            let size = format!("{width}x{height}{}", if busy { "" } else { " plain" });
            let (jpeg, fields) = checkout(width, height, busy);
            (size, width, height, jpeg, fields)
        })
        .collect();
    pages.push((
        "1280x720 chromium".into(),
        1280,
        720,
        Bytes::from_static(CHROMIUM_FRAME),
        CHROMIUM_FIELDS
            .iter()
            .map(|&(x, y, width, height)| MaskRect { rect: Rect { x, y, width, height } })
            .collect(),
    ));
    for (size, width, height, jpeg, fields) in pages {
        let raw = RawFrame {
            seq: 1,
            jpeg: jpeg.clone(),
            meta: model::FrameMeta {
                css_width: width as u32,
                css_height: height as u32,
                ..Default::default()
            },
        };
        let painted = MaskPlan::Rects(fields);
        let outside = MaskPlan::Rects(vec![MaskRect {
            rect: Rect { x: 0.0, y: height as f64 + 100.0, width: 400.0, height: 44.0 },
        }]);

        if let Ok(dir) = std::env::var("FRAMES_BENCH_DUMP") {
            std::fs::write(format!("{dir}/{}-input.jpg", size.replace(' ', "-")), &jpeg)
                .expect("the dump folder is writable");
            std::fs::write(
                format!("{dir}/{}-masked.jpg", size.replace(' ', "-")),
                &mask(&raw, &painted).frame().jpeg,
            )
            .expect("the dump folder is writable");
        }
        let masked = mask(&raw, &painted);
        assert!(!masked.is_hidden(), "the benchmark frame masks");
        println!(
            "{size:>17}  input {} bytes, masked {} bytes ({:.2}×)",
            jpeg.len(),
            masked.frame().jpeg.len(),
            masked.frame().jpeg.len() as f64 / jpeg.len() as f64
        );
        report(
            &size,
            "3 rects (compressed domain)",
            time(|| drop(black_box(mask(&raw, &painted)))),
        );
        report(
            &size,
            "rects outside the frame (header only)",
            time(|| drop(black_box(mask(&raw, &outside)))),
        );
        report(
            &size,
            "clear (pass-through)",
            time(|| drop(black_box(mask(&raw, &MaskPlan::Clear)))),
        );
        report(
            &size,
            "hide all (cached)",
            time(|| drop(black_box(mask(&raw, &MaskPlan::HideAll)))),
        );
        let mut decompressor = turbojpeg::Decompressor::new().expect("a decompressor can be made");
        let mut planes =
            vec![
                0;
                turbojpeg::yuv_pixels_len(width, 1, height, turbojpeg::Subsamp::Sub2x2)
                    .expect("fits")
            ];
        report(
            &size,
            "(reference: decode to YUV only)",
            time(|| {
                let image = turbojpeg::YuvImage {
                    pixels: &mut planes[..],
                    width,
                    align: 1,
                    height,
                    subsamp: turbojpeg::Subsamp::Sub2x2,
                };
                decompressor.decompress_to_yuv(&jpeg, image).expect("the page decodes");
            }),
        );
    }
}
