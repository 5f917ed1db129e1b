//! A recording made, stored in a directory and read back; then every way of tampering with
//! it the issue names (a flipped byte, a removed, reordered or cut chunk, a missing end) is
//! found and names the chunk.

// Tests may unwrap: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

use model::{RecordingId, SessionId};
use recording::{ChunkStore, DirStore, Entry, MasterKeys, Recorder, Recording, RecordingError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Made {
    _dir: tempfile::TempDir,
    keys_path: PathBuf,
    root: PathBuf,
    session: SessionId,
    recording: RecordingId,
    entries: Vec<Entry>,
}

impl Made {
    fn keys(&self) -> MasterKeys {
        MasterKeys::load(&self.keys_path).unwrap()
    }

    fn store(&self) -> Arc<dyn ChunkStore> {
        Arc::new(DirStore::new(&self.root))
    }

    fn chunk(&self, index: u32) -> PathBuf {
        self.root.join(format!("{}/{}/{index:08}.chunk", self.session, self.recording))
    }

    async fn read(&self) -> Result<Vec<Entry>, RecordingError> {
        let mut rec =
            Recording::open(self.store(), &self.keys(), &self.session, &self.recording).await?;
        let mut all = Vec::new();
        while let Some(chunk) = rec.next_chunk().await? {
            all.extend(chunk);
        }
        Ok(all)
    }
}

/// A recording of 4 chunks: 3 of frames and events gathered over time, and the final one.
async fn make() -> Made {
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("recordings.key");
    let (keys, _) = MasterKeys::load_or_create(&keys_path).unwrap();
    let root = dir.path().join("recordings");
    let store: Arc<dyn ChunkStore> = Arc::new(DirStore::new(&root));
    let session = SessionId::random();
    let recording = RecordingId::random();
    let (mut rec, manifest) =
        Recorder::start(store, &keys, &session, recording.clone(), 1_764_000_000_000)
            .await
            .unwrap();
    assert_eq!(manifest.session, session);
    let mut entries = Vec::new();
    for at_ms in (0..12_000).step_by(500) {
        let jpeg = vec![0xff, 0xd8, (at_ms / 500) as u8, 0xff, 0xd9];
        rec.frame(at_ms, &jpeg);
        entries.push(Entry::Frame { at_ms, jpeg });
        if at_ms % 2_000 == 0 {
            let json = format!(r#"{{"type":"cursor","x":{at_ms}}}"#);
            rec.event(at_ms, &json);
            entries.push(Entry::Event { at_ms, json });
        }
        if rec.due(at_ms + 500) {
            rec.flush().await.unwrap();
        }
    }
    let (chunks, bytes) = rec.finish().await.unwrap();
    assert_eq!(chunks, 4, "three of 4 s and the final one");
    assert!(bytes > 0);
    Made { _dir: dir, keys_path, root, session, recording, entries }
}

fn swap(a: &Path, b: &Path) {
    let (x, y) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    std::fs::write(a, y).unwrap();
    std::fs::write(b, x).unwrap();
}

#[tokio::test]
async fn a_recording_reads_back_as_it_was_made() {
    let made = make().await;
    assert_eq!(made.read().await.unwrap(), made.entries);
    let store = made.store();
    let listed = Recording::of_session(&*store, &made.session).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].recording, made.recording);
    let on_disk = std::fs::read(made.chunk(0)).unwrap();
    assert!(
        !on_disk.windows(9).any(|w| w == br#""cursor""#.as_slice()),
        "a chunk's contents are not readable without the key"
    );
}

#[tokio::test]
async fn a_flipped_byte_is_found_in_its_chunk() {
    let made = make().await;
    let path = made.chunk(1);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let err = made.read().await.unwrap_err();
    assert!(matches!(err, RecordingError::ChunkAuth { index: 1, .. }), "{err}");
    assert!(err.to_string().contains("chunk 1 of recording rec_"), "{err}");
}

#[tokio::test]
async fn a_removed_chunk_is_named() {
    let made = make().await;
    std::fs::remove_file(made.chunk(2)).unwrap();
    let err = made.read().await.unwrap_err();
    assert!(matches!(err, RecordingError::ChunkMissing { index: 2, .. }), "{err}");
}

#[tokio::test]
async fn reordered_chunks_fail_where_they_were_put() {
    let made = make().await;
    swap(&made.chunk(0), &made.chunk(1));
    let err = made.read().await.unwrap_err();
    assert!(matches!(err, RecordingError::ChunkAuth { index: 0, .. }), "{err}");
}

#[tokio::test]
async fn a_cut_file_and_a_missing_end_are_found() {
    let made = make().await;
    let path = made.chunk(3);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    let err = made.read().await.unwrap_err();
    assert!(matches!(err, RecordingError::ChunkAuth { index: 3, .. }), "{err}");

    std::fs::remove_file(&path).unwrap();
    let err = made.read().await.unwrap_err();
    assert!(matches!(err, RecordingError::Truncated { chunks: 3, .. }), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[tokio::test]
async fn a_chunk_added_after_the_end_is_found() {
    let made = make().await;
    std::fs::copy(made.chunk(1), made.chunk(4)).unwrap();
    let err = made.read().await.unwrap_err();
    assert!(matches!(err, RecordingError::AfterFinal { index: 4, .. }), "{err}");
}

#[tokio::test]
async fn a_chunk_of_another_recording_does_not_open_in_this_one() {
    let a = make().await;
    let b = make().await;
    // b's keys file is another one; give b a's chunk under a's keys: the data key differs.
    std::fs::copy(a.chunk(1), b.chunk(1)).unwrap();
    let err = b.read().await.unwrap_err();
    assert!(matches!(err, RecordingError::ChunkAuth { index: 1, .. }), "{err}");
}

#[tokio::test]
async fn a_changed_manifest_or_a_lost_key_opens_nothing() {
    let made = make().await;
    let manifest = made.root.join(format!("{}/{}/manifest.json", made.session, made.recording));
    let text = std::fs::read_to_string(&manifest).unwrap();
    let changed = text.replace("1764000000000", "1764000000001");
    std::fs::write(&manifest, changed).unwrap();
    let err = made.read().await.unwrap_err();
    assert!(matches!(err, RecordingError::Unwrap { .. }), "{err}");
    std::fs::write(&manifest, &text).unwrap();
    assert!(made.read().await.is_ok());

    let other = tempfile::tempdir().unwrap();
    let (keys, _) = MasterKeys::load_or_create(&other.path().join("k")).unwrap();
    let err =
        Recording::open(made.store(), &keys, &made.session, &made.recording).await.err().unwrap();
    assert!(matches!(err, RecordingError::UnknownKey { .. }), "{err}");
}

#[tokio::test]
async fn a_new_master_key_seals_new_recordings_and_old_ones_still_open() {
    let made = make().await;
    let new_id = MasterKeys::add_key(&made.keys_path).unwrap();
    assert_eq!(made.read().await.unwrap(), made.entries);
    let keys = made.keys();
    let (mut rec, manifest) =
        Recorder::start(made.store(), &keys, &made.session, RecordingId::random(), 2)
            .await
            .unwrap();
    assert_eq!(manifest.key_id(), new_id);
    rec.event(0, "{}");
    rec.finish().await.unwrap();
    let listed = Recording::of_session(&*made.store(), &made.session).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].recording, manifest.recording, "oldest first");
}
