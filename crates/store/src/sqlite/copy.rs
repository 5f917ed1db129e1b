//! `beside db copy` in SQLite: reading a table in the order its rows were made (rowid), and
//! writing copied rows in one transaction.

use futures_util::stream::BoxStream;
use sqlx::QueryBuilder;

use super::{ms, Sqlite};
use crate::copy::{count_rows, stream_rows, Table, Value};
use crate::StoreError;

type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

impl Sqlite {
    /// `SELECT` for a table's rows, oldest first.
    pub(crate) fn copy_select(table: &Table) -> String {
        format!("SELECT {} FROM {} ORDER BY rowid", table.column_list(), table.name)
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

    /// Every (table, column) of the database.
    pub(crate) async fn table_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        sqlx::query_as(
            "SELECT m.name, c.name FROM sqlite_schema m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("listing the database's tables"))
    }

    pub(crate) async fn begin_copy(&self) -> Result<CopyWriter, StoreError> {
        Ok(CopyWriter(self.begin_write("copying into the database").await?))
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
                    Value::Json(v) => row_values.push_bind(v.as_ref().map(|v| v.to_string())),
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

    pub(crate) async fn finish(self) -> Result<(), StoreError> {
        self.0.commit().await.map_err(StoreError::database("committing the copy"))
    }
}
