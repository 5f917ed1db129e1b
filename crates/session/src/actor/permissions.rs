//! What pages ask the browser to allow (F11): the cloud browser refuses every such request
//! (`browser::permissions`), and the people in the session hear what the page asked for, so
//! that a customer knows why a site says it cannot find them. A page that keeps asking is told
//! of once per `RETELL_AFTER` a permission.

use super::{Actor, Session};
use model::{SitePermission, TabId};
use protocol::ServerMessage;
use std::time::Duration;
use tokio::time::Instant;

/// How long after telling of a permission a tab's page asking again is not told again.
pub(crate) const RETELL_AFTER: Duration = Duration::from_secs(30);

impl Actor {
    /// Tab `id`'s page asked for `permission`, and was refused.
    pub(super) fn on_permission_refused(
        &self,
        s: &mut Session,
        id: TabId,
        permission: SitePermission,
    ) {
        let now = Instant::now();
        let Some(tab) = s.tabs.get_mut(id) else { return };
        let told = &mut tab.permissions_told;
        if told.iter().any(|(p, at)| *p == permission && now.duration_since(*at) < RETELL_AFTER) {
            return;
        }
        told.retain(|(p, _)| *p != permission);
        told.push((permission, now));
        metrics::counter!("beside_permissions_refused_total", "permission" => permission.as_str())
            .increment(1);
        tracing::info!(permission = permission.as_str(), "A page asked for a permission; refused.");
        s.roster.broadcast(None, &ServerMessage::PermissionRefused { permission });
    }
}
