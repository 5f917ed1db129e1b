//! Sites' sign-in prompts and permission requests through the session's task: a prompt to the
//! customer only, their answer to the page, refused when nobody can answer, never a word of it
//! to an agent; what a page asked to be allowed, to everyone, once a while.

use super::*;
use crate::actor::sign_ins::SIGN_IN_DEADLINE;
use model::{Credentials, Secret, SignInId};
use protocol::RejectCode;

fn credentials(user: &str, password: &str) -> Option<Credentials> {
    Some(Credentials { username: Secret::new(user.into()), password: Secret::new(password.into()) })
}

fn answer(id: SignInId, credentials: Option<Credentials>) -> ClientMessage {
    ClientMessage::SignInAnswer { prompt: id, credentials }
}

fn members() -> TabEvent {
    TabEvent::SignIn(browser::SignIn::new("r1", "https://intranet.example", "Members"))
}

async fn prompt(customer: &mut Viewer) -> SignInId {
    expect(customer, |m| match m {
        ServerMessage::SignIn { prompt, origin, realm } => {
            assert_eq!((origin.as_str(), realm.as_str()), ("https://intranet.example", "Members"));
            Some(prompt)
        }
        _ => None,
    })
    .await
}

async fn agents_told(agent: &mut Viewer) -> bool {
    expect(agent, |m| match m {
        ServerMessage::CustomerSignIn { open } => Some(open),
        _ => None,
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn the_customer_signs_in_and_agents_only_hear_that_they_do() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent_id, mut agent) = s.agent().await;

    s.page.emit(members()).await;
    let id = prompt(&mut customer).await;
    assert!(agents_told(&mut agent).await);
    // The agent may not answer it; the page does not wait for it meanwhile.
    send(&s, &agent, &agent_id, answer(id, credentials("agent", "guess"))).await;
    assert_eq!(rejected(&mut agent).await, RejectCode::CustomerOnly);

    send(&s, &customer, &s.customer, answer(id, credentials("ann", "hunter2"))).await;
    let ops = patient(s.page.wait_for_ops(1)).await;
    assert_eq!(ops.last(), Some(&Op::AnswerSignIn(Some("ann".into()))));
    expect(&mut customer, |m| {
        matches!(m, ServerMessage::SignInClosed { prompt } if prompt == id).then_some(())
    })
    .await;
    assert!(!agents_told(&mut agent).await);

    // An answer once it closed, and one for a prompt that never was, are refused.
    send(&s, &customer, &s.customer, answer(id, None)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::UnknownSignIn);
    send(&s, &customer, &s.customer, answer(SignInId(99), None)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::UnknownSignIn);
    // Nothing the agent got names the site or carries a word of the answer.
    for m in all_until_pong(&s, &mut agent, &agent_id).await {
        let text = m.to_json();
        assert!(!matches!(m, ServerMessage::SignIn { .. } | ServerMessage::SignInClosed { .. }));
        assert!(!text.contains("intranet") && !text.contains("hunter2"), "{text}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_prompt_nobody_answers_in_time_or_can_answer_is_refused() {
    let s = start();
    // No customer connected: refused at once.
    s.page.emit(members()).await;
    let ops = patient(s.page.wait_for_ops(1)).await;
    assert_eq!(ops.last(), Some(&Op::AnswerSignIn(None)));

    let mut customer = s.customer().await;
    s.page.emit(members()).await;
    let id = prompt(&mut customer).await;
    tokio::time::sleep(SIGN_IN_DEADLINE).await;
    expect(&mut customer, |m| {
        matches!(m, ServerMessage::SignInClosed { prompt } if prompt == id).then_some(())
    })
    .await;
    let ops = patient(s.page.wait_for_ops(2)).await;
    assert_eq!(ops.last(), Some(&Op::AnswerSignIn(None)));

    // A navigation leaves the address that asked: its prompt goes.
    s.page.emit(members()).await;
    let id = prompt(&mut customer).await;
    let url = "https://shop.example/elsewhere".to_owned();
    send(&s, &customer, &s.customer, ClientMessage::Navigate { url }).await;
    expect(&mut customer, |m| {
        matches!(m, ServerMessage::SignInClosed { prompt } if prompt == id).then_some(())
    })
    .await;
    let ops = patient(s.page.wait_for_ops(4)).await;
    assert!(
        ops.contains(&Op::AnswerSignIn(None)) && ops.iter().any(|o| matches!(o, Op::Navigate(_)))
    );
}

#[tokio::test(start_paused = true)]
async fn everyone_hears_what_the_page_asked_to_be_allowed_once_a_while() {
    use crate::actor::permissions::RETELL_AFTER;
    use model::SitePermission;
    let s = start();
    let mut customer = s.customer().await;
    let (agent_id, mut agent) = s.agent().await;
    let refused = |m: ServerMessage| match m {
        ServerMessage::PermissionRefused { permission } => Some(permission),
        _ => None,
    };
    for _ in 0..3 {
        s.page.emit(TabEvent::PermissionRefused(SitePermission::Geolocation)).await;
    }
    s.page.emit(TabEvent::PermissionRefused(SitePermission::Notifications)).await;
    assert_eq!(expect(&mut customer, refused).await, SitePermission::Geolocation);
    assert_eq!(expect(&mut customer, refused).await, SitePermission::Notifications);
    // The agent hears the same, each once: a page that keeps asking is not repeated.
    let heard: Vec<_> =
        all_until_pong(&s, &mut agent, &agent_id).await.into_iter().filter_map(refused).collect();
    assert_eq!(heard, [SitePermission::Geolocation, SitePermission::Notifications]);
    tokio::time::sleep(RETELL_AFTER).await;
    s.page.emit(TabEvent::PermissionRefused(SitePermission::Geolocation)).await;
    assert_eq!(expect(&mut customer, refused).await, SitePermission::Geolocation);
}
