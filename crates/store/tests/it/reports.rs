//! Company reports (F25): figures over days computed in the database, and session records a
//! page at a time, the same on both backends.

use model::SessionId;
use store::{AuditEvent, ReportRange, SessionsQuery, Spread, StoreError};
use time::macros::date;

use crate::sessions::record;
use crate::support::{agent, at, company, contract, TestDb};

/// 2026-11-30T00:00:00Z in unix milliseconds.
const DAY1: i64 = 1_795_996_800_000;
const DAY: i64 = 86_400_000;
const MINUTE: i64 = 60_000;

fn range() -> ReportRange {
    ReportRange::new(date!(2026 - 11 - 30), date!(2026 - 12 - 02)).unwrap()
}

contract!(a_summary_counts_days_agents_reasons_and_spreads);
async fn a_summary_counts_days_agents_reasons_and_spreads(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let ann = agent(store, &acme.id, "ann@example.com").await;
    let bob = agent(store, &acme.id, "bob@example.com").await;
    // Day 1: ten sessions of 1 to 10 minutes; the first five joined after 1 to 5 seconds.
    for i in 1..=10i64 {
        let created = DAY1 + 10 * 60 * MINUTE + i * MINUTE;
        let rec = store::SessionRecord { created_at: at(created), ..record(&acme.id) };
        store.insert_session(&rec).await.unwrap();
        if i <= 5 {
            let who = if i <= 3 { &ann.id } else { &bob.id };
            store.mark_session_joined(&rec.id, who, at(created + i * 1000)).await.unwrap();
        }
        let reason = if i % 2 == 1 { "ended_by_customer" } else { "expired" };
        store.mark_session_ended(&rec.id, at(created + i * MINUTE), reason).await.unwrap();
    }
    // Day 2: one session, still open. Outside: the last millisecond before, the day after,
    // and another company's.
    for (company, created) in [
        (&acme.id, DAY1 + DAY + 5),
        (&acme.id, DAY1 - 1),
        (&acme.id, DAY1 + 3 * DAY),
        (&other.id, DAY1 + 5),
    ] {
        let rec = store::SessionRecord { created_at: at(created), ..record(company) };
        store.insert_session(&rec).await.unwrap();
    }
    for (company, when, kind) in [
        (&acme.id, DAY1 + 1, "agent_input_refused"),
        (&acme.id, DAY1 + DAY + 1, "agent_input_refused"),
        (&acme.id, DAY1 + 2, "control_granted"),
        (&acme.id, DAY1 + 3 * DAY, "agent_input_refused"),
        (&other.id, DAY1 + 1, "agent_input_refused"),
    ] {
        let event = AuditEvent {
            at: at(when),
            company: Some(company.clone()),
            agent: None,
            session: None,
            kind: kind.into(),
            detail: serde_json::json!({}),
        };
        store.record_audit(&event).await.unwrap();
    }

    let summary = store.session_summary(&acme.id, &range()).await.unwrap();
    let minutes = |m: i64| Some(m * MINUTE);
    assert_eq!(summary.totals.sessions, 11);
    assert_eq!(summary.totals.joined, 5);
    assert_eq!(summary.totals.duration, Spread { median_ms: minutes(5), p90_ms: minutes(9) });
    assert_eq!(summary.totals.wait, Spread { median_ms: Some(3000), p90_ms: Some(5000) });
    let days: Vec<_> = summary
        .days
        .iter()
        .map(|d| (d.day.as_str(), d.figures.sessions, d.figures.joined))
        .collect();
    assert_eq!(days, [("2026-11-30", 10, 5), ("2026-12-01", 1, 0), ("2026-12-02", 0, 0)]);
    assert_eq!(summary.days[0].figures.duration, summary.totals.duration);
    assert_eq!(summary.days[1].figures.duration, Spread::default());
    let agents: Vec<_> = summary
        .agents
        .iter()
        .map(|a| (a.agent.clone(), a.name.clone().unwrap(), a.sessions))
        .collect();
    assert_eq!(agents, [(ann.id.clone(), ann.name.clone(), 3), (bob.id, bob.name, 2)]);
    let reasons: Vec<_> =
        summary.end_reasons.iter().map(|r| (r.reason.as_str(), r.sessions)).collect();
    assert_eq!(reasons, [("ended_by_customer", 5), ("expired", 5)]);
    assert_eq!(summary.blocked_attempts, 2);

    let nothing = store.session_summary(&other.id, &range()).await.unwrap();
    assert_eq!((nothing.totals.sessions, nothing.blocked_attempts), (1, 1));
    assert_eq!(nothing.totals.duration, Spread::default());
}

contract!(session_records_come_a_page_at_a_time_in_order);
async fn session_records_come_a_page_at_a_time_in_order(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let mut made = Vec::new();
    for i in 0..7i64 {
        // Two sessions share each time: the id breaks the tie.
        let rec =
            store::SessionRecord { created_at: at(DAY1 + (i / 2) * 1000), ..record(&acme.id) };
        store.insert_session(&rec).await.unwrap();
        made.push((rec.created_at, rec.id));
    }
    made.sort();
    let mut read: Vec<(time::OffsetDateTime, SessionId)> = Vec::new();
    loop {
        let page = store
            .sessions_between(SessionsQuery {
                company: acme.id.clone(),
                range: range(),
                after: read.last().cloned(),
                limit: 3,
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        read.extend(page.into_iter().map(|r| (r.created_at, r.id)));
    }
    assert_eq!(read, made);
    let too_big = SessionsQuery { company: acme.id, range: range(), after: None, limit: 1001 };
    assert!(matches!(store.sessions_between(too_big).await, Err(StoreError::Invalid(_))));
}
