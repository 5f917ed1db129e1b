//! Companies and agents: creation, lookups, uniqueness and validation.

use model::{AgentId, AgentRole, CompanyId};
use store::{NewCompany, StoreError};

use crate::support::{agent, company, contract, new_agent, TestDb};

contract!(company_is_found_by_slug_and_id);
async fn company_is_found_by_slug_and_id(db: TestDb) {
    let store = &db.store;
    assert_eq!(store.count_companies().await.unwrap(), 0);
    let created = store
        .create_company(NewCompany {
            slug: "acme-shop".into(),
            name: "ACME Shop".into(),
            start_url: Some("https://shop.example/".into()),
        })
        .await
        .unwrap();
    assert!(created.id.as_str().starts_with("cmp_"));
    assert_eq!(store.company_by_slug("acme-shop").await.unwrap(), Some(created.clone()));
    assert_eq!(store.company(&created.id).await.unwrap(), Some(created.clone()));
    assert_eq!(store.company_by_slug("other").await.unwrap(), None);
    assert_eq!(store.company(&CompanyId::random()).await.unwrap(), None);
    assert_eq!(store.count_companies().await.unwrap(), 1);
    let demo = company(store, "demo").await;
    assert_eq!(demo.start_url, None);
    assert_eq!(store.count_companies().await.unwrap(), 2);
}

contract!(duplicate_slug_is_a_conflict);
async fn duplicate_slug_is_a_conflict(db: TestDb) {
    company(&db.store, "acme").await;
    let err = db
        .store
        .create_company(NewCompany { slug: "acme".into(), name: "Other".into(), start_url: None })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("acme"), "{err}");
    assert_eq!(db.store.count_companies().await.unwrap(), 1);
}

contract!(invalid_slug_is_rejected_before_storing);
async fn invalid_slug_is_rejected_before_storing(db: TestDb) {
    for slug in ["", "AC", "Acme", "-acme", "acme-", "acme shop", "a/b"] {
        let err = db
            .store
            .create_company(NewCompany { slug: slug.into(), name: "A".into(), start_url: None })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{slug}: {err:?}");
        assert!(err.to_string().contains("e.g. acme-shop"), "{err}");
    }
    assert_eq!(db.store.count_companies().await.unwrap(), 0);
}

contract!(agent_credentials_are_found_by_email_in_any_case);
async fn agent_credentials_are_found_by_email_in_any_case(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let mut new = new_agent(&acme.id, "Ann@Example.com");
    new.role = AgentRole::Admin;
    let ann = store.create_agent(new.clone()).await.unwrap();
    assert!(ann.id.as_str().starts_with("agt_"));
    assert_eq!(ann.email, "Ann@Example.com");
    assert_eq!(ann.role, AgentRole::Admin);
    assert_eq!(ann.company, acme.id);

    let (found, hash) = store.agent_credentials("ann@EXAMPLE.com").await.unwrap().unwrap();
    assert_eq!(found, ann);
    assert_eq!(hash, new.password_hash);
    assert_eq!(store.agent(&ann.id).await.unwrap(), Some(ann));
    assert!(store.agent_credentials("bob@example.com").await.unwrap().is_none());
    assert!(store.agent(&AgentId::random()).await.unwrap().is_none());
}

contract!(duplicate_email_is_a_conflict_whatever_the_case);
async fn duplicate_email_is_a_conflict_whatever_the_case(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    agent(store, &acme.id, "ann@example.com").await;
    for (company, email) in [(&acme.id, "ann@example.com"), (&other.id, "ANN@example.COM")] {
        let err = store.create_agent(new_agent(company, email)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{email}: {err:?}");
    }
}

contract!(invalid_email_and_name_are_rejected);
async fn invalid_email_and_name_are_rejected(db: TestDb) {
    let acme = company(&db.store, "acme").await;
    for email in ["", "ann", "ann@", "@example.com", "a b@example.com", "a@b@example.com"] {
        let err = db.store.create_agent(new_agent(&acme.id, email)).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{email}: {err:?}");
    }
    let mut nameless = new_agent(&acme.id, "ann@example.com");
    nameless.name = "  ".into();
    assert!(matches!(db.store.create_agent(nameless).await, Err(StoreError::Invalid(_))));
}

contract!(agent_of_an_unknown_company_is_not_created);
async fn agent_of_an_unknown_company_is_not_created(db: TestDb) {
    let err = db.store.create_agent(new_agent(&CompanyId::random(), "ann@example.com")).await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
    assert!(db.store.agent_credentials("ann@example.com").await.unwrap().is_none());
}

contract!(a_company_lists_its_own_agents_only);
async fn a_company_lists_its_own_agents_only(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let bob = agent(store, &acme.id, "bob@acme.example").await;
    let ann = agent(store, &acme.id, "Ann@acme.example").await;
    agent(store, &other.id, "eve@other.example").await;
    assert_eq!(store.agents(&acme.id).await.unwrap(), vec![ann, bob]);
    assert!(store.agents(&CompanyId::random()).await.unwrap().is_empty());
}
