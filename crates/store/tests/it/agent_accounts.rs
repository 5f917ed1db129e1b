//! Agent accounts managed by administrators (F18): changes with a version check, disabling,
//! removal, and one-time set-password links.

use model::{AgentId, AgentRole};
use store::{login_token_hash, AgentChanges, StoreError};
use time::{Duration, OffsetDateTime};

use crate::support::{agent, company, contract, TestDb};

fn hash(n: u8) -> String {
    format!("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ${n}")
}

contract!(changes_need_the_current_version_and_stay_in_the_company);
async fn changes_need_the_current_version_and_stay_in_the_company(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let ann = agent(store, &acme.id, "ann@acme.example").await;
    assert_eq!((ann.version, ann.disabled), (1, false));
    let changes = AgentChanges {
        name: Some(" Ann Admin ".into()),
        role: Some(AgentRole::Admin),
        ..AgentChanges::default()
    };
    let changed = store.update_agent(&acme.id, &ann.id, 1, changes.clone()).await.unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.role, changed.version),
        ("Ann Admin", AgentRole::Admin, 2)
    );
    assert_eq!(store.agent(&ann.id).await.unwrap(), Some(changed.clone()));
    // A second admin still holding version 1 is told, and nothing is overwritten.
    let stale = store.update_agent(&acme.id, &ann.id, 1, changes.clone()).await.unwrap_err();
    assert!(matches!(stale, StoreError::Stale(_)), "{stale:?}");
    assert_eq!(store.agent(&ann.id).await.unwrap(), Some(changed));
    // Another company's admin does not find her.
    let err = store.update_agent(&other.id, &ann.id, 2, changes).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store.delete_agent(&other.id, &ann.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    // A taken email or a bad one is refused.
    agent(store, &acme.id, "bob@acme.example").await;
    let taken = AgentChanges { email: Some("BOB@acme.example".into()), ..AgentChanges::default() };
    let err = store.update_agent(&acme.id, &ann.id, 2, taken).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let bad = AgentChanges { email: Some("not an email".into()), ..AgentChanges::default() };
    let err = store.update_agent(&acme.id, &ann.id, 2, bad).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    store.delete_agent(&acme.id, &ann.id).await.unwrap();
    assert_eq!(store.agent(&ann.id).await.unwrap(), None);
}

contract!(a_disabled_agent_cannot_sign_in_and_loses_their_logins);
async fn a_disabled_agent_cannot_sign_in_and_loses_their_logins(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let ann = agent(store, &acme.id, "ann@acme.example").await;
    let login = login_token_hash("a login token");
    let later = OffsetDateTime::now_utc() + Duration::hours(1);
    store.create_login(&login, &ann.id, later).await.unwrap();
    let off = AgentChanges { disabled: Some(true), ..AgentChanges::default() };
    store.update_agent(&acme.id, &ann.id, 1, off).await.unwrap();
    assert!(store.agent_by_login(&login, OffsetDateTime::now_utc()).await.unwrap().is_none());
    assert!(store.agent_credentials("ann@acme.example").await.unwrap().is_none());
    let on = AgentChanges { disabled: Some(false), ..AgentChanges::default() };
    store.update_agent(&acme.id, &ann.id, 2, on).await.unwrap();
    assert!(store.agent_credentials("ann@acme.example").await.unwrap().is_some());
}

contract!(a_set_password_link_works_once_and_until_it_expires);
async fn a_set_password_link_works_once_and_until_it_expires(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let ann = agent(store, &acme.id, "ann@acme.example").await;
    let now = OffsetDateTime::now_utc();
    let link = login_token_hash("link one");
    let err = store
        .issue_password_link(&other.id, &ann.id, &link, now + Duration::days(1), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.issue_password_link(&acme.id, &ann.id, "plain", now, None).await.is_err());
    store
        .issue_password_link(&acme.id, &ann.id, &link, now + Duration::days(1), None)
        .await
        .unwrap();
    let done = store.redeem_password_link(&link, now, &hash(1)).await.unwrap();
    assert_eq!(done.id, ann.id);
    assert_eq!(done.version, ann.version, "a password is not an edit of the agent record");
    assert_eq!(store.agent_credentials("ann@acme.example").await.unwrap().unwrap().1, hash(1));
    let again = store.redeem_password_link(&link, now, &hash(2)).await.unwrap_err();
    assert!(matches!(again, StoreError::NotFound(_)), "{again:?}");

    // A reset stops the old password and logins at once; a newer link replaces an older one.
    let login = login_token_hash("a login token");
    store.create_login(&login, &ann.id, now + Duration::hours(1)).await.unwrap();
    let old = login_token_hash("link two");
    let new = login_token_hash("link three");
    store
        .issue_password_link(&acme.id, &ann.id, &old, now + Duration::days(1), None)
        .await
        .unwrap();
    store
        .issue_password_link(&acme.id, &ann.id, &new, now + Duration::days(1), Some(&hash(3)))
        .await
        .unwrap();
    let (after_reset, password) =
        store.agent_credentials("ann@acme.example").await.unwrap().unwrap();
    assert_eq!((after_reset.version, password), (ann.version, hash(3)));
    assert!(store.agent_by_login(&login, now).await.unwrap().is_none());
    assert!(store.redeem_password_link(&old, now, &hash(4)).await.is_err());
    // Expired.
    let err =
        store.redeem_password_link(&new, now + Duration::days(2), &hash(4)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.redeem_password_link(&new, now, &hash(4)).await.is_ok());

    // Setting a password outright (the command line) also ends logins and any link.
    let login = login_token_hash("another login token");
    store.create_login(&login, &ann.id, now + Duration::hours(1)).await.unwrap();
    let pending = login_token_hash("link four");
    store
        .issue_password_link(&acme.id, &ann.id, &pending, now + Duration::days(1), None)
        .await
        .unwrap();
    let err = store.set_agent_password(&other.id, &ann.id, &hash(5)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.set_agent_password(&acme.id, &ann.id, "plain text").await.is_err());
    store.set_agent_password(&acme.id, &ann.id, &hash(5)).await.unwrap();
    let (after_set, password) = store.agent_credentials("ann@acme.example").await.unwrap().unwrap();
    assert_eq!((after_set.version, password), (ann.version, hash(5)));
    assert!(store.agent_by_login(&login, now).await.unwrap().is_none());
    assert!(store.redeem_password_link(&pending, now, &hash(6)).await.is_err());
    assert!(store.delete_agent(&acme.id, &AgentId::random()).await.is_err());
}
