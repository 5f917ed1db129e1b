//! The `rule_drafts` and `rule_versions` tables in PostgreSQL: drafts are made and discarded
//! alone; publishing them and rolling a rule back change the company's rules, and move its
//! rules version, in one transaction.

use model::{AgentId, CompanyId, DraftId, RuleId};

use super::rules::{bump_rules_version, lock_company, Tx, SELECT_RULES};
use super::{ms, Postgres};
use crate::drafts::{
    draft_refs_missing, new_rule_of, too_many_drafts, unknown_draft, NewDraft, OldVersion,
    StoredDraft, MAX_DRAFTS_PER_COMPANY,
};
use crate::error::write_error;
use crate::rules::{check_room_for, unknown_rule};
use crate::{StoreError, StoredRule};

const SELECT_DRAFTS: &str = "SELECT id, company_id, rule_id, kind, selector, url_pattern, \
     created_by, created_at FROM rule_drafts WHERE company_id = $1 ORDER BY created_at, seq";

impl Postgres {
    pub(crate) async fn create_draft(&self, new: &NewDraft) -> Result<StoredDraft, StoreError> {
        let draft = new.to_draft();
        let context = "making a rule draft";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        // The company's row lock queues concurrent changes of its rules and drafts here.
        if !lock_company(&mut tx, &draft.company, context).await? {
            return Err(draft_refs_missing(new));
        }
        let n_drafts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM rule_drafts WHERE company_id = $1")
                .bind(draft.company.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::database(context))?;
        if n_drafts as u64 >= MAX_DRAFTS_PER_COMPANY {
            return Err(too_many_drafts());
        }
        if let Some(rule) = &draft.rule_id {
            rule_of(&mut tx, &draft.company, rule, context).await?;
        }
        sqlx::query(
            "INSERT INTO rule_drafts (id, company_id, rule_id, kind, selector, url_pattern, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(draft.id.as_str())
        .bind(draft.company.as_str())
        .bind(draft.rule_id.as_ref().map(RuleId::as_str))
        .bind(draft.kind.as_str())
        .bind(&draft.selector)
        .bind(&draft.url_pattern)
        .bind(draft.created_by.as_ref().map(AgentId::as_str))
        .bind(ms(draft.created_at))
        .execute(&mut *tx)
        .await
        .map_err(write_error(
            context,
            || draft_refs_missing(new),
            || draft_refs_missing(new),
        ))?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(draft)
    }

    pub(crate) async fn drafts(&self, company: &CompanyId) -> Result<Vec<StoredDraft>, StoreError> {
        let rows = sqlx::query(SELECT_DRAFTS)
            .bind(company.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::database("reading a company's rule drafts"))?;
        rows.iter().map(StoredDraft::from_row).collect()
    }

    pub(crate) async fn delete_draft(
        &self,
        company: &CompanyId,
        id: &DraftId,
    ) -> Result<(), StoreError> {
        let res = sqlx::query("DELETE FROM rule_drafts WHERE id = $1 AND company_id = $2")
            .bind(id.as_str())
            .bind(company.as_str())
            .execute(&self.pool)
            .await
            .map_err(StoreError::database("discarding a rule draft"))?;
        if res.rows_affected() == 0 {
            return Err(unknown_draft(id));
        }
        Ok(())
    }

    pub(crate) async fn publish_drafts(
        &self,
        company: &CompanyId,
    ) -> Result<Vec<StoredRule>, StoreError> {
        let context = "publishing rule drafts";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        if !lock_company(&mut tx, company, context).await? {
            return Ok(Vec::new());
        }
        let drafts = sqlx::query(SELECT_DRAFTS)
            .bind(company.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::database(context))?
            .iter()
            .map(StoredDraft::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut published = Vec::with_capacity(drafts.len());
        for draft in &drafts {
            let rule = match &draft.rule_id {
                None => {
                    let existing = company_rules(&mut tx, company, context).await?;
                    let new = new_rule_of(draft);
                    check_room_for(&existing, &new)?;
                    let rule = new.to_rule();
                    sqlx::query(
                        "INSERT INTO company_rules (id, company_id, kind, selector, \
                         url_pattern, created_by, created_at, version) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
                    )
                    .bind(rule.id.as_str())
                    .bind(rule.company.as_str())
                    .bind(rule.kind.as_str())
                    .bind(&rule.selector)
                    .bind(&rule.url_pattern)
                    .bind(rule.created_by.as_ref().map(AgentId::as_str))
                    .bind(ms(rule.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::database(context))?;
                    rule
                }
                Some(id) => {
                    let old = rule_of(&mut tx, company, id, context).await?;
                    sqlx::query(
                        "INSERT INTO rule_versions (rule_id, version, kind, selector, \
                         url_pattern, replaced_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id.as_str())
                    .bind(old.version)
                    .bind(old.kind.as_str())
                    .bind(&old.selector)
                    .bind(&old.url_pattern)
                    .bind(ms(crate::row::now()))
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::database(context))?;
                    let version = old.version + 1;
                    set_rule(&mut tx, id, draft.kind, &draft.selector, &draft.url_pattern, version)
                        .await?;
                    StoredRule {
                        kind: draft.kind,
                        selector: draft.selector.clone(),
                        url_pattern: draft.url_pattern.clone(),
                        version,
                        ..old
                    }
                }
            };
            published.push(rule);
        }
        sqlx::query("DELETE FROM rule_drafts WHERE company_id = $1")
            .bind(company.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        bump_rules_version(&mut tx, company, context).await?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(published)
    }

    pub(crate) async fn rollback_rule(
        &self,
        company: &CompanyId,
        id: &RuleId,
    ) -> Result<Option<StoredRule>, StoreError> {
        let context = "rolling a rule back";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        lock_company(&mut tx, company, context).await?;
        let current = rule_of(&mut tx, company, id, context).await?;
        let Some(old) = sqlx::query(
            "SELECT version, kind, selector, url_pattern FROM rule_versions \
             WHERE rule_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::database(context))?
        .map(|row| OldVersion::from_row(&row))
        .transpose()?
        else {
            return Ok(None);
        };
        set_rule(&mut tx, id, old.kind, &old.selector, &old.url_pattern, old.version).await?;
        sqlx::query("DELETE FROM rule_versions WHERE rule_id = $1 AND version >= $2")
            .bind(id.as_str())
            .bind(old.version)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        bump_rules_version(&mut tx, company, context).await?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(Some(StoredRule {
            kind: old.kind,
            selector: old.selector,
            url_pattern: old.url_pattern,
            version: old.version,
            ..current
        }))
    }
}

async fn company_rules(
    tx: &mut Tx,
    company: &CompanyId,
    context: &'static str,
) -> Result<Vec<StoredRule>, StoreError> {
    sqlx::query(SELECT_RULES)
        .bind(company.as_str())
        .fetch_all(&mut **tx)
        .await
        .map_err(StoreError::database(context))?
        .iter()
        .map(StoredRule::from_row)
        .collect()
}

/// The company's rule `id`; `NotFound` when it has none (another company's included).
async fn rule_of(
    tx: &mut Tx,
    company: &CompanyId,
    id: &RuleId,
    context: &'static str,
) -> Result<StoredRule, StoreError> {
    sqlx::query(
        "SELECT id, company_id, kind, selector, url_pattern, created_by, created_at, version \
         FROM company_rules WHERE id = $1 AND company_id = $2",
    )
    .bind(id.as_str())
    .bind(company.as_str())
    .fetch_optional(&mut **tx)
    .await
    .map_err(StoreError::database(context))?
    .map(|row| StoredRule::from_row(&row))
    .transpose()?
    .ok_or_else(|| unknown_rule(id))
}

async fn set_rule(
    tx: &mut Tx,
    id: &RuleId,
    kind: model::RuleKind,
    selector: &str,
    url_pattern: &str,
    version: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE company_rules SET kind = $1, selector = $2, url_pattern = $3, version = $4 \
         WHERE id = $5",
    )
    .bind(kind.as_str())
    .bind(selector)
    .bind(url_pattern)
    .bind(version)
    .bind(id.as_str())
    .execute(&mut **tx)
    .await
    .map_err(StoreError::database("changing a rule"))?;
    Ok(())
}
