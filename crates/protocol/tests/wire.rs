//! The JSON shapes clients rely on (web/shared/protocol.js speaks exactly these).

use model::{ParticipantId, Role};
use protocol::{
    parse_client_message, ActivityKind, ClientMessage, EndReason, KeyKind, ParticipantInfo,
    PointerKind, RejectCode, ServerMessage,
};

#[test]
fn client_messages_parse_from_the_documented_json() {
    let m = parse_client_message(
        r#"{"type":"pointer","kind":"down","x":10,"y":20,"button":"left","buttons":1,"click_count":1}"#,
    )
    .unwrap();
    assert!(matches!(m, ClientMessage::Pointer { kind: PointerKind::Down, .. }));
    let m = parse_client_message(
        r#"{"type":"key","kind":"down","key":"Enter","code":"Enter","modifiers":{"ctrl":true}}"#,
    )
    .unwrap();
    assert!(
        matches!(m, ClientMessage::Key { kind: KeyKind::Down, ref modifiers, .. } if modifiers.ctrl)
    );
    let m = parse_client_message(
        r#"{"type":"viewport","viewport":{"width":390,"height":844,"device_scale_factor":3,"mobile":true}}"#,
    )
    .unwrap();
    assert!(matches!(m, ClientMessage::Viewport { .. }));
    assert_eq!(parse_client_message(r#"{"type":"back"}"#).unwrap(), ClientMessage::Back);
}

#[test]
fn malformed_client_messages_are_errors_not_panics() {
    for bad in [
        "",
        "{}",
        r#"{"type":"nope"}"#,
        r#"{"type":"pointer","kind":"down"}"#,
        r#"{"type":"text","text":"a","extra":1}"#,
        "[1,2,3]",
        r#"{"type":"pointer","kind":"down","x":"NaN","y":0}"#,
    ] {
        assert!(parse_client_message(bad).is_err(), "{bad}");
    }
}

#[test]
fn server_messages_are_tagged_by_type() {
    let json = ServerMessage::Pong.to_json();
    assert_eq!(json, r#"{"type":"pong"}"#);
    let json =
        ServerMessage::Rejected { code: RejectCode::MaskedField, message: "x".into() }.to_json();
    assert_eq!(json, r#"{"type":"rejected","code":"masked_field","message":"x"}"#);
}

#[test]
fn guidance_messages_have_the_documented_shapes() {
    let m = parse_client_message(
        r#"{"type":"annotate","id":3,"kind":"highlighter","points":[[1.5,2],[3,4]]}"#,
    )
    .unwrap();
    assert_eq!(
        m,
        ClientMessage::Annotate {
            id: 3,
            kind: protocol::AnnotationKind::Highlighter,
            points: vec![[1.5, 2.0], [3.0, 4.0]],
            done: false,
        }
    );
    for ok in [
        r#"{"type":"chat","text":"hi"}"#,
        r#"{"type":"undo_annotation"}"#,
        r#"{"type":"clear_annotations"}"#,
        r#"{"type":"set_control","agent":"par_abc","granted":false}"#,
        r#"{"type":"request_control"}"#,
        r#"{"type":"set_paused","paused":true}"#,
        r#"{"type":"admit","participant":"par_abc","approved":true}"#,
    ] {
        assert!(parse_client_message(ok).is_ok(), "{ok}");
    }
    for bad in [
        r#"{"type":"annotate","id":1,"kind":"spray","points":[]}"#,
        r#"{"type":"annotate","id":-1,"kind":"pen","points":[]}"#,
        r#"{"type":"annotate","id":1,"kind":"pen","points":[[1,2,3]]}"#,
        r#"{"type":"set_control","agent":"not an id","granted":true}"#,
        r#"{"type":"chat"}"#,
        r#"{"type":"sign_in_answer","prompt":1,"credentials":{"username":"a"}}"#,
    ] {
        assert!(parse_client_message(bad).is_err(), "{bad}");
    }
    assert_eq!(ServerMessage::AnnotationsCleared.to_json(), r#"{"type":"annotations_cleared"}"#);
    assert_eq!(ServerMessage::Denied.to_json(), r#"{"type":"denied"}"#);
    let recovered = ServerMessage::PageRecovered { recovery: protocol::PageRecovery::Reloaded };
    assert_eq!(recovered.to_json(), r#"{"type":"page_recovered","recovery":"reloaded"}"#);
    let asked = ServerMessage::ReloadQuestion { tab: model::TabId(2) };
    assert_eq!(asked.to_json(), r#"{"type":"reload_question","tab":2}"#);
    let hung = ServerMessage::HungPage { state: protocol::HungPageState::CustomerAway };
    assert_eq!(hung.to_json(), r#"{"type":"hung_page","state":"customer_away"}"#);
    assert_eq!(
        parse_client_message(r#"{"type":"reload_answer","tab":2,"reload":true}"#).unwrap(),
        ClientMessage::ReloadAnswer { tab: model::TabId(2), reload: true }
    );
    let entry = protocol::ChatEntry::System {
        id: 4,
        at_ms: 5,
        event: protocol::SystemEvent::ControlGranted,
        name: "Anna".into(),
        role: model::Role::Agent,
    };
    assert_eq!(
        ServerMessage::Chat { entry }.to_json(),
        r#"{"type":"chat","entry":{"kind":"system","id":4,"at_ms":5,"event":"control_granted","name":"Anna","role":"agent"}}"#
    );
}

#[test]
fn reject_codes_go_over_the_wire_as_their_names() {
    for code in RejectCode::ALL {
        assert_eq!(serde_json::to_value(code).unwrap(), code.as_str(), "{code:?}");
        let back: RejectCode = serde_json::from_value(code.as_str().into()).unwrap();
        assert_eq!(back, code);
    }
    // The names clients translate, spelled out once, so a renamed variant fails here.
    let names: Vec<&str> = RejectCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "invalid_message",
            "message_too_large",
            "invalid_input",
            "rate_limited",
            "busy",
            "blocked",
            "masked_field",
            "scheme_not_allowed",
            "invalid_url",
            "credentials_not_allowed",
            "url_too_long",
            "tab_limit",
            "unknown_tab",
            "unknown_picker",
            "picker_option_gone",
            "invalid_value",
            "dialog_open",
            "unknown_dialog",
            "unknown_sign_in",
            "no_reload_question",
            "no_control",
            "paused",
            "customer_away",
            "waiting_approval",
            "not_waiting",
            "agent_only",
            "customer_only",
            "unknown_participant",
            "chat_too_long",
            "chat_full",
            "too_many_points",
            "too_many_strokes",
            "download_too_large",
            "download_failed",
            "domain_not_allowed",
            "not_permitted",
        ]
    );
}

#[test]
fn who_ended_who_is_away_and_what_others_did_are_told() {
    let by = ParticipantId::random();
    let ended = ServerMessage::Ended { reason: EndReason::Idle, by: Some(by.clone()) }.to_json();
    assert_eq!(ended, format!(r#"{{"type":"ended","reason":"idle","by":"{by}"}}"#));
    let nobody = ServerMessage::Ended { reason: EndReason::ServerShutdown, by: None }.to_json();
    assert_eq!(nobody, r#"{"type":"ended","reason":"server_shutdown"}"#);
    let away = ParticipantInfo {
        id: by.clone(),
        name: "Customer".into(),
        role: Role::Customer,
        connected: false,
        color: 0,
        control: true,
        control_requested: false,
        waiting: false,
        back_within_ms: Some(42_000),
    };
    let json = serde_json::to_value(&away).unwrap();
    assert_eq!(json["back_within_ms"], 42_000);
    let here = ParticipantInfo { connected: true, back_within_ms: None, ..away };
    assert!(serde_json::to_value(&here).unwrap().get("back_within_ms").is_none());
    let went = ServerMessage::Activity {
        kind: ActivityKind::Navigated,
        participant: by,
        name: "Anna".into(),
        role: Role::Agent,
        url: Some("https://shop.example/".into()),
        code: None,
    };
    let json: serde_json::Value = serde_json::from_str(&went.to_json()).unwrap();
    assert_eq!(
        (json["type"].as_str(), json["kind"].as_str()),
        (Some("activity"), Some("navigated"))
    );
    assert!(json.get("code").is_none());
}

#[test]
fn sign_in_answers_carry_credentials_that_never_print() {
    let m = parse_client_message(
        r#"{"type":"sign_in_answer","prompt":2,"credentials":{"username":"ann","password":"hunter2"}}"#,
    )
    .unwrap();
    let ClientMessage::SignInAnswer { prompt, credentials: Some(c) } = &m else { panic!("{m:?}") };
    assert_eq!((prompt.0, c.username.expose().as_str()), (2, "ann"));
    let shown = format!("{m:?}");
    assert!(!shown.contains("hunter2") && !shown.contains("ann"), "{shown}");
    let cancel = parse_client_message(r#"{"type":"sign_in_answer","prompt":2}"#).unwrap();
    assert_eq!(
        cancel,
        ClientMessage::SignInAnswer { prompt: model::SignInId(2), credentials: None }
    );
    let shown = ServerMessage::SignIn {
        prompt: model::SignInId(2),
        origin: "https://intranet.example".into(),
        realm: String::new(),
    };
    assert_eq!(
        shown.to_json(),
        r#"{"type":"sign_in","prompt":2,"origin":"https://intranet.example"}"#
    );
}
