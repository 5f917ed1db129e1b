//! Estimating the quality setting a JPEG was encoded with, from its luminance quantisation
//! table, so that a masked frame is re-encoded like the original (same size, same look).

/// The quality used when the input's cannot be told (Chromium's screencast default here).
pub(crate) const FALLBACK_QUALITY: i32 = 60;

/// The JPEG standard's luminance quantisation table (Annex K.1), in natural (row) order.
const STD_LUMA: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, //
    12, 12, 14, 19, 26, 58, 60, 55, //
    14, 13, 16, 24, 40, 57, 69, 56, //
    14, 17, 22, 29, 51, 87, 80, 62, //
    18, 22, 37, 56, 68, 109, 103, 77, //
    24, 35, 55, 64, 81, 104, 113, 92, //
    49, 64, 78, 87, 103, 121, 120, 101, //
    72, 92, 95, 98, 112, 100, 103, 99,
];

/// The JPEG standard's chrominance quantisation table (Annex K.2), in natural (row) order.
const STD_CHROMA: [u16; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, //
    18, 21, 26, 66, 99, 99, 99, 99, //
    24, 26, 56, 99, 99, 99, 99, 99, //
    47, 66, 99, 99, 99, 99, 99, 99, //
    99, 99, 99, 99, 99, 99, 99, 99, //
    99, 99, 99, 99, 99, 99, 99, 99, //
    99, 99, 99, 99, 99, 99, 99, 99, //
    99, 99, 99, 99, 99, 99, 99, 99,
];

/// The table libjpeg quantises luma (or chroma) with at `quality` (1–100), in zig-zag order.
pub(crate) fn table(quality: i32, chroma: bool) -> [u16; 64] {
    let base = if chroma { &STD_CHROMA } else { &STD_LUMA };
    let quality = quality.clamp(1, 100);
    let scale = if quality < 50 { 5000 / quality } else { 200 - 2 * quality };
    let scale = u32::try_from(scale).expect("qualities 1..=100 scale by 0..=5000");
    ZIGZAG.map(|natural| {
        let q = (u32::from(base[natural]) * scale + 50) / 100;
        u16::try_from(q.clamp(1, 255)).expect("clamped to 255")
    })
}

/// Position in natural order of the k-th coefficient in zig-zag (file) order.
pub(crate) const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// The quality (1–100) whose libjpeg luminance table is closest to the JPEG's table 0, or
/// `None` when the JPEG has no such table before its first scan.
pub(crate) fn estimate(jpeg: &[u8]) -> Option<i32> {
    let table = luma_table(jpeg)?;
    (1..=100).rev().min_by_key(|&quality| {
        let scaled = scaled_table(quality);
        ZIGZAG.iter().zip(table).map(|(&natural, q)| scaled[natural].abs_diff(q)).sum::<u32>()
    })
}

/// libjpeg's `jpeg_quality_scaling` applied to the standard table, limited to baseline values.
fn scaled_table(quality: i32) -> [u32; 64] {
    let scale = if quality < 50 { 5000 / quality } else { 200 - 2 * quality };
    let scale = u32::try_from(scale).expect("qualities 1..=100 scale by 0..=5000");
    STD_LUMA.map(|q| ((u32::from(q) * scale + 50) / 100).clamp(1, 255))
}

/// Quantisation table 0 in zig-zag order, from the DQT segments before the first scan.
fn luma_table(jpeg: &[u8]) -> Option<[u32; 64]> {
    if jpeg.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        let marker = *jpeg.get(at + 1)?;
        if jpeg[at] != 0xFF {
            return None;
        }
        if marker == 0xFF {
            // Fill byte before a marker.
            at += 1;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let length = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        let segment = jpeg.get(at + 4..at + 2 + length)?;
        if marker == 0xDB {
            if let Some(table) = table_zero(segment) {
                return Some(table);
            }
        }
        at += 2 + length;
    }
}

/// Table 0 of one DQT segment's payload, if it defines it.
fn table_zero(mut payload: &[u8]) -> Option<[u32; 64]> {
    while let Some((&spec, rest)) = payload.split_first() {
        let (precision, id) = (spec >> 4, spec & 0x0F);
        let wide = precision != 0;
        let size = if wide { 128 } else { 64 };
        let values = rest.get(..size)?;
        if id == 0 {
            let mut table = [0; 64];
            for (k, slot) in table.iter_mut().enumerate() {
                *slot = if wide {
                    u32::from(u16::from_be_bytes([values[2 * k], values[2 * k + 1]]))
                } else {
                    u32::from(values[k])
                };
            }
            return Some(table);
        }
        payload = &rest[size..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_at(quality: i32) -> Vec<u8> {
        let pixels: Vec<u8> = (0..32 * 32 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let image = turbojpeg::Image {
            pixels: &pixels[..],
            width: 32,
            pitch: 32 * 3,
            height: 32,
            format: turbojpeg::PixelFormat::RGB,
        };
        turbojpeg::compress(image, quality, turbojpeg::Subsamp::Sub2x2).unwrap().to_vec()
    }

    #[test]
    fn the_quality_of_a_libjpeg_encoded_frame_is_recovered() {
        for quality in [10, 30, 50, 60, 65, 70, 85, 95] {
            assert_eq!(estimate(&jpeg_at(quality)), Some(quality));
        }
    }

    #[test]
    fn bytes_without_a_table_give_no_estimate() {
        assert_eq!(estimate(b""), None);
        assert_eq!(estimate(b"\xff\xd8"), None);
        assert_eq!(estimate(b"\xff\xd8\xff\xdb\x00\x43\x00"), None);
        assert_eq!(estimate(b"not a jpeg at all"), None);
        let jpeg = jpeg_at(60);
        assert_eq!(estimate(&jpeg[..20]), None);
    }
}
