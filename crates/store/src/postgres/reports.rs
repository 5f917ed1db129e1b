//! Company reports (F25) in PostgreSQL: the statements of `crate::reports` in its dialect.

use super::{ms, Postgres};
use crate::reports::{summary, Dialect, SessionsQuery};
use crate::sessions::COLUMNS;
use crate::{ReportRange, SessionRecord, SessionSummary, StoreError};
use model::CompanyId;

const DIALECT: Dialect = Dialect {
    params: ["$1", "$2", "$3"],
    day: "(FLOOR(EXTRACT(EPOCH FROM created_at) / 86400)::BIGINT)",
    since_created: |column| {
        format!("((EXTRACT(EPOCH FROM ({column} - created_at)) * 1000)::BIGINT)")
    },
};

impl Postgres {
    async fn rows(
        &self,
        sql: &str,
        company: &CompanyId,
        range: &ReportRange,
    ) -> Result<Vec<sqlx::postgres::PgRow>, StoreError> {
        sqlx::query(sql)
            .bind(company.as_str())
            .bind(ms(range.start()))
            .bind(ms(range.end()))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::database("computing a report"))
    }

    pub(crate) async fn session_summary(
        &self,
        company: &CompanyId,
        range: &ReportRange,
    ) -> Result<SessionSummary, StoreError> {
        let mut rows: [Vec<sqlx::postgres::PgRow>; 9] = Default::default();
        for (sql, out) in DIALECT.summary_statements().iter().zip(&mut rows) {
            *out = self.rows(sql, company, range).await?;
        }
        summary(range, rows)
    }

    pub(crate) async fn sessions_between(
        &self,
        q: &SessionsQuery,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let (after_at, after_id) = match &q.after {
            Some((at, id)) => (Some(ms(*at)), Some(id.as_str())),
            None => (None, None),
        };
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sessions \
             WHERE company_id = $1 AND created_at >= $2 AND created_at < $3 \
             AND ($4::TIMESTAMPTZ IS NULL OR created_at > $4 OR (created_at = $4 AND id > $5)) \
             ORDER BY created_at, id LIMIT $6"
        ))
        .bind(q.company.as_str())
        .bind(ms(q.range.start()))
        .bind(ms(q.range.end()))
        .bind(after_at)
        .bind(after_id)
        .bind(i64::from(q.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("reading session records"))?
        .iter()
        .map(SessionRecord::from_row)
        .collect()
    }
}
