//! A tab's worker: the task that does the browser operations of a session, in order, off the
//! session's loop, so that a slow page never holds up frames or messages.
//!
//! Every operation has a deadline: input (with the guard's check of an agent's) a short one,
//! since a page takes input at once unless something stops it. An operation past its deadline
//! has the page recovered (`Page::recover`: a dialog nobody answered is answered, a script that
//! does not end is stopped, a renderer that still does not answer is crashed and reloaded),
//! and the input queued meanwhile is dropped, so one person's clicks into a stuck page never
//! hold up the other's navigation for longer than one deadline and a recovery. An operation
//! that waits for a dialog the page opened (the click that called `confirm()`) is not stuck:
//! it waits for the customer's answer, which the session gives itself at the dialog's deadline.
//!
//! While nobody acts, a watchdog probes the page (a trivial script with a deadline) every few
//! seconds: a page whose script started looping by itself (a timer) or whose renderer hung is
//! recovered the same way, and people are told, before anyone has to click into it.
//!
//! A page that still does not answer after that (a script that starts again, a renderer that
//! hung) could only be loaded again, which loses what the customer entered in it: the worker
//! says so (`Recovered` with `Recovery::Unresponsive`) and waits for the customer's consent
//! (`TabOp::Restart`). Meanwhile it drops input, holds the other operations until the page is
//! back, probes it (a page that answers again by itself is `Answers`), and says every
//! `ASK_AGAIN` that it still hangs, so that a customer who chose to wait is asked again.

use crate::check::{ClipboardOutcome, InputCheck};
use crate::files::UploadError;
use crate::handle::ProbeError;
use crate::input::Rejection;
use crate::page::Page;
use browser::{BrowserError, ClipboardOp, Input, PickRefusal, Recovery, UploadFile};
use model::{ParticipantId, Role, Viewport};
use policy::rules::CompanyRule;
use protocol::RejectCode;
use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

mod stuck;

use stuck::{recover, while_hung};

/// Operations that may wait for the worker; more, and input is refused as `busy`.
pub(crate) const QUEUE: usize = 512;
/// How long an input (with the guard's check) may take before the page counts as stuck.
pub(crate) const INPUT_DEADLINE: Duration = Duration::from_millis(1500);
/// How long any other operation may take (a navigation waits for the site's answer).
pub(crate) const OP_DEADLINE: Duration = Duration::from_secs(15);
/// How long an operation may wait for a dialog the page opened meanwhile (the customer
/// answers it, or the session does at its deadline, `actor::DIALOG_DEADLINE`).
pub(crate) const DIALOG_WAIT: Duration = Duration::from_secs(150);

/// How long the worker waits for an operation before it probes the page.
pub(crate) const WATCH_EVERY: Duration = Duration::from_secs(3);
/// How long the watchdog's probe may take before the page counts as hung (and `recover`
/// probes once more before it stops anything): lenient, so that a heavy page that keeps its
/// main thread busy for a moment while it loads is not stopped.
pub(crate) const WATCH_DEADLINE: Duration = Duration::from_secs(4);

/// How often a page that hangs and waits for the customer's consent is probed.
pub(crate) const HUNG_PROBE_EVERY: Duration = Duration::from_secs(2);
/// How long that probe may take before the page still counts as hung.
pub(crate) const HUNG_PROBE_DEADLINE: Duration = Duration::from_secs(1);
/// How long a page may go on hanging before the worker says again that it hangs.
pub(crate) const ASK_AGAIN: Duration = Duration::from_secs(30);

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
    /// A choice from the page's open picker.
    Pick {
        picker: model::PickerId,
        choice: model::PickerChoice,
        participant: ParticipantId,
        role: Role,
    },
    /// The page's open picker closes without a choice.
    DismissPicker(model::PickerId),
    /// The customer's files for the page's file chooser.
    SetFiles {
        chooser: model::FileChooserId,
        files: Vec<UploadFile>,
        reply: tokio::sync::oneshot::Sender<Result<(), UploadError>>,
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
    /// What is at a point, for a point-and-click rule (F20).
    Inspect {
        x: f64,
        y: f64,
        reply: tokio::sync::oneshot::Sender<Result<Vec<browser::Inspected>, ProbeError>>,
    },
    /// What a selector finds, for a point-and-click rule (F20).
    Count {
        selector: String,
        reply: tokio::sync::oneshot::Sender<Result<browser::Matches, ProbeError>>,
    },
    /// The customer agreed to load a page that does not answer again.
    Restart,
}

impl TabOp {
    fn name(&self) -> &'static str {
        match self {
            TabOp::Input { .. } => "input",
            TabOp::Clipboard { .. } => "clipboard",
            TabOp::Pick { .. } => "pick",
            TabOp::DismissPicker(_) => "dismiss_picker",
            TabOp::SetFiles { .. } => "set_files",
            TabOp::Navigate(_) => "navigate",
            TabOp::Back => "back",
            TabOp::Forward => "forward",
            TabOp::Reload => "reload",
            TabOp::Viewport(_) => "viewport",
            TabOp::Streaming(_) => "streaming",
            TabOp::Close => "close",
            TabOp::Locale(_) => "locale",
            TabOp::Rules(_) => "rules",
            TabOp::Inspect { .. } => "inspect",
            TabOp::Count { .. } => "count",
            TabOp::Restart => "restart",
        }
    }
}

/// What the worker reports back to the session's task.
#[derive(Debug)]
pub(crate) enum WorkerEvent {
    /// An input was refused after the page's guard was asked.
    Refused(ParticipantId, Rejection),
    /// The page refused a participant's choice from a picker.
    PickRefused(ParticipantId, Rejection),
    /// The page took files for its chooser.
    FilesGiven(model::FileChooserId),
    /// A participant copied text: it goes to their own device's clipboard too.
    Copied(ParticipantId, String),
    /// An operation (`op`) did not finish in time; the page was recovered, and `n_dropped`
    /// inputs queued meanwhile were dropped.
    Recovered { op: &'static str, recovery: Recovery, n_dropped: usize },
    /// A page that did not answer (`Recovery::Unresponsive`) still does not, `ASK_AGAIN` later.
    StillHung,
    /// A page that did not answer answers again by itself: nothing needs loading again.
    Answers,
}

/// Runs the operations of `ops` on `page` until the session drops its end.
pub(crate) async fn run(
    page: Arc<dyn Page>,
    mut ops: mpsc::Receiver<TabOp>,
    events: mpsc::UnboundedSender<WorkerEvent>,
    hidden: Arc<AtomicBool>,
) {
    let mut check = InputCheck::new(hidden);
    // Operations taken off the channel while the page was recovered.
    let mut pending: VecDeque<TabOp> = VecDeque::new();
    loop {
        let op = match pending.pop_front() {
            Some(op) => op,
            None => match tokio::time::timeout(WATCH_EVERY, ops.recv()).await {
                Ok(Some(op)) => op,
                Ok(None) => break,
                Err(_) => {
                    // A page showing a dialog waits for the customer's answer: not hung.
                    let hung = !page.has_dialog()
                        && !page.answers_within(WATCH_DEADLINE).await.unwrap_or(true);
                    if hung
                        && recover(page.as_ref(), "watchdog", &mut ops, &mut pending, &events).await
                            == Some(Recovery::Unresponsive)
                        && !while_hung(page.as_ref(), &mut ops, &mut pending, &events).await
                    {
                        break;
                    }
                    continue;
                }
            },
        };
        let name = op.name();
        tracing::trace!(op = name, "Browser operation.");
        let deadline = match op {
            TabOp::Input { .. } | TabOp::Clipboard { .. } => INPUT_DEADLINE,
            _ => OP_DEADLINE,
        };
        let work = perform(page.as_ref(), &mut check, op, &events);
        tokio::pin!(work);
        let mut res = tokio::time::timeout(deadline, &mut work).await;
        if res.is_err() && page.has_dialog() {
            // The page waits for its dialog, which the customer is answering: not stuck. The
            // session answers it by itself at its deadline, so this wait is bounded.
            tracing::debug!(op = name, "A browser operation waits for the page's dialog.");
            res = tokio::time::timeout(DIALOG_WAIT, &mut work).await;
        }
        match res {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, op = name, "A browser operation failed."),
            Err(_) => {
                let recovery = recover(page.as_ref(), name, &mut ops, &mut pending, &events).await;
                if recovery == Some(Recovery::Unresponsive)
                    && !while_hung(page.as_ref(), &mut ops, &mut pending, &events).await
                {
                    break;
                }
            }
        }
    }
}

/// Does one operation.
async fn perform(
    page: &dyn Page,
    check: &mut InputCheck,
    op: TabOp,
    events: &mpsc::UnboundedSender<WorkerEvent>,
) -> Result<(), BrowserError> {
    match op {
        TabOp::Input { input, participant, role } => {
            if let Some(rejection) = check.dispatch(page, input, role).await? {
                let _ = events.send(WorkerEvent::Refused(participant, rejection));
            }
            Ok(())
        }
        TabOp::Clipboard { op, participant, role } => {
            match check.clipboard(page, op, role).await? {
                ClipboardOutcome::Copied(text) => {
                    let _ = events.send(WorkerEvent::Copied(participant, text));
                }
                ClipboardOutcome::Refused(rejection) => {
                    let _ = events.send(WorkerEvent::Refused(participant, rejection));
                }
                ClipboardOutcome::Nothing | ClipboardOutcome::Pasted => {}
            }
            Ok(())
        }
        TabOp::Pick { picker, choice, participant, role } => {
            let refused = match page.choose(picker, &choice, role == Role::Agent).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(refusal)) => Rejection {
                    code: pick_code(refusal),
                    message: format!("{picker} did not take the choice"),
                },
                // The page navigates: its picker is gone with its document.
                Err(_) => Rejection {
                    code: RejectCode::UnknownPicker,
                    message: format!("{picker} is not open"),
                },
            };
            let _ = events.send(WorkerEvent::PickRefused(participant, refused));
            Ok(())
        }
        TabOp::DismissPicker(picker) => page.dismiss_picker(picker).await,
        TabOp::SetFiles { chooser, files, reply } => {
            let res = page.set_files(chooser, files).await;
            // The page's input went with its document: its chooser is gone.
            let _ = reply.send(res.as_ref().map(drop).map_err(|_| UploadError::UnknownChooser));
            if res.is_ok() {
                let _ = events.send(WorkerEvent::FilesGiven(chooser));
            }
            res
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
        TabOp::Inspect { x, y, reply } => {
            let _ = reply.send(page.inspect(x, y).await.map_err(probe_error));
            Ok(())
        }
        TabOp::Count { selector, reply } => {
            let _ = reply.send(page.count_matches(&selector).await.map_err(probe_error));
            Ok(())
        }
        // Only a page that does not answer is loaded again (`while_hung`); one that answers
        // again by itself keeps what was entered in it.
        TabOp::Restart => Ok(()),
    }
}

/// The wire code of a choice the page's picker did not take.
fn pick_code(refusal: PickRefusal) -> RejectCode {
    match refusal {
        PickRefusal::UnknownPicker => RejectCode::UnknownPicker,
        PickRefusal::OptionGone => RejectCode::PickerOptionGone,
        PickRefusal::InvalidValue => RejectCode::InvalidValue,
        PickRefusal::InvalidInput => RejectCode::InvalidInput,
        PickRefusal::MaskedField => RejectCode::MaskedField,
    }
}

fn probe_error(error: BrowserError) -> ProbeError {
    ProbeError::Page(error.to_string())
}
