//! The `company_rules` table in SQLite, and the company's rules version (on `companies`), which
//! every change of a company's rules moves in the same transaction.

use model::{AgentId, CompanyId, RuleId};

use super::{ms, Sqlite};
use crate::companies::unknown_company;
use crate::error::write_error;
use crate::rules::{check_room_for, rule_refs_missing, unknown_rule};
use crate::{NewRule, StoreError, StoredRule};

/// A company's rules in the order they apply: as made (rowid breaks ties within a millisecond).
pub(super) const SELECT_RULES: &str =
    "SELECT id, company_id, kind, selector, url_pattern, created_by, \
     created_at, version FROM company_rules WHERE company_id = ? ORDER BY created_at, rowid";

impl Sqlite {
    pub(crate) async fn create_rule(&self, new: &NewRule) -> Result<StoredRule, StoreError> {
        let rule = new.to_rule();
        let mut tx = self.begin_write("creating a rule").await?;
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
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
            "creating a rule",
            || rule_refs_missing(new),
            || rule_refs_missing(new),
        ))?;
        bump_rules_version(&mut tx, &rule.company, "creating a rule").await?;
        tx.commit().await.map_err(StoreError::database("creating a rule"))?;
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
        sqlx::query_scalar("SELECT rules_version FROM companies WHERE id = ?")
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
        // One read transaction: the version and the rules come from the same snapshot.
        let mut tx =
            self.pool.begin().await.map_err(StoreError::database("reading a company's rules"))?;
        let version: i64 = sqlx::query_scalar("SELECT rules_version FROM companies WHERE id = ?")
            .bind(company.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::database("reading a company's rules version"))?
            .ok_or_else(|| unknown_company(company))?;
        let rows = sqlx::query(SELECT_RULES)
            .bind(company.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::database("reading a company's rules"))?;
        tx.commit().await.map_err(StoreError::database("reading a company's rules"))?;
        Ok((version, rows.iter().map(StoredRule::from_row).collect::<Result<_, _>>()?))
    }

    pub(crate) async fn delete_rule(
        &self,
        company: &CompanyId,
        id: &RuleId,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write("deleting a rule").await?;
        let res = sqlx::query("DELETE FROM company_rules WHERE id = ? AND company_id = ?")
            .bind(id.as_str())
            .bind(company.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database("deleting a rule"))?;
        if res.rows_affected() == 0 {
            return Err(unknown_rule(id));
        }
        bump_rules_version(&mut tx, company, "deleting a rule").await?;
        tx.commit().await.map_err(StoreError::database("deleting a rule"))?;
        Ok(())
    }
}

/// One more on the company's rules version, inside the transaction that changes its rules.
pub(super) async fn bump_rules_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    company: &CompanyId,
    context: &'static str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE companies SET rules_version = rules_version + 1 WHERE id = ?")
        .bind(company.as_str())
        .execute(&mut **tx)
        .await
        .map_err(StoreError::database(context))?;
    Ok(())
}
