//! Who is asking: the agent behind a login cookie, or the participant behind a bearer token.

use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

/// The name of the agent's login cookie.
pub(crate) const COOKIE: &str = "beside_agent";

/// The prefix of every API token (F23). Participant tokens have none, so a bearer token says
/// by its first characters which kind it is.
pub(crate) const API_TOKEN_PREFIX: &str = "bst_";

/// The prefix of a login token the agent console keeps in a CRM's frame and sends as
/// `Authorization: Bearer` (`routes::console`); cookie logins have none.
pub(crate) const LOGIN_TOKEN_PREFIX: &str = "bsl_";

/// A frame login of `Authorization: Bearer bsl_…`, if the request carries one.
fn frame_login(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (token.starts_with(LOGIN_TOKEN_PREFIX) && token.len() <= 128).then_some(token)
}

/// A logged-in agent (from the HttpOnly login cookie, or a frame login), or the administrator on whose behalf an
/// API token acts.
#[derive(Clone)]
pub(crate) struct AgentAuth {
    pub(crate) agent: store::Agent,
    /// The hash of the login token, to log out; empty for an API token (which cannot log out:
    /// no scope covers it).
    pub(crate) login_hash: String,
    /// The API token this request came with, if it came with one.
    pub(crate) token: Option<model::TokenId>,
}

/// What an API token lets a request do: act for its maker, within its scopes.
pub(crate) struct TokenGrant {
    pub(crate) auth: AgentAuth,
    pub(crate) scopes: Vec<model::ApiScope>,
}

/// The API token of `Authorization: Bearer bst_…`, if the request carries one.
pub(crate) fn api_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    token.starts_with(API_TOKEN_PREFIX).then_some(token)
}

/// How login tokens are stored: never the token, only its hash.
pub(crate) fn token_hash(token: &str) -> String {
    store::login_token_hash(token)
}

/// Every value of the cookie `name` the request carries, in order.
fn cookie_values<'a>(parts: &'a Parts, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |kv| {
            let (k, value) = kv.trim().split_once('=')?;
            (k == name).then_some(value)
        })
}

/// The one value of the cookie `name`: `Ok(None)` without one, `Err(())` with several.
///
/// A browser sends two cookies of one name when another site of the same domain (or a page
/// path) planted one beside ours; which of them is ours cannot be told, and taking the first
/// would let the planted one decide who the agent is.
pub(crate) fn cookie_value<'a>(parts: &'a Parts, name: &'a str) -> Result<Option<&'a str>, ()> {
    let mut values = cookie_values(parts, name);
    let first = values.next();
    match values.next() {
        Some(_) => Err(()),
        None => Ok(first),
    }
}

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already found by the access check (`access::enforce`).
        if let Some(auth) = parts.extensions.get::<AgentAuth>() {
            return Ok(auth.clone());
        }
        let unauthorized = || ApiError::new(ErrorCode::Unauthorized, "log in first");
        if let Some(token) = frame_login(parts) {
            let login_hash = token_hash(token);
            let now = time::OffsetDateTime::now_utc();
            let agent = state.0.store.agent_by_login(&login_hash, now).await?;
            let agent = agent.ok_or_else(unauthorized)?;
            return Ok(AgentAuth { agent, login_hash, token: None });
        }
        let token = cookie_value(parts, COOKIE)
            .map_err(|()| {
                metrics::counter!("beside_requests_refused_total", "reason" => "two_login_cookies")
                    .increment(1);
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "the browser sent two login cookies for this site (one may have been set by \
                     another site); clear this site's cookies and log in again",
                )
            })?
            .ok_or_else(unauthorized)?;
        let login_hash = token_hash(token);
        let agent = state
            .0
            .store
            .agent_by_login(&login_hash, time::OffsetDateTime::now_utc())
            .await?
            .ok_or_else(unauthorized)?;
        Ok(AgentAuth { agent, login_hash, token: None })
    }
}

impl AgentAuth {
    /// The grant of an API token: `401 invalid_token` for an unknown or revoked token, and for
    /// one whose maker is no longer an enabled administrator of its company.
    ///
    /// Its use is noted at most once a [`store::LAST_USED_PRECISION`], so an integration's
    /// calls are reads.
    pub(crate) async fn from_api_token(
        state: &AppState,
        token: &str,
    ) -> Result<TokenGrant, ApiError> {
        let refused = |message: &'static str| {
            metrics::counter!("beside_requests_refused_total", "reason" => "api_token")
                .increment(1);
            ApiError::new(ErrorCode::InvalidToken, message)
        };
        if token.len() > 128 {
            return Err(refused("this API token is unknown or was revoked"));
        }
        let store = &state.0.store;
        let found = store.api_token_by_hash(&token_hash(token)).await?;
        let found = found.ok_or_else(|| refused("this API token is unknown or was revoked"))?;
        let maker = store.agent(&found.created_by).await?.filter(|a| {
            a.company == found.company
                && !a.disabled
                && a.role.permissions().contains(model::Permission::Admin)
        });
        let agent = maker.ok_or_else(|| {
            refused("the administrator who made this API token is no longer one; make a new token")
        })?;
        let now = time::OffsetDateTime::now_utc();
        if found.use_is_news(now) {
            if let Err(error) = store.note_api_token_used(&found.id, now).await {
                tracing::warn!(message = "Could not note an API token's use.", token_id = %found.id, %error);
            }
        }
        let auth = AgentAuth { agent, login_hash: String::new(), token: Some(found.id) };
        Ok(TokenGrant { auth, scopes: found.scopes })
    }

    /// What this agent may do: their role's permissions.
    pub(crate) fn permissions(&self) -> model::Permissions {
        self.agent.permissions()
    }
}

/// A logged-in administrator of their company (F18, F19): the only staff who may change
/// what their company masks and blocks. Other agents get `403 forbidden`.
pub(crate) struct AdminAuth {
    pub(crate) agent: store::Agent,
}

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = AgentAuth::from_request_parts(parts, state).await?;
        if !auth.permissions().contains(model::Permission::Admin) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "only administrators of the company can do this",
            ));
        }
        Ok(AdminAuth { agent: auth.agent })
    }
}

/// The token from `Authorization: Bearer …`.
pub(crate) struct Bearer(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Bearer(t.trim().to_owned()))
            .filter(|b| !b.0.is_empty() && b.0.len() <= 128)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken, "a bearer token is required"))
    }
}

/// JSON bodies whose rejections speak the API's error vocabulary.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(ApiError::new(ErrorCode::InvalidRequest, rejection.body_text())),
        }
    }
}
