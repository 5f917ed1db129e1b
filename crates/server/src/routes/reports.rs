//! Company reports (F25) for staff with the `reports` permission: a summary of the sessions
//! over a range of days, and every session of the range as CSV.

use crate::auth::AgentAuth;
use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{ReportRange, SessionRecord, SessionSummary, SessionsQuery};
use time::{Date, Duration, OffsetDateTime};

use crate::error::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(summary)).routes(routes!(sessions_csv))
}

/// Days a report covers when the request names no start: the last 30, today included.
const DEFAULT_DAYS: i64 = 30;
/// Session records read from the database at a time while the CSV is written.
const CSV_PAGE: u32 = 500;

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD` (UTC days, both included) and `bucket=day`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RangeParams {
    /// The first day, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    from: Option<String>,
    /// The last day, `YYYY-MM-DD` (UTC), included; default: today.
    to: Option<String>,
    /// `day`, the only bucket.
    bucket: Option<String>,
}

fn bad(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message).field(field)
}

fn day(field: &'static str, text: Option<&str>) -> Result<Option<Date>, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    text.filter(|t| !t.is_empty())
        .map(|t| Date::parse(t, &format).map_err(|_| bad(field, "write a day as YYYY-MM-DD")))
        .transpose()
}

impl RangeParams {
    fn range(&self) -> Result<ReportRange, ApiError> {
        let to = day("to", self.to.as_deref())?.unwrap_or_else(|| OffsetDateTime::now_utc().date());
        let from = day("from", self.from.as_deref())?
            .unwrap_or_else(|| to - Duration::days(DEFAULT_DAYS - 1));
        if let Some(bucket) = self.bucket.as_deref().filter(|b| *b != "day") {
            return Err(bad(
                "bucket",
                format!("`{bucket}` is not a bucket; reports count by `day`"),
            ));
        }
        ReportRange::new(from, to).map_err(|e| bad("from", e.to_string()))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ReportSummary)]
struct Summary {
    from: String,
    to: String,
    bucket: &'static str,
    #[serde(flatten)]
    summary: SessionSummary,
}

/// `GET /reports/summary`: counts and times per day, agents, end reasons, blocked attempts.
#[utoipa::path(
    get,
    path = "/reports/summary",
    params(RangeParams),
    responses(
        (status = 200, description = "The company's sessions over the days, counted and timed in the database.", body = Summary),
        (status = 400, description = "`invalid_request`: a day that is not YYYY-MM-DD, a range that ends before it begins or is longer than 731 days, or a bucket other than `day` (`field` names it)", body = ErrorBody),
    )
)]
async fn summary(
    State(state): State<AppState>,
    auth: AgentAuth,
    Query(params): Query<RangeParams>,
) -> Result<Json<Summary>, ApiError> {
    let range = params.range()?;
    let summary = state.0.store.session_summary(&auth.agent.company, &range).await?;
    Ok(Json(Summary {
        from: range.from.to_string(),
        to: range.to.to_string(),
        bucket: "day",
        summary,
    }))
}

/// The CSV's columns, in order.
const CSV_HEADER: &str = "session_id,created_at,agent_id,joined_at,ended_at,wait_seconds,\
                          duration_seconds,end_reason,start_url,locale,reference\r\n";

/// `GET /reports/sessions.csv`: every session started in the range, oldest first, read from
/// the database a page at a time while the answer is sent.
#[utoipa::path(
    get,
    path = "/reports/sessions.csv",
    params(RangeParams),
    responses(
        (status = 200, description = "Every session started in the range, oldest first, as CSV (RFC 4180) with a header line.", content_type = "text/csv", body = String),
        (status = 400, description = "`invalid_request`: as for the summary (`field` names it)", body = ErrorBody),
    )
)]
async fn sessions_csv(
    State(state): State<AppState>,
    auth: AgentAuth,
    Query(params): Query<RangeParams>,
) -> Result<Response, ApiError> {
    let range = params.range()?;
    let store = state.0.store.clone();
    let company = auth.agent.company.clone();
    // The first page is read before the answer starts, so a database that cannot be reached
    // is a clear 503, not a cut-off file.
    let first = store
        .sessions_between(SessionsQuery {
            company: company.clone(),
            range,
            after: None,
            limit: CSV_PAGE,
        })
        .await?;
    let pages = futures_util::stream::unfold(
        (Some(first), Some(CSV_HEADER.to_owned())),
        move |(page, header)| {
            let (store, company) = (store.clone(), company.clone());
            async move {
                if let Some(header) = header {
                    return Some((Ok::<_, std::io::Error>(header), (page, None)));
                }
                let page = page?;
                if page.is_empty() {
                    return None;
                }
                let text: String = page.iter().map(csv_row).collect();
                let next = if page.len() < CSV_PAGE as usize {
                    Some(Vec::new())
                } else {
                    let last = page.last().map(|r| (r.created_at, r.id.clone()));
                    let query = SessionsQuery { company, range, after: last, limit: CSV_PAGE };
                    match store.sessions_between(query).await {
                        Ok(next) => Some(next),
                        Err(error) => {
                            tracing::warn!(%error, "Could not read the next page of a sessions CSV.");
                            return Some((
                                Err(std::io::Error::other("the database failed")),
                                (None, None),
                            ));
                        }
                    }
                };
                Some((Ok(text), (next, None)))
            }
        },
    );
    let name = format!("attachment; filename=\"sessions-{}-{}.csv\"", range.from, range.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(pages),
    )
        .into_response())
}

fn csv_row(r: &SessionRecord) -> String {
    let time = |t: Option<OffsetDateTime>| {
        t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default()
    };
    let seconds = |t: Option<OffsetDateTime>| {
        t.map(|t| format!("{:.3}", (t - r.created_at).as_seconds_f64())).unwrap_or_default()
    };
    let fields = [
        r.id.to_string(),
        time(Some(r.created_at)),
        r.agent.as_ref().map(ToString::to_string).unwrap_or_default(),
        time(r.joined_at),
        time(r.ended_at),
        seconds(r.joined_at),
        seconds(r.ended_at),
        r.end_reason.clone().unwrap_or_default(),
        r.start_url.clone(),
        r.locale.clone().unwrap_or_default(),
        r.reference.clone().unwrap_or_default(),
    ];
    let mut line = fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// A field as CSV writes it (RFC 4180): quoted when it holds a comma, quote or line break.
/// A field a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, return first)
/// gets a leading `'`, so opening the file runs nothing a page's address put there.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn ranges_default_to_the_last_30_days_and_refuse_nonsense() {
        let params = |from: Option<&str>, to: Option<&str>, bucket: Option<&str>| RangeParams {
            from: from.map(Into::into),
            to: to.map(Into::into),
            bucket: bucket.map(Into::into),
        };
        let r = params(None, Some("2026-12-31"), None).range().unwrap();
        assert_eq!(
            (r.from.to_string(), r.to.to_string()),
            ("2026-12-02".into(), "2026-12-31".into())
        );
        assert!(params(Some("2026-13-01"), None, None).range().is_err());
        assert!(params(Some("2026-12-02"), Some("2026-12-01"), None).range().is_err());
        assert!(params(None, None, Some("week")).range().is_err());
        assert!(params(None, None, Some("day")).range().is_ok());
    }
}
