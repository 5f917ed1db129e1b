//! Trying a store operation again when another writer got in its way.
//!
//! SQLite answers "database is locked" when a transaction cannot get the write lock within its
//! busy timeout (or at once, when waiting could deadlock); PostgreSQL reports serialisation
//! failures and deadlocks. In each case nothing was written, so the operation is run again, a
//! few times with a growing pause; if it still fails the caller gets the error. A write is
//! either done or reported, never lost.

use std::future::Future;
use std::time::Duration;

use crate::StoreError;

/// Attempts in all, the first included.
const ATTEMPTS: u32 = 6;
const FIRST_PAUSE: Duration = Duration::from_millis(10);

pub(crate) async fn retrying<T, F, Fut>(mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    loop {
        match op().await {
            Err(error) if error.is_transient() && attempt < ATTEMPTS => {
                tracing::debug!(%error, attempt, "Another writer was in the way; trying again.");
                // A pause that differs between writers, so those that collided do not collide
                // again in step.
                let [a, b] = model::random_bytes::<2>();
                let jitter = Duration::from_micros(u64::from(u16::from_le_bytes([a, b]) % 1000));
                tokio::time::sleep(pause + jitter).await;
                pause *= 2;
                attempt += 1;
            }
            res => return res,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use sqlx::{ConnectOptions, Connection};

    use super::*;

    /// A real SQLite BUSY_SNAPSHOT: a transaction read, another connection wrote, the first
    /// tries to write on its stale snapshot.
    async fn sqlite_stale_snapshot() -> sqlx::Error {
        let dir = tempfile::tempdir().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("t.db"))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut a = options.connect().await.unwrap();
        let mut b = options.connect().await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (x INTEGER)").execute(&mut a).await.unwrap();
        let mut tx = a.begin().await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM t").fetch_one(&mut *tx).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)").execute(&mut b).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)").execute(&mut *tx).await.unwrap_err()
    }

    /// A real SQLite BUSY after the busy timeout: another connection holds the write lock.
    async fn sqlite_busy_timeout() -> sqlx::Error {
        let dir = tempfile::tempdir().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("t.db"))
            .create_if_missing(true)
            .busy_timeout(std::time::Duration::ZERO);
        let mut a = options.connect().await.unwrap();
        let mut b = options.connect().await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (x INTEGER)").execute(&mut a).await.unwrap();
        let _held = sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut a).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)").execute(&mut b).await.unwrap_err()
    }

    /// A real PostgreSQL serialisation failure: two REPEATABLE READ transactions update one row.
    async fn postgres_serialisation_failure() -> sqlx::Error {
        let url = crate::testing::fresh_database().await.expose();
        let mut a = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut b = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (0)")
            .execute(&mut a)
            .await
            .unwrap();
        let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ";
        let mut tx = a.begin_with(begin).await.unwrap();
        sqlx::query("SELECT x FROM t").fetch_one(&mut *tx).await.unwrap();
        sqlx::query("UPDATE t SET x = 1").execute(&mut b).await.unwrap();
        sqlx::query("UPDATE t SET x = 2").execute(&mut *tx).await.unwrap_err()
    }

    fn failed(source: sqlx::Error) -> StoreError {
        StoreError::database("testing")(source)
    }

    #[tokio::test]
    async fn stale_snapshots_and_serialisation_failures_are_transient() {
        assert!(failed(sqlite_stale_snapshot().await).is_transient());
        assert!(failed(postgres_serialisation_failure().await).is_transient());
    }

    #[tokio::test]
    async fn a_busy_timeout_that_ran_out_is_reported_not_retried() {
        let error = failed(sqlite_busy_timeout().await);
        assert!(!error.is_transient(), "{error:?}");
        assert!(!error.is_unavailable(), "{error:?}");
    }

    #[tokio::test]
    async fn a_conflict_that_clears_is_tried_again_until_it_succeeds() {
        let n_calls = AtomicU32::new(0);
        let res = retrying(|| async {
            match n_calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(failed(sqlite_stale_snapshot().await)),
                1 => Err(failed(postgres_serialisation_failure().await)),
                _ => Ok("written"),
            }
        })
        .await;
        assert_eq!(res.unwrap(), "written");
        assert_eq!(n_calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_conflict_that_persists_is_reported_after_a_few_tries() {
        let n_calls = AtomicU32::new(0);
        let res: Result<(), _> = retrying(|| async {
            n_calls.fetch_add(1, Ordering::SeqCst);
            Err(failed(sqlite_stale_snapshot().await))
        })
        .await;
        assert!(res.unwrap_err().is_transient());
        assert_eq!(n_calls.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test]
    async fn other_errors_are_reported_at_once() {
        let n_calls = AtomicU32::new(0);
        let res: Result<(), _> = retrying(|| async {
            n_calls.fetch_add(1, Ordering::SeqCst);
            Err(failed(sqlite_busy_timeout().await))
        })
        .await;
        assert!(res.is_err());
        assert_eq!(n_calls.load(Ordering::SeqCst), 1);
    }
}
