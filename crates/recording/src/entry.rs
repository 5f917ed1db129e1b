//! What a chunk holds: entries, each `[kind u8][at_ms u64][length u32][bytes]` (big-endian).

/// One recorded thing, with its time since the recording began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A frame as the agent received it (JPEG).
    Frame { at_ms: u64, jpeg: Vec<u8> },
    /// A timeline event (cursor, annotation, chat, navigation, tab, control, blocked attempt)
    /// as a JSON object.
    Event { at_ms: u64, json: String },
}

const FRAME: u8 = 1;
const EVENT: u8 = 2;
const HEAD_BYTES: usize = 1 + 8 + 4;

impl Entry {
    pub fn at_ms(&self) -> u64 {
        match self {
            Entry::Frame { at_ms, .. } | Entry::Event { at_ms, .. } => *at_ms,
        }
    }

    /// Appends the entry's bytes to `out`.
    pub(crate) fn encode(kind: EntryRef<'_>, at_ms: u64, out: &mut Vec<u8>) {
        let (tag, bytes) = match kind {
            EntryRef::Frame(jpeg) => (FRAME, jpeg),
            EntryRef::Event(json) => (EVENT, json.as_bytes()),
        };
        let len = u32::try_from(bytes.len()).expect("an entry is far below 4 GiB");
        out.push(tag);
        out.extend_from_slice(&at_ms.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(bytes);
    }

    /// The entries of an opened chunk; `Err` names what is wrong (a chunk that authenticates
    /// was written by beside, so this is a defect of the writer, not tampering).
    pub(crate) fn decode_all(mut bytes: &[u8]) -> Result<Vec<Entry>, &'static str> {
        let mut entries = Vec::new();
        while !bytes.is_empty() {
            if bytes.len() < HEAD_BYTES {
                return Err("an entry is cut short");
            }
            let tag = bytes[0];
            let at_ms = u64::from_be_bytes(bytes[1..9].try_into().expect("8 bytes"));
            let len = u32::from_be_bytes(bytes[9..13].try_into().expect("4 bytes")) as usize;
            let body = bytes.get(HEAD_BYTES..HEAD_BYTES + len).ok_or("an entry is cut short")?;
            entries.push(match tag {
                FRAME => Entry::Frame { at_ms, jpeg: body.to_vec() },
                EVENT => Entry::Event {
                    at_ms,
                    json: String::from_utf8(body.to_vec()).map_err(|_| "an event is not UTF-8")?,
                },
                _ => return Err("an entry is of an unknown kind"),
            });
            bytes = &bytes[HEAD_BYTES + len..];
        }
        Ok(entries)
    }
}

/// An entry to encode, borrowed.
#[derive(Clone, Copy)]
pub(crate) enum EntryRef<'a> {
    Frame(&'a [u8]),
    Event(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_as_they_went() {
        let mut out = Vec::new();
        Entry::encode(EntryRef::Frame(&[0xff, 0xd8, 1]), 5, &mut out);
        Entry::encode(EntryRef::Event(r#"{"type":"navigated"}"#), 7, &mut out);
        Entry::encode(EntryRef::Frame(&[]), u64::MAX, &mut out);
        let back = Entry::decode_all(&out).unwrap();
        assert_eq!(
            back,
            [
                Entry::Frame { at_ms: 5, jpeg: vec![0xff, 0xd8, 1] },
                Entry::Event { at_ms: 7, json: r#"{"type":"navigated"}"#.into() },
                Entry::Frame { at_ms: u64::MAX, jpeg: vec![] },
            ]
        );
        for cut in 1..out.len() {
            if Entry::decode_all(&out[..cut]).is_ok() {
                assert!(cut == 16 || cut == 16 + 33, "cut at {cut} parsed");
            }
        }
        let mut unknown = out.clone();
        unknown[0] = 9;
        assert!(Entry::decode_all(&unknown).is_err());
    }
}
