//! Public facts about a company, for its customers' landing page.

use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/companies/{slug}", get(show))
}

async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let company = state.0.store.company_by_slug(&slug).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::UnknownCompany, "there is no company with this name")
    })?;
    // Where its sessions start is the company's own site: the page a customer goes back to.
    let start_url = company.start_url.unwrap_or_else(|| state.0.settings.demo_url.to_string());
    Ok(Json(
        serde_json::json!({ "slug": company.slug, "name": company.name, "start_url": start_url }),
    ))
}
