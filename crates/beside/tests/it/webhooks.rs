//! Webhooks (F23) against a receiver of the test's own: deliveries are signed as the contract
//! says, a receiver's 500 is retried, a restart of beside in the middle still delivers (on
//! SQLite and on PostgreSQL), and an address on loopback that the operator did not allow is
//! refused at registration and again at delivery.

use crate::support::{on_both_backends, Backend, TestApp, PATIENCE};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// One request the receiver got.
#[derive(Debug)]
pub struct Received {
    pub signature: String,
    pub content_type: String,
    pub body: String,
}

/// A small HTTP server standing in for a company's CRM: it answers every POST with `status`
/// and hands what it got to the test.
pub struct Receiver {
    pub addr: SocketAddr,
    pub status: Arc<AtomicU16>,
    got: mpsc::UnboundedReceiver<Received>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let status = Arc::new(AtomicU16::new(200));
        let (tx, got) = mpsc::unbounded_channel();
        let answer = status.clone();
        let app = axum::Router::new().route(
            "/hooks/beside",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let answer = answer.clone();
                let tx = tx.clone();
                async move {
                    let header = |name: &str| {
                        headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
                    };
                    let _ = tx.send(Received {
                        signature: header("beside-signature"),
                        content_type: header("content-type"),
                        body,
                    });
                    axum::http::StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, status, got }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/beside", self.addr)
    }

    /// The next request, within the test's patience.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, self.got.recv())
            .await
            .expect("the receiver got a delivery in time")
            .expect("the receiver runs")
    }

    /// The next request whose event is of `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> (Received, Value) {
        loop {
            let got = self.next().await;
            let body: Value = serde_json::from_str(&got.body).expect("a JSON body");
            if body["type"] == kind {
                return (got, body);
            }
        }
    }

    /// Nothing arrives for a while (after something that should have arrived by then did).
    pub async fn stays_quiet(&mut self, wait: Duration) {
        if let Ok(Some(got)) = tokio::time::timeout(wait, self.got.recv()).await {
            panic!("the receiver got a delivery it should not have: {got:?}");
        }
    }
}

/// Checks a `Beside-Signature` as a receiver would: HMAC-SHA256 of `t.body` with the secret,
/// and a time close to now.
pub fn verify(secret: &str, header: &str, body: &str) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if (now - t).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&v1).is_ok()
}

/// Registers a webhook for the demo company: `(id, secret)`.
pub async fn register(app: &TestApp, admin: &reqwest::Client, url: &str) -> (String, String) {
    let events = json!(["session.started", "session.ended", "recording.ready"]);
    let (status, body) =
        app.post(admin, "/api/v1/webhooks", json!({ "url": url, "events": events })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32, "{body}");
    (body["id"].as_str().unwrap().to_owned(), secret)
}

/// The delivery log of a webhook, read the way the admin console reads it.
pub async fn deliveries(app: &TestApp, admin: &reqwest::Client, id: &str) -> Value {
    let res = admin.get(app.url(&format!("/api/v1/webhooks/{id}/deliveries"))).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["deliveries"].clone()
}

async fn end_session(app: &TestApp, started: &crate::support::Started) {
    let path = format!("/api/v1/sessions/{}/end", started.session_id);
    let (status, body) = app.post_as(&started.customer_token, &path).await;
    assert!(status.is_success(), "{status} {body}");
}

/// Waits until `check` holds for the webhook's delivery log in the store (the way to look
/// while no admin is logged in, e.g. after a restart).
async fn wait_for_log(
    app: &TestApp,
    id: &str,
    what: &str,
    check: impl Fn(&[store::Delivery]) -> bool,
) -> Vec<store::Delivery> {
    let store = app.store().await;
    let demo = store.company_by_slug("demo").await.unwrap().unwrap();
    let id: model::WebhookId = id.parse().unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let log = store.webhook_deliveries(&demo.id, &id, 50).await.unwrap();
        if check(&log) {
            return log;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {log:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_session_start_and_end_are_delivered_signed_with_the_secret() {
    let mut receiver = Receiver::start().await;
    let allow = receiver.addr.to_string();
    let app = TestApp::spawn_with(|c| c.webhooks.allow_private = vec![allow]).await;
    let admin = app.demo_agent().await;
    let (id, secret) = register(&app, &admin, &receiver.url()).await;
    let res = admin.get(app.url("/api/v1/webhooks")).send().await.unwrap();
    let listed: Value = res.json().await.unwrap();
    assert_eq!(listed["webhooks"][0]["id"], id.as_str());
    assert_eq!(listed["webhooks"][0]["url"], receiver.url());
    assert!(listed["webhooks"][0].get("secret").is_none(), "{listed}");
    assert!(!listed.to_string().contains(&secret));

    // The company's site passes its own reference (a ticket number); both events carry it.
    let body = json!({ "company": "demo", "locale": "de-DE", "reference": "TICKET-7" });
    let (status, made) = app.post(&reqwest::Client::new(), "/api/v1/sessions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let started = crate::support::Started {
        session_id: made["session_id"].as_str().unwrap().into(),
        pin: made["pin"].as_str().unwrap().into(),
        customer_token: made["customer_token"].as_str().unwrap().into(),
        expires_at: made["expires_at"].as_str().unwrap().into(),
    };
    let (got, body) = receiver.next_of("session.started").await;
    assert_eq!(body["data"]["reference"], "TICKET-7", "{body}");
    assert!(verify(&secret, &got.signature, &got.body), "{got:?}");
    assert!(!verify("another secret of enough length", &got.signature, &got.body));
    assert!(!verify(&secret, &got.signature, &got.body.replace("ses_", "ses_X")));
    assert_eq!(got.content_type, "application/json");
    assert!(body["id"].as_str().unwrap().starts_with("evt_"), "{body}");
    assert_eq!(body["data"]["session_id"], started.session_id.as_str());
    assert!(body["data"]["started_at"].is_string(), "{body}");

    end_session(&app, &started).await;
    let (got, body) = receiver.next_of("session.ended").await;
    assert!(verify(&secret, &got.signature, &got.body), "{got:?}");
    assert_eq!(body["data"]["session_id"], started.session_id.as_str());
    assert_eq!(body["data"]["end_reason"], "customer_ended");
    assert_eq!(body["data"]["reference"], "TICKET-7", "{body}");
    assert!(body["data"]["duration_secs"].as_f64().unwrap() >= 0.0, "{body}");
    assert!(body["data"]["ended_at"].is_string(), "{body}");

    let log = wait_for_log(&app, &id, "both delivered", |log| {
        log.len() == 2 && log.iter().all(|d| d.status == store::DeliveryStatus::Delivered)
    })
    .await;
    assert!(log.iter().all(|d| d.attempts == 1 && d.last_status == Some(200)), "{log:#?}");
    let shown = deliveries(&app, &admin, &id).await;
    assert_eq!(shown[0]["type"], "session.ended");
    assert_eq!(shown[0]["status"], "delivered");
    assert_eq!(shown[1]["type"], "session.started");

    // Removing the webhook is audited, and nothing more is sent to it.
    let res = admin.delete(app.url(&format!("/api/v1/webhooks/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let audited = app.audited("webhook_deleted").await;
    let of = |kind: &str| audited.iter().filter(|e| e.kind == kind).collect::<Vec<_>>();
    let (created, removed) = (of("webhook_created"), of("webhook_deleted"));
    assert_eq!((created.len(), removed.len()), (1, 1), "{audited:#?}");
    assert_eq!(created[0].detail["url"], receiver.url());
    assert_eq!(removed[0].detail["webhook_id"], id.as_str());
    assert!(!format!("{audited:?}").contains(&secret), "the secret is never audited");
    let again = app.start_session_at(None).await;
    end_session(&app, &again).await;
    receiver.stays_quiet(Duration::from_secs(2)).await;
    app.stop().await;
}

#[tokio::test]
async fn registration_checks_the_url_the_events_and_the_address() {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let https_loopback = format!("https://{}/hooks/beside", receiver.addr);
    for (url, events, code) in [
        (receiver.url(), json!(["session.ended"]), "invalid_webhook_url"),
        (https_loopback.clone(), json!(["session.ended"]), "webhook_address_refused"),
        ("https://localhost/x".to_owned(), json!(["session.ended"]), "webhook_address_refused"),
        (
            "https://169.254.169.254/latest".to_owned(),
            json!(["session.ended"]),
            "webhook_address_refused",
        ),
        (
            "https://[::ffff:10.0.0.1]/x".to_owned(),
            json!(["session.ended"]),
            "webhook_address_refused",
        ),
        ("ftp://crm.example/x".to_owned(), json!(["session.ended"]), "invalid_webhook_url"),
        ("https://u:p@crm.example/x".to_owned(), json!(["session.ended"]), "invalid_webhook_url"),
        ("https://93.184.215.14/x".to_owned(), json!(["session.paused"]), "unknown_webhook_event"),
        ("https://93.184.215.14/x".to_owned(), json!([]), "unknown_webhook_event"),
    ] {
        let (status, body) =
            app.post(&admin, "/api/v1/webhooks", json!({ "url": url, "events": events })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"], code, "{url}: {body}");
    }
    let (_, body) = app
        .post(
            &admin,
            "/api/v1/webhooks",
            json!({ "url": https_loopback, "events": ["session.ended"] }),
        )
        .await;
    assert!(body["message"].as_str().unwrap().contains("BESIDE_WEBHOOKS_ALLOW_PRIVATE"), "{body}");
    assert_eq!(body["field"], "url", "{body}");
    let (status, body) = app
        .post(
            &admin,
            "/api/v1/webhooks",
            json!({ "url": "https://x.example", "events": [], "x": 1 }),
        )
        .await;
    assert_eq!((status, &body["error"]), (StatusCode::BAD_REQUEST, &json!("invalid_request")));
    let res = admin.get(app.url("/api/v1/webhooks")).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "webhooks": [] }));
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_that_fails_is_tried_again_until_it_takes_the_delivery() {
    let mut receiver = Receiver::start().await;
    receiver.status.store(500, Ordering::SeqCst);
    let allow = receiver.addr.to_string();
    let app = TestApp::spawn_with(|c| {
        c.webhooks.allow_private = vec![allow];
        c.webhooks.first_retry_secs = 1;
    })
    .await;
    let admin = app.demo_agent().await;
    let (id, secret) = register(&app, &admin, &receiver.url()).await;
    app.start_session_at(None).await;
    let (first, _) = receiver.next_of("session.started").await;
    // The session's own end may come in the meantime: look at its start's delivery only.
    let started_of = |log: &[store::Delivery]| {
        log.iter().find(|d| d.kind == model::WebhookEvent::SessionStarted).cloned()
    };
    let log = wait_for_log(&app, &id, "the 500 is logged", |log| {
        started_of(log).is_some_and(|d| d.attempts == 1)
    })
    .await;
    let first_try = started_of(&log).unwrap();
    assert_eq!(first_try.status, store::DeliveryStatus::Pending);
    assert_eq!(first_try.last_status, Some(500));
    assert_eq!(first_try.last_error.as_deref(), Some("the receiver answered 500"));
    assert!(first_try.next_attempt_at.is_some());
    let shown = deliveries(&app, &admin, &id).await;
    let shown = shown.as_array().unwrap().iter().find(|d| d["type"] == "session.started");
    let shown = shown.unwrap();
    assert_eq!(shown["last_status"], json!(500), "{shown}");

    receiver.status.store(200, Ordering::SeqCst);
    let (second, _) = receiver.next_of("session.started").await;
    assert_eq!(second.body, first.body, "the same event, byte for byte");
    assert!(verify(&secret, &second.signature, &second.body));
    let log = wait_for_log(&app, &id, "delivered on the retry", |log| {
        started_of(log).is_some_and(|d| d.status == store::DeliveryStatus::Delivered)
    })
    .await;
    let delivered = started_of(&log).unwrap();
    assert_eq!((delivered.attempts, delivered.last_status), (2, Some(200)));
    app.stop().await;
}

on_both_backends!(a_delivery_queued_before_a_restart_is_delivered_after_it);
async fn a_delivery_queued_before_a_restart_is_delivered_after_it(backend: Backend) {
    let mut receiver = Receiver::start().await;
    receiver.status.store(503, Ordering::SeqCst);
    let allow = receiver.addr.to_string();
    let tweak = |c: &mut beside::Config| {
        c.webhooks.allow_private = vec![allow.clone()];
        c.webhooks.first_retry_secs = 1;
    };
    let app = TestApp::spawn_on(backend, tweak).await;
    let admin = app.demo_agent().await;
    let (id, secret) = register(&app, &admin, &receiver.url()).await;
    app.start_session_at(None).await;
    receiver.next_of("session.started").await;
    wait_for_log(&app, &id, "the failure is logged", |log| {
        log.iter().any(|d| d.attempts >= 1 && d.status == store::DeliveryStatus::Pending)
    })
    .await;
    let database = app.database.clone();
    let data_dir = app.stop().await;
    // Whatever the stopping server still sent is drained; the receiver now takes deliveries.
    while receiver.got.try_recv().is_ok() {}
    receiver.status.store(200, Ordering::SeqCst);

    let app = TestApp::spawn_at(database, tweak).await;
    let (got, body) = receiver.next_of("session.started").await;
    assert!(verify(&secret, &got.signature, &got.body));
    assert!(body["data"]["session_id"].is_string());
    let log = wait_for_log(&app, &id, "delivered after the restart", |log| {
        log.iter().any(|d| {
            d.kind == model::WebhookEvent::SessionStarted
                && d.status == store::DeliveryStatus::Delivered
        })
    })
    .await;
    let started = log.iter().find(|d| d.kind == model::WebhookEvent::SessionStarted).unwrap();
    assert!(started.attempts >= 2, "{started:?}");
    app.stop().await;
    drop(data_dir);
}

#[tokio::test]
async fn an_address_allowed_at_registration_but_no_longer_is_refused_at_delivery() {
    let mut receiver = Receiver::start().await;
    let allow = receiver.addr.to_string();
    let app = TestApp::spawn_with(|c| c.webhooks.allow_private = vec![allow]).await;
    let admin = app.demo_agent().await;
    // https, so that what refuses it later is the address, not the scheme.
    let url = format!("https://{}/hooks/beside", receiver.addr);
    let (id, _) = register(&app, &admin, &url).await;
    let database = app.database.clone();
    let data_dir = app.stop().await;

    // The operator took the address off the list: the webhook stays, but posts nothing there.
    let app = TestApp::spawn_at(database, |_| {}).await;
    app.start_session_at(None).await;
    let log = wait_for_log(&app, &id, "the refusal is logged", |log| {
        log.first().is_some_and(|d| d.attempts >= 1)
    })
    .await;
    assert_eq!(log[0].status, store::DeliveryStatus::Pending);
    assert_eq!(log[0].last_status, None);
    let error = log[0].last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains("loopback") && error.contains("BESIDE_WEBHOOKS_ALLOW_PRIVATE"),
        "{error}"
    );
    receiver.stays_quiet(Duration::from_secs(2)).await;
    app.stop().await;
    drop(data_dir);
}
