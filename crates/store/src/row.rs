//! Reading a row the same way from either backend, so each table's row-to-type code is written
//! once (in the table's own module) and each backend only says how its columns decode.
//!
//! SQLite keeps times as unix milliseconds and JSON as text; PostgreSQL as `timestamptz` and
//! `jsonb`. Both hand back the same `OffsetDateTime` (UTC, millisecond precision) and
//! `serde_json::Value`.

use std::str::FromStr;

use time::OffsetDateTime;

use crate::StoreError;

/// The columns of one result row, decoded into the store's types.
pub(crate) trait Row {
    fn text(&self, column: &'static str) -> Result<String, StoreError>;
    fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError>;
    fn int(&self, column: &'static str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError>;
    fn time(&self, column: &'static str) -> Result<OffsetDateTime, StoreError>;
    fn opt_time(&self, column: &'static str) -> Result<Option<OffsetDateTime>, StoreError>;
    fn json(&self, column: &'static str) -> Result<serde_json::Value, StoreError>;
    fn opt_json(&self, column: &'static str) -> Result<Option<serde_json::Value>, StoreError>;

    /// A typed id (`CompanyId`, `AgentId`, …) kept as text.
    fn id<T: FromStr>(&self, column: &'static str) -> Result<T, StoreError> {
        parse_id(column, self.text(column)?)
    }

    fn opt_id<T: FromStr>(&self, column: &'static str) -> Result<Option<T>, StoreError> {
        self.opt_text(column)?.map(|s| parse_id(column, s)).transpose()
    }

    /// A value with a `FromStr` that names what is wrong (`AgentRole`, `RuleKind`).
    fn parsed<T: FromStr<Err = String>>(&self, column: &'static str) -> Result<T, StoreError> {
        T::from_str(&self.text(column)?).map_err(StoreError::Corrupt)
    }
}

fn parse_id<T: FromStr>(column: &'static str, s: String) -> Result<T, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt(format!("column {column} holds the id `{s}`")))
}

/// One column of a backend's row, decoded as that backend decodes `T`.
pub(crate) fn get<'r, R, T>(row: &'r R, column: &'static str) -> Result<T, StoreError>
where
    R: sqlx::Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    &'static str: sqlx::ColumnIndex<R>,
{
    row.try_get(column).map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

// Times: the store keeps milliseconds, on both backends.

/// Unix milliseconds, rounded down (also before 1970).
pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000))
        .expect("a time representable by OffsetDateTime fits in i64 milliseconds")
}

pub(crate) fn from_ms(ms: i64, column: &'static str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| StoreError::Corrupt(format!("column {column} holds the time {ms}")))
}

/// The same instant in UTC, rounded down to the millisecond: what either backend gives back.
pub(crate) fn to_stored(t: OffsetDateTime) -> OffsetDateTime {
    from_ms(to_ms(t), "").expect("a time rounded down to its millisecond is still a valid time")
}

/// The current time at the precision the store keeps, so what is returned equals what is read.
pub(crate) fn now() -> OffsetDateTime {
    to_stored(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_round_down_to_the_millisecond_in_utc() {
        let t = datetime!(2024-03-31 02:30:00.123_999_999 +05:45);
        let stored = to_stored(t);
        assert_eq!(stored, datetime!(2024-03-30 20:45:00.123 UTC));
        assert_eq!(stored.offset(), time::UtcOffset::UTC);
        let before_1970 = datetime!(1969-12-31 23:59:59.999_5 UTC);
        assert_eq!(to_ms(before_1970), -1);
        assert_eq!(to_stored(before_1970), datetime!(1969-12-31 23:59:59.999 UTC));
    }
}
