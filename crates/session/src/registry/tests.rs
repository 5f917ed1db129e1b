//! The registry with a fake browser and a real (in-memory) store.

use super::*;
use crate::fake::FakeBrowser;
use store::NewCompany;

async fn registry(max_sessions: usize) -> (Registry, Company, Arc<FakeBrowser>) {
    let store = Store::open_in_memory().await.unwrap();
    let company = store
        .create_company(NewCompany { slug: "shop".into(), name: "Shop".into(), start_url: None })
        .await
        .unwrap();
    let browser = Arc::new(FakeBrowser::default());
    let config = Config { max_sessions, ..Config::default() };
    (Registry::with_browser(browser.clone(), store, config), company, browser)
}

fn start_url() -> url::Url {
    url::Url::parse("https://shop.example/").unwrap()
}

#[tokio::test]
async fn sessions_beyond_capacity_are_refused_until_one_ends() {
    let (registry, company, browser) = registry(1).await;
    let first =
        registry.create_session(&company, start_url(), model::Locale::default()).await.unwrap();
    assert!(!registry.has_capacity());
    let refused = registry.create_session(&company, start_url(), model::Locale::default()).await;
    assert!(matches!(refused, Err(SessionError::AtCapacity)), "{refused:?}");
    assert_eq!(browser.n_contexts(), 1, "no browser context is opened for a refused session");
    registry.session(&first.session_id).unwrap().end(EndReason::CustomerEnded).await;
    registry.end_all(EndReason::ServerShutdown).await;
    assert_eq!(registry.n_active(), 0);
    assert!(registry.has_capacity());
    registry.create_session(&company, start_url(), model::Locale::default()).await.unwrap();
}

#[tokio::test]
async fn an_ended_session_is_recorded_and_its_tokens_say_so() {
    let (registry, company, browser) = registry(4).await;
    let created =
        registry.create_session(&company, start_url(), model::Locale::default()).await.unwrap();
    let token = created.customer_token.expose().clone();
    let holder = registry.token_holder(&created.session_id, &token).unwrap();
    let handle = registry.session(&created.session_id).unwrap();
    let mut viewer = handle.connect(&holder.participant).await.unwrap();
    handle.end(EndReason::CustomerEnded).await;
    // By the time the customer hears it ended, the token says so and the store knows.
    while let Some(msg) = viewer.outbox.recv().await {
        if let protocol::ServerMessage::Ended { reason } = msg {
            assert_eq!(reason, EndReason::CustomerEnded);
            break;
        }
    }
    let ended = registry.token_holder(&created.session_id, &token);
    assert_eq!(ended, Err(TicketError::SessionEnded));
    let record = registry.inner.store.session(&created.session_id).await.unwrap().unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("customer_ended"));
    let page = browser.page(0).await;
    assert_eq!(page.wait_for_ops(1).await, vec![crate::fake::Op::Close]);
}
