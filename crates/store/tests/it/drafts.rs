//! Rule drafts (F20): kept per company until published; publishing makes and changes rules in
//! one transaction and moves the rules version; a changed rule rolls back to its previous
//! published version, and one without history says so.

use model::{CompanyId, DraftId, RuleId, RuleKind};
use store::{NewDraft, StoreError, MAX_DRAFTS_PER_COMPANY};

use crate::rules::rule;
use crate::support::{agent, company, contract, TestDb};

fn draft(company: &CompanyId, kind: RuleKind, selector: &str, pattern: &str) -> NewDraft {
    NewDraft {
        company: company.clone(),
        rule: None,
        kind,
        selector: selector.into(),
        url_pattern: pattern.into(),
        created_by: None,
    }
}

contract!(drafts_are_kept_per_company_and_reach_no_rule_until_published);
async fn drafts_are_kept_per_company_and_reach_no_rule_until_published(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let ann = agent(store, &acme.id, "ann@acme.test").await;
    let first = store
        .create_draft(NewDraft {
            created_by: Some(ann.id.clone()),
            ..draft(&acme.id, RuleKind::Mask, " #note ", " shop.test/checkout/* ")
        })
        .await
        .unwrap();
    assert!(first.id.as_str().starts_with("drf_"));
    assert_eq!(
        (first.selector.as_str(), first.url_pattern.as_str()),
        ("#note", "shop.test/checkout/*")
    );
    let second = store.create_draft(draft(&acme.id, RuleKind::Block, "#pay", "*")).await.unwrap();
    store.create_draft(draft(&other.id, RuleKind::Mask, ".x", "*")).await.unwrap();
    assert_eq!(store.drafts(&acme.id).await.unwrap(), vec![first.clone(), second.clone()]);
    assert_eq!(store.rules(&acme.id).await.unwrap(), vec![]);
    assert_eq!(store.rules_version(&acme.id).await.unwrap(), 0);

    // Another company's draft is not found through this one.
    let err = store.delete_draft(&other.id, &first.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store.delete_draft(&acme.id, &DraftId::random()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.delete_draft(&acme.id, &second.id).await.unwrap();

    let published = store.publish_drafts(&acme.id).await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].selector, "#note");
    assert_eq!(published[0].created_by, Some(ann.id));
    assert_eq!(published[0].version, 1);
    assert_eq!(store.versioned_rules(&acme.id).await.unwrap(), (1, published));
    assert_eq!(store.drafts(&acme.id).await.unwrap(), vec![]);
    assert_eq!(store.drafts(&other.id).await.unwrap().len(), 1);
    // Nothing to publish changes nothing.
    assert_eq!(store.publish_drafts(&acme.id).await.unwrap(), vec![]);
    assert_eq!(store.rules_version(&acme.id).await.unwrap(), 1);
}

contract!(a_published_change_rolls_back_to_the_version_it_replaced);
async fn a_published_change_rolls_back_to_the_version_it_replaced(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let live = store.create_rule(rule(&acme.id, RuleKind::Mask, "#a", "*")).await.unwrap();
    assert_eq!(live.version, 1);
    // A rule without history has nothing to roll back to.
    assert_eq!(store.rollback_rule(&acme.id, &live.id).await.unwrap(), None);
    let change = |selector: &str, kind| NewDraft {
        rule: Some(live.id.clone()),
        ..draft(&acme.id, kind, selector, "shop.test")
    };
    store.create_draft(change("#b", RuleKind::Block)).await.unwrap();
    let v2 = store.publish_drafts(&acme.id).await.unwrap();
    assert_eq!(
        (v2[0].id.clone(), v2[0].version, v2[0].kind),
        (live.id.clone(), 2, RuleKind::Block)
    );
    store.create_draft(change("#c", RuleKind::Mask)).await.unwrap();
    store.publish_drafts(&acme.id).await.unwrap();
    assert_eq!(store.rules(&acme.id).await.unwrap()[0].selector, "#c");
    let version = store.rules_version(&acme.id).await.unwrap();

    // Another company cannot roll it back; an unknown rule is not found.
    let err = store.rollback_rule(&other.id, &live.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store.rollback_rule(&acme.id, &RuleId::random()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    let back = store.rollback_rule(&acme.id, &live.id).await.unwrap().unwrap();
    assert_eq!((back.selector.as_str(), back.kind, back.version), ("#b", RuleKind::Block, 2));
    assert_eq!(store.rules(&acme.id).await.unwrap(), vec![back]);
    assert_eq!(store.rules_version(&acme.id).await.unwrap(), version + 1);
    let first = store.rollback_rule(&acme.id, &live.id).await.unwrap().unwrap();
    assert_eq!(
        (first.selector.as_str(), first.url_pattern.as_str(), first.version),
        ("#a", "*", 1)
    );
    assert_eq!(store.rollback_rule(&acme.id, &live.id).await.unwrap(), None);
}

contract!(bad_drafts_and_bad_publishes_change_nothing);
async fn bad_drafts_and_bad_publishes_change_nothing(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let theirs = store.create_rule(rule(&other.id, RuleKind::Mask, "#t", "*")).await.unwrap();
    // A change of another company's rule, of an unknown company, empty texts.
    let err = store
        .create_draft(NewDraft {
            rule: Some(theirs.id),
            ..draft(&acme.id, RuleKind::Mask, "#x", "*")
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store
        .create_draft(draft(&CompanyId::random(), RuleKind::Mask, "#x", "*"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store.create_draft(draft(&acme.id, RuleKind::Mask, "  ", "*")).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    // A draft of a rule the company has already fails the whole publish.
    store.create_rule(rule(&acme.id, RuleKind::Mask, "#dup", "*")).await.unwrap();
    store.create_draft(draft(&acme.id, RuleKind::Mask, "#new", "*")).await.unwrap();
    store.create_draft(draft(&acme.id, RuleKind::Mask, "#dup", "*")).await.unwrap();
    let version = store.rules_version(&acme.id).await.unwrap();
    let err = store.publish_drafts(&acme.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.rules(&acme.id).await.unwrap().len(), 1);
    assert_eq!(store.drafts(&acme.id).await.unwrap().len(), 2);
    assert_eq!(store.rules_version(&acme.id).await.unwrap(), version);

    // The number of drafts is bounded.
    for i in 2..MAX_DRAFTS_PER_COMPANY {
        store.create_draft(draft(&acme.id, RuleKind::Block, &format!("#f{i}"), "*")).await.unwrap();
    }
    let err = store.create_draft(draft(&acme.id, RuleKind::Block, "#last", "*")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}
