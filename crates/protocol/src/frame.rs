//! Binary frame messages: `[kind: u8][header_len: u32 BE][header JSON][bytes]`.
//!
//! Kind 1 carries a whole frame: the bytes are one JPEG. Kind 2 carries a frame as its changes
//! against the frame the same connection received before it (`base_seq`): the bytes are the
//! tiles' JPEGs one after another, each drawn at its place in the frame's pixels. Kind 2 is
//! sent only to clients that asked for it (`tiles=1` when opening the WebSocket).
//!
//! A header travels with every frame so the client can map coordinates with the
//! geometry the frame was taken at, not the newest one.

use model::FrameMeta;
use serde::{Deserialize, Serialize};

/// The first byte of a binary message that carries a JPEG frame.
pub const FRAME_KIND_JPEG: u8 = 1;
/// The first byte of a binary message that carries a frame as tiles changed since the last one.
pub const FRAME_KIND_TILES: u8 = 2;

/// Where one tile goes, in the frame's pixels, and how many bytes its JPEG has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileHeader {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub len: u32,
}

/// A frame sent as its changes: the frame's geometry, the frame they apply to, the tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TilesHeader {
    #[serde(flatten)]
    pub frame: FrameHeader,
    /// The frame these tiles change: the one this connection received last.
    pub base_seq: u64,
    pub tiles: Vec<TileHeader>,
}

/// A decoded binary message.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameMessage<'a> {
    /// A whole frame.
    Whole(FrameHeader, &'a [u8]),
    /// Changed tiles with their JPEGs, in order.
    Tiles(TilesHeader, Vec<&'a [u8]>),
}

/// Identity, geometry and time of one frame (the geometry and time as [`model::FrameMeta`],
/// its fields inline in the JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameHeader {
    /// Increases by one per frame produced for the session (gaps = frames skipped).
    pub seq: u64,
    #[serde(flatten)]
    pub meta: FrameMeta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameDecodeError {
    TooShort,
    UnknownKind(u8),
    BadHeader,
}

impl std::fmt::Display for FrameDecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameDecodeError::TooShort => f.write_str("frame message is truncated"),
            FrameDecodeError::UnknownKind(k) => write!(f, "unknown binary message kind {k}"),
            FrameDecodeError::BadHeader => f.write_str("frame header is not valid JSON"),
        }
    }
}

impl std::error::Error for FrameDecodeError {}

pub fn encode_frame(header: &FrameHeader, jpeg: &[u8]) -> Vec<u8> {
    let header = serde_json::to_vec(header).expect("frame headers always serialize");
    let header_len = u32::try_from(header.len()).expect("a frame header is a few dozen bytes");
    let mut out = Vec::with_capacity(5 + header.len() + jpeg.len());
    out.push(FRAME_KIND_JPEG);
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(jpeg);
    out
}

/// A frame as tiles: `tiles` are the placements (their `len` is set here) and the JPEGs.
pub fn encode_tiles(frame: &FrameHeader, base_seq: u64, tiles: &[(TileHeader, &[u8])]) -> Vec<u8> {
    let header = TilesHeader {
        frame: frame.clone(),
        base_seq,
        tiles: tiles
            .iter()
            .map(|(t, jpeg)| TileHeader {
                len: u32::try_from(jpeg.len()).expect("a tile is far smaller than 4 GiB"),
                ..*t
            })
            .collect(),
    };
    let header = serde_json::to_vec(&header).expect("tile headers always serialize");
    let header_len = u32::try_from(header.len()).expect("a tile header is a few KiB");
    let n_bytes: usize = tiles.iter().map(|(_, j)| j.len()).sum();
    let mut out = Vec::with_capacity(5 + header.len() + n_bytes);
    out.push(FRAME_KIND_TILES);
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(&header);
    for (_, jpeg) in tiles {
        out.extend_from_slice(jpeg);
    }
    out
}

/// Decodes either kind of frame message.
pub fn decode_message(bytes: &[u8]) -> Result<FrameMessage<'_>, FrameDecodeError> {
    match bytes.first() {
        Some(&FRAME_KIND_TILES) => {
            let (header, mut rest): (TilesHeader, &[u8]) = split(bytes)?;
            let mut jpegs = Vec::with_capacity(header.tiles.len());
            for tile in &header.tiles {
                let len = tile.len as usize;
                if rest.len() < len {
                    return Err(FrameDecodeError::TooShort);
                }
                let (jpeg, after) = rest.split_at(len);
                jpegs.push(jpeg);
                rest = after;
            }
            Ok(FrameMessage::Tiles(header, jpegs))
        }
        _ => decode_frame(bytes).map(|(h, jpeg)| FrameMessage::Whole(h, jpeg)),
    }
}

/// `[kind][u32 header length][header JSON][rest]` with the header parsed.
fn split<H: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<(H, &[u8]), FrameDecodeError> {
    let rest = bytes.get(1..).ok_or(FrameDecodeError::TooShort)?;
    let len_bytes: [u8; 4] =
        rest.get(..4).ok_or(FrameDecodeError::TooShort)?.try_into().expect("slice of 4");
    let header_len = u32::from_be_bytes(len_bytes) as usize;
    let header_bytes = rest.get(4..4 + header_len).ok_or(FrameDecodeError::TooShort)?;
    let header = serde_json::from_slice(header_bytes).map_err(|_| FrameDecodeError::BadHeader)?;
    Ok((header, &rest[4 + header_len..]))
}

pub fn decode_frame(bytes: &[u8]) -> Result<(FrameHeader, &[u8]), FrameDecodeError> {
    match bytes.first() {
        None => Err(FrameDecodeError::TooShort),
        Some(&FRAME_KIND_JPEG) => split(bytes),
        Some(&kind) => Err(FrameDecodeError::UnknownKind(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let h = FrameHeader {
            seq: 7,
            meta: FrameMeta {
                css_width: 1280,
                css_height: 720,
                scroll_x: 0.0,
                scroll_y: 120.5,
                timestamp_ms: 1.0,
            },
        };
        let bytes = encode_frame(&h, b"\xff\xd8jpeg");
        let (h2, jpeg) = decode_frame(&bytes).unwrap();
        assert_eq!(h2, h);
        assert_eq!(jpeg, b"\xff\xd8jpeg");
        assert_eq!(decode_frame(&bytes[..3]), Err(FrameDecodeError::TooShort));
        assert_eq!(decode_frame(&[9, 0, 0, 0, 0]), Err(FrameDecodeError::UnknownKind(9)));
        assert_eq!(decode_message(&bytes), Ok(FrameMessage::Whole(h, b"\xff\xd8jpeg")));
    }

    #[test]
    fn a_headers_geometry_and_time_are_fields_of_its_own() {
        let meta = FrameMeta {
            css_width: 390,
            css_height: 844,
            scroll_x: 0.0,
            scroll_y: 12.5,
            timestamp_ms: 3.0,
        };
        let tiles = TilesHeader { frame: FrameHeader { seq: 2, meta }, base_seq: 1, tiles: vec![] };
        let expected = serde_json::json!({
            "seq": 2, "css_width": 390, "css_height": 844, "scroll_x": 0.0, "scroll_y": 12.5,
            "timestamp_ms": 3.0, "base_seq": 1, "tiles": [],
        });
        assert_eq!(serde_json::to_value(&tiles).unwrap(), expected);
        assert_eq!(serde_json::from_value::<TilesHeader>(expected).unwrap(), tiles);
    }

    #[test]
    fn tiles_round_trip_and_truncation_is_caught() {
        let h = FrameHeader {
            seq: 9,
            meta: FrameMeta {
                css_width: 1280,
                css_height: 720,
                scroll_x: 0.0,
                scroll_y: 0.0,
                timestamp_ms: 2.0,
            },
        };
        let place = |x, y| TileHeader { x, y, width: 16, height: 32, len: 0 };
        let bytes = encode_tiles(&h, 8, &[(place(0, 16), b"one"), (place(64, 0), b"three")]);
        let FrameMessage::Tiles(header, jpegs) = decode_message(&bytes).unwrap() else {
            panic!("tiles decode as tiles");
        };
        assert_eq!(header.frame, h);
        assert_eq!(header.base_seq, 8);
        assert_eq!(
            header.tiles,
            vec![TileHeader { len: 3, ..place(0, 16) }, TileHeader { len: 5, ..place(64, 0) },]
        );
        assert_eq!(jpegs, vec![&b"one"[..], &b"three"[..]]);
        let empty = encode_tiles(&h, 8, &[]);
        assert!(
            matches!(decode_message(&empty), Ok(FrameMessage::Tiles(t, j)) if t.tiles.is_empty() && j.is_empty())
        );
        assert_eq!(decode_message(&bytes[..bytes.len() - 1]), Err(FrameDecodeError::TooShort));
        assert_eq!(decode_frame(&bytes), Err(FrameDecodeError::UnknownKind(2)));
    }
}
