//! Point-and-click rules (F20): an administrator opens an address in a rule-picking session of
//! their own (`session::Registry::open_picker`), points at an element, and gets a selector
//! proposed for it (`policy::selector`) with what it finds on the page. Every route is the
//! opening administrator's: anyone else's session, or one that ended, is `404`.

use crate::auth::{AdminAuth, ApiJson};
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use model::{Rect, SessionId};
use protocol::EndReason;
use serde::{Deserialize, Serialize};
use session::{ProbeError, SessionError, SessionHandle};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open))
        .routes(routes!(close))
        .routes(routes!(preview))
        .routes(routes!(inspect))
        .routes(routes!(matches))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PickerStart)]
struct OpenBody {
    url: String,
    /// The administrator's languages, as the page should see them.
    #[serde(default)]
    languages: Vec<String>,
}

/// `POST /picker`: the session, and the administrator's token for its view.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PickerOpened)]
struct Opened {
    session_id: SessionId,
    token: String,
}

/// Opens a rule-picking session: the administrator's own cloud browser at `url`.
#[utoipa::path(
    post,
    path = "/picker",
    request_body = OpenBody,
    responses(
        (status = 201, description = "The rule-picking session, and the administrator's token for its customer seat.", body = Opened),
        (status = 400, description = "`invalid_request`: a `url` or language that is not accepted", body = ErrorBody),
        (status = 503, description = "`at_capacity`: no cloud browser free", body = ErrorBody),
    )
)]
async fn open(
    State(state): State<AppState>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<OpenBody>,
) -> Result<(StatusCode, Json<Opened>), ApiError> {
    let url = policy::navigation::check_url(body.url.trim())
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("url: {e}")))?;
    let locale = policy::locale::parse(&body.languages, None).unwrap_or_default();
    let opened =
        state.0.registry.open_picker(&auth.agent, url, locale).await.map_err(|e| match e {
            SessionError::AtCapacity | SessionError::TooManyWaiting => ApiError::new(
                ErrorCode::AtCapacity,
                "the cloud browser is full right now; try again in a few minutes",
            ),
            SessionError::Store(e) => e.into(),
            other => ApiError::internal(&other),
        })?;
    let body = Opened { session_id: opened.session_id, token: opened.token.expose().clone() };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Ends a rule-picking session.
#[utoipa::path(
    delete,
    path = "/picker/{id}",
    params(("id" = SessionId, Path, description = "The rule-picking session's id.")),
    responses(
        (status = 204, description = "Ended."),
        (status = 404, description = "`not_found`: no such rule-picking session of this administrator", body = ErrorBody),
    )
)]
async fn close(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    picker(&state, &auth, &id)?.end(EndReason::CustomerEnded).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /picker/{id}/preview`: a token for the same page as an agent sees it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PickerPreview)]
struct Preview {
    token: String,
}

/// A seat as an agent in the rule-picking session, to see the page as agents do.
#[utoipa::path(
    post,
    path = "/picker/{id}/preview",
    params(("id" = SessionId, Path, description = "The rule-picking session's id.")),
    responses(
        (status = 200, description = "A token for an agent's seat in the same session: its frames are masked as an agent's.", body = Preview),
        (status = 404, description = "`not_found`: no such rule-picking session of this administrator", body = ErrorBody),
    )
)]
async fn preview(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<Json<Preview>, ApiError> {
    let id = SessionId::parse(&id).map_err(|_| not_found())?;
    let token = state.0.registry.preview_as_agent(&id, &auth.agent).await.ok_or_else(not_found)?;
    Ok(Json(Preview { token: token.expose().clone() }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ViewPoint)]
struct Point {
    x: f64,
    y: f64,
}

/// One element of the chain pointed at: the selector proposed for it, and where it is.
#[derive(Serialize, utoipa::ToSchema)]
struct Candidate {
    selector: String,
    tag: String,
    rect: Rect,
}

/// `POST /picker/{id}/inspect`: the element at a point of the view and its ancestors, each
/// with the selector proposed for it, nearest first; what the first one's selector finds.
#[derive(Serialize, utoipa::ToSchema)]
struct Inspection {
    candidates: Vec<Candidate>,
    matches: Option<Matches>,
}

/// The element at a point of the view and its ancestors, with the selector proposed for each.
#[utoipa::path(
    post,
    path = "/picker/{id}/inspect",
    params(("id" = SessionId, Path, description = "The rule-picking session's id.")),
    request_body = Point,
    responses(
        (status = 200, description = "The element at the point and its ancestors, each with a proposed selector.", body = Inspection),
        (status = 400, description = "`invalid_request`: not a point of the view", body = ErrorBody),
        (status = 404, description = "`not_found`: no such rule-picking session of this administrator", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
        (status = 503, description = "`busy`: the page did not answer in time", body = ErrorBody),
    )
)]
async fn inspect(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<Inspection>, ApiError> {
    // Whose session it is first: another administrator's is not found, whatever the body.
    let handle = picker(&state, &auth, &id)?;
    let point: Point = parse(body)?;
    if !(point.x.is_finite() && point.y.is_finite() && point.x >= 0.0 && point.y >= 0.0) {
        return Err(ApiError::new(ErrorCode::InvalidRequest, "x and y are a point of the view"));
    }
    let chain = handle.inspect(point.x, point.y).await.map_err(probe_error)?;
    let elements: Vec<policy::selector::Element> =
        chain.iter().map(|it| it.element.clone()).collect();
    let mut candidates = Vec::new();
    for (idx, it) in chain.iter().enumerate() {
        if matches!(it.element.tag.as_str(), "html" | "body") {
            break;
        }
        if let Some(selector) = policy::selector::propose(&elements[idx..]) {
            if policy::rules::validate_selector(&selector).is_ok() {
                candidates.push(Candidate { selector, tag: it.element.tag.clone(), rect: it.rect });
            }
        }
    }
    let matches = match candidates.first() {
        Some(first) => Some(count(&handle, &first.selector).await?),
        None => None,
    };
    Ok(Json(Inspection { candidates, matches }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SelectorCheck)]
struct SelectorBody {
    selector: String,
}

/// What a selector finds on the page now: how many, and where the first of them are.
#[derive(Serialize, utoipa::ToSchema)]
struct Matches {
    count: u32,
    rects: Vec<Rect>,
}

/// What a selector finds on the page.
#[utoipa::path(
    post,
    path = "/picker/{id}/matches",
    params(("id" = SessionId, Path, description = "The rule-picking session's id.")),
    request_body = SelectorBody,
    responses(
        (status = 200, description = "How many elements the selector finds on the page, and where.", body = Matches),
        (status = 400, description = "`invalid_selector`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such rule-picking session of this administrator", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
        (status = 503, description = "`busy`: the page did not answer in time", body = ErrorBody),
    )
)]
async fn matches(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<Matches>, ApiError> {
    let handle = picker(&state, &auth, &id)?;
    let body: SelectorBody = parse(body)?;
    policy::rules::validate_selector(body.selector.trim())
        .map_err(|e| ApiError::new(ErrorCode::InvalidSelector, e.to_string()))?;
    Ok(Json(count(&handle, body.selector.trim()).await?))
}

async fn count(handle: &SessionHandle, selector: &str) -> Result<Matches, ApiError> {
    let found = handle.count_matches(selector).await.map_err(probe_error)?;
    let count = found.count.ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidSelector, "the browser cannot apply this selector")
    })?;
    Ok(Matches { count, rects: found.rects })
}

/// The administrator's own rule-picking session `id`.
fn picker(state: &AppState, auth: &AdminAuth, id: &str) -> Result<SessionHandle, ApiError> {
    let id = SessionId::parse(id).map_err(|_| not_found())?;
    state.0.registry.picker(&id, &auth.agent).ok_or_else(not_found)
}

/// A request body, read once the session is known to be the caller's.
fn parse<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(body)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "there is no such rule-picking session")
}

fn probe_error(error: ProbeError) -> ApiError {
    match error {
        ProbeError::SessionEnded => ApiError::new(ErrorCode::SessionEnded, error.to_string()),
        ProbeError::Busy => ApiError::new(ErrorCode::Busy, error.to_string()),
        ProbeError::Page(_) => ApiError::new(ErrorCode::Busy, error.to_string()),
    }
}
