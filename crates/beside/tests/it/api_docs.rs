//! docs/api.md runs as written: its `sh` blocks, in order, in one bash with curl and jq,
//! against the real server. A flow the server no longer answers as documented fails here.

use crate::support::TestApp;
use std::process::Command;

/// The `sh` blocks of a Markdown text, in order.
fn shell_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an `sh` block of docs/api.md is not closed");
    blocks
}

#[tokio::test]
async fn the_flows_of_docs_api_md_run_as_written() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let markdown = std::fs::read_to_string(path).unwrap();
    let blocks = shell_blocks(&markdown);
    assert!(blocks.len() >= 8, "docs/api.md has {} sh blocks", blocks.len());
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let script = format!("set -euo pipefail\n{}", blocks.join("\n"));
    let base = app.url("");
    let password = app.demo_password.clone();
    let work = dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-c", &script])
            .current_dir(work)
            .env("BESIDE", base.trim_end_matches('/'))
            .env("EMAIL", "agent@demo.example")
            .env("PASSWORD", password)
            .output()
            .expect("bash runs (curl and jq are installed by `cargo xtask setup`)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "docs/api.md failed:\n{stdout}\n{stderr}");

    // What the flows did is what the server now holds.
    let store = app.store().await;
    let company = store.company_by_slug("demo").await.unwrap().unwrap();
    let rules = store.rules(&company.id).await.unwrap();
    assert!(rules.iter().any(|r| r.selector == "#customer-number"), "{rules:?}\n{stdout}");
    assert_eq!(company.pin.ttl_secs, Some(900), "{stdout}");
    let agents = store.agents(&company.id).await.unwrap();
    assert!(agents.iter().any(|a| a.email == "new.agent@demo.example"), "{stdout}");
    assert!(stdout.contains("\"waiting\": false"), "the agent joined by PIN:\n{stdout}");
    assert!(!app.audited("agent_joined").await.is_empty(), "{stdout}");
    app.stop().await;
}
