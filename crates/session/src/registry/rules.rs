//! A company's rules in its live sessions: checking a new rule's selector, and bringing every
//! change to the sessions (at once for changes made through this server, by the rules watch for
//! changes another process made).

use super::{Inner, Registry};
use crate::handle::SessionHandle;
use model::{AgentId, CompanyId, RuleId};
use policy::rules::CompanyRule;
use std::sync::Arc;
use std::time::Duration;

impl Registry {
    /// Chromium's verdict on a company rule's selector: `None` when it can apply it, or its
    /// reason (see [`Browser::check_selectors`]). Fails when the cloud browser cannot be asked.
    pub async fn check_selector(
        &self,
        selector: &str,
    ) -> Result<Option<String>, browser::BrowserError> {
        let mut verdicts = self.inner.browser.check_selectors(&[selector]).await?;
        Ok(verdicts.pop().flatten())
    }

    /// A company's rules changed (`kind` is the audit event, e.g. `rule_created`): it is audited,
    /// and the company's live sessions on this node apply the new rules at once.
    pub async fn rules_changed(
        &self,
        company: &CompanyId,
        agent: Option<&AgentId>,
        kind: &str,
        rule: &RuleId,
    ) {
        self.inner
            .audit(kind, Some(company), agent, None, serde_json::json!({ "rule_id": rule }))
            .await;
        self.inner.apply_rules(company).await;
    }
}

/// How often the watch compares the stored rules versions with the live sessions'.
const RULES_WATCH_EVERY: Duration = Duration::from_secs(1);

/// Brings a company's live sessions the rules another process (the command line) changed in
/// the store; rules changed through this server's API reach them at once, without it. Ends
/// with the registry.
pub(super) async fn watch_rules(inner: std::sync::Weak<Inner>) {
    let mut tick = tokio::time::interval(RULES_WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        for company in inner.stale_rules().await {
            tracing::info!(company = %company, "The company's rules changed in the store; its live sessions apply them.");
            inner.apply_rules(&company).await;
        }
    }
}

impl Inner {
    /// The company's rules version and rules, parsed. A stored rule this build cannot parse
    /// (the syntax got stricter) is skipped with a warning rather than failing every session of
    /// the company.
    pub(super) async fn company_rules(
        &self,
        company: &CompanyId,
    ) -> Result<(i64, Arc<[CompanyRule]>), store::StoreError> {
        let (version, stored) = self.store.versioned_rules(company).await?;
        let parsed = stored
            .into_iter()
            .filter_map(|r| match CompanyRule::new(r.kind, &r.selector, &r.url_pattern) {
                Ok(rule) => Some(rule),
                Err(error) => {
                    tracing::warn!(company = %company, rule_id = %r.id, %error, "A stored company rule is not valid; it is skipped.");
                    None
                }
            })
            .collect::<Vec<_>>();
        Ok((version, parsed.into()))
    }

    /// Gives the company's live sessions on this node its current rules.
    pub(super) async fn apply_rules(&self, company: &CompanyId) {
        let (version, rules) = match self.company_rules(company).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(company = %company, %error, "Could not read the company's rules; live sessions keep the ones they have.");
                return;
            }
        };
        let handles: Vec<SessionHandle> = {
            let mut state = self.state();
            state.rules_versions.insert(company.clone(), version);
            state
                .sessions
                .values()
                .filter(|live| &live.company == company)
                .map(|live| live.handle.clone())
                .collect()
        };
        for handle in handles {
            handle.set_rules(rules.clone()).await;
        }
    }

    /// The companies with live sessions whose stored rules version is not the one they apply.
    async fn stale_rules(&self) -> Vec<CompanyId> {
        let known: Vec<(CompanyId, Option<i64>)> = {
            let state = self.state();
            let mut companies: Vec<&CompanyId> =
                state.sessions.values().map(|live| &live.company).collect();
            companies.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
            companies.dedup();
            companies
                .into_iter()
                .map(|c| (c.clone(), state.rules_versions.get(c).copied()))
                .collect()
        };
        let mut stale = Vec::new();
        for (company, applied) in known {
            match self.store.rules_version(&company).await {
                Ok(stored) if Some(stored) != applied => stale.push(company),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(company = %company, %error, "Could not read a company's rules version.");
                }
            }
        }
        stale
    }
}
