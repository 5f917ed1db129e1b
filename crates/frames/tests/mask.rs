//! Masking real JPEG frames: the test pages are drawn and encoded here, with magenta
//! "text" where a sensitive field is, so a frame that still shows it is easy to catch.
//! (The compressed-domain masking is checked sample by sample in `src/dct/tests.rs`.)

// Tests may unwrap: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use frames::{mask, MaskPlan, MaskRect, MaskedFrame, RawFrame};
use model::Rect;

const WHITE: [u8; 3] = [255, 255, 255];
const MAGENTA: [u8; 3] = [255, 0, 255];
const INK: [u8; 3] = [20, 20, 30];
const FILL: [u8; 3] = [0x8a, 0x8f, 0x98];

/// An RGB picture to draw test pages on.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        Self { width, height, pixels: WHITE.repeat(width * height) }
    }

    fn fill(&mut self, x: usize, y: usize, width: usize, height: usize, colour: [u8; 3]) {
        for row in y..(y + height).min(self.height) {
            for col in x..(x + width).min(self.width) {
                let at = 3 * (row * self.width + col);
                self.pixels[at..at + 3].copy_from_slice(&colour);
            }
        }
    }

    /// Lines of "words" (3 px strokes with gaps) filling the box.
    fn text(&mut self, x: usize, y: usize, width: usize, height: usize, colour: [u8; 3]) {
        for (line, row) in (y..y + height.saturating_sub(3)).step_by(6).enumerate() {
            let mut col = x;
            let mut word = line;
            while col < x + width {
                let len = (5 + (word * 7) % 23).min(x + width - col);
                self.fill(col, row, len, 3, colour);
                col += len + 4;
                word += 1;
            }
        }
    }

    /// A smooth colour gradient (a picture on the page), green enough never to look magenta.
    fn gradient(&mut self, x: usize, y: usize, width: usize, height: usize) {
        for row in y..y + height {
            for col in x..x + width {
                let (u, v) = ((col - x) * 255 / width, (row - y) * 255 / height);
                let at = 3 * (row * self.width + col);
                self.pixels[at..at + 3].copy_from_slice(&[
                    (u / 2) as u8,
                    (128 + v / 2) as u8,
                    (255 - u) as u8,
                ]);
            }
        }
    }

    fn jpeg(&self, quality: i32) -> Bytes {
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
        compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2).unwrap();
        compressor.set_optimize(true).unwrap();
        Bytes::from(compressor.compress_to_vec(image).unwrap())
    }
}

/// A decoded frame.
struct Picture {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Picture {
    fn decode(jpeg: &[u8]) -> Self {
        let image = turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::RGB).unwrap();
        assert_eq!(image.pitch, 3 * image.width);
        Self { width: image.width, height: image.height, pixels: image.pixels }
    }

    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        let at = 3 * (y * self.width + x);
        [self.pixels[at], self.pixels[at + 1], self.pixels[at + 2]]
    }

    fn points(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.height).flat_map(move |y| (0..self.width).map(move |x| (x, y)))
    }

    /// Pixels with magenta's signature: red and blue well above green.
    fn n_magenta_in(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> usize {
        self.points()
            .filter(|&(x, y)| x >= x0 && x < x1 && y >= y0 && y < y1)
            .filter(|&(x, y)| is_magenta_ish(self.at(x, y)))
            .count()
    }

    fn n_magenta(&self) -> usize {
        self.n_magenta_in(0, 0, self.width, self.height)
    }
}

fn is_magenta_ish(p: [u8; 3]) -> bool {
    let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
    r - g > 40 && b - g > 40
}

fn max_channel_diff(a: [u8; 3], b: [u8; 3]) -> u8 {
    (0..3).map(|i| a[i].abs_diff(b[i])).max().unwrap()
}

fn raw(jpeg: Bytes, css_width: u32, css_height: u32) -> RawFrame {
    RawFrame {
        seq: 41,
        jpeg,
        meta: model::FrameMeta {
            css_width,
            css_height,
            scroll_x: 3.0,
            scroll_y: 812.5,
            timestamp_ms: 1.75e12,
        },
    }
}

fn rects(rects: &[(f64, f64, f64, f64)]) -> MaskPlan {
    MaskPlan::Rects(
        rects
            .iter()
            .map(|&(x, y, width, height)| MaskRect { rect: Rect { x, y, width, height } })
            .collect(),
    )
}

/// A page with magenta "text" in a card-number field at (120, 100, 200×30) and ink text below.
fn checkout_page(scale: usize) -> Canvas {
    let mut page = Canvas::new(640 * scale, 360 * scale);
    page.text(120 * scale, 100 * scale, 200 * scale, 30 * scale, MAGENTA);
    page.text(120 * scale, 200 * scale, 200 * scale, 30 * scale, INK);
    page.gradient(400 * scale, 40 * scale, 200 * scale, 120 * scale);
    page
}

fn assert_all_fill(picture: &Picture) {
    for (x, y) in picture.points() {
        assert!(
            max_channel_diff(picture.at(x, y), FILL) <= 4,
            "pixel {x},{y} is {:?}",
            picture.at(x, y)
        );
    }
}

#[test]
fn a_rects_plan_paints_the_magenta_field_over_and_keeps_the_rest() {
    let jpeg = checkout_page(1).jpeg(60);
    let before = Picture::decode(&jpeg);
    assert!(before.n_magenta_in(120, 100, 320, 130) > 1000, "the test page must show magenta");

    let masked = mask(&raw(jpeg, 640, 360), &rects(&[(118.0, 98.0, 204.0, 34.0)]));
    assert!(!masked.is_hidden());
    let after = Picture::decode(&masked.frame().jpeg);
    assert_eq!((after.width, after.height), (640, 360));
    assert_eq!(after.n_magenta(), 0, "magenta is left in the masked frame");

    // The painted box (rect + 4 px margin: 114..326 × 94..136) is the fill, but for the lock
    // mark in its middle; at its very edge, the white around bleeds in (chroma upsampling).
    for (x, y) in [(114, 94), (325, 94), (114, 135), (325, 135)] {
        assert!(
            max_channel_diff(after.at(x, y), FILL) <= 20,
            "pixel {x},{y} is {:?}",
            after.at(x, y)
        );
    }
    for (x, y) in [(118, 98), (321, 98), (118, 131), (321, 131), (140, 115), (300, 115)] {
        assert!(
            max_channel_diff(after.at(x, y), FILL) <= 6,
            "pixel {x},{y} is {:?}",
            after.at(x, y)
        );
    }
    let n_mark = (95..136)
        .flat_map(|y| (114..326).map(move |x| (x, y)))
        .filter(|&(x, y)| max_channel_diff(after.at(x, y), FILL) > 30)
        .count();
    assert!(n_mark > 50, "the mask shows a mark");

    // Masks cover whole 16 px MCUs (112..336 × 80..144 here); beyond the MCUs next to those,
    // whose edge pixels take a little of the fill's colour in upsampling, the frame is
    // exactly what it was.
    for (x, y) in after.points() {
        let near = (96..352).contains(&x) && (64..160).contains(&y);
        if !near {
            assert_eq!(after.at(x, y), before.at(x, y), "pixel {x},{y} changed");
        }
    }
    let n_ink = |p: &Picture| {
        p.points().filter(|&(x, y)| (200..230).contains(&y) && p.at(x, y)[0] < 100).count()
    };
    assert!(n_ink(&after) as f64 > 0.95 * n_ink(&before) as f64, "the ink text is kept");
}

#[test]
fn rects_are_scaled_when_the_frame_has_twice_the_css_size() {
    let jpeg = checkout_page(2).jpeg(60);
    let before = Picture::decode(&jpeg);
    assert!(before.n_magenta() > 4000, "the test page must show magenta");

    // CSS pixels: the field is at (120, 100, 200×30) in a 640×360 viewport.
    let masked = mask(&raw(jpeg, 640, 360), &rects(&[(118.0, 98.0, 204.0, 34.0)]));
    let after = Picture::decode(&masked.frame().jpeg);
    assert_eq!((after.width, after.height), (1280, 720));
    assert_eq!(after.n_magenta(), 0, "magenta is left in the masked frame");
    // The margin is 4 CSS px = 8 frame px: the box is 228..652 × 188..272 frame px.
    assert!(max_channel_diff(after.at(236, 196), FILL) <= 6);
    assert!(max_channel_diff(after.at(644, 264), FILL) <= 6);
    assert!(max_channel_diff(after.at(210, 170), WHITE) <= 6);
    assert!(max_channel_diff(after.at(660, 270), WHITE) <= 6);
}

#[test]
fn rects_partly_outside_the_frame_are_clamped() {
    let mut page = Canvas::new(640, 360);
    page.text(0, 0, 100, 40, MAGENTA);
    page.text(560, 320, 80, 40, MAGENTA);
    page.text(300, 150, 80, 40, INK);
    let jpeg = page.jpeg(60);
    assert!(Picture::decode(&jpeg).n_magenta() > 1000, "the test page must show magenta");

    let plan = rects(&[(-50.0, -50.0, 152.0, 92.0), (558.0, 318.0, 1e9, 1e9)]);
    let masked = mask(&raw(jpeg, 640, 360), &plan);
    assert!(!masked.is_hidden());
    let after = Picture::decode(&masked.frame().jpeg);
    assert_eq!((after.width, after.height), (640, 360));
    assert_eq!(after.n_magenta(), 0, "magenta is left in the masked frame");
    assert!(max_channel_diff(after.at(0, 0), FILL) <= 6);
    assert!(max_channel_diff(after.at(639, 359), FILL) <= 6);
    assert!(max_channel_diff(after.at(300, 100), WHITE) <= 6);
}

#[test]
fn empty_negative_and_outside_rects_pass_the_frame_through_unchanged() {
    let jpeg = checkout_page(1).jpeg(60);
    let plan = rects(&[
        (120.0, 100.0, 0.0, 30.0),
        (120.0, 100.0, 200.0, -30.0),
        (320.0, 130.0, -200.0, -30.0),
        (700.0, 10.0, 50.0, 50.0),
        (10.0, -500.0, 50.0, 50.0),
    ]);
    let masked = mask(&raw(jpeg.clone(), 640, 360), &plan);
    assert!(!masked.is_hidden());
    assert_eq!(masked.frame().jpeg.as_ptr(), jpeg.as_ptr(), "the frame is not re-encoded");
    let empty = mask(&raw(jpeg.clone(), 640, 360), &MaskPlan::Rects(vec![]));
    assert_eq!(empty.frame().jpeg.as_ptr(), jpeg.as_ptr());
}

#[test]
fn a_rect_that_is_not_a_number_hides_the_whole_frame() {
    let jpeg = checkout_page(1).jpeg(60);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let plan = rects(&[(118.0, 98.0, 204.0, 34.0), (bad, 0.0, 10.0, 10.0)]);
        let masked = mask(&raw(jpeg.clone(), 640, 360), &plan);
        assert!(masked.is_hidden());
        let after = Picture::decode(&masked.frame().jpeg);
        assert_eq!((after.width, after.height), (640, 360));
        assert_all_fill(&after);
    }
}

#[test]
fn hide_all_fills_every_pixel_and_keeps_the_pixel_size() {
    let jpeg = checkout_page(2).jpeg(60);
    let masked = mask(&raw(jpeg, 640, 360), &MaskPlan::HideAll);
    assert!(masked.is_hidden());
    let after = Picture::decode(&masked.frame().jpeg);
    assert_eq!((after.width, after.height), (1280, 720));
    assert_all_fill(&after);
}

#[test]
fn the_hidden_frame_is_encoded_once_per_size() {
    let a = mask(&raw(checkout_page(1).jpeg(60), 640, 360), &MaskPlan::HideAll);
    let b = mask(&raw(checkout_page(1).jpeg(80), 640, 360), &MaskPlan::HideAll);
    assert_eq!(a.frame().jpeg.as_ptr(), b.frame().jpeg.as_ptr());
}

#[test]
fn a_clear_plan_passes_the_same_bytes() {
    let jpeg = checkout_page(1).jpeg(60);
    let masked = mask(&raw(jpeg.clone(), 640, 360), &MaskPlan::Clear);
    assert!(!masked.is_hidden());
    assert_eq!(masked.frame().jpeg, jpeg);
    assert_eq!(masked.frame().jpeg.as_ptr(), jpeg.as_ptr(), "the frame is not re-encoded");
}

#[test]
fn every_plan_keeps_the_raw_frames_geometry() {
    let jpeg = checkout_page(1).jpeg(60);
    let raw = raw(jpeg, 640, 360);
    for plan in [MaskPlan::Clear, MaskPlan::HideAll, rects(&[(118.0, 98.0, 204.0, 34.0)])] {
        let frame = mask(&raw, &plan).frame().clone();
        assert_eq!((frame.seq, frame.meta), (raw.seq, raw.meta), "{plan:?}");
    }
}

#[test]
fn garbage_bytes_with_rects_give_a_hidden_frame_of_the_css_size() {
    let garbage: [Bytes; 3] = [
        Bytes::from_static(b"not a jpeg"),
        Bytes::new(),
        Bytes::from(
            (0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect::<Vec<u8>>(),
        ),
    ];
    for jpeg in garbage {
        let masked: MaskedFrame = mask(&raw(jpeg, 320, 180), &rects(&[(10.0, 10.0, 50.0, 20.0)]));
        assert!(masked.is_hidden());
        let after = Picture::decode(&masked.frame().jpeg);
        assert_eq!((after.width, after.height), (320, 180));
        assert_all_fill(&after);
    }
}

#[test]
fn a_truncated_frame_with_rects_gives_a_hidden_frame_of_its_pixel_size() {
    let real = checkout_page(1).jpeg(60);
    let masked =
        mask(&raw(real.slice(..real.len() / 2), 320, 180), &rects(&[(10.0, 10.0, 50.0, 20.0)]));
    assert!(masked.is_hidden());
    let after = Picture::decode(&masked.frame().jpeg);
    assert_eq!((after.width, after.height), (640, 360));
    assert_all_fill(&after);
}

#[test]
fn a_frame_without_css_size_is_hidden_when_rects_are_to_be_painted() {
    let masked = mask(&raw(checkout_page(1).jpeg(60), 0, 0), &rects(&[(10.0, 10.0, 50.0, 20.0)]));
    assert!(masked.is_hidden());
    assert_eq!(Picture::decode(&masked.frame().jpeg).width, 640);
}

#[test]
fn a_masked_720p_frame_is_not_much_larger_than_its_input() {
    let mut page = Canvas::new(1280, 720);
    page.fill(0, 0, 1280, 64, [32, 60, 120]);
    page.text(40, 16, 600, 30, WHITE);
    for column in 0..2 {
        page.text(60 + column * 620, 100, 560, 400, INK);
    }
    page.gradient(700, 520, 500, 180);
    page.text(60, 520, 560, 160, MAGENTA);
    let jpeg = page.jpeg(60);
    let plan = rects(&[
        (60.0, 520.0, 400.0, 40.0),
        (60.0, 580.0, 180.0, 40.0),
        (280.0, 580.0, 180.0, 40.0),
    ]);
    let masked = mask(&raw(jpeg.clone(), 1280, 720), &plan);
    assert!(!masked.is_hidden());
    let (input, output) = (jpeg.len(), masked.frame().jpeg.len());
    assert!(output as f64 <= 1.3 * input as f64, "masked frame is {output} bytes, input {input}");
}

/// A xorshift generator: the same "random" damage on every run.
struct Damage(u64);

impl Damage {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as usize
    }
}

#[test]
fn damaged_frames_never_panic_and_give_a_decodable_or_hidden_frame() {
    let real = checkout_page(1).jpeg(60).to_vec();
    let plan = rects(&[(118.0, 98.0, 204.0, 34.0), (10.0, 300.0, 40.0, 40.0)]);
    let mut damage = Damage(0x9E37_79B9_7F4A_7C15);
    let (mut n_hidden, mut n_masked) = (0, 0);
    for round in 0..300 {
        let mut jpeg = real.clone();
        for _ in 0..1 + damage.next() % 3 {
            let at = damage.next() % jpeg.len();
            match damage.next() % 6 {
                0 => jpeg[at] ^= 1 << (damage.next() % 8),
                1 => jpeg[at] = damage.next() as u8,
                2 => jpeg[at] = 0xFF,
                3 => jpeg.truncate(at.max(2)),
                4 => drop(jpeg.drain(at..(at + 1 + damage.next() % 64).min(jpeg.len()))),
                _ => {
                    let piece = jpeg[at..(at + 1 + damage.next() % 64).min(jpeg.len())].to_vec();
                    let to = damage.next() % jpeg.len();
                    jpeg.splice(to..to, piece);
                }
            }
        }
        let masked = mask(&raw(Bytes::from(jpeg), 640, 360), &plan);
        // Whatever came out decodes: a masked frame, or the hidden one.
        let image = turbojpeg::decompress(&masked.frame().jpeg, turbojpeg::PixelFormat::RGB);
        assert!(image.is_ok(), "round {round}: the result does not decode: {:?}", image.err());
        if masked.is_hidden() {
            n_hidden += 1;
        } else {
            n_masked += 1;
        }
    }
    assert!(n_hidden > 0 && n_masked > 0, "{n_hidden} hidden, {n_masked} masked");
}

/// A frame of Chromium 156's screencast (`Page.startScreencast`, JPEG quality 60, 1280×720):
/// a checkout page whose card number, expiry and CVC fields show their values in magenta.
const CHROMIUM_FRAME: &[u8] = include_bytes!("data/chromium-checkout.jpg");
/// Those fields' boxes in CSS pixels, as the page reported them.
const CHROMIUM_FIELDS: [(f64, f64, f64, f64); 3] = [
    (143.75, 142.4375, 400.0, 44.0),
    (90.265625, 208.4375, 200.0, 44.0),
    (328.265625, 208.4375, 200.0, 44.0),
];

#[test]
fn a_real_chromium_frame_loses_its_secrets_and_nothing_else() {
    let jpeg = Bytes::from_static(CHROMIUM_FRAME);
    let before = Picture::decode(&jpeg);
    assert!(before.n_magenta() > 500, "the frame shows magenta");

    let masked = mask(&raw(jpeg.clone(), 1280, 720), &rects(&CHROMIUM_FIELDS));
    assert!(!masked.is_hidden());
    let after = Picture::decode(&masked.frame().jpeg);
    assert_eq!(after.n_magenta(), 0, "magenta is left in the masked frame");
    assert!(masked.frame().jpeg.len() < jpeg.len(), "the masked frame is smaller");

    // The fields plus the margin, grown to 16 px MCUs, and the MCUs around those.
    let near = |x: usize, y: usize| {
        CHROMIUM_FIELDS.iter().any(|&(fx, fy, fw, fh)| {
            let x0 = ((fx - 4.0) as usize / 16).saturating_sub(1) * 16;
            let y0 = ((fy - 4.0) as usize / 16).saturating_sub(1) * 16;
            let x1 = ((fx + fw + 4.0).ceil() as usize).div_ceil(16) * 16 + 16;
            let y1 = ((fy + fh + 4.0).ceil() as usize).div_ceil(16) * 16 + 16;
            (x0..x1).contains(&x) && (y0..y1).contains(&y)
        })
    };
    for (x, y) in after.points() {
        if !near(x, y) {
            assert_eq!(after.at(x, y), before.at(x, y), "pixel {x},{y} changed");
        }
    }
    // Inside each field (away from the lock mark in its middle) is the fill.
    for &(fx, fy, fw, fh) in &CHROMIUM_FIELDS {
        for (x, y) in
            [(fx + 2.0, fy + 2.0), (fx + fw - 3.0, fy + fh - 3.0), (fx + 10.0, fy + fh / 2.0)]
        {
            let p = after.at(x as usize, y as usize);
            assert!(max_channel_diff(p, FILL) <= 6, "pixel {x},{y} is {p:?}");
        }
    }
}
