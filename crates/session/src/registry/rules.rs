//! A company's rules in its live sessions: every change reaches them, at once for changes made
//! through this server (`RuleBook`), by the rules watch for changes another process made (the
//! command line).

use super::{Inner, Registry};
use crate::bus::Notice;
use crate::handle::SessionHandle;
use crate::rulebook::RuleBook;
use model::{CompanyId, RuleId, RuleKind};
use policy::rules::CompanyRule;
use std::sync::Arc;
use std::time::Duration;

impl Registry {
    /// The company-rule use cases, publishing every change to the company's live sessions.
    pub fn rules(&self) -> RuleBook {
        RuleBook::new(self.inner.store.clone(), self.inner.browser.clone(), self.clone())
    }

    /// The company's rule drafts changed: its rule-picking sessions on this node apply them.
    pub(crate) async fn publish_drafts(&self, company: &CompanyId) {
        self.inner.apply_drafts(company).await;
    }

    /// The company's rules changed: its live sessions apply them at once, on this node before
    /// this returns, on the others when they hear it on the bus.
    pub(crate) async fn publish_rules(&self, company: &CompanyId) {
        self.inner.apply_rules(company).await;
        self.inner.bus.publish(Notice::RulesChanged(company.clone())).await;
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

    /// The rules a rule-picking session applies: the company's, with its drafts in force (a
    /// draft of a change in place of its rule, new ones after).
    pub(super) async fn picking_rules(
        &self,
        company: &CompanyId,
    ) -> Result<Arc<[CompanyRule]>, store::StoreError> {
        let stored = self.store.rules(company).await?;
        let drafts = self.store.drafts(company).await?;
        let draft_of =
            |rule: &RuleId| drafts.iter().rev().find(|d| d.rule_id.as_ref() == Some(rule));
        let mut texts: Vec<(RuleKind, &str, &str)> = stored
            .iter()
            .map(|r| match draft_of(&r.id) {
                Some(d) => (d.kind, d.selector.as_str(), d.url_pattern.as_str()),
                None => (r.kind, r.selector.as_str(), r.url_pattern.as_str()),
            })
            .collect();
        texts.extend(
            drafts
                .iter()
                .filter(|d| d.rule_id.is_none())
                .map(|d| (d.kind, d.selector.as_str(), d.url_pattern.as_str())),
        );
        Ok(texts
            .into_iter()
            .filter_map(|(kind, selector, pattern)| CompanyRule::new(kind, selector, pattern).ok())
            .collect::<Vec<_>>()
            .into())
    }

    /// Gives the company's live sessions on this node its current rules (and its
    /// rule-picking sessions its drafts too).
    pub(super) async fn apply_rules(&self, company: &CompanyId) {
        let (version, rules) = match self.company_rules(company).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(company = %company, %error, "Could not read the company's rules; live sessions keep the ones they have.");
                return;
            }
        };
        let (customers, pickers) = {
            let mut state = self.state();
            state.rules_versions.insert(company.clone(), version);
            let of_company = state.sessions.values().filter(|live| &live.company == company);
            let (pickers, customers): (Vec<_>, Vec<_>) =
                of_company.partition(|live| live.picking.is_some());
            let handles = |lives: Vec<&super::Live>| -> Vec<SessionHandle> {
                lives.into_iter().map(|live| live.handle.clone()).collect()
            };
            (handles(customers), handles(pickers))
        };
        for handle in customers {
            handle.set_rules(rules.clone()).await;
        }
        self.apply_drafts_to(company, pickers).await;
    }

    /// Gives the company's rule-picking sessions on this node its rules with its drafts.
    pub(super) async fn apply_drafts(&self, company: &CompanyId) {
        let pickers: Vec<SessionHandle> = self
            .state()
            .sessions
            .values()
            .filter(|live| &live.company == company && live.picking.is_some())
            .map(|live| live.handle.clone())
            .collect();
        self.apply_drafts_to(company, pickers).await;
    }

    async fn apply_drafts_to(&self, company: &CompanyId, pickers: Vec<SessionHandle>) {
        if pickers.is_empty() {
            return;
        }
        match self.picking_rules(company).await {
            Ok(rules) => {
                for handle in pickers {
                    handle.set_rules(rules.clone()).await;
                }
            }
            Err(error) => {
                tracing::error!(company = %company, %error, "Could not read the company's rule drafts; rule-picking sessions keep the rules they have.");
            }
        }
    }

    /// Gives the company's live sessions on this node its rules, unless they apply the stored
    /// version already (the node that changed them applied them before it said so).
    pub(super) async fn apply_rules_if_stale(&self, company: &CompanyId) {
        let applied = self.state().rules_versions.get(company).copied();
        match self.store.rules_version(company).await {
            Ok(stored) if Some(stored) == applied => {}
            _ => self.apply_rules(company).await,
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
