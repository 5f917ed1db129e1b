//! What one node tells every node, itself included, behind the `Bus` trait: a company's rules
//! changed, a session is to end. `LocalBus` carries notices within this process (one node); a
//! bus between nodes implements the same trait.

use crate::directory::Reply;
use model::{CompanyId, SessionId};
use protocol::EndReason;
use tokio::sync::broadcast;

/// How many notices a slow listener may fall behind before it misses some.
const BACKLOG: usize = 256;

/// A notice for every node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Notice {
    /// The company's rules changed: every node gives its live sessions of the company the rules
    /// as stored now.
    RulesChanged(CompanyId),
    /// The session is to end, for `reason`: the node that runs it ends it.
    End { session: SessionId, reason: EndReason },
}

/// Carries notices to every node's registry.
pub(crate) trait Bus: Send + Sync {
    /// Sends a notice to every listener, this node's included.
    fn publish(&self, notice: Notice) -> Reply<'_, ()>;

    /// Listens to every notice published from now on.
    fn subscribe(&self) -> broadcast::Receiver<Notice>;
}

/// The bus of one node, in memory.
pub(crate) struct LocalBus {
    tx: broadcast::Sender<Notice>,
}

impl LocalBus {
    pub(crate) fn new() -> LocalBus {
        LocalBus { tx: broadcast::channel(BACKLOG).0 }
    }
}

impl Bus for LocalBus {
    fn publish(&self, notice: Notice) -> Reply<'_, ()> {
        // Nobody listening (the registry is gone) is not an error: there is nobody to tell.
        let _ = self.tx.send(notice);
        Box::pin(std::future::ready(()))
    }

    fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_listener_hears_every_notice_in_order() {
        let bus = LocalBus::new();
        let (mut one, mut two) = (bus.subscribe(), bus.subscribe());
        let company = CompanyId::random();
        let session = SessionId::random();
        bus.publish(Notice::RulesChanged(company.clone())).await;
        let end = Notice::End { session, reason: EndReason::AgentEnded };
        bus.publish(end.clone()).await;
        for listener in [&mut one, &mut two] {
            assert_eq!(listener.recv().await.unwrap(), Notice::RulesChanged(company.clone()));
            assert_eq!(listener.recv().await.unwrap(), end);
        }
    }

    #[tokio::test]
    async fn a_listener_hears_only_what_comes_after_it_subscribed() {
        let bus = LocalBus::new();
        bus.publish(Notice::RulesChanged(CompanyId::random())).await;
        let mut late = bus.subscribe();
        let company = CompanyId::random();
        bus.publish(Notice::RulesChanged(company.clone())).await;
        assert_eq!(late.recv().await.unwrap(), Notice::RulesChanged(company));
        assert!(late.try_recv().is_err());
    }
}
