//! One chunk as stored: `BSRC`, a format version, whether it is the last chunk, its index,
//! a nonce, then its entries sealed with AES-256-GCM under the recording's data key.
//!
//! The associated data binds the recording id, the index the reader expects at this place
//! and the last-chunk mark, so a chunk moved to another place or recording, or marked last
//! when it was not, fails authentication just as a changed byte does.

use ring::aead::{Aad, LessSafeKey, Nonce, NONCE_LEN};

const MAGIC: &[u8; 4] = b"BSRC";
const FORMAT: u8 = 1;
const HEADER_BYTES: usize = MAGIC.len() + 1 + 1 + 4 + NONCE_LEN;

fn associated_data(recording: &str, index: u32, last: bool) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32 + recording.len());
    aad.extend_from_slice(b"beside recording chunk v1\0");
    aad.extend_from_slice(recording.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&index.to_be_bytes());
    aad.push(u8::from(last));
    aad
}

/// The stored bytes of chunk `index` of `recording` holding `plain`.
pub(crate) fn seal(
    key: &LessSafeKey,
    recording: &str,
    index: u32,
    last: bool,
    plain: &[u8],
) -> Vec<u8> {
    let nonce = model::random_bytes::<NONCE_LEN>();
    let mut out = Vec::with_capacity(HEADER_BYTES + plain.len() + key.algorithm().tag_len());
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    out.push(u8::from(last));
    out.extend_from_slice(&index.to_be_bytes());
    out.extend_from_slice(&nonce);
    let mut body = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(associated_data(recording, index, last)),
        &mut body,
    )
    .expect("a chunk is far below AES-GCM's length limit");
    out.extend_from_slice(&body);
    out
}

/// A chunk that was opened: whether it is the last, and its entries' bytes.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) last: bool,
    pub(crate) plain: Vec<u8>,
}

/// Opens the chunk read at place `index`; the reason it is refused otherwise.
pub(crate) fn open(
    key: &LessSafeKey,
    recording: &str,
    index: u32,
    mut bytes: Vec<u8>,
) -> Result<Opened, &'static str> {
    if bytes.len() < HEADER_BYTES + key.algorithm().tag_len() {
        return Err("it is shorter than a chunk can be");
    }
    if &bytes[..4] != MAGIC {
        return Err("it does not begin as a chunk does");
    }
    if bytes[4] != FORMAT {
        return Err("its format version is unknown");
    }
    let last = match bytes[5] {
        0 => false,
        1 => true,
        _ => return Err("its last-chunk mark is neither yes nor no"),
    };
    if bytes[6..10] != index.to_be_bytes() {
        return Err("it says it belongs in another place");
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&bytes[10..HEADER_BYTES]);
    let body = &mut bytes[HEADER_BYTES..];
    let plain_len = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(associated_data(recording, index, last)),
            body,
        )
        .map_err(|_| "its contents do not match their seal")?
        .len();
    bytes.drain(..HEADER_BYTES);
    bytes.truncate(plain_len);
    Ok(Opened { last, plain: bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::aead::{UnboundKey, AES_256_GCM};

    fn key(byte: u8) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[byte; 32]).unwrap())
    }

    #[test]
    fn a_chunk_opens_only_where_and_as_it_was_sealed() {
        let k = key(1);
        let sealed = seal(&k, "rec_a", 3, false, b"entries");
        let opened = open(&k, "rec_a", 3, sealed.clone()).unwrap();
        assert_eq!((opened.last, &*opened.plain), (false, &b"entries"[..]));

        assert!(open(&k, "rec_a", 4, sealed.clone()).is_err(), "another place");
        assert!(open(&k, "rec_b", 3, sealed.clone()).is_err(), "another recording");
        assert!(open(&key(2), "rec_a", 3, sealed.clone()).is_err(), "another key");
        let mut marked = sealed.clone();
        marked[5] = 1;
        assert!(open(&k, "rec_a", 3, marked).is_err(), "marked last");
        for at in [0, 4, 6, 12, sealed.len() / 2, sealed.len() - 1] {
            let mut flipped = sealed.clone();
            flipped[at] ^= 0x10;
            assert!(open(&k, "rec_a", 3, flipped).is_err(), "byte {at} flipped");
        }
        for len in [0, 5, HEADER_BYTES, sealed.len() - 1] {
            assert!(open(&k, "rec_a", 3, sealed[..len].to_vec()).is_err(), "cut at {len}");
        }
    }

    #[test]
    fn an_empty_last_chunk_is_a_chunk() {
        let k = key(1);
        let opened = open(&k, "rec_a", 0, seal(&k, "rec_a", 0, true, b"")).unwrap();
        assert!(opened.last && opened.plain.is_empty());
    }
}
