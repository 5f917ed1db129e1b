//! The one-line embed's API (F22): what `/embed.js` on a company's own site calls, across
//! origins. Every request must come from one of the company's `embed_origins` (its `Origin`
//! header); only then does the answer carry CORS headers, so no other site can read it. No
//! cookies are used: the customer's session token travels in `Authorization`.

use crate::auth::ApiJson;
use crate::client::Client;
use crate::error::{ApiError, ErrorBody};
use crate::routes::sessions::{self, CreateBody};
use crate::{AppState, ErrorCode};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(config))
        .routes(routes!(config_preflight))
        .routes(routes!(start))
        .routes(routes!(start_preflight))
        .routes(routes!(status))
        .routes(routes!(status_preflight))
        .routes(routes!(end))
        .routes(routes!(end_preflight))
}

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE_SECS: &str = "600";

/// The company of the path and the request's origin, when that origin is one of the
/// company's embed origins. Anything else is `403 origin_not_allowed`, answered without CORS
/// headers (the page cannot read it; the script says so in the console).
async fn allowed(
    state: &AppState,
    slug: &str,
    headers: &HeaderMap,
) -> Result<(store::Company, HeaderValue), ApiError> {
    let refused = || {
        ApiError::new(
            ErrorCode::OriginNotAllowed,
            "this site is not one of the company's embed origins; an administrator adds it \
             under Policies in beside's admin console",
        )
    };
    let origin = headers.get(header::ORIGIN).ok_or_else(refused)?;
    let company = state.0.store.company_by_slug(slug).await?.ok_or_else(refused)?;
    let text = origin.to_str().map_err(|_| refused())?;
    if !policy::embed::origin_allowed(&company.embed_origins, text) {
        metrics::counter!("beside_requests_refused_total", "reason" => "embed_origin").increment(1);
        return Err(refused());
    }
    Ok((company, origin.clone()))
}

/// Adds the CORS headers for `origin` (an allowed one) to an answer, error or not.
fn with_cors(origin: HeaderValue, res: impl IntoResponse) -> Response {
    let mut res = res.into_response();
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    res
}

/// A browser asks before a request with a JSON body or a token (`OPTIONS`).
async fn preflight(state: &AppState, slug: &str, headers: &HeaderMap) -> Response {
    match allowed(state, slug, headers).await {
        Ok((_, origin)) => {
            let mut res = with_cors(origin, StatusCode::NO_CONTENT);
            let h = res.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECS),
            );
            res
        }
        Err(e) => e.into_response(),
    }
}

/// The CORS preflight of `GET /embed/{slug}`.
#[utoipa::path(options, path = "/embed/{slug}", params(("slug" = String, Path, description = "The company's slug.")), responses((status = 204, description = "Allowed: the CORS headers for this origin."), (status = 403, description = "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins (answered without CORS headers)", body = ErrorBody)))]
async fn config_preflight(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    preflight(&state, &slug, &headers).await
}

/// The CORS preflight of a start.
#[utoipa::path(options, path = "/embed/{slug}/sessions", params(("slug" = String, Path, description = "The company's slug.")), responses((status = 204, description = "Allowed: the CORS headers for this origin."), (status = 403, description = "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins (answered without CORS headers)", body = ErrorBody)))]
async fn start_preflight(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    preflight(&state, &slug, &headers).await
}

/// The CORS preflight of a session's state.
#[utoipa::path(options, path = "/embed/{slug}/sessions/{id}", params(("slug" = String, Path, description = "The company's slug."), ("id" = model::SessionId, Path, description = "The session's id.")), responses((status = 204, description = "Allowed: the CORS headers for this origin."), (status = 403, description = "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins (answered without CORS headers)", body = ErrorBody)))]
async fn status_preflight(
    State(state): State<AppState>,
    Path((slug, _id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    preflight(&state, &slug, &headers).await
}

/// The CORS preflight of an end.
#[utoipa::path(options, path = "/embed/{slug}/sessions/{id}/end", params(("slug" = String, Path, description = "The company's slug."), ("id" = model::SessionId, Path, description = "The session's id.")), responses((status = 204, description = "Allowed: the CORS headers for this origin."), (status = 403, description = "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins (answered without CORS headers)", body = ErrorBody)))]
async fn end_preflight(
    State(state): State<AppState>,
    Path((slug, _id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    preflight(&state, &slug, &headers).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ConfigQuery {
    /// The page's language (`en`, `de`, `nl`, `pt`, `es`); anything else is English.
    lang: Option<String>,
}

/// What the script needs to draw its launcher and panel.
#[derive(Serialize, ToSchema)]
#[schema(as = EmbedConfig)]
struct Config {
    name: String,
    logo_url: Option<String>,
    colors: BTreeMap<String, String>,
    /// The script's words in the page's language (`embed.*` of the catalogues).
    texts: BTreeMap<String, String>,
    lang: &'static str,
    /// The script's stylesheet, with its version.
    stylesheet: String,
}

/// The launcher's settings: the company's name, logo and colours, and the script's words in
/// the page's language.
#[utoipa::path(
    get,
    path = "/embed/{slug}",
    params(("slug" = String, Path, description = "The company's slug."), ConfigQuery),
    responses((status = 200, description = "What the launcher shows.", body = Config), (status = 403, description = "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins (answered without CORS headers)", body = ErrorBody))
)]
async fn config(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<ConfigQuery>,
    headers: HeaderMap,
) -> Response {
    let (company, origin) = match allowed(&state, &slug, &headers).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let lang = crate::assets::embed_language(query.lang.as_deref());
    let body = Config {
        name: company.name.clone(),
        logo_url: super::company::logo_url(&company),
        colors: company.branding.colors.clone(),
        texts: crate::assets::embed_texts(lang),
        lang,
        stylesheet: format!("/embed.css?v={}", crate::assets::embed_version()),
    };
    with_cors(origin, Json(body))
}

/// `POST /embed/{slug}/sessions`: the script starts a session at the page it is on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EmbedStart)]
struct StartBody {
    /// The embedding page's address; it must be on the request's origin. A page the
    /// company's navigation lists refuse starts at the company's start page instead.
    start_url: String,
    languages: Option<Vec<String>>,
    time_zone: Option<String>,
    reference: Option<String>,
    start_token: Option<String>,
}

/// The script starts a session at the page it is on (`start_url`, on the request's origin).
#[utoipa::path(
    post,
    path = "/embed/{slug}/sessions",
    params(("slug" = String, Path, description = "The company's slug.")),
    request_body = StartBody,
    responses(
        (status = 201, description = "The session started.", body = sessions::Created),
        (status = 400, description = "`invalid_start_url`: not a page of the asking origin; `invalid_reference`; `invalid_request`", body = ErrorBody),
        (status = 401, description = "`start_token_required`, `start_token_expired`, `start_token_invalid`", body = ErrorBody),
        (status = 403, description = "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins (answered without CORS headers)", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`at_capacity`; `not_ready`", body = ErrorBody),
    )
)]
async fn start(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    client: Client,
    headers: HeaderMap,
    body: Result<ApiJson<StartBody>, ApiError>,
) -> Response {
    let (company, origin) = match allowed(&state, &slug, &headers).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let res = async {
        let ApiJson(body) = body?;
        let page = page_url(&body.start_url, origin.to_str().unwrap_or_default())?;
        let lists = policy::domains::DomainLists::parse(
            &company.navigation.allow,
            &company.navigation.deny,
        )
        .map_err(|e| ApiError::internal(&e))?;
        // The company's lists have the last word: a page they refuse is not opened.
        let start_url = lists.decide_url(&page).is_ok().then(|| page.to_string());
        let create = CreateBody {
            company: company.slug.clone(),
            start_url,
            locale: None,
            languages: body.languages,
            time_zone: body.time_zone,
            start_token: body.start_token,
            reference: body.reference,
        };
        sessions::start(&state, &client, company, create).await
    }
    .await;
    match res {
        Ok(created) => with_cors(origin, (StatusCode::CREATED, Json(created))),
        Err(e) => with_cors(origin, e),
    }
}

/// The embedding page's address: a web address on the request's own origin.
fn page_url(text: &str, origin: &str) -> Result<url::Url, ApiError> {
    let invalid = |why: String| ApiError::new(ErrorCode::InvalidStartUrl, why).field("start_url");
    let url = policy::navigation::check_url(text).map_err(|e| invalid(e.to_string()))?;
    if url.origin().ascii_serialization() != origin {
        return Err(invalid("the start address is not a page of the site that asks".into()));
    }
    Ok(url)
}

/// Where the script's session is: `waiting` for an agent, `active`, or `ended`.
#[derive(Serialize, ToSchema)]
#[schema(as = EmbedSessionState)]
struct Status {
    state: &'static str,
    end_reason: Option<String>,
}

/// Where the session is, for the panel (the customer's token).
#[utoipa::path(
    get,
    path = "/embed/{slug}/sessions/{id}",
    params(("slug" = String, Path, description = "The company's slug."), ("id" = model::SessionId, Path, description = "The session's id.")),
    security(("participant_token" = [])),
    responses(
        (status = 200, description = "The session's state.", body = Status),
        (status = 401, description = "`invalid_token`: not the customer's token of this session", body = ErrorBody),
        (status = 403, description = "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins (answered without CORS headers)", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
    )
)]
async fn status(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    bearer: Result<crate::auth::Bearer, ApiError>,
) -> Response {
    let (company, origin) = match allowed(&state, &slug, &headers).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let res = async {
        let crate::auth::Bearer(token) = bearer?;
        let holder = customer_of(&state, &company, &id, &token).await?;
        let live = match state.0.registry.session(&holder.session) {
            Some(handle) => handle.snapshot().await,
            None => None,
        };
        Ok::<_, ApiError>(match live.map(|snap| snap.state) {
            Some(session::SessionState::Waiting) => Status { state: "waiting", end_reason: None },
            Some(session::SessionState::Active) => Status { state: "active", end_reason: None },
            None => {
                let record = state.0.store.session(&holder.session).await?;
                Status { state: "ended", end_reason: record.and_then(|r| r.end_reason) }
            }
        })
    }
    .await;
    match res {
        Ok(body) => with_cors(origin, Json(body)),
        Err(e) => with_cors(origin, e),
    }
}

/// The customer ends the session from the panel (their token).
#[utoipa::path(
    post,
    path = "/embed/{slug}/sessions/{id}/end",
    params(("slug" = String, Path, description = "The company's slug."), ("id" = model::SessionId, Path, description = "The session's id.")),
    security(("participant_token" = [])),
    responses(
        (status = 204, description = "The session ends."),
        (status = 401, description = "`invalid_token`: not the customer's token of this session", body = ErrorBody),
        (status = 403, description = "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins (answered without CORS headers)", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
    )
)]
async fn end(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    bearer: Result<crate::auth::Bearer, ApiError>,
) -> Response {
    let (company, origin) = match allowed(&state, &slug, &headers).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let res = async {
        let crate::auth::Bearer(token) = bearer?;
        customer_of(&state, &company, &id, &token).await?;
        sessions::end_by_token(&state, &id, &token).await
    }
    .await;
    match res {
        Ok(()) => with_cors(origin, StatusCode::NO_CONTENT),
        Err(e) => with_cors(origin, e),
    }
}

/// The customer of session `id` of `company`, by their token; anyone else is refused as a
/// wrong token.
async fn customer_of(
    state: &AppState,
    company: &store::Company,
    id: &str,
    token: &str,
) -> Result<session::TokenHolder, ApiError> {
    let wrong = || ApiError::new(ErrorCode::InvalidToken, "this token does not open this session");
    let holder = sessions::holder_of(state, id, token).await?;
    if holder.role != model::Role::Customer {
        return Err(wrong());
    }
    let record = state.0.store.session(&holder.session).await?.ok_or_else(wrong)?;
    if record.company != company.id {
        return Err(wrong());
    }
    Ok(holder)
}
