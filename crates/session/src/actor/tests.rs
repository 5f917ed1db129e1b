//! The session's task with a fake browser, on a paused clock: what each viewer gets, and when.

use super::*;
use crate::events::Report;
use crate::events::SessionEvent;
use crate::fake::{self, FakeBrowser, FakePage, Op};
use crate::feed::MASK_WAIT;
use crate::handle::{Entry, Feed, Viewer};
use browser::{GuardRect, GuardReport, PageInfo};
use browser::{TabEvent, TabOptions};
use frames::{MaskedFrame, RawFrame, Update};
use model::TabId;
use model::{AgentId, Rect};
use protocol::{ActivityKind, ClientMessage, ParticipantInfo, PointerKind, RejectCode};

mod dialogs;
mod guidance;
mod hung;
mod permissions;
mod sign_ins;

const URL: &str = "https://shop.example/checkout";
const GRACE: Duration = Duration::from_secs(60);
const CUSTOMER_CONNECT: Duration = Duration::from_secs(20);
const IDLE_LIMIT: Duration = Duration::from_secs(1800);
/// Longer than anything a test waits for: on a paused clock, a wait that never ends fails.
const PATIENCE: Duration = Duration::from_secs(7200);

/// An agent who may do everything in a session.
fn every_permission() -> model::Permissions {
    model::Permissions::all()
}

struct Session {
    handle: SessionHandle,
    page: Arc<FakePage>,
    browser: Arc<FakeBrowser>,
    reports: mpsc::UnboundedReceiver<Report>,
    customer: ParticipantId,
}

fn start() -> Session {
    start_with(Arc::default())
}

/// A session whose company lets its sessions go only where `domains` say.
fn start_with(domains: Arc<policy::domains::DomainLists>) -> Session {
    let browser = Arc::new(FakeBrowser::default());
    let start_url = url::Url::parse(URL).unwrap();
    let opts = TabOptions {
        viewport: Viewport::DEFAULT,
        locale: model::Locale::default(),
        url: start_url.clone(),
        rules: Arc::from([]),
        domains: domains.clone(),
    };
    let opened = browser.open_page(opts);
    let (tx, reports) = mpsc::unbounded_channel();
    let (id, company, customer) =
        (SessionId::random(), CompanyId::random(), ParticipantId::random());
    let actor = Actor {
        id: id.clone(),
        company: company.clone(),
        created_at: OffsetDateTime::now_utc(),
        customer: customer.clone(),
        customer_name: "Customer".into(),
        customer_connect: CUSTOMER_CONNECT,
        start_url,
        locale: model::Locale::default(),
        rules: Arc::from([]),
        domains,
        grace: GRACE,
        idle_limit: IDLE_LIMIT,
        events_per_second: 250,
        max_tabs: 3,
        pdfs: model::PdfView::Show,
        download_link_ttl: Duration::from_secs(60),
        browser: browser.clone(),
        reporter: Reporter::new(id, company, tx),
    };
    let handle = actor.spawn(opened);
    let page = browser.pages()[0].clone();
    Session { handle, page, browser, reports, customer }
}

impl Session {
    async fn customer(&self) -> Viewer {
        self.handle.connect(&self.customer).await.expect("the session is live")
    }

    async fn agent(&self) -> (ParticipantId, Viewer) {
        self.agent_entering(Entry {
            needs_approval: false,
            starts_with_control: true,
            permissions: every_permission(),
        })
        .await
    }

    async fn agent_entering(&self, entry: Entry) -> (ParticipantId, Viewer) {
        let agent = ParticipantId::random();
        let added =
            self.handle.add_agent(agent.clone(), AgentId::random(), "Agent".into(), entry).await;
        assert!(added);
        (agent.clone(), self.handle.connect(&agent).await.expect("the session is live"))
    }

    /// The next report to the registry; an `Ended` is answered as the registry would.
    async fn report(&mut self) -> SessionEvent {
        let report = patient(self.reports.recv()).await.expect("the session reports");
        report.event
    }

    /// The page shows `URL` and its guard has measured a masked field at `time_ms`.
    async fn guarded(&self, time_ms: f64) {
        let info = PageInfo { url: URL.into(), ..PageInfo::default() };
        self.page.emit(TabEvent::Page(info)).await;
        self.page.emit(TabEvent::Guard(report(time_ms, vec![field(8.0)]))).await;
    }
}

async fn patient<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(PATIENCE, f).await.expect("waited for longer than any deadline")
}

/// The next message `viewer` gets that `pick` takes.
async fn expect<T>(viewer: &mut Viewer, mut pick: impl FnMut(ServerMessage) -> Option<T>) -> T {
    loop {
        let msg = patient(viewer.outbox.recv()).await.expect("the connection is open");
        if let Some(found) = pick(msg) {
            return found;
        }
    }
}

/// The next participant list `viewer` gets that `pick` likes.
async fn participants(
    viewer: &mut Viewer,
    pick: impl Fn(&[ParticipantInfo]) -> bool,
) -> Vec<ParticipantInfo> {
    expect(viewer, |m| match m {
        ServerMessage::Participants { participants } if pick(&participants) => Some(participants),
        _ => None,
    })
    .await
}

fn report(time_ms: f64, masked: Vec<GuardRect>) -> GuardReport {
    GuardReport { seq: 1, url: URL.into(), time_ms, masked, ..GuardReport::default() }
}

fn field(y: f64) -> GuardRect {
    GuardRect {
        rect: Rect { x: 8.0, y, width: 32.0, height: 16.0 },
        fixed: false,
        kind: "card_number".into(),
        label: String::new(),
    }
}

/// The next frame a customer gets.
async fn customer_frame(viewer: &mut Viewer) -> Arc<Update<RawFrame>> {
    let Feed::Customer(feed) = &mut viewer.frames.0 else { panic!("a customer's feed") };
    patient(feed.take()).await.expect("the session is live")
}

/// The next frame an agent gets: its number, whether it is hidden whole, its JPEG.
async fn agent_frame(viewer: &mut Viewer) -> (u64, bool, bytes::Bytes) {
    let Feed::Agent(feed) = &mut viewer.frames.0 else { panic!("an agent's feed") };
    let update: Arc<Update<MaskedFrame>> = patient(feed.take()).await.expect("the session is live");
    let frame = update.frame();
    (frame.frame().seq, frame.is_hidden(), frame.frame().jpeg.clone())
}

#[tokio::test(start_paused = true)]
async fn an_agents_frame_waits_for_the_guard_and_goes_masked() {
    let s = start();
    let mut customer = s.customer().await;
    let (_, mut agent) = s.agent().await;
    s.guarded(1000.0).await;
    let frame = fake::frame(1016.0);
    s.page.emit(TabEvent::Frame(frame.clone())).await;
    // The customer gets it at once, as it is.
    let got = customer_frame(&mut customer).await;
    assert_eq!((got.frame().seq, &got.frame().jpeg), (1, &frame.jpeg));
    // The agent's waits: the guard has not spoken for its moment.
    assert!(tokio::time::timeout(MASK_WAIT / 2, agent_frame(&mut agent)).await.is_err());
    s.page.emit(TabEvent::GuardTick(1017.5)).await;
    let (seq, hidden, jpeg) = agent_frame(&mut agent).await;
    assert_eq!(seq, 1);
    assert!(!hidden, "the guard spoke: the field is masked, the rest shown");
    assert_ne!(jpeg, frame.jpeg, "the field is painted over");
}

#[tokio::test(start_paused = true)]
async fn an_agents_frame_the_guard_is_silent_on_goes_hidden() {
    let s = start();
    let (_, mut agent) = s.agent().await;
    s.guarded(1000.0).await;
    s.page.emit(TabEvent::Frame(fake::frame(1016.0))).await;
    let waited = Instant::now();
    let (seq, hidden, _) = agent_frame(&mut agent).await;
    assert_eq!(seq, 1);
    assert!(hidden, "when in doubt, hide");
    assert_eq!(waited.elapsed(), MASK_WAIT);
}

#[tokio::test(start_paused = true)]
async fn a_still_page_masks_the_agents_last_frame_again_when_more_is_masked() {
    let s = start();
    let (_, mut agent) = s.agent().await;
    s.guarded(1000.0).await;
    s.page.emit(TabEvent::Frame(fake::frame(1016.0))).await;
    s.page.emit(TabEvent::GuardTick(1017.5)).await;
    let (_, _, first) = agent_frame(&mut agent).await;
    // A company rule masks one more thing; the page does not draw again.
    let more = report(1500.0, vec![field(8.0), field(24.0)]);
    s.page.emit(TabEvent::Guard(more)).await;
    let (seq, hidden, again) = agent_frame(&mut agent).await;
    assert_eq!(seq, 1, "the same frame, masked again");
    assert!(!hidden);
    assert_ne!(again, first, "the new field is painted over too");
}

#[tokio::test(start_paused = true)]
async fn an_agent_who_does_not_come_back_leaves_after_the_grace_period() {
    let mut s = start();
    let mut customer = s.customer().await;
    let (agent, viewer) = s.agent().await;
    let connection = viewer.connection;
    drop(viewer);
    s.handle.disconnect(&agent, connection).await;
    let left_at = Instant::now();
    participants(&mut customer, |list| list.iter().any(|p| p.id == agent && !p.connected)).await;
    // The others hear it when the grace period is over, and the agent's token goes.
    participants(&mut customer, |list| list.iter().all(|p| p.id != agent)).await;
    assert_eq!(left_at.elapsed(), GRACE);
    assert!(matches!(s.report().await, SessionEvent::ParticipantLeft(p) if p == agent));
}

#[tokio::test(start_paused = true)]
async fn a_participant_who_comes_back_within_the_grace_period_stays() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent, viewer) = s.agent().await;
    s.handle.disconnect(&agent, viewer.connection).await;
    tokio::time::sleep(GRACE - Duration::from_secs(1)).await;
    let _back = s.handle.connect(&agent).await.unwrap();
    tokio::time::sleep(GRACE * 2).await;
    let snapshot = s.handle.snapshot().await.unwrap();
    assert!(snapshot.participants.iter().any(|p| p.id == agent && p.connected));
    // The customer saw the agent join, connect, drop and come back; nothing after.
    let mut seen = Vec::new();
    while let Ok(msg) = customer.outbox.try_recv() {
        if let ServerMessage::Participants { participants } = msg {
            seen.extend(participants.iter().filter(|p| p.id == agent).map(|p| p.connected));
        }
    }
    assert_eq!(seen, vec![false, true, false, true]);
}

#[tokio::test(start_paused = true)]
async fn a_customer_who_does_not_come_back_ends_the_session() {
    let mut s = start();
    let (_, mut agent) = s.agent().await;
    let SessionEvent::Ended { reason, recorded, .. } = s.report().await else {
        panic!("the session should end")
    };
    assert_eq!(reason, EndReason::CustomerLeft);
    recorded.send(()).unwrap();
    let ended = expect(&mut agent, |m| match m {
        ServerMessage::Ended { reason, by: None } => Some(reason),
        _ => None,
    });
    assert_eq!(ended.await, EndReason::CustomerLeft);
    assert_eq!(s.page.wait_for_ops(1).await, vec![Op::Close], "the browser context is disposed");
    assert!(s.handle.snapshot().await.is_none());
}

// See: issue 10 (sessions started by bots held their places for a minute).
#[tokio::test(start_paused = true)]
async fn issue_10_a_session_whose_customer_never_comes_ends_soon_and_one_who_came_gets_the_grace() {
    let mut s = start();
    let started = Instant::now();
    let SessionEvent::Ended { reason, .. } = s.report().await else {
        panic!("the session should end")
    };
    assert_eq!((reason, started.elapsed()), (EndReason::CustomerLeft, CUSTOMER_CONNECT));

    let mut s = start();
    tokio::time::sleep(CUSTOMER_CONNECT / 2).await;
    let customer = s.customer().await;
    s.handle.disconnect(&s.customer, customer.connection).await;
    let left = Instant::now();
    let SessionEvent::Ended { reason, .. } = s.report().await else {
        panic!("the session should end")
    };
    assert_eq!((reason, left.elapsed()), (EndReason::CustomerLeft, GRACE));
}

#[tokio::test(start_paused = true)]
async fn a_session_nobody_uses_ends_at_the_idle_limit_and_use_keeps_it() {
    // See: issue 9 (an expired PIN ended the session, and what the customer did was lost).
    let mut s = start();
    let customer = s.customer().await;
    tokio::time::sleep(IDLE_LIMIT - Duration::from_secs(1)).await;
    s.handle.client_message(&s.customer, customer.connection, ClientMessage::Reload).await;
    let used = Instant::now();
    let SessionEvent::Ended { reason, .. } = s.report().await else {
        panic!("the session should end")
    };
    assert_eq!(reason, EndReason::Idle);
    assert_eq!(used.elapsed(), IDLE_LIMIT, "counted from the last thing anyone did");
}

#[tokio::test(start_paused = true)]
async fn a_viewer_that_stops_reading_is_dropped_not_waited_for() {
    let s = start();
    let customer = s.customer().await;
    let (agent, mut stalled) = s.agent().await;
    // Every pointer move of the customer is a message to the agent, who reads none.
    for x in 0..(crate::roster::OUTBOX_CAPACITY + 10) {
        let msg = ClientMessage::Pointer {
            kind: PointerKind::Move,
            x: x as f64,
            y: 1.0,
            button: protocol::MouseButton::None,
            buttons: 0,
            click_count: 0,
            modifiers: protocol::Modifiers::default(),
        };
        s.handle.client_message(&s.customer, customer.connection, msg).await;
    }
    let snapshot = s.handle.snapshot().await.unwrap();
    assert!(snapshot.participants.iter().any(|p| p.id == agent && !p.connected));
    // What was queued is still there, then the connection ends.
    let mut n_queued = 0;
    while stalled.outbox.recv().await.is_some() {
        n_queued += 1;
    }
    assert_eq!(n_queued, crate::roster::OUTBOX_CAPACITY);
}

#[tokio::test(start_paused = true)]
async fn a_lost_page_is_reopened_where_it_was_and_input_goes_there() {
    let s = start();
    let customer = s.customer().await;
    let moved = PageInfo { url: "https://shop.example/cart".into(), ..PageInfo::default() };
    s.page.emit(TabEvent::Page(moved)).await;
    s.page.lose();
    let reopened = patient(s.browser.page(1)).await;
    assert_eq!(reopened.opts.url.as_str(), "https://shop.example/cart");
    s.handle.client_message(&s.customer, customer.connection, ClientMessage::Reload).await;
    assert_eq!(reopened.wait_for_ops(1).await, vec![Op::Reload]);
    assert!(s.page.ops().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_page_that_cannot_be_reopened_ends_the_session() {
    let mut s = start();
    s.browser.refuse.store(true, std::sync::atomic::Ordering::SeqCst);
    s.page.lose();
    let SessionEvent::Ended { reason, .. } = s.report().await else {
        panic!("the session should end")
    };
    assert_eq!(reason, EndReason::BrowserFailed);
    assert_eq!(s.browser.n_contexts(), 1);
}

/// The next tab strip `viewer` gets that `pick` likes: its tabs' ids and titles, and the active one.
async fn strip(
    viewer: &mut Viewer,
    pick: impl Fn(&[protocol::TabInfo], Option<TabId>) -> bool,
) -> (Vec<(TabId, String)>, Option<TabId>) {
    expect(viewer, |m| match m {
        ServerMessage::Tabs { tabs, active } if pick(&tabs, active) => {
            Some((tabs.into_iter().map(|t| (t.id, t.title)).collect(), active))
        }
        _ => None,
    })
    .await
}

async fn send(s: &Session, viewer: &Viewer, participant: &ParticipantId, msg: ClientMessage) {
    s.handle.client_message(participant, viewer.connection, msg).await;
}

#[tokio::test(start_paused = true)]
async fn windows_become_tabs_that_both_switch_and_close_and_only_the_active_one_streams() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent_id, mut agent) = s.agent().await;
    let (tabs, active) = strip(&mut agent, |_, _| true).await;
    assert_eq!((tabs.len(), active), (1, Some(TabId(1))));

    // A link to a new tab: it comes to the front, for both; the first stops streaming.
    let second = s.browser.open_window("https://shop.example/terms", false).await;
    let (tabs, active) = strip(&mut customer, |tabs, _| tabs.len() == 2).await;
    assert_eq!(active, Some(TabId(2)));
    assert_eq!(tabs[1].0, TabId(2));
    strip(&mut agent, |tabs, active| tabs.len() == 2 && active == Some(TabId(2))).await;
    assert_eq!(s.page.wait_for_ops(1).await, vec![Op::Streaming(false)]);
    assert_eq!(second.wait_for_ops(1).await, vec![Op::Streaming(true)]);

    // Its title reaches the strip: the agent's with the masked values taken out.
    let info = PageInfo {
        url: "https://shop.example/terms".into(),
        title: "Terms for 4111 1111 1111 1111".into(),
        agent_title: "Terms for 4111 1111 1111 1111".into(),
        ..PageInfo::default()
    };
    second.emit(TabEvent::Page(info)).await;
    let (tabs, _) = strip(&mut agent, |tabs, _| tabs.len() == 2 && !tabs[1].title.is_empty()).await;
    assert!(!tabs[1].1.contains("4111"), "{:?}", tabs[1].1);
    let (tabs, _) =
        strip(&mut customer, |tabs, _| tabs.len() == 2 && !tabs[1].title.is_empty()).await;
    assert!(tabs[1].1.contains("4111 1111"), "{:?}", tabs[1].1);

    // A Ctrl-click opens a third in the background.
    let third = s.browser.open_window("https://shop.example/help", true).await;
    strip(&mut agent, |tabs, active| tabs.len() == 3 && active == Some(TabId(2))).await;

    // The agent brings the first back; the customer closes the second.
    send(&s, &agent, &agent_id, ClientMessage::ActivateTab { tab: TabId(1) }).await;
    strip(&mut customer, |_, active| active == Some(TabId(1))).await;
    assert_eq!(s.page.wait_for_ops(2).await[1], Op::Streaming(true));
    send(&s, &customer, &s.customer, ClientMessage::CloseTab { tab: TabId(2) }).await;
    let (tabs, active) = strip(&mut agent, |tabs, _| tabs.len() == 2).await;
    assert_eq!(tabs.iter().map(|t| t.0).collect::<Vec<_>>(), vec![TabId(1), TabId(3)]);
    assert_eq!(active, Some(TabId(1)));
    assert_eq!(second.wait_for_ops(3).await[2], Op::Close);
    assert!(third.ops().is_empty(), "a tab in the background streams nothing");

    // The page of the active tab closes itself: the next one comes to the front.
    s.page.emit(TabEvent::Closed).await;
    let (tabs, active) = strip(&mut customer, |tabs, _| tabs.len() == 1).await;
    assert_eq!((tabs[0].0, active), (TabId(3), Some(TabId(3))));
    assert_eq!(third.wait_for_ops(1).await, vec![Op::Streaming(true)]);
}

#[tokio::test(start_paused = true)]
async fn a_tab_past_the_limit_is_refused_and_closing_the_last_opens_the_start_page() {
    let s = start();
    let mut customer = s.customer().await;
    for n in 2..=3 {
        s.browser.open_window(&format!("https://shop.example/{n}"), true).await;
    }
    strip(&mut customer, |tabs, _| tabs.len() == 3).await;
    let fourth = s.browser.open_window("https://shop.example/4", false).await;
    let refused = expect(&mut customer, |m| match m {
        ServerMessage::Rejected { code, .. } => Some(code),
        _ => None,
    });
    assert_eq!(refused.await, RejectCode::TabLimit);
    assert_eq!(fourth.wait_for_ops(1).await, vec![Op::Close], "the tab past the limit is closed");

    // A tab that does not exist (any more) is refused, and the session goes on.
    send(&s, &customer, &s.customer, ClientMessage::ActivateTab { tab: TabId(99) }).await;
    let refused = expect(&mut customer, |m| match m {
        ServerMessage::Rejected { code, .. } => Some(code),
        _ => None,
    });
    assert_eq!(refused.await, RejectCode::UnknownTab);

    for n in 1..=3 {
        send(&s, &customer, &s.customer, ClientMessage::CloseTab { tab: TabId(n) }).await;
    }
    // The tab refused had no number: the start page's is the next one.
    let (_, active) =
        strip(&mut customer, |tabs, _| tabs.len() == 1 && tabs[0].id == TabId(4)).await;
    assert_eq!(active, Some(TabId(4)));
    let start_page = s.browser.page(4).await;
    assert_eq!(start_page.opts.url.as_str(), URL, "the last tab closing opens the start page");
    assert_eq!(start_page.wait_for_ops(1).await, vec![Op::Streaming(true)]);
}

#[tokio::test(start_paused = true)]
async fn a_frame_the_guard_has_not_measured_makes_the_tab_ask_it_now_and_then() {
    let s = start();
    let mut customer = s.customer().await;
    s.guarded(1000.0).await;
    let wakes = |page: &FakePage| page.ops().iter().filter(|op| **op == Op::WakeGuard).count();
    // Measured already: nothing to ask.
    s.page.emit(TabEvent::Frame(fake::frame(1000.5))).await;
    customer_frame(&mut customer).await;
    assert_eq!(wakes(&s.page), 0);
    // Not measured: the guard is asked, and not again for every frame that follows at once.
    for t in [1016.0, 1032.0, 1048.0] {
        s.page.emit(TabEvent::Frame(fake::frame(t))).await;
        customer_frame(&mut customer).await;
    }
    assert_eq!(wakes(&s.page), 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    s.page.emit(TabEvent::Frame(fake::frame(1100.0))).await;
    customer_frame(&mut customer).await;
    assert_eq!(wakes(&s.page), 2);
}

fn picker(id: u64, masked: bool) -> model::Picker {
    model::Picker {
        id: model::PickerId(id),
        kind: model::PickerKind::Select,
        multiple: false,
        options: vec![model::PickerOption {
            label: "Netherlands".into(),
            value: "nl".into(),
            group: None,
            disabled: false,
            selected: false,
        }],
        value: None,
        min: None,
        max: None,
        rect: Rect { x: 8.0, y: 8.0, width: 100.0, height: 20.0 },
        masked,
    }
}

fn press(kind: PointerKind) -> ClientMessage {
    ClientMessage::Pointer {
        kind,
        x: 10.0,
        y: 10.0,
        button: protocol::MouseButton::Left,
        buttons: u8::from(kind == PointerKind::Down),
        click_count: 1,
        modifiers: protocol::Modifiers::default(),
    }
}

// See: issue 10 — behind three clicks into a page with `alert()`, the customer's navigation
// waited 30 s.
#[tokio::test(start_paused = true)]
async fn issue_10_clicks_into_a_stuck_page_hold_up_the_other_persons_navigation_one_deadline_at_most(
) {
    let mut s = start();
    let customer = s.customer().await;
    let (agent, agent_viewer) = s.agent().await;
    s.page.stuck.store(true, std::sync::atomic::Ordering::SeqCst);
    let began = Instant::now();
    for _ in 0..3 {
        for kind in [PointerKind::Down, PointerKind::Up] {
            s.handle.client_message(&agent, agent_viewer.connection, press(kind)).await;
        }
    }
    let to = ClientMessage::Navigate { url: "https://shop.example/help".into() };
    s.handle.client_message(&s.customer, customer.connection, to).await;
    let ops = patient(s.page.wait_for_ops(3)).await;
    // The first press got stuck; after its deadline the page was recovered, the presses queued
    // meanwhile were dropped, and the navigation went next.
    assert!(matches!(ops[0], Op::Dispatch(_)), "{ops:?}");
    assert_eq!(ops[1..], [Op::Recover, Op::Navigate("https://shop.example/help".into())]);
    assert_eq!(began.elapsed(), crate::worker::INPUT_DEADLINE);
    loop {
        if let SessionEvent::PageRecovered { recovery, n_dropped, .. } = s.report().await {
            assert_eq!((recovery, n_dropped), (browser::Recovery::ScriptStopped, 5));
            break;
        }
    }
}

// See: issue 10 — a page whose script started looping by itself (a timer) while nobody acted
// stayed hung until someone clicked into it.
#[tokio::test(start_paused = true)]
async fn issue_10_a_page_that_hangs_while_nobody_acts_is_found_and_recovered() {
    let mut s = start();
    let _customer = s.customer().await;
    let _agent = s.agent().await;
    let began = Instant::now();
    s.page.stuck.store(true, std::sync::atomic::Ordering::SeqCst);
    let ops = patient(s.page.wait_for_ops(1)).await;
    assert_eq!(ops, [Op::Recover]);
    let found_within = crate::worker::WATCH_EVERY * 2 + crate::worker::WATCH_DEADLINE;
    assert!(began.elapsed() <= found_within, "{:?}", began.elapsed());
    loop {
        if let SessionEvent::PageRecovered { op, recovery, n_dropped } = s.report().await {
            assert_eq!(
                (op, recovery, n_dropped),
                ("watchdog", browser::Recovery::ScriptStopped, 0)
            );
            break;
        }
    }
    // A page that answers is probed and left alone.
    tokio::time::sleep(crate::worker::WATCH_EVERY * 10).await;
    assert_eq!(s.page.ops(), [Op::Recover]);
}

fn choose(id: u64, index: u32) -> ClientMessage {
    ClientMessage::PickerChoose { picker: model::PickerId(id), indices: vec![index], value: None }
}

/// The next `rejected` code `viewer` gets.
async fn rejected(viewer: &mut Viewer) -> RejectCode {
    expect(viewer, |m| match m {
        ServerMessage::Rejected { code, .. } => Some(code),
        _ => None,
    })
    .await
}

/// Every message `viewer` has waiting, without waiting for more.
fn drain(viewer: &mut Viewer) -> Vec<ServerMessage> {
    std::iter::from_fn(|| viewer.outbox.try_recv().ok()).collect()
}

#[tokio::test(start_paused = true)]
async fn a_picker_goes_to_who_opened_it_and_a_masked_one_never_to_an_agent() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent_id, mut agent) = s.agent().await;

    // The agent presses a list: the picker is theirs alone; their choice reaches the page.
    send(&s, &agent, &agent_id, press(PointerKind::Down)).await;
    s.page.wait_for_ops(1).await;
    s.page.emit(TabEvent::Picker(browser::PickerEvent::Opened(picker(7, false)))).await;
    let got = expect(&mut agent, |m| match m {
        ServerMessage::Picker { picker } => Some(picker),
        _ => None,
    });
    assert_eq!(got.await.id, model::PickerId(7));
    send(&s, &agent, &agent_id, choose(7, 0)).await;
    let ops = s.page.wait_for_ops(2).await;
    assert_eq!(
        ops[1],
        Op::Choose(model::PickerId(7), model::PickerChoice { indices: vec![0], value: None }, true)
    );
    // The customer may not choose from the agent's picker.
    send(&s, &customer, &s.customer, choose(7, 0)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::UnknownPicker);
    s.page.emit(TabEvent::Picker(browser::PickerEvent::Closed(model::PickerId(7)))).await;
    expect(&mut agent, |m| matches!(m, ServerMessage::PickerClosed { .. }).then_some(())).await;

    // A list hidden from the agent that the agent pressed stays closed, and they are told.
    send(&s, &agent, &agent_id, press(PointerKind::Down)).await;
    s.page.wait_for_ops(3).await;
    s.page.emit(TabEvent::Picker(browser::PickerEvent::Opened(picker(8, true)))).await;
    assert_eq!(rejected(&mut agent).await, RejectCode::MaskedField);
    assert_eq!(s.page.wait_for_ops(4).await[3], Op::DismissPicker(model::PickerId(8)));
    // The customer presses it: theirs.
    send(&s, &customer, &s.customer, press(PointerKind::Down)).await;
    s.page.wait_for_ops(5).await;
    s.page.emit(TabEvent::Picker(browser::PickerEvent::Opened(picker(9, true)))).await;
    let got = expect(&mut customer, |m| match m {
        ServerMessage::Picker { picker } => Some(picker),
        _ => None,
    });
    assert!(got.await.masked);
    // A choice the page refuses (the option went away) is told with its code.
    *s.page.choice.lock().unwrap() = Err(browser::PickRefusal::OptionGone);
    send(&s, &customer, &s.customer, choose(9, 0)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::PickerOptionGone);
    // A picker that was never opened is refused, and the session goes on.
    send(&s, &customer, &s.customer, choose(99, 0)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::UnknownPicker);
    send(&s, &customer, &s.customer, ClientMessage::Ping).await;
    expect(&mut customer, |m| matches!(m, ServerMessage::Pong).then_some(())).await;

    send(&s, &agent, &agent_id, ClientMessage::Ping).await;
    let mut before_pong = Vec::new();
    expect(&mut agent, |m| {
        let pong = matches!(m, ServerMessage::Pong);
        before_pong.push(m);
        pong.then_some(())
    })
    .await;
    before_pong.extend(drain(&mut agent));
    assert!(
        !before_pong.iter().any(|m| matches!(m, ServerMessage::Picker { .. })),
        "the agent got a picker for a masked field: {before_pong:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn while_the_customer_is_away_the_agent_cannot_act_and_sees_how_long() {
    // See: issue 9 (the agent could drive the page for the whole grace period).
    let s = start();
    let customer = s.customer().await;
    let (agent, mut viewer) = s.agent().await;
    s.handle.disconnect(&s.customer, customer.connection).await;
    let list =
        participants(&mut viewer, |l| l.iter().any(|p| p.role == Role::Customer && !p.connected))
            .await;
    let away = list.iter().find(|p| p.role == Role::Customer).unwrap();
    assert_eq!(away.back_within_ms, Some(GRACE.as_millis() as u64), "the countdown to the end");
    s.handle.client_message(&agent, viewer.connection, press(PointerKind::Down)).await;
    let code = expect(&mut viewer, |m| match m {
        ServerMessage::Rejected { code, .. } => Some(code),
        _ => None,
    });
    assert_eq!(code.await, RejectCode::CustomerAway);
    s.handle.client_message(&agent, viewer.connection, ClientMessage::Reload).await;
    // The customer comes back: the agent's input reaches the page again.
    let _back = s.handle.connect(&s.customer).await.unwrap();
    s.handle.client_message(&agent, viewer.connection, ClientMessage::Reload).await;
    assert_eq!(
        s.page.wait_for_ops(1).await,
        vec![Op::Reload],
        "nothing reached the page while away"
    );
}

#[tokio::test(start_paused = true)]
async fn an_agent_who_leaves_is_gone_at_once_and_the_customer_is_told() {
    let mut s = start();
    let mut customer = s.customer().await;
    let (agent, _viewer) = s.agent().await;
    participants(&mut customer, |l| l.iter().any(|p| p.id == agent && p.connected)).await;
    assert!(!s.handle.leave(&s.customer).await, "a customer ends the session instead");
    assert!(s.handle.leave(&agent).await);
    participants(&mut customer, |l| l.iter().all(|p| p.id != agent)).await;
    assert!(matches!(s.report().await, SessionEvent::ParticipantLeft(p) if p == agent));
    assert!(s.handle.snapshot().await.is_some(), "the session goes on");
}

#[tokio::test(start_paused = true)]
async fn the_others_hear_where_one_took_the_page_and_what_the_agent_was_refused() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent, mut viewer) = s.agent().await;
    let to = "https://shop.example/pay?iban=DE89370400440532013000";
    let navigate = ClientMessage::Navigate { url: to.into() };
    s.handle.client_message(&s.customer, customer.connection, navigate).await;
    let (kind, url) = expect(&mut viewer, |m| match m {
        ServerMessage::Activity { kind, participant, url, .. } if participant == s.customer => {
            Some((kind, url))
        }
        _ => None,
    })
    .await;
    assert_eq!(kind, ActivityKind::Navigated);
    let url = url.unwrap();
    assert!(url.starts_with("https://shop.example/pay?"), "{url}");
    assert!(!url.contains("0532013000"), "an agent hears the address without masked values: {url}");

    *s.page.hit.lock().unwrap() =
        browser::HitTest { blocked: Some("payment".into()), masked: false };
    s.handle.client_message(&agent, viewer.connection, press(PointerKind::Down)).await;
    let (name, code) = expect(&mut customer, |m| match m {
        ServerMessage::Activity { kind: ActivityKind::Refused, name, code, .. } => {
            Some((name, code))
        }
        _ => None,
    })
    .await;
    assert_eq!((name.as_str(), code), ("Agent", Some(RejectCode::Blocked)));
}

#[tokio::test(start_paused = true)]
async fn everyone_hears_who_ended_the_session() {
    let mut s = start();
    let customer = s.customer().await;
    let (_, mut viewer) = s.agent().await;
    s.handle.client_message(&s.customer, customer.connection, ClientMessage::End).await;
    let SessionEvent::Ended { recorded, .. } = s.report().await else {
        panic!("the session should end")
    };
    recorded.send(()).unwrap();
    let (reason, by) = expect(&mut viewer, |m| match m {
        ServerMessage::Ended { reason, by } => Some((reason, by)),
        _ => None,
    })
    .await;
    assert_eq!((reason, by), (EndReason::CustomerEnded, Some(s.customer.clone())));
}

/// Every message `viewer` gets until the answer to a ping: what the session sent them so far.
async fn all_until_pong(
    s: &Session,
    viewer: &mut Viewer,
    participant: &ParticipantId,
) -> Vec<ServerMessage> {
    send(s, viewer, participant, ClientMessage::Ping).await;
    let mut seen = Vec::new();
    expect(viewer, |m| {
        if matches!(m, ServerMessage::Pong) {
            return Some(());
        }
        seen.push(m);
        None
    })
    .await;
    seen
}

fn is_file_message(m: &ServerMessage) -> bool {
    matches!(
        m,
        ServerMessage::FileChooser { .. }
            | ServerMessage::FileChooserClosed { .. }
            | ServerMessage::Download { .. }
    )
}

#[tokio::test(start_paused = true)]
async fn files_go_in_and_out_through_the_customer_alone() {
    let s = start();
    let mut customer = s.customer().await;
    let (agent_id, mut agent) = s.agent().await;
    let chooser = model::FileChooserId(5);
    let file = |name: &str| browser::UploadFile { name: name.into(), bytes: b"x".to_vec() };

    // Nothing is open: an upload is refused, and the session goes on.
    let refused = s.handle.upload(&s.customer, chooser, vec![file("a.txt")]).await;
    assert_eq!(refused, Err(crate::UploadError::UnknownChooser));

    let info = PageInfo { url: URL.into(), ..PageInfo::default() };
    s.page.emit(TabEvent::Page(info)).await;
    s.page.emit(TabEvent::FileChooser(browser::FileChooser { id: chooser, multiple: false })).await;
    let got = expect(&mut customer, |m| match m {
        ServerMessage::FileChooser { chooser, multiple } => Some((chooser, multiple)),
        _ => None,
    });
    assert_eq!(got.await, (chooser, false));

    // An agent may not answer it; two files for a single chooser are refused.
    let by_agent = s.handle.upload(&agent_id, chooser, vec![file("a.txt")]).await;
    assert_eq!(by_agent, Err(crate::UploadError::NotCustomer));
    let two = s.handle.upload(&s.customer, chooser, vec![file("a"), file("b")]).await;
    assert_eq!(two, Err(crate::UploadError::TooManyFiles));
    // The customer's file reaches the page; the chooser closes; everyone reads that a file
    // went in.
    s.handle.upload(&s.customer, chooser, vec![file("scan.pdf")]).await.unwrap();
    let ops = s.page.ops();
    assert!(ops.contains(&Op::SetFiles(chooser, vec!["scan.pdf".into()])), "{ops:?}");
    expect(&mut customer, |m| matches!(m, ServerMessage::FileChooserClosed { .. }).then_some(()))
        .await;
    let uploaded = |m: ServerMessage| match m {
        ServerMessage::Chat { entry: protocol::ChatEntry::System { event, .. } } => {
            (event == SystemEvent::FileUploaded).then_some(())
        }
        _ => None,
    };
    expect(&mut agent, uploaded).await;
    let again = s.handle.upload(&s.customer, chooser, vec![file("a.txt")]).await;
    assert_eq!(again, Err(crate::UploadError::UnknownChooser));

    // A download is offered to the customer through a link that works once.
    let path = std::path::PathBuf::from("/session/downloads/guid");
    let download = browser::Download { name: "invoice.pdf".into(), size: 12, path: path.clone() };
    s.page.emit(TabEvent::Download(browser::DownloadEvent::Finished(download))).await;
    let offer = expect(&mut customer, |m| match m {
        ServerMessage::Download { download } => Some(download),
        _ => None,
    })
    .await;
    assert_eq!((offer.name.as_str(), offer.size), ("invoice.pdf", 12));
    let taken = s.handle.take_download(&offer.token).await.unwrap();
    assert_eq!(taken.path, path);
    assert_eq!(s.handle.take_download(&offer.token).await, Err(crate::DownloadError::Used));
    assert_eq!(s.handle.take_download("guess").await, Err(crate::DownloadError::NotFound));
    // One over the limit: the customer is told.
    let big = browser::DownloadEvent::TooLarge { name: "big.iso".into(), limit: 10 };
    s.page.emit(TabEvent::Download(big)).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::DownloadTooLarge);

    // A link expires.
    let download = browser::Download { name: "b.pdf".into(), size: 1, path };
    s.page.emit(TabEvent::Download(browser::DownloadEvent::Finished(download))).await;
    let offer = expect(&mut customer, |m| match m {
        ServerMessage::Download { download } => Some(download),
        _ => None,
    })
    .await;
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(s.handle.take_download(&offer.token).await, Err(crate::DownloadError::Expired));

    // The agent read that files went in and out, and never got a chooser or a download.
    let seen = all_until_pong(&s, &mut agent, &agent_id).await;
    assert!(!seen.iter().any(is_file_message), "{seen:?}");
    let downloaded = seen.iter().any(|m| {
        matches!(
            m,
            ServerMessage::Chat {
                entry: protocol::ChatEntry::System { event: SystemEvent::FileDownloaded, .. }
            }
        )
    });
    assert!(downloaded, "{seen:?}");
}

#[tokio::test(start_paused = true)]
async fn the_address_bar_refuses_a_site_the_company_does_not_allow_to_whoever_typed_it() {
    let deny = ["ads.example".to_string()];
    let lists = policy::domains::DomainLists::parse(&[], &deny).unwrap();
    let s = start_with(Arc::new(lists));
    let mut customer = s.customer().await;
    let (agent, mut viewer) = s.agent().await;
    let refused = ClientMessage::Navigate { url: "https://www.ads.example/x".into() };
    s.handle.client_message(&agent, viewer.connection, refused.clone()).await;
    assert_eq!(rejected(&mut viewer).await, RejectCode::DomainNotAllowed);
    s.handle.client_message(&s.customer, customer.connection, refused).await;
    assert_eq!(rejected(&mut customer).await, RejectCode::DomainNotAllowed);
    let allowed = ClientMessage::Navigate { url: "https://shop.example/help".into() };
    s.handle.client_message(&s.customer, customer.connection, allowed).await;
    expect(&mut viewer, |m| match m {
        ServerMessage::Activity { kind: ActivityKind::Navigated, url, .. } => url,
        _ => None,
    })
    .await;
    let navigated: Vec<_> =
        s.page.ops().into_iter().filter(|op| matches!(op, Op::Navigate(_))).collect();
    assert_eq!(navigated.len(), 1, "only the allowed address was opened: {navigated:?}");
}
