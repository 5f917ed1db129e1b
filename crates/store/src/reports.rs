//! Company reports (F25): figures over a range of days, computed in the database (counts,
//! and medians and 90th percentiles by rank over window functions), so a year of sessions is
//! never loaded into memory. The statements are written once here over the two dialects'
//! expressions and placeholders.

use model::{AgentId, CompanyId};
use serde::Serialize;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::row::Row;
use crate::StoreError;

/// The longest range a report covers, in days.
pub const MAX_REPORT_DAYS: i64 = 731;
/// The most session records [`crate::Store::sessions_between`] returns at once.
pub const MAX_SESSION_PAGE: u32 = 1000;

/// Whole days, UTC, from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRange {
    pub from: Date,
    pub to: Date,
}

impl ReportRange {
    /// A range of at most [`MAX_REPORT_DAYS`] days, `from` not after `to`.
    pub fn new(from: Date, to: Date) -> Result<ReportRange, StoreError> {
        if from > to {
            return Err(StoreError::Invalid("the range ends before it begins".into()));
        }
        if (to - from).whole_days() + 1 > MAX_REPORT_DAYS {
            return Err(StoreError::Invalid(format!(
                "a report covers at most {MAX_REPORT_DAYS} days"
            )));
        }
        Ok(ReportRange { from, to })
    }

    /// The first instant of the range.
    pub fn start(&self) -> OffsetDateTime {
        self.from.with_time(Time::MIDNIGHT).assume_utc()
    }

    /// The first instant after the range.
    pub fn end(&self) -> OffsetDateTime {
        self.start() + Duration::days((self.to - self.from).whole_days() + 1)
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = Date> {
        let from = self.from;
        (0..=(self.to - from).whole_days()).map(move |n| from + Duration::days(n))
    }
}

/// The middle and the 90th percentile (nearest rank) of some times, in milliseconds;
/// `None` without any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Spread {
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

/// Figures of one day, or of the whole range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Sessions started.
    pub sessions: i64,
    /// Of them, those an agent joined.
    pub joined: i64,
    /// From start to end, of the sessions that ended.
    pub duration: Spread,
    /// From start until the first agent joined, of the sessions joined.
    pub wait: Spread,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayFigures {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Sessions an agent was the first to join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AgentFigures {
    pub agent: AgentId,
    /// `None` when the agent was deleted since.
    pub name: Option<String>,
    pub sessions: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReasonFigures {
    pub reason: String,
    pub sessions: i64,
}

/// A company's sessions over a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SessionSummary {
    pub totals: Figures,
    /// Every day of the range, those without sessions too.
    pub days: Vec<DayFigures>,
    /// Most sessions first.
    pub agents: Vec<AgentFigures>,
    /// Most sessions first.
    pub end_reasons: Vec<ReasonFigures>,
    /// Agents' inputs the page's guard refused (blocked controls, masked fields).
    pub blocked_attempts: i64,
}

/// A dialect's spelling of what the statements need.
pub(crate) struct Dialect {
    /// The three parameters: company, start, end.
    pub(crate) params: [&'static str; 3],
    /// Days since the epoch of `created_at`.
    pub(crate) day: &'static str,
    /// Milliseconds from `created_at` to `{column}`.
    pub(crate) since_created: fn(&str) -> String,
}

const WHERE: &str = "company_id = {company} AND created_at >= {start} AND created_at < {end}";

impl Dialect {
    fn fill(&self, sql: &str) -> String {
        sql.replace("{where}", WHERE)
            .replace("{company}", self.params[0])
            .replace("{start}", self.params[1])
            .replace("{end}", self.params[2])
            .replace("{day}", self.day)
    }

    /// Sessions and joined sessions per group: columns `g`, `sessions`, `joined`.
    fn counts(&self, by_day: bool) -> String {
        let group = if by_day { "{day}" } else { "CAST(0 AS BIGINT)" };
        self.fill(&format!(
            "SELECT {group} AS g, COUNT(*) AS sessions, COUNT(joined_at) AS joined \
             FROM sessions WHERE {{where}} GROUP BY 1"
        ))
    }

    /// The median and 90th percentile (nearest rank) from `created_at` to `column` per
    /// group: columns `g`, `median`, `p90`.
    fn spread(&self, column: &str, by_day: bool) -> String {
        let group = if by_day { "{day}" } else { "CAST(0 AS BIGINT)" };
        let value = (self.since_created)(column);
        self.fill(&format!(
            "WITH v AS (SELECT {group} AS g, {value} AS v FROM sessions \
               WHERE {{where}} AND {column} IS NOT NULL), \
             r AS (SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn, \
               COUNT(*) OVER (PARTITION BY g) AS n FROM v) \
             SELECT g, MAX(CASE WHEN rn = (n + 1) / 2 THEN v END) AS median, \
               MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN v END) AS p90 \
             FROM r GROUP BY g"
        ))
    }

    /// Sessions per first agent: columns `agent_id`, `name`, `sessions`.
    fn agents(&self) -> String {
        self.fill(
            "SELECT s.agent_id AS agent_id, a.name AS name, COUNT(*) AS sessions \
             FROM sessions s LEFT JOIN agents a ON a.id = s.agent_id \
             WHERE s.company_id = {company} AND s.created_at >= {start} AND s.created_at < {end} \
             AND s.agent_id IS NOT NULL \
             GROUP BY s.agent_id, a.name ORDER BY sessions DESC, s.agent_id",
        )
    }

    /// Sessions per end reason: columns `reason`, `sessions`.
    fn end_reasons(&self) -> String {
        self.fill(
            "SELECT end_reason AS reason, COUNT(*) AS sessions FROM sessions \
             WHERE {where} AND end_reason IS NOT NULL \
             GROUP BY end_reason ORDER BY sessions DESC, end_reason",
        )
    }

    /// Refused agent inputs in the audit log: column `n`.
    fn blocked(&self) -> String {
        self.fill(
            "SELECT COUNT(*) AS n FROM audit_events WHERE company_id = {company} \
             AND kind = 'agent_input_refused' AND at >= {start} AND at < {end}",
        )
    }
}

impl Dialect {
    /// The statements of a summary, in the order [`summary`] takes their rows.
    pub(crate) fn summary_statements(&self) -> [String; 9] {
        [
            self.counts(true),
            self.spread("ended_at", true),
            self.spread("joined_at", true),
            self.counts(false),
            self.spread("ended_at", false),
            self.spread("joined_at", false),
            self.agents(),
            self.end_reasons(),
            self.blocked(),
        ]
    }
}

fn counts(rows: &[impl Row]) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    rows.iter().map(|r| Ok((r.int("g")?, r.int("sessions")?, r.int("joined")?))).collect()
}

fn spreads(rows: &[impl Row]) -> Result<Vec<(i64, Spread)>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok((r.int("g")?, Spread { median_ms: r.opt_int("median")?, p90_ms: r.opt_int("p90")? }))
        })
        .collect()
}

/// The summary from the rows of [`Dialect::summary_statements`], in their order.
pub(crate) fn summary<R: Row>(
    range: &ReportRange,
    rows: [Vec<R>; 9],
) -> Result<SessionSummary, StoreError> {
    let [day_counts, day_durations, day_waits, total, total_duration, total_wait, agents, reasons, blocked] =
        rows;
    let total = counts(&total)?;
    let first_spread =
        |rows: &[R]| spreads(rows).map(|s| s.first().map(|t| t.1).unwrap_or_default());
    Ok(SessionSummary {
        totals: Figures {
            sessions: total.first().map_or(0, |t| t.1),
            joined: total.first().map_or(0, |t| t.2),
            duration: first_spread(&total_duration)?,
            wait: first_spread(&total_wait)?,
        },
        days: by_day(
            range,
            &counts(&day_counts)?,
            &spreads(&day_durations)?,
            &spreads(&day_waits)?,
        ),
        agents: agents
            .iter()
            .map(|r| {
                Ok(AgentFigures {
                    agent: r.id("agent_id")?,
                    name: r.opt_text("name")?,
                    sessions: r.int("sessions")?,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        end_reasons: reasons
            .iter()
            .map(|r| Ok(ReasonFigures { reason: r.text("reason")?, sessions: r.int("sessions")? }))
            .collect::<Result<_, StoreError>>()?,
        blocked_attempts: blocked.first().map(|r| r.int("n")).transpose()?.unwrap_or(0),
    })
}

/// Puts the per-day rows into a summary with every day of the range.
fn by_day(
    range: &ReportRange,
    counts: &[(i64, i64, i64)],
    durations: &[(i64, Spread)],
    waits: &[(i64, Spread)],
) -> Vec<DayFigures> {
    let epoch = Date::from_calendar_date(1970, time::Month::January, 1).expect("a valid date");
    range
        .days()
        .map(|day| {
            let n = (day - epoch).whole_days();
            let (sessions, joined) =
                counts.iter().find(|c| c.0 == n).map_or((0, 0), |c| (c.1, c.2));
            let spread = |rows: &[(i64, Spread)]| {
                rows.iter().find(|r| r.0 == n).map(|r| r.1).unwrap_or_default()
            };
            DayFigures {
                day: day.to_string(),
                figures: Figures {
                    sessions,
                    joined,
                    duration: spread(durations),
                    wait: spread(waits),
                },
            }
        })
        .collect()
}

/// Who asks for a page of session records.
#[derive(Debug, Clone)]
pub struct SessionsQuery {
    pub company: CompanyId,
    pub range: ReportRange,
    /// The last record of the page before: `created_at` and id.
    pub after: Option<(OffsetDateTime, model::SessionId)>,
    pub limit: u32,
}

impl SessionsQuery {
    pub(crate) fn validated(self) -> Result<SessionsQuery, StoreError> {
        if !(1..=MAX_SESSION_PAGE).contains(&self.limit) {
            return Err(StoreError::Invalid(format!(
                "a page holds 1 to {MAX_SESSION_PAGE} sessions"
            )));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn ranges_are_whole_utc_days_and_bounded() {
        let r = ReportRange::new(date!(2026 - 11 - 30), date!(2026 - 12 - 02)).unwrap();
        assert_eq!(r.days().count(), 3);
        assert_eq!(r.start().unix_timestamp(), 1_795_996_800);
        assert_eq!((r.end() - r.start()).whole_hours(), 72);
        assert!(ReportRange::new(date!(2026 - 12 - 02), date!(2026 - 12 - 01)).is_err());
        assert!(ReportRange::new(date!(2025 - 01 - 01), date!(2026 - 12 - 31)).is_ok());
        assert!(ReportRange::new(date!(2025 - 01 - 01), date!(2027 - 01 - 02)).is_err());
    }
}
