//! Binary frame messages: `[kind: u8][header_len: u32 BE][header JSON][JPEG bytes]`.
//!
//! A header travels with every frame so the client can map coordinates with the
//! geometry the frame was taken at, not the newest one.

use serde::{Deserialize, Serialize};

/// The first byte of a binary message that carries a JPEG frame.
pub const FRAME_KIND_JPEG: u8 = 1;

/// Geometry and identity of one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameHeader {
    /// Increases by one per frame produced for the session (gaps = frames skipped).
    pub seq: u64,
    /// Viewport in CSS pixels the frame shows.
    pub css_width: u32,
    pub css_height: u32,
    /// Page scroll offset when the frame was taken (CSS pixels).
    pub scroll_x: f64,
    pub scroll_y: f64,
    /// Milliseconds since the Unix epoch when Chromium produced the frame.
    pub timestamp_ms: f64,
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

pub fn decode_frame(bytes: &[u8]) -> Result<(FrameHeader, &[u8]), FrameDecodeError> {
    let (&kind, rest) = bytes.split_first().ok_or(FrameDecodeError::TooShort)?;
    if kind != FRAME_KIND_JPEG {
        return Err(FrameDecodeError::UnknownKind(kind));
    }
    let len_bytes: [u8; 4] =
        rest.get(..4).ok_or(FrameDecodeError::TooShort)?.try_into().expect("slice of 4");
    let header_len = u32::from_be_bytes(len_bytes) as usize;
    let header_bytes = rest.get(4..4 + header_len).ok_or(FrameDecodeError::TooShort)?;
    let header = serde_json::from_slice(header_bytes).map_err(|_| FrameDecodeError::BadHeader)?;
    Ok((header, &rest[4 + header_len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let h = FrameHeader {
            seq: 7,
            css_width: 1280,
            css_height: 720,
            scroll_x: 0.0,
            scroll_y: 120.5,
            timestamp_ms: 1.0,
        };
        let bytes = encode_frame(&h, b"\xff\xd8jpeg");
        let (h2, jpeg) = decode_frame(&bytes).unwrap();
        assert_eq!(h2, h);
        assert_eq!(jpeg, b"\xff\xd8jpeg");
        assert_eq!(decode_frame(&bytes[..3]), Err(FrameDecodeError::TooShort));
        assert_eq!(decode_frame(&[9, 0, 0, 0, 0]), Err(FrameDecodeError::UnknownKind(9)));
    }
}
