//! Agent logins: stored by token digest, honoured until they expire, deleted on logout.

use model::AgentId;
use store::{login_token_hash, StoreError};

use crate::support::{agent, at, company, contract, TestDb};

contract!(login_is_valid_until_it_expires);
async fn login_is_valid_until_it_expires(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let ann = agent(store, &acme.id, "ann@example.com").await;
    let hash = login_token_hash(&model::random_token());
    store.create_login(&hash, &ann.id, at(2_000_000)).await.unwrap();

    assert_eq!(store.agent_by_login(&hash, at(1_000_000)).await.unwrap(), Some(ann.clone()));
    assert_eq!(store.agent_by_login(&hash, at(1_999_999)).await.unwrap(), Some(ann));
    assert_eq!(store.agent_by_login(&hash, at(2_000_000)).await.unwrap(), None);
    assert_eq!(store.agent_by_login(&hash, at(3_000_000)).await.unwrap(), None);
}

contract!(logout_deletes_only_that_login);
async fn logout_deletes_only_that_login(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let ann = agent(store, &acme.id, "ann@example.com").await;
    let laptop = login_token_hash("laptop-token");
    let phone = login_token_hash("phone-token");
    store.create_login(&laptop, &ann.id, at(2_000_000)).await.unwrap();
    store.create_login(&phone, &ann.id, at(2_000_000)).await.unwrap();

    store.delete_login(&laptop).await.unwrap();
    store.delete_login(&laptop).await.unwrap();
    assert_eq!(store.agent_by_login(&laptop, at(1_000_000)).await.unwrap(), None);
    assert!(store.agent_by_login(&phone, at(1_000_000)).await.unwrap().is_some());
}

contract!(unknown_login_finds_nobody);
async fn unknown_login_finds_nobody(db: TestDb) {
    let hash = login_token_hash("never issued");
    assert_eq!(db.store.agent_by_login(&hash, at(0)).await.unwrap(), None);
}

contract!(raw_tokens_are_never_stored);
async fn raw_tokens_are_never_stored(db: TestDb) {
    let acme = company(&db.store, "acme").await;
    let ann = agent(&db.store, &acme.id, "ann@example.com").await;
    let token = model::random_token();
    let err = db.store.create_login(&token, &ann.id, at(2_000_000)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("login_token_hash"), "{err}");
}

contract!(a_login_token_is_used_once);
async fn a_login_token_is_used_once(db: TestDb) {
    let acme = company(&db.store, "acme").await;
    let ann = agent(&db.store, &acme.id, "ann@example.com").await;
    let bob = agent(&db.store, &acme.id, "bob@example.com").await;
    let hash = login_token_hash("one token");
    db.store.create_login(&hash, &ann.id, at(9_000)).await.unwrap();
    let err = db.store.create_login(&hash, &bob.id, at(9_000)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(db.store.agent_by_login(&hash, at(1)).await.unwrap(), Some(ann));
}

contract!(expired_logins_are_purged);
async fn expired_logins_are_purged(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let ann = agent(store, &acme.id, "ann@example.com").await;
    store.create_login(&login_token_hash("old"), &ann.id, at(1_000)).await.unwrap();
    store.create_login(&login_token_hash("new"), &ann.id, at(9_000)).await.unwrap();
    assert_eq!(store.delete_expired_logins(at(5_000)).await.unwrap(), 1);
    assert_eq!(store.delete_expired_logins(at(5_000)).await.unwrap(), 0);
    assert!(store.agent_by_login(&login_token_hash("new"), at(5_000)).await.unwrap().is_some());
}

contract!(login_for_an_unknown_agent_is_refused);
async fn login_for_an_unknown_agent_is_refused(db: TestDb) {
    let err = db.store.create_login(&login_token_hash("t"), &AgentId::random(), at(9_000)).await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
}
