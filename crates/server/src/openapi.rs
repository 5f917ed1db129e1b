//! The API's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json` (F23).
//!
//! It is made from the routes themselves, never written by hand: each handler's
//! `#[utoipa::path]` gives its method, path, parameters, request body and answers; the types it
//! names derive `utoipa::ToSchema` (here, in `model`, `protocol` and `store`); the access table
//! [`crate::access::ROUTES`] gives each operation its security and the answers the access check
//! itself gives (`401`, `403`). `routes::api` registers every handler with utoipa-axum's
//! `routes!`, which puts it in the router and in the document at once.
//!
//! # A new API route, step by step
//!
//! 1. Write the handler in its `routes/*.rs` module, say what it does in a `///` line (the
//!    operation's summary), and put `#[utoipa::path(...)]` above it:
//!    the method; `path` as under `/api/v1` (`"/sessions/{id}/pin"`); `params` for every
//!    `{placeholder}` (and `IntoParams` for a query struct); `request_body` with its type; and
//!    `responses`: the success with its body type, and each error the handler itself answers
//!    (`body = ErrorBody`, the description naming its codes). The access check's `401`/`403`,
//!    `forbidden_origin` and `internal` are added from the access table; do not repeat them.
//! 2. Derive `utoipa::ToSchema` on the request and answer types (a type from another crate
//!    derives it there). Give a type whose name another module uses too its own with
//!    `#[schema(as = NewSession)]`: the document has one namespace of schemas.
//! 3. Register the handler in the module's `router()` with `.routes(routes!(handler))`, never
//!    with `.route(...)`, which would serve it without documenting it.
//! 4. Add its row to [`crate::access::ROUTES`].
//!
//! The tests below fail until all four are done: every (method, path) of the access table must
//! be an operation of the document and every operation a row of the table, every `$ref` must
//! resolve, every path placeholder must be declared, and no two modules may give one schema
//! name to different types.

use crate::access::{Access, ROUTES};
use crate::error::ErrorBody;
use axum::extract::Extension;
use axum::http::header;
use axum::response::IntoResponse;
use bytes::Bytes;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, Response, ResponseBuilder};
use utoipa::{OpenApi as _, ToSchema};

/// The security scheme of a staff login: the HttpOnly cookie `POST /api/v1/auth/login` sets.
pub(crate) const LOGIN_COOKIE: &str = "login_cookie";
/// The security scheme of a session's participant token (`Authorization: Bearer`), the
/// `customer_token` or `agent_token` a start or a join answered with.
pub(crate) const PARTICIPANT_TOKEN: &str = "participant_token";
/// The security scheme of a company's API tokens (`Authorization: Bearer`, F23), for
/// programs such as a CRM: their scopes decide which staff routes they open.
pub(crate) const API_TOKEN: &str = "api_token";

/// What the document says before the routes are added.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "beside",
        description = "The HTTP API of beside, a co-browsing server. Every error answers with \
                       the `Error` body; its `error` code is stable. See docs/api.md for the \
                       common flows.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
        version = "1"
    ),
    components(schemas(ErrorBody))
)]
struct Base;

/// The document of `paths`, the routes as `routes::api` registered them (under `/api/v1`).
pub(crate) fn document(paths: OpenApi) -> OpenApi {
    let mut doc = Base::openapi().nest("/api/v1", paths);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        LOGIN_COOKIE,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::auth::COOKIE,
            "A staff login: the HttpOnly cookie `POST /api/v1/auth/login` sets.",
        ))),
    );
    components.add_security_scheme(
        PARTICIPANT_TOKEN,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A session's participant token: the `customer_token` of `POST \
                     /api/v1/sessions` or the `agent_token` of a join.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        API_TOKEN,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A company's API token, made by an administrator; its scopes decide \
                     which staff routes it opens.",
                ))
                .build(),
        ),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations_mut(item) {
            let Some(row) = ROUTES.iter().find(|r| r.method == method && r.path == path) else {
                // Not in the access table: the router refuses it, and the tests fail.
                continue;
            };
            complete(op, method, path, row.access, row.token_scope());
        }
    }
    doc
}

/// The operations of a path item with their methods as the access table spells them.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("PUT", item.put.as_mut()),
        ("POST", item.post.as_mut()),
        ("DELETE", item.delete.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("HEAD", item.head.as_mut()),
        ("OPTIONS", item.options.as_mut()),
        ("TRACE", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op?)))
}

/// Adds to an operation what follows from its row of the access table, and what every route
/// shares: a unique id, a tag, its security, and the answers of the checks before the handler.
fn complete(
    op: &mut Operation,
    method: &str,
    path: &str,
    access: Access,
    scope: Option<model::ApiScope>,
) {
    let rest = path.trim_start_matches("/api/v1/");
    op.operation_id = Some(operation_id(method, rest));
    let tag = rest.split(['/', '.']).next().unwrap_or(rest).to_owned();
    op.tags = Some(vec![tag]);
    let who = match access {
        Access::Public => "anyone".to_owned(),
        Access::Participant => "a participant of the session (their token)".to_owned(),
        Access::EmbedOrigin => {
            "a page on one of the company's embed origins (its `Origin`)".to_owned()
        }
        Access::SignedIn => "any signed-in staff account".to_owned(),
        Access::Staff(permission) => match scope {
            Some(scope) => format!(
                "staff whose role has the `{permission}` permission, or an API token with the \
                 `{scope}` scope"
            ),
            None => format!("staff whose role has the `{permission}` permission"),
        },
    };
    let said = op.description.take().unwrap_or_default();
    op.description = Some(format!("{said}\n\nWho may call it: {who}.").trim_start().to_owned());
    // A handler that names its own security (`security(())`: a ticket or a single-use link in
    // the query instead of a header) keeps it, and answers its own refusals.
    if op.security.is_some() {
        add_common_errors(op, method, access);
        return;
    }
    op.security = match access {
        Access::Public | Access::EmbedOrigin => None,
        Access::Participant => Some(vec![SecurityRequirement::new(PARTICIPANT_TOKEN, [""; 0])]),
        // Where an API token opens the route too, its requirement (`API_TOKEN` with the
        // scopes that open it) goes beside the cookie's: either one lets the caller in.
        Access::SignedIn | Access::Staff(_) => {
            let cookie = SecurityRequirement::new(LOGIN_COOKIE, [""; 0]);
            match scope {
                Some(scope) => {
                    Some(vec![cookie, SecurityRequirement::new(API_TOKEN, [scope.as_str()])])
                }
                None => Some(vec![cookie]),
            }
        }
    };
    match access {
        Access::Public => {}
        Access::EmbedOrigin => add_error(
            op,
            403,
            "`origin_not_allowed`: the request's `Origin` is not one of the company's embed origins",
        ),
        Access::Participant => {
            add_error(op, 401, "`invalid_token`: no token, or not one of this session's")
        }
        Access::SignedIn => add_error(op, 401, "`unauthorized`: not signed in"),
        Access::Staff(_) => {
            add_error(op, 401, "`unauthorized`: not signed in");
            add_error(op, 403, "`forbidden`: the role lacks the permission");
            if scope.is_some() {
                add_error(op, 401, "`invalid_token`: an unknown or revoked API token");
            }
        }
    }
    add_common_errors(op, method, access);
}

/// The answers of the checks every route passes (origin, body) and of a fault. The embed's
/// routes check the `Origin` themselves, against the company's embed origins.
fn add_common_errors(op: &mut Operation, method: &str, access: Access) {
    if method != "GET" && access != Access::EmbedOrigin {
        add_error(op, 403, "`forbidden_origin`: a browser's request from a foreign origin");
    }
    if op.request_body.is_some() {
        add_error(op, 400, "`invalid_request`: the body is not the JSON this route reads");
    }
    add_error(op, 500, "`internal`: a fault of the server, logged with the id the message names");
}

/// `post_sessions_id_join` for `POST /sessions/{id}/join`: unique, since (method, path) is.
fn operation_id(method: &str, rest: &str) -> String {
    let words: String = rest
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    let words: Vec<&str> = words.split('_').filter(|w| !w.is_empty()).collect();
    format!("{}_{}", method.to_ascii_lowercase(), words.join("_"))
}

/// Adds an error answer with the `Error` body, or names one more code in the answer of that
/// status the handler documented.
fn add_error(op: &mut Operation, status: u16, what: &str) {
    let code = what.split('`').nth(1).unwrap_or(what);
    match op.responses.responses.entry(status.to_string()) {
        std::collections::btree_map::Entry::Occupied(mut entry) => {
            if let RefOr::T(response) = entry.get_mut() {
                if !response.description.contains(&format!("`{code}`")) {
                    response.description = format!("{}; {what}", response.description);
                }
                if response.content.is_empty() {
                    *response = error_response(&response.description);
                }
            }
        }
        std::collections::btree_map::Entry::Vacant(entry) => {
            entry.insert(RefOr::T(error_response(what)));
        }
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name(ErrorBody::name())))
                .build(),
        )
        .build()
}

/// The document as served, made once when the router is built.
#[derive(Clone)]
pub(crate) struct Served(Bytes);

impl Served {
    pub(crate) fn new(doc: &OpenApi) -> Served {
        Served(Bytes::from(serde_json::to_vec(doc).expect("an OpenAPI document serialises")))
    }
}

/// This API's OpenAPI 3.1 document: every route, its parameters, bodies, answers and who may
/// call it.
#[utoipa::path(
    get,
    path = "/openapi.json",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = serde_json::Value))
)]
pub(crate) async fn serve(Extension(doc): Extension<Served>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], doc.0)
}

#[cfg(test)]
mod tests;
