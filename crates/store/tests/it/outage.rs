//! A store whose PostgreSQL goes away: every call says `Unavailable` (never a plain database
//! error, which the edge would answer with 500), nothing hangs past the connect timeout, and
//! the same store works again once the server is back, with nothing reopened.

use std::time::{Duration, Instant};

use store::testing::PrivatePostgres;
use store::{Config, Store};

use crate::support::{company, contract, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_postgres_is_unavailable_and_the_same_store_recovers() {
    // A server of its own, this test kills it; durable, as one in production (without
    // synchronous commit, the crash would lose the last commits).
    let postgres =
        tokio::task::spawn_blocking(PrivatePostgres::start_durable).await.unwrap().unwrap();
    let url = postgres.create_database().await;
    let config = Config { connect_timeout_secs: 1, ..Config::default() };
    let store = Store::open(&url, &config).await.unwrap();
    let acme = company(&store, "acme").await;
    store.ping().await.unwrap();

    let postgres =
        tokio::task::spawn_blocking(move || postgres.kill().map(|()| postgres)).await.unwrap();
    let postgres = postgres.unwrap();
    let began = Instant::now();
    let errors = [
        store.ping().await.unwrap_err(),
        store.company(&acme.id).await.unwrap_err(),
        store.company_by_slug("acme").await.unwrap_err(),
        store.count_companies().await.unwrap_err(),
    ];
    for error in &errors {
        assert!(error.is_unavailable(), "{error:?}");
        assert!(!format!("{error:?}").contains(postgres.password()), "{error:?}");
    }
    // Four calls, each bounded by the one-second connect timeout (and a ping by two seconds).
    assert!(began.elapsed() < Duration::from_secs(15), "{:?}", began.elapsed());

    // Kept until the end: dropping it stops the server.
    let _postgres = tokio::task::spawn_blocking(move || postgres.restart().map(|()| postgres))
        .await
        .unwrap()
        .unwrap();
    store.ping().await.unwrap();
    assert_eq!(store.company_by_slug("acme").await.unwrap(), Some(acme));
    company(&store, "globex").await;
    assert_eq!(store.count_companies().await.unwrap(), 2);
}

contract!(a_reachable_database_answers_the_readiness_ping);
async fn a_reachable_database_answers_the_readiness_ping(db: TestDb) {
    db.store.ping().await.unwrap();
    db.store.close().await;
    // A closed store has no connection left to answer with.
    assert!(db.store.ping().await.unwrap_err().is_unavailable());
}
