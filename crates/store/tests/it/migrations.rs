//! The migrators: they apply once, survive reopening and racing openers, and refuse a newer
//! schema; bad URLs and unreachable servers are refused without showing a password.

use store::{Config, DatabaseUrl, Store, StoreError};

use crate::support::{company, contract, fresh_url, Backend, TestDb};

contract!(migrations_apply_once_however_often_the_database_is_opened);
async fn migrations_apply_once_however_often_the_database_is_opened(db: TestDb) {
    assert_eq!(db.store.schema_version().await.unwrap(), Store::latest_schema_version());
    company(&db.store, "acme").await;
    db.store.close().await;
    let reopened = db.open_again().await;
    assert_eq!(reopened.schema_version().await.unwrap(), Store::latest_schema_version());
    assert!(reopened.company_by_slug("acme").await.unwrap().is_some());
    let again = db.open_again().await;
    assert_eq!(again.count_companies().await.unwrap(), 1);
    if db.backend == Backend::Sqlite {
        // WAL mode keeps a write-ahead log next to the database while it is open.
        let path = db.url.sqlite_path().unwrap();
        assert!(path.with_file_name("beside.db-wal").exists());
    }
}

async fn two_stores_opening_one_new_database_at_once_both_succeed(backend: Backend) {
    let (url, _dir) = fresh_url(backend).await;
    let config = Config::default();
    let (a, b, c) = tokio::join!(
        Store::open(&url, &config),
        Store::open(&url, &config),
        Store::open(&url, &config)
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    company(&a, "acme").await;
    assert!(b.company_by_slug("acme").await.unwrap().is_some());
    assert_eq!(c.schema_version().await.unwrap(), Store::latest_schema_version());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_opening_one_new_sqlite_file_at_once_both_succeed() {
    two_stores_opening_one_new_database_at_once_both_succeed(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_opening_one_new_postgres_database_at_once_both_succeed() {
    two_stores_opening_one_new_database_at_once_both_succeed(Backend::Postgres).await;
}

#[tokio::test]
async fn in_memory_store_is_migrated_and_private() {
    let a = Store::open_in_memory().await.unwrap();
    let b = Store::open_in_memory().await.unwrap();
    assert_eq!(a.schema_version().await.unwrap(), Store::latest_schema_version());
    company(&a, "acme").await;
    assert_eq!(a.count_companies().await.unwrap(), 1);
    assert_eq!(b.count_companies().await.unwrap(), 0);
}

contract!(database_from_a_newer_beside_is_refused);
async fn database_from_a_newer_beside_is_refused(db: TestDb) {
    // Stand in for a newer beside: record a migration this build does not know.
    db.store.close().await;
    store::testing::record_future_migration(&db.url, 999).await;
    let err = Store::open(&db.url, &Config::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::SchemaTooNew { found: 999, .. }), "{err:?}");
    assert!(err.to_string().contains("upgrade beside"), "{err}");
}

#[tokio::test]
async fn unwritable_data_directory_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let url = DatabaseUrl::sqlite(file.join("beside.db"));
    let err = Store::open(&url, &Config::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

/// Every cause in an error's chain, on one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

#[tokio::test]
async fn unreachable_or_refused_postgres_is_a_connect_error_without_the_password() {
    let server = tokio::task::spawn_blocking(store::testing::shared).await.unwrap();
    let good = server.url("postgres").expose();
    let password = server.password().to_owned();
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = Config { connect_timeout_secs: 2, ..Config::default() };
    let cases = [
        // Nothing listens there.
        good.replace(&format!(":{}/", good_port(&good)), &format!(":{closed_port}/")),
        // The wrong password.
        good.replace(&password, "wrong-password"),
        // A database that does not exist.
        good.replace("/postgres", "/no_such_database"),
    ];
    for raw in cases {
        let url = DatabaseUrl::parse(&raw).unwrap();
        let err = Store::open(&url, &config).await.unwrap_err();
        let text = chain(&err);
        assert!(matches!(err, StoreError::Connect { .. }), "{text}");
        assert!(!text.contains(&password) && !text.contains("wrong-password"), "{text}");
        assert!(text.contains(":***@127.0.0.1"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
}

fn good_port(url: &str) -> u16 {
    url::Url::parse(url).unwrap().port().unwrap()
}
