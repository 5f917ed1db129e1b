//! Reading a recording back, chunk by chunk, each checked before anything of it is used.

use crate::chunk;
use crate::entry::Entry;
use crate::keys::MasterKeys;
use crate::manifest::{self, Manifest};
use crate::store::{check_name, ChunkStore};
use crate::writer::chunk_name;
use crate::RecordingError;
use model::{RecordingId, SessionId};
use ring::aead::LessSafeKey;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A stored recording whose data key opened: its chunks can be read in order.
pub struct Recording {
    store: Arc<dyn ChunkStore>,
    prefix: String,
    manifest: Manifest,
    key: LessSafeKey,
    /// The chunk indices found in the store.
    found: BTreeSet<u32>,
    /// The next chunk [`Recording::next_chunk`] reads, and whether the final one was read.
    next: u32,
    ended: bool,
}

impl Recording {
    /// The recordings of `session`, oldest first.
    pub async fn of_session(
        store: &dyn ChunkStore,
        session: &SessionId,
    ) -> Result<Vec<Manifest>, RecordingError> {
        let prefix = format!("{session}/");
        check_name(&prefix, true)?;
        let mut manifests = Vec::new();
        for name in store.list(&prefix).await? {
            let Some(recording) = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(&format!("/{}", manifest::NAME)))
            else {
                continue;
            };
            let bytes = store.get(&name).await?;
            manifests.push(Manifest::from_json(&bytes, recording)?);
        }
        manifests
            .sort_by(|a, b| (a.started_at_ms, &a.recording).cmp(&(b.started_at_ms, &b.recording)));
        Ok(manifests)
    }

    /// Opens `recording` of `session`: reads its manifest and unwraps its data key.
    pub async fn open(
        store: Arc<dyn ChunkStore>,
        keys: &MasterKeys,
        session: &SessionId,
        recording: &RecordingId,
    ) -> Result<Recording, RecordingError> {
        let prefix = crate::prefix(session, recording);
        check_name(&prefix, true)?;
        let bytes = store.get(&format!("{prefix}{}", manifest::NAME)).await?;
        let manifest = Manifest::from_json(&bytes, recording.as_str())?;
        if &manifest.session != session {
            return Err(RecordingError::Manifest {
                recording: recording.to_string(),
                reason: format!("it names the session {}", manifest.session),
            });
        }
        let context = Manifest::key_context(recording, session, manifest.started_at_ms);
        let key = keys.unwrap(&manifest.key, &context, recording.as_str())?;
        let found = store
            .list(&prefix)
            .await?
            .iter()
            .filter_map(|name| {
                let index: u32 =
                    name.strip_prefix(&prefix)?.strip_suffix(".chunk")?.parse().ok()?;
                (*name == chunk_name(&prefix, index)).then_some(index)
            })
            .collect();
        Ok(Recording { store, prefix, manifest, key, found, next: 0, ended: false })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// How many chunks are stored (not yet checked).
    pub fn chunks_found(&self) -> usize {
        self.found.len()
    }

    /// The entries of the next chunk, in order; `None` after the final chunk. A chunk that
    /// is missing, out of place, changed or cut, and a recording without its final chunk,
    /// are errors that name the chunk.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<Entry>>, RecordingError> {
        let recording = self.manifest.recording.to_string();
        if self.ended {
            return match self.found.range(self.next..).next() {
                Some(&index) => Err(RecordingError::AfterFinal { recording, index }),
                None => Ok(None),
            };
        }
        let index = self.next;
        if !self.found.contains(&index) {
            return Err(if self.found.range(index..).next().is_some() {
                RecordingError::ChunkMissing { recording, index }
            } else {
                RecordingError::Truncated { recording, chunks: index }
            });
        }
        let bytes = self.store.get(&chunk_name(&self.prefix, index)).await?;
        let auth =
            |reason| RecordingError::ChunkAuth { recording: recording.clone(), index, reason };
        let opened =
            chunk::open(&self.key, self.manifest.recording.as_str(), index, bytes).map_err(auth)?;
        let entries = Entry::decode_all(&opened.plain).map_err(auth)?;
        self.next += 1;
        self.ended = opened.last;
        if self.ended {
            if let Some(&after) = self.found.range(self.next..).next() {
                return Err(RecordingError::AfterFinal { recording, index: after });
            }
        }
        Ok(Some(entries))
    }
}
