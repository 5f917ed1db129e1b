//! The `companies` table in PostgreSQL.

use model::CompanyId;

use super::{ms, Postgres};
use crate::companies::{slug_taken, unknown_company};
use crate::error::write_error;
use crate::{Company, NewCompany, SessionPolicy, StoreError};

const COLUMNS: &str =
    "id, slug, name, start_url, created_at, pin_approval, agents_start_with_control, transcripts, \
     start_mode, start_secret, pdf_view";

impl Postgres {
    pub(crate) async fn create_company(&self, new: &NewCompany) -> Result<Company, StoreError> {
        let company = new.to_company();
        sqlx::query(
            "INSERT INTO companies (id, slug, name, start_url, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(company.id.as_str())
        .bind(&company.slug)
        .bind(&company.name)
        .bind(&company.start_url)
        .bind(ms(company.created_at))
        .execute(&self.pool)
        .await
        .map_err(write_error(
            "creating a company",
            || slug_taken(&company.slug),
            || unknown_company(&company.id),
        ))?;
        Ok(company)
    }

    pub(crate) async fn company_by_slug(&self, slug: &str) -> Result<Option<Company>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM companies WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up a company by slug"))?
            .map(|row| Company::from_row(&row))
            .transpose()
    }

    pub(crate) async fn company(&self, id: &CompanyId) -> Result<Option<Company>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM companies WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up a company"))?
            .map(|row| Company::from_row(&row))
            .transpose()
    }

    pub(crate) async fn set_session_policy(
        &self,
        company: &CompanyId,
        policy: SessionPolicy,
    ) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE companies SET pin_approval = $1, agents_start_with_control = $2, \
             transcripts = $3, start_mode = $4, pdf_view = $5 WHERE id = $6",
        )
        .bind(i64::from(policy.pin_approval))
        .bind(i64::from(policy.agents_start_with_control))
        .bind(policy.transcripts.as_str())
        .bind(policy.start.as_str())
        .bind(policy.pdfs.as_str())
        .bind(company.as_str())
        .execute(&self.pool)
        .await
        .map_err(StoreError::database("changing a company's session policy"))?;
        if res.rows_affected() == 0 {
            return Err(unknown_company(company));
        }
        Ok(())
    }

    /// The company's start secret: `fresh` is put in its place when `renew` or when it has
    /// none yet (two callers at once agree on one).
    pub(crate) async fn start_secret(
        &self,
        company: &CompanyId,
        fresh: &str,
        renew: bool,
    ) -> Result<String, StoreError> {
        let sql = if renew {
            "UPDATE companies SET start_secret = $1 WHERE id = $2"
        } else {
            "UPDATE companies SET start_secret = $1 WHERE id = $2 AND start_secret IS NULL"
        };
        sqlx::query(sql)
            .bind(fresh)
            .bind(company.as_str())
            .execute(&self.pool)
            .await
            .map_err(StoreError::database("making a company's start secret"))?;
        let secret: Option<Option<String>> =
            sqlx::query_scalar("SELECT start_secret FROM companies WHERE id = $1")
                .bind(company.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::database("reading a company's start secret"))?;
        secret.flatten().ok_or_else(|| unknown_company(company))
    }

    pub(crate) async fn count_companies(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM companies")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::database("counting companies"))?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("company count {n}")))
    }
}
