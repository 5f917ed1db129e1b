//! The `companies` table in SQLite.

use model::CompanyId;

use super::{ms, Sqlite};
use crate::companies::{slug_taken, unknown_company, COLUMNS};
use crate::error::write_error;
use crate::{Company, CompanySettings, Logo, NewCompany, SessionPolicy, StoreError};

impl Sqlite {
    pub(crate) async fn create_company(&self, new: &NewCompany) -> Result<Company, StoreError> {
        let company = new.to_company();
        sqlx::query(
            "INSERT INTO companies (id, slug, name, start_url, created_at) VALUES (?, ?, ?, ?, ?)",
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
        sqlx::query(&format!("SELECT {COLUMNS} FROM companies WHERE slug = ?"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up a company by slug"))?
            .map(|row| Company::from_row(&row))
            .transpose()
    }

    pub(crate) async fn company(&self, id: &CompanyId) -> Result<Option<Company>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM companies WHERE id = ?"))
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
            "UPDATE companies SET pin_approval = ?, agents_start_with_control = ?, \
             transcripts = ?, start_mode = ?, pdf_view = ?, \
             settings_version = settings_version + 1 WHERE id = ?",
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
            "UPDATE companies SET start_secret = ? WHERE id = ?"
        } else {
            "UPDATE companies SET start_secret = ? WHERE id = ? AND start_secret IS NULL"
        };
        sqlx::query(sql)
            .bind(fresh)
            .bind(company.as_str())
            .execute(&self.pool)
            .await
            .map_err(StoreError::database("making a company's start secret"))?;
        let secret: Option<Option<String>> =
            sqlx::query_scalar("SELECT start_secret FROM companies WHERE id = ?")
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

    /// Replaces a company's settings if they are still at `version`: `Ok(None)` when someone
    /// changed them since, `NotFound` for an unknown company.
    pub(crate) async fn update_company_settings(
        &self,
        company: &CompanyId,
        version: i64,
        new: &CompanySettings,
    ) -> Result<Option<Company>, StoreError> {
        let colors = serde_json::json!(new.colors);
        let texts = serde_json::json!(new.texts);
        let allow = serde_json::json!(new.navigation.allow);
        let deny = serde_json::json!(new.navigation.deny);
        let res = sqlx::query(
            "UPDATE companies SET name = ?, start_url = ?, pin_approval = ?, \
             agents_start_with_control = ?, transcripts = ?, start_mode = ?, pdf_view = ?, \
             colors = ?, texts = ?, nav_allow = ?, nav_deny = ?, pin_digits = ?, \
             pin_ttl_secs = ?, embed_origins = ?, settings_version = settings_version + 1 \
             WHERE id = ? AND settings_version = ?",
        )
        .bind(&new.name)
        .bind(&new.start_url)
        .bind(i64::from(new.policy.pin_approval))
        .bind(i64::from(new.policy.agents_start_with_control))
        .bind(new.policy.transcripts.as_str())
        .bind(new.policy.start.as_str())
        .bind(new.policy.pdfs.as_str())
        .bind(colors.to_string())
        .bind(texts.to_string())
        .bind(allow.to_string())
        .bind(deny.to_string())
        .bind(i64::from(new.pin.digits))
        .bind(new.pin.ttl_secs.map(i64::from))
        .bind(serde_json::json!(new.embed_origins).to_string())
        .bind(company.as_str())
        .bind(version)
        .execute(&self.pool)
        .await
        .map_err(StoreError::database("changing a company's settings"))?;
        if res.rows_affected() == 0 {
            return match self.company(company).await? {
                Some(_) => Ok(None),
                None => Err(unknown_company(company)),
            };
        }
        self.company(company).await?.map(Some).ok_or_else(|| unknown_company(company))
    }

    /// Replaces (`Some`) or removes a company's logo, and bumps its settings version.
    pub(crate) async fn set_logo(
        &self,
        company: &CompanyId,
        logo: Option<&Logo>,
    ) -> Result<(), StoreError> {
        let context = "changing a company's logo";
        let mut tx = self.begin_write(context).await?;
        let res = sqlx::query(
            "UPDATE companies SET logo_type = ?, settings_version = settings_version + 1 \
             WHERE id = ?",
        )
        .bind(logo.map(|l| l.kind.as_str()))
        .bind(company.as_str())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::database(context))?;
        if res.rows_affected() == 0 {
            return Err(unknown_company(company));
        }
        match logo {
            Some(logo) => {
                sqlx::query("INSERT INTO company_logos (company_id, data, updated_at) VALUES (?, ?, ?) ON CONFLICT (company_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at")
                    .bind(company.as_str())
                    .bind(crate::companies::encode_logo(&logo.bytes))
                    .bind(ms(crate::row::now()))
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::database(context))?;
            }
            None => {
                sqlx::query("DELETE FROM company_logos WHERE company_id = ?")
                    .bind(company.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::database(context))?;
            }
        }
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(())
    }

    /// A company's logo; `None` without one.
    pub(crate) async fn logo(&self, company: &CompanyId) -> Result<Option<Logo>, StoreError> {
        let row = sqlx::query(
            "SELECT c.logo_type, l.data FROM companies c JOIN company_logos l \
             ON l.company_id = c.id WHERE c.id = ? AND c.logo_type IS NOT NULL",
        )
        .bind(company.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::database("reading a company's logo"))?;
        row.map(|row| crate::companies::logo_from_row(&row)).transpose()
    }
}

impl Sqlite {
    /// The embed origins of every company that has some, one list per company.
    pub(crate) async fn embed_origin_lists(&self) -> Result<Vec<Vec<String>>, StoreError> {
        let lists: Vec<String> =
            sqlx::query_scalar("SELECT embed_origins FROM companies WHERE embed_origins <> '[]'")
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::database("reading the companies' embed origins"))?;
        lists.iter().map(|text| crate::companies::embed_origins_from_json(text)).collect()
    }
}
