//! The audit log: newest first, per company or across all.

use model::{AgentId, CompanyId, SessionId};
use serde_json::json;
use store::{AuditEvent, StoreError};

use crate::support::{at, company, contract, TestDb};

fn event(ms: i64, company: Option<&CompanyId>, kind: &str) -> AuditEvent {
    AuditEvent {
        at: at(ms),
        company: company.cloned(),
        agent: None,
        session: None,
        kind: kind.into(),
        detail: json!({ "n": ms }),
    }
}

contract!(audit_events_come_newest_first);
async fn audit_events_come_newest_first(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    for ms in [2_000, 1_000, 3_000] {
        store.record_audit(&event(ms, Some(&acme.id), "login_failed")).await.unwrap();
    }
    let events = store.audit_events(Some(&acme.id), 10).await.unwrap();
    let times: Vec<_> = events.into_iter().map(|e| e.at).collect();
    assert_eq!(times, vec![at(3_000), at(2_000), at(1_000)]);
}

contract!(events_at_the_same_millisecond_keep_insertion_order_reversed);
async fn events_at_the_same_millisecond_keep_insertion_order_reversed(db: TestDb) {
    for kind in ["first", "second", "third"] {
        db.store.record_audit(&event(1_000, None, kind)).await.unwrap();
    }
    let events = db.store.audit_events(None, 10).await.unwrap();
    let kinds: Vec<_> = events.into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["third", "second", "first"]);
}

contract!(audit_events_are_listed_per_company_or_for_all);
async fn audit_events_are_listed_per_company_or_for_all(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    store.record_audit(&event(1_000, Some(&acme.id), "pin_rejected")).await.unwrap();
    store.record_audit(&event(2_000, Some(&other.id), "pin_rejected")).await.unwrap();
    store.record_audit(&event(3_000, None, "login_failed")).await.unwrap();
    store.record_audit(&event(4_000, Some(&acme.id), "session_ended")).await.unwrap();

    let acme_events = store.audit_events(Some(&acme.id), 10).await.unwrap();
    assert_eq!(
        acme_events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["session_ended", "pin_rejected"]
    );
    assert!(acme_events.iter().all(|e| e.company.as_ref() == Some(&acme.id)));
    assert_eq!(store.audit_events(Some(&other.id), 10).await.unwrap().len(), 1);
    assert_eq!(store.audit_events(None, 10).await.unwrap().len(), 4);
    assert_eq!(store.audit_events(None, 2).await.unwrap()[0].at, at(4_000));
    assert_eq!(store.audit_events(None, 2).await.unwrap().len(), 2);
    assert!(store.audit_events(Some(&CompanyId::random()), 10).await.unwrap().is_empty());
}

contract!(audit_event_round_trips_every_field);
async fn audit_event_round_trips_every_field(db: TestDb) {
    let ev = AuditEvent {
        at: at(1_700_000_000_001),
        company: Some(CompanyId::random()),
        agent: Some(AgentId::random()),
        session: Some(SessionId::random()),
        kind: "pin_rejected".into(),
        detail: json!({
            "reason": "expired",
            "attempt": 3,
            "ratio": 0.25,
            "nested": { "ok": false, "list": [1, "two", null] },
            "text": "ünïcödé \"quoted\" \\ back\nslash",
        }),
    };
    db.store.record_audit(&ev).await.unwrap();
    assert_eq!(db.store.audit_events(ev.company.as_ref(), 1).await.unwrap(), vec![ev]);
}

contract!(audit_kind_must_be_snake_case);
async fn audit_kind_must_be_snake_case(db: TestDb) {
    for kind in ["", "Login Failed", "pin-rejected"] {
        let err = db.store.record_audit(&event(1, None, kind)).await;
        assert!(matches!(err, Err(StoreError::Invalid(_))), "{kind:?}: {err:?}");
    }
    assert!(db.store.audit_events(None, 10).await.unwrap().is_empty());
}
