//! The master keys that wrap recordings' data keys, kept in one file.
//!
//! The file has one key a line, `<id> <base64 of 32 bytes>`, and `#` comments. The last key
//! wraps the data keys of new recordings; the ones before it still unwrap the recordings
//! they sealed, so a new master key is introduced by adding a line, without re-encrypting.

use crate::RecordingError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use std::fmt;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The file's name in the data directory when `BESIDE_RECORDINGS_KEY_FILE` names none.
pub const KEY_FILE_NAME: &str = "recordings.key";

/// Bytes of a master key and of a data key (AES-256).
pub(crate) const KEY_BYTES: usize = 32;

/// Longest key id.
const MAX_ID_CHARS: usize = 32;

const HEADER: &str = "\
# beside's recording master keys. BACK THIS FILE UP, apart from the recordings:
# without it no recording can be played or exported, and nothing can recover them.
# One key a line: <id> <base64 of 32 bytes>. The last key seals new recordings;
# keep the older ones, they open the recordings they sealed. Add a key with
# `beside recording new-key`.
";

struct MasterKey {
    id: String,
    key: [u8; KEY_BYTES],
}

/// The master keys of one file, newest last. Its `Debug` shows the ids only.
pub struct MasterKeys {
    keys: Vec<MasterKey>,
}

impl fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys.iter().map(|k| &k.id)).finish()
    }
}

/// A data key as the manifest keeps it: sealed under the master key `key_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrappedKey {
    pub(crate) key_id: String,
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) sealed: Vec<u8>,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

fn aead_key(bytes: &[u8; KEY_BYTES]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32 bytes make an AES-256 key"))
}

impl MasterKeys {
    /// The keys of a file's text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<MasterKeys, RecordingError> {
        let bad = |line: usize, reason: &str| RecordingError::KeyFileFormat {
            path: path.to_owned(),
            line,
            reason: reason.to_owned(),
        };
        let mut keys: Vec<MasterKey> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(id), Some(encoded), None) = (words.next(), words.next(), words.next()) else {
                return Err(bad(n + 1, "expected `<id> <base64 key>`"));
            };
            if !valid_id(id) {
                return Err(bad(n + 1, "a key id is 1 to 32 letters, digits, `-` or `_`"));
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(bad(n + 1, "this key id is used twice"));
            }
            let decoded =
                STANDARD.decode(encoded).map_err(|_| bad(n + 1, "the key is not base64"))?;
            let key: [u8; KEY_BYTES] =
                decoded.try_into().map_err(|_| bad(n + 1, "a key is 32 bytes"))?;
            keys.push(MasterKey { id: id.to_owned(), key });
        }
        if keys.is_empty() {
            return Err(RecordingError::NoKey { path: path.to_owned() });
        }
        Ok(MasterKeys { keys })
    }

    /// The keys of the file at `path`.
    pub fn load(path: &Path) -> Result<MasterKeys, RecordingError> {
        let io = |source| RecordingError::KeyFile { path: path.to_owned(), source };
        let text = std::fs::read_to_string(path).map_err(io)?;
        MasterKeys::parse(&text, path)
    }

    /// The keys of the file at `path`, made with one new key when there is no such file;
    /// `true` when it was made now (the caller tells the operator to back it up).
    pub fn load_or_create(path: &Path) -> Result<(MasterKeys, bool), RecordingError> {
        match MasterKeys::load(path) {
            Err(RecordingError::KeyFile { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                let keys = MasterKeys { keys: vec![new_key()] };
                write_file(path, &keys, true)?;
                Ok((keys, true))
            }
            other => other.map(|keys| (keys, false)),
        }
    }

    /// Adds a new key to the file at `path`, which seals recordings from now on; its id.
    /// Recordings already made keep opening with the older keys, which stay in the file.
    pub fn add_key(path: &Path) -> Result<String, RecordingError> {
        let mut keys = MasterKeys::load(path)?;
        let key = new_key();
        let id = key.id.clone();
        keys.keys.push(key);
        write_file(path, &keys, false)?;
        Ok(id)
    }

    /// Whether the file at `path` can be read by others than its owner.
    pub fn readable_by_others(path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
    }

    /// The ids of the keys, oldest first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    fn current(&self) -> &MasterKey {
        self.keys.last().expect("a key file holds at least one key (checked when parsed)")
    }

    /// Seals `data_key` under the newest master key, bound to `context` (what it is for).
    pub(crate) fn wrap(&self, data_key: &[u8; KEY_BYTES], context: &[u8]) -> WrappedKey {
        let master = self.current();
        let nonce = model::random_bytes::<NONCE_LEN>();
        let mut sealed = data_key.to_vec();
        aead_key(&master.key)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut sealed,
            )
            .expect("sealing 32 bytes cannot fail");
        WrappedKey { key_id: master.id.clone(), nonce, sealed }
    }

    /// The data key `wrapped` seals, if it was sealed for `context` by one of these keys.
    pub(crate) fn unwrap(
        &self,
        wrapped: &WrappedKey,
        context: &[u8],
        recording: &str,
    ) -> Result<LessSafeKey, RecordingError> {
        let Some(master) = self.keys.iter().find(|k| k.id == wrapped.key_id) else {
            return Err(RecordingError::UnknownKey {
                recording: recording.to_owned(),
                key_id: wrapped.key_id.clone(),
            });
        };
        let mut buf = wrapped.sealed.clone();
        let opened = aead_key(&master.key)
            .open_in_place(
                Nonce::assume_unique_for_key(wrapped.nonce),
                Aad::from(context),
                &mut buf,
            )
            .ok()
            .and_then(|plain| <[u8; KEY_BYTES]>::try_from(&*plain).ok());
        match opened {
            Some(key) => Ok(aead_key(&key)),
            None => Err(RecordingError::Unwrap {
                recording: recording.to_owned(),
                key_id: wrapped.key_id.clone(),
            }),
        }
    }
}

fn new_key() -> MasterKey {
    let tag = model::random_bytes::<4>();
    let id = format!("k{}", tag.iter().map(|b| format!("{b:02x}")).collect::<String>());
    MasterKey { id, key: model::random_bytes::<KEY_BYTES>() }
}

/// Writes the keys to `path` readable by its owner only, through a new file renamed over
/// the old one (a crash leaves the old file or the new one, never half of either).
/// With `create_new`, a file that appeared meanwhile is not replaced.
fn write_file(path: &Path, keys: &MasterKeys, create_new: bool) -> Result<(), RecordingError> {
    let io = |source| RecordingError::KeyFile { path: path.to_owned(), source };
    let mut text = String::from(HEADER);
    for key in &keys.keys {
        text.push_str(&format!("{} {}\n", key.id, STANDARD.encode(key.key)));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(io)?;
    let placed = if create_new {
        std::fs::hard_link(&tmp, path).and_then(|()| std::fs::remove_file(&tmp))
    } else {
        std::fs::rename(&tmp, path)
    };
    placed.map_err(|err| {
        let _ = std::fs::remove_file(&tmp);
        io(err)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_private_and_a_second_key_keeps_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/recordings.key");
        let (keys, created) = MasterKeys::load_or_create(&path).unwrap();
        assert!(created);
        assert!(!MasterKeys::readable_by_others(&path));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("BACK THIS FILE UP"));
        let first: Vec<String> = keys.ids().map(str::to_owned).collect();
        assert_eq!(first.len(), 1);

        let (again, created) = MasterKeys::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again.ids().collect::<Vec<_>>(), first);

        let sealed = keys.wrap(&[7; KEY_BYTES], b"ctx");
        let new_id = MasterKeys::add_key(&path).unwrap();
        let both = MasterKeys::load(&path).unwrap();
        assert_eq!(both.ids().collect::<Vec<_>>(), [first[0].as_str(), new_id.as_str()]);
        assert!(both.unwrap(&sealed, b"ctx", "rec_a").is_ok(), "the old key still opens");
        assert_eq!(both.wrap(&[7; KEY_BYTES], b"ctx").key_id, new_id, "the new key seals");
        assert!(!MasterKeys::readable_by_others(&path));
    }

    #[test]
    fn a_key_sealed_for_one_context_does_not_open_for_another() {
        let keys = MasterKeys { keys: vec![new_key()] };
        let sealed = keys.wrap(&[1; KEY_BYTES], b"rec_a");
        assert!(keys.unwrap(&sealed, b"rec_a", "rec_a").is_ok());
        let err = keys.unwrap(&sealed, b"rec_b", "rec_b").unwrap_err();
        assert!(matches!(err, RecordingError::Unwrap { .. }), "{err}");
        let mut flipped = sealed.clone();
        flipped.sealed[3] ^= 1;
        assert!(keys.unwrap(&flipped, b"rec_a", "rec_a").is_err());
        let other = MasterKeys { keys: vec![new_key()] };
        let err = other.unwrap(&sealed, b"rec_a", "rec_a").unwrap_err();
        assert!(matches!(err, RecordingError::UnknownKey { .. }), "{err}");
    }

    #[test]
    fn bad_files_say_which_line() {
        let path = Path::new("/etc/beside/recordings.key");
        let good = STANDARD.encode([0u8; 32]);
        let cases = [
            ("k1\n", 1, "expected"),
            (&*format!("# c\nk/1 {good}\n"), 2, "key id"),
            (&*format!("k1 {good}\nk1 {good}\n"), 2, "twice"),
            ("k1 not-base64!\n", 1, "base64"),
            (&*format!("k1 {}\n", STANDARD.encode([0u8; 16])), 1, "32 bytes"),
        ];
        for (text, line, words) in cases {
            match MasterKeys::parse(text, path) {
                Err(RecordingError::KeyFileFormat { line: l, reason, .. }) => {
                    assert_eq!(l, line, "{text}");
                    assert!(reason.contains(words), "{reason}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(MasterKeys::parse("# none\n", path), Err(RecordingError::NoKey { .. })));
    }

    #[test]
    fn debug_shows_ids_only() {
        let keys = MasterKeys { keys: vec![MasterKey { id: "k1".into(), key: [0xab; KEY_BYTES] }] };
        let shown = format!("{keys:?}");
        assert_eq!(shown, "[\"k1\"]");
    }
}
