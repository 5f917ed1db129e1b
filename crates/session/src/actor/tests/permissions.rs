//! Permissions on every message (F19): an agent whose role lacks a permission has each
//! message that needs it refused (`not_permitted`), and only those.

use super::*;
use model::Permission;

/// What `viewer` is told up to the answer to a ping sent after `msg`: the codes of refusals.
async fn refusals_of(
    session: &Session,
    agent: &ParticipantId,
    viewer: &mut Viewer,
    msg: ClientMessage,
) -> Vec<RejectCode> {
    let connection = viewer.connection;
    session.handle.client_message(agent, connection, msg).await;
    session.handle.client_message(agent, connection, ClientMessage::Ping).await;
    let mut codes = Vec::new();
    loop {
        match patient(viewer.outbox.recv()).await.expect("the connection is open") {
            ServerMessage::Pong => return codes,
            ServerMessage::Rejected { code, .. } => codes.push(code),
            _ => {}
        }
    }
}

#[tokio::test(start_paused = true)]
async fn an_agent_without_a_permission_has_every_message_needing_it_refused() {
    let samples: Vec<ClientMessage> = protocol::CLIENT_MESSAGE_SAMPLES
        .iter()
        .map(|s| protocol::parse_client_message(s).expect("a sample parses"))
        // Leaving would end the test's agent; a ping is what ends each message's answers.
        .filter(|m| !matches!(m, ClientMessage::End | ClientMessage::Ping))
        .collect();
    let session = start();
    let _customer = session.customer().await;
    let mut n_refused = 0;
    for lacking in [
        Permission::Annotate,
        Permission::Chat,
        Permission::Control,
        Permission::Navigate,
        Permission::Tabs,
    ] {
        let entry = Entry {
            needs_approval: false,
            starts_with_control: true,
            permissions: every_permission().without(lacking),
        };
        let (agent, mut viewer) = session.agent_entering(entry).await;
        for msg in &samples {
            let codes = refusals_of(&session, &agent, &mut viewer, msg.clone()).await;
            let refused = codes.contains(&RejectCode::NotPermitted);
            let what = format!("{} without {lacking}: {codes:?}", msg.type_name());
            assert_eq!(refused, msg.permission() == lacking, "{what}");
            if refused {
                // Nothing else looked at it.
                assert_eq!(codes, [RejectCode::NotPermitted], "{what}");
                n_refused += 1;
            }
        }
    }
    // Every type that needs one of these permissions was refused once.
    let needing = samples.iter().filter(|m| m.permission() != Permission::View).count();
    assert_eq!(n_refused, needing);
}

#[tokio::test(start_paused = true)]
async fn an_agent_without_chat_writes_nothing_into_the_chat() {
    let session = start();
    let mut customer = session.customer().await;
    let entry = Entry {
        needs_approval: false,
        starts_with_control: true,
        permissions: every_permission().without(Permission::Chat),
    };
    let (agent, mut viewer) = session.agent_entering(entry).await;
    let chat = ClientMessage::Chat { text: "forged".into() };
    assert_eq!(refusals_of(&session, &agent, &mut viewer, chat).await, [RejectCode::NotPermitted]);
    // The customer's own message is the first text entry they hear of.
    let connection = customer.connection;
    let own = ClientMessage::Chat { text: "mine".into() };
    session.handle.client_message(&session.customer, connection, own).await;
    let text = expect(&mut customer, |m| match m {
        ServerMessage::Chat { entry: protocol::ChatEntry::Text { text, .. } } => Some(text),
        _ => None,
    })
    .await;
    assert_eq!(text, "mine");
}
