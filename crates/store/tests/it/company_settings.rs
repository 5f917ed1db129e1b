//! Company settings (issue 15): changed together under a version check, the logo, and the
//! audit log read page by page with filters.

use std::collections::BTreeMap;

use model::{AgentId, CompanyId};
use serde_json::json;
use store::{AuditEvent, AuditQuery, Logo, LogoType, Navigation, PinPolicy, StoreError};

use crate::support::{at, company, contract, TestDb};

contract!(settings_change_only_from_the_version_they_were_read_at);
async fn settings_change_only_from_the_version_they_were_read_at(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    assert_eq!(acme.settings_version, 0);
    assert_eq!(acme.pin, PinPolicy { digits: 6, ttl_secs: None });
    let mut settings = acme.settings();
    settings.name = "  ACME Shop ".into();
    settings.colors = BTreeMap::from([("primary".into(), "#1d5bbf".into())]);
    settings.texts =
        BTreeMap::from([("de".into(), BTreeMap::from([("customer.start".into(), "Los".into())]))]);
    settings.navigation = Navigation { allow: vec!["example.com".into()], deny: vec![] };
    settings.pin = PinPolicy { digits: 8, ttl_secs: Some(300) };
    settings.policy.pin_approval = true;
    settings.policy.pdfs = model::PdfView::Hide;
    let changed = store.update_company_settings(&acme.id, 0, settings.clone()).await.unwrap();
    let changed = changed.expect("the version was current");
    assert_eq!(changed.settings_version, 1);
    assert_eq!(changed.name, "ACME Shop");
    assert_eq!(changed.branding.texts["de"]["customer.start"], "Los");
    assert_eq!(changed.navigation.allow, ["example.com"]);
    assert_eq!(changed.pin, PinPolicy { digits: 8, ttl_secs: Some(300) });
    assert!(changed.policy.pin_approval);
    assert_eq!(changed.policy.pdfs, model::PdfView::Hide);
    assert_eq!(store.company(&acme.id).await.unwrap().unwrap(), changed);

    // A second administrator who read version 0 is refused, and nothing changes.
    let mut late = acme.settings();
    late.name = "Other".into();
    assert_eq!(store.update_company_settings(&acme.id, 0, late).await.unwrap(), None);
    assert_eq!(store.company(&acme.id).await.unwrap().unwrap().name, "ACME Shop");

    // The policy alone bumps the version too, so an edit begun before it is refused.
    store.set_session_policy(&acme.id, changed.policy).await.unwrap();
    assert_eq!(store.company(&acme.id).await.unwrap().unwrap().settings_version, 2);

    settings.pin.digits = 10;
    let too_long = store.update_company_settings(&acme.id, 2, settings.clone()).await;
    assert!(matches!(too_long, Err(StoreError::Invalid(_))), "{too_long:?}");
    let nobody = store.update_company_settings(&CompanyId::random(), 0, acme.settings()).await;
    assert!(matches!(nobody, Err(StoreError::NotFound(_))), "{nobody:?}");
}

contract!(embed_origins_are_kept_and_listed_for_all_companies);
async fn embed_origins_are_kept_and_listed_for_all_companies(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    company(store, "quiet").await;
    assert!(acme.embed_origins.is_empty());
    assert!(store.all_embed_origins().await.unwrap().is_empty());

    let mut settings = acme.settings();
    settings.embed_origins = vec!["https://shop.example".into(), "http://localhost:8081".into()];
    store.update_company_settings(&acme.id, 0, settings).await.unwrap().unwrap();
    let mut settings = other.settings();
    settings.embed_origins = vec!["https://shop.example".into(), "https://crm.example".into()];
    let changed = store.update_company_settings(&other.id, 0, settings).await.unwrap().unwrap();
    assert_eq!(changed.embed_origins, ["https://shop.example", "https://crm.example"]);
    assert_eq!(store.company(&other.id).await.unwrap().unwrap(), changed);
    // A change through this store is seen at once, not after the cache's time.
    assert_eq!(
        *store.all_embed_origins().await.unwrap(),
        ["http://localhost:8081", "https://crm.example", "https://shop.example"]
    );

    let mut too_many = changed.settings();
    too_many.embed_origins =
        (0..=store::MAX_EMBED_ORIGINS).map(|i| format!("https://s{i}.example")).collect();
    let refused = store.update_company_settings(&other.id, 1, too_many).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
}

contract!(a_logo_is_kept_replaced_and_removed);
async fn a_logo_is_kept_replaced_and_removed(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    assert_eq!(store.logo(&acme.id).await.unwrap(), None);
    let png = Logo { kind: LogoType::Png, bytes: vec![0x89, b'P', b'N', b'G', 0, 255] };
    store.set_logo(&acme.id, Some(&png)).await.unwrap();
    assert_eq!(store.logo(&acme.id).await.unwrap(), Some(png));
    let svg = Logo { kind: LogoType::Svg, bytes: b"<svg/>".to_vec() };
    store.set_logo(&acme.id, Some(&svg)).await.unwrap();
    let read = store.company(&acme.id).await.unwrap().unwrap();
    assert_eq!((read.branding.logo_type, read.settings_version), (Some(LogoType::Svg), 2));
    assert_eq!(store.logo(&acme.id).await.unwrap(), Some(svg));
    store.set_logo(&acme.id, None).await.unwrap();
    assert_eq!(store.logo(&acme.id).await.unwrap(), None);
    let big = Logo { kind: LogoType::Png, bytes: vec![0; store::MAX_LOGO_BYTES + 1] };
    assert!(matches!(store.set_logo(&acme.id, Some(&big)).await, Err(StoreError::Invalid(_))));
}

contract!(audit_pages_filter_by_who_what_and_when_and_follow_on);
async fn audit_pages_filter_by_who_what_and_when_and_follow_on(db: TestDb) {
    let store = &db.store;
    let acme = company(store, "acme").await;
    let other = company(store, "other").await;
    let (ann, bob) = (AgentId::random(), AgentId::random());
    for (ms, agent, kind) in [
        (1_000, &ann, "login_succeeded"),
        (2_000, &bob, "login_succeeded"),
        (3_000, &ann, "rule_created"),
        (3_000, &ann, "rule_deleted"),
        (4_000, &bob, "rule_created"),
    ] {
        let event = AuditEvent {
            at: at(ms),
            company: Some(acme.id.clone()),
            agent: Some(agent.clone()),
            session: None,
            kind: kind.into(),
            detail: json!({}),
        };
        store.record_audit(&event).await.unwrap();
    }
    let mut theirs = AuditEvent {
        at: at(3_500),
        company: Some(other.id.clone()),
        agent: Some(ann.clone()),
        session: None,
        kind: "rule_created".into(),
        detail: json!({}),
    };
    store.record_audit(&theirs).await.unwrap();
    theirs.company = None;
    store.record_audit(&theirs).await.unwrap();

    let all = AuditQuery {
        company: acme.id.clone(),
        agent: None,
        kind: None,
        from: None,
        to: None,
        after: None,
        limit: 2,
    };
    let kinds = |page: &store::AuditPage| {
        page.events.iter().map(|e| (e.at, e.kind.clone())).collect::<Vec<_>>()
    };
    let first = store.audit_page(all.clone()).await.unwrap();
    assert_eq!(
        kinds(&first),
        [(at(4_000), "rule_created".into()), (at(3_000), "rule_deleted".into())]
    );
    let second = store.audit_page(AuditQuery { after: first.next, ..all.clone() }).await.unwrap();
    assert_eq!(
        kinds(&second),
        [(at(3_000), "rule_created".into()), (at(2_000), "login_succeeded".into())]
    );
    let third = store.audit_page(AuditQuery { after: second.next, ..all.clone() }).await.unwrap();
    assert_eq!(kinds(&third), [(at(1_000), "login_succeeded".into())]);
    assert_eq!(third.next, None);

    let ann_rules = AuditQuery {
        agent: Some(ann.clone()),
        kind: Some("rule_created".into()),
        limit: 10,
        ..all.clone()
    };
    assert_eq!(
        kinds(&store.audit_page(ann_rules).await.unwrap()),
        [(at(3_000), "rule_created".into())]
    );
    let window =
        AuditQuery { from: Some(at(2_000)), to: Some(at(4_000)), limit: 10, ..all.clone() };
    assert_eq!(store.audit_page(window).await.unwrap().events.len(), 3);
    let bad = store.audit_page(AuditQuery { limit: 0, ..all.clone() }).await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))));
}
