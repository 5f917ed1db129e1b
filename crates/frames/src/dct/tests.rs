//! Masking in the compressed domain, checked the way a viewer sees the result: test pages
//! with magenta secrets are encoded with libjpeg-turbo (as Chromium's screencast is), masked,
//! and decoded again with libjpeg-turbo, to planes and to RGB.

use bytes::Bytes;
use model::Rect;
use turbojpeg::Subsamp;

use super::bits::{BitReader, BitWriter, Unstuffed};
use super::block::{self, Block, Emit, Symbols as _};
use super::*;
use crate::geometry::{self, Mapping, Unmappable};
use crate::paint::{self, Mark, FILL, FILL_RGB, MARK_Y};
use crate::{MaskPlan, MaskRect, RawFrame};

const WHITE: [u8; 3] = [255, 255, 255];
const MAGENTA: [u8; 3] = [255, 0, 255];
const INK: [u8; 3] = [20, 20, 30];

/// An RGB picture to draw test pages on.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn fill(&mut self, x: usize, y: usize, width: usize, height: usize, colour: [u8; 3]) {
        for row in y..(y + height).min(self.height) {
            for col in x..(x + width).min(self.width) {
                let at = 3 * (row * self.width + col);
                self.pixels[at..at + 3].copy_from_slice(&colour);
            }
        }
    }

    /// Lines of "words": strokes `stroke` pixels high with gaps, filling the box.
    fn text(
        &mut self,
        x: usize,
        y: usize,
        width: usize,
        height: usize,
        colour: [u8; 3],
        seed: usize,
    ) {
        let stroke = (height / 10).clamp(2, 4);
        for (line, row) in (y..y + height.saturating_sub(stroke)).step_by(2 * stroke).enumerate() {
            let mut col = x;
            let mut word = line + seed;
            while col < x + width {
                let len = (3 + (word * 7) % 19).min(x + width - col);
                self.fill(col, row, len, stroke, colour);
                col += len + 3;
                word += 1;
            }
        }
    }

    /// A smooth colour gradient, green enough never to look magenta.
    fn gradient(&mut self, x: usize, y: usize, width: usize, height: usize) {
        for row in y..(y + height).min(self.height) {
            for col in x..(x + width).min(self.width) {
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

    fn encode(&self, subsamp: Subsamp, quality: i32, optimize: bool) -> Vec<u8> {
        let image = turbojpeg::Image {
            pixels: &self.pixels[..],
            width: self.width,
            pitch: 3 * self.width,
            height: self.height,
            format: turbojpeg::PixelFormat::RGB,
        };
        let mut compressor = turbojpeg::Compressor::new().unwrap();
        compressor.set_quality(quality).unwrap();
        compressor.set_subsamp(subsamp).unwrap();
        compressor.set_optimize(optimize).unwrap();
        compressor.compress_to_vec(image).unwrap()
    }
}

/// Secret fields in CSS pixels: a big one (room for the lock mark), a small one, one that
/// runs off the frame's bottom right corner.
const FIELDS: [(usize, usize, usize, usize); 3] =
    [(100, 60, 240, 40), (420, 200, 60, 12), (600, 330, 100, 100)];

/// A 646×362 CSS-pixel page drawn at `scale`: ink text, a picture, magenta text in the fields.
fn page(scale: usize, seed: usize) -> Canvas {
    let (width, height) = (646 * scale, 362 * scale);
    let mut page = Canvas { width, height, pixels: WHITE.repeat(width * height) };
    let s = |v: usize| v * scale;
    page.fill(0, 0, width, s(30), [24, 40, 72]);
    page.text(s(10), s(8), s(200), s(14), WHITE, seed);
    page.text(s(20), s(120), s(300), s(200), INK, seed);
    page.gradient(s(380), s(40), s(220), s(140));
    for (x, y, w, h) in FIELDS {
        page.text(s(x), s(y), s(w), s(h), MAGENTA, seed + 3);
    }
    page
}

/// The fields' rectangles as a plan (the masking step adds its margin).
fn fields_plan() -> MaskPlan {
    MaskPlan::Rects(
        FIELDS
            .iter()
            .map(|&(x, y, w, h)| MaskRect {
                rect: Rect { x: x as f64, y: y as f64, width: w as f64, height: h as f64 },
            })
            .collect(),
    )
}

fn raw(jpeg: &[u8], css: (u32, u32)) -> RawFrame {
    RawFrame {
        seq: 7,
        jpeg: Bytes::copy_from_slice(jpeg),
        meta: model::FrameMeta { css_width: css.0, css_height: css.1, ..Default::default() },
    }
}

/// A frame decoded by libjpeg-turbo, to RGB and to its planes (no upsampling).
struct Decoded {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
    planes: Vec<u8>,
    layout: paint::Layout,
}

impl Decoded {
    fn new(jpeg: &[u8]) -> Self {
        let header = turbojpeg::read_header(jpeg).unwrap();
        let (width, height) = (header.width, header.height);
        let image = turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::RGB).unwrap();
        assert_eq!(image.pitch, 3 * width);
        let layout = paint::Layout::new(
            width,
            height,
            (header.subsamp != Subsamp::Gray).then(|| header.subsamp.size()),
        );
        let mut planes = vec![0; layout.len()];
        let yuv = turbojpeg::YuvImage {
            pixels: &mut planes[..],
            width,
            align: 1,
            height,
            subsamp: header.subsamp,
        };
        turbojpeg::Decompressor::new().unwrap().decompress_to_yuv(jpeg, yuv).unwrap();
        Self { width, height, rgb: image.pixels, planes, layout }
    }

    fn rgb(&self, x: usize, y: usize) -> [u8; 3] {
        let at = 3 * (y * self.width + x);
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }

    /// Each plane as (first byte, width, height, luma pixels per sample across and down).
    fn planes(&self) -> Vec<(usize, usize, usize, usize, usize)> {
        let l = self.layout;
        let mut planes = vec![(0, l.y_width, l.y_height, 1, 1)];
        if let Some(c) = l.chroma {
            let y_len = l.y_width * l.y_height;
            planes.push((y_len, c.width, c.height, c.sub_x, c.sub_y));
            planes.push((y_len + c.width * c.height, c.width, c.height, c.sub_x, c.sub_y));
        }
        planes
    }

    fn n_magenta(&self) -> usize {
        (0..self.height)
            .flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| is_magenta_ish(self.rgb(x, y)))
            .count()
    }
}

fn is_magenta_ish(p: [u8; 3]) -> bool {
    let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
    r - g > 40 && b - g > 40
}

fn max_diff(a: [u8; 3], b: [u8; 3]) -> u8 {
    (0..3).map(|i| a[i].abs_diff(b[i])).max().unwrap()
}

/// The MCU size of a libjpeg frame.
fn mcu_size(jpeg: &[u8]) -> (usize, usize) {
    let layout = Layout::new(&markers::read(jpeg).unwrap());
    (layout.mcu_width, layout.mcu_height)
}

/// What a masked frame must look like next to its input, decoded by libjpeg-turbo:
/// - every sample of a masked MCU is the fill, but for the lock mark's luma, which is darker
///   and the same whatever the page was (`same_cover_as`: a frame of another page, masked alike);
/// - every sample of every other MCU is as it was, and so is every pixel away from the masks;
/// - no magenta is left anywhere, and the masks' rectangles are the fill colour.
///
/// Returns the masked frame.
fn check(name: &str, jpeg: &[u8], css: (u32, u32), plan: &MaskPlan) -> Vec<u8> {
    let masked = crate::mask(&raw(jpeg, css), plan);
    assert!(!masked.is_hidden(), "{name}: hidden");
    let out = masked.frame().jpeg.to_vec();
    let (before, after) = (Decoded::new(jpeg), Decoded::new(&out));
    let (width, height) = (before.width, before.height);
    assert_eq!((after.width, after.height), (width, height), "{name}: size");

    let MaskPlan::Rects(rects) = plan else { panic!("a rects plan") };
    let mapping = || Mapping::new(css.0, css.1, width, height).ok_or(Unmappable::NoCssSize);
    let placement = geometry::to_pixels(rects.iter().map(|r| &r.rect), mapping).unwrap().unwrap();
    let scale = placement.mapping.scale_x.min(placement.mapping.scale_y);
    let in_compressed_domain = mask(jpeg, &placement.rects, scale, (width, height));
    assert_eq!(
        in_compressed_domain.unwrap().as_ref(),
        &out[..],
        "{name}: masked in the compressed domain"
    );

    let (mcu_w, mcu_h) = mcu_size(jpeg);
    let mcus_x = width.div_ceil(mcu_w);
    let mcus_y = height.div_ceil(mcu_h);
    let mut masked_mcus = vec![false; mcus_x * mcus_y];
    for rect in &placement.rects {
        for my in rect.y0 / mcu_h..rect.y1.div_ceil(mcu_h) {
            for mx in rect.x0 / mcu_w..rect.x1.div_ceil(mcu_w) {
                masked_mcus[my * mcus_x + mx] = true;
            }
        }
    }
    let mcu_of = |x: usize, y: usize| (y / mcu_h) * mcus_x + x / mcu_w;

    // The planes, sample by sample; luma blocks with a sample off the fill are the mark's.
    let mut darkest_mark = u8::MAX;
    let mut mark_blocks = std::collections::HashSet::new();
    for (plane, (start, plane_w, plane_h, sub_x, sub_y)) in before.planes().into_iter().enumerate()
    {
        for y in 0..plane_h {
            for x in 0..plane_w {
                let at = start + y * plane_w + x;
                let (was, is) = (before.planes[at], after.planes[at]);
                if !masked_mcus[mcu_of(x * sub_x, y * sub_y)] {
                    assert_eq!(is, was, "{name}: plane {plane} sample {x},{y} of an unmasked MCU");
                } else if plane == 0 && is.abs_diff(FILL[0]) > 1 {
                    assert!(
                        is <= FILL[0] + 2,
                        "{name}: mark sample {x},{y} is {is}, lighter than the fill"
                    );
                    darkest_mark = darkest_mark.min(is);
                    mark_blocks.insert((x / 8, y / 8));
                } else {
                    assert!(
                        is.abs_diff(FILL[plane]) <= 1,
                        "{name}: plane {plane} sample {x},{y} is {is}"
                    );
                }
            }
        }
    }
    // Each mark is on the block corner nearest to the middle of its rect.
    let marks: Vec<Mark> = placement.rects.iter().filter_map(|r| Mark::place(*r, scale)).collect();
    for &(bx, by) in &mark_blocks {
        let near = |m: &Mark| {
            (m.left.saturating_sub(8)..m.left + m.width() + 8).contains(&(bx * 8))
                && (m.top.saturating_sub(8)..m.top + m.height() + 8).contains(&(by * 8))
        };
        assert!(marks.iter().any(near), "{name}: block {bx},{by} is darker but no mark is there");
    }
    if !marks.is_empty() {
        assert!(darkest_mark <= MARK_Y + 20, "{name}: the mark shows (darkest {darkest_mark})");
    }

    // The pixels: secrets gone, masks filled, the rest as it was.
    assert!(before.n_magenta() > 100, "{name}: the test page shows magenta");
    assert_eq!(after.n_magenta(), 0, "{name}: magenta is left");
    let masked_at = |x: isize, y: isize| {
        let outside = x < 0 || y < 0 || x >= width as isize || y >= height as isize;
        outside || masked_mcus[mcu_of(x as usize, y as usize)]
    };
    for rect in &placement.rects {
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                if mark_blocks.contains(&(x / 8, y / 8)) {
                    continue;
                }
                let p = after.rgb(x, y);
                let (xi, yi) = (x as isize, y as isize);
                let inner = (-1..=1).all(|dy| (-1..=1).all(|dx| masked_at(xi + dx, yi + dy)));
                // The outermost pixels of a masked area take some colour of their unmasked
                // neighbours' chroma (libjpeg's smooth upsampling), never the secret's.
                let tolerance = if inner { 6 } else { 60 };
                assert!(max_diff(p, FILL_RGB) <= tolerance, "{name}: pixel {x},{y} is {p:?}");
            }
        }
    }
    for y in 0..height {
        for x in 0..width {
            let (mx, my) = ((x / mcu_w) as isize, (y / mcu_h) as isize);
            let near = (-1..=1).any(|dy| {
                (-1..=1).any(|dx| {
                    let (nx, ny) = (mx + dx, my + dy);
                    nx >= 0
                        && ny >= 0
                        && (nx as usize) < mcus_x
                        && (ny as usize) < mcus_y
                        && masked_mcus[ny as usize * mcus_x + nx as usize]
                })
            });
            if !near {
                assert_eq!(
                    after.rgb(x, y),
                    before.rgb(x, y),
                    "{name}: pixel {x},{y} away from the masks"
                );
            }
        }
    }
    assert!(
        out.len() <= jpeg.len() + jpeg.len() / 20 + 1024,
        "{name}: {} bytes masked from {}",
        out.len(),
        jpeg.len()
    );
    out
}

/// Whether `out` still carries `jpeg`'s Huffman tables, i.e. was written without new ones.
fn keeps_tables(jpeg: &[u8], out: &[u8]) -> bool {
    let header = markers::read(jpeg).unwrap();
    header
        .segments
        .iter()
        .filter(|s| s.is_huffman)
        .all(|s| out.windows(s.bytes.len()).any(|w| w == &jpeg[s.bytes.clone()]))
}

/// `jpeg` encoded again with a restart interval of `interval` MCUs (same tables, same
/// coefficients), as encoders that use restart markers write it.
pub(crate) fn with_restarts(jpeg: &[u8], interval: u16) -> Vec<u8> {
    let header = markers::read(jpeg).unwrap();
    assert_eq!(header.restart_interval, 0);
    let layout = Layout::new(&header);
    let decoders = Decoders::new(&header).unwrap();
    let slots = decoders.slots(&header, &layout).unwrap();
    let mut unstuffed = Unstuffed::default();
    unstuffed.read(jpeg, header.scan.end).unwrap();

    // Restarts change DC differences: record the symbols, then code them with optimal tables.
    let n_mcus = layout.n_mcus();
    let mut reader = BitReader::new(&unstuffed.data, unstuffed.data.len() - 8, 0);
    let mut preds_in = [0; 3];
    let mut block = Block::flat(0);
    let mut intervals = Vec::new();
    for start in (0..n_mcus).step_by(usize::from(interval)) {
        let mut symbols = Recorded::default();
        let mut preds_out = [0; 3];
        for _ in start..(start + usize::from(interval)).min(n_mcus) {
            for slot in &slots {
                let pred = &mut preds_in[slot.component];
                block::decode(&mut reader, slot.dc, slot.ac, pred, &mut block).unwrap();
                block::encode(&mut symbols, &block, slot.ids, &mut preds_out[slot.component])
                    .unwrap();
            }
        }
        intervals.push(symbols);
    }
    let mut counts = block::Counts::default();
    for &(ac, table, symbol, _) in intervals.iter().flat_map(|i| &i.0) {
        let counts = if ac { &mut counts.ac[table] } else { &mut counts.dc[table] };
        counts[usize::from(symbol)] += 1;
    }
    let optimal = |counts: &[[u32; 256]; 4]| -> [Option<Spec>; 4] {
        std::array::from_fn(|id| {
            counts[id].iter().any(|&n| n > 0).then(|| Spec::optimal(&counts[id]))
        })
    };
    let (dc, ac) = (optimal(&counts.dc), optimal(&counts.ac));
    let tables = encoders(&dc, &ac).unwrap();

    let mut out = vec![0xFF, 0xD8];
    write_segments(&mut out, jpeg, &header, false);
    write_huffman(&mut out, &dc, &ac);
    out.extend_from_slice(&[0xFF, 0xDD, 0, 4]);
    out.extend_from_slice(&interval.to_be_bytes());
    out.extend_from_slice(&jpeg[header.scan.clone()]);
    let n_intervals = intervals.len();
    for (i, symbols) in intervals.into_iter().enumerate() {
        let mut writer = BitWriter::new(&mut out);
        let mut emit = Emit { writer: &mut writer, tables: &tables };
        for (ac, table, symbol, extra) in symbols.0 {
            if ac {
                emit.ac(table, symbol, extra).unwrap();
            } else {
                emit.dc(table, symbol, extra).unwrap();
            }
        }
        writer.finish();
        if i + 1 < n_intervals {
            out.extend_from_slice(&[0xFF, 0xD0 + (i % 8) as u8]);
        }
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    // The same picture, now with restart markers.
    assert_eq!(Decoded::new(&out).planes, Decoded::new(jpeg).planes);
    assert_eq!(markers::read(&out).unwrap().restart_interval, usize::from(interval));
    out
}

/// Symbols as encoding gives them: (AC?, table, symbol, extra bits).
#[derive(Default)]
struct Recorded(Vec<(bool, usize, u8, u32)>);

impl block::Symbols for Recorded {
    fn dc(&mut self, table: usize, symbol: u8, extra: u32) -> Result<(), Unsupported> {
        self.0.push((false, table, symbol, extra));
        Ok(())
    }

    fn ac(&mut self, table: usize, symbol: u8, extra: u32) -> Result<(), Unsupported> {
        self.0.push((true, table, symbol, extra));
        Ok(())
    }
}

const CSS: (u32, u32) = (646, 362);

#[test]
fn a_chromium_like_frame_is_masked_in_the_compressed_domain() {
    let jpeg = page(1, 0).encode(Subsamp::Sub2x2, 60, true);
    check("4:2:0 q60", &jpeg, CSS, &fields_plan());
}

#[test]
fn a_frame_at_twice_the_css_size_is_masked_where_the_fields_are() {
    let jpeg = page(2, 0).encode(Subsamp::Sub2x2, 60, true);
    check("4:2:0 q60 ×2", &jpeg, CSS, &fields_plan());
}

#[test]
fn every_supported_sampling_is_masked_in_the_compressed_domain() {
    let page = page(1, 0);
    for (name, subsamp) in [
        ("4:4:4", Subsamp::None),
        ("4:2:2", Subsamp::Sub2x1),
        ("4:4:0", Subsamp::Sub1x2),
        ("greyscale", Subsamp::Gray),
    ] {
        let jpeg = page.encode(subsamp, 60, true);
        if subsamp == Subsamp::Gray {
            // No magenta in grey: the secrets must still be gone as flat fill.
            let out = crate::mask(&raw(&jpeg, CSS), &fields_plan());
            assert!(!out.is_hidden());
            continue;
        }
        check(name, &jpeg, CSS, &fields_plan());
    }
}

#[test]
fn greyscale_frames_are_covered_block_by_block() {
    let jpeg = page(1, 0).encode(Subsamp::Gray, 60, true);
    let MaskPlan::Rects(rects) = fields_plan() else { unreachable!() };
    let mapping = || Mapping::new(CSS.0, CSS.1, 646, 362).ok_or(Unmappable::NoCssSize);
    let placement = geometry::to_pixels(rects.iter().map(|r| &r.rect), mapping).unwrap().unwrap();
    let out = mask(&jpeg, &placement.rects, 1.0, (646, 362)).unwrap();
    let (before, after) = (Decoded::new(&jpeg), Decoded::new(&out));
    let inside = |x: usize, y: usize| {
        placement.rects.iter().any(|r| {
            (r.x0 / 8 * 8..r.x1.div_ceil(8) * 8).contains(&x)
                && (r.y0 / 8 * 8..r.y1.div_ceil(8) * 8).contains(&y)
        })
    };
    for y in 0..362 {
        for x in 0..646 {
            let (was, is) = (before.planes[y * 646 + x], after.planes[y * 646 + x]);
            if !inside(x, y) {
                assert_eq!(is, was, "{x},{y}");
            } else {
                assert!(is <= FILL[0] + 2, "{x},{y}: {is}");
            }
        }
    }
    let n_fill = (0..362 * 646).filter(|&at| after.planes[at].abs_diff(FILL[0]) <= 1).count();
    let n_mark = (0..362 * 646).filter(|&at| after.planes[at] < FILL[0] - 30).count();
    assert!(n_fill > 15_000 && n_mark > 50, "{n_fill} fill, {n_mark} mark");
}

#[test]
fn standard_tables_and_other_qualities_are_masked_in_the_compressed_domain() {
    let page = page(1, 0);
    let standard = page.encode(Subsamp::Sub2x2, 60, false);
    let out = check("standard tables", &standard, CSS, &fields_plan());
    assert!(keeps_tables(&standard, &out), "the standard tables code every symbol");
    for quality in [30, 90] {
        check(
            &format!("q{quality}"),
            &page.encode(Subsamp::Sub2x2, quality, true),
            CSS,
            &fields_plan(),
        );
    }
}

#[test]
fn frames_with_restart_intervals_are_masked_in_the_compressed_domain() {
    let page = page(1, 0);
    let cases = [
        ("4:2:0, restart every 7 MCUs", page.encode(Subsamp::Sub2x2, 60, true), 7),
        ("4:2:0, restart every row", page.encode(Subsamp::Sub2x2, 60, true), 41),
        ("4:4:4, restart every MCU", page.encode(Subsamp::None, 60, true), 1),
        ("4:2:0, one restart late in the frame", page.encode(Subsamp::Sub2x2, 60, true), 900),
    ];
    for (name, jpeg, interval) in cases {
        let restarted = with_restarts(&jpeg, interval);
        let out = check(name, &restarted, CSS, &fields_plan());
        assert_eq!(markers::read(&out).unwrap().restart_interval, usize::from(interval));
    }
}

#[test]
fn a_sparse_frame_whose_tables_lack_symbols_gets_new_tables() {
    // A white page with secrets only: its optimised tables know few symbols, none of the mark's.
    let mut page = Canvas { width: 646, height: 362, pixels: WHITE.repeat(646 * 362) };
    for (x, y, w, h) in FIELDS {
        page.text(x, y, w, h, MAGENTA, 1);
    }
    let jpeg = page.encode(Subsamp::Sub2x2, 60, true);
    let out = check("sparse", &jpeg, CSS, &fields_plan());
    assert!(!keeps_tables(&jpeg, &out), "new tables were written");
    assert!(out.len() < jpeg.len(), "{} bytes from {}", out.len(), jpeg.len());
}

#[test]
fn what_covers_a_mask_does_not_depend_on_the_page_under_it() {
    let (a, b) = (
        page(1, 0).encode(Subsamp::Sub2x2, 60, true),
        page(1, 5).encode(Subsamp::Sub2x2, 60, true),
    );
    assert_ne!(a, b);
    let (out_a, out_b) =
        (check("page a", &a, CSS, &fields_plan()), check("page b", &b, CSS, &fields_plan()));
    let (da, db) = (Decoded::new(&out_a), Decoded::new(&out_b));
    let (mcu_w, mcu_h) = mcu_size(&a);
    let MaskPlan::Rects(rects) = fields_plan() else { unreachable!() };
    let mapping = || Mapping::new(CSS.0, CSS.1, 646, 362).ok_or(Unmappable::NoCssSize);
    let placement = geometry::to_pixels(rects.iter().map(|r| &r.rect), mapping).unwrap().unwrap();
    let (start, plane_w, ..) = da.planes()[0];
    assert_eq!(start, 0);
    let mut n_compared = 0;
    for rect in &placement.rects {
        for y in rect.y0 / mcu_h * mcu_h..(rect.y1.div_ceil(mcu_h) * mcu_h).min(362) {
            for x in rect.x0 / mcu_w * mcu_w..(rect.x1.div_ceil(mcu_w) * mcu_w).min(646) {
                assert_eq!(da.planes[y * plane_w + x], db.planes[y * plane_w + x], "{x},{y}");
                n_compared += 1;
            }
        }
    }
    assert!(n_compared > 10_000);
}

#[test]
fn unsupported_frames_are_refused_here_and_masked_on_their_pixels() {
    let page = page(1, 0);
    let MaskPlan::Rects(rects) = fields_plan() else { unreachable!() };
    let mapping = || Mapping::new(CSS.0, CSS.1, 646, 362).ok_or(Unmappable::NoCssSize);
    let placement = geometry::to_pixels(rects.iter().map(|r| &r.rect), mapping).unwrap().unwrap();
    let progressive = {
        let mut compressor = turbojpeg::Compressor::new().unwrap();
        compressor.set_quality(60).unwrap();
        compressor.set_progressive(true).unwrap();
        let image = turbojpeg::Image {
            pixels: &page.pixels[..],
            width: 646,
            pitch: 646 * 3,
            height: 362,
            format: turbojpeg::PixelFormat::RGB,
        };
        compressor.compress_to_vec(image).unwrap()
    };
    let odd = page.encode(Subsamp::Sub4x1, 60, true);
    let good = page.encode(Subsamp::Sub2x2, 60, true);
    let mut twelve_bit = good.clone();
    let sof = twelve_bit.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    twelve_bit[sof + 4] = 12;
    let mut trailing_scan = good[..good.len() - 2].to_vec();
    trailing_scan.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
    for (name, jpeg) in [
        ("progressive", &progressive),
        ("4:1:1", &odd),
        ("12-bit", &twelve_bit),
        ("two scans", &trailing_scan),
        ("truncated", &good[..good.len() / 2].to_vec()),
    ] {
        assert!(mask(jpeg, &placement.rects, 1.0, (646, 362)).is_err(), "{name}");
        let masked = crate::mask(&raw(jpeg, CSS), &fields_plan());
        if !masked.is_hidden() {
            assert_eq!(Decoded::new(&masked.frame().jpeg).n_magenta(), 0, "{name}");
        }
    }
    assert!(mask(&good, &placement.rects, 1.0, (640, 362)).is_err(), "another size");
}

#[test]
fn damaged_scans_are_refused_or_give_frames_that_decode() {
    let page = page(1, 0);
    let MaskPlan::Rects(rects) = fields_plan() else { unreachable!() };
    let mapping = || Mapping::new(CSS.0, CSS.1, 646, 362).ok_or(Unmappable::NoCssSize);
    let placement = geometry::to_pixels(rects.iter().map(|r| &r.rect), mapping).unwrap().unwrap();
    let frames = [
        page.encode(Subsamp::Sub2x2, 60, true),
        with_restarts(&page.encode(Subsamp::Sub2x2, 60, true), 5),
        page.encode(Subsamp::Gray, 60, true),
    ];
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 16) as usize
    };
    let (mut n_refused, mut n_masked) = (0, 0);
    for real in &frames {
        let scan = markers::read(real).unwrap().scan.end;
        for round in 0..150 {
            let mut jpeg = real.clone();
            // Mostly the entropy-coded data, sometimes anywhere.
            let from = if round % 4 == 0 { 0 } else { scan };
            for _ in 0..1 + next() % 2 {
                let at = from + next() % (jpeg.len() - from);
                match next() % 4 {
                    0 => jpeg[at] ^= 1 << (next() % 8),
                    1 => jpeg[at] = next() as u8,
                    2 => jpeg[at] = 0xFF,
                    _ => jpeg.truncate(at.max(2)),
                }
            }
            match mask(&jpeg, &placement.rects, 1.0, (646, 362)) {
                Ok(out) => {
                    n_masked += 1;
                    let image = turbojpeg::decompress(&out, turbojpeg::PixelFormat::RGB);
                    assert!(image.is_ok(), "round {round}: {:?}", image.err());
                }
                Err(_) => n_refused += 1,
            }
        }
    }
    assert!(n_refused > 100 && n_masked > 10, "{n_refused} refused, {n_masked} masked");
}
