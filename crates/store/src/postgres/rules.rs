//! The `company_rules` table in PostgreSQL, and the company's rules version (on `companies`),
//! which every change of a company's rules moves in the same transaction.

use model::{AgentId, CompanyId, RuleId};

use super::{ms, Postgres};
use crate::companies::unknown_company;
use crate::error::write_error;
use crate::rules::{check_room_for, rule_refs_missing, unknown_rule};
use crate::{NewRule, StoreError, StoredRule};

/// A company's rules in the order they apply: as made (`seq` breaks ties within a millisecond).
pub(super) const SELECT_RULES: &str =
    "SELECT id, company_id, kind, selector, url_pattern, created_by, \
     created_at, version FROM company_rules WHERE company_id = $1 ORDER BY created_at, seq";

pub(super) type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

impl Postgres {
    pub(crate) async fn create_rule(&self, new: &NewRule) -> Result<StoredRule, StoreError> {
        let rule = new.to_rule();
        let context = "creating a rule";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        // The company's row lock makes concurrent changes of its rules queue here, so the
        // count and duplicate checks below see every rule committed before this one.
        if !lock_company(&mut tx, &rule.company, context).await? {
            return Err(rule_refs_missing(new));
        }
        let existing = sqlx::query(SELECT_RULES)
            .bind(rule.company.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::database("reading a company's rules"))?
            .iter()
            .map(StoredRule::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        check_room_for(&existing, new)?;
        sqlx::query(
            "INSERT INTO company_rules \
             (id, company_id, kind, selector, url_pattern, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
        .map_err(write_error(
            context,
            || rule_refs_missing(new),
            || rule_refs_missing(new),
        ))?;
        bump_rules_version(&mut tx, &rule.company, context).await?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(rule)
    }

    pub(crate) async fn rules(&self, company: &CompanyId) -> Result<Vec<StoredRule>, StoreError> {
        let rows = sqlx::query(SELECT_RULES)
            .bind(company.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::database("reading a company's rules"))?;
        rows.iter().map(StoredRule::from_row).collect()
    }

    pub(crate) async fn rules_version(&self, company: &CompanyId) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT rules_version FROM companies WHERE id = $1")
            .bind(company.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("reading a company's rules version"))?
            .ok_or_else(|| unknown_company(company))
    }

    pub(crate) async fn versioned_rules(
        &self,
        company: &CompanyId,
    ) -> Result<(i64, Vec<StoredRule>), StoreError> {
        // One snapshot for both statements: READ COMMITTED would take one per statement.
        let context = "reading a company's rules";
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(StoreError::database(context))?;
        let version: i64 = sqlx::query_scalar("SELECT rules_version FROM companies WHERE id = $1")
            .bind(company.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::database("reading a company's rules version"))?
            .ok_or_else(|| unknown_company(company))?;
        let rows = sqlx::query(SELECT_RULES)
            .bind(company.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok((version, rows.iter().map(StoredRule::from_row).collect::<Result<_, _>>()?))
    }

    pub(crate) async fn delete_rule(
        &self,
        company: &CompanyId,
        id: &RuleId,
    ) -> Result<(), StoreError> {
        let context = "deleting a rule";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        let res = sqlx::query("DELETE FROM company_rules WHERE id = $1 AND company_id = $2")
            .bind(id.as_str())
            .bind(company.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        if res.rows_affected() == 0 {
            return Err(unknown_rule(id));
        }
        bump_rules_version(&mut tx, company, context).await?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(())
    }
}

/// Takes the company's row lock for the rest of the transaction; false when there is no such
/// company. NO KEY UPDATE: other changes of the company's rules wait, inserts that only check
/// the company exists (its sessions, agents) do not.
pub(super) async fn lock_company(
    tx: &mut Tx,
    company: &CompanyId,
    context: &'static str,
) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT rules_version FROM companies WHERE id = $1 FOR NO KEY UPDATE")
            .bind(company.as_str())
            .fetch_optional(&mut **tx)
            .await
            .map_err(StoreError::database(context))?;
    Ok(found.is_some())
}

/// One more on the company's rules version, inside the transaction that changes its rules.
pub(super) async fn bump_rules_version(
    tx: &mut Tx,
    company: &CompanyId,
    context: &'static str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE companies SET rules_version = rules_version + 1 WHERE id = $1")
        .bind(company.as_str())
        .execute(&mut **tx)
        .await
        .map_err(StoreError::database(context))?;
    Ok(())
}
