//! What the registry hears: sessions' reports (a participant left, an audit, the end) and the
//! bus's notices (rules changed, a session is to end), and what each means for the node: the
//! directory, the store, the audit log.

use super::Inner;
use crate::bus::Notice;
use crate::events::{Report, SessionEvent};
use model::{AgentId, AuditKind, CompanyId, SessionId};
use protocol::{ChatEntry, EndReason};
use store::{AuditEvent, TranscriptEntry, TranscriptPolicy};
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// Acts on what sessions report, until the registry and every session are gone. Store writes
/// run on their own, so a slow one holds up no other session's event.
pub(super) async fn hear_sessions(
    inner: std::sync::Weak<Inner>,
    mut reports: mpsc::UnboundedReceiver<Report>,
) {
    while let Some(Report { session, company, event }) = reports.recv().await {
        let Some(inner) = inner.upgrade() else { continue };
        match event {
            SessionEvent::ParticipantLeft(participant) => {
                inner.directory.participant_left(&participant).await;
            }
            SessionEvent::AgentInputRefused { code } => {
                tokio::spawn(async move {
                    let detail = serde_json::json!({ "reason": code.as_str() });
                    inner
                        .audit(
                            AuditKind::AgentInputRefused,
                            Some(&company),
                            None,
                            Some(&session),
                            detail,
                        )
                        .await;
                });
            }
            SessionEvent::AgentAdmitted { agent } => {
                tokio::spawn(async move {
                    if let Err(error) = inner.agent_joined(&session, &company, &agent).await {
                        tracing::error!(session_id = %session, %error, "Could not record a join.");
                    }
                });
            }
            SessionEvent::Audit { kind, agent, detail } => {
                tokio::spawn(async move {
                    inner.audit(kind, Some(&company), agent.as_ref(), Some(&session), detail).await;
                });
            }
            SessionEvent::PageRecovered { op, recovery, n_dropped } => {
                tokio::spawn(async move {
                    let detail = serde_json::json!({
                        "op": op,
                        "recovery": recovery.as_str(),
                        "dropped_inputs": n_dropped,
                    });
                    inner
                        .audit(
                            AuditKind::PageRecovered,
                            Some(&company),
                            None,
                            Some(&session),
                            detail,
                        )
                        .await;
                });
            }
            SessionEvent::Ended { reason, transcript, recorded } => {
                if inner.forget_session(&session).await {
                    // A rule-picking session keeps no record and no chat.
                    let _ = recorded.send(());
                    continue;
                }
                tokio::spawn(async move {
                    inner.record_end(&session, &company, reason).await;
                    inner.keep_transcript(&session, &company, transcript).await;
                    let _ = recorded.send(());
                });
            }
        }
    }
}

/// Acts on the notices of the bus, until the registry is gone.
pub(super) async fn hear_bus(
    inner: std::sync::Weak<Inner>,
    mut notices: tokio::sync::broadcast::Receiver<Notice>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let notice = match notices.recv().await {
            Ok(notice) => notice,
            Err(RecvError::Closed) => return,
            // Missed rule changes are caught up by the rules watch.
            Err(RecvError::Lagged(n_missed)) => {
                tracing::warn!(n_missed, "The registry missed notices of the bus.");
                continue;
            }
        };
        let Some(inner) = inner.upgrade() else { return };
        match notice {
            Notice::RulesChanged(company) => inner.apply_rules_if_stale(&company).await,
            Notice::End { session, reason } => {
                let handle = inner.state().sessions.get(&session).map(|l| l.handle.clone());
                if let Some(handle) = handle {
                    handle.end(reason).await;
                }
            }
        }
    }
}

impl Inner {
    /// A session is over: forget everything live about it.
    /// Whether it was a rule-picking session.
    pub(super) async fn forget_session(&self, id: &SessionId) -> bool {
        let (n_active, picking) = {
            let mut state = self.state();
            let picking = state.sessions.remove(id).is_some_and(|live| live.picking.is_some());
            (state.sessions.len(), picking)
        };
        metrics::gauge!("beside_sessions_active").set(n_active as f64);
        self.directory.session_ended(id).await;
        picking
    }

    /// Keeps the record of how the session ended (the record outlives the session).
    pub(super) async fn record_end(&self, id: &SessionId, company: &CompanyId, reason: EndReason) {
        metrics::counter!("beside_sessions_ended_total", "reason" => reason.as_str()).increment(1);
        if let Err(error) =
            self.store.mark_session_ended(id, OffsetDateTime::now_utc(), reason.as_str()).await
        {
            tracing::error!(session_id = %id, %error, "Could not record the end of the session.");
        }
        self.queue_ended(id).await;
        self.audit(
            AuditKind::SessionEnded,
            Some(company),
            None,
            Some(id),
            serde_json::json!({ "reason": reason.as_str() }),
        )
        .await;
    }

    /// Keeps the chat of an ended session when its company's policy (as it is now) says so;
    /// otherwise it goes with the session (F4).
    pub(super) async fn keep_transcript(
        &self,
        session: &SessionId,
        company: &CompanyId,
        entries: Vec<ChatEntry>,
    ) {
        if entries.is_empty() {
            return;
        }
        let policy = match self.store.company(company).await {
            Ok(found) => found.map(|c| c.policy).unwrap_or_default(),
            Err(error) => {
                tracing::error!(session_id = %session, %error, "Could not read the transcript policy; the chat is not kept.");
                return;
            }
        };
        if policy.transcripts != TranscriptPolicy::Keep {
            return;
        }
        let entries: Vec<TranscriptEntry> = entries.into_iter().map(transcript_entry).collect();
        match self.store.save_transcript(session, &entries).await {
            Ok(()) => {
                let detail = serde_json::json!({ "entries": entries.len() });
                self.audit(AuditKind::TranscriptKept, Some(company), None, Some(session), detail)
                    .await;
            }
            Err(error) => {
                tracing::error!(session_id = %session, %error, "Could not keep the chat transcript.");
            }
        }
    }

    pub(super) async fn audit(
        &self,
        kind: AuditKind,
        company: Option<&CompanyId>,
        agent: Option<&AgentId>,
        session: Option<&SessionId>,
        detail: serde_json::Value,
    ) {
        let ev = AuditEvent {
            at: OffsetDateTime::now_utc(),
            company: company.cloned(),
            agent: agent.cloned(),
            session: session.cloned(),
            kind: kind.to_string(),
            detail,
        };
        if let Err(error) = self.store.record_audit(&ev).await {
            tracing::error!(%kind, %error, "Could not write an audit event.");
        }
    }
}

/// A chat entry as the transcript keeps it.
fn transcript_entry(entry: ChatEntry) -> TranscriptEntry {
    let at = |ms: i64| {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    };
    match entry {
        ChatEntry::Text { id, at_ms, name, role, text, .. } => TranscriptEntry {
            seq: i64::try_from(id).unwrap_or(i64::MAX),
            at: at(at_ms),
            kind: store::EntryKind::Text,
            role,
            name,
            body: text,
        },
        ChatEntry::System { id, at_ms, event, name, role } => TranscriptEntry {
            seq: i64::try_from(id).unwrap_or(i64::MAX),
            at: at(at_ms),
            kind: store::EntryKind::System,
            role,
            name,
            body: event.as_str().to_owned(),
        },
    }
}
