//! The differ's parts on frames drawn here: what is hashed, tiles cut from frames with restart
//! intervals, and the Huffman tables a tile takes. (What a viewer sees, decoded, is checked in
//! `tests/delta.rs`.)

use turbojpeg::Subsamp;

use super::*;
use crate::dct::tests::with_restarts;

/// A page `width`×`height` of text-like strokes and a gradient, with `patches` (x, y, width,
/// height) painted blue, encoded as Chromium's screencast does.
fn frame(width: usize, height: usize, patches: &[(usize, usize, usize, usize)]) -> Vec<u8> {
    frame_at(width, height, patches, 60)
}

/// [`frame`] at another quality.
fn frame_at(
    width: usize,
    height: usize,
    patches: &[(usize, usize, usize, usize)],
    quality: i32,
) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(3 * width * height);
    for y in 0..height {
        for x in 0..width {
            let patched = patches
                .iter()
                .any(|&(px, py, pw, ph)| (px..px + pw).contains(&x) && (py..py + ph).contains(&y));
            let ink = (y / 4) % 3 != 2 && (x / 5 + y / 12 * 7) % 11 < 7 && (x * 7 + y) % 13 < 6;
            let pixel = if patched {
                [26, 115, 232]
            } else if x > width * 2 / 3 {
                [(x % 256) as u8, (y % 256) as u8, 160]
            } else if ink {
                [20, 24, 36]
            } else {
                [255, 255, 255]
            };
            pixels.extend_from_slice(&pixel);
        }
    }
    let image = turbojpeg::Image {
        pixels: &pixels[..],
        width,
        pitch: 3 * width,
        height,
        format: turbojpeg::PixelFormat::RGB,
    };
    let mut compressor = turbojpeg::Compressor::new().unwrap();
    compressor.set_quality(quality).unwrap();
    compressor.set_subsamp(Subsamp::Sub2x2).unwrap();
    compressor.set_optimize(true).unwrap();
    compressor.compress_to_vec(image).unwrap()
}

/// The Y, Cb and Cr planes of a 4:2:0 JPEG as libjpeg-turbo decodes them (each as width,
/// height, samples; luma padded to even sizes).
fn planes(jpeg: &[u8]) -> Vec<(usize, usize, Vec<u8>)> {
    let header = turbojpeg::read_header(jpeg).unwrap();
    assert_eq!(header.subsamp, Subsamp::Sub2x2);
    let (width, height) = (header.width.next_multiple_of(2), header.height.next_multiple_of(2));
    let mut all = vec![0; width * height * 3 / 2];
    let image = turbojpeg::YuvImage {
        pixels: &mut all[..],
        width: header.width,
        align: 1,
        height: header.height,
        subsamp: Subsamp::Sub2x2,
    };
    turbojpeg::Decompressor::new().unwrap().decompress_to_yuv(jpeg, image).unwrap();
    let (luma, chroma) = all.split_at(width * height);
    let (cb, cr) = chroma.split_at(width * height / 4);
    vec![
        (width, height, luma.to_vec()),
        (width / 2, height / 2, cb.to_vec()),
        (width / 2, height / 2, cr.to_vec()),
    ]
}

/// Checks that every tile decodes to the samples `next` has where the tile goes.
fn assert_exact(next: &[u8], delta: &Delta) {
    let frame = planes(next);
    for tile in &delta.tiles {
        let tile_planes = planes(&tile.jpeg);
        for (plane, ((width, _, samples), (tile_width, tile_height, tile_samples))) in
            frame.iter().zip(&tile_planes).enumerate()
        {
            let scale = if plane == 0 { 1 } else { 2 };
            let (x, y) = (tile.x as usize / scale, tile.y as usize / scale);
            for row in 0..*tile_height {
                let want = &samples[(y + row) * width + x..][..*tile_width];
                let got = &tile_samples[row * tile_width..][..*tile_width];
                assert_eq!(got, want, "plane {plane}, row {row} of {tile:?}");
            }
        }
    }
}

/// Reads `jpeg` as the differ does and gives `run` the source of its tiles.
fn with_source<T>(jpeg: &[u8], run: impl FnOnce(&Source<'_>, &Tables) -> T) -> T {
    let header = markers::read(jpeg).unwrap();
    let mut unstuffed = Unstuffed::default();
    unstuffed.read(jpeg, header.scan.end).unwrap();
    let layout = Layout::new(&header);
    let decoders = Decoders::new(&header).unwrap();
    let slots = decoders.slots(&header, &layout).unwrap();
    let mut mcus = Mcus::default();
    mcus.read(&layout, &slots, &unstuffed, &RandomState::new()).unwrap();
    let tables = Tables::of_frame(&header).unwrap();
    let source = Source {
        jpeg,
        header: &header,
        layout: &layout,
        slots: &slots,
        unstuffed: &unstuffed,
        mcus: &mcus,
    };
    run(&source, &tables)
}

/// The entropy-coded data of a JPEG: from its scan header's end to its EOI.
fn scan_data(jpeg: &[u8]) -> &[u8] {
    &jpeg[markers::read(jpeg).unwrap().scan.end..jpeg.len() - 2]
}

#[test]
fn an_mcu_hashes_the_same_whatever_its_dc_was_coded_against() {
    // Restart markers reset the DC prediction, so the scan codes other DC differences; the
    // coefficients, and so the hashes, stay the same.
    let jpeg = frame(640, 360, &[]);
    let mut differ = Differ::new();
    assert_eq!(differ.diff(1, &jpeg), None);
    let restarted = with_restarts(&jpeg, 7);
    assert_ne!(scan_data(&jpeg), scan_data(&restarted));
    assert_eq!(differ.diff(2, &restarted), Some(Delta { base_seq: 1, tiles: vec![] }));
    let n_mcus = 40 * 23;
    assert_eq!(differ.last.as_ref().map(|last| last.hashes.len()), Some(n_mcus));
}

#[test]
fn frames_with_restart_intervals_give_exact_tiles_without_them() {
    let prev = frame(640, 360, &[]);
    let next = frame(640, 360, &[(100, 100, 30, 30), (500, 300, 20, 20), (630, 350, 10, 10)]);
    for interval in [1, 7, 40, 900] {
        let (prev, next) = (with_restarts(&prev, interval), with_restarts(&next, interval));
        let mut differ = Differ::new();
        assert_eq!(differ.diff(1, &prev), None);
        let delta = differ.diff(2, &next).unwrap();
        assert!(!delta.tiles.is_empty(), "interval {interval}");
        for tile in &delta.tiles {
            assert_eq!(markers::read(&tile.jpeg).unwrap().restart_interval, 0);
        }
        assert_exact(&next, &delta);
    }
}

#[test]
fn a_tile_of_the_whole_frame_is_the_frames_scan_bit_for_bit() {
    let jpeg = frame(640, 360, &[(100, 100, 30, 30)]);
    let tile = with_source(&jpeg, |source, tables| {
        let whole = Region { x0: 0, y0: 0, x1: 40, y1: 23 };
        source.write(whole, tables, &mut Vec::new(), None).unwrap()
    });
    assert_eq!((tile.x, tile.y, tile.width, tile.height), (0, 0, 640, 360));
    assert_eq!(scan_data(&tile.jpeg), scan_data(&jpeg));
}

#[test]
fn a_small_tile_takes_tables_made_for_it_when_they_cost_less() {
    let jpeg = frame(640, 360, &[(100, 100, 30, 30)]);
    let frame_dht = |jpeg: &[u8]| {
        let header = markers::read(jpeg).unwrap();
        let segment = header.segments.iter().find(|s| s.is_huffman).unwrap();
        jpeg[segment.bytes.clone()].to_vec()
    };
    let (small, with_frame_tables) = with_source(&jpeg, |source, tables| {
        let region = Region { x0: 6, y0: 6, x1: 9, y1: 9 };
        let tile = source.write(region, tables, &mut Vec::new(), None).unwrap();
        let mcus = (6..9).flat_map(|y| (6..9).map(move |x| y * 40 + x));
        let bits: u32 = mcus.map(|mcu| source.mcus.bits[mcu]).sum();
        (tile, source.overhead(tables) + bits as usize / 8)
    });
    assert_ne!(frame_dht(&small.jpeg), frame_dht(&jpeg));
    assert!(small.jpeg.len() < with_frame_tables, "{} bytes", small.jpeg.len());
    let delta = Delta { base_seq: 0, tiles: vec![small] };
    assert_exact(&jpeg, &delta);
}

#[test]
fn a_sibling_follows_only_when_its_last_frame_is_the_one_the_lead_compared_with() {
    let frames: Vec<Vec<u8>> = (0..4).map(|i| frame(256, 128, &[(16 * i, 16, 24, 24)])).collect();
    let mut lead = Differ::new();
    let mut follower = lead.sibling();
    // Nothing compared yet: nothing to follow.
    lead.diff(0, &frames[0]);
    assert!(!follower.follow(&lead, 0));
    follower.diff(0, &frames[0]);
    // The lead compared frame 1 with frame 0, the follower's last: it follows, and is at 1.
    lead.diff(1, &frames[1]);
    assert!(!follower.follow(&lead, 2), "not the frame the lead compared last");
    assert!(follower.follow(&lead, 1));
    assert_eq!(follower.last.as_ref().map(|l| l.seq), Some(1));
    // The follower skips 2: at 3 the lead compared with 2, so it compares by itself.
    lead.diff(2, &frames[2]);
    lead.diff(3, &frames[3]);
    assert!(!follower.follow(&lead, 3));
    assert!(follower.diff(3, &frames[3]).is_some_and(|d| d.base_seq == 1));
    // Same frames, another differ's keys: never.
    let mut stranger = Differ::new();
    stranger.diff(2, &frames[2]);
    assert!(!stranger.follow(&lead, 3));
    // A last frame of the same number with other coefficients (a masked copy): never.
    let mut other = lead.sibling();
    other.diff(2, &frames[0]);
    assert!(!other.follow(&lead, 3));
}

/// The mean absolute difference of two JPEGs' luma samples (same size).
fn luma_error(a: &[u8], b: &[u8]) -> f64 {
    let (pa, pb) = (planes(a), planes(b));
    let (sa, sb) = (&pa[0].2, &pb[0].2);
    assert_eq!(sa.len(), sb.len());
    sa.iter().zip(sb).map(|(&x, &y)| f64::from(x.abs_diff(y))).sum::<f64>() / sa.len() as f64
}

#[test]
fn a_frame_requantised_is_that_frame_at_the_coarser_quality() {
    let patches = [(100, 100, 90, 40)];
    let jpeg = frame(640, 360, &patches);
    let mut last = jpeg.len();
    for quality in [45, 30, 20] {
        let coarse = requantize(&jpeg, quality).expect("coarser");
        // libjpeg's tables for that quality, so the frame says it has that quality.
        assert_eq!(crate::quality::estimate(&coarse), Some(i32::from(quality)));
        let header = turbojpeg::read_header(&coarse).unwrap();
        assert_eq!((header.width, header.height), (640, 360));
        // Fewer bytes at every step.
        assert!(coarse.len() < last, "{quality}: {} bytes after {last}", coarse.len());
        last = coarse.len();
        // About what encoding the page at that quality gives: in bytes, and in how far the
        // picture is from the frame's.
        let direct = frame_at(640, 360, &patches, i32::from(quality));
        let size = coarse.len() as f64 / direct.len() as f64;
        let (error, direct_error) = (luma_error(&jpeg, &coarse), luma_error(&jpeg, &direct));
        assert!((0.7..1.3).contains(&size), "{quality}: {size} of the bytes of a direct encoding");
        assert!(
            error < 1.5 * direct_error + 0.5,
            "{quality}: error {error} against {direct_error}"
        );
    }
    // Quality 20 takes well under the bytes of quality 60 (55 % on this dense page).
    assert!((last as f64) < 0.6 * jpeg.len() as f64, "{last} of {}", jpeg.len());
}

#[test]
fn a_frame_is_never_requantised_finer_nor_when_it_cannot_be_read() {
    let jpeg = frame(320, 180, &[]);
    assert_eq!(requantize(&jpeg, 60), None, "the same quality");
    assert_eq!(requantize(&jpeg, 90), None, "a finer quality");
    assert_eq!(requantize(b"not a jpeg", 30), None);
    assert_eq!(requantize(&jpeg[..jpeg.len() / 2], 30), None);
}

#[test]
fn tiles_requantised_decode_to_the_requantised_frame() {
    let before = frame(640, 360, &[]);
    let after = frame(640, 360, &[(200, 120, 64, 48), (480, 40, 30, 200)]);
    let mut differ = Differ::new();
    assert_eq!(differ.diff(1, &before), None);
    let delta = differ.diff(2, &after).expect("tiles");
    assert!(!delta.tiles.is_empty());
    let coarse_frame = requantize(&after, 30).unwrap();
    let coarse = Delta {
        base_seq: delta.base_seq,
        tiles: delta
            .tiles
            .iter()
            .map(|t| Tile { jpeg: requantize(&t.jpeg, 30).unwrap(), ..t.clone() })
            .collect(),
    };
    // A tile's coefficients are the frame's, so requantised alike they decode alike.
    assert_exact(&coarse_frame, &coarse);
}
