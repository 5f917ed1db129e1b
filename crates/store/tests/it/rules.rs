//! Company rules: stored per company, listed in order, deleted only by their own company, and
//! the company's rules version moved in the same transaction as every change.

use model::{CompanyId, RuleId, RuleKind};
use store::{NewRule, StoreError, MAX_RULES_PER_COMPANY};

use crate::support::{agent, company, contract, TestDb};

pub(crate) fn rule(company: &CompanyId, kind: RuleKind, selector: &str, pattern: &str) -> NewRule {
    NewRule {
        company: company.clone(),
        kind,
        selector: selector.into(),
        url_pattern: pattern.into(),
        created_by: None,
    }
}

contract!(rules_are_kept_per_company_in_the_order_they_were_made);
async fn rules_are_kept_per_company_in_the_order_they_were_made(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let ann = agent(store, &acme.id, "ann@acme.test").await;
    let first = store
        .create_rule(NewRule {
            created_by: Some(ann.id.clone()),
            ..rule(&acme.id, RuleKind::Mask, "  #iban ", " *.acme.test/account/* ")
        })
        .await
        .unwrap();
    assert!(first.id.as_str().starts_with("rul_"));
    assert_eq!(first.selector, "#iban");
    assert_eq!(first.url_pattern, "*.acme.test/account/*");
    assert_eq!(first.created_by, Some(ann.id));
    // Many within one millisecond keep their order too.
    let mut made = vec![first];
    for i in 0..20 {
        let kind = if i % 2 == 0 { RuleKind::Block } else { RuleKind::Mask };
        made.push(store.create_rule(rule(&acme.id, kind, &format!("#f{i}"), "*")).await.unwrap());
    }
    store.create_rule(rule(&other.id, RuleKind::Mask, ".secret", "*")).await.unwrap();

    assert_eq!(store.rules(&acme.id).await.unwrap(), made);
    assert_eq!(store.rules(&other.id).await.unwrap().len(), 1);
    assert_eq!(store.rules(&CompanyId::random()).await.unwrap(), vec![]);
}

contract!(a_rule_is_deleted_only_through_its_own_company);
async fn a_rule_is_deleted_only_through_its_own_company(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let r = store.create_rule(rule(&acme.id, RuleKind::Mask, "#iban", "*")).await.unwrap();

    let err = store.delete_rule(&other.id, &r.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(store.rules(&acme.id).await.unwrap().len(), 1);

    store.delete_rule(&acme.id, &r.id).await.unwrap();
    assert_eq!(store.rules(&acme.id).await.unwrap(), vec![]);
    let again = store.delete_rule(&acme.id, &r.id).await.unwrap_err();
    assert!(matches!(again, StoreError::NotFound(_)), "{again:?}");
    let unknown = store.delete_rule(&acme.id, &RuleId::random()).await.unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound(_)), "{unknown:?}");
}

contract!(duplicates_empty_texts_and_unknown_companies_are_refused);
async fn duplicates_empty_texts_and_unknown_companies_are_refused(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    store.create_rule(rule(&acme.id, RuleKind::Mask, "#iban", "*")).await.unwrap();
    let dup = store.create_rule(rule(&acme.id, RuleKind::Mask, " #iban", "*")).await.unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");
    // The same selector as a block rule is another rule.
    store.create_rule(rule(&acme.id, RuleKind::Block, "#iban", "*")).await.unwrap();
    for (selector, pattern) in [("", "*"), ("  ", "*"), ("#a", ""), ("#a\u{0}", "*")] {
        let err =
            store.create_rule(rule(&acme.id, RuleKind::Mask, selector, pattern)).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{selector:?} {pattern:?}: {err:?}");
    }
    let unknown =
        store.create_rule(rule(&CompanyId::random(), RuleKind::Mask, "#a", "*")).await.unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound(_)), "{unknown:?}");
    assert_eq!(store.rules_version(&acme.id).await.unwrap(), 2);
}

contract!(a_company_has_a_bounded_number_of_rules);
async fn a_company_has_a_bounded_number_of_rules(db: TestDb) {
    let acme = company(&db.store, "acme").await;
    for i in 0..MAX_RULES_PER_COMPANY {
        db.store.create_rule(rule(&acme.id, RuleKind::Mask, &format!("#f{i}"), "*")).await.unwrap();
    }
    let err =
        db.store.create_rule(rule(&acme.id, RuleKind::Mask, "#one-more", "*")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("delete some"), "{err}");
}

contract!(the_rules_version_grows_with_every_change_made_through_any_handle);
async fn the_rules_version_grows_with_every_change_made_through_any_handle(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    assert_eq!(store.rules_version(&acme.id).await.unwrap(), 0);
    // A second handle on the same database stands for another process (the command line).
    let cli = db.open_again().await;
    let r = cli.create_rule(rule(&acme.id, RuleKind::Mask, "#iban", "*")).await.unwrap();
    assert_eq!(store.rules_version(&acme.id).await.unwrap(), 1);
    assert_eq!(store.versioned_rules(&acme.id).await.unwrap(), (1, vec![r.clone()]));
    // Refused changes change nothing, nor do other companies' rules.
    cli.create_rule(rule(&acme.id, RuleKind::Mask, "#iban", "*")).await.unwrap_err();
    cli.delete_rule(&acme.id, &RuleId::random()).await.unwrap_err();
    cli.create_rule(rule(&other.id, RuleKind::Mask, "#iban", "*")).await.unwrap();
    assert_eq!(store.rules_version(&acme.id).await.unwrap(), 1);
    cli.delete_rule(&acme.id, &r.id).await.unwrap();
    assert_eq!(store.versioned_rules(&acme.id).await.unwrap(), (2, vec![]));
    let unknown = store.rules_version(&CompanyId::random()).await.unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound(_)), "{unknown:?}");
    let unknown = store.versioned_rules(&CompanyId::random()).await.unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound(_)), "{unknown:?}");
}
