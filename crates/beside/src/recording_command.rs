//! `beside recording …`: exporting a session's recordings as JPEG files and a timeline, and
//! adding a master key.

use anyhow::Context;
use beside::{usage, Config};
use clap::Subcommand;
use model::SessionId;
use recording::{ChunkStore, DirStore, Entry, MasterKeys, Recording, RecordingError};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Subcommand)]
pub(crate) enum RecordingCommand {
    /// Write every recorded frame of a session as a JPEG file (frames/000001.jpg, …) and
    /// timeline.json (the frames' and events' times, and the events: cursors, annotations,
    /// chat, navigation, tabs, control, blocked attempts).
    ///
    /// Every chunk is checked before it is used; one that fails (changed, moved, cut or
    /// missing) stops the export with exit code 1 and a line naming it.
    Export {
        /// The session's id (ses_…).
        #[arg(long)]
        session: String,
        /// A directory that does not exist yet or is empty.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Add a master key to the keys file (BESIDE_RECORDINGS_KEY_FILE): recordings made from
    /// now on are sealed with it. The older keys stay in the file and still open the
    /// recordings they sealed; nothing is encrypted again. Back the file up afterwards.
    NewKey,
}

pub(crate) async fn run(config: &Config, command: RecordingCommand) -> anyhow::Result<()> {
    let key_file = config.recordings_key_file();
    match command {
        RecordingCommand::Export { session, out } => {
            let session = SessionId::parse(&session)
                .map_err(|_| usage(format!("`{session}` is not a session id (ses_…)")))?;
            let keys = load_keys(&key_file)?;
            export(&keys, &DirStore::new(config.recordings_dir()), &session, &out).await
        }
        RecordingCommand::NewKey => {
            let id = MasterKeys::add_key(&key_file).map_err(key_error)?;
            println!(
                "Added the master key {id} to {}: it seals the recordings made from now on.",
                key_file.display()
            );
            println!("Back this file up again; keep its older keys, they open older recordings.");
            Ok(())
        }
    }
}

fn load_keys(path: &Path) -> anyhow::Result<MasterKeys> {
    MasterKeys::load(path).map_err(key_error)
}

/// A keys file that is missing or malformed is the operator's to fix.
fn key_error(e: RecordingError) -> anyhow::Error {
    match e {
        RecordingError::KeyFile { ref source, ref path }
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            usage(format!(
                "there is no recording keys file at {} (BESIDE_RECORDINGS_KEY_FILE); \
                 `beside serve` makes one when it first records",
                path.display()
            ))
        }
        RecordingError::KeyFileFormat { .. } | RecordingError::NoKey { .. } => usage(e),
        other => other.into(),
    }
}

async fn export(
    keys: &MasterKeys,
    store: &DirStore,
    session: &SessionId,
    out: &Path,
) -> anyhow::Result<()> {
    let manifests = Recording::of_session(store, session).await?;
    let Some(first) = manifests.first() else {
        return Err(usage(format!(
            "session {session} has no recording in {}",
            store.root().display()
        )));
    };
    let origin = first.started_at_ms;
    let frames_dir = out.join("frames");
    if std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(usage(format!("{} is not empty; give a new directory", out.display())));
    }
    std::fs::create_dir_all(&frames_dir)
        .with_context(|| format!("cannot create {}", frames_dir.display()))?;

    let shared: Arc<dyn ChunkStore> = Arc::new(store.clone());
    let (mut frames, mut events, mut recordings) = (Vec::new(), Vec::new(), Vec::new());
    for manifest in &manifests {
        let offset = manifest.started_at_ms.saturating_sub(origin);
        let mut rec = Recording::open(shared.clone(), keys, session, &manifest.recording).await?;
        let mut chunks = 0u32;
        loop {
            let chunk = match rec.next_chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(err) => {
                    return Err(anyhow::anyhow!(
                        "{err}; the export stopped there ({} frames before it are in {})",
                        frames.len(),
                        frames_dir.display()
                    ))
                }
            };
            chunks += 1;
            for entry in chunk {
                let at_ms = offset + entry.at_ms();
                match entry {
                    Entry::Frame { jpeg, .. } => {
                        let file = format!("frames/{:06}.jpg", frames.len() + 1);
                        std::fs::write(out.join(&file), jpeg)
                            .with_context(|| format!("cannot write {file}"))?;
                        frames.push(json!({ "file": file, "at_ms": at_ms }));
                    }
                    Entry::Event { json, .. } => {
                        let event: Value =
                            serde_json::from_str(&json).unwrap_or(Value::String(json));
                        events.push(json!({ "at_ms": at_ms, "event": event }));
                    }
                }
            }
        }
        recordings.push(json!({
            "id": manifest.recording,
            "started_at": rfc3339(manifest.started_at_ms),
            "at_ms": offset,
            "chunks": chunks,
        }));
    }
    let timeline = json!({
        "session": session,
        "started_at": rfc3339(origin),
        "recordings": recordings,
        "frames": frames,
        "events": events,
    });
    let text = serde_json::to_string_pretty(&timeline).context("the timeline serialises")?;
    std::fs::write(out.join("timeline.json"), text).context("cannot write timeline.json")?;
    println!(
        "Exported {} frames and {} events of session {session} ({} recording{}) to {}.",
        frames.len(),
        events.len(),
        manifests.len(),
        if manifests.len() == 1 { "" } else { "s" },
        out.display()
    );
    Ok(())
}

fn rfc3339(unix_ms: u64) -> String {
    let nanos = i128::from(unix_ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}
