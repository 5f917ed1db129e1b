//! `beside recording export` and `new-key` on recordings made the way the server makes
//! them: real JPEG frames and JSON events, sealed in chunks under the data directory.

use model::{RecordingId, SessionId};
use recording::{ChunkStore, DirStore, MasterKeys, Recorder};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

fn beside(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_beside"))
        .args(args)
        .env("BESIDE_DATA_DIR", data_dir)
        .env_remove("BESIDE_DATABASE_URL")
        .env_remove("BESIDE_RECORDINGS_KEY_FILE")
        .output()
        .expect("beside runs")
}

/// A small real JPEG of one colour, `shade` its red.
fn jpeg(shade: u8) -> Vec<u8> {
    let pixels = vec![[shade, 40, 90]; 32 * 24].concat();
    let image = turbojpeg::Image {
        pixels: pixels.as_slice(),
        width: 32,
        pitch: 32 * 3,
        height: 24,
        format: turbojpeg::PixelFormat::RGB,
    };
    turbojpeg::compress(image, 80, turbojpeg::Subsamp::Sub2x2).unwrap().to_vec()
}

/// Records 12 s of a session into `data_dir` (3 chunks and the final one); the session.
async fn record(data_dir: &Path) -> SessionId {
    let (keys, created) = MasterKeys::load_or_create(&data_dir.join("recordings.key")).unwrap();
    assert!(created);
    let store: Arc<dyn ChunkStore> = Arc::new(DirStore::new(data_dir.join("recordings")));
    let session = SessionId::random();
    let (mut rec, _) =
        Recorder::start(store, &keys, &session, RecordingId::random(), 1_764_806_400_000)
            .await
            .unwrap();
    for i in 0..24u64 {
        let at_ms = i * 500;
        rec.frame(at_ms, &jpeg(i as u8 * 10));
        if i % 5 == 0 {
            rec.event(
                at_ms,
                &format!(r#"{{"type":"navigated","url":"https://shop.example/{i}"}}"#),
            );
        }
        if rec.due(at_ms + 500) {
            rec.flush().await.unwrap();
        }
    }
    let (chunks, _) = rec.finish().await.unwrap();
    assert_eq!(chunks, 4);
    session
}

fn chunk(data_dir: &Path, session: &SessionId, index: u32) -> PathBuf {
    let dir = data_dir.join("recordings").join(session.as_str());
    let recording = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    recording.join(format!("{index:08}.chunk"))
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[tokio::test]
async fn export_writes_every_frame_and_the_timeline() {
    let data = crate::support::private_dir();
    let session = record(data.path()).await;
    let out = data.path().join("export");
    let run = beside(
        data.path(),
        &["recording", "export", "--session", session.as_str(), "--out", out.to_str().unwrap()],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("Exported 24 frames and 5 events"), "{}", text(&run.stdout));

    let timeline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("timeline.json")).unwrap()).unwrap();
    assert_eq!(timeline["session"], session.as_str());
    assert_eq!(timeline["started_at"], "2025-12-04T00:00:00Z");
    let frames = timeline["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 24);
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(frame["at_ms"], i as u64 * 500);
        let file = out.join(frame["file"].as_str().unwrap());
        let image =
            turbojpeg::decompress(&std::fs::read(&file).unwrap(), turbojpeg::PixelFormat::RGB)
                .unwrap();
        assert_eq!((image.width, image.height), (32, 24));
        let red = image.pixels[0];
        assert!(red.abs_diff(i as u8 * 10) <= 6, "frame {i} is the one recorded: red {red}");
    }
    let events = timeline["events"].as_array().unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(events[1]["at_ms"], 2500);
    assert_eq!(events[1]["event"]["url"], "https://shop.example/5");

    // A second export into the same directory would mix two; it is refused.
    let again = beside(
        data.path(),
        &["recording", "export", "--session", session.as_str(), "--out", out.to_str().unwrap()],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("is not empty"), "{}", text(&again.stderr));
}

#[tokio::test]
async fn a_damaged_or_missing_chunk_stops_the_export_naming_it() {
    let data = crate::support::private_dir();
    let session = record(data.path()).await;
    let path = chunk(data.path(), &session, 1);
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() - 40] ^= 0x04;
    std::fs::write(&path, &flipped).unwrap();
    let out = data.path().join("flipped");
    let run = beside(
        data.path(),
        &["recording", "export", "--session", session.as_str(), "--out", out.to_str().unwrap()],
    );
    assert_eq!(run.status.code(), Some(1));
    let err = text(&run.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("chunk 1 of recording rec_") && err.contains("authentication"), "{err}");
    assert!(!out.join("timeline.json").exists(), "no timeline for a broken recording");

    std::fs::write(&path, &good).unwrap();
    std::fs::remove_file(chunk(data.path(), &session, 2)).unwrap();
    let out = data.path().join("missing");
    let run = beside(
        data.path(),
        &["recording", "export", "--session", session.as_str(), "--out", out.to_str().unwrap()],
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(text(&run.stderr).contains("chunk 2 of recording rec_"), "{}", text(&run.stderr));
    assert!(text(&run.stderr).contains("is missing"), "{}", text(&run.stderr));
}

#[tokio::test]
async fn bad_requests_are_refused_clearly_and_a_new_key_keeps_old_recordings_readable() {
    let data = crate::support::private_dir();
    let out = data.path().join("out");
    let out = out.to_str().unwrap();
    let run = beside(data.path(), &["recording", "export", "--session", "nope", "--out", out]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("`nope` is not a session id"), "{}", text(&run.stderr));

    let run = beside(data.path(), &["recording", "new-key"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("no recording keys file"), "{}", text(&run.stderr));

    let session = record(data.path()).await;
    let other = SessionId::random();
    let run =
        beside(data.path(), &["recording", "export", "--session", other.as_str(), "--out", out]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("has no recording"), "{}", text(&run.stderr));

    let run = beside(data.path(), &["recording", "new-key"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("Added the master key k"), "{}", text(&run.stdout));
    let keys = MasterKeys::load(&data.path().join("recordings.key")).unwrap();
    assert_eq!(keys.ids().count(), 2);
    let run =
        beside(data.path(), &["recording", "export", "--session", session.as_str(), "--out", out]);
    assert!(run.status.success(), "the older key still opens: {}", text(&run.stderr));
}
