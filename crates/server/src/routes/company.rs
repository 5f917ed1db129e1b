//! The staff's own company: what it decides about its sessions (F2, F3, F13), how its customer
//! page looks (F21) and where its sessions may go (F17). Staff read it; administrators change
//! it, each change checked field by field and against the version it was made from. Live
//! sessions read it when an agent joins and when they end; a session takes the branding, PIN
//! and navigation lists it was started with, so a change applies to sessions started after it.

use crate::auth::{AdminAuth, AgentAuth, ApiJson};
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, ErrorCode};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{Company, CompanySettings, Navigation, StartMode, TranscriptPolicy};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    let (schemas, paths, logo) = routes!(put_logo, delete_logo);
    // Room for a logo one byte too large, so it is refused with its own code.
    let logo = logo.layer(DefaultBodyLimit::max(store::MAX_LOGO_BYTES + 1));
    OpenApiRouter::new()
        .routes(routes!(show, update))
        .routes(routes!(start_secret))
        .routes((schemas, paths, logo))
}

/// The company as its staff see it (`GET /company`, and the answer to `PATCH /company`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CompanySettings)]
struct CompanyBody {
    slug: String,
    name: String,
    /// The uploaded logo (public: the customer page shows it); `None` without one.
    logo_url: Option<String>,
    colors: BTreeMap<String, String>,
    texts: BTreeMap<String, BTreeMap<String, String>>,
    start_url: Option<String>,
    navigation: NavigationSettings,
    pin: PinSettings,
    control: ControlSettings,
    chat: ChatSettings,
    start: StartSettings,
    pdfs: PdfSettings,
    /// The origins whose pages may use `/embed.js` and frame the agent console.
    embed_origins: Vec<String>,
    /// The settings' version: a `PATCH` that names an older one is refused.
    version: i64,
    /// The keys of the customer page's texts `texts` may hold.
    #[schema(value_type = Vec<String>)]
    text_keys: &'static [&'static str],
}

#[derive(Serialize, utoipa::ToSchema)]
struct NavigationSettings {
    allow: Vec<String>,
    deny: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct PdfSettings {
    /// What agents see of a PDF without form fields: `show` or `hide`. A PDF with form fields
    /// is hidden from agents whatever this says.
    agents: model::PdfView,
}

#[derive(Serialize, utoipa::ToSchema)]
struct PinSettings {
    digits: u8,
    /// How long a PIN can be redeemed: the company's own, else the server's setting.
    ttl_secs: u64,
    approval: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ControlSettings {
    agents_start_with_control: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ChatSettings {
    transcripts: TranscriptPolicy,
}

#[derive(Serialize, utoipa::ToSchema)]
struct StartSettings {
    /// `open` or `signed` (a start needs a token signed with the start secret).
    mode: StartMode,
    /// Whether a start secret was made; the secret itself is read with `start-secret`.
    has_secret: bool,
}

/// Where a company's logo is served: public, with the version so a new logo is fetched anew.
pub(crate) fn logo_url(company: &Company) -> Option<String> {
    company
        .branding
        .logo_type
        .map(|_| format!("/api/v1/companies/{}/logo?v={}", company.slug, company.settings_version))
}

fn company_body(state: &AppState, company: &Company) -> Json<CompanyBody> {
    let p = &company.policy;
    let default_ttl = state.0.registry.pin_ttl().as_secs();
    Json(CompanyBody {
        slug: company.slug.clone(),
        name: company.name.clone(),
        logo_url: logo_url(company),
        colors: company.branding.colors.clone(),
        texts: company.branding.texts.clone(),
        start_url: company.start_url.clone(),
        navigation: NavigationSettings {
            allow: company.navigation.allow.clone(),
            deny: company.navigation.deny.clone(),
        },
        pin: PinSettings {
            digits: company.pin.digits,
            ttl_secs: company.pin.ttl_secs.map_or(default_ttl, u64::from),
            approval: p.pin_approval,
        },
        control: ControlSettings { agents_start_with_control: p.agents_start_with_control },
        chat: ChatSettings { transcripts: p.transcripts },
        start: StartSettings { mode: p.start, has_secret: company.start_secret.is_some() },
        pdfs: PdfSettings { agents: p.pdfs },
        embed_origins: company.embed_origins.clone(),
        version: company.settings_version,
        text_keys: policy::branding::TEXT_KEYS,
    })
}

pub(crate) async fn own_company(
    state: &AppState,
    agent: &store::Agent,
) -> Result<Company, ApiError> {
    state.0.store.company(&agent.company).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::NotFound, "the company of this account no longer exists")
    })
}

/// The settings of the caller's company.
#[utoipa::path(
    get,
    path = "/company",
    responses(
        (status = 200, description = "The company's settings.", body = CompanyBody),
        (status = 404, description = "`not_found`: the account's company was removed", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    auth: AgentAuth,
) -> Result<Json<CompanyBody>, ApiError> {
    Ok(company_body(&state, &own_company(&state, &auth.agent).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PinPatch {
    /// How many digits a PIN has, 6 to 9.
    digits: Option<i64>,
    /// How long a PIN can be redeemed, in seconds.
    ttl_secs: Option<i64>,
    /// The customer approves each agent who redeems a PIN before they join.
    approval: Option<bool>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ControlPatch {
    /// Agents' input reaches the page from the start (else they ask for control).
    agents_start_with_control: Option<bool>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ChatPatch {
    /// `keep` keeps each session's chat with its record; `delete` lets it go with the session.
    transcripts: Option<TranscriptPolicy>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StartPatch {
    /// `open`: anyone may start a session; `signed`: only with a token the company's site
    /// signed with its start secret.
    mode: Option<StartMode>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PdfPatch {
    /// What agents see of a PDF without form fields: `show` or `hide`.
    agents: Option<model::PdfView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NavigationPatch {
    allow: Option<Vec<String>>,
    deny: Option<Vec<String>>,
}

/// The settings to change; those left out stay as they are. `colors` and `texts` replace
/// the whole map they hold.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CompanySettingsChange)]
struct UpdateBody {
    /// The `version` the change was made from; when it is not the current one, the change is
    /// refused (`409 settings_changed`). Without it the change applies to the current one.
    version: Option<i64>,
    name: Option<String>,
    /// `""` or `null` goes back to the demo shop.
    #[serde(default, deserialize_with = "some_or_null")]
    start_url: Option<Option<String>>,
    colors: Option<BTreeMap<String, String>>,
    texts: Option<BTreeMap<String, BTreeMap<String, String>>>,
    navigation: Option<NavigationPatch>,
    pin: Option<PinPatch>,
    control: Option<ControlPatch>,
    chat: Option<ChatPatch>,
    start: Option<StartPatch>,
    pdfs: Option<PdfPatch>,
    /// The whole list of origins (`https://shop.example`) that may use `/embed.js` and frame
    /// the agent console; `[]` allows none.
    embed_origins: Option<Vec<String>>,
}

/// A field that may be `null` (`Some(None)`) as well as left out (`None`).
fn some_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A field error of `policy` as an answer.
fn field_error(e: policy::branding::FieldError) -> ApiError {
    let code = ErrorCode::of_name(e.code).unwrap_or(ErrorCode::InvalidRequest);
    ApiError::new(code, e.message).field(e.field)
}

/// The settings `body` makes of `current`, each field checked.
fn apply(current: &Company, body: UpdateBody) -> Result<CompanySettings, ApiError> {
    let mut next = current.settings();
    if let Some(name) = body.name {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(ApiError::new(
                ErrorCode::InvalidName,
                "the name must be 1 to 100 characters without line breaks",
            )
            .field("name"));
        }
        next.name = name;
    }
    if let Some(start_url) = body.start_url {
        next.start_url = match start_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                policy::navigation::check_url(text)
                    .map_err(|e| {
                        ApiError::new(ErrorCode::InvalidStartUrl, e.to_string()).field("start_url")
                    })?
                    .to_string(),
            ),
        };
    }
    if let Some(colors) = body.colors {
        next.colors = policy::branding::check_colors(&colors).map_err(field_error)?;
    }
    if let Some(texts) = body.texts {
        next.texts = policy::branding::check_texts(&texts).map_err(field_error)?;
    }
    if let Some(nav) = body.navigation {
        let allow = nav.allow.unwrap_or(next.navigation.allow);
        let deny = nav.deny.unwrap_or(next.navigation.deny);
        next.navigation = check_navigation(&allow, &deny)?;
    }
    if let Some(pin) = body.pin {
        if let Some(digits) = pin.digits {
            next.pin.digits = u8::try_from(digits)
                .ok()
                .filter(|d| (store::MIN_PIN_DIGITS..=store::MAX_PIN_DIGITS).contains(d))
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidPinDigits,
                        format!(
                            "a PIN has {} to {} digits",
                            store::MIN_PIN_DIGITS,
                            store::MAX_PIN_DIGITS
                        ),
                    )
                    .field("pin.digits")
                })?;
        }
        if let Some(ttl) = pin.ttl_secs {
            let bounds = store::MIN_PIN_TTL_SECS..=store::MAX_PIN_TTL_SECS;
            next.pin.ttl_secs =
                Some(u32::try_from(ttl).ok().filter(|t| bounds.contains(t)).ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidPinTtl,
                        format!(
                            "a PIN can live {} to {} seconds",
                            store::MIN_PIN_TTL_SECS,
                            store::MAX_PIN_TTL_SECS
                        ),
                    )
                    .field("pin.ttl_secs")
                })?);
        }
        if let Some(approval) = pin.approval {
            next.policy.pin_approval = approval;
        }
    }
    if let Some(c) = body.control.and_then(|c| c.agents_start_with_control) {
        next.policy.agents_start_with_control = c;
    }
    if let Some(t) = body.chat.and_then(|c| c.transcripts) {
        next.policy.transcripts = t;
    }
    if let Some(mode) = body.start.and_then(|s| s.mode) {
        next.policy.start = mode;
    }
    if let Some(pdfs) = body.pdfs.and_then(|p| p.agents) {
        next.policy.pdfs = pdfs;
    }
    if let Some(origins) = body.embed_origins {
        next.embed_origins = check_embed_origins(&origins)?;
    }
    Ok(next)
}

/// Checks the embed origins and keeps each in the form browsers send it in `Origin`.
fn check_embed_origins(list: &[String]) -> Result<Vec<String>, ApiError> {
    if list.len() > store::MAX_EMBED_ORIGINS {
        return Err(ApiError::new(
            ErrorCode::TooManyEmbedOrigins,
            format!("a company lists at most {} embed origins", store::MAX_EMBED_ORIGINS),
        )
        .field("embed_origins"));
    }
    policy::embed::check_origins(list).map_err(|(idx, e)| {
        let shown: String = list[idx].chars().take(80).collect();
        ApiError::new(
            ErrorCode::InvalidEmbedOrigin,
            format!("embed origin `{}` (entry {}): {e}", shown.escape_debug(), idx + 1),
        )
        .field(format!("embed_origins.{idx}"))
    })
}

/// Checks both domain lists and keeps each pattern in its canonical spelling.
fn check_navigation(allow: &[String], deny: &[String]) -> Result<Navigation, ApiError> {
    let one = |field: &str, list: &[String]| {
        if list.len() > policy::domains::MAX_PATTERNS {
            let e = policy::domains::PatternError::TooMany;
            return Err(ApiError::new(ErrorCode::TooManyDomainPatterns, e.to_string())
                .field(format!("navigation.{field}")));
        }
        list.iter()
            .enumerate()
            .map(|(i, text)| {
                policy::domains::DomainPattern::parse(text).map(|p| p.to_string()).map_err(|e| {
                    ApiError::new(ErrorCode::InvalidDomainPattern, e.to_string())
                        .field(format!("navigation.{field}.{i}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(Navigation { allow: one("allow", allow)?, deny: one("deny", deny)? })
}

/// Changes the company's settings, field by field, from the version they were read at.
#[utoipa::path(
    patch,
    path = "/company",
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The settings as changed.", body = CompanyBody),
        (status = 400, description = "The field at fault is named in `field`: `invalid_name`, `invalid_start_url`, `unknown_color`, `invalid_color`, `low_contrast`, `unknown_language`, `unknown_text_key`, `text_too_long`, `invalid_text`, `invalid_domain_pattern`, `too_many_domain_patterns`, `invalid_pin_digits`, `invalid_pin_ttl`, `invalid_embed_origin`, `too_many_embed_origins`, `invalid_request`", body = ErrorBody),
        (status = 404, description = "`not_found`: the account's company was removed", body = ErrorBody),
        (status = 409, description = "`settings_changed`: `version` is not the current one (someone changed them meanwhile)", body = ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<CompanyBody>, ApiError> {
    let company = own_company(&state, &auth.agent).await?;
    let stale = || {
        ApiError::new(
            ErrorCode::SettingsChanged,
            "someone else changed these settings meanwhile; load them again, then make your \
             change",
        )
    };
    if body.version.is_some_and(|v| v != company.settings_version) {
        return Err(stale());
    }
    let before = company.settings();
    let next = apply(&company, body)?;
    if next == before {
        return Ok(company_body(&state, &company));
    }
    let mut changed = state
        .0
        .store
        .update_company_settings(&company.id, company.settings_version, next.clone())
        .await?
        .ok_or_else(stale)?;
    if next.policy.start == StartMode::Signed && changed.start_secret.is_none() {
        // A signed start needs a key; the administrator reads it with `start-secret`.
        changed.start_secret = Some(state.0.store.start_secret(&company.id, false).await?);
    }
    let event = next.changed_event(&before, &company.id, Some(&auth.agent.id));
    state.0.store.record_audit(&event).await?;
    if next.policy != before.policy {
        // The policy's own event too, which the guidance issue's readers look for.
        let event = next.policy.changed_event(&company.id, Some(&auth.agent.id));
        state.0.store.record_audit(&event).await?;
    }
    Ok(company_body(&state, &changed))
}

/// `PUT /company/logo`: the body is the image, its `Content-Type` `image/png`, `image/jpeg`
/// or `image/svg+xml`, at most `store::MAX_LOGO_BYTES`. The bytes must be what the type says.
#[utoipa::path(
    put,
    path = "/company/logo",
    request_body(description = "The image, with its type as `Content-Type`.", content(("image/png"), ("image/jpeg"), ("image/svg+xml"))),
    responses(
        (status = 200, description = "The settings with the new logo's address.", body = CompanyBody),
        (status = 413, description = "`logo_too_large`", body = ErrorBody),
        (status = 415, description = "`invalid_logo`: not a PNG, JPEG or SVG, or not what its `Content-Type` says", body = ErrorBody),
    )
)]
async fn put_logo(
    State(state): State<AppState>,
    auth: AdminAuth,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<CompanyBody>, ApiError> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    if body.len() > store::MAX_LOGO_BYTES {
        return Err(ApiError::new(
            ErrorCode::LogoTooLarge,
            format!("a logo has at most {} KiB", store::MAX_LOGO_BYTES / 1024),
        )
        .field("logo"));
    }
    let kind = logo_kind(&declared, &body).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidLogo,
            "a logo is a PNG, JPEG or SVG image, sent with its content type",
        )
        .field("logo")
    })?;
    let company = own_company(&state, &auth.agent).await?;
    let logo = store::Logo { kind, bytes: body.to_vec() };
    state.0.store.set_logo(&company.id, Some(&logo)).await?;
    let event = store::logo_changed_event(&company.id, Some(&auth.agent.id), Some(&logo));
    state.0.store.record_audit(&event).await?;
    Ok(company_body(&state, &own_company(&state, &auth.agent).await?))
}

/// `DELETE /company/logo`.
#[utoipa::path(
    delete,
    path = "/company/logo",
    responses(
        (status = 200, description = "The settings without a logo.", body = CompanyBody),
    )
)]
async fn delete_logo(
    State(state): State<AppState>,
    auth: AdminAuth,
) -> Result<Json<CompanyBody>, ApiError> {
    let company = own_company(&state, &auth.agent).await?;
    if company.branding.logo_type.is_some() {
        state.0.store.set_logo(&company.id, None).await?;
        let event = store::logo_changed_event(&company.id, Some(&auth.agent.id), None);
        state.0.store.record_audit(&event).await?;
    }
    Ok(company_body(&state, &own_company(&state, &auth.agent).await?))
}

/// The kind of logo `bytes` are, when they are what `declared` says.
fn logo_kind(declared: &str, bytes: &[u8]) -> Option<store::LogoType> {
    use store::LogoType;
    match declared {
        "image/png" if bytes.starts_with(b"\x89PNG\r\n\x1a\n") => Some(LogoType::Png),
        "image/jpeg" if bytes.starts_with(&[0xff, 0xd8, 0xff]) => Some(LogoType::Jpeg),
        "image/svg+xml" => {
            // An SVG is only ever served as an image under a sandbox policy, so its scripts
            // never run; it still has to be an SVG document.
            let text = std::str::from_utf8(bytes).ok()?;
            let head = text.trim_start_matches('\u{feff}').trim_start();
            let is_svg =
                (head.starts_with("<svg") || head.starts_with("<?xml")) && text.contains("<svg");
            is_svg.then_some(LogoType::Svg)
        }
        _ => None,
    }
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = StartSecretRequest)]
struct StartSecretBody {
    /// Replace the secret: tokens signed with the old one stop working at once.
    #[serde(default)]
    renew: bool,
}

/// The answer of `POST /company/start-secret`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = StartSecret)]
struct StartSecretAnswer {
    /// The key of start tokens' signatures (its text, as bytes).
    secret: String,
    /// The company's start mode now.
    mode: StartMode,
}

/// The company's start secret (made on first ask), for its site to sign start tokens with.
/// Administrators only; every read is audited, never with the secret.
#[utoipa::path(
    post,
    path = "/company/start-secret",
    request_body(content = Option<StartSecretBody>, description = "Optional; `renew` replaces the secret."),
    responses(
        (status = 200, description = "The secret (made on first ask) and the start mode.", body = StartSecretAnswer),
        (status = 400, description = "`invalid_request`: the body is not `{\"renew\": bool}`", body = ErrorBody),
    )
)]
async fn start_secret(
    State(state): State<AppState>,
    auth: AdminAuth,
    body: axum::body::Bytes,
) -> Result<Json<StartSecretAnswer>, ApiError> {
    // The body is optional: an empty one reads the secret.
    let StartSecretBody { renew } = if body.iter().all(u8::is_ascii_whitespace) {
        StartSecretBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("body: {e}")))?
    };
    let company = own_company(&state, &auth.agent).await?;
    let secret = state.0.store.start_secret(&company.id, renew).await?;
    let event = store::start_secret_event(&company.id, Some(&auth.agent.id), renew);
    state.0.store.record_audit(&event).await?;
    Ok(Json(StartSecretAnswer { secret: secret.expose().clone(), mode: company.policy.start }))
}
