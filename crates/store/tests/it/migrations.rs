//! The migrator: applies once, survives reopening, refuses a newer schema.

use store::{Config, Store, StoreError};

use crate::support::{company, file_store};

#[tokio::test]
async fn migrations_apply_twice_idempotently() {
    let (store, dir) = file_store().await;
    assert_eq!(store.schema_version().await.unwrap(), Store::latest_schema_version());
    company(&store, "acme").await;
    // WAL mode keeps a write-ahead log next to the database while it is open.
    assert!(dir.path().join("nested/data/beside.db-wal").exists());
    store.close().await;

    let config = Config { path: dir.path().join("nested/data/beside.db") };
    let reopened = Store::open(&config).await.unwrap();
    assert_eq!(reopened.schema_version().await.unwrap(), Store::latest_schema_version());
    assert!(reopened.company_by_slug("acme").await.unwrap().is_some());
    let again = Store::open(&config).await.unwrap();
    assert_eq!(again.count_companies().await.unwrap(), 1);
}

#[tokio::test]
async fn two_stores_opening_one_new_file_at_once_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { path: dir.path().join("beside.db") };
    let (a, b) = tokio::join!(Store::open(&config), Store::open(&config));
    let (a, b) = (a.unwrap(), b.unwrap());
    company(&a, "acme").await;
    assert!(b.company_by_slug("acme").await.unwrap().is_some());
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

#[tokio::test]
async fn database_from_a_newer_beside_is_refused() {
    let (store, dir) = file_store().await;
    store.close().await;
    let path = dir.path().join("nested/data/beside.db");
    // Simulate a newer beside by recording a migration this build does not know.
    {
        use sqlx::ConnectOptions;
        let mut conn =
            sqlx::sqlite::SqliteConnectOptions::new().filename(&path).connect().await.unwrap();
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'x', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let err = Store::open(&Config { path }).await.unwrap_err();
    assert!(matches!(err, StoreError::SchemaTooNew { found: 999, .. }), "{err:?}");
    assert!(err.to_string().contains("upgrade beside"), "{err}");
}

#[tokio::test]
async fn unwritable_data_directory_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let err = Store::open(&Config { path: file.join("beside.db") }).await.unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}
