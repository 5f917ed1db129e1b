//! The protocol's names as JavaScript: `cargo xtask codegen` writes `protocol_js()` to
//! `web/shared/protocol-names.js`, and a test fails when the checked-in file is not what this
//! makes, so the web clients and the server cannot drift apart on a code, a reason or a limit.
//!
//! The names come from the types themselves (serde's list of each enum's variants as they go
//! over the wire), never from a second list written here.

use crate::{
    ActivityKind, AnnotationKind, EndReason, KeyKind, MouseButton, PointerKind, RejectCode,
    SystemEvent, TouchKind, CLIENT_MESSAGE_SAMPLES, FRAME_KIND_JPEG, FRAME_KIND_TILES,
    MAX_CHAT_CHARS, MAX_CLIENT_MESSAGE_BYTES, MAX_TOUCH_POINTS, VERSION,
};
use model::{AgentRole, DialogKind, PickerKind, Role, SitePermission};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::fmt::{self, Write as _};

/// Where `protocol_js` goes, relative to the repository's root.
pub const PROTOCOL_JS_PATH: &str = "web/shared/protocol-names.js";

/// The generated module: for each enum a JSDoc union type and a frozen list of its names, and
/// the protocol's constants.
pub fn protocol_js() -> String {
    let mut out = String::from(
        "// The protocol's names and limits, generated from the Rust crate `protocol` by\n\
         // `cargo xtask codegen`; do not edit (a test fails when this file is stale).\n",
    );
    constant(&mut out, "PROTOCOL_VERSION", "Protocol major version (`welcome.version`).", VERSION);
    let whole = "First byte of a binary message with a whole frame.";
    constant(&mut out, "FRAME_KIND_JPEG", whole, FRAME_KIND_JPEG);
    let tiles = "First byte of a binary message with the tiles that changed.";
    constant(&mut out, "FRAME_KIND_TILES", tiles, FRAME_KIND_TILES);
    constant(&mut out, "MAX_CHAT_CHARS", "Longest chat message, in characters.", MAX_CHAT_CHARS);
    constant(
        &mut out,
        "MAX_CLIENT_MESSAGE_BYTES",
        "Largest message a client may send, in bytes (larger: `message_too_large`).",
        MAX_CLIENT_MESSAGE_BYTES,
    );
    let touch = "Most fingers one `touch` message may carry.";
    constant(&mut out, "MAX_TOUCH_POINTS", touch, MAX_TOUCH_POINTS);
    union::<RejectCode>(&mut out, "RejectCode", "Why a message was refused (`rejected`, `error`).");
    union::<EndReason>(&mut out, "EndReason", "Why a session ended (`ended`).");
    union::<ActivityKind>(&mut out, "ActivityKind", "What another participant did (`activity`).");
    union::<Role>(&mut out, "Role", "Who a participant is.");
    union::<AgentRole>(&mut out, "AgentRole", "A staff account's role in its company.");
    union::<PointerKind>(&mut out, "PointerKind", "What a pointer did.");
    union::<MouseButton>(&mut out, "MouseButton", "Which mouse button.");
    union::<TouchKind>(&mut out, "TouchKind", "What a touch did.");
    union::<KeyKind>(&mut out, "KeyKind", "Whether a key went down or up.");
    union::<AnnotationKind>(&mut out, "AnnotationKind", "The annotation tools.");
    union::<SystemEvent>(&mut out, "SystemEvent", "What the chat's system entries say happened.");
    union::<PickerKind>(&mut out, "PickerKind", "What kind of native widget a picker stands for.");
    union::<DialogKind>(&mut out, "DialogKind", "What kind of dialog the page opened.");
    let permission = "What a page asked to be allowed, and was refused (`permission_refused`).";
    union::<SitePermission>(&mut out, "SitePermission", permission);
    message_permissions(&mut out);
    out
}

/// `MESSAGE_PERMISSIONS`: each client message type's permission (`ClientMessage::permission`),
/// so the agent console hides what the server would refuse.
fn message_permissions(out: &mut String) {
    out.push_str(
        "\n/**\n * The permission an agent needs to send each message type (`not_permitted`).\n \
         * @type {Readonly<Record<string, string>>}\n */\n\
         export const MESSAGE_PERMISSIONS = Object.freeze({\n",
    );
    for sample in CLIENT_MESSAGE_SAMPLES {
        // The samples are the protocol's own; a unit test parses every one.
        let Ok(msg) = crate::parse_client_message(sample) else { continue };
        let _ = writeln!(out, "  {}: \"{}\",", msg.type_name(), msg.permission());
    }
    out.push_str("});\n");
}

fn constant(out: &mut String, name: &str, doc: &str, value: impl fmt::Display) {
    let _ = write!(out, "\n/** {doc} */\nexport const {name} = {value};\n");
}

/// Writes `@typedef {"a" | "b"} Name` and `export const NAMES = Object.freeze([...])`.
fn union<'de, T: Deserialize<'de>>(out: &mut String, name: &str, doc: &str) {
    let names = variants::<T>();
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let list_name = upper_snake(name);
    let _ = write!(out, "\n/**\n * {doc}\n * @typedef {{");
    let mut width = " * @typedef {".len();
    for (i, q) in quoted.iter().enumerate() {
        let piece = if i == 0 { q.clone() } else { format!(" | {q}") };
        if width + piece.len() > 96 {
            out.push_str("\n *  ");
            width = " *  ".len();
        }
        out.push_str(&piece);
        width += piece.len();
    }
    let _ = write!(out, "}} {name}\n */\n\n/** @type {{readonly {name}[]}} */\n");
    let _ = writeln!(out, "export const {list_name}S = Object.freeze([");
    for q in &quoted {
        let _ = writeln!(out, "  {q},");
    }
    out.push_str("]);\n");
}

fn upper_snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The wire names of a unit enum's variants, in declaration order: serde hands them to the
/// deserializer it is given, which here only listens.
fn variants<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut seen = None;
    let _ = T::deserialize(Listener { seen: &mut seen });
    seen.unwrap_or_else(|| panic!("{} is not a serde enum", std::any::type_name::<T>()))
}

struct Listener<'a> {
    seen: &'a mut Option<&'static [&'static str]>,
}

#[derive(Debug)]
struct Heard;

impl fmt::Display for Heard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("only listening")
    }
}

impl std::error::Error for Heard {}

impl de::Error for Heard {
    fn custom<M: fmt::Display>(_: M) -> Heard {
        Heard
    }
}

impl<'de> Deserializer<'de> for Listener<'_> {
    type Error = Heard;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Heard> {
        *self.seen = Some(variants);
        Err(Heard)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Heard> {
        Err(Heard)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_the_wire_names() {
        assert_eq!(variants::<RejectCode>().len(), RejectCode::ALL.len());
        for (name, code) in variants::<RejectCode>().iter().zip(RejectCode::ALL) {
            assert_eq!(*name, code.as_str());
        }
        assert_eq!(variants::<PointerKind>(), ["move", "down", "up"]);
        assert!(variants::<PickerKind>().contains(&"datetime-local"));
        assert_eq!(upper_snake("RejectCode"), "REJECT_CODE");
    }

    #[test]
    #[should_panic(expected = "is not a serde enum")]
    fn a_struct_is_not_taken_for_an_enum() {
        variants::<crate::Modifiers>();
    }
}
