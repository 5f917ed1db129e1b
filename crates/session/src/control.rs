//! Who may act on the page (F2, F3), sans-IO: each participant's standing (let in, in control,
//! asking for control), and the gate every accepted message passes, which keeps an agent
//! without control to pointing and annotating, a paused agent to talking, and an agent who
//! waits for approval to waiting.

use crate::input::{Action, Decision, Rejection};
use model::Role;
use protocol::RejectCode;

/// Where a participant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Standing {
    /// Let in: an agent who redeemed a PIN of a company that requires approval is not, until
    /// the customer approves them.
    admitted: bool,
    /// Their input reaches the page.
    granted: bool,
    /// They asked for control and have no answer yet.
    requested: bool,
}

/// Why a change of standing was refused.
fn not_admitted() -> Rejection {
    Rejection::new(RejectCode::WaitingApproval, "this agent waits for the customer's approval")
}

impl Standing {
    /// The customer: in, in control, always.
    pub(crate) fn customer() -> Standing {
        Standing { admitted: true, granted: true, requested: false }
    }

    /// An agent who just redeemed a PIN: waiting for approval or in, with control or without,
    /// as the company's policy says.
    pub(crate) fn agent(needs_approval: bool, starts_with_control: bool) -> Standing {
        Standing { admitted: !needs_approval, granted: starts_with_control, requested: false }
    }

    pub(crate) fn is_admitted(&self) -> bool {
        self.admitted
    }

    pub(crate) fn has_control(&self) -> bool {
        self.granted
    }

    pub(crate) fn has_requested(&self) -> bool {
        self.requested
    }

    /// The customer approves the agent.
    pub(crate) fn admit(&mut self) -> Result<(), Rejection> {
        if self.admitted {
            return Err(Rejection::new(
                RejectCode::NotWaiting,
                "this agent is already in the session",
            ));
        }
        self.admitted = true;
        Ok(())
    }

    /// The customer grants (`true`) or revokes control; whether anything changed.
    pub(crate) fn set_control(&mut self, granted: bool) -> Result<bool, Rejection> {
        if !self.admitted {
            return Err(not_admitted());
        }
        let changed = self.granted != granted || self.requested;
        self.granted = granted;
        self.requested = false;
        Ok(changed)
    }

    /// The agent asks for control; whether this is news for the customer (a second ask, or an
    /// ask while in control, is not).
    pub(crate) fn request(&mut self) -> Result<bool, Rejection> {
        if !self.admitted {
            return Err(not_admitted());
        }
        if self.granted || self.requested {
            return Ok(false);
        }
        self.requested = true;
        Ok(true)
    }
}

/// What becomes of an accepted message, given who sent it.
#[derive(Debug, PartialEq)]
pub(crate) enum Gate {
    /// As decided.
    Pass(Decision),
    /// Refused, and the sender is told why.
    Refuse(Rejection),
}

/// Passes `decision` for someone of `role` and `standing`, while the view is `paused` or not.
/// Without control an agent's pointer moves only move their cursor (the customer sees where
/// they point); what would reach the page is refused (`no_control`). While paused, an agent's
/// pointer goes nowhere and what would reach the page is refused (`paused`). An agent who waits
/// for approval may only leave.
pub(crate) fn gate(role: Role, standing: &Standing, paused: bool, decision: Decision) -> Gate {
    if role == Role::Customer {
        return Gate::Pass(decision);
    }
    let keeps_to_itself = matches!(decision.action, Action::Pong | Action::Nothing | Action::End);
    if !standing.admitted {
        if keeps_to_itself {
            return Gate::Pass(Decision { cursor: None, ..decision });
        }
        return Gate::Refuse(not_admitted());
    }
    let reaches_page = match &decision.action {
        Action::Dispatch(_)
        | Action::Navigate(_)
        | Action::Back
        | Action::Forward
        | Action::Reload
        | Action::Pick(..) => true,
        // A copy only reads what the agent sees; cut and paste change the page.
        Action::Clipboard(op) => *op != browser::ClipboardOp::Copy,
        _ => false,
    };
    let is_move = matches!(
        decision.action,
        Action::Dispatch(browser::Input::Mouse { kind: browser::MouseKind::Move, .. })
    );
    if paused {
        if is_move {
            return Gate::Pass(Decision { action: Action::Nothing, cursor: None });
        }
        if reaches_page || matches!(decision.action, Action::Clipboard(_)) {
            return Gate::Refuse(Rejection::new(
                RejectCode::Paused,
                "the customer paused your view; you cannot act on the page meanwhile",
            ));
        }
        return Gate::Pass(decision);
    }
    if !standing.granted && reaches_page {
        if is_move {
            return Gate::Pass(Decision { action: Action::Nothing, ..decision });
        }
        return Gate::Refuse(Rejection::new(
            RejectCode::NoControl,
            "the customer has not given you control; you can point, draw and ask for control",
        ));
    }
    Gate::Pass(decision)
}

#[cfg(test)]
mod tests {
    use super::*;
    use browser::{ClipboardOp, Input, Modifiers, MouseButton, MouseKind};
    use model::Point;

    fn mouse(kind: MouseKind) -> Decision {
        let input = Input::Mouse {
            kind,
            x: 5.0,
            y: 6.0,
            button: MouseButton::Left,
            buttons: 1,
            click_count: 1,
            modifiers: Modifiers::default(),
        };
        Decision { action: Action::Dispatch(input), cursor: Some(Point { x: 5.0, y: 6.0 }) }
    }

    fn just(action: Action) -> Decision {
        Decision { action, cursor: None }
    }

    fn refused(gate: Gate) -> RejectCode {
        match gate {
            Gate::Refuse(r) => r.code,
            Gate::Pass(d) => panic!("passed: {d:?}"),
        }
    }

    #[test]
    fn an_agent_without_control_points_but_never_reaches_the_page() {
        let standing = Standing::agent(false, false);
        let moved = gate(Role::Agent, &standing, false, mouse(MouseKind::Move));
        assert_eq!(
            moved,
            Gate::Pass(Decision {
                action: Action::Nothing,
                cursor: Some(Point { x: 5.0, y: 6.0 })
            })
        );
        assert_eq!(
            refused(gate(Role::Agent, &standing, false, mouse(MouseKind::Down))),
            RejectCode::NoControl
        );
        let typed = just(Action::Dispatch(Input::InsertText("x".into())));
        assert_eq!(refused(gate(Role::Agent, &standing, false, typed)), RejectCode::NoControl);
        let url = url::Url::parse("https://example.com/").unwrap();
        assert_eq!(
            refused(gate(Role::Agent, &standing, false, just(Action::Navigate(url)))),
            RejectCode::NoControl
        );
        assert_eq!(
            refused(gate(Role::Agent, &standing, false, just(Action::Reload))),
            RejectCode::NoControl
        );
        let paste = just(Action::Clipboard(ClipboardOp::Paste));
        assert_eq!(refused(gate(Role::Agent, &standing, false, paste)), RejectCode::NoControl);
        let pick = just(Action::Pick(model::PickerId(1), model::PickerChoice::default()));
        assert_eq!(refused(gate(Role::Agent, &standing, false, pick)), RejectCode::NoControl);
        // Copying what they see, talking and drawing stay open.
        let copy = just(Action::Clipboard(ClipboardOp::Copy));
        assert!(matches!(gate(Role::Agent, &standing, false, copy), Gate::Pass(_)));
        let chat = just(Action::Chat("hi".into()));
        assert!(matches!(gate(Role::Agent, &standing, false, chat), Gate::Pass(_)));
    }

    #[test]
    fn control_granted_passes_everything_and_the_customer_is_never_gated() {
        let standing = Standing::agent(false, true);
        assert_eq!(
            gate(Role::Agent, &standing, false, mouse(MouseKind::Down)),
            Gate::Pass(mouse(MouseKind::Down))
        );
        let nobody = Standing::agent(true, false);
        assert_eq!(
            gate(Role::Customer, &nobody, true, mouse(MouseKind::Down)),
            Gate::Pass(mouse(MouseKind::Down))
        );
    }

    #[test]
    fn while_paused_an_agent_can_talk_but_not_point_or_act() {
        let standing = Standing::agent(false, true);
        assert_eq!(
            gate(Role::Agent, &standing, true, mouse(MouseKind::Move)),
            Gate::Pass(just(Action::Nothing))
        );
        assert_eq!(
            refused(gate(Role::Agent, &standing, true, mouse(MouseKind::Down))),
            RejectCode::Paused
        );
        let copy = just(Action::Clipboard(ClipboardOp::Copy));
        assert_eq!(refused(gate(Role::Agent, &standing, true, copy)), RejectCode::Paused);
        let chat = just(Action::Chat("still there?".into()));
        assert!(matches!(gate(Role::Agent, &standing, true, chat), Gate::Pass(_)));
    }

    #[test]
    fn an_agent_waiting_for_approval_may_only_wait_or_leave() {
        let standing = Standing::agent(true, true);
        assert_eq!(
            refused(gate(Role::Agent, &standing, false, mouse(MouseKind::Move))),
            RejectCode::WaitingApproval
        );
        let chat = just(Action::Chat("let me in".into()));
        assert_eq!(refused(gate(Role::Agent, &standing, false, chat)), RejectCode::WaitingApproval);
        assert_eq!(
            gate(Role::Agent, &standing, false, just(Action::Pong)),
            Gate::Pass(just(Action::Pong))
        );
        assert_eq!(
            gate(Role::Agent, &standing, false, just(Action::End)),
            Gate::Pass(just(Action::End))
        );
    }

    #[test]
    fn standing_moves_only_the_ways_it_may() {
        let mut waiting = Standing::agent(true, true);
        assert_eq!(waiting.set_control(false).unwrap_err().code, RejectCode::WaitingApproval);
        assert_eq!(waiting.request().unwrap_err().code, RejectCode::WaitingApproval);
        waiting.admit().unwrap();
        assert_eq!(waiting.admit().unwrap_err().code, RejectCode::NotWaiting);
        assert!(waiting.is_admitted() && waiting.has_control());

        let mut agent = Standing::agent(false, false);
        assert_eq!(agent.request(), Ok(true));
        assert_eq!(agent.request(), Ok(false), "asking twice is no news");
        assert!(agent.has_requested());
        assert_eq!(agent.set_control(true), Ok(true));
        assert!(agent.has_control() && !agent.has_requested());
        assert_eq!(agent.request(), Ok(false), "in control already");
        assert_eq!(agent.set_control(true), Ok(false));
        assert_eq!(agent.set_control(false), Ok(true));
        assert!(!agent.has_control());
        // Revoking answers a pending request too.
        agent.request().unwrap();
        assert_eq!(agent.set_control(false), Ok(true));
        assert!(!agent.has_requested());
    }
}
