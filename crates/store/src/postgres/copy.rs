//! `beside db copy` in PostgreSQL: reading a table in the order its rows were made, and writing
//! copied rows in one transaction (moving the audit log's id sequence past the copied ids).

use futures_util::stream::BoxStream;
use sqlx::types::Json;
use sqlx::QueryBuilder;

use super::{ms, Postgres};
use crate::copy::{count_rows, stream_rows, Table, Value};
use crate::StoreError;

type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

/// Columns PostgreSQL keeps for itself and `beside db copy` leaves out (the target makes its
/// own): `company_rules.seq` and `rule_drafts.seq` order rows made within one millisecond, as
/// rowid does in SQLite.
const OWN_COLUMNS: &[(&str, &str)] = &[("company_rules", "seq"), ("rule_drafts", "seq")];

impl Postgres {
    /// `SELECT` for a table's rows, oldest first where the order means something.
    pub(crate) fn copy_select(table: &Table) -> String {
        let order = match table.name {
            "company_rules" | "rule_drafts" => "seq",
            "audit_events" => "id",
            // Rows of the other tables are found by their keys; any order will do.
            _ => "1",
        };
        format!("SELECT {} FROM {} ORDER BY {order}", table.column_list(), table.name)
    }

    pub(crate) fn copy_rows<'a>(
        &'a self,
        sql: &'a str,
        table: &'static Table,
    ) -> BoxStream<'a, Result<Vec<Value>, StoreError>> {
        stream_rows(&self.pool, sql, table)
    }

    pub(crate) async fn count_rows(&self, table: &Table) -> Result<u64, StoreError> {
        count_rows(&self.pool, table).await
    }

    /// Every (table, column) of the database's schema, but PostgreSQL's own (`OWN_COLUMNS`).
    pub(crate) async fn table_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let all: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema()",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("listing the database's tables"))?;
        Ok(all
            .into_iter()
            .filter(|(t, c)| !OWN_COLUMNS.contains(&(t.as_str(), c.as_str())))
            .collect())
    }

    pub(crate) async fn begin_copy(&self) -> Result<CopyWriter, StoreError> {
        let tx =
            self.pool.begin().await.map_err(StoreError::database("copying into the database"))?;
        Ok(CopyWriter(tx))
    }
}

/// The target side of a copy: one transaction, committed by `finish`.
pub(crate) struct CopyWriter(Tx);

impl CopyWriter {
    pub(crate) async fn insert(
        &mut self,
        table: &Table,
        rows: &[Vec<Value>],
    ) -> Result<(), StoreError> {
        let mut query =
            QueryBuilder::new(format!("INSERT INTO {} ({}) ", table.name, table.column_list()));
        query.push_values(rows, |mut row_values, row| {
            for value in row {
                match value {
                    Value::Text(v) => row_values.push_bind(v.clone()),
                    Value::Int(v) => row_values.push_bind(*v),
                    Value::Time(v) => row_values.push_bind(v.map(ms)),
                    Value::Json(v) => row_values.push_bind(v.clone().map(Json)),
                };
            }
        });
        query
            .build()
            .execute(&mut *self.0)
            .await
            .map_err(StoreError::database("writing copied rows"))?;
        Ok(())
    }

    pub(crate) async fn count(&mut self, table: &Table) -> Result<u64, StoreError> {
        count_rows(&mut *self.0, table).await
    }

    pub(crate) async fn finish(mut self) -> Result<(), StoreError> {
        // Copied events kept their ids; new ones must come after them.
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('audit_events', 'id'), \
             COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM audit_events",
        )
        .execute(&mut *self.0)
        .await
        .map_err(StoreError::database("moving the audit log's ids past the copied ones"))?;
        self.0.commit().await.map_err(StoreError::database("committing the copy"))
    }
}
