//! What can go wrong with a recording, each saying which recording and chunk.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("cannot use the recording keys file {path}: {source}")]
    KeyFile { path: PathBuf, source: std::io::Error },
    #[error("the recording keys file {path} is not valid at line {line}: {reason}")]
    KeyFileFormat { path: PathBuf, line: usize, reason: String },
    #[error("the recording keys file {path} holds no key")]
    NoKey { path: PathBuf },
    #[error(
        "recording {recording} was sealed with the master key `{key_id}`, which the keys file \
         does not hold"
    )]
    UnknownKey { recording: String, key_id: String },
    #[error(
        "the data key of recording {recording} cannot be unwrapped: its manifest was changed or \
         damaged, or the master key `{key_id}` is not the one it was sealed with"
    )]
    Unwrap { recording: String, key_id: String },
    #[error("the manifest of recording {recording} cannot be read: {reason}")]
    Manifest { recording: String, reason: String },
    #[error(
        "chunk {index} of recording {recording} fails its authentication check (tampered, \
         damaged, or moved from another place): {reason}"
    )]
    ChunkAuth { recording: String, index: u32, reason: &'static str },
    #[error("chunk {index} of recording {recording} is missing")]
    ChunkMissing { recording: String, index: u32 },
    #[error(
        "recording {recording} is truncated: its final chunk is missing after {chunks} chunks"
    )]
    Truncated { recording: String, chunks: u32 },
    #[error("recording {recording} has chunk {index} after its final chunk")]
    AfterFinal { recording: String, index: u32 },
    #[error("the name `{0}` cannot name a recording object")]
    BadName(String),
    #[error("recording storage: {0}")]
    Storage(#[from] std::io::Error),
}
