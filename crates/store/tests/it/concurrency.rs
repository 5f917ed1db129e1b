//! Concurrent writers through several handles (as several processes would be): nothing is
//! lost, uniqueness holds, and what must change together does. SQLite's "database is locked"
//! and PostgreSQL's serialisation failures are retried inside the store; a test fails on any
//! error that reaches the caller.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use model::{RuleKind, SessionId};
use store::{login_token_hash, AuditEvent, NewCompany, SessionRecord, Store, StoreError};

use crate::rules::rule;
use crate::support::{agent, at, company, contract, new_agent, TestDb};

const N_HANDLES: usize = 4;
const N_WRITERS: usize = 8;

/// How many of the tasks made what they were asked to; the others must have met a conflict.
async fn n_made<T>(tasks: Vec<tokio::task::JoinHandle<Result<T, StoreError>>>) -> usize {
    let mut n_made = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => n_made += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    n_made
}

async fn handles(db: &TestDb) -> Vec<Store> {
    let mut all = vec![db.store.clone()];
    for _ in 1..N_HANDLES {
        all.push(db.open_again().await);
    }
    all
}

contract!(concurrent_writers_through_many_handles_lose_nothing);
async fn concurrent_writers_through_many_handles_lose_nothing(db: TestDb) {
    const PER_WRITER: usize = 12;
    let acme = company(&db.store, "acme").await;
    let ann = agent(&db.store, &acme.id, "ann@example.com").await;
    let handles = handles(&db).await;
    let mut tasks = Vec::new();
    for w in 0..N_WRITERS {
        let store = handles[w % N_HANDLES].clone();
        let (company, agent) = (acme.id.clone(), ann.id.clone());
        tasks.push(tokio::spawn(async move {
            let mut sessions = Vec::new();
            for i in 0..PER_WRITER {
                let selector = format!("#w{w}-{i}");
                store.create_rule(rule(&company, RuleKind::Mask, &selector, "*")).await?;
                let rec = SessionRecord {
                    id: SessionId::random(),
                    company: company.clone(),
                    start_url: "https://shop.example/".into(),
                    locale: None,
                    created_at: at(1_000),
                    agent: None,
                    joined_at: None,
                    ended_at: None,
                    end_reason: None,
                    reference: None,
                };
                store.insert_session(&rec).await?;
                store.mark_session_joined(&rec.id, &agent, at(2_000)).await?;
                store.mark_session_ended(&rec.id, at(3_000), "ended_by_agent").await?;
                store.create_login(&login_token_hash(&selector), &agent, at(9_000)).await?;
                store
                    .record_audit(&AuditEvent {
                        at: at(4_000),
                        company: Some(company.clone()),
                        agent: Some(agent.clone()),
                        session: Some(rec.id.clone()),
                        kind: "concurrency_check".into(),
                        detail: serde_json::json!({ "writer": w, "i": i }),
                    })
                    .await?;
                sessions.push(rec.id);
            }
            Ok::<_, StoreError>(sessions)
        }));
    }
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.extend(task.await.unwrap().unwrap());
    }
    let n = (N_WRITERS * PER_WRITER) as i64;
    let (version, rules) = db.store.versioned_rules(&acme.id).await.unwrap();
    assert_eq!((version, rules.len() as i64), (n, n));
    assert_eq!(db.store.audit_events(Some(&acme.id), 1_000).await.unwrap().len() as i64, n);
    for id in &sessions {
        let rec = db.store.session(id).await.unwrap().unwrap();
        assert_eq!((rec.agent.as_ref(), rec.ended_at), (Some(&ann.id), Some(at(3_000))));
    }
    for w in 0..N_WRITERS {
        for i in 0..PER_WRITER {
            let hash = login_token_hash(&format!("#w{w}-{i}"));
            assert!(db.store.agent_by_login(&hash, at(1)).await.unwrap().is_some());
        }
    }
}

contract!(concurrent_creates_of_one_slug_or_email_keep_exactly_one);
async fn concurrent_creates_of_one_slug_or_email_keep_exactly_one(db: TestDb) {
    let handles = handles(&db).await;
    let mut tasks = Vec::new();
    for w in 0..N_WRITERS {
        let store = handles[w % N_HANDLES].clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_company(NewCompany {
                    slug: "acme".into(),
                    name: format!("Writer {w}"),
                    start_url: None,
                })
                .await
        }));
    }
    assert_eq!(n_made(tasks).await, 1);
    assert_eq!(db.store.count_companies().await.unwrap(), 1);
    let acme = db.store.company_by_slug("acme").await.unwrap().unwrap();

    let mut tasks = Vec::new();
    for w in 0..N_WRITERS {
        let store = handles[w % N_HANDLES].clone();
        // The same address in other letter cases is the same account.
        let email = if w % 2 == 0 { "ann@example.com" } else { "ANN@Example.com" };
        let new = new_agent(&acme.id, email);
        tasks.push(tokio::spawn(async move { store.create_agent(new).await }));
    }
    assert_eq!(n_made(tasks).await, 1);
}

contract!(the_rule_limit_holds_against_concurrent_writers);
async fn the_rule_limit_holds_against_concurrent_writers(db: TestDb) {
    let acme = company(&db.store, "acme").await;
    let room = 3;
    for i in 0..store::MAX_RULES_PER_COMPANY - room {
        db.store.create_rule(rule(&acme.id, RuleKind::Mask, &format!("#f{i}"), "*")).await.unwrap();
    }
    let handles = handles(&db).await;
    let mut tasks = Vec::new();
    for w in 0..N_WRITERS {
        let store = handles[w % N_HANDLES].clone();
        let new = rule(&acme.id, RuleKind::Block, &format!("#late{w}"), "*");
        tasks.push(tokio::spawn(async move { store.create_rule(new).await }));
    }
    assert_eq!(n_made(tasks).await, room as usize);
    let (version, rules) = db.store.versioned_rules(&acme.id).await.unwrap();
    assert_eq!(rules.len() as u64, store::MAX_RULES_PER_COMPANY);
    assert_eq!(version as u64, store::MAX_RULES_PER_COMPANY);
}

contract!(a_rules_version_is_read_with_the_rules_it_counts);
async fn a_rules_version_is_read_with_the_rules_it_counts(db: TestDb) {
    // Rules are only added here, each change bumping the version once: every read of
    // (version, rules) taken together must show as many rules as the version says.
    const PER_WRITER: usize = 15;
    let acme = company(&db.store, "acme").await;
    let handles = handles(&db).await;
    let writing = Arc::new(AtomicBool::new(true));
    let mut writers = Vec::new();
    for (w, store) in handles[..2].iter().enumerate() {
        let store = store.clone();
        let company = acme.id.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                let new = rule(&company, RuleKind::Mask, &format!("#w{w}-{i}"), "*");
                store.create_rule(new).await.unwrap();
            }
        }));
    }
    let reader = {
        let store = handles[2].clone();
        let writing = writing.clone();
        let company = acme.id.clone();
        tokio::spawn(async move {
            let (mut n_reads, mut last) = (0, 0);
            while writing.load(Ordering::SeqCst) || n_reads == 0 {
                let (version, rules) = store.versioned_rules(&company).await.unwrap();
                assert_eq!(version, rules.len() as i64);
                assert!(version >= last, "the version went back from {last} to {version}");
                last = version;
                n_reads += 1;
            }
            n_reads
        })
    };
    for writer in writers {
        writer.await.unwrap();
    }
    writing.store(false, Ordering::SeqCst);
    assert!(reader.await.unwrap() > 0);
    assert_eq!(db.store.rules_version(&acme.id).await.unwrap(), 2 * PER_WRITER as i64);
}
