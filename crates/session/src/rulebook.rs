//! A company's rules as its administrators change them, the same way through the HTTP API and on
//! the command line: check the rule (`policy`'s check, then Chromium's parser: the guard applies
//! a selector with `querySelectorAll`, which skips one it cannot parse), store it, audit it, and
//! publish it to the company's live sessions.

use crate::page::CloudBrowser;
use crate::registry::Registry;
use browser::BrowserError;
use model::{AgentId, AuditKind, CompanyId, DraftId, RuleId, RuleKind};
use policy::rules::CompanyRule;
use std::sync::Arc;
use store::{AuditEvent, NewDraft, NewRule, Store, StoreError, StoredDraft, StoredRule};
use time::OffsetDateTime;

/// Who changes a company's rules (or its agents, `server::accounts`), as the audit log
/// records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changer<'a> {
    /// An administrator of the company, through the HTTP API.
    Agent(&'a AgentId),
    /// Whoever runs `beside rule` (or `beside agent`) on the server.
    CommandLine,
}

impl Changer<'_> {
    /// The administrator, or `None` for the command line.
    pub fn agent(&self) -> Option<&AgentId> {
        match self {
            Changer::Agent(agent) => Some(agent),
            Changer::CommandLine => None,
        }
    }
}

/// Why a rule change was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The selector or URL pattern is not valid; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// `policy`'s check refused the selector or the URL pattern (its code says which).
    #[error("{0}")]
    Refused(policy::rules::RuleError),
    /// There are no drafts to publish.
    #[error("there are no rule drafts to publish")]
    NoDrafts,
    /// The rule has no earlier published version to go back to.
    #[error("the rule has no earlier published version to roll back to")]
    NoHistory,
    /// Chromium cannot parse the selector, so the guard would skip it; its reason.
    #[error("the browser cannot apply this selector: {0}")]
    Unparsable(String),
    /// Chromium could not be asked about the selector.
    #[error("the cloud browser, which checks the selector, is not available")]
    CheckUnavailable(#[source] BrowserError),
    /// The company has the same rule already.
    #[error("{0}")]
    Conflict(String),
    /// The company has no rule (or draft) with this id.
    #[error("the company has no such rule")]
    NotFound,
    #[error("could not change the company's rules")]
    Store(#[source] StoreError),
}

impl From<StoreError> for RuleError {
    fn from(error: StoreError) -> RuleError {
        match error {
            StoreError::Invalid(message) => RuleError::Invalid(message),
            StoreError::Conflict(message) => RuleError::Conflict(message),
            StoreError::NotFound(_) => RuleError::NotFound,
            other => RuleError::Store(other),
        }
    }
}

/// A change that was made, and whether the audit log has it (the change stands either way).
#[derive(Debug)]
pub struct Changed<T> {
    pub value: T,
    /// The audit event could not be written.
    pub unaudited: Option<StoreError>,
}

/// The company-rule use cases.
pub struct RuleBook {
    store: Store,
    checker: Checker,
    /// Publishes a change to the live sessions of this node. Without it (the command line), a
    /// running server's rules watch sees the stored rules version move.
    registry: Option<Registry>,
}

/// Where Chromium's verdict on a selector comes from.
enum Checker {
    /// The server's cloud browser.
    Running(Arc<dyn CloudBrowser>),
    /// A Chromium started for the check, and stopped after it (the command line).
    Launch(browser::Config),
    /// None: rules are kept on `policy`'s check alone.
    Off,
}

impl RuleBook {
    /// The rule book of a running server.
    pub(crate) fn new(store: Store, browser: Arc<dyn CloudBrowser>, registry: Registry) -> Self {
        RuleBook { store, checker: Checker::Running(browser), registry: Some(registry) }
    }

    /// The rule book of the command line: selectors are checked by a Chromium started with
    /// `browser` for the check.
    pub fn for_command_line(store: Store, browser: browser::Config) -> RuleBook {
        RuleBook { store, checker: Checker::Launch(browser), registry: None }
    }

    /// The same book without Chromium's check: for a caller that keeps rules on `policy`'s
    /// check alone when Chromium cannot be asked ([`RuleError::CheckUnavailable`]).
    pub fn without_check(self) -> RuleBook {
        RuleBook { checker: Checker::Off, ..self }
    }

    /// Chromium's reason for refusing `selector`, or `None` when it parses it.
    async fn check(&self, selector: &str) -> Result<Option<String>, BrowserError> {
        let verdicts = match &self.checker {
            Checker::Off => return Ok(None),
            Checker::Running(browser) => browser.check_selectors(&[selector]).await,
            Checker::Launch(config) => {
                let browser = browser::Browser::launch(config.clone()).await?;
                let verdicts = browser.check_selectors(&[selector]).await;
                browser.shutdown().await;
                verdicts
            }
        };
        Ok(verdicts?.pop().flatten())
    }

    /// The rule, checked by `policy` and then by Chromium's parser.
    async fn checked(
        &self,
        kind: RuleKind,
        selector: &str,
        url_pattern: &str,
    ) -> Result<CompanyRule, RuleError> {
        let rule =
            CompanyRule::new(kind, selector.trim(), url_pattern).map_err(RuleError::Refused)?;
        if let Some(reason) =
            self.check(&rule.selector).await.map_err(RuleError::CheckUnavailable)?
        {
            return Err(RuleError::Unparsable(reason));
        }
        Ok(rule)
    }

    /// Makes a rule: `kind` what `selector` finds on the pages `url_pattern` covers.
    pub async fn create(
        &self,
        company: &CompanyId,
        by: Changer<'_>,
        kind: RuleKind,
        selector: &str,
        url_pattern: &str,
    ) -> Result<Changed<StoredRule>, RuleError> {
        let rule = self.checked(kind, selector, url_pattern).await?;
        let stored = self
            .store
            .create_rule(NewRule {
                company: company.clone(),
                kind: rule.kind,
                selector: rule.selector,
                url_pattern: rule.url_pattern.as_str().to_owned(),
                created_by: by.agent().cloned(),
            })
            .await?;
        let detail = serde_json::json!({ "rule_id": stored.id });
        let unaudited = self.changed(company, by, AuditKind::RuleCreated, detail).await;
        Ok(Changed { value: stored, unaudited })
    }

    /// Removes a rule of `company`.
    pub async fn delete(
        &self,
        company: &CompanyId,
        by: Changer<'_>,
        id: &RuleId,
    ) -> Result<Changed<()>, RuleError> {
        self.store.delete_rule(company, id).await?;
        let detail = serde_json::json!({ "rule_id": id });
        let unaudited = self.changed(company, by, AuditKind::RuleDeleted, detail).await;
        Ok(Changed { value: (), unaudited })
    }

    /// Makes a draft (F20): a new rule, or a change of the live rule `replaces`. It applies in
    /// the company's rule-picking sessions at once, in customers' sessions once published.
    pub async fn draft(
        &self,
        company: &CompanyId,
        by: Changer<'_>,
        kind: RuleKind,
        selector: &str,
        url_pattern: &str,
        replaces: Option<RuleId>,
    ) -> Result<Changed<StoredDraft>, RuleError> {
        let rule = self.checked(kind, selector, url_pattern).await?;
        let stored = self
            .store
            .create_draft(NewDraft {
                company: company.clone(),
                rule: replaces,
                kind: rule.kind,
                selector: rule.selector,
                url_pattern: rule.url_pattern.as_str().to_owned(),
                created_by: by.agent().cloned(),
            })
            .await?;
        let detail = serde_json::json!({ "draft_id": stored.id, "rule_id": stored.rule_id });
        let unaudited = self.audit(company, by, AuditKind::RuleDrafted, detail).await;
        self.drafts_changed(company).await;
        Ok(Changed { value: stored, unaudited })
    }

    /// Throws a draft away unpublished.
    pub async fn discard(
        &self,
        company: &CompanyId,
        by: Changer<'_>,
        id: &DraftId,
    ) -> Result<Changed<()>, RuleError> {
        self.store.delete_draft(company, id).await?;
        let detail = serde_json::json!({ "draft_id": id });
        let unaudited = self.audit(company, by, AuditKind::RuleDraftDiscarded, detail).await;
        self.drafts_changed(company).await;
        Ok(Changed { value: (), unaudited })
    }

    /// Publishes every draft of the company: its live sessions apply them at once. Answers
    /// the rules made or changed.
    pub async fn publish(
        &self,
        company: &CompanyId,
        by: Changer<'_>,
    ) -> Result<Changed<Vec<StoredRule>>, RuleError> {
        let published = self.store.publish_drafts(company).await?;
        if published.is_empty() {
            return Err(RuleError::NoDrafts);
        }
        let ids: Vec<&RuleId> = published.iter().map(|r| &r.id).collect();
        let detail = serde_json::json!({ "rule_ids": ids });
        let unaudited = self.changed(company, by, AuditKind::RulesPublished, detail).await;
        Ok(Changed { value: published, unaudited })
    }

    /// Brings a rule back to its previous published version; live sessions apply it at once.
    pub async fn rollback(
        &self,
        company: &CompanyId,
        by: Changer<'_>,
        id: &RuleId,
    ) -> Result<Changed<StoredRule>, RuleError> {
        let rule = self.store.rollback_rule(company, id).await?.ok_or(RuleError::NoHistory)?;
        let detail = serde_json::json!({ "rule_id": id, "version": rule.version });
        let unaudited = self.changed(company, by, AuditKind::RuleRolledBack, detail).await;
        Ok(Changed { value: rule, unaudited })
    }

    async fn drafts_changed(&self, company: &CompanyId) {
        if let Some(registry) = &self.registry {
            registry.publish_drafts(company).await;
        }
    }

    /// Audits a change and publishes it; says why it could not be audited.
    async fn changed(
        &self,
        company: &CompanyId,
        by: Changer<'_>,
        kind: AuditKind,
        detail: serde_json::Value,
    ) -> Option<StoreError> {
        let unaudited = self.audit(company, by, kind, detail).await;
        if let Some(registry) = &self.registry {
            registry.publish_rules(company).await;
        }
        unaudited
    }

    /// Audits a change with who made it; says why it could not be audited.
    async fn audit(
        &self,
        company: &CompanyId,
        by: Changer<'_>,
        kind: AuditKind,
        mut detail: serde_json::Value,
    ) -> Option<StoreError> {
        if by == Changer::CommandLine {
            detail["via"] = serde_json::json!("command_line");
        }
        let agent = by.agent().cloned();
        let event = AuditEvent {
            at: OffsetDateTime::now_utc(),
            company: Some(company.clone()),
            agent,
            session: None,
            kind: kind.to_string(),
            detail,
        };
        let unaudited = self.store.record_audit(&event).await.err();
        if let Some(error) = &unaudited {
            tracing::error!(%kind, %error, "Could not write an audit event.");
        }
        unaudited
    }
}
