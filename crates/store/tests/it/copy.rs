//! `Store::copy_to` (`beside db copy`): every row of every table, between any two backends,
//! with the counts checked, and never into a database that is not empty.

use model::{AgentRole, RuleKind, SessionId};
use store::{login_token_hash, AuditEvent, NewRule, SessionRecord, Store, StoreError};

use crate::rules::rule;
use crate::support::{agent, at, company, new_agent, Backend, TestDb};

/// Fills a store with some of everything, and returns the login tokens it made.
async fn populate(store: &Store) -> Vec<String> {
    let acme = company(store, "acme").await;
    let other = company(store, "other-shop").await;
    let ann = agent(store, &acme.id, "Ann@Acme.example").await;
    let mut admin = new_agent(&other.id, "boss@other.example");
    admin.role = AgentRole::Admin;
    let boss = store.create_agent(admin).await.unwrap();
    let mut tokens = Vec::new();
    for (who, expires) in
        [(&ann.id, 9_000_000_000_000), (&ann.id, 1_000), (&boss.id, 9_000_000_000_000)]
    {
        let token = model::random_token();
        store.create_login(&login_token_hash(&token), who, at(expires)).await.unwrap();
        tokens.push(token);
    }
    for i in 0..3 {
        let rec = SessionRecord {
            id: SessionId::random(),
            company: acme.id.clone(),
            start_url: format!("https://shop.example/{i}"),
            locale: (i > 0).then(|| "pt-BR".to_owned()),
            created_at: at(1_700_000_000_000 + i),
            agent: None,
            joined_at: None,
            ended_at: None,
            end_reason: None,
            reference: Some("T-1".into()),
        };
        store.insert_session(&rec).await.unwrap();
        if i > 0 {
            store.mark_session_joined(&rec.id, &ann.id, at(1_700_000_001_000)).await.unwrap();
        }
        if i > 1 {
            store
                .mark_session_ended(&rec.id, at(1_700_000_002_000), "ended_by_customer")
                .await
                .unwrap();
        }
    }
    let mut made = Vec::new();
    for i in 0..5 {
        let new = NewRule {
            created_by: (i % 2 == 0).then(|| ann.id.clone()),
            ..rule(&acme.id, RuleKind::Mask, &format!("#field-{i}"), "*.acme.example/*")
        };
        made.push(store.create_rule(new).await.unwrap());
    }
    store.delete_rule(&acme.id, &made[1].id).await.unwrap();
    store.create_rule(rule(&other.id, RuleKind::Block, "#delete", "*")).await.unwrap();
    let hook = store
        .create_webhook(store::NewWebhook {
            company: acme.id.clone(),
            url: "https://crm.acme.example/beside".into(),
            events: vec![model::WebhookEvent::SessionEnded],
            secret: model::Secret::new("whsec_copied_along_0123".into()),
            created_by: Some(ann.id.clone()),
        })
        .await
        .unwrap();
    let event = store::QueuedEvent::new(
        acme.id.clone(),
        model::WebhookEvent::SessionEnded,
        serde_json::json!({ "end_reason": "idle" }),
    );
    store.enqueue_webhook_event(&event).await.unwrap();
    let failed = store::AttemptOutcome::Retry {
        status: Some(503),
        error: "the receiver answered 503".into(),
        next_at: at(1_700_000_009_000),
    };
    store
        .record_webhook_attempt(&hook.id, &event.id, at(1_700_000_008_000), &failed)
        .await
        .unwrap();
    for i in 0..300 {
        // More than one batch, several in the same millisecond.
        store
            .record_audit(&AuditEvent {
                at: at(1_700_000_000_000 + i / 7),
                company: Some(if i % 3 == 0 { other.id.clone() } else { acme.id.clone() }),
                agent: (i % 2 == 0).then(|| ann.id.clone()),
                session: None,
                kind: "copy_check".into(),
                detail: serde_json::json!({ "i": i, "nested": { "text": "ä\"b" } }),
            })
            .await
            .unwrap();
    }
    tokens
}

/// Everything the store's queries show of a populated store.
async fn everything(store: &Store, tokens: &[String]) -> String {
    let mut out = Vec::new();
    for slug in ["acme", "other-shop"] {
        let company = store.company_by_slug(slug).await.unwrap().unwrap();
        out.push(format!("{company:?}"));
        out.push(format!("{:?}", store.versioned_rules(&company.id).await.unwrap()));
        out.push(format!("{:?}", store.audit_events(Some(&company.id), 1_000).await.unwrap()));
        for hook in store.webhooks(&company.id).await.unwrap() {
            out.push(format!("{hook:?} {}", hook.secret.expose()));
            out.push(format!("{:?}", store.webhook_deliveries(&company.id, &hook.id, 100).await));
        }
    }
    for email in ["ann@acme.example", "boss@other.example"] {
        out.push(format!("{:?}", store.agent_credentials(email).await.unwrap()));
    }
    for token in tokens {
        out.push(format!("{:?}", store.agent_by_login(&login_token_hash(token), at(2_000)).await));
    }
    out.push(format!("{:?}", store.audit_events(None, 1_000).await.unwrap()));
    out.push(format!("{:?}", store.row_counts().await.unwrap()));
    out.join("\n")
}

async fn copy_between(from: Backend, to: Backend) {
    let source = TestDb::new(from).await;
    let tokens = populate(&source.store).await;
    let target = TestDb::new(to).await;
    let report = source.store.copy_to(&target.store).await.unwrap();
    assert_eq!(report.tables, source.store.row_counts().await.unwrap());
    assert_eq!(report.total_rows(), 2 + 2 + 3 + 3 + 5 + 1 + 1 + 300);
    assert_eq!(everything(&target.store, &tokens).await, everything(&source.store, &tokens).await);
    let acme = target.store.company_by_slug("acme").await.unwrap().unwrap();

    // The copy goes on as a database of its own: a rule made now comes after the copied ones,
    // an event at the newest copied event's time is listed before it.
    let new_rule =
        target.store.create_rule(rule(&acme.id, RuleKind::Block, "#later", "*")).await.unwrap();
    let (version, rules) = target.store.versioned_rules(&acme.id).await.unwrap();
    assert_eq!((version, rules.last()), (7, Some(&new_rule)));
    let newest = target.store.audit_events(None, 1).await.unwrap().remove(0);
    let later = AuditEvent { kind: "after_the_copy".into(), ..newest };
    target.store.record_audit(&later).await.unwrap();
    assert_eq!(target.store.audit_events(None, 1).await.unwrap(), vec![later]);

    // A database that is not empty is refused, and left as it was.
    let before = everything(&target.store, &tokens).await;
    let err = source.store.copy_to(&target.store).await.unwrap_err();
    assert!(matches!(err, StoreError::Copy(_)), "{err:?}");
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(everything(&target.store, &tokens).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_sqlite_to_postgres_keeps_every_row() {
    copy_between(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_postgres_to_sqlite_keeps_every_row() {
    copy_between(Backend::Postgres, Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_sqlite_to_sqlite_keeps_every_row() {
    copy_between(Backend::Sqlite, Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_postgres_to_postgres_keeps_every_row() {
    copy_between(Backend::Postgres, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_database_copies_as_empty() {
    let source = TestDb::new(Backend::Sqlite).await;
    let target = TestDb::new(Backend::Postgres).await;
    let report = source.store.copy_to(&target.store).await.unwrap();
    assert_eq!(report.total_rows(), 0);
    assert_eq!(report.tables.len(), target.store.row_counts().await.unwrap().len());
    company(&target.store, "acme").await;
}
