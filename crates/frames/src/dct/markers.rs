//! Reading a JPEG's markers up to its scan: the quantisation and Huffman tables, the frame
//! header, the restart interval and the scan header. Only what masking in the compressed
//! domain can rewrite is accepted: baseline or extended sequential Huffman coding, 8-bit
//! samples, greyscale or YCbCr with chroma at full, half or quarter resolution, and a single
//! scan holding every component. Anything else is `Unsupported`, and masked on the pixels.

use std::ops::Range;

use super::huffman::Spec;
use super::Unsupported;

/// One colour component, in the order of the frame header (Y, Cb, Cr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Component {
    /// Its blocks per MCU, across and down (1×1 for chroma and for a greyscale frame).
    pub(crate) h: usize,
    pub(crate) v: usize,
    /// The quantisation table its blocks were quantised with, in zig-zag order.
    pub(crate) quant: [u16; 64],
    /// That table's id (0..=3).
    pub(crate) quant_id: usize,
    /// Its Huffman tables' ids (0..=3).
    pub(crate) dc_table: usize,
    pub(crate) ac_table: usize,
}

/// What masking needs to know of a JPEG before its entropy-coded data.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) components: Vec<Component>,
    /// Huffman tables by id, DC and AC, as defined when the scan starts.
    pub(crate) dc_specs: [Option<Spec>; 4],
    pub(crate) ac_specs: [Option<Spec>; 4],
    /// MCUs per restart interval; 0 for none.
    pub(crate) restart_interval: usize,
    /// The segments a masked frame keeps, in order (DQT, SOF, DHT, DRI), marker included.
    pub(crate) segments: Vec<Segment>,
    /// The scan header (SOS), marker included; its entropy-coded data follows it.
    pub(crate) scan: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) bytes: Range<usize>,
    /// Whether it defines Huffman tables (left out when they are made anew).
    pub(crate) is_huffman: bool,
}

/// The frame header as read, before the scan says which tables its components use.
struct Frame {
    width: usize,
    height: usize,
    /// Id, sampling factors and quantisation table id of each component.
    components: Vec<(u8, usize, usize, usize)>,
}

/// The colour transform markers a decoder looks at for a three-component frame.
#[derive(Default)]
struct Colour {
    jfif: bool,
    adobe_transform: Option<u8>,
}

fn corrupt(what: &'static str) -> Unsupported {
    Unsupported::Corrupt(what)
}

/// Reads the markers from SOI up to the first scan's header.
pub(crate) fn read(jpeg: &[u8]) -> Result<Header, Unsupported> {
    if jpeg.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(corrupt("no SOI marker"));
    }
    let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
    let (mut dc_specs, mut ac_specs): ([Option<Spec>; 4], [Option<Spec>; 4]) = Default::default();
    let mut restart_interval = 0;
    let mut frame = None;
    let mut colour = Colour::default();
    let mut segments = Vec::new();
    let mut at = 2;
    loop {
        if jpeg.get(at) != Some(&0xFF) {
            return Err(corrupt("no marker where one belongs"));
        }
        let marker = *jpeg.get(at + 1).ok_or(Unsupported::Truncated)?;
        if marker == 0xFF {
            // A fill byte.
            at += 1;
            continue;
        }
        let length = jpeg
            .get(at + 2..at + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or(Unsupported::Truncated)?;
        if length < 2 {
            return Err(corrupt("segment length below 2"));
        }
        let bytes = at..at + 2 + length;
        let payload = jpeg.get(at + 4..bytes.end).ok_or(Unsupported::Truncated)?;
        match marker {
            0xC0 | 0xC1 => {
                if frame.is_some() {
                    return Err(corrupt("two frame headers"));
                }
                frame = Some(read_frame(payload)?);
                segments.push(Segment { bytes: bytes.clone(), is_huffman: false });
            }
            0xC2 | 0xC6 | 0xCA | 0xCE => return Err(Unsupported::Process("progressive")),
            0xC3 | 0xC7 | 0xCB | 0xCF => return Err(Unsupported::Process("lossless")),
            0xC5 | 0xC9 | 0xCC | 0xCD => return Err(Unsupported::Process("arithmetic")),
            0xC4 => {
                read_huffman(payload, &mut dc_specs, &mut ac_specs)?;
                segments.push(Segment { bytes: bytes.clone(), is_huffman: true });
            }
            0xDB => {
                read_quant(payload, &mut quant)?;
                segments.push(Segment { bytes: bytes.clone(), is_huffman: false });
            }
            0xDD => {
                let value = payload.get(..2).filter(|_| payload.len() == 2);
                let value = value.ok_or(corrupt("bad DRI segment"))?;
                restart_interval = usize::from(u16::from_be_bytes([value[0], value[1]]));
                segments.push(Segment { bytes: bytes.clone(), is_huffman: false });
            }
            0xE0 if payload.starts_with(b"JFIF\0") => colour.jfif = true,
            0xEE if payload.starts_with(b"Adobe") => {
                colour.adobe_transform = Some(*payload.get(11).ok_or(corrupt("short Adobe"))?);
            }
            // Other application data and comments are left out of a masked frame.
            0xE0..=0xEF | 0xFE => {}
            0xDA => {
                let frame = frame.ok_or(corrupt("scan before the frame header"))?;
                let components = read_scan(payload, &frame, &quant, &colour)?;
                let referenced = |specs: &[Option<Spec>; 4], id: fn(&Component) -> usize| {
                    components.iter().all(|c| specs[id(c)].is_some())
                };
                if !referenced(&dc_specs, |c| c.dc_table) || !referenced(&ac_specs, |c| c.ac_table)
                {
                    return Err(corrupt("scan uses an undefined Huffman table"));
                }
                return Ok(Header {
                    width: frame.width,
                    height: frame.height,
                    components,
                    dc_specs,
                    ac_specs,
                    restart_interval,
                    segments,
                    scan: bytes,
                });
            }
            0xDC => return Err(Unsupported::Process("height given after the scan (DNL)")),
            0xDE | 0xDF => return Err(Unsupported::Process("hierarchical")),
            _ => return Err(corrupt("unexpected marker before the scan")),
        }
        at = bytes.end;
    }
}

fn read_frame(payload: &[u8]) -> Result<Frame, Unsupported> {
    let [precision, h1, h0, w1, w0, n_components, rest @ ..] = payload else {
        return Err(corrupt("short frame header"));
    };
    if *precision != 8 {
        return Err(Unsupported::Process("samples of more than 8 bits"));
    }
    let height = usize::from(u16::from_be_bytes([*h1, *h0]));
    let width = usize::from(u16::from_be_bytes([*w1, *w0]));
    if height == 0 {
        return Err(Unsupported::Process("height given after the scan (DNL)"));
    }
    if width == 0 || rest.len() != 3 * usize::from(*n_components) {
        return Err(corrupt("bad frame header"));
    }
    let components: Vec<_> = rest
        .chunks_exact(3)
        .map(|c| (c[0], usize::from(c[1] >> 4), usize::from(c[1] & 0x0F), usize::from(c[2])))
        .collect();
    if components
        .iter()
        .any(|&(_, h, v, q)| !(1..=4).contains(&h) || !(1..=4).contains(&v) || q > 3)
    {
        return Err(corrupt("bad frame header"));
    }
    let supported = match components.as_slice() {
        [_] => true,
        [(_, h, v, _), (_, 1, 1, _), (_, 1, 1, _)] => *h <= 2 && *v <= 2,
        _ => false,
    };
    if !supported {
        return Err(Unsupported::Layout);
    }
    Ok(Frame { width, height, components })
}

fn read_quant(mut payload: &[u8], quant: &mut [Option<[u16; 64]>; 4]) -> Result<(), Unsupported> {
    while let Some((&spec, rest)) = payload.split_first() {
        let (wide, id) = (spec >> 4 != 0, usize::from(spec & 0x0F));
        let size = if wide { 128 } else { 64 };
        let values = rest.get(..size).filter(|_| id < 4 && spec >> 4 <= 1);
        let values = values.ok_or(corrupt("bad quantisation table"))?;
        let mut table = [0u16; 64];
        for (k, q) in table.iter_mut().enumerate() {
            *q = if wide {
                u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
            } else {
                u16::from(values[k])
            };
        }
        if table.contains(&0) {
            return Err(corrupt("quantisation table with a zero"));
        }
        quant[id] = Some(table);
        payload = &rest[size..];
    }
    Ok(())
}

fn read_huffman(
    mut payload: &[u8],
    dc_specs: &mut [Option<Spec>; 4],
    ac_specs: &mut [Option<Spec>; 4],
) -> Result<(), Unsupported> {
    while let Some((&class_and_id, rest)) = payload.split_first() {
        let (class, id) = (class_and_id >> 4, usize::from(class_and_id & 0x0F));
        if class > 1 || id > 3 {
            return Err(corrupt("bad Huffman table id"));
        }
        let (spec, rest) = Spec::parse(rest)?;
        // Checked now, so a scan never starts with a table it cannot decode.
        spec.decoder()?;
        if class == 0 {
            dc_specs[id] = Some(spec);
        } else {
            ac_specs[id] = Some(spec);
        }
        payload = rest;
    }
    Ok(())
}

fn read_scan(
    payload: &[u8],
    frame: &Frame,
    quant: &[Option<[u16; 64]>; 4],
    colour: &Colour,
) -> Result<Vec<Component>, Unsupported> {
    let Some((&n_components, rest)) = payload.split_first() else {
        return Err(corrupt("short scan header"));
    };
    let n_components = usize::from(n_components);
    if rest.len() != 2 * n_components + 3 {
        return Err(corrupt("bad scan header"));
    }
    if n_components != frame.components.len() {
        return Err(Unsupported::Process("more than one scan"));
    }
    let (selectors, progression) = rest.split_at(2 * n_components);
    if progression != [0, 63, 0] {
        return Err(Unsupported::Process("spectral selection or successive approximation"));
    }
    if frame.components.len() == 3 {
        let ids: Vec<u8> = frame.components.iter().map(|c| c.0).collect();
        let ycbcr = if colour.jfif {
            true
        } else if let Some(transform) = colour.adobe_transform {
            transform == 1
        } else {
            ids != b"RGB"
        };
        if !ycbcr {
            return Err(Unsupported::Layout);
        }
    }
    let single = frame.components.len() == 1;
    frame
        .components
        .iter()
        .zip(selectors.chunks_exact(2))
        .map(|(&(id, h, v, quant_id), selector)| {
            if selector[0] != id {
                return Err(Unsupported::Process("components scanned out of order"));
            }
            let (dc_table, ac_table) =
                (usize::from(selector[1] >> 4), usize::from(selector[1] & 0x0F));
            if dc_table > 3 || ac_table > 3 {
                return Err(corrupt("bad Huffman table id"));
            }
            let quant = quant[quant_id].ok_or(corrupt("undefined quantisation table"))?;
            // A component scanned alone has one block per MCU, whatever its factors say.
            let (h, v) = if single { (1, 1) } else { (h, v) };
            Ok(Component { h, v, quant, quant_id, dc_table, ac_table })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(
        subsamp: turbojpeg::Subsamp,
        configure: impl FnOnce(&mut turbojpeg::Compressor),
    ) -> Vec<u8> {
        let pixels: Vec<u8> = (0..48 * 32 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let image = turbojpeg::Image {
            pixels: &pixels[..],
            width: 48,
            pitch: 48 * 3,
            height: 32,
            format: turbojpeg::PixelFormat::RGB,
        };
        let mut compressor = turbojpeg::Compressor::new().unwrap();
        compressor.set_quality(60).unwrap();
        compressor.set_subsamp(subsamp).unwrap();
        configure(&mut compressor);
        compressor.compress_to_vec(image).unwrap()
    }

    #[test]
    fn a_libjpeg_frame_is_read_with_its_layout_and_tables() {
        let bytes = jpeg(turbojpeg::Subsamp::Sub2x2, |_| {});
        let header = read(&bytes).unwrap();
        assert_eq!((header.width, header.height), (48, 32));
        let layout: Vec<_> =
            header.components.iter().map(|c| (c.h, c.v, c.dc_table, c.ac_table)).collect();
        assert_eq!(layout, [(2, 2, 0, 0), (1, 1, 1, 1), (1, 1, 1, 1)]);
        assert_eq!(header.components[0].quant[0], 13, "quality 60 scales 16 to 13");
        assert_eq!(header.restart_interval, 0);
        assert!(header.dc_specs[0].is_some() && header.ac_specs[1].is_some());
        assert_eq!(&bytes[header.scan.start..header.scan.start + 2], &[0xFF, 0xDA]);
        assert!(header.segments.iter().any(|s| s.is_huffman));

        let grey = read(&jpeg(turbojpeg::Subsamp::Gray, |_| {})).unwrap();
        assert_eq!(grey.components.len(), 1);
        let full = read(&jpeg(turbojpeg::Subsamp::None, |_| {})).unwrap();
        assert_eq!((full.components[0].h, full.components[0].v), (1, 1));
    }

    #[test]
    fn progressive_arithmetic_and_lossless_frames_are_unsupported() {
        let progressive = jpeg(turbojpeg::Subsamp::Sub2x2, |c| c.set_progressive(true).unwrap());
        assert!(matches!(read(&progressive), Err(Unsupported::Process(_))));
        let arithmetic = jpeg(turbojpeg::Subsamp::Sub2x2, |c| c.set_arithmetic(true).unwrap());
        assert!(matches!(read(&arithmetic), Err(Unsupported::Process(_))));
        let lossless = jpeg(turbojpeg::Subsamp::None, |c| c.set_lossless(true).unwrap());
        assert!(matches!(read(&lossless), Err(Unsupported::Process(_))));
    }

    #[test]
    fn odd_sampling_is_unsupported() {
        let odd = jpeg(turbojpeg::Subsamp::Sub4x1, |_| {});
        assert!(matches!(read(&odd), Err(Unsupported::Layout)));
    }

    #[test]
    fn every_cut_of_a_header_is_an_error_not_a_panic() {
        let bytes = jpeg(turbojpeg::Subsamp::Sub2x2, |_| {});
        let scan = read(&bytes).unwrap().scan;
        for end in 0..scan.end - 1 {
            assert!(read(&bytes[..end]).is_err(), "cut at {end}");
        }
    }
}
