//! Files in and out of a session (issue 13): the page's file chooser goes to the customer
//! alone, who uploads the files for it; the page's downloads are offered to the customer alone
//! through single-use links; agents read that a file went in or out, never the file.

use crate::support::site::DOWNLOAD_BODY;
use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

const BOUNDARY: &str = "----besidetest7";
const MAX_UPLOAD: u64 = 1000;

/// A `multipart/form-data` body with one part per file, as a browser's `FormData` sends it.
fn form(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    app: &TestApp,
    session: &str,
    token: &str,
    chooser: &Value,
    files: &[(&str, &[u8])],
) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/sessions/{session}/files?chooser={chooser}")))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(form(files))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn download(app: &TestApp, session: &str, token: &str) -> reqwest::Response {
    let url = app.url(&format!("/api/v1/sessions/{session}/download?token={token}"));
    reqwest::get(url).await.unwrap()
}

async fn error_of(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["error"].as_str().unwrap_or_default().to_owned())
}

fn system_event(event: &'static str) -> impl Fn(&Value) -> bool {
    move |v: &Value| v["entry"]["kind"] == "system" && v["entry"]["event"] == event
}

#[tokio::test]
async fn files_go_in_and_out_through_the_customer_and_never_reach_the_agent() {
    let app = TestApp::spawn_with(|c| {
        c.session.max_upload_bytes = MAX_UPLOAD;
        c.browser.max_download_bytes = 1024 * 1024;
    })
    .await;
    let (started, agent_token, mut customer, mut agent) = app.pair(&app.site.url("files")).await;
    let session = started.session_id.as_str();
    customer
        .wait_text("page", |v| v["page"]["title"] == "files" && v["page"]["loading"] == false)
        .await;
    customer.wait_frame().await;

    // The customer presses the file field: the chooser is theirs.
    customer.click(200.0, 100.0).await;
    let chooser = customer.wait_text("file_chooser", |_| true).await["chooser"].clone();

    // Bad input is refused with clear codes, and the session goes on.
    let (status, body) = upload(&app, session, &agent_token, &chooser, &[("a.txt", b"x")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let big = vec![1u8; MAX_UPLOAD as usize + 1];
    let token = started.customer_token.as_str();
    let (status, body) = upload(&app, session, token, &chooser, &[("big.bin", &big)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("file_too_large"))
    );
    let (status, body) = upload(&app, session, token, &Value::from(999_999), &[("a", b"x")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_file_chooser"))
    );
    let (status, body) = upload(&app, session, token, &chooser, &[("a", b"x"), ("b", b"y")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    // The customer's file reaches the page, with its name.
    let (status, body) = upload(&app, session, token, &chooser, &[("scan.txt", b"hello")]).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    customer.wait_title("picked:scan.txt/5").await;
    customer.wait_text("file_chooser_closed", |v| v["chooser"] == chooser).await;
    agent.wait_text("chat", system_event("file_uploaded")).await;

    // A download: the customer gets a link that works once.
    customer.click(200.0, 600.0).await;
    let offer = customer.wait_text("download", |_| true).await["download"].clone();
    assert_eq!(offer["name"], "report.txt");
    assert_eq!(offer["size"], DOWNLOAD_BODY.len());
    let link = offer["token"].as_str().unwrap().to_owned();
    let res = download(&app, session, &link).await;
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"report.txt\""), "{disposition}");
    assert_eq!(res.text().await.unwrap(), DOWNLOAD_BODY);
    let used = error_of(download(&app, session, &link).await).await;
    assert_eq!(used, (StatusCode::GONE, "download_used".to_owned()));
    let unknown = error_of(download(&app, session, "not-a-link").await).await;
    assert_eq!(unknown, (StatusCode::NOT_FOUND, "unknown_download".to_owned()));
    agent.wait_text("chat", system_event("file_downloaded")).await;

    // One over the download limit: the customer is told, and nothing is offered.
    customer.click(1000.0, 600.0).await;
    customer.wait_text("rejected", |v| v["code"] == "download_too_large").await;

    // The session goes on for both.
    customer.send(serde_json::json!({ "type": "ping" })).await;
    customer.wait_text("pong", |_| true).await;
    agent.send(serde_json::json!({ "type": "ping" })).await;
    agent.wait_text("pong", |_| true).await;

    // Nothing of the files ever reached the agent's socket: no chooser, no link, no content
    // (the page itself shows the name it was given, as any page content).
    assert!(agent.texts.iter().any(|v| v["type"] == "chat"));
    for text in &agent.texts {
        let raw = text.to_string();
        let leaks = ["file_chooser", "\"download\"", "hello", DOWNLOAD_BODY, link.as_str()];
        assert!(!leaks.iter().any(|needle| raw.contains(needle)), "the agent got {raw}");
    }

    // Once the session ends, its links give nothing.
    customer.send(serde_json::json!({ "type": "end" })).await;
    customer.wait_closed().await;
    let ended = error_of(download(&app, session, &link).await).await;
    assert_eq!(ended, (StatusCode::GONE, "session_ended".to_owned()));
}

/// A link with `target=_blank` to a file opens a tab that Chromium closes as the download
/// begins; the download is still offered to the customer.
#[tokio::test]
async fn a_download_from_a_tab_that_closes_itself_is_still_offered() {
    let app = TestApp::spawn().await;
    let (started, _agent_token, mut customer, mut agent) =
        app.pair(&app.site.url("files-blank")).await;
    customer
        .wait_text("page", |v| v["page"]["title"] == "files" && v["page"]["loading"] == false)
        .await;
    customer.wait_frame().await;
    customer.click(200.0, 200.0).await;
    let offer = customer.wait_text("download", |_| true).await["download"].clone();
    assert_eq!(offer["name"], "report.txt");
    let res = download(&app, &started.session_id, offer["token"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), DOWNLOAD_BODY);
    agent.wait_text("chat", system_event("file_downloaded")).await;
    // The tab the link opened is gone again; the page it came from is the one shown.
    let one_tab = |v: &Value| v["tabs"].as_array().is_some_and(|t| t.len() == 1);
    if !customer.texts.iter().rev().find(|v| v["type"] == "tabs").is_some_and(one_tab) {
        customer.wait_text("tabs", one_tab).await;
    }
    assert!(!agent.texts.iter().any(|v| v["type"] == "download"), "the agent got a download");
    app.stop().await;
}
