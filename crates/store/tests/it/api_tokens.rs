//! API tokens (F23): kept per company by the digest of the token only, found by that digest,
//! revoked per company, their last use noted no more than once a minute, and gone with the
//! administrator who made them.

use model::{ApiScope, CompanyId, TokenId};
use store::{login_token_hash, NewApiToken, StoreError};
use time::Duration;

use crate::support::{agent, company, contract, TestDb};

contract!(api_tokens_are_kept_by_digest_per_company);
async fn api_tokens_are_kept_by_digest_per_company(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let ann = agent(store, &acme.id, "ann@acme.test").await;
    let otto = agent(store, &other.id, "otto@other.test").await;
    let new =
        |company: &CompanyId, by: &model::AgentId, token: &str, scopes: &[ApiScope]| NewApiToken {
            company: company.clone(),
            name: "CRM".into(),
            scopes: scopes.to_vec(),
            token_hash: login_token_hash(token),
            created_by: by.clone(),
        };
    let crm = store
        .create_api_token(new(
            &acme.id,
            &ann.id,
            "bst_one",
            &[ApiScope::Rules, ApiScope::SessionsJoin],
        ))
        .await
        .unwrap();
    assert!(crm.id.as_str().starts_with("tok_"));
    assert_eq!(crm.scopes, [ApiScope::SessionsJoin, ApiScope::Rules]);
    assert_eq!(crm.last_used_at, None);
    let theirs =
        store.create_api_token(new(&other.id, &otto.id, "bst_two", &[ApiScope::Agents])).await;
    let theirs = theirs.unwrap();
    assert_eq!(store.api_tokens(&acme.id).await.unwrap(), vec![crm.clone()]);
    assert_eq!(
        store.api_token_by_hash(&login_token_hash("bst_one")).await.unwrap(),
        Some(crm.clone())
    );
    assert_eq!(store.api_token_by_hash(&login_token_hash("bst_three")).await.unwrap(), None);

    let err = store
        .create_api_token(new(&acme.id, &ann.id, "bst_one", &[ApiScope::Rules]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "the same token twice: {err:?}");
    let err = store.create_api_token(new(&acme.id, &ann.id, "bst_four", &[])).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    // A use is noted; an earlier one never overwrites a later one.
    let at = crm.created_at + Duration::minutes(5);
    store.note_api_token_used(&crm.id, at).await.unwrap();
    store.note_api_token_used(&crm.id, at - Duration::minutes(1)).await.unwrap();
    let used = store.api_token_by_hash(&login_token_hash("bst_one")).await.unwrap().unwrap();
    assert_eq!(used.last_used_at, Some(at));

    // Another company's token is not found through this one.
    let err = store.delete_api_token(&acme.id, &theirs.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store.delete_api_token(&acme.id, &TokenId::random()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(store.delete_api_token(&acme.id, &crm.id).await.unwrap().id, crm.id);
    assert_eq!(store.api_token_by_hash(&login_token_hash("bst_one")).await.unwrap(), None);

    // A token goes with the account that made it.
    store.delete_agent(&other.id, &otto.id).await.unwrap();
    assert_eq!(store.api_token_by_hash(&login_token_hash("bst_two")).await.unwrap(), None);
}
