//! A page that did not answer in time: recovering it, and waiting while only loading it again
//! would help, until the customer agrees or it answers by itself.

use super::{
    TabOp, WorkerEvent, ASK_AGAIN, HUNG_PROBE_DEADLINE, HUNG_PROBE_EVERY, OP_DEADLINE, QUEUE,
};
use crate::handle::ProbeError;
use crate::page::Page;
use browser::Recovery;
use std::collections::VecDeque;
use tokio::sync::mpsc;

/// Waits while a page does not answer, until the customer agrees to load it again
/// (`TabOp::Restart`) or it answers again by itself; the operations held meanwhile go to
/// `pending`, in order. False when the session dropped its end of `ops`.
pub(super) async fn while_hung(
    page: &dyn Page,
    ops: &mut mpsc::Receiver<TabOp>,
    pending: &mut VecDeque<TabOp>,
    events: &mpsc::UnboundedSender<WorkerEvent>,
) -> bool {
    // What was taken off the channel already waits behind the answer too.
    let mut held: VecDeque<TabOp> = std::mem::take(pending);
    let mut n_dropped = 0;
    let mut told = tokio::time::Instant::now();
    let open = loop {
        let op = match tokio::time::timeout(HUNG_PROBE_EVERY, ops.recv()).await {
            Ok(op) => op,
            Err(_) => {
                if page.answers_within(HUNG_PROBE_DEADLINE).await.unwrap_or(true) {
                    tracing::info!("A page that did not answer answers again by itself.");
                    let _ = events.send(WorkerEvent::Answers);
                    break true;
                }
                if told.elapsed() >= ASK_AGAIN {
                    told = tokio::time::Instant::now();
                    let _ = events.send(WorkerEvent::StillHung);
                }
                continue;
            }
        };
        match op {
            None => break false,
            Some(TabOp::Restart) => {
                // The held navigation goes after the reload, not under it.
                let _ = page.restart(OP_DEADLINE).await;
                let _ = events.send(WorkerEvent::Recovered {
                    op: "restart",
                    recovery: Recovery::Crashed,
                    n_dropped,
                });
                break true;
            }
            // Aimed at what a page that does not answer shows: it would never get there.
            Some(TabOp::Input { .. } | TabOp::Clipboard { .. }) => n_dropped += 1,
            // The page cannot be asked now; the administrator may try again in a moment.
            Some(TabOp::Inspect { reply, .. }) => {
                let _ = reply.send(Err(ProbeError::Busy));
            }
            Some(TabOp::Count { reply, .. }) => {
                let _ = reply.send(Err(ProbeError::Busy));
            }
            // A tab that closes needs no answer from its page.
            Some(TabOp::Close) => {
                let _ = page.close().await;
                break false;
            }
            Some(op) => {
                if held.len() < QUEUE {
                    held.push_back(op);
                }
            }
        }
    };
    if n_dropped > 0 {
        tracing::debug!(n_dropped, "Input for a page that did not answer was dropped.");
    }
    *pending = held;
    open
}

/// Recovers a page that did not answer `op` in time (or the watchdog's probe), drops the input
/// queued meanwhile unless the page was only slow, and says so.
pub(super) async fn recover(
    page: &dyn Page,
    op: &'static str,
    ops: &mut mpsc::Receiver<TabOp>,
    pending: &mut VecDeque<TabOp>,
    events: &mpsc::UnboundedSender<WorkerEvent>,
) -> Option<Recovery> {
    let recovery = match page.recover().await {
        Ok(recovery) => recovery,
        Err(error) => {
            tracing::warn!(%error, "Could not recover a page that did not answer.");
            return None;
        }
    };
    let n_dropped =
        if recovery == Recovery::Responsive { 0 } else { drop_queued_input(ops, pending) };
    tracing::warn!(
        op,
        recovery = recovery.as_str(),
        n_dropped,
        "A page did not answer in time and was recovered."
    );
    let _ = events.send(WorkerEvent::Recovered { op, recovery, n_dropped });
    Some(recovery)
}

/// Drops the input and clipboard operations queued for a page that was stuck (they were aimed
/// at what it showed then); keeps the rest, in order. Returns how many were dropped.
fn drop_queued_input(ops: &mut mpsc::Receiver<TabOp>, pending: &mut VecDeque<TabOp>) -> usize {
    while let Ok(op) = ops.try_recv() {
        pending.push_back(op);
    }
    let before = pending.len();
    pending.retain(|op| !matches!(op, TabOp::Input { .. } | TabOp::Clipboard { .. }));
    before - pending.len()
}
