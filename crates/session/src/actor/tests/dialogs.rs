//! The page's dialogs through the session's task: to the customer, never to an agent, and
//! answered by the session itself when nobody can.

use super::*;
use crate::actor::dialogs::DIALOG_DEADLINE;
use model::DialogId;
use protocol::RejectCode;

fn dialog(kind: browser::DialogKind, message: &str) -> browser::Dialog {
    browser::Dialog { kind, message: message.into(), default_prompt: String::new() }
}

fn answer(id: u64, accept: bool, text: Option<&str>) -> ClientMessage {
    ClientMessage::DialogAnswer { dialog: DialogId(id), accept, text: text.map(str::to_owned) }
}

/// Every message `viewer` gets until the answer to a ping.
async fn until_pong(
    s: &Session,
    viewer: &mut Viewer,
    participant: &ParticipantId,
) -> Vec<ServerMessage> {
    send(s, viewer, participant, ClientMessage::Ping).await;
    let mut got = Vec::new();
    expect(viewer, |m| {
        let pong = matches!(m, ServerMessage::Pong);
        got.push(m);
        pong.then_some(())
    })
    .await;
    got
}

#[tokio::test(start_paused = true)]
async fn a_dialog_goes_to_the_customer_and_agents_only_hear_that_one_is_open() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent_id, mut agent) = s.agent().await;

    let prompt = browser::Dialog {
        kind: browser::DialogKind::Prompt,
        message: "Your account number?".into(),
        default_prompt: "NL00".into(),
    };
    s.page.emit(TabEvent::Dialog(prompt)).await;
    let (id, kind, message, default_text) = expect(&mut customer, |m| match m {
        ServerMessage::Dialog { dialog, kind, message, default_text } => {
            Some((dialog, kind, message, default_text))
        }
        _ => None,
    })
    .await;
    assert_eq!(
        (kind, message.as_str(), default_text.as_str()),
        (browser::DialogKind::Prompt, "Your account number?", "NL00")
    );
    let open = expect(&mut agent, |m| match m {
        ServerMessage::CustomerDialog { open } => Some(open),
        _ => None,
    });
    assert!(open.await);
    // The agent may neither answer it nor act on the page that waits for it.
    send(&s, &agent, &agent_id, answer(id.0, true, Some("mine"))).await;
    assert_eq!(rejected(&mut agent).await, RejectCode::CustomerOnly);
    send(&s, &agent, &agent_id, press(PointerKind::Down)).await;
    assert_eq!(rejected(&mut agent).await, RejectCode::DialogOpen);

    // An agent who comes back hears a dialog is open, and not what it says.
    let again = s.handle.connect(&agent_id).await.expect("the session is live");
    let mut agent = again;
    let open = expect(&mut agent, |m| match m {
        ServerMessage::CustomerDialog { open } => Some(open),
        _ => None,
    });
    assert!(open.await);

    send(&s, &customer, &s.customer, answer(id.0, true, Some("NL91 ABNA"))).await;
    let ops = patient(s.page.wait_for_ops(1)).await;
    assert_eq!(ops.last(), Some(&Op::AnswerDialog(true, Some("NL91 ABNA".into()))));
    let closed = expect(&mut customer, |m| match m {
        ServerMessage::DialogClosed { dialog } => Some(dialog),
        _ => None,
    });
    assert_eq!(closed.await, id);
    let open = expect(&mut agent, |m| match m {
        ServerMessage::CustomerDialog { open } => Some(open),
        _ => None,
    });
    assert!(!open.await);

    // An answer after the dialog closed, or for a dialog that never was, is refused, and the
    // session goes on.
    send(&s, &customer, &s.customer, answer(id.0, false, None)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::UnknownDialog);
    send(&s, &customer, &s.customer, answer(999, true, None)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::UnknownDialog);
    until_pong(&s, &mut customer, &s.customer).await;
    assert_eq!(s.page.ops().len(), 1, "a refused answer reached the page");

    let seen = until_pong(&s, &mut agent, &agent_id).await;
    assert!(
        !seen.iter().any(|m| matches!(
            m,
            ServerMessage::Dialog { .. } | ServerMessage::DialogClosed { .. }
        )),
        "an agent got the dialog: {seen:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_click_that_opened_a_dialog_waits_for_the_customers_answer_without_recovery() {
    let s = start();
    let mut customer = s.customer().await;
    *s.page.opens_dialog.lock().unwrap() = Some(dialog(browser::DialogKind::Confirm, "Delete?"));
    send(&s, &customer, &s.customer, press(PointerKind::Down)).await;
    let id = expect(&mut customer, |m| match m {
        ServerMessage::Dialog { dialog, .. } => Some(dialog),
        _ => None,
    })
    .await;
    // Far past the input deadline: the page is not stuck, it waits for the customer.
    tokio::time::sleep(crate::worker::INPUT_DEADLINE * 10).await;
    assert!(!s.page.ops().contains(&Op::Recover), "the page was recovered: {:?}", s.page.ops());
    send(&s, &customer, &s.customer, answer(id.0, true, Some("ignored"))).await;
    let ops = patient(s.page.wait_for_ops(2)).await;
    // A confirm takes no text.
    assert_eq!(ops[1], Op::AnswerDialog(true, None));
}

#[tokio::test(start_paused = true)]
async fn a_dialog_nobody_answers_gets_the_answer_that_agrees_to_nothing_at_its_deadline() {
    let s = start();
    let mut customer = s.customer().await;
    s.page.emit(TabEvent::Dialog(dialog(browser::DialogKind::Confirm, "Buy?"))).await;
    let id = expect(&mut customer, |m| match m {
        ServerMessage::Dialog { dialog, .. } => Some(dialog),
        _ => None,
    })
    .await;
    let opened = Instant::now();
    let ops = patient(s.page.wait_for_ops(1)).await;
    assert_eq!(ops[0], Op::AnswerDialog(false, None));
    assert!(opened.elapsed() >= DIALOG_DEADLINE - Duration::from_secs(1));
    let closed = expect(&mut customer, |m| match m {
        ServerMessage::DialogClosed { dialog } => Some(dialog),
        _ => None,
    });
    assert_eq!(closed.await, id);
}

#[tokio::test(start_paused = true)]
async fn a_dialog_with_no_customer_to_answer_it_gets_its_default_answer_at_once() {
    let s = start();
    for (kind, accept) in
        [(browser::DialogKind::Confirm, false), (browser::DialogKind::Alert, true)]
    {
        let before = Instant::now();
        s.page.emit(TabEvent::Dialog(dialog(kind, "Sure?"))).await;
        let n = s.page.ops().len() + 1;
        let ops = patient(s.page.wait_for_ops(n)).await;
        assert_eq!(ops.last(), Some(&Op::AnswerDialog(accept, None)));
        assert!(before.elapsed() < Duration::from_secs(1));
    }
}

#[tokio::test(start_paused = true)]
async fn a_dialog_the_page_closed_by_itself_closes_for_the_customer_too() {
    let s = start();
    let mut customer = s.customer().await;
    s.page.emit(TabEvent::Dialog(dialog(browser::DialogKind::Alert, "Saved"))).await;
    let id = expect(&mut customer, |m| match m {
        ServerMessage::Dialog { dialog, .. } => Some(dialog),
        _ => None,
    })
    .await;
    s.page.emit(TabEvent::DialogClosed).await;
    let closed = expect(&mut customer, |m| match m {
        ServerMessage::DialogClosed { dialog } => Some(dialog),
        _ => None,
    });
    assert_eq!(closed.await, id);
    send(&s, &customer, &s.customer, answer(id.0, true, None)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::UnknownDialog);
}
