//! Webhooks (F23): kept per company, their deliveries queued for the webhooks that subscribe
//! to the event, claimed once (a lease) however many deliverers ask, and logged with their
//! attempts; a queue that outlives the process is the point, so a second handle (another
//! process) sees it.

use model::{CompanyId, Secret, WebhookEvent, WebhookId};
use store::MAX_WEBHOOKS_PER_COMPANY;
use store::{AttemptOutcome, DeliveryStatus, NewWebhook, QueuedEvent, StoreError};
use time::{Duration, OffsetDateTime};

use crate::support::{agent, company, contract, TestDb};

fn hook(company: &CompanyId, url: &str, events: &[WebhookEvent]) -> NewWebhook {
    NewWebhook {
        company: company.clone(),
        url: url.into(),
        events: events.to_vec(),
        secret: Secret::new("whsec_0123456789abcdef".into()),
        created_by: None,
    }
}

contract!(webhooks_are_kept_per_company_with_their_secret);
async fn webhooks_are_kept_per_company_with_their_secret(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let ann = agent(store, &acme.id, "ann@acme.test").await;
    use WebhookEvent::{RecordingReady, SessionEnded, SessionStarted};
    let first = store
        .create_webhook(NewWebhook {
            created_by: Some(ann.id.clone()),
            ..hook(&acme.id, "https://crm.test/a", &[SessionEnded, SessionStarted, SessionEnded])
        })
        .await
        .unwrap();
    assert!(first.id.as_str().starts_with("whk_"));
    assert_eq!(first.events, [SessionStarted, SessionEnded], "sorted, without repeats");
    assert_eq!(first.secret.expose(), "whsec_0123456789abcdef");
    assert!(!format!("{first:?}").contains("0123456789abcdef"), "{first:?}");
    let second =
        store.create_webhook(hook(&acme.id, "https://crm.test/b", &[RecordingReady])).await;
    let second = second.unwrap();
    store.create_webhook(hook(&other.id, "https://other.test/", &[SessionEnded])).await.unwrap();
    assert_eq!(store.webhooks(&acme.id).await.unwrap(), vec![first.clone(), second.clone()]);

    for bad in [hook(&acme.id, "https://crm.test/", &[]), hook(&acme.id, "", &[SessionEnded])] {
        let err = store.create_webhook(bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
    let err = store
        .create_webhook(hook(&CompanyId::random(), "https://x.test/", &[SessionEnded]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    // Another company's webhook is not found through this one.
    let err = store.delete_webhook(&other.id, &first.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store.webhook_deliveries(&other.id, &first.id, 10).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store.delete_webhook(&acme.id, &WebhookId::random()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(store.delete_webhook(&acme.id, &second.id).await.unwrap(), second);
    assert_eq!(store.webhooks(&acme.id).await.unwrap(), vec![first]);

    for i in 1..MAX_WEBHOOKS_PER_COMPANY {
        let url = format!("https://crm.test/{i}");
        store.create_webhook(hook(&acme.id, &url, &[SessionEnded])).await.unwrap();
    }
    let err = store.create_webhook(hook(&acme.id, "https://crm.test/x", &[SessionEnded])).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
}

contract!(an_event_is_queued_for_each_subscribed_webhook_and_claimed_once);
async fn an_event_is_queued_for_each_subscribed_webhook_and_claimed_once(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    use WebhookEvent::{SessionEnded, SessionStarted};
    let ends = store.create_webhook(hook(&acme.id, "https://a.test/", &[SessionEnded])).await;
    let ends = ends.unwrap();
    let starts = store.create_webhook(hook(&acme.id, "https://b.test/", &[SessionStarted])).await;
    let starts = starts.unwrap();
    store.create_webhook(hook(&other.id, "https://c.test/", &[SessionEnded])).await.unwrap();

    let data = serde_json::json!({ "session_id": "ses_x", "end_reason": "idle" });
    let event = QueuedEvent::new(acme.id.clone(), SessionEnded, data.clone());
    let body: serde_json::Value = serde_json::from_str(&event.body).unwrap();
    assert_eq!(body["id"], event.id.as_str());
    assert_eq!(body["type"], "session.ended");
    assert_eq!(body["data"], data);
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'), "{body}");
    assert_eq!(store.enqueue_webhook_event(&event).await.unwrap(), 1);
    let none = QueuedEvent::new(acme.id.clone(), WebhookEvent::RecordingReady, data);
    assert_eq!(store.enqueue_webhook_event(&none).await.unwrap(), 0);
    assert!(store.webhook_deliveries(&acme.id, &starts.id, 10).await.unwrap().is_empty());

    // Two deliverers (two processes) ask at once: one of them gets it.
    let elsewhere = db.open_again().await;
    let now = OffsetDateTime::now_utc() + Duration::seconds(1);
    let lease = now + Duration::seconds(60);
    let (a, b) = tokio::join!(
        store.claim_webhook_deliveries(now, lease, 10),
        elsewhere.claim_webhook_deliveries(now, lease, 10)
    );
    let mut claimed = a.unwrap();
    claimed.extend(b.unwrap());
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    let due = claimed.remove(0);
    assert_eq!((&due.webhook, &due.event, due.attempts), (&ends.id, &event.id, 0));
    assert_eq!(due.body, event.body, "the body is kept byte for byte");
    assert_eq!(due.url, "https://a.test/");
    assert!(store.claim_webhook_deliveries(now, lease, 10).await.unwrap().is_empty());
    let next = store.next_webhook_attempt().await.unwrap().unwrap();
    assert_eq!(next.unix_timestamp(), lease.unix_timestamp());

    // A failed attempt: due again at its time, and logged.
    let retry_at = now + Duration::seconds(5);
    let failed = AttemptOutcome::Retry {
        status: Some(500),
        error: "the receiver answered 500".into(),
        next_at: retry_at,
    };
    store.record_webhook_attempt(&due.webhook, &due.event, now, &failed).await.unwrap();
    let log = store.webhook_deliveries(&acme.id, &ends.id, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].status, log[0].attempts, log[0].last_status, log[0].last_error.as_deref()),
        (DeliveryStatus::Pending, 1, Some(500), Some("the receiver answered 500"))
    );
    assert_eq!(log[0].kind, SessionEnded);
    assert!(store.claim_webhook_deliveries(now, lease, 10).await.unwrap().is_empty());
    let again = elsewhere.claim_webhook_deliveries(retry_at, lease, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);

    let delivered = AttemptOutcome::Delivered { status: 204 };
    store.record_webhook_attempt(&due.webhook, &due.event, retry_at, &delivered).await.unwrap();
    let log = store.webhook_deliveries(&acme.id, &ends.id, 10).await.unwrap();
    assert_eq!(
        (log[0].status, log[0].attempts, log[0].last_status, log[0].next_attempt_at),
        (DeliveryStatus::Delivered, 2, Some(204), None)
    );
    assert_eq!(log[0].last_error, None);
    assert_eq!(store.next_webhook_attempt().await.unwrap(), None);

    // Given up: failed, and never due again.
    let later = QueuedEvent::new(acme.id.clone(), SessionEnded, serde_json::json!({}));
    store.enqueue_webhook_event(&later).await.unwrap();
    let due = store.claim_webhook_deliveries(lease, lease, 10).await.unwrap().remove(0);
    let gave_up = AttemptOutcome::Failed { status: None, error: "x".repeat(1000) };
    store.record_webhook_attempt(&due.webhook, &due.event, lease, &gave_up).await.unwrap();
    let log = store.webhook_deliveries(&acme.id, &ends.id, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].event, later.id, "newest first");
    assert_eq!(log[0].status, DeliveryStatus::Failed);
    assert_eq!(log[0].last_error.as_ref().map(|e| e.len()), Some(300), "errors are clipped");
    let far = lease + Duration::days(2);
    assert!(store.claim_webhook_deliveries(far, far, 10).await.unwrap().is_empty());

    // Removing a webhook removes its deliveries.
    store.delete_webhook(&acme.id, &ends.id).await.unwrap();
    let err = store.webhook_deliveries(&acme.id, &ends.id, 10).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}
