//! Agent logins: stored by token digest, honoured until they expire, deleted on logout.

use model::AgentId;
use store::{login_token_hash, StoreError};

use crate::support::{agent, at, company, file_store, memory_store};

#[tokio::test]
async fn login_is_valid_until_it_expires() {
    let (store, _dir) = file_store().await;
    let acme = company(&store, "acme").await;
    let ann = agent(&store, &acme.id, "ann@example.com").await;
    let hash = login_token_hash(&model::random_token());
    store.create_login(&hash, &ann.id, at(2_000_000)).await.unwrap();

    assert_eq!(store.agent_by_login(&hash, at(1_000_000)).await.unwrap(), Some(ann.clone()));
    assert_eq!(store.agent_by_login(&hash, at(1_999_999)).await.unwrap(), Some(ann));
    assert_eq!(store.agent_by_login(&hash, at(2_000_000)).await.unwrap(), None);
    assert_eq!(store.agent_by_login(&hash, at(3_000_000)).await.unwrap(), None);
}

#[tokio::test]
async fn logout_deletes_only_that_login() {
    let store = memory_store().await;
    let acme = company(&store, "acme").await;
    let ann = agent(&store, &acme.id, "ann@example.com").await;
    let laptop = login_token_hash("laptop-token");
    let phone = login_token_hash("phone-token");
    store.create_login(&laptop, &ann.id, at(2_000_000)).await.unwrap();
    store.create_login(&phone, &ann.id, at(2_000_000)).await.unwrap();

    store.delete_login(&laptop).await.unwrap();
    store.delete_login(&laptop).await.unwrap();
    assert_eq!(store.agent_by_login(&laptop, at(1_000_000)).await.unwrap(), None);
    assert!(store.agent_by_login(&phone, at(1_000_000)).await.unwrap().is_some());
}

#[tokio::test]
async fn unknown_login_finds_nobody() {
    let store = memory_store().await;
    let hash = login_token_hash("never issued");
    assert_eq!(store.agent_by_login(&hash, at(0)).await.unwrap(), None);
}

#[tokio::test]
async fn raw_tokens_are_never_stored() {
    let store = memory_store().await;
    let acme = company(&store, "acme").await;
    let ann = agent(&store, &acme.id, "ann@example.com").await;
    let token = model::random_token();
    let err = store.create_login(&token, &ann.id, at(2_000_000)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("login_token_hash"), "{err}");
}

#[tokio::test]
async fn expired_logins_are_purged() {
    let store = memory_store().await;
    let acme = company(&store, "acme").await;
    let ann = agent(&store, &acme.id, "ann@example.com").await;
    store.create_login(&login_token_hash("old"), &ann.id, at(1_000)).await.unwrap();
    store.create_login(&login_token_hash("new"), &ann.id, at(9_000)).await.unwrap();
    assert_eq!(store.delete_expired_logins(at(5_000)).await.unwrap(), 1);
    assert!(store.agent_by_login(&login_token_hash("new"), at(5_000)).await.unwrap().is_some());
}

#[tokio::test]
async fn login_for_an_unknown_agent_is_refused() {
    let store = memory_store().await;
    let err = store.create_login(&login_token_hash("t"), &AgentId::random(), at(9_000)).await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
}
