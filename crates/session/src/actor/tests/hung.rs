//! A page that does not answer even after its script was stopped: the customer decides
//! whether it is loaded again; agents see that they are being asked.

use super::*;
use crate::worker::ASK_AGAIN;
use protocol::HungPageState;
use std::sync::atomic::Ordering;

fn hangs_for_good(s: &Session) {
    s.page.stuck.store(true, Ordering::SeqCst);
    s.page.stays_stuck.store(true, Ordering::SeqCst);
}

async fn asked(viewer: &mut Viewer) -> TabId {
    expect(viewer, |m| match m {
        ServerMessage::ReloadQuestion { tab } => Some(tab),
        _ => None,
    })
    .await
}

async fn hung_state(viewer: &mut Viewer) -> HungPageState {
    expect(viewer, |m| match m {
        ServerMessage::HungPage { state } => Some(state),
        _ => None,
    })
    .await
}

fn answer(tab: TabId, reload: bool) -> ClientMessage {
    ClientMessage::ReloadAnswer { tab, reload }
}

// See: issue 10 — a page whose script could not be stopped had its renderer crashed and was
// reloaded at once, losing what the customer had entered, without asking them.
#[tokio::test(start_paused = true)]
async fn issue_10_a_page_that_cannot_be_stopped_is_loaded_again_only_with_the_customers_consent() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent_id, mut agent) = s.agent().await;
    hangs_for_good(&s);
    send(&s, &customer, &s.customer, press(PointerKind::Down)).await;
    // The agent navigates meanwhile.
    let to = ClientMessage::Navigate { url: "https://shop.example/help".into() };
    send(&s, &agent, &agent_id, to).await;
    let tab = asked(&mut customer).await;
    assert_eq!(hung_state(&mut agent).await, HungPageState::Asking);
    // Nothing was loaded again and the navigation waits: the page is the customer's to lose.
    let ops = patient(s.page.wait_for_ops(2)).await;
    assert!(matches!(ops[0], Op::Dispatch(_)), "{ops:?}");
    assert_eq!(ops[1..], [Op::Recover]);

    // Only the customer answers, and only an open question.
    send(&s, &agent, &agent_id, answer(tab, true)).await;
    assert_eq!(rejected(&mut agent).await, RejectCode::CustomerOnly);
    send(&s, &customer, &s.customer, answer(TabId(tab.0 + 7), true)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::NoReloadQuestion);

    // The customer chooses to wait: nothing happens, and they are asked again later.
    send(&s, &customer, &s.customer, answer(tab, false)).await;
    assert_eq!(hung_state(&mut agent).await, HungPageState::Declined);
    send(&s, &customer, &s.customer, answer(tab, true)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::NoReloadQuestion);
    let declined = Instant::now();
    assert_eq!(asked(&mut customer).await, tab);
    assert!(declined.elapsed() >= ASK_AGAIN - crate::worker::HUNG_PROBE_EVERY * 2);
    assert_eq!(hung_state(&mut agent).await, HungPageState::Asking);
    assert_eq!(s.page.ops().len(), 2, "nothing was done to the page: {:?}", s.page.ops());

    // The customer agrees: the page is loaded again, then the agent's navigation goes.
    send(&s, &customer, &s.customer, answer(tab, true)).await;
    assert_eq!(hung_state(&mut agent).await, HungPageState::None);
    let ops = patient(s.page.wait_for_ops(4)).await;
    assert_eq!(ops[2..], [Op::Restart, Op::Navigate("https://shop.example/help".into())]);
    for viewer in [&mut customer, &mut agent] {
        let recovery = expect(viewer, |m| match m {
            ServerMessage::PageRecovered { recovery } => Some(recovery),
            _ => None,
        });
        assert_eq!(recovery.await, protocol::PageRecovery::Reloaded);
    }
    send(&s, &customer, &s.customer, answer(tab, true)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::NoReloadQuestion);
}

// See: issue 10 — nobody could be asked while the customer was away.
#[tokio::test(start_paused = true)]
async fn issue_10_a_page_that_hangs_while_the_customer_is_away_waits_for_them_to_decide() {
    let s = start();
    let customer = s.customer().await;
    let (_agent_id, mut agent) = s.agent().await;
    s.handle.disconnect(&s.customer, customer.connection).await;
    hangs_for_good(&s);
    // The watchdog finds the page hung; the agent learns that it stays so until the customer
    // is back.
    assert_eq!(hung_state(&mut agent).await, HungPageState::CustomerAway);
    tokio::time::sleep(ASK_AGAIN + Duration::from_secs(10)).await;
    assert_eq!(s.page.ops(), [Op::Recover], "the page was left as it is");
    let mut customer = s.customer().await;
    let tab = asked(&mut customer).await;
    assert_eq!(hung_state(&mut agent).await, HungPageState::Asking);
    // The page answers again by itself: the question closes.
    s.page.stuck.store(false, Ordering::SeqCst);
    s.page.stays_stuck.store(false, Ordering::SeqCst);
    let closed = expect(&mut customer, |m| match m {
        ServerMessage::ReloadQuestionClosed { tab } => Some(tab),
        _ => None,
    });
    assert_eq!(closed.await, tab);
    assert_eq!(hung_state(&mut agent).await, HungPageState::None);
    assert_eq!(s.page.ops(), [Op::Recover]);
}
