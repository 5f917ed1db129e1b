//! Making a recording: entries gathered in memory and sealed a chunk at a time.

use crate::chunk;
use crate::entry::{Entry, EntryRef};
use crate::keys::{MasterKeys, KEY_BYTES};
use crate::manifest::{self, Manifest};
use crate::store::{check_name, ChunkStore};
use crate::RecordingError;
use model::{RecordingId, SessionId};
use ring::aead::{LessSafeKey, UnboundKey, AES_256_GCM};
use std::sync::Arc;

/// A chunk is sealed once its first entry is this old (milliseconds of recording time)...
pub const CHUNK_SPAN_MS: u64 = 4_000;
/// ...or once it holds this many bytes, whichever comes first.
pub const CHUNK_MAX_BYTES: usize = 4 << 20;

/// The object name of chunk `index` under a recording's prefix.
pub(crate) fn chunk_name(prefix: &str, index: u32) -> String {
    format!("{prefix}{index:08}.chunk")
}

/// A recording being made. Entries go to memory; [`Recorder::flush`] seals what was
/// gathered as the next chunk, [`Recorder::finish`] seals the final one.
pub struct Recorder {
    store: Arc<dyn ChunkStore>,
    prefix: String,
    recording: RecordingId,
    key: LessSafeKey,
    next_index: u32,
    buf: Vec<u8>,
    /// The recording time of the first entry in `buf`.
    buf_since_ms: Option<u64>,
    stored_bytes: u64,
}

impl Recorder {
    /// Begins `recording` of `session`: a new data key, sealed under the newest master key,
    /// goes into the manifest, which is stored at once.
    pub async fn start(
        store: Arc<dyn ChunkStore>,
        keys: &MasterKeys,
        session: &SessionId,
        recording: RecordingId,
        started_at_ms: u64,
    ) -> Result<(Recorder, Manifest), RecordingError> {
        let prefix = crate::prefix(session, &recording);
        check_name(&prefix, true)?;
        let data_key = model::random_bytes::<KEY_BYTES>();
        let context = Manifest::key_context(&recording, session, started_at_ms);
        let manifest = Manifest {
            recording: recording.clone(),
            session: session.clone(),
            started_at_ms,
            key: keys.wrap(&data_key, &context),
        };
        let json = manifest.to_json();
        let stored_bytes = json.len() as u64;
        store.put(&format!("{prefix}{}", manifest::NAME), json).await?;
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &data_key).expect("32 bytes make an AES-256 key"),
        );
        let recorder = Recorder {
            store,
            prefix,
            recording,
            key,
            next_index: 0,
            buf: Vec::new(),
            buf_since_ms: None,
            stored_bytes,
        };
        Ok((recorder, manifest))
    }

    /// Adds a frame the agent received (JPEG) at `at_ms` of recording time.
    pub fn frame(&mut self, at_ms: u64, jpeg: &[u8]) {
        self.push(EntryRef::Frame(jpeg), at_ms);
    }

    /// Adds a timeline event (a JSON object) at `at_ms` of recording time.
    pub fn event(&mut self, at_ms: u64, json: &str) {
        self.push(EntryRef::Event(json), at_ms);
    }

    fn push(&mut self, entry: EntryRef<'_>, at_ms: u64) {
        self.buf_since_ms.get_or_insert(at_ms);
        Entry::encode(entry, at_ms, &mut self.buf);
    }

    /// Whether what was gathered should be sealed now (`now_ms` in recording time).
    pub fn due(&self, now_ms: u64) -> bool {
        self.buf_since_ms.is_some_and(|since| now_ms.saturating_sub(since) >= CHUNK_SPAN_MS)
            || self.buf.len() >= CHUNK_MAX_BYTES
    }

    /// Seals what was gathered, if anything, as the next chunk.
    pub async fn flush(&mut self) -> Result<(), RecordingError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.seal(false).await
    }

    /// Seals what is left as the final chunk, which marks the recording complete; the
    /// chunks and bytes stored in all.
    pub async fn finish(mut self) -> Result<(u32, u64), RecordingError> {
        self.seal(true).await?;
        Ok((self.next_index, self.stored_bytes))
    }

    /// Bytes stored so far (manifest and chunks).
    pub fn stored_bytes(&self) -> u64 {
        self.stored_bytes
    }

    async fn seal(&mut self, last: bool) -> Result<(), RecordingError> {
        let index = self.next_index;
        let bytes = chunk::seal(&self.key, self.recording.as_str(), index, last, &self.buf);
        let len = bytes.len() as u64;
        self.store.put(&chunk_name(&self.prefix, index), bytes).await?;
        self.buf.clear();
        self.buf_since_ms = None;
        self.next_index += 1;
        self.stored_bytes += len;
        Ok(())
    }
}
