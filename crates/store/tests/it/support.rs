//! Helpers shared by the store tests: a fresh database of either backend, ready-made records,
//! and `contract!`, which runs one test against both backends.

use model::{AgentRole, CompanyId};
use store::{Agent, Company, DatabaseUrl, NewAgent, NewCompany, Store};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, migrated database of one backend. Keep it alive as long as its stores.
pub(crate) struct TestDb {
    pub(crate) store: Store,
    pub(crate) url: DatabaseUrl,
    pub(crate) backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub(crate) async fn new(backend: Backend) -> TestDb {
        let (url, dir) = fresh_url(backend).await;
        let store = Store::open(&url, &store::Config::default()).await.unwrap();
        TestDb { store, url, backend, _dir: dir }
    }

    /// Another handle on the same database, with its own connections: another process.
    pub(crate) async fn open_again(&self) -> Store {
        Store::open(&self.url, &store::Config::default()).await.unwrap()
    }
}

/// Where a new database of `backend` would be: a file in a new directory (kept alive by the
/// returned guard), or a new database in the test binary's private PostgreSQL.
pub(crate) async fn fresh_url(backend: Backend) -> (DatabaseUrl, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            (DatabaseUrl::sqlite(dir.path().join("nested/data/beside.db")), Some(dir))
        }
        Backend::Postgres => (store::testing::fresh_database().await, None),
    }
}

/// Runs `async fn name(db: TestDb)` as two tests, each with a fresh database: `name::sqlite`
/// and `name::postgres`. Write `contract!(name);` next to the function (a module and a function
/// may share a name).
macro_rules! contract {
    ($name:ident) => {
        mod $name {
            use $crate::support::{Backend, TestDb};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(TestDb::new(Backend::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(TestDb::new(Backend::Postgres).await).await
            }
        }
    };
}
pub(crate) use contract;

pub(crate) async fn company(store: &Store, slug: &str) -> Company {
    store
        .create_company(NewCompany {
            slug: slug.into(),
            name: format!("{slug} Inc."),
            start_url: None,
        })
        .await
        .unwrap()
}

pub(crate) fn new_agent(company: &CompanyId, email: &str) -> NewAgent {
    NewAgent {
        company: company.clone(),
        email: email.into(),
        name: "Ann Agent".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: AgentRole::Agent,
    }
}

pub(crate) async fn agent(store: &Store, company: &CompanyId, email: &str) -> Agent {
    store.create_agent(new_agent(company, email)).await.unwrap()
}

/// A fixed time with millisecond precision (what the store keeps).
pub(crate) fn at(unix_ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000).unwrap()
}
