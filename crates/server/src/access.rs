//! Who may call which API route (F19): one table of (method, path, access) that every request
//! under `/api/v1` is checked against before its handler runs.
//!
//! Architecture Invariant: a route missing from [`ROUTES`] answers `500 internal` (and logs
//! why) instead of running, so a new route cannot be served without saying who may call it;
//! the authorisation matrix test (`crates/beside/tests/it/authorisation.rs`) tries every
//! entry for every role, for the own and another company, and without a login.
//! Handlers still scope what they read to the caller's company, so another company's object
//! is `404` as if it did not exist.
//!
//! An API token (`Authorization: Bearer bst_…`, F23) is let in on a staff route only when one
//! of its scopes covers the route ([`RouteAccess::token_scope`]); routes no scope covers (the
//! tokens themselves, signing in and out, rule picking) take a login.

use crate::auth::AgentAuth;
use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::{ApiScope, Permission};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (customers' browsers, logins, public company pages).
    Public,
    /// The holder of a session's participant token (`Authorization: Bearer`), checked by
    /// the handler against that session.
    Participant,
    /// Any signed-in staff account, whatever their permissions (`401` without a login).
    SignedIn,
    /// A page on one of the company's embed origins (`/embed.js`): the handler checks the
    /// `Origin` header against them (`403 origin_not_allowed` otherwise), and a session's
    /// routes the customer's token too.
    EmbedOrigin,
    /// A signed-in staff account whose role has this permission: `401 unauthorized` without a
    /// login, `403 forbidden` without the permission.
    Staff(Permission),
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteAccess {
    pub method: &'static str,
    /// The route as the router spells it, under `/api/v1`, with `{placeholders}`.
    pub path: &'static str,
    pub access: Access,
}

impl RouteAccess {
    /// The API token scope that covers this route; `None` for routes only a login may call
    /// (and for public and participant routes, which take no staff credentials at all).
    ///
    /// Decided by the route's resource, so a route added under a covered resource is covered
    /// by its scope; a new resource is login-only until it is named here.
    pub fn token_scope(&self) -> Option<ApiScope> {
        if !matches!(self.access, Access::Staff(_)) {
            return None;
        }
        let rest = self.path.strip_prefix("/api/v1/")?;
        let resource = rest.split('/').next().unwrap_or_default();
        match resource {
            "sessions" | "console-links" => session_scope(self.method, rest),
            "rules" => Some(ApiScope::Rules),
            "agents" => Some(ApiScope::Agents),
            "reports" => Some(ApiScope::Reports),
            "recordings" => Some(ApiScope::Recordings),
            "webhooks" => Some(ApiScope::Webhooks),
            "company" => Some(ApiScope::Company),
            "audit" => Some(ApiScope::Audit),
            // "tokens": a token never makes or revokes tokens; "picker": an administrator's
            // own browsing; anything else: not decided yet, so a login only.
            _ => None,
        }
    }
}

/// Which scope covers a staff route under `/sessions` (or `/console-links`): joining (and
/// handing the console to an agent) is `sessions:join`, a recording `recordings`, a report
/// `reports`, reading anything else `sessions:read`; any other change takes a login.
fn session_scope(method: &str, rest: &str) -> Option<ApiScope> {
    let last = rest.rsplit('/').next().unwrap_or_default();
    match last {
        "join" | "console-links" => Some(ApiScope::SessionsJoin),
        "recording" | "recordings" => Some(ApiScope::Recordings),
        "report" => Some(ApiScope::Reports),
        _ if method == "GET" => Some(ApiScope::SessionsRead),
        _ => None,
    }
}

const fn route(method: &'static str, path: &'static str, access: Access) -> RouteAccess {
    RouteAccess { method, path, access }
}

use Access::{EmbedOrigin, Participant, Public, SignedIn, Staff};
use Permission::{Admin, Reports, View};

/// Every API route and who may call it. Add a row with each new route (and document it:
/// `crate::openapi` says how; its tests compare this table with the document).
pub const ROUTES: &[RouteAccess] = &[
    route("GET", "/api/v1/agents", Staff(Admin)),
    route("POST", "/api/v1/agents", Staff(Admin)),
    route("PATCH", "/api/v1/agents/{id}", Staff(Admin)),
    route("DELETE", "/api/v1/agents/{id}", Staff(Admin)),
    route("POST", "/api/v1/agents/{id}/reset-password", Staff(Admin)),
    route("GET", "/api/v1/audit", Staff(Admin)),
    route("POST", "/api/v1/auth/login", Public),
    route("POST", "/api/v1/auth/logout", SignedIn),
    route("GET", "/api/v1/auth/me", SignedIn),
    route("POST", "/api/v1/auth/set-password", Public),
    route("POST", "/api/v1/auth/handoff", Public),
    route("GET", "/api/v1/companies/{slug}", Public),
    route("GET", "/api/v1/companies/{slug}/logo", Public),
    route("GET", "/api/v1/company", Staff(View)),
    route("GET", "/api/v1/embed/{slug}", EmbedOrigin),
    route("OPTIONS", "/api/v1/embed/{slug}", EmbedOrigin),
    route("POST", "/api/v1/embed/{slug}/sessions", EmbedOrigin),
    route("OPTIONS", "/api/v1/embed/{slug}/sessions", EmbedOrigin),
    route("GET", "/api/v1/embed/{slug}/sessions/{id}", EmbedOrigin),
    route("OPTIONS", "/api/v1/embed/{slug}/sessions/{id}", EmbedOrigin),
    route("POST", "/api/v1/embed/{slug}/sessions/{id}/end", EmbedOrigin),
    route("OPTIONS", "/api/v1/embed/{slug}/sessions/{id}/end", EmbedOrigin),
    route("PATCH", "/api/v1/company", Staff(Admin)),
    route("POST", "/api/v1/company/start-secret", Staff(Admin)),
    route("POST", "/api/v1/console-links", Staff(Admin)),
    route("PUT", "/api/v1/company/logo", Staff(Admin)),
    route("DELETE", "/api/v1/company/logo", Staff(Admin)),
    route("GET", "/api/v1/reports/summary", Staff(Reports)),
    route("GET", "/api/v1/reports/sessions.csv", Staff(Reports)),
    route("GET", "/api/v1/rules", Staff(Admin)),
    route("POST", "/api/v1/rules", Staff(Admin)),
    route("DELETE", "/api/v1/rules/{id}", Staff(Admin)),
    route("GET", "/api/v1/rules/drafts", Staff(Admin)),
    route("POST", "/api/v1/rules/drafts", Staff(Admin)),
    route("DELETE", "/api/v1/rules/drafts/{id}", Staff(Admin)),
    route("POST", "/api/v1/rules/publish", Staff(Admin)),
    route("POST", "/api/v1/rules/{id}/rollback", Staff(Admin)),
    route("POST", "/api/v1/picker", Staff(Admin)),
    route("DELETE", "/api/v1/picker/{id}", Staff(Admin)),
    route("POST", "/api/v1/picker/{id}/preview", Staff(Admin)),
    route("POST", "/api/v1/picker/{id}/inspect", Staff(Admin)),
    route("POST", "/api/v1/picker/{id}/matches", Staff(Admin)),
    route("GET", "/api/v1/openapi.json", Public),
    route("POST", "/api/v1/sessions", Public),
    route("POST", "/api/v1/sessions/join", Staff(View)),
    route("GET", "/api/v1/sessions/{id}", Staff(View)),
    route("POST", "/api/v1/sessions/{id}/join", Staff(View)),
    route("POST", "/api/v1/sessions/{id}/pin", Participant),
    route("POST", "/api/v1/sessions/{id}/tickets", Participant),
    route("POST", "/api/v1/sessions/{id}/end", Participant),
    route("GET", "/api/v1/sessions/{id}/transcript", Staff(View)),
    route("POST", "/api/v1/sessions/{id}/leave", Participant),
    route("POST", "/api/v1/sessions/{id}/files", Participant),
    route("GET", "/api/v1/sessions/{id}/download", Participant),
    route("GET", "/api/v1/sessions/{id}/ws", Participant),
    route("GET", "/api/v1/tokens", Staff(Admin)),
    route("POST", "/api/v1/tokens", Staff(Admin)),
    route("DELETE", "/api/v1/tokens/{id}", Staff(Admin)),
    route("GET", "/api/v1/webhooks", Staff(Admin)),
    route("POST", "/api/v1/webhooks", Staff(Admin)),
    route("DELETE", "/api/v1/webhooks/{id}", Staff(Admin)),
    route("GET", "/api/v1/webhooks/{id}/deliveries", Staff(Admin)),
];

/// The row for a request, if the table has one (`HEAD` is `GET`'s).
pub fn lookup(method: &Method, path: &str) -> Option<&'static RouteAccess> {
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    ROUTES.iter().find(|r| r.method == method && r.path == path)
}

/// The middleware of every matched API route: runs the handler only when the table lets the
/// caller in. A staff caller's login is kept in the request for the handler's `AgentAuth`.
pub(crate) async fn enforce(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let Some(matched) = matched else { return next.run(req).await };
    let Some(row) = lookup(req.method(), matched.as_str()) else {
        // A route of the table asked with another method: answered as the router would,
        // without running any handler the table does not name.
        let allowed: Vec<&str> =
            ROUTES.iter().filter(|r| r.path == matched.as_str()).map(|r| r.method).collect();
        if !allowed.is_empty() {
            let allow = if allowed.contains(&"GET") {
                format!("{},HEAD", allowed.join(","))
            } else {
                allowed.join(",")
            };
            return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, allow)]).into_response();
        }
        tracing::error!(
            message = "Refused a route missing from the access table.",
            method = %req.method(),
            path = matched.as_str()
        );
        return ApiError::new(ErrorCode::Internal, "this route is not in the access table")
            .into_response();
    };
    let needed = match row.access {
        Access::Public | Access::Participant | Access::EmbedOrigin => return next.run(req).await,
        Access::SignedIn => None,
        Access::Staff(permission) => Some(permission),
    };
    let (mut parts, body) = req.into_parts();
    if let Some(token) = crate::auth::api_token(&parts) {
        let grant = match AgentAuth::from_api_token(&state, token).await {
            Ok(grant) => grant,
            Err(err) => return err.into_response(),
        };
        match row.token_scope() {
            Some(scope) if grant.scopes.contains(&scope) => {}
            needed => return scope_refused(needed),
        }
        parts.extensions.insert(grant.auth);
        return next.run(Request::from_parts(parts, body)).await;
    }
    let auth = match AgentAuth::from_request_parts(&mut parts, &state).await {
        Ok(auth) => auth,
        Err(err) => return err.into_response(),
    };
    if let Some(permission) = needed.filter(|p| !auth.permissions().contains(*p)) {
        metrics::counter!("beside_requests_refused_total", "reason" => "permission").increment(1);
        return ApiError::new(
            ErrorCode::Forbidden,
            format!("this needs the `{permission}` permission, which your role does not have"),
        )
        .into_response();
    }
    parts.extensions.insert(auth);
    next.run(Request::from_parts(parts, body)).await
}

/// The answer to an API token whose scopes do not cover a route.
fn scope_refused(needed: Option<ApiScope>) -> Response {
    metrics::counter!("beside_requests_refused_total", "reason" => "token_scope").increment(1);
    let message = match needed {
        Some(scope) => format!("this needs an API token with the `{scope}` scope"),
        None => "an API token cannot do this; log in instead".to_owned(),
    };
    ApiError::new(ErrorCode::Forbidden, message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_route_is_listed_twice() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{a:?} twice");
            }
        }
    }

    #[test]
    fn staff_routes_say_which_scope_covers_them() {
        let scope = |method, path| {
            lookup(&Method::from_bytes(method).unwrap(), path)
                .expect("a route of the table")
                .token_scope()
        };
        assert_eq!(scope(b"POST", "/api/v1/sessions/join"), Some(ApiScope::SessionsJoin));
        assert_eq!(scope(b"POST", "/api/v1/sessions/{id}/join"), Some(ApiScope::SessionsJoin));
        assert_eq!(scope(b"GET", "/api/v1/sessions/{id}"), Some(ApiScope::SessionsRead));
        assert_eq!(scope(b"DELETE", "/api/v1/rules/drafts/{id}"), Some(ApiScope::Rules));
        assert_eq!(scope(b"PATCH", "/api/v1/company"), Some(ApiScope::Company));
        assert_eq!(scope(b"GET", "/api/v1/audit"), Some(ApiScope::Audit));
        assert_eq!(scope(b"POST", "/api/v1/console-links"), Some(ApiScope::SessionsJoin));
        assert_eq!(scope(b"POST", "/api/v1/picker"), None);
        assert_eq!(scope(b"GET", "/api/v1/auth/me"), None);
        assert_eq!(scope(b"POST", "/api/v1/sessions"), None, "public");
        assert_eq!(scope(b"POST", "/api/v1/sessions/{id}/end"), None, "participant");
        for row in ROUTES.iter().filter(|r| r.path.contains("/tokens")) {
            assert_eq!(row.token_scope(), None, "{row:?}: a token never makes tokens");
        }
    }

    #[test]
    fn head_is_looked_up_as_get() {
        assert_eq!(lookup(&Method::HEAD, "/api/v1/company").map(|r| r.method), Some("GET"));
        assert!(lookup(&Method::PUT, "/api/v1/company").is_none());
    }
}
