//! The input check at the moment of dispatch: an agent's click, key or text goes to the page
//! only when the page's guard, asked just before, says it touches nothing blocked or masked;
//! any doubt (the guard does not answer) refuses (F16). Copy, cut and paste use the session's
//! own clipboard: an agent can neither copy a selection that touches something masked nor paste
//! what was copied from one.

use crate::input::Rejection;
use crate::page::Page;
use browser::{BrowserError, ClipboardOp, Input, MouseButton, MouseKind};
use model::Role;
use protocol::RejectCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What a clipboard shortcut came to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ClipboardOutcome {
    /// Nothing to copy or paste.
    Nothing,
    /// Copied: the text goes to the copier's own device too.
    Copied(String),
    /// Pasted into the page.
    Pasted,
    Refused(Rejection),
}

/// What a copy left in the session's clipboard.
struct Clipboard {
    text: String,
    /// Copied from something masked: an agent may not paste it.
    masked: bool,
}

/// The check's memory: refused presses and the session's clipboard.
#[derive(Default)]
pub(crate) struct InputCheck {
    /// Buttons whose press was refused: their release is swallowed too.
    refused_buttons: u8,
    clipboard: Option<Clipboard>,
    /// The page shows what agents do not see at all (a hidden PDF, whose fields the guard
    /// cannot find): agents' presses, keys, text and copies are refused whole.
    hidden: Arc<AtomicBool>,
}

impl InputCheck {
    /// A check that refuses agents everything but pointer moves and scrolling while `hidden`.
    pub(crate) fn new(hidden: Arc<AtomicBool>) -> InputCheck {
        InputCheck { hidden, ..InputCheck::default() }
    }

    /// Dispatches `input` to the page; an agent's only when the guard allows it.
    pub(crate) async fn dispatch(
        &mut self,
        page: &dyn Page,
        input: Input,
        role: Role,
    ) -> Result<Option<Rejection>, BrowserError> {
        if role == Role::Agent {
            if let Err(rejection) = self.ask_guard(page, &input).await {
                return Ok(Some(rejection));
            }
        }
        page.dispatch(input).await.map(|()| None)
    }

    /// A copy, cut or paste with the session's clipboard.
    pub(crate) async fn clipboard(
        &mut self,
        page: &dyn Page,
        op: ClipboardOp,
        role: Role,
    ) -> Result<ClipboardOutcome, BrowserError> {
        let is_agent = role == Role::Agent;
        match op {
            ClipboardOp::Copy | ClipboardOp::Cut => {
                if is_agent && self.hidden.load(Ordering::SeqCst) {
                    return Ok(ClipboardOutcome::Refused(masked_field()));
                }
                let selection = page.selection().await?;
                if is_agent && selection.masked {
                    return Ok(ClipboardOutcome::Refused(masked_field()));
                }
                if selection.text.is_empty() {
                    return Ok(ClipboardOutcome::Nothing);
                }
                self.clipboard =
                    Some(Clipboard { text: selection.text.clone(), masked: selection.masked });
                if op == ClipboardOp::Cut {
                    // The text was copied either way; the page keeps it if it cannot be cut.
                    if let Err(error) = page.delete_selection().await {
                        tracing::debug!(%error, "Could not delete the selection that was cut.");
                    }
                }
                Ok(ClipboardOutcome::Copied(selection.text))
            }
            ClipboardOp::Paste => {
                let Some(clipboard) = &self.clipboard else { return Ok(ClipboardOutcome::Nothing) };
                if is_agent && clipboard.masked {
                    return Ok(ClipboardOutcome::Refused(masked_field()));
                }
                let input = Input::InsertText(clipboard.text.clone());
                Ok(match self.dispatch(page, input, role).await? {
                    Some(rejection) => ClipboardOutcome::Refused(rejection),
                    None => ClipboardOutcome::Pasted,
                })
            }
        }
    }

    /// Asks the page's guard whether an agent's input may reach the page now.
    async fn ask_guard(&mut self, page: &dyn Page, input: &Input) -> Result<(), Rejection> {
        if self.hidden.load(Ordering::SeqCst) {
            return self.refuse_on_hidden(input);
        }
        match input {
            Input::Mouse { kind: MouseKind::Down, x, y, button, .. } => {
                let hit = page.hit_test(*x, *y).await.map_err(|_| blocked())?;
                if hit.blocked.is_some() {
                    self.refused_buttons |= bit(*button);
                    return Err(blocked());
                }
                Ok(())
            }
            Input::Mouse { kind: MouseKind::Up, button, .. }
                if self.refused_buttons & bit(*button) != 0 =>
            {
                self.refused_buttons &= !bit(*button);
                Err(blocked())
            }
            Input::Mouse { .. } | Input::Wheel { .. } => Ok(()),
            // The arbiter refuses agents' touches already; none gets past here either.
            Input::Touch { .. } => Err(touch_refused()),
            Input::Key { key, code, .. } => {
                let focus = page.focus_state().await.map_err(|_| masked_field())?;
                if focus.masked {
                    return Err(masked_field());
                }
                let activates =
                    key == "Enter" || key == " " || code == "Space" || code == "NumpadEnter";
                let submits = key == "Enter" || code == "NumpadEnter";
                // Both press and release: a button activates on the release of Space.
                if activates
                    && (focus.blocked.is_some() || (submits && focus.form_blocked.is_some()))
                {
                    return Err(blocked());
                }
                Ok(())
            }
            Input::InsertText(_) | Input::Composition(_) => {
                let focus = page.focus_state().await.map_err(|_| masked_field())?;
                if focus.masked {
                    return Err(masked_field());
                }
                Ok(())
            }
        }
    }
}

impl InputCheck {
    /// On a page agents do not see: only pointer moves and scrolling go (and the release of a
    /// press that went before it was hidden).
    fn refuse_on_hidden(&mut self, input: &Input) -> Result<(), Rejection> {
        match input {
            Input::Mouse { kind: MouseKind::Down, button, .. } => {
                self.refused_buttons |= bit(*button);
                Err(masked_field())
            }
            Input::Mouse { kind: MouseKind::Up, button, .. }
                if self.refused_buttons & bit(*button) != 0 =>
            {
                self.refused_buttons &= !bit(*button);
                Err(masked_field())
            }
            Input::Mouse { .. } | Input::Wheel { .. } => Ok(()),
            Input::Touch { .. } => Err(touch_refused()),
            Input::Key { .. } | Input::InsertText(_) | Input::Composition(_) => Err(masked_field()),
        }
    }
}

fn touch_refused() -> Rejection {
    Rejection::new(RejectCode::CustomerOnly, "touch input is the customer's")
}

fn bit(button: MouseButton) -> u8 {
    match button {
        MouseButton::Left => 1,
        MouseButton::Right => 2,
        MouseButton::Middle => 4,
        MouseButton::None => 0,
    }
}

fn blocked() -> Rejection {
    Rejection::new(RejectCode::Blocked, "only the customer can do this")
}

fn masked_field() -> Rejection {
    Rejection::new(RejectCode::MaskedField, "this field is hidden from you")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{FakePage, Op};
    use browser::{FocusState, HitTest, Modifiers, Selection};
    use std::sync::atomic::Ordering;

    fn mouse(kind: MouseKind) -> Input {
        Input::Mouse {
            kind,
            x: 10.0,
            y: 20.0,
            button: MouseButton::Left,
            buttons: 1,
            click_count: 1,
            modifiers: Modifiers::default(),
        }
    }

    fn key(key: &str, code: &str) -> Input {
        Input::Key {
            down: true,
            key: key.into(),
            code: code.into(),
            text: None,
            modifiers: Modifiers::default(),
        }
    }

    fn code(res: Result<Option<Rejection>, BrowserError>) -> Option<RejectCode> {
        res.unwrap().map(|r| r.code)
    }

    #[tokio::test]
    async fn an_agents_press_on_a_blocked_control_is_refused_and_so_is_its_release() {
        let (page, _events) = FakePage::alone();
        *page.hit.lock().unwrap() = HitTest { blocked: Some("pay".into()), masked: false };
        let mut check = InputCheck::default();
        let agent = Role::Agent;
        assert_eq!(
            code(check.dispatch(&*page, mouse(MouseKind::Down), agent).await),
            Some(RejectCode::Blocked)
        );
        assert_eq!(
            code(check.dispatch(&*page, mouse(MouseKind::Up), agent).await),
            Some(RejectCode::Blocked)
        );
        // Moving is fine, and the customer may press.
        assert_eq!(code(check.dispatch(&*page, mouse(MouseKind::Move), agent).await), None);
        let customer = Role::Customer;
        assert_eq!(code(check.dispatch(&*page, mouse(MouseKind::Down), customer).await), None);
        let ops = page.ops();
        assert_eq!(
            ops,
            vec![Op::Dispatch(mouse(MouseKind::Move)), Op::Dispatch(mouse(MouseKind::Down))]
        );
    }

    #[tokio::test]
    async fn an_agents_keys_are_refused_in_masked_fields_on_blocked_controls_and_in_doubt() {
        let (page, _events) = FakePage::alone();
        let mut check = InputCheck::default();
        let agent = Role::Agent;
        assert_eq!(code(check.dispatch(&*page, key("a", "KeyA"), agent).await), None);
        *page.focus.lock().unwrap() = FocusState { masked: true, ..FocusState::default() };
        assert_eq!(
            code(check.dispatch(&*page, key("a", "KeyA"), agent).await),
            Some(RejectCode::MaskedField)
        );
        let text = Input::InsertText("4111".into());
        assert_eq!(code(check.dispatch(&*page, text, agent).await), Some(RejectCode::MaskedField));
        *page.focus.lock().unwrap() =
            FocusState { form_blocked: Some("checkout".into()), ..FocusState::default() };
        assert_eq!(
            code(check.dispatch(&*page, key("Enter", "Enter"), agent).await),
            Some(RejectCode::Blocked)
        );
        assert_eq!(code(check.dispatch(&*page, key(" ", "Space"), agent).await), None);
        // A guard that does not answer (the page is navigating) refuses.
        page.guard_ready.store(false, Ordering::SeqCst);
        assert_eq!(
            code(check.dispatch(&*page, key("b", "KeyB"), agent).await),
            Some(RejectCode::MaskedField)
        );
        assert_eq!(
            code(check.dispatch(&*page, mouse(MouseKind::Down), agent).await),
            Some(RejectCode::Blocked)
        );
        assert_eq!(page.ops().len(), 2, "{:?}", page.ops());
    }

    #[tokio::test]
    async fn the_session_clipboard_keeps_what_is_masked_from_agents() {
        let (page, _events) = FakePage::alone();
        let mut check = InputCheck::default();
        let (agent, customer) = (Role::Agent, Role::Customer);
        *page.selection.lock().unwrap() = Selection { text: "4111 1111".into(), masked: true };
        let refused = ClipboardOutcome::Refused(masked_field());
        assert_eq!(check.clipboard(&*page, ClipboardOp::Copy, agent).await.unwrap(), refused);
        let copied = ClipboardOutcome::Copied("4111 1111".into());
        assert_eq!(check.clipboard(&*page, ClipboardOp::Copy, customer).await.unwrap(), copied);
        assert_eq!(check.clipboard(&*page, ClipboardOp::Paste, agent).await.unwrap(), refused);
        assert_eq!(
            check.clipboard(&*page, ClipboardOp::Paste, customer).await.unwrap(),
            ClipboardOutcome::Pasted
        );
        // What was not masked, an agent may cut and paste.
        *page.selection.lock().unwrap() = Selection { text: "blue".into(), masked: false };
        let cut = check.clipboard(&*page, ClipboardOp::Cut, agent).await.unwrap();
        assert_eq!(cut, ClipboardOutcome::Copied("blue".into()));
        assert_eq!(
            check.clipboard(&*page, ClipboardOp::Paste, agent).await.unwrap(),
            ClipboardOutcome::Pasted
        );
        let ops = page.ops();
        assert_eq!(
            ops,
            vec![
                Op::Dispatch(Input::InsertText("4111 1111".into())),
                Op::DeleteSelection,
                Op::Dispatch(Input::InsertText("blue".into())),
            ]
        );
    }
}
