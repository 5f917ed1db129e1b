//! The JSON shapes clients rely on (web/shared/protocol.js speaks exactly these).

use protocol::{parse_client_message, ClientMessage, KeyKind, PointerKind, ServerMessage};

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
        ServerMessage::Rejected { code: "not_allowed".into(), message: "x".into() }.to_json();
    assert_eq!(json, r#"{"type":"rejected","code":"not_allowed","message":"x"}"#);
}
