//! Helpers shared by the store tests: fresh stores and ready-made records.

use model::{AgentRole, CompanyId};
use store::{Agent, Company, NewAgent, NewCompany, Store};
use time::OffsetDateTime;

/// A store in a fresh temporary directory; keep the directory alive as long as the store.
pub(crate) async fn file_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = store::Config { path: dir.path().join("nested/data/beside.db") };
    (Store::open(&config).await.unwrap(), dir)
}

pub(crate) async fn memory_store() -> Store {
    Store::open_in_memory().await.unwrap()
}

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
