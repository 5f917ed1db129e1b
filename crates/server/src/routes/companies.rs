//! Public facts about a company, for its customers' landing page.

use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/companies/{slug}", get(show))
}

/// `GET /companies/{slug}`: what a company's landing page shows.
#[derive(Serialize)]
struct CompanyFacts {
    slug: String,
    name: String,
    /// Where the company's sessions start: its own site, or the demo shop.
    start_url: String,
}

async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<CompanyFacts>, ApiError> {
    let company = state.0.store.company_by_slug(&slug).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::UnknownCompany, "there is no company with this name")
    })?;
    // Where its sessions start is the company's own site: the page a customer goes back to.
    let start_url = company.start_url.unwrap_or_else(|| state.0.settings.demo_url.to_string());
    Ok(Json(CompanyFacts { slug: company.slug, name: company.name, start_url }))
}
