//! Session records: created, joined, ended, and kept afterwards.

use model::{AgentId, CompanyId, SessionId};
use store::{SessionRecord, StoreError};

use crate::support::{agent, at, company, contract, TestDb};

pub(crate) fn record(company: &CompanyId) -> SessionRecord {
    SessionRecord {
        id: SessionId::random(),
        company: company.clone(),
        start_url: "https://shop.example/cart".into(),
        locale: Some("de-CH".into()),
        created_at: at(1_700_000_000_123),
        agent: None,
        joined_at: None,
        ended_at: None,
        end_reason: None,
        reference: None,
    }
}

contract!(session_lifecycle_is_recorded);
async fn session_lifecycle_is_recorded(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let ann = agent(store, &acme.id, "ann@example.com").await;
    let rec = SessionRecord { reference: Some("Ticket #4711".into()), ..record(&acme.id) };
    store.insert_session(&rec).await.unwrap();
    assert_eq!(store.session(&rec.id).await.unwrap(), Some(rec.clone()));

    store.mark_session_joined(&rec.id, &ann.id, at(1_700_000_060_000)).await.unwrap();
    store.mark_session_ended(&rec.id, at(1_700_000_900_500), "ended_by_customer").await.unwrap();

    let stored = store.session(&rec.id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        SessionRecord {
            agent: Some(ann.id),
            joined_at: Some(at(1_700_000_060_000)),
            ended_at: Some(at(1_700_000_900_500)),
            end_reason: Some("ended_by_customer".into()),
            ..rec
        }
    );
}

contract!(first_join_and_first_end_stay_on_record);
async fn first_join_and_first_end_stay_on_record(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let ann = agent(store, &acme.id, "ann@example.com").await;
    let bob = agent(store, &acme.id, "bob@example.com").await;
    let rec = record(&acme.id);
    store.insert_session(&rec).await.unwrap();

    store.mark_session_joined(&rec.id, &ann.id, at(2_000)).await.unwrap();
    store.mark_session_joined(&rec.id, &bob.id, at(3_000)).await.unwrap();
    store.mark_session_ended(&rec.id, at(4_000), "ended_by_agent").await.unwrap();
    store.mark_session_ended(&rec.id, at(5_000), "expired").await.unwrap();

    let stored = store.session(&rec.id).await.unwrap().unwrap();
    assert_eq!(stored.agent, Some(ann.id));
    assert_eq!(stored.joined_at, Some(at(2_000)));
    assert_eq!(stored.ended_at, Some(at(4_000)));
    assert_eq!(stored.end_reason.as_deref(), Some("ended_by_agent"));
}

contract!(session_ended_without_an_agent_keeps_no_agent);
async fn session_ended_without_an_agent_keeps_no_agent(db: TestDb) {
    let acme = company(&db.store, "acme").await;
    let rec = SessionRecord { locale: None, ..record(&acme.id) };
    db.store.insert_session(&rec).await.unwrap();
    db.store.mark_session_ended(&rec.id, at(9_000), "expired").await.unwrap();
    let stored = db.store.session(&rec.id).await.unwrap().unwrap();
    assert_eq!((stored.agent, stored.joined_at, stored.locale), (None, None, None));
    assert_eq!(stored.end_reason.as_deref(), Some("expired"));
}

contract!(unknown_sessions_are_not_found);
async fn unknown_sessions_are_not_found(db: TestDb) {
    let acme = company(&db.store, "acme").await;
    let ann = agent(&db.store, &acme.id, "ann@example.com").await;
    let id = SessionId::random();
    assert_eq!(db.store.session(&id).await.unwrap(), None);
    let joined = db.store.mark_session_joined(&id, &ann.id, at(1)).await;
    assert!(matches!(joined, Err(StoreError::NotFound(_))), "{joined:?}");
    let ended = db.store.mark_session_ended(&id, at(1), "expired").await;
    assert!(matches!(ended, Err(StoreError::NotFound(_))), "{ended:?}");
}

contract!(session_of_an_unknown_company_or_agent_is_refused);
async fn session_of_an_unknown_company_or_agent_is_refused(db: TestDb) {
    let rec = record(&CompanyId::random());
    assert!(matches!(db.store.insert_session(&rec).await, Err(StoreError::NotFound(_))));
    let acme = company(&db.store, "acme").await;
    let rec = record(&acme.id);
    db.store.insert_session(&rec).await.unwrap();
    let joined = db.store.mark_session_joined(&rec.id, &AgentId::random(), at(1)).await;
    assert!(matches!(joined, Err(StoreError::NotFound(_))), "{joined:?}");
    assert_eq!(db.store.session(&rec.id).await.unwrap(), Some(rec));
}

contract!(duplicate_session_id_is_a_conflict);
async fn duplicate_session_id_is_a_conflict(db: TestDb) {
    let acme = company(&db.store, "acme").await;
    let rec = record(&acme.id);
    db.store.insert_session(&rec).await.unwrap();
    let again = SessionRecord { start_url: "https://other.example/".into(), ..rec.clone() };
    assert!(matches!(db.store.insert_session(&again).await, Err(StoreError::Conflict(_))));
    assert_eq!(db.store.session(&rec.id).await.unwrap(), Some(rec));
}
