//! Who may call which API route (F19): one table of (method, path, access) that every request
//! under `/api/v1` is checked against before its handler runs.
//!
//! Architecture Invariant: a route missing from [`ROUTES`] answers `500 internal` (and logs
//! why) instead of running, so a new route cannot be served without saying who may call it;
//! the authorisation matrix test (`crates/beside/tests/it/authorisation.rs`) tries every
//! entry for every role, for the own and another company, and without a login.
//! Handlers still scope what they read to the caller's company, so another company's object
//! is `404` as if it did not exist.

use crate::auth::AgentAuth;
use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::Permission;

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
    fn head_is_looked_up_as_get() {
        assert_eq!(lookup(&Method::HEAD, "/api/v1/company").map(|r| r.method), Some("GET"));
        assert!(lookup(&Method::PUT, "/api/v1/company").is_none());
    }
}
