//! Guidance and the customer's say, through the session's task: chat, annotations, control,
//! the privacy pause, approving agents.

use super::*;
use model::AuditKind;
use protocol::{AnnotationKind, ChatEntry, Modifiers, MouseButton, RejectCode, SystemEvent};

fn pointer(kind: PointerKind, x: f64) -> ClientMessage {
    ClientMessage::Pointer {
        kind,
        x,
        y: 10.0,
        button: if kind == PointerKind::Move { MouseButton::None } else { MouseButton::Left },
        buttons: u8::from(kind == PointerKind::Down),
        click_count: u8::from(kind != PointerKind::Move),
        modifiers: Modifiers::default(),
    }
}

fn chat(text: &str) -> ClientMessage {
    ClientMessage::Chat { text: text.into() }
}

impl Session {
    async fn send(&self, who: &ParticipantId, viewer: &Viewer, msg: ClientMessage) {
        self.handle.client_message(who, viewer.connection, msg).await;
    }

    /// A frame of the page at `time_ms` that the guard speaks for at once.
    async fn frame(&self, time_ms: f64) {
        self.page.emit(TabEvent::Frame(fake::frame(time_ms))).await;
        self.page.emit(TabEvent::GuardTick(time_ms + 1.5)).await;
    }

    /// The next audit the session reports.
    async fn audit(&mut self) -> AuditKind {
        loop {
            if let SessionEvent::Audit { kind, .. } = self.report().await {
                return kind;
            }
        }
    }
}

/// Whether an agent gets no frame for `wait`.
async fn no_frame_within(viewer: &mut Viewer, wait: Duration) -> bool {
    let Feed::Agent(feed) = &mut viewer.frames.0 else { panic!("an agent's feed") };
    tokio::time::timeout(wait, feed.take()).await.is_err()
}

/// The code of the next refusal `viewer` hears of.
async fn refusal(viewer: &mut Viewer) -> RejectCode {
    expect(viewer, |m| match m {
        ServerMessage::Rejected { code, .. } => Some(code),
        _ => None,
    })
    .await
}

/// The next chat entry `viewer` gets.
async fn chat_entry(viewer: &mut Viewer) -> ChatEntry {
    expect(viewer, |m| match m {
        ServerMessage::Chat { entry } => Some(entry),
        _ => None,
    })
    .await
}

fn text_of(entry: &ChatEntry) -> Option<&str> {
    match entry {
        ChatEntry::Text { text, .. } => Some(text),
        ChatEntry::System { .. } => None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_paused_agent_gets_no_frame_and_the_current_picture_on_resume() {
    let mut s = start();
    let mut customer = s.customer().await;
    let (agent, mut agent_view) = s.agent().await;
    s.guarded(1000.0).await;
    s.frame(1016.0).await;
    assert_eq!(agent_frame(&mut agent_view).await.0, 1);

    // A frame drawn just before the pause waits in the agent's slot; pausing takes it back.
    s.frame(1032.0).await;
    s.send(&s.customer, &customer, ClientMessage::SetPaused { paused: true }).await;
    let paused = expect(&mut agent_view, |m| match m {
        ServerMessage::Paused { paused } => Some(paused),
        _ => None,
    });
    assert!(paused.await);
    assert_eq!(s.audit().await, AuditKind::ViewPaused);
    s.frame(1048.0).await;
    s.frame(1064.0).await;
    let mut seq = 0;
    while seq < 4 {
        seq = customer_frame(&mut customer).await.frame().seq;
    }
    assert!(
        no_frame_within(&mut agent_view, Duration::from_secs(5)).await,
        "a paused agent gets no frame"
    );
    s.send(&agent, &agent_view, pointer(PointerKind::Down, 5.0)).await;
    assert_eq!(refusal(&mut agent_view).await, RejectCode::Paused);

    s.send(&s.customer, &customer, ClientMessage::SetPaused { paused: false }).await;
    let page = expect(&mut agent_view, |m| match m {
        ServerMessage::Page { page } => Some(page),
        _ => None,
    });
    assert_eq!(page.await.url, URL, "the address comes back with the picture");
    let (seq, hidden, _) = agent_frame(&mut agent_view).await;
    assert_eq!((seq, hidden), (4, false), "the current picture");
    assert_eq!(s.audit().await, AuditKind::ViewResumed);
    // The agent's press never reached the page.
    let dispatched = s.page.ops().into_iter().filter(|op| matches!(op, Op::Dispatch(_))).count();
    assert_eq!(dispatched, 0, "{:?}", s.page.ops());
}

#[tokio::test(start_paused = true)]
async fn an_agent_who_connects_while_paused_sees_no_page() {
    let s = start();
    let customer = s.customer().await;
    s.guarded(1000.0).await;
    s.frame(1016.0).await;
    s.send(&s.customer, &customer, ClientMessage::SetPaused { paused: true }).await;
    let (_, mut agent_view) = s.agent().await;
    let (page, paused) = expect(&mut agent_view, |m| match m {
        ServerMessage::Welcome { page, paused, .. } => Some((page, paused)),
        _ => None,
    })
    .await;
    assert!(paused);
    assert_eq!(page, protocol::PageState::default(), "no address or title while paused");
    assert!(no_frame_within(&mut agent_view, Duration::from_secs(5)).await);
}

#[tokio::test(start_paused = true)]
async fn an_agent_without_control_points_asks_and_acts_once_granted() {
    let mut s = start();
    let mut customer = s.customer().await;
    let entry = Entry {
        needs_approval: false,
        starts_with_control: false,
        permissions: every_permission(),
    };
    let (agent, mut agent_view) = s.agent_entering(entry).await;
    s.send(&agent, &agent_view, pointer(PointerKind::Down, 5.0)).await;
    assert_eq!(refusal(&mut agent_view).await, RejectCode::NoControl);
    s.send(&agent, &agent_view, pointer(PointerKind::Move, 7.0)).await;
    let x = expect(&mut customer, |m| match m {
        ServerMessage::Cursor { participant, x, .. } if participant == agent => Some(x),
        _ => None,
    });
    assert_eq!(x.await, 7.0, "the customer sees where the agent points");

    s.send(&agent, &agent_view, ClientMessage::RequestControl).await;
    participants(&mut customer, |l| l.iter().any(|p| p.id == agent && p.control_requested)).await;
    let asked = chat_entry(&mut customer).await;
    assert!(matches!(asked, ChatEntry::System { event: SystemEvent::ControlRequested, .. }));

    let grant = ClientMessage::SetControl { agent: agent.clone(), granted: true };
    s.send(&s.customer, &customer, grant).await;
    participants(&mut agent_view, |l| l.iter().any(|p| p.id == agent && p.control)).await;
    assert_eq!(s.audit().await, AuditKind::ControlGranted);
    s.send(&agent, &agent_view, pointer(PointerKind::Down, 9.0)).await;
    let ops = s.page.wait_for_ops(1).await;
    assert!(
        matches!(&ops[0], Op::Dispatch(browser::Input::Mouse { x, .. }) if *x == 9.0),
        "{ops:?}"
    );

    let revoke = ClientMessage::SetControl { agent: agent.clone(), granted: false };
    s.send(&s.customer, &customer, revoke).await;
    assert_eq!(s.audit().await, AuditKind::ControlRevoked);
    // Refusals of a kind are told at most twice a second (a drag without control is many).
    tokio::time::sleep(Duration::from_secs(1)).await;
    s.send(&agent, &agent_view, pointer(PointerKind::Up, 9.0)).await;
    assert_eq!(refusal(&mut agent_view).await, RejectCode::NoControl);
    assert_eq!(s.page.ops().len(), 1, "nothing more reached the page");
}

#[tokio::test(start_paused = true)]
async fn a_waiting_agent_sees_nothing_until_the_customer_lets_them_in() {
    let mut s = start();
    let mut customer = s.customer().await;
    s.guarded(1000.0).await;
    s.frame(1016.0).await;
    s.send(&s.customer, &customer, chat("before you came")).await;
    let entry =
        Entry { needs_approval: true, starts_with_control: true, permissions: every_permission() };
    let (agent, mut agent_view) = s.agent_entering(entry).await;
    let (you, page) = expect(&mut agent_view, |m| match m {
        ServerMessage::Welcome { you, page, .. } => Some((you, page)),
        _ => None,
    })
    .await;
    assert!(you.waiting);
    assert_eq!(page, protocol::PageState::default());
    participants(&mut customer, |l| l.iter().any(|p| p.id == agent && p.waiting)).await;
    s.send(&agent, &agent_view, chat("let me in")).await;
    assert_eq!(refusal(&mut agent_view).await, RejectCode::WaitingApproval);
    assert!(no_frame_within(&mut agent_view, Duration::from_secs(5)).await);
    // Nothing but what is addressed to them: the customer's chat did not reach them.
    while let Ok(msg) = agent_view.outbox.try_recv() {
        assert!(
            !matches!(msg, ServerMessage::Chat { .. } | ServerMessage::ChatHistory { .. }),
            "{msg:?}"
        );
    }
    // An agent cannot let themselves in.
    let own = ClientMessage::Admit { participant: agent.clone(), approved: true };
    s.send(&agent, &agent_view, own).await;
    assert_eq!(refusal(&mut agent_view).await, RejectCode::CustomerOnly);

    let admit = ClientMessage::Admit { participant: agent.clone(), approved: true };
    s.send(&s.customer, &customer, admit).await;
    let you = expect(&mut agent_view, |m| match m {
        ServerMessage::Welcome { you, .. } => Some(you),
        _ => None,
    });
    assert!(!you.await.waiting);
    let history = expect(&mut agent_view, |m| match m {
        ServerMessage::ChatHistory { entries } => Some(entries),
        _ => None,
    });
    assert_eq!(text_of(&history.await[0]), Some("before you came"));
    assert_eq!(agent_frame(&mut agent_view).await.0, 1);
    assert!(matches!(s.report().await, SessionEvent::AgentAdmitted { .. }));
    let again = ClientMessage::Admit { participant: agent.clone(), approved: false };
    s.send(&s.customer, &customer, again).await;
    assert_eq!(refusal(&mut customer).await, RejectCode::NotWaiting);
}

#[tokio::test(start_paused = true)]
async fn a_denied_agent_is_told_and_leaves() {
    let mut s = start();
    let mut customer = s.customer().await;
    let entry =
        Entry { needs_approval: true, starts_with_control: true, permissions: every_permission() };
    let (agent, mut agent_view) = s.agent_entering(entry).await;
    let deny = ClientMessage::Admit { participant: agent.clone(), approved: false };
    s.send(&s.customer, &customer, deny).await;
    let mut got_denied = false;
    while let Some(msg) = patient(agent_view.outbox.recv()).await {
        got_denied |= msg == ServerMessage::Denied;
    }
    assert!(got_denied, "the agent is told, then the connection closes");
    assert!(matches!(s.report().await, SessionEvent::ParticipantLeft(p) if p == agent));
    assert_eq!(s.audit().await, AuditKind::AgentDenied);
    participants(&mut customer, |l| l.iter().all(|p| p.id != agent)).await;
    let unknown = ClientMessage::Admit { participant: agent.clone(), approved: true };
    s.send(&s.customer, &customer, unknown).await;
    assert_eq!(refusal(&mut customer).await, RejectCode::UnknownParticipant);
}

#[tokio::test(start_paused = true)]
async fn chat_reaches_everyone_survives_a_reconnect_and_goes_with_the_end() {
    let mut s = start();
    let customer = s.customer().await;
    let (agent, mut agent_view) = s.agent().await;
    let history = expect(&mut agent_view, |m| match m {
        ServerMessage::ChatHistory { entries } => Some(entries),
        _ => None,
    })
    .await;
    let joined = &history[0];
    assert!(
        matches!(joined, ChatEntry::System { event: SystemEvent::Joined, name, .. } if name == "Agent")
    );
    let order = "Order 4711-ÄB/0O1l";
    s.send(&s.customer, &customer, chat(order)).await;
    let got = chat_entry(&mut agent_view).await;
    assert!(matches!(&got, ChatEntry::Text { role: Role::Customer, text, .. } if text == order));
    s.send(&agent, &agent_view, chat(&"x".repeat(2001))).await;
    assert_eq!(refusal(&mut agent_view).await, RejectCode::ChatTooLong);

    let mut back = s.handle.connect(&agent).await.unwrap();
    let history = expect(&mut back, |m| match m {
        ServerMessage::ChatHistory { entries } => Some(entries),
        _ => None,
    })
    .await;
    assert_eq!(history.len(), 2);
    assert_eq!(text_of(&history[1]), Some(order));

    s.handle.end(EndReason::CustomerEnded).await;
    let transcript = loop {
        if let SessionEvent::Ended { transcript, .. } = s.report().await {
            break transcript;
        }
    };
    assert_eq!(transcript, history, "the registry decides whether to keep it");
}

#[tokio::test(start_paused = true)]
async fn annotations_are_passed_on_kept_for_whoever_connects_and_cleared_by_another_page() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent, agent_view) = s.agent().await;
    s.page.emit(TabEvent::Page(PageInfo { url: URL.into(), ..PageInfo::default() })).await;
    let stroke = ClientMessage::Annotate {
        id: 1,
        kind: AnnotationKind::Arrow,
        points: vec![[10.0, 500.0], [f64::MAX, 520.0]],
        done: true,
    };
    s.send(&agent, &agent_view, stroke).await;
    let got = expect(&mut customer, |m| match m {
        ServerMessage::Annotation { stroke } => Some(stroke),
        _ => None,
    })
    .await;
    assert_eq!((got.participant, got.kind, got.color), (agent.clone(), AnnotationKind::Arrow, 1));
    assert_eq!(got.points[1], [crate::annotations::MAX_PAGE_COORD, 520.0], "clamped");

    let mut again = s.customer().await;
    let kept = expect(&mut again, |m| match m {
        ServerMessage::Annotations { strokes } => Some(strokes),
        _ => None,
    })
    .await;
    assert_eq!(kept.len(), 1);
    // Within the document: they stay. Another document: they go.
    let fragment = PageInfo { url: format!("{URL}#total"), ..PageInfo::default() };
    s.page.emit(TabEvent::Page(fragment)).await;
    let next = PageInfo { url: "https://shop.example/thanks".into(), ..PageInfo::default() };
    s.page.emit(TabEvent::Page(next)).await;
    expect(&mut again, |m| (m == ServerMessage::AnnotationsCleared).then_some(())).await;
    assert!(s.handle.snapshot().await.is_some());
}

#[tokio::test(start_paused = true)]
async fn what_is_the_customers_to_decide_is_refused_to_an_agent_and_the_session_goes_on() {
    let s = start();
    let customer = s.customer().await;
    let (agent, mut agent_view) = s.agent().await;
    for msg in [
        ClientMessage::SetPaused { paused: true },
        ClientMessage::SetControl { agent: agent.clone(), granted: true },
        ClientMessage::Admit { participant: agent.clone(), approved: true },
    ] {
        s.send(&agent, &agent_view, msg).await;
        assert_eq!(refusal(&mut agent_view).await, RejectCode::CustomerOnly);
    }
    let nan = ClientMessage::Annotate {
        id: 1,
        kind: AnnotationKind::Pen,
        points: vec![[f64::NAN, 1.0]],
        done: false,
    };
    s.send(&agent, &agent_view, nan).await;
    assert_eq!(refusal(&mut agent_view).await, RejectCode::InvalidInput);
    let huge = ClientMessage::Annotate {
        id: 2,
        kind: AnnotationKind::Pen,
        points: vec![[1.0, 1.0]; 100_000],
        done: false,
    };
    s.send(&agent, &agent_view, huge).await;
    assert_eq!(refusal(&mut agent_view).await, RejectCode::TooManyPoints);
    s.send(&s.customer, &customer, ClientMessage::RequestControl).await;
    s.send(&agent, &agent_view, ClientMessage::Ping).await;
    expect(&mut agent_view, |m| (m == ServerMessage::Pong).then_some(())).await;
    let snapshot = s.handle.snapshot().await.unwrap();
    assert!(snapshot.participants.iter().any(|p| p.id == agent && p.control && !p.waiting));
}
