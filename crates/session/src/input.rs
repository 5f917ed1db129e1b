//! Input arbitration, sans-IO: what a participant's message may do to the cloud browser.
//!
//! Every client message passes through `decide`, which knows the sender's role, the
//! current viewport and the sender's rate budget, and returns what to do or why not.

use crate::annotations::Piece;
use crate::limits::Bucket;
use model::{ParticipantId, Point, Role, Viewport};
use policy::navigation::NavigationRefusal;
use protocol::{ClientMessage, KeyKind, Modifiers, MouseButton, PointerKind, RejectCode};
use std::time::Instant;

/// Longest text accepted in one `text` or `composition` message, in characters.
const MAX_TEXT_CHARS: usize = 4096;
/// Longest `key`, `code` or key `text` value (DOM key names are short).
const MAX_KEY_CHARS: usize = 32;
/// Most options one picker choice may name (a picker carries at most 500).
const MAX_PICKED: usize = 500;
/// Longest value a picker choice may carry, in characters.
const MAX_PICKED_VALUE: usize = 200;
/// Longest user name or password a sign-in answer may carry, in characters.
const MAX_CREDENTIAL_CHARS: usize = 1024;
/// Largest wheel delta accepted in one event, CSS pixels.
const MAX_WHEEL_DELTA: f64 = 10_000.0;

/// What an accepted message does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Dispatch(browser::Input),
    /// A copy, cut or paste shortcut: served from the session's own clipboard, never by
    /// Chromium's (one for all sessions of the browser).
    Clipboard(browser::ClipboardOp),
    Navigate(url::Url),
    Back,
    Forward,
    Reload,
    SetViewport(Viewport),
    /// The customer's languages and time zone.
    SetLocale(model::Locale),
    /// A choice from a picker this participant was given.
    Pick(model::PickerId, model::PickerChoice),
    /// This participant closed their picker without a choice.
    DismissPicker(model::PickerId),
    /// The customer's answer to the page's dialog.
    AnswerDialog {
        dialog: model::DialogId,
        accept: bool,
        text: Option<String>,
    },
    /// The customer's answer to a site's sign-in prompt: credentials, or none to cancel.
    AnswerSignIn(model::SignInId, Option<model::Credentials>),
    /// The customer's answer whether to load a page that does not answer again.
    AnswerReload {
        tab: model::TabId,
        reload: bool,
    },
    ActivateTab(model::TabId),
    CloseTab(model::TabId),
    End,
    Pong,
    /// A chat message to pass on (the chat checks its limits).
    Chat(String),
    /// A piece of an annotation stroke (the board checks its limits).
    Annotate(Piece),
    UndoAnnotation,
    ClearAnnotations,
    /// The customer grants or revokes an agent's control.
    SetControl {
        agent: ParticipantId,
        granted: bool,
    },
    /// An agent asks for control.
    RequestControl,
    /// The customer pauses or resumes what agents see.
    SetPaused(bool),
    /// The customer lets a waiting agent in or turns them away.
    Admit {
        participant: ParticipantId,
        approved: bool,
    },
    /// Accepted and nothing to do (e.g. an agent's viewport report).
    Nothing,
}

/// The outcome of one message: an action, and where the sender's pointer now is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub(crate) action: Action,
    pub(crate) cursor: Option<Point>,
}

/// Why a message was refused; `code` is stable and translated by the clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: RejectCode,
    pub message: String,
}

impl Rejection {
    pub(crate) fn new(code: RejectCode, message: impl Into<String>) -> Rejection {
        Rejection { code, message: message.into() }
    }
}

/// The code of a refused address.
fn navigation_code(refusal: &NavigationRefusal) -> RejectCode {
    match refusal {
        NavigationRefusal::Scheme(_) => RejectCode::SchemeNotAllowed,
        NavigationRefusal::Invalid => RejectCode::InvalidUrl,
        NavigationRefusal::Credentials => RejectCode::CredentialsNotAllowed,
        NavigationRefusal::TooLong => RejectCode::UrlTooLong,
    }
}

/// Per-participant arbitration state.
#[derive(Debug)]
pub(crate) struct Arbiter {
    role: Role,
    bucket: Bucket,
}

impl Arbiter {
    pub(crate) fn new(role: Role, events_per_second: u32, now: Instant) -> Arbiter {
        Arbiter { role, bucket: Bucket::new(events_per_second, now) }
    }

    pub(crate) fn decide(
        &mut self,
        msg: ClientMessage,
        viewport: &Viewport,
        now: Instant,
    ) -> Result<Decision, Rejection> {
        let is_input =
            !matches!(msg, ClientMessage::Ping | ClientMessage::End | ClientMessage::Ack { .. });
        if is_input && !self.bucket.take(now) {
            return Err(Rejection::new(
                RejectCode::RateLimited,
                "too many input events; slow down",
            ));
        }
        let just = |action| Ok(Decision { action, cursor: None });
        match msg {
            ClientMessage::Viewport { viewport: requested } => match self.role {
                Role::Customer => just(Action::SetViewport(requested.clamped())),
                // The view follows the customer's window; the agent's view scales to fit.
                Role::Agent => just(Action::Nothing),
            },
            ClientMessage::Locale { languages, time_zone } => match self.role {
                Role::Customer => match policy::locale::parse(&languages, time_zone.as_deref()) {
                    Ok(locale) => just(Action::SetLocale(locale)),
                    Err(refusal) => {
                        Err(Rejection::new(RejectCode::InvalidInput, refusal.to_string()))
                    }
                },
                // Websites see the customer's languages and time zone, whoever else is in.
                Role::Agent => just(Action::Nothing),
            },
            ClientMessage::Pointer { kind, x, y, button, buttons, click_count, modifiers } => {
                let p = viewport.clamp_point(Point { x, y }).ok_or_else(|| {
                    Rejection::new(RejectCode::InvalidInput, "pointer position is not a number")
                })?;
                let input = browser::Input::Mouse {
                    kind: match kind {
                        PointerKind::Move => browser::MouseKind::Move,
                        PointerKind::Down => browser::MouseKind::Down,
                        PointerKind::Up => browser::MouseKind::Up,
                    },
                    x: p.x,
                    y: p.y,
                    button: match button {
                        MouseButton::None => browser::MouseButton::None,
                        MouseButton::Left => browser::MouseButton::Left,
                        MouseButton::Middle => browser::MouseButton::Middle,
                        MouseButton::Right => browser::MouseButton::Right,
                    },
                    buttons: buttons & 0b111,
                    click_count: click_count.min(3),
                    modifiers: convert_modifiers(modifiers),
                };
                Ok(Decision { action: Action::Dispatch(input), cursor: Some(p) })
            }
            ClientMessage::Touch { kind, points } => {
                self.customer_only("touch input")?;
                let input = crate::touch::check(kind, &points, viewport)?;
                let cursor = crate::touch::first_finger(&input);
                Ok(Decision { action: Action::Dispatch(input), cursor })
            }
            ClientMessage::Wheel { x, y, delta_x, delta_y, modifiers } => {
                let p = viewport.clamp_point(Point { x, y }).ok_or_else(|| {
                    Rejection::new(RejectCode::InvalidInput, "wheel position is not a number")
                })?;
                if !delta_x.is_finite() || !delta_y.is_finite() {
                    return Err(Rejection::new(
                        RejectCode::InvalidInput,
                        "wheel delta is not a number",
                    ));
                }
                just(Action::Dispatch(browser::Input::Wheel {
                    x: p.x,
                    y: p.y,
                    delta_x: delta_x.clamp(-MAX_WHEEL_DELTA, MAX_WHEEL_DELTA),
                    delta_y: delta_y.clamp(-MAX_WHEEL_DELTA, MAX_WHEEL_DELTA),
                    modifiers: convert_modifiers(modifiers),
                }))
            }
            ClientMessage::Key { kind, key, code, text, modifiers } => {
                let too_long = |s: &str| s.chars().count() > MAX_KEY_CHARS;
                if key.is_empty() || too_long(&key) || too_long(&code) {
                    return Err(Rejection::new(
                        RejectCode::InvalidInput,
                        "key name is empty or too long",
                    ));
                }
                if text.as_deref().is_some_and(|t| too_long(t) || t.chars().any(is_forbidden_char))
                {
                    return Err(Rejection::new(RejectCode::InvalidInput, "key text is too long"));
                }
                let modifiers = convert_modifiers(modifiers);
                if let Some(op) = browser::clipboard_shortcut(&key, &code, modifiers) {
                    // The press does the work; its release has nothing to release.
                    return just(match kind {
                        KeyKind::Down => Action::Clipboard(op),
                        KeyKind::Up => Action::Nothing,
                    });
                }
                just(Action::Dispatch(browser::Input::Key {
                    down: kind == KeyKind::Down,
                    key,
                    code,
                    text,
                    modifiers,
                }))
            }
            ClientMessage::Text { text } => {
                check_text(&text)?;
                if text.is_empty() {
                    return just(Action::Nothing);
                }
                just(Action::Dispatch(browser::Input::InsertText(text)))
            }
            ClientMessage::Composition { text } => {
                check_text(&text)?;
                just(Action::Dispatch(browser::Input::Composition(text)))
            }
            ClientMessage::Navigate { url } => match policy::navigation::check_url(&url) {
                Ok(url) => just(Action::Navigate(url)),
                Err(refusal) => Err(Rejection::new(navigation_code(&refusal), refusal.to_string())),
            },
            ClientMessage::PickerChoose { picker, indices, value } => {
                if indices.len() > MAX_PICKED
                    || value.as_ref().is_some_and(|v| v.chars().count() > MAX_PICKED_VALUE)
                {
                    return Err(Rejection::new(RejectCode::InvalidInput, "the choice is too long"));
                }
                if let Some(value) = &value {
                    check_text(value)?;
                }
                just(Action::Pick(picker, model::PickerChoice { indices, value }))
            }
            ClientMessage::PickerDismiss { picker } => just(Action::DismissPicker(picker)),
            ClientMessage::DialogAnswer { dialog, accept, text } => {
                self.customer_only("answering the page's dialog")?;
                if let Some(text) = &text {
                    check_text(text)?;
                }
                just(Action::AnswerDialog { dialog, accept, text })
            }
            ClientMessage::SignInAnswer { prompt, credentials } => {
                self.customer_only("answering a site's sign-in prompt")?;
                if let Some(c) = &credentials {
                    check_credential(c.username.expose())?;
                    check_credential(c.password.expose())?;
                }
                just(Action::AnswerSignIn(prompt, credentials))
            }
            ClientMessage::ReloadAnswer { tab, reload } => {
                self.customer_only("loading a page that does not answer again")?;
                just(Action::AnswerReload { tab, reload })
            }
            ClientMessage::ActivateTab { tab } => just(Action::ActivateTab(tab)),
            ClientMessage::CloseTab { tab } => just(Action::CloseTab(tab)),
            ClientMessage::Back => just(Action::Back),
            ClientMessage::Forward => just(Action::Forward),
            ClientMessage::Reload => just(Action::Reload),
            ClientMessage::End => just(Action::End),
            ClientMessage::Ping => just(Action::Pong),
            // The connection paces its frames by these; nothing for the session to do.
            ClientMessage::Ack { .. } => just(Action::Nothing),
            ClientMessage::Chat { text } => just(Action::Chat(text)),
            ClientMessage::Annotate { id, kind, points, done } => {
                just(Action::Annotate(Piece { id, kind, points, done }))
            }
            ClientMessage::UndoAnnotation => just(Action::UndoAnnotation),
            ClientMessage::ClearAnnotations => just(Action::ClearAnnotations),
            ClientMessage::SetControl { agent, granted } => {
                self.customer_only("control")?;
                just(Action::SetControl { agent, granted })
            }
            ClientMessage::SetPaused { paused } => {
                self.customer_only("pausing the view")?;
                just(Action::SetPaused(paused))
            }
            ClientMessage::Admit { participant, approved } => {
                self.customer_only("approving an agent")?;
                just(Action::Admit { participant, approved })
            }
            ClientMessage::RequestControl => match self.role {
                Role::Agent => just(Action::RequestControl),
                Role::Customer => {
                    Err(Rejection::new(RejectCode::AgentOnly, "only an agent asks for control"))
                }
            },
        }
    }

    /// Refuses `what` to anyone but the customer (F3: the customer stays in charge).
    fn customer_only(&self, what: &str) -> Result<(), Rejection> {
        match self.role {
            Role::Customer => Ok(()),
            Role::Agent => Err(Rejection::new(
                RejectCode::CustomerOnly,
                format!("{what} is the customer's to decide"),
            )),
        }
    }
}

fn check_text(text: &str) -> Result<(), Rejection> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Rejection::new(RejectCode::InvalidInput, "text is too long for one message"));
    }
    if text.chars().any(is_forbidden_char) {
        return Err(Rejection::new(RejectCode::InvalidInput, "text contains control characters"));
    }
    Ok(())
}

/// A user name or password of a sign-in answer: at most `MAX_CREDENTIAL_CHARS`, no control
/// characters. The refusal never repeats it.
fn check_credential(text: &str) -> Result<(), Rejection> {
    if text.chars().count() > MAX_CREDENTIAL_CHARS || text.chars().any(char::is_control) {
        return Err(Rejection::new(
            RejectCode::InvalidInput,
            "a user name or password is too long or holds control characters",
        ));
    }
    Ok(())
}

/// Control characters other than tab and newlines have no business in typed text.
fn is_forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn convert_modifiers(m: Modifiers) -> browser::Modifiers {
    browser::Modifiers { alt: m.alt, ctrl: m.ctrl, meta: m.meta, shift: m.shift }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{TouchKind, TouchPoint};

    fn arbiter(role: Role) -> Arbiter {
        Arbiter::new(role, 100, Instant::now())
    }

    fn pointer(x: f64, y: f64) -> ClientMessage {
        ClientMessage::Pointer {
            kind: PointerKind::Down,
            x,
            y,
            button: MouseButton::Left,
            buttons: 1,
            click_count: 1,
            modifiers: Modifiers::default(),
        }
    }

    #[test]
    fn pointer_positions_are_clamped_into_the_viewport_and_become_the_cursor() {
        let d = arbiter(Role::Agent)
            .decide(pointer(5000.0, -3.0), &Viewport::DEFAULT, Instant::now())
            .unwrap();
        assert_eq!(d.cursor, Some(Point { x: 1279.0, y: 0.0 }));
        assert!(
            matches!(d.action, Action::Dispatch(browser::Input::Mouse { x, y, .. }) if x == 1279.0 && y == 0.0)
        );
    }

    fn touch(kind: TouchKind, points: &[(u32, f64, f64)]) -> ClientMessage {
        let points = points.iter().map(|&(id, x, y)| TouchPoint { id, x, y }).collect();
        ClientMessage::Touch { kind, points }
    }

    #[test]
    fn a_customers_fingers_are_clamped_into_the_viewport_and_the_first_is_the_cursor() {
        let d = arbiter(Role::Customer)
            .decide(
                touch(TouchKind::Start, &[(3, 10.0, 20.0), (4, 9000.0, -5.0)]),
                &Viewport::DEFAULT,
                Instant::now(),
            )
            .unwrap();
        assert_eq!(d.cursor, Some(Point { x: 10.0, y: 20.0 }));
        let want = vec![
            browser::TouchPoint { id: 3, x: 10.0, y: 20.0 },
            browser::TouchPoint { id: 4, x: 1279.0, y: 0.0 },
        ];
        assert_eq!(
            d.action,
            Action::Dispatch(browser::Input::Touch {
                kind: browser::TouchKind::Start,
                points: want
            })
        );
        let lifted = arbiter(Role::Customer)
            .decide(touch(TouchKind::End, &[]), &Viewport::DEFAULT, Instant::now())
            .unwrap();
        assert_eq!(lifted.cursor, None);
    }

    #[test]
    fn touches_are_the_customers_and_bad_ones_are_refused() {
        let now = Instant::now();
        let v = Viewport::DEFAULT;
        let refused =
            arbiter(Role::Agent).decide(touch(TouchKind::Start, &[(0, 1.0, 1.0)]), &v, now);
        assert_eq!(refused.unwrap_err().code, RejectCode::CustomerOnly);
        let six: Vec<_> = (0..6).map(|i| (i, 1.0, 1.0)).collect();
        for bad in [
            touch(TouchKind::Move, &six),
            touch(TouchKind::Start, &[]),
            touch(TouchKind::Move, &[(1, 1.0, 1.0), (1, 2.0, 2.0)]),
            touch(TouchKind::Move, &[(1, f64::NAN, 1.0)]),
            touch(TouchKind::Start, &[(1, 1.0, f64::INFINITY)]),
            touch(TouchKind::Cancel, &[(1, 1.0, 1.0)]),
        ] {
            let r = arbiter(Role::Customer).decide(bad.clone(), &v, now);
            assert_eq!(r.unwrap_err().code, RejectCode::InvalidInput, "{bad:?}");
        }
        assert_eq!(browser::MAX_TOUCH_POINTS, protocol::MAX_TOUCH_POINTS);
    }

    #[test]
    fn only_the_customer_sets_the_viewport() {
        let msg = ClientMessage::Viewport {
            viewport: Viewport { width: 390, height: 844, device_scale_factor: 3.0, mobile: true },
        };
        let now = Instant::now();
        let d = arbiter(Role::Customer).decide(msg.clone(), &Viewport::DEFAULT, now).unwrap();
        assert!(
            matches!(d.action, Action::SetViewport(v) if v.width == 390 && v.device_scale_factor == 2.0)
        );
        let d = arbiter(Role::Agent).decide(msg, &Viewport::DEFAULT, now).unwrap();
        assert_eq!(d.action, Action::Nothing);
    }

    #[test]
    fn the_customers_languages_and_time_zone_are_checked_and_an_agents_ignored() {
        let now = Instant::now();
        let msg = |tz: &str| ClientMessage::Locale {
            languages: vec!["nl-BE".into(), "en".into()],
            time_zone: Some(tz.into()),
        };
        let d = arbiter(Role::Customer).decide(msg("Europe/Brussels"), &Viewport::DEFAULT, now);
        let want = model::Locale {
            languages: vec!["nl-BE".into(), "en".into()],
            time_zone: Some("Europe/Brussels".into()),
        };
        assert_eq!(d.unwrap().action, Action::SetLocale(want));
        let refused = arbiter(Role::Customer).decide(msg("../../etc"), &Viewport::DEFAULT, now);
        assert_eq!(refused.unwrap_err().code, RejectCode::InvalidInput);
        let d = arbiter(Role::Agent).decide(msg("Europe/Brussels"), &Viewport::DEFAULT, now);
        assert_eq!(d.unwrap().action, Action::Nothing);
    }

    #[test]
    fn non_web_addresses_are_refused_with_a_code() {
        let r = arbiter(Role::Agent)
            .decide(
                ClientMessage::Navigate { url: "file:///etc/passwd".into() },
                &Viewport::DEFAULT,
                Instant::now(),
            )
            .unwrap_err();
        assert_eq!(r.code, RejectCode::SchemeNotAllowed);
    }

    #[test]
    fn input_floods_are_refused_but_ending_still_works() {
        let now = Instant::now();
        let mut a = Arbiter::new(Role::Customer, 10, now);
        let n_ok = (0..50)
            .filter(|_| a.decide(pointer(1.0, 1.0), &Viewport::DEFAULT, now).is_ok())
            .count();
        assert_eq!(n_ok, 20);
        assert_eq!(
            a.decide(pointer(1.0, 1.0), &Viewport::DEFAULT, now).unwrap_err().code,
            RejectCode::RateLimited
        );
        assert_eq!(
            a.decide(ClientMessage::End, &Viewport::DEFAULT, now).unwrap().action,
            Action::End
        );
    }

    #[test]
    fn hostile_values_are_refused() {
        let now = Instant::now();
        let mut a = arbiter(Role::Customer);
        let v = Viewport::DEFAULT;
        assert!(a.decide(pointer(f64::NAN, 1.0), &v, now).is_err());
        assert!(a.decide(ClientMessage::Text { text: "x".repeat(5000) }, &v, now).is_err());
        assert!(a.decide(ClientMessage::Text { text: "a\u{7}b".into() }, &v, now).is_err());
        let key = ClientMessage::Key {
            kind: KeyKind::Down,
            key: "k".repeat(40),
            code: "KeyK".into(),
            text: None,
            modifiers: Modifiers::default(),
        };
        assert!(a.decide(key, &v, now).is_err());
        let copy = |kind| ClientMessage::Key {
            kind,
            key: "c".into(),
            code: "KeyC".into(),
            text: None,
            modifiers: Modifiers { ctrl: true, ..Modifiers::default() },
        };
        assert_eq!(
            a.decide(copy(KeyKind::Down), &v, now).unwrap().action,
            Action::Clipboard(browser::ClipboardOp::Copy)
        );
        assert_eq!(a.decide(copy(KeyKind::Up), &v, now).unwrap().action, Action::Nothing);
        let ok =
            a.decide(ClientMessage::Text { text: "Grüße, ação, 你好".into() }, &v, now).unwrap();
        assert!(
            matches!(ok.action, Action::Dispatch(browser::Input::InsertText(t)) if t == "Grüße, ação, 你好")
        );
    }

    #[test]
    fn what_is_the_customers_to_decide_is_refused_to_agents_and_asking_to_customers() {
        let now = Instant::now();
        let v = Viewport::DEFAULT;
        let agent = ParticipantId::random();
        let customer_only = [
            ClientMessage::SetControl { agent: agent.clone(), granted: true },
            ClientMessage::SetPaused { paused: false },
            ClientMessage::Admit { participant: agent.clone(), approved: true },
        ];
        for msg in customer_only {
            let refused = arbiter(Role::Agent).decide(msg.clone(), &v, now).unwrap_err();
            assert_eq!(refused.code, RejectCode::CustomerOnly, "{msg:?}");
            assert!(arbiter(Role::Customer).decide(msg, &v, now).is_ok());
        }
        let ask = ClientMessage::RequestControl;
        assert_eq!(
            arbiter(Role::Customer).decide(ask.clone(), &v, now).unwrap_err().code,
            RejectCode::AgentOnly
        );
        assert_eq!(
            arbiter(Role::Agent).decide(ask, &v, now).unwrap().action,
            Action::RequestControl
        );
    }
}
