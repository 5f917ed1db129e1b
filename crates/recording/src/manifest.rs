//! A recording's manifest: which session it belongs to, when it began, and its data key
//! sealed under a master key. It is JSON beside the chunks; its fields are bound into the
//! sealed key, so changing any of them makes the key refuse to open.

use crate::keys::WrappedKey;
use crate::RecordingError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use model::{RecordingId, SessionId};
use serde::{Deserialize, Serialize};

/// The manifest's object name under a recording's prefix.
pub(crate) const NAME: &str = "manifest.json";

/// What a recording is, readable without any key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub recording: RecordingId,
    pub session: SessionId,
    /// When the recording began, in milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    pub(crate) key: WrappedKey,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u8,
    recording: RecordingId,
    session: SessionId,
    started_at_ms: u64,
    key_id: String,
    key_nonce: String,
    key_sealed: String,
}

impl Manifest {
    /// What the sealed data key is bound to.
    pub(crate) fn key_context(
        recording: &RecordingId,
        session: &SessionId,
        started_at_ms: u64,
    ) -> Vec<u8> {
        let mut ctx = b"beside recording key v1\0".to_vec();
        ctx.extend_from_slice(recording.as_str().as_bytes());
        ctx.push(0);
        ctx.extend_from_slice(session.as_str().as_bytes());
        ctx.push(0);
        ctx.extend_from_slice(&started_at_ms.to_be_bytes());
        ctx
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        let stored = Stored {
            format: 1,
            recording: self.recording.clone(),
            session: self.session.clone(),
            started_at_ms: self.started_at_ms,
            key_id: self.key.key_id.clone(),
            key_nonce: STANDARD.encode(self.key.nonce),
            key_sealed: STANDARD.encode(&self.key.sealed),
        };
        serde_json::to_vec_pretty(&stored).expect("a manifest serialises")
    }

    /// The manifest of `recording` from its stored bytes.
    pub(crate) fn from_json(bytes: &[u8], recording: &str) -> Result<Manifest, RecordingError> {
        let bad = |reason: String| RecordingError::Manifest { recording: recording.into(), reason };
        let stored: Stored = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if stored.format != 1 {
            return Err(bad(format!("format {} is unknown", stored.format)));
        }
        if stored.recording.as_str() != recording {
            return Err(bad(format!("it names the recording {}", stored.recording)));
        }
        let nonce = STANDARD
            .decode(&stored.key_nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| bad("the key's nonce is not 12 bytes of base64".into()))?;
        let sealed = STANDARD
            .decode(&stored.key_sealed)
            .map_err(|_| bad("the sealed key is not base64".into()))?;
        Ok(Manifest {
            recording: stored.recording,
            session: stored.session,
            started_at_ms: stored.started_at_ms,
            key: WrappedKey { key_id: stored.key_id, nonce, sealed },
        })
    }

    /// The master key id that seals this recording's data key.
    pub fn key_id(&self) -> &str {
        &self.key.key_id
    }
}
