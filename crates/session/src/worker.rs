//! A tab's worker: the task that does the browser operations of a session, in order, off the
//! session's loop, so that a slow page never holds up frames or messages.

use crate::check::{ClipboardOutcome, InputCheck};
use crate::input::Rejection;
use crate::page::Page;
use browser::{BrowserError, ClipboardOp, Input};
use model::{ParticipantId, Role, Viewport};
use policy::rules::CompanyRule;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Operations that may wait for the worker; more, and input is refused as `busy`.
pub(crate) const QUEUE: usize = 512;

/// What the worker does, in order.
pub(crate) enum TabOp {
    /// Input to dispatch; an agent's is first checked against the page's guard.
    Input {
        input: Input,
        participant: ParticipantId,
        role: Role,
    },
    /// A copy, cut or paste with the session's clipboard.
    Clipboard {
        op: ClipboardOp,
        participant: ParticipantId,
        role: Role,
    },
    Navigate(url::Url),
    Back,
    Forward,
    Reload,
    Viewport(Viewport),
    /// The tab becomes the one people look at (its screencast starts), or stops being it.
    Streaming(bool),
    /// The tab closes.
    Close,
    /// The customer's languages or time zone changed.
    Locale(model::Locale),
    /// The company's rules changed.
    Rules(Arc<[CompanyRule]>),
}

impl TabOp {
    fn name(&self) -> &'static str {
        match self {
            TabOp::Input { .. } => "input",
            TabOp::Clipboard { .. } => "clipboard",
            TabOp::Navigate(_) => "navigate",
            TabOp::Back => "back",
            TabOp::Forward => "forward",
            TabOp::Reload => "reload",
            TabOp::Viewport(_) => "viewport",
            TabOp::Streaming(_) => "streaming",
            TabOp::Close => "close",
            TabOp::Locale(_) => "locale",
            TabOp::Rules(_) => "rules",
        }
    }
}

/// What the worker reports back to the session's task.
#[derive(Debug)]
pub(crate) enum WorkerEvent {
    /// An input was refused after the page's guard was asked.
    Refused(ParticipantId, Rejection),
    /// A participant copied text: it goes to their own device's clipboard too.
    Copied(ParticipantId, String),
}

/// Runs the operations of `ops` on `page` until the session drops its end.
pub(crate) async fn run(
    page: Arc<dyn Page>,
    mut ops: mpsc::Receiver<TabOp>,
    events: mpsc::UnboundedSender<WorkerEvent>,
) {
    let mut check = InputCheck::default();
    while let Some(op) = ops.recv().await {
        tracing::trace!(op = op.name(), "Browser operation.");
        let res: Result<(), BrowserError> = match op {
            TabOp::Input { input, participant, role } => {
                match check.dispatch(page.as_ref(), input, role).await {
                    Ok(Some(rejection)) => {
                        let _ = events.send(WorkerEvent::Refused(participant, rejection));
                        Ok(())
                    }
                    Ok(None) => Ok(()),
                    Err(error) => Err(error),
                }
            }
            TabOp::Clipboard { op, participant, role } => {
                match check.clipboard(page.as_ref(), op, role).await {
                    Ok(ClipboardOutcome::Copied(text)) => {
                        let _ = events.send(WorkerEvent::Copied(participant, text));
                        Ok(())
                    }
                    Ok(ClipboardOutcome::Refused(rejection)) => {
                        let _ = events.send(WorkerEvent::Refused(participant, rejection));
                        Ok(())
                    }
                    Ok(ClipboardOutcome::Nothing | ClipboardOutcome::Pasted) => Ok(()),
                    Err(error) => Err(error),
                }
            }
            TabOp::Navigate(url) => page.navigate(&url).await,
            TabOp::Back => page.back().await,
            TabOp::Forward => page.forward().await,
            TabOp::Reload => page.reload().await,
            TabOp::Viewport(viewport) => page.set_viewport(viewport).await,
            TabOp::Streaming(on) => page.set_streaming(on).await,
            TabOp::Close => page.close().await,
            TabOp::Locale(locale) => page.set_locale(&locale).await,
            TabOp::Rules(rules) => page.set_company_rules(&rules).await,
        };
        if let Err(error) = res {
            tracing::debug!(%error, "A browser operation failed.");
        }
    }
}
