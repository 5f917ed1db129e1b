//! The company's audit log for its administrators (F29): who did what, when, filtered and a
//! page at a time.

use std::collections::HashMap;

use crate::auth::AdminAuth;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, ErrorCode};
use axum::extract::{Query, State};
use axum::Json;
use model::AgentId;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// How many events a page holds when the request does not say.
const DEFAULT_PAGE: u32 = 50;

/// `GET /audit?agent=&kind=&from=&to=&after=&limit=`; every filter may be left out.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Who: an agent's id, or their email.
    agent: Option<String>,
    /// What: an event kind, e.g. `company_settings_changed`.
    kind: Option<String>,
    /// When: from this time (RFC 3339), inclusive.
    from: Option<String>,
    /// When: until this time (RFC 3339), exclusive.
    to: Option<String>,
    /// The `next` of the page before.
    after: Option<String>,
    limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct AuditList {
    events: Vec<Entry>,
    /// Pass as `after` for the next page; `null` on the last one.
    next: Option<String>,
    /// Every kind of event the log can hold, for a filter's choices.
    kinds: Vec<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
struct Entry {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    kind: String,
    agent: Option<Who>,
    session: Option<String>,
    detail: serde_json::Value,
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
#[schema(as = AuditAgent)]
struct Who {
    id: String,
    /// `None` when the agent was deleted since.
    name: Option<String>,
    email: Option<String>,
}

fn bad(field: &'static str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message).field(field)
}

fn time_param(field: &'static str, text: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            OffsetDateTime::parse(t, &Rfc3339)
                .map_err(|_| bad(field, "write a time as RFC 3339, e.g. 2026-12-03T10:00:00Z"))
        })
        .transpose()
}

/// The company's audit log, filtered, a page at a time.
#[utoipa::path(
    get,
    path = "/audit",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of the company's audit log, newest first.", body = AuditList),
        (status = 400, description = "`invalid_request`: a filter that is not understood (`field` names it)", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    auth: AdminAuth,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditList>, ApiError> {
    let store = &state.0.store;
    let company = auth.agent.company.clone();
    let empty = || Json(AuditList { events: Vec::new(), next: None, kinds: kinds() });
    // Who: an id, or an email of the company's; someone of no company of ours matches nothing.
    let agent = match params.agent.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(who) if who.contains('@') => match store.agent_credentials(who).await? {
            Some((agent, _)) if agent.company == company => Some(agent.id),
            _ => return Ok(empty()),
        },
        Some(who) => Some(
            who.parse::<AgentId>()
                .map_err(|_| bad("agent", "name an agent by their id or email"))?,
        ),
    };
    let kind = params.kind.filter(|k| !k.is_empty());
    if let Some(kind) = &kind {
        if !model::AuditKind::ALL.iter().any(|k| k.as_str() == kind) {
            return Err(bad("kind", "there is no event of this kind"));
        }
    }
    let after = params
        .after
        .filter(|a| !a.is_empty())
        .map(|a| a.parse().map_err(|()| bad("after", "pass the `next` of the page before")))
        .transpose()?;
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=store::MAX_AUDIT_PAGE).contains(&limit) {
        return Err(bad("limit", &format!("a page holds 1 to {} events", store::MAX_AUDIT_PAGE)));
    }
    let page = store
        .audit_page(store::AuditQuery {
            company: company.clone(),
            agent,
            kind,
            from: time_param("from", params.from.as_deref())?,
            to: time_param("to", params.to.as_deref())?,
            after,
            limit,
        })
        .await?;
    let mut people: HashMap<AgentId, Who> = HashMap::new();
    let mut events = Vec::with_capacity(page.events.len());
    for event in page.events {
        let who = match event.agent {
            None => None,
            Some(id) => Some(match people.get(&id) {
                Some(who) => who.clone(),
                None => {
                    let found = store.agent(&id).await?.filter(|a| a.company == company);
                    let who = Who {
                        id: id.to_string(),
                        name: found.as_ref().map(|a| a.name.clone()),
                        email: found.map(|a| a.email),
                    };
                    people.insert(id, who.clone());
                    who
                }
            }),
        };
        events.push(Entry {
            at: event.at,
            kind: event.kind,
            agent: who,
            session: event.session.map(|s| s.to_string()),
            detail: event.detail,
        });
    }
    Ok(Json(AuditList { events, next: page.next.map(|c| c.to_string()), kinds: kinds() }))
}

fn kinds() -> Vec<&'static str> {
    model::AuditKind::ALL.iter().map(|k| k.as_str()).collect()
}
