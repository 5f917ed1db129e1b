//! The `api_tokens` table in PostgreSQL.

use model::{CompanyId, TokenId};
use sqlx::types::Json;
use time::OffsetDateTime;

use super::rules::lock_company;
use super::{ms, Postgres};
use crate::api_tokens::{
    api_token_refs_missing, api_token_taken, too_many_api_tokens, unknown_api_token, ApiToken,
    NewApiToken, MAX_API_TOKENS_PER_COMPANY,
};
use crate::error::write_error;
use crate::StoreError;

const COLUMNS: &str = "id, company_id, name, scopes, created_by, created_at, last_used_at";

impl Postgres {
    pub(crate) async fn create_api_token(&self, new: &NewApiToken) -> Result<ApiToken, StoreError> {
        let token = new.to_token();
        let context = "making an API token";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        // The company's row lock queues concurrent makers, so the count holds.
        if !lock_company(&mut tx, &token.company, context).await? {
            return Err(api_token_refs_missing(new));
        }
        let n_tokens: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE company_id = $1")
                .bind(token.company.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::database(context))?;
        if n_tokens as u64 >= MAX_API_TOKENS_PER_COMPANY {
            return Err(too_many_api_tokens());
        }
        sqlx::query(
            "INSERT INTO api_tokens (id, company_id, name, scopes, token_hash, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token.id.as_str())
        .bind(token.company.as_str())
        .bind(&token.name)
        .bind(Json(token.scopes_json()))
        .bind(&new.token_hash)
        .bind(token.created_by.as_str())
        .bind(ms(token.created_at))
        .execute(&mut *tx)
        .await
        .map_err(write_error(context, api_token_taken, || api_token_refs_missing(new)))?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(token)
    }

    pub(crate) async fn api_tokens(
        &self,
        company: &CompanyId,
    ) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE company_id = $1 ORDER BY created_at, id"
        ))
        .bind(company.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("reading a company's API tokens"))?;
        rows.iter().map(ApiToken::from_row).collect()
    }

    pub(crate) async fn delete_api_token(
        &self,
        company: &CompanyId,
        id: &TokenId,
    ) -> Result<ApiToken, StoreError> {
        let row = sqlx::query(&format!(
            "DELETE FROM api_tokens WHERE id = $1 AND company_id = $2 RETURNING {COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(company.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::database("revoking an API token"))?;
        ApiToken::from_row(&row.ok_or_else(|| unknown_api_token(id))?)
    }

    pub(crate) async fn api_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up an API token"))?;
        row.as_ref().map(ApiToken::from_row).transpose()
    }

    pub(crate) async fn note_api_token_used(
        &self,
        id: &TokenId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at < $1)",
        )
        .bind(ms(at))
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(StoreError::database("noting an API token's use"))?;
        Ok(())
    }
}
