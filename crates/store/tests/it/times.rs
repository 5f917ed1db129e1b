//! Times round-trip exactly: rounded down to the millisecond the store keeps, in UTC, whatever
//! offset they were written with and whatever time zone a connection uses.

use model::SessionId;
use store::{login_token_hash, AuditEvent, DatabaseUrl, SessionRecord, Store};
use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset};

use crate::support::{agent, company, contract, TestDb};

/// What the store gives back for `t`: the same instant rounded down to its millisecond, in UTC.
fn stored(t: OffsetDateTime) -> OffsetDateTime {
    let ms = t.unix_timestamp_nanos().div_euclid(1_000_000);
    OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).unwrap()
}

fn times() -> Vec<OffsetDateTime> {
    vec![
        datetime!(2024-03-31 02:30:00.123_456_789 +05:45),
        datetime!(2024-10-27 01:59:59.999_999_999 -09:30),
        datetime!(2024-10-27 02:00:00.000_000_001 +02:00),
        datetime!(1969-12-31 23:59:59.999_5 UTC),
        datetime!(1901-12-13 20:45:52 UTC),
        datetime!(2038-01-19 03:14:08.001 UTC),
        datetime!(9999-12-31 23:59:59.999 +14:00),
    ]
}

fn assert_stored(written: OffsetDateTime, read: OffsetDateTime) {
    assert_eq!(read, stored(written), "{written}");
    assert_eq!(read.offset(), UtcOffset::UTC, "{written}");
    assert_eq!(read.unix_timestamp_nanos(), stored(written).unix_timestamp_nanos(), "{written}");
}

contract!(times_round_trip_to_the_millisecond_in_utc);
async fn times_round_trip_to_the_millisecond_in_utc(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let ann = agent(store, &acme.id, "ann@example.com").await;
    assert_eq!(acme.created_at.offset(), UtcOffset::UTC);
    assert_eq!(store.company(&acme.id).await.unwrap().unwrap().created_at, acme.created_at);
    for t in times() {
        let rec = SessionRecord {
            id: SessionId::random(),
            company: acme.id.clone(),
            start_url: "https://shop.example/".into(),
            locale: None,
            created_at: t,
            agent: None,
            joined_at: None,
            ended_at: Some(t),
            end_reason: Some("expired".into()),
            reference: None,
        };
        store.insert_session(&rec).await.unwrap();
        store.mark_session_joined(&rec.id, &ann.id, t).await.unwrap();
        let read = store.session(&rec.id).await.unwrap().unwrap();
        assert_stored(t, read.created_at);
        assert_stored(t, read.joined_at.unwrap());
        assert_stored(t, read.ended_at.unwrap());

        let ev = AuditEvent {
            at: t,
            company: None,
            agent: None,
            session: Some(rec.id.clone()),
            kind: "time_check".into(),
            detail: serde_json::json!({}),
        };
        store.record_audit(&ev).await.unwrap();
        let newest = store.audit_events(None, 100).await.unwrap();
        let read = newest.iter().find(|e| e.session.as_ref() == Some(&rec.id)).unwrap();
        assert_stored(t, read.at);
    }
}

contract!(expiry_compares_instants_not_wall_clocks);
async fn expiry_compares_instants_not_wall_clocks(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let ann = agent(store, &acme.id, "ann@example.com").await;
    let hash = login_token_hash("berlin");
    // Noon in Berlin (summer) is 10:00 UTC.
    store.create_login(&hash, &ann.id, datetime!(2024-07-01 12:00 +02:00)).await.unwrap();
    let before = datetime!(2024-07-01 09:59:59.999 UTC);
    let at_expiry = datetime!(2024-07-01 05:00 -05:00);
    assert_eq!(store.agent_by_login(&hash, before).await.unwrap(), Some(ann));
    assert_eq!(store.agent_by_login(&hash, at_expiry).await.unwrap(), None);
    assert_eq!(store.delete_expired_logins(before).await.unwrap(), 0);
    assert_eq!(store.delete_expired_logins(datetime!(2024-07-01 19:00 +09:00)).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_times_do_not_depend_on_the_connection_time_zone() {
    let url = store::testing::fresh_database().await;
    let plain = Store::open(&url, &store::Config::default()).await.unwrap();
    let elsewhere =
        DatabaseUrl::parse(&format!("{}?options=-c%20TimeZone%3DPacific%2FChatham", url.expose()))
            .unwrap();
    let chatham = Store::open(&elsewhere, &store::Config::default()).await.unwrap();
    let acme = company(&chatham, "acme").await;
    assert_eq!(plain.company(&acme.id).await.unwrap().unwrap().created_at, acme.created_at);
    for (writer, reader, company) in [(&plain, &chatham, "one"), (&chatham, &plain, "two")] {
        let company = crate::support::company(writer, company).await;
        for t in times() {
            let ev = AuditEvent {
                at: t,
                company: Some(company.id.clone()),
                agent: None,
                session: None,
                kind: "time_zone_check".into(),
                detail: serde_json::json!({}),
            };
            writer.record_audit(&ev).await.unwrap();
        }
        let mut read: Vec<OffsetDateTime> = reader
            .audit_events(Some(&company.id), 100)
            .await
            .unwrap()
            .iter()
            .map(|e| e.at)
            .collect();
        read.reverse();
        let mut expected: Vec<OffsetDateTime> = times().into_iter().map(stored).collect();
        expected.sort();
        assert_eq!(read, expected);
        assert!(read.iter().all(|t| t.offset() == UtcOffset::UTC));
    }
}
