//! The session's chat (F13), sans-IO: what people wrote and what happened, in order, with the
//! limits on writing. The log lives as long as the session; the registry keeps it as the
//! transcript only when the company's policy says so.

use crate::input::Rejection;
use crate::limits::Window;
use model::{ParticipantId, Role};
use protocol::{ChatEntry, RejectCode, SystemEvent, MAX_CHAT_CHARS};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Entries a session keeps; beyond, messages are refused (`chat_full`) rather than the oldest
/// dropped, so a kept transcript is never silently cut.
pub(crate) const MAX_ENTRIES: usize = 2000;
/// Messages one participant may write in `RATE_WINDOW`.
pub(crate) const MAX_MESSAGES_PER_WINDOW: u32 = 10;
pub(crate) const RATE_WINDOW: Duration = Duration::from_secs(10);

/// Who writes a message.
pub(crate) struct Author<'a> {
    pub(crate) participant: &'a ParticipantId,
    pub(crate) name: &'a str,
    pub(crate) role: Role,
}

#[derive(Default)]
pub(crate) struct Chat {
    entries: Vec<ChatEntry>,
    /// Each writer's recent messages, for the rate limit.
    windows: HashMap<ParticipantId, Window>,
}

impl Chat {
    /// Takes a message `author` wrote at `now` (`at_ms` in Unix milliseconds): the entry to pass
    /// on to everyone, or why not.
    pub(crate) fn post(
        &mut self,
        author: Author<'_>,
        text: String,
        now: Instant,
        at_ms: i64,
    ) -> Result<ChatEntry, Rejection> {
        if text.chars().count() > MAX_CHAT_CHARS {
            return Err(Rejection::new(
                RejectCode::ChatTooLong,
                format!("a chat message may have at most {MAX_CHAT_CHARS} characters"),
            ));
        }
        if text.trim().is_empty() {
            return Err(Rejection::new(RejectCode::InvalidInput, "a chat message needs some text"));
        }
        if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
            return Err(Rejection::new(
                RejectCode::InvalidInput,
                "chat text contains control characters",
            ));
        }
        if self.entries.len() >= MAX_ENTRIES {
            return Err(Rejection::new(
                RejectCode::ChatFull,
                format!("the chat holds {MAX_ENTRIES} entries, the most a session keeps"),
            ));
        }
        let window = self
            .windows
            .entry(author.participant.clone())
            .or_insert_with(|| Window::new(MAX_MESSAGES_PER_WINDOW, RATE_WINDOW));
        if window.is_full(now) {
            return Err(Rejection::new(
                RejectCode::RateLimited,
                "too many chat messages; wait a moment",
            ));
        }
        window.record(now);
        let entry = ChatEntry::Text {
            id: self.next_id(),
            at_ms,
            participant: author.participant.clone(),
            name: author.name.to_owned(),
            role: author.role,
            text,
        };
        self.entries.push(entry.clone());
        Ok(entry)
    }

    /// Writes what happened into the chat; `None` when the chat is full.
    pub(crate) fn note(
        &mut self,
        event: SystemEvent,
        name: &str,
        role: Role,
        at_ms: i64,
    ) -> Option<ChatEntry> {
        if self.entries.len() >= MAX_ENTRIES {
            return None;
        }
        let entry =
            ChatEntry::System { id: self.next_id(), at_ms, event, name: name.to_owned(), role };
        self.entries.push(entry.clone());
        Some(entry)
    }

    /// Everything so far, oldest first.
    pub(crate) fn entries(&self) -> &[ChatEntry] {
        &self.entries
    }

    /// The log, for the transcript, once the session is over.
    pub(crate) fn into_entries(self) -> Vec<ChatEntry> {
        self.entries
    }

    /// Forgets a participant who left (their rate window).
    pub(crate) fn forget(&mut self, participant: &ParticipantId) {
        self.windows.remove(participant);
    }

    fn next_id(&self) -> u64 {
        self.entries.len() as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author(p: &ParticipantId) -> Author<'_> {
        Author { participant: p, name: "Anna", role: Role::Agent }
    }

    #[test]
    fn messages_keep_their_exact_text_and_come_out_numbered_in_order() {
        let (mut chat, p, now) = (Chat::default(), ParticipantId::random(), Instant::now());
        let serial = "SN-0O1l|I 4711\n  <b>&amp;</b> https://shop.example/order?id=42";
        let first = chat.post(author(&p), serial.into(), now, 1000).unwrap();
        let ChatEntry::Text { id, text, role, name, at_ms, .. } = &first else { panic!() };
        assert_eq!(
            (*id, text.as_str(), *role, name.as_str(), *at_ms),
            (1, serial, Role::Agent, "Anna", 1000)
        );
        let note = chat.note(SystemEvent::ControlGranted, "Anna", Role::Agent, 1001).unwrap();
        assert_eq!(note.id(), 2);
        assert_eq!(chat.entries().len(), 2);
        assert_eq!(chat.into_entries()[0], first);
    }

    #[test]
    fn limits_refuse_with_their_codes_and_the_chat_goes_on() {
        let (mut chat, p, now) = (Chat::default(), ParticipantId::random(), Instant::now());
        let code = |r: Result<ChatEntry, Rejection>| r.unwrap_err().code;
        let long = "é".repeat(MAX_CHAT_CHARS + 1);
        assert_eq!(code(chat.post(author(&p), long, now, 0)), RejectCode::ChatTooLong);
        let megabyte = "x".repeat(1 << 20);
        assert_eq!(code(chat.post(author(&p), megabyte, now, 0)), RejectCode::ChatTooLong);
        assert_eq!(code(chat.post(author(&p), " \n\t ".into(), now, 0)), RejectCode::InvalidInput);
        assert_eq!(
            code(chat.post(author(&p), "a\u{1b}[31m".into(), now, 0)),
            RejectCode::InvalidInput
        );
        // Exactly the limit is fine, in characters, not bytes.
        assert!(chat.post(author(&p), "é".repeat(MAX_CHAT_CHARS), now, 0).is_ok());
        assert_eq!(chat.entries().len(), 1);
    }

    #[test]
    fn a_writer_is_held_to_the_rate_others_are_not() {
        let mut chat = Chat::default();
        let (p, q, t0) = (ParticipantId::random(), ParticipantId::random(), Instant::now());
        for i in 0..MAX_MESSAGES_PER_WINDOW {
            chat.post(author(&p), format!("m{i}"), t0, 0).unwrap();
        }
        let refused = chat.post(author(&p), "one more".into(), t0, 0).unwrap_err();
        assert_eq!(refused.code, RejectCode::RateLimited);
        assert!(chat.post(author(&q), "someone else".into(), t0, 0).is_ok());
        assert!(chat.post(author(&p), "later".into(), t0 + RATE_WINDOW, 0).is_ok());
    }

    #[test]
    fn a_full_chat_refuses_messages_and_notes() {
        let mut chat = Chat::default();
        for _ in 0..MAX_ENTRIES {
            chat.note(SystemEvent::Joined, "Anna", Role::Agent, 0).unwrap();
        }
        let p = ParticipantId::random();
        let refused = chat.post(author(&p), "hello".into(), Instant::now(), 0).unwrap_err();
        assert_eq!(refused.code, RejectCode::ChatFull);
        assert_eq!(chat.note(SystemEvent::Left, "Anna", Role::Agent, 0), None);
    }
}
