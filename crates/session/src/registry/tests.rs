//! The registry with a fake browser and a real (in-memory) store.

use super::*;
use crate::fake::FakeBrowser;
use store::NewCompany;

async fn registry(max_sessions: usize) -> (Registry, Company, Arc<FakeBrowser>) {
    registry_with(Config { max_sessions, waiting_share_percent: 100, ..Config::default() }).await
}

async fn registry_with(config: Config) -> (Registry, Company, Arc<FakeBrowser>) {
    let store = Store::open_in_memory().await.unwrap();
    let company = store
        .create_company(NewCompany { slug: "shop".into(), name: "Shop".into(), start_url: None })
        .await
        .unwrap();
    let browser = Arc::new(FakeBrowser::default());
    (Registry::with_browser(browser.clone(), store, config), company, browser)
}

fn start_url() -> url::Url {
    url::Url::parse("https://shop.example/").unwrap()
}

/// A session started on `registry`, and its customer's connection.
async fn customer_in_session(registry: &Registry, company: &Company) -> (Created, crate::Viewer) {
    let created = registry
        .create_session(company, "192.0.2.1", start_url(), model::Locale::default(), None)
        .await
        .unwrap();
    let token = created.customer_token.expose().clone();
    let holder = registry.token_holder(&created.session_id, &token).await.unwrap();
    let handle = registry.session(&created.session_id).unwrap();
    let viewer = handle.connect(&holder.participant).await.unwrap();
    (created, viewer)
}

#[tokio::test]
async fn sessions_beyond_capacity_are_refused_until_one_ends() {
    let (registry, company, browser) = registry(1).await;
    let first = registry
        .create_session(&company, "192.0.2.1", start_url(), model::Locale::default(), None)
        .await
        .unwrap();
    assert!(!registry.has_capacity());
    let refused = registry
        .create_session(&company, "192.0.2.1", start_url(), model::Locale::default(), None)
        .await;
    assert!(matches!(refused, Err(SessionError::AtCapacity)), "{refused:?}");
    assert_eq!(browser.n_contexts(), 1, "no browser context is opened for a refused session");
    registry.session(&first.session_id).unwrap().end(EndReason::CustomerEnded).await;
    registry.end_all(EndReason::ServerShutdown).await;
    assert_eq!(registry.n_active(), 0);
    assert!(registry.has_capacity());
    registry
        .create_session(&company, "192.0.2.1", start_url(), model::Locale::default(), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_ended_session_is_recorded_and_its_tokens_say_so() {
    let (registry, company, browser) = registry(4).await;
    let created = registry
        .create_session(&company, "192.0.2.1", start_url(), model::Locale::default(), None)
        .await
        .unwrap();
    let token = created.customer_token.expose().clone();
    let holder = registry.token_holder(&created.session_id, &token).await.unwrap();
    let handle = registry.session(&created.session_id).unwrap();
    let mut viewer = handle.connect(&holder.participant).await.unwrap();
    handle.end(EndReason::CustomerEnded).await;
    // By the time the customer hears it ended, the token says so and the store knows.
    while let Some(msg) = viewer.outbox.recv().await {
        if let protocol::ServerMessage::Ended { reason, .. } = msg {
            assert_eq!(reason, EndReason::CustomerEnded);
            break;
        }
    }
    let ended = registry.token_holder(&created.session_id, &token).await;
    assert_eq!(ended, Err(TicketError::SessionEnded));
    let record = registry.inner.store.session(&created.session_id).await.unwrap().unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("customer_ended"));
    let page = browser.page(0).await;
    assert_eq!(page.wait_for_ops(1).await, vec![crate::fake::Op::Close]);
}

async fn agent_of(registry: &Registry, company: &Company, email: &str) -> store::Agent {
    registry
        .inner
        .store
        .create_agent(store::NewAgent {
            company: company.id.clone(),
            email: email.into(),
            name: "Anna".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            role: model::AgentRole::Agent,
        })
        .await
        .unwrap()
}

async fn set_policy(registry: &Registry, company: &Company, policy: store::SessionPolicy) {
    registry.inner.store.set_session_policy(&company.id, policy).await.unwrap();
}

#[tokio::test]
async fn a_company_that_requires_approval_has_agents_wait_and_the_pin_is_used_either_way() {
    let (registry, company, _) = registry(4).await;
    let policy = store::SessionPolicy { pin_approval: true, ..store::SessionPolicy::default() };
    set_policy(&registry, &company, policy).await;
    let created = registry
        .create_session(&company, "192.0.2.1", start_url(), model::Locale::default(), None)
        .await
        .unwrap();
    let anna = agent_of(&registry, &company, "anna@shop.example").await;
    let joined = registry.redeem_pin(&anna, &created.pin.digits()).await.unwrap();
    assert!(joined.waiting);
    let record = registry.inner.store.session(&created.session_id).await.unwrap().unwrap();
    assert_eq!(record.joined_at, None, "on record as joined only once let in");
    let again = registry.redeem_pin(&anna, &created.pin.digits()).await;
    assert!(matches!(again, Err(JoinError::Rejected(PinRejection::Unknown))), "{again:?}");
    let audit = registry.inner.store.audit_events(Some(&company.id), 10).await.unwrap();
    assert!(audit.iter().any(|e| e.kind == "agent_waiting"));
}

#[tokio::test]
async fn a_colleague_asks_to_join_a_live_session_of_their_own_company_only() {
    let (registry, company, _) = registry(4).await;
    let created = registry
        .create_session(&company, "192.0.2.1", start_url(), model::Locale::default(), None)
        .await
        .unwrap();
    let colleague = agent_of(&registry, &company, "sup@shop.example").await;
    let joined = registry.request_join(&colleague, &created.session_id).await.unwrap();
    assert!(joined.waiting, "a colleague always waits for the customer");
    let other = registry
        .inner
        .store
        .create_company(NewCompany { slug: "other".into(), name: "Other".into(), start_url: None })
        .await
        .unwrap();
    let stranger = agent_of(&registry, &other, "x@other.example").await;
    let refused = registry.request_join(&stranger, &created.session_id).await;
    assert!(matches!(refused, Err(RequestJoinError::NotFound)), "{refused:?}");
    let unknown = registry.request_join(&colleague, &SessionId::random()).await;
    assert!(matches!(unknown, Err(RequestJoinError::NotFound)));
}

#[tokio::test]
async fn the_customer_makes_a_new_pin_and_the_old_one_stops_working() {
    let (registry, company, _) = registry(4).await;
    let created = registry
        .create_session(&company, "192.0.2.1", start_url(), model::Locale::default(), None)
        .await
        .unwrap();
    let customer =
        registry.token_holder(&created.session_id, created.customer_token.expose()).await.unwrap();
    let renewed = registry.renew_pin(&customer).await.unwrap();
    let anna = agent_of(&registry, &company, "anna@shop.example").await;
    let old = registry.redeem_pin(&anna, &created.pin.digits()).await;
    assert!(matches!(old, Err(JoinError::Rejected(_))), "{old:?}");
    let joined = registry.redeem_pin(&anna, &renewed.pin.digits()).await.unwrap();
    assert!(!joined.waiting);
    // An agent cannot make one.
    let agent =
        registry.token_holder(&created.session_id, joined.agent_token.expose()).await.unwrap();
    assert_eq!(registry.renew_pin(&agent).await.unwrap_err(), TicketError::InvalidToken);
}

#[tokio::test]
async fn the_chat_is_kept_only_when_the_company_keeps_transcripts() {
    for policy in [store::TranscriptPolicy::Delete, store::TranscriptPolicy::Keep] {
        let (registry, company, _) = registry(4).await;
        let keep = store::SessionPolicy { transcripts: policy, ..store::SessionPolicy::default() };
        set_policy(&registry, &company, keep).await;
        let created = registry
            .create_session(&company, "192.0.2.1", start_url(), model::Locale::default(), None)
            .await
            .unwrap();
        let customer = registry
            .token_holder(&created.session_id, created.customer_token.expose())
            .await
            .unwrap();
        let handle = registry.session(&created.session_id).unwrap();
        let mut viewer = handle.connect(&customer.participant).await.unwrap();
        let said = protocol::ClientMessage::Chat { text: "order 4711".into() };
        handle.client_message(&customer.participant, viewer.connection, said).await;
        handle.end(EndReason::CustomerEnded).await;
        // Viewers hear of the end once the registry has recorded it, transcript included.
        while let Some(msg) = viewer.outbox.recv().await {
            if matches!(msg, protocol::ServerMessage::Ended { .. }) {
                break;
            }
        }
        let (store, id) = (registry.inner.store.clone(), created.session_id.clone());
        let kept = store.transcript(&id).await.unwrap();
        match policy {
            store::TranscriptPolicy::Delete => assert_eq!(kept, vec![]),
            store::TranscriptPolicy::Keep => {
                assert_eq!(kept.len(), 1);
                assert_eq!(
                    (kept[0].kind, kept[0].body.as_str()),
                    (store::EntryKind::Text, "order 4711")
                );
            }
        }
    }
}

// See: issue 10 (a flood of public starts filled the node).
#[tokio::test]
async fn issue_10_one_client_holds_a_few_waiting_sessions_and_all_waiting_ones_a_share() {
    let config = Config {
        max_sessions: 6,
        waiting_share_percent: 50,
        max_waiting_per_client: 2,
        ..Config::default()
    };
    let (registry, company, browser) = registry_with(config).await;
    let start = |client: &'static str| {
        let (registry, company) = (registry.clone(), company.clone());
        async move {
            registry
                .create_session(&company, client, start_url(), model::Locale::default(), None)
                .await
        }
    };
    let first = start("192.0.2.1").await.unwrap();
    start("192.0.2.1").await.unwrap();
    let refused = start("192.0.2.1").await;
    assert!(matches!(refused, Err(SessionError::TooManyWaiting)), "{refused:?}");
    start("192.0.2.2").await.unwrap();
    // Three of six places wait for an agent: the waiting share is full, for every client.
    assert_eq!(registry.n_waiting(), (3, 3));
    let refused = start("192.0.2.3").await;
    assert!(matches!(refused, Err(SessionError::AtCapacity)), "{refused:?}");
    assert!(registry.has_capacity(), "a full waiting share leaves the node ready");
    assert_eq!(browser.n_contexts(), 3, "no page is opened for a refused session");

    // An agent joins one: it stops waiting, and its client may start another.
    let agent = registry.inner.store.create_agent(store::NewAgent {
        company: company.id.clone(),
        email: "a@shop.example".into(),
        name: "A".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: model::AgentRole::Agent,
    });
    let agent = agent.await.unwrap();
    registry.redeem_pin(&agent, &first.pin.digits()).await.unwrap();
    assert_eq!(registry.n_waiting(), (2, 3));
    start("192.0.2.1").await.unwrap();
    registry.end_all(EndReason::ServerShutdown).await;
}

#[tokio::test]
async fn an_end_heard_on_the_bus_ends_the_session_on_the_node_that_runs_it() {
    let (registry, company, _browser) = registry(4).await;
    let (created, mut viewer) = customer_in_session(&registry, &company).await;
    // As another node would: it does not run the session, so it says so on the bus.
    let session = created.session_id.clone();
    let notice = Notice::End { session, reason: EndReason::AgentEnded };
    registry.inner.bus.publish(notice).await;
    let mut reason = None;
    while let Some(msg) = viewer.outbox.recv().await {
        if let protocol::ServerMessage::Ended { reason: why, .. } = msg {
            reason = Some(why);
            break;
        }
    }
    assert_eq!(reason, Some(EndReason::AgentEnded));
    // A session this node does not run is not ended here, and ending it says so.
    let elsewhere = SessionId::random();
    assert!(!registry.end_session(&elsewhere, EndReason::AgentEnded).await);
}
