//! Public facts about a company, for its customers' landing page: its name, start page and
//! branding (F21).

use crate::error::{ApiError, ErrorBody};
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show)).routes(routes!(logo))
}

/// `GET /companies/{slug}`: what a company's landing page shows.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicCompany)]
struct CompanyFacts {
    slug: String,
    name: String,
    /// Where the company's sessions start: its own site, or the demo shop.
    start_url: String,
    /// Its logo, if it uploaded one.
    logo_url: Option<String>,
    /// Its colours (`primary`, `header`), checked for contrast when they were set.
    colors: BTreeMap<String, String>,
    /// Its own words for the page's texts, by language and key; shown as text, never markup.
    texts: BTreeMap<String, BTreeMap<String, String>>,
}

/// What a company's landing page shows: its name, start page and branding.
#[utoipa::path(
    get,
    path = "/companies/{slug}",
    params(("slug" = String, Path, description = "The company's slug.")),
    responses(
        (status = 200, description = "The company's public facts.", body = CompanyFacts),
        (status = 404, description = "`unknown_company`", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<CompanyFacts>, ApiError> {
    let company = by_slug(&state, &slug).await?;
    let logo_url = crate::routes::company::logo_url(&company);
    // Where its sessions start is the company's own site: the page a customer goes back to.
    let start_url = company.start_url.unwrap_or_else(|| state.0.settings.demo_url.to_string());
    Ok(Json(CompanyFacts {
        slug: company.slug,
        name: company.name,
        start_url,
        logo_url,
        colors: company.branding.colors,
        texts: company.branding.texts,
    }))
}

async fn by_slug(state: &AppState, slug: &str) -> Result<store::Company, ApiError> {
    state.0.store.company_by_slug(slug).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::UnknownCompany, "there is no company with this name")
    })
}

/// What a logo may do where it is shown by itself: nothing. An SVG's scripts, links and
/// external loads are all off; it is an image only (its inline styles may draw it).
const LOGO_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// `GET /companies/{slug}/logo`: the company's logo, public (its customers' page shows it).
#[utoipa::path(
    get,
    path = "/companies/{slug}/logo",
    params(("slug" = String, Path, description = "The company's slug.")),
    responses(
        (status = 200, description = "The logo: PNG, JPEG or SVG.", content(("image/png"), ("image/jpeg"), ("image/svg+xml"))),
        (status = 404, description = "`unknown_company`; `not_found`: the company has no logo", body = ErrorBody),
    )
)]
async fn logo(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let company = by_slug(&state, &slug).await?;
    let logo = state
        .0
        .store
        .logo(&company.id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "this company has no logo"))?;
    let headers = [
        (header::CONTENT_TYPE, logo.kind.as_str()),
        (header::CONTENT_SECURITY_POLICY, LOGO_POLICY),
        (header::CONTENT_DISPOSITION, "inline; filename=\"logo\""),
        // The address carries the settings version: a new logo has a new address.
        (header::CACHE_CONTROL, "public, max-age=300"),
    ];
    Ok((headers, logo.bytes).into_response())
}
