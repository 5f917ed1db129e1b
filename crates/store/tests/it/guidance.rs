//! What a company decides about its sessions, and the chat transcripts it keeps.

use model::{CompanyId, Role, SessionId};
use store::{
    EntryKind, SessionPolicy, SessionRecord, StartMode, StoreError, TranscriptEntry,
    TranscriptPolicy,
};

use crate::support::{at, company, contract, TestDb};

fn record(company: &CompanyId) -> SessionRecord {
    SessionRecord {
        id: SessionId::random(),
        company: company.clone(),
        start_url: "https://shop.example/".into(),
        locale: None,
        created_at: at(1_700_000_000_000),
        agent: None,
        joined_at: None,
        ended_at: None,
        end_reason: None,
        reference: None,
    }
}

fn entry(seq: i64, kind: EntryKind, body: &str) -> TranscriptEntry {
    TranscriptEntry {
        seq,
        at: at(1_700_000_000_000 + seq),
        kind,
        role: if seq % 2 == 0 { Role::Agent } else { Role::Customer },
        name: "Anna".into(),
        body: body.into(),
    }
}

contract!(a_new_company_has_the_default_policy_and_keeps_what_is_set);
async fn a_new_company_has_the_default_policy_and_keeps_what_is_set(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let default = SessionPolicy {
        pin_approval: false,
        agents_start_with_control: true,
        transcripts: TranscriptPolicy::Delete,
        start: StartMode::Open,
        pdfs: model::PdfView::Show,
    };
    assert_eq!(acme.policy, default);
    assert_eq!(store.company(&acme.id).await.unwrap().unwrap().policy, default);
    let strict = SessionPolicy {
        pin_approval: true,
        agents_start_with_control: false,
        transcripts: TranscriptPolicy::Keep,
        start: StartMode::Signed,
        pdfs: model::PdfView::Hide,
    };
    store.set_session_policy(&acme.id, strict).await.unwrap();
    assert_eq!(store.company_by_slug("acme").await.unwrap().unwrap().policy, strict);
    assert_eq!(store.company(&other.id).await.unwrap().unwrap().policy, default);
    let nobody = store.set_session_policy(&CompanyId::random(), strict).await;
    assert!(matches!(nobody, Err(StoreError::NotFound(_))), "{nobody:?}");
}

contract!(a_start_secret_is_made_once_kept_and_renewed_on_request);
async fn a_start_secret_is_made_once_kept_and_renewed_on_request(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    assert_eq!(acme.start_secret, None);
    let first = store.start_secret(&acme.id, false).await.unwrap();
    assert!(first.expose().starts_with("bss_") && first.expose().len() > 40, "{first:?}");
    assert_eq!(format!("{first:?}"), "[redacted]");
    assert_eq!(store.start_secret(&acme.id, false).await.unwrap(), first);
    let loaded = store.company_by_slug("acme").await.unwrap().unwrap();
    assert_eq!(loaded.start_secret.as_ref(), Some(&first));
    assert!(!format!("{loaded:?}").contains(first.expose().as_str()));
    let renewed = store.start_secret(&acme.id, true).await.unwrap();
    assert_ne!(renewed, first);
    assert_eq!(store.company(&acme.id).await.unwrap().unwrap().start_secret, Some(renewed));
    assert_eq!(store.company(&other.id).await.unwrap().unwrap().start_secret, None);
    let nobody = store.start_secret(&CompanyId::random(), false).await;
    assert!(matches!(nobody, Err(StoreError::NotFound(_))), "{nobody:?}");
}

contract!(a_transcript_is_kept_exactly_and_in_order_per_session);
async fn a_transcript_is_kept_exactly_and_in_order_per_session(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let (one, two) = (record(&acme.id), record(&acme.id));
    store.insert_session(&one).await.unwrap();
    store.insert_session(&two).await.unwrap();
    assert_eq!(store.transcript(&one.id).await.unwrap(), vec![]);
    let entries = vec![
        entry(1, EntryKind::System, "joined"),
        entry(2, EntryKind::Text, "Order SN-0O1l|I 4711\n<b>not markup</b>"),
        entry(3, EntryKind::Text, "Grüße, ação, 你好"),
    ];
    store.save_transcript(&one.id, &entries).await.unwrap();
    assert_eq!(store.transcript(&one.id).await.unwrap(), entries);
    assert_eq!(store.transcript(&two.id).await.unwrap(), vec![]);
    // Saving again replaces what was kept.
    store.save_transcript(&one.id, &entries[..1]).await.unwrap();
    assert_eq!(store.transcript(&one.id).await.unwrap(), entries[..1].to_vec());
}

contract!(a_transcript_of_an_unknown_session_or_with_overlong_entries_is_refused);
async fn a_transcript_of_an_unknown_session_or_with_overlong_entries_is_refused(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let rec = record(&acme.id);
    store.insert_session(&rec).await.unwrap();
    let unknown =
        store.save_transcript(&SessionId::random(), &[entry(1, EntryKind::Text, "a")]).await;
    assert!(matches!(unknown, Err(StoreError::NotFound(_))), "{unknown:?}");
    let long =
        store.save_transcript(&rec.id, &[entry(1, EntryKind::Text, &"x".repeat(5000))]).await;
    assert!(matches!(long, Err(StoreError::Invalid(_))), "{long:?}");
    let twice = [entry(1, EntryKind::Text, "a"), entry(1, EntryKind::Text, "b")];
    assert!(matches!(store.save_transcript(&rec.id, &twice).await, Err(StoreError::Invalid(_))));
    assert_eq!(
        store.transcript(&rec.id).await.unwrap(),
        vec![],
        "a refused transcript leaves nothing"
    );
}
