//! What a session's task tells the registry, as events: the task holds no reference to the
//! registry, and the registry decides what each event means for the node (tokens, audit, store).

use model::{AgentId, AuditKind, CompanyId, ParticipantId, SessionId};
use protocol::{ChatEntry, EndReason, RejectCode};
use tokio::sync::{mpsc, oneshot};

/// Something that happened in a session that the registry acts on.
#[derive(Debug)]
pub(crate) enum SessionEvent {
    /// A participant left for good (an agent who did not come back in time): their token now
    /// answers `session_ended`.
    ParticipantLeft(ParticipantId),
    /// An agent's input was refused after the page's guard was asked (`blocked`, `masked_field`).
    AgentInputRefused { code: RejectCode },
    /// The page did not answer an operation (`op`) in time and was recovered; `n_dropped`
    /// inputs queued meanwhile were dropped.
    PageRecovered { op: &'static str, recovery: browser::Recovery, n_dropped: usize },
    /// The customer let in an agent who waited for approval: they joined.
    AgentAdmitted { agent: AgentId },
    /// Something the audit log keeps (control handed over or back, the view paused or resumed,
    /// an agent turned away): its snake_case kind, the agent it concerns, details.
    Audit { kind: AuditKind, agent: Option<AgentId>, detail: serde_json::Value },
    /// The session is over. The registry forgets it and records how it ended (and keeps the
    /// chat's `transcript` when the company's policy says so), then answers on `recorded`, so
    /// that by the time anyone hears it ended, its tokens say so.
    Ended { reason: EndReason, transcript: Vec<ChatEntry>, recorded: oneshot::Sender<()> },
}

/// An event with the session it comes from.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) session: SessionId,
    pub(crate) company: CompanyId,
    pub(crate) event: SessionEvent,
}

/// A session's way of reporting to the registry.
#[derive(Clone)]
pub(crate) struct Reporter {
    session: SessionId,
    company: CompanyId,
    tx: mpsc::UnboundedSender<Report>,
}

impl Reporter {
    pub(crate) fn new(
        session: SessionId,
        company: CompanyId,
        tx: mpsc::UnboundedSender<Report>,
    ) -> Reporter {
        Reporter { session, company, tx }
    }

    /// Reports an event; nothing happens when the registry is gone (the node is stopping).
    pub(crate) fn report(&self, event: SessionEvent) {
        let report = Report { session: self.session.clone(), company: self.company.clone(), event };
        let _ = self.tx.send(report);
    }

    /// Reports the end with the chat's entries, and waits until the registry has forgotten and
    /// recorded the session.
    pub(crate) async fn ended(&self, reason: EndReason, transcript: Vec<ChatEntry>) {
        let (recorded, done) = oneshot::channel();
        self.report(SessionEvent::Ended { reason, transcript, recorded });
        let _ = done.await;
    }
}
