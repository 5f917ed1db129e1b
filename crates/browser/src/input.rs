//! Pointer, wheel, keyboard and IME input in product terms, and their translation to the
//! commands Chromium's input domain understands.

use serde_json::{json, Value};

/// Which modifier keys are held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modifiers {
    pub alt: bool,
    pub ctrl: bool,
    pub meta: bool,
    pub shift: bool,
}

impl Modifiers {
    /// The bitmask Chromium expects: alt 1, ctrl 2, meta 4, shift 8.
    fn bits(self) -> u8 {
        u8::from(self.alt)
            | u8::from(self.ctrl) << 1
            | u8::from(self.meta) << 2
            | u8::from(self.shift) << 3
    }
}

/// What a pointer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    Move,
    Down,
    Up,
}

/// The mouse button that changed; `None` for moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseButton {
    None,
    Left,
    Middle,
    Right,
}

/// How many fingers a touch page says the screen takes (`navigator.maxTouchPoints`).
pub const MAX_TOUCH_POINTS: usize = 5;

/// What a touch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchKind {
    Start,
    Move,
    End,
    Cancel,
}

/// One finger on the screen, in CSS pixels of the viewport.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TouchPoint {
    pub id: u32,
    pub x: f64,
    pub y: f64,
}

/// One input event for the page, in CSS pixels of the viewport.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Mouse {
        kind: MouseKind,
        x: f64,
        y: f64,
        button: MouseButton,
        /// Buttons held, as in DOM `MouseEvent.buttons` (left 1, right 2, middle 4).
        buttons: u8,
        click_count: u8,
        modifiers: Modifiers,
    },
    Wheel {
        x: f64,
        y: f64,
        delta_x: f64,
        delta_y: f64,
        modifiers: Modifiers,
    },
    /// Fingers on a touch screen: `points` are all the fingers down after the change, as
    /// Chromium wants them (it works out which finger went down, moved or was lifted).
    Touch {
        kind: TouchKind,
        points: Vec<TouchPoint>,
    },
    /// A key went down or up; `key` and `code` as in DOM `KeyboardEvent`, `text` what it types.
    Key {
        down: bool,
        key: String,
        code: String,
        text: Option<String>,
        modifiers: Modifiers,
    },
    /// Text typed at once (a paste from the client, an IME commit, an emoji picker).
    InsertText(String),
    /// IME composition in progress, caret at its end; empty cancels it.
    Composition(String),
}

/// The CDP command for one input event.
pub(crate) fn to_command(input: &Input) -> (&'static str, Value) {
    match input {
        Input::Mouse { kind, x, y, button, buttons, click_count, modifiers } => {
            let kind = match kind {
                MouseKind::Move => "mouseMoved",
                MouseKind::Down => "mousePressed",
                MouseKind::Up => "mouseReleased",
            };
            let button = match button {
                // Chromium drags (selects text, moves things) only when a move names the
                // held button, as a real mouse's events do.
                MouseButton::None if kind == "mouseMoved" => match buttons {
                    b if b & 1 != 0 => "left",
                    b if b & 2 != 0 => "right",
                    b if b & 4 != 0 => "middle",
                    _ => "none",
                },
                MouseButton::None => "none",
                MouseButton::Left => "left",
                MouseButton::Middle => "middle",
                MouseButton::Right => "right",
            };
            (
                "Input.dispatchMouseEvent",
                json!({
                    "type": kind, "x": x, "y": y, "button": button, "buttons": buttons,
                    "clickCount": click_count, "modifiers": modifiers.bits(),
                }),
            )
        }
        Input::Wheel { x, y, delta_x, delta_y, modifiers } => (
            "Input.dispatchMouseEvent",
            json!({
                "type": "mouseWheel", "x": x, "y": y, "button": "none",
                "deltaX": delta_x, "deltaY": delta_y, "modifiers": modifiers.bits(),
            }),
        ),
        Input::Touch { kind, points } => {
            let kind = match kind {
                TouchKind::Start => "touchStart",
                TouchKind::Move => "touchMove",
                TouchKind::End => "touchEnd",
                TouchKind::Cancel => "touchCancel",
            };
            let points: Vec<Value> =
                points.iter().map(|p| json!({ "x": p.x, "y": p.y, "id": p.id })).collect();
            ("Input.dispatchTouchEvent", json!({ "type": kind, "touchPoints": points }))
        }
        Input::Key { down, key, code, text, modifiers } => {
            key_command(*down, key, code, text.as_deref(), *modifiers)
        }
        Input::InsertText(text) => ("Input.insertText", json!({ "text": text })),
        Input::Composition(text) => {
            let len = text.encode_utf16().count();
            (
                "Input.imeSetComposition",
                json!({ "text": text, "selectionStart": len, "selectionEnd": len }),
            )
        }
    }
}

/// What a clipboard shortcut asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipboardOp {
    Copy,
    Cut,
    Paste,
}

/// The clipboard command Chromium's editor would run for this key, with the keys Blink binds on
/// Linux (Ctrl+C, Ctrl+X, Ctrl+V, Ctrl+Shift+V, Ctrl+Insert, Shift+Insert, Shift+Delete), keyed
/// like Blink on the virtual key code. Meta counts as Ctrl (a Mac client's Cmd). Such keys are
/// never sent to Chromium: its clipboard is one for the whole browser process, so a session
/// could paste what another copied. The session keeps a clipboard of its own instead.
pub fn clipboard_shortcut(key: &str, code: &str, modifiers: Modifiers) -> Option<ClipboardOp> {
    if modifiers.alt {
        return None;
    }
    let ctrl = modifiers.ctrl || modifiers.meta;
    match (virtual_key_code(key, code)?, ctrl, modifiers.shift) {
        (67, true, false) => Some(ClipboardOp::Copy),  // C
        (88, true, false) => Some(ClipboardOp::Cut),   // X
        (86, true, _) => Some(ClipboardOp::Paste),     // V, and Shift+V (paste as plain text)
        (45, true, false) => Some(ClipboardOp::Copy),  // Insert
        (45, false, true) => Some(ClipboardOp::Paste), // Insert
        (46, false, true) => Some(ClipboardOp::Cut),   // Delete
        _ => None,
    }
}

fn key_command(
    down: bool,
    key: &str,
    code: &str,
    text: Option<&str>,
    modifiers: Modifiers,
) -> (&'static str, Value) {
    let key_code = virtual_key_code(key, code);
    // Shortcuts type nothing; AltGr (ctrl+alt) still types characters on some layouts.
    let shortcut = (modifiers.ctrl || modifiers.meta) && !modifiers.alt;
    let text = if shortcut {
        None
    } else {
        match (text, key) {
            (Some(t), _) if !t.is_empty() => Some(t.to_owned()),
            (_, "Enter") => Some("\r".to_owned()),
            _ => None,
        }
    };
    let kind = match (down, &text) {
        (false, _) => "keyUp",
        (true, Some(_)) => "keyDown",
        (true, None) => "rawKeyDown",
    };
    let mut params = json!({
        "type": kind, "key": key, "code": code, "modifiers": modifiers.bits(),
    });
    if let Some(key_code) = key_code {
        params["windowsVirtualKeyCode"] = json!(key_code);
        params["nativeVirtualKeyCode"] = json!(key_code);
    }
    if let Some(location) = location(code) {
        params["location"] = json!(location);
    }
    if let (true, Some(text)) = (down, text) {
        params["unmodifiedText"] = json!(text);
        params["text"] = json!(text);
    }
    ("Input.dispatchKeyEvent", params)
}

/// 1 for the left one of a pair, 2 for the right one, 3 for the numeric keypad.
fn location(code: &str) -> Option<u8> {
    if code.starts_with("Numpad") {
        Some(3)
    } else if code.ends_with("Left") && code != "ArrowLeft" {
        Some(1)
    } else if code.ends_with("Right") && code != "ArrowRight" {
        Some(2)
    } else {
        None
    }
}

/// The Windows virtual key code Chromium's editing shortcuts and key events are keyed on.
fn virtual_key_code(key: &str, code: &str) -> Option<u16> {
    if let Some(letter) = code.strip_prefix("Key") {
        if let [c] = letter.as_bytes() {
            if c.is_ascii_uppercase() {
                return Some(u16::from(*c));
            }
        }
    }
    if let Some(digit) = code.strip_prefix("Digit") {
        if let [c] = digit.as_bytes() {
            if c.is_ascii_digit() {
                return Some(u16::from(*c));
            }
        }
    }
    if let Some(digit) = code.strip_prefix("Numpad") {
        if let [c] = digit.as_bytes() {
            if c.is_ascii_digit() {
                return Some(96 + u16::from(c - b'0'));
            }
        }
    }
    if let Some(n) = code.strip_prefix('F').and_then(|n| n.parse::<u16>().ok()) {
        if (1..=24).contains(&n) {
            return Some(111 + n);
        }
    }
    let by_code = match code {
        "Enter" | "NumpadEnter" => 13,
        "Tab" => 9,
        "Backspace" => 8,
        "Escape" => 27,
        "Space" => 32,
        "ArrowLeft" => 37,
        "ArrowUp" => 38,
        "ArrowRight" => 39,
        "ArrowDown" => 40,
        "Delete" => 46,
        "Insert" => 45,
        "Home" => 36,
        "End" => 35,
        "PageUp" => 33,
        "PageDown" => 34,
        "ShiftLeft" | "ShiftRight" => 16,
        "ControlLeft" | "ControlRight" => 17,
        "AltLeft" | "AltRight" => 18,
        "MetaLeft" => 91,
        "MetaRight" => 92,
        "CapsLock" => 20,
        "ContextMenu" => 93,
        "Semicolon" => 186,
        "Equal" => 187,
        "Comma" => 188,
        "Minus" => 189,
        "Period" => 190,
        "Slash" => 191,
        "Backquote" => 192,
        "BracketLeft" => 219,
        "Backslash" => 220,
        "BracketRight" => 221,
        "Quote" => 222,
        "IntlBackslash" => 226,
        "NumpadMultiply" => 106,
        "NumpadAdd" => 107,
        "NumpadSubtract" => 109,
        "NumpadDecimal" => 110,
        "NumpadDivide" => 111,
        _ => 0,
    };
    if by_code != 0 {
        return Some(by_code);
    }
    // No usable code (virtual keyboards send only `key`): fall back on the key's meaning.
    let by_key = match key {
        "Enter" => 13,
        "Tab" => 9,
        "Backspace" => 8,
        "Escape" => 27,
        " " => 32,
        "ArrowLeft" => 37,
        "ArrowUp" => 38,
        "ArrowRight" => 39,
        "ArrowDown" => 40,
        "Delete" => 46,
        "Home" => 36,
        "End" => 35,
        "PageUp" => 33,
        "PageDown" => 34,
        _ => 0,
    };
    if by_key != 0 {
        return Some(by_key);
    }
    match key.as_bytes() {
        [c] if c.is_ascii_alphabetic() => Some(u16::from(c.to_ascii_uppercase())),
        [c] if c.is_ascii_digit() => Some(u16::from(*c)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(down: bool, key: &str, code: &str, text: Option<&str>, modifiers: Modifiers) -> Value {
        let input = Input::Key {
            down,
            key: key.into(),
            code: code.into(),
            text: text.map(Into::into),
            modifiers,
        };
        to_command(&input).1
    }

    #[test]
    fn a_move_with_a_held_button_names_it_so_chromium_drags() {
        let mv = |buttons| Input::Mouse {
            kind: MouseKind::Move,
            x: 1.0,
            y: 2.0,
            button: MouseButton::None,
            buttons,
            click_count: 0,
            modifiers: Modifiers::default(),
        };
        assert_eq!(to_command(&mv(1)).1["button"], "left");
        assert_eq!(to_command(&mv(2)).1["button"], "right");
        assert_eq!(to_command(&mv(0)).1["button"], "none");
    }

    #[test]
    fn touches_name_every_finger_down() {
        let (method, params) = to_command(&Input::Touch {
            kind: TouchKind::Start,
            points: vec![
                TouchPoint { id: 0, x: 10.0, y: 20.0 },
                TouchPoint { id: 1, x: 30.0, y: 40.5 },
            ],
        });
        assert_eq!(method, "Input.dispatchTouchEvent");
        assert_eq!(params["type"], "touchStart");
        assert_eq!(params["touchPoints"][1], json!({ "x": 30.0, "y": 40.5, "id": 1 }));
        let (_, params) = to_command(&Input::Touch { kind: TouchKind::End, points: vec![] });
        assert_eq!(params, json!({ "type": "touchEnd", "touchPoints": [] }));
    }

    #[test]
    fn enter_types_a_carriage_return() {
        let params = key(true, "Enter", "Enter", None, Modifiers::default());
        assert_eq!(params["type"], "keyDown");
        assert_eq!(params["text"], "\r");
        assert_eq!(params["windowsVirtualKeyCode"], 13);
        assert_eq!(key(false, "Enter", "Enter", None, Modifiers::default())["type"], "keyUp");
    }

    #[test]
    fn shortcuts_type_nothing_and_carry_the_letter_code() {
        let ctrl = Modifiers { ctrl: true, ..Modifiers::default() };
        let params = key(true, "a", "KeyA", Some("a"), ctrl);
        assert_eq!(params["type"], "rawKeyDown");
        assert_eq!(params["windowsVirtualKeyCode"], 65);
        assert_eq!(params["modifiers"], 2);
        assert!(params.get("text").is_none());
    }

    #[test]
    fn named_keys_have_their_codes() {
        for (name, code, vk) in [
            ("Tab", "Tab", 9),
            ("Backspace", "Backspace", 8),
            ("ArrowDown", "ArrowDown", 40),
            ("F5", "F5", 116),
            ("7", "Digit7", 55),
        ] {
            assert_eq!(
                key(true, name, code, None, Modifiers::default())["windowsVirtualKeyCode"],
                vk,
                "{name}"
            );
        }
    }

    #[test]
    fn composition_puts_the_caret_at_the_end_in_utf16_units() {
        let (method, params) = to_command(&Input::Composition("你好😀".into()));
        assert_eq!(method, "Input.imeSetComposition");
        assert_eq!(params["selectionStart"], 4);
        assert_eq!(params["selectionEnd"], 4);
    }

    #[test]
    fn modifiers_make_the_cdp_bitmask() {
        let all = Modifiers { alt: true, ctrl: true, meta: true, shift: true };
        assert_eq!(all.bits(), 15);
        let (_, params) = to_command(&Input::Wheel {
            x: 1.0,
            y: 2.0,
            delta_x: 0.0,
            delta_y: 120.0,
            modifiers: Modifiers { shift: true, ..Modifiers::default() },
        });
        assert_eq!(params["type"], "mouseWheel");
        assert_eq!(params["modifiers"], 8);
    }

    #[test]
    fn clipboard_shortcuts_are_recognised_as_blink_binds_them() {
        let m = |ctrl, shift, alt, meta| Modifiers { ctrl, shift, alt, meta };
        assert_eq!(
            clipboard_shortcut("c", "KeyC", m(true, false, false, false)),
            Some(ClipboardOp::Copy)
        );
        assert_eq!(
            clipboard_shortcut("c", "KeyC", m(false, false, false, true)),
            Some(ClipboardOp::Copy)
        );
        assert_eq!(
            clipboard_shortcut("x", "KeyX", m(true, false, false, false)),
            Some(ClipboardOp::Cut)
        );
        assert_eq!(
            clipboard_shortcut("v", "KeyV", m(true, false, false, false)),
            Some(ClipboardOp::Paste)
        );
        assert_eq!(
            clipboard_shortcut("V", "KeyV", m(true, true, false, false)),
            Some(ClipboardOp::Paste)
        );
        assert_eq!(
            clipboard_shortcut("Insert", "Insert", m(true, false, false, false)),
            Some(ClipboardOp::Copy)
        );
        assert_eq!(
            clipboard_shortcut("Insert", "Insert", m(false, true, false, false)),
            Some(ClipboardOp::Paste)
        );
        assert_eq!(
            clipboard_shortcut("Delete", "Delete", m(false, true, false, false)),
            Some(ClipboardOp::Cut)
        );
        // A Dvorak "c" sits on the physical I key: Blink sees Ctrl+I, and so do we.
        assert_eq!(clipboard_shortcut("c", "KeyI", m(true, false, false, false)), None);
        // A virtual keyboard without codes: the key decides.
        assert_eq!(
            clipboard_shortcut("v", "", m(true, false, false, false)),
            Some(ClipboardOp::Paste)
        );
        for (key, code, mods) in [
            ("c", "KeyC", m(false, false, false, false)),
            ("c", "KeyC", m(true, false, true, false)),
            ("C", "KeyC", m(true, true, false, false)),
            ("a", "KeyA", m(true, false, false, false)),
            ("Delete", "Delete", m(false, false, false, false)),
            ("Insert", "Insert", m(false, false, false, false)),
        ] {
            assert_eq!(clipboard_shortcut(key, code, mods), None, "{key} {code} {mods:?}");
        }
    }
}
