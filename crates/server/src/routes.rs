//! Route modules; each exposes `router()`, an `OpenApiRouter` whose handlers are registered
//! with `routes!` so that they are documented where they are served (see `crate::openapi`).

pub(crate) mod agents;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod companies;
pub(crate) mod company;
pub(crate) mod console;
pub(crate) mod embed;
pub(crate) mod files;
pub(crate) mod health;
pub(crate) mod picker;
pub(crate) mod reports;
pub(crate) mod rules;
pub(crate) mod sessions;
pub(crate) mod tokens;
pub(crate) mod webhooks;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes under `/api/v1`, each module's on its own (the tests look at them one by one).
pub(crate) fn modules() -> Vec<OpenApiRouter<AppState>> {
    vec![
        sessions::router(),
        agents::router(),
        audit::router(),
        reports::router(),
        auth::router(),
        companies::router(),
        company::router(),
        embed::router(),
        files::router(),
        rules::router(),
        picker::router(),
        webhooks::router(),
        tokens::router(),
        console::router(),
        crate::ws::router(),
        OpenApiRouter::new().routes(routes!(crate::openapi::serve)),
    ]
}

/// Every route under `/api/v1`, with the paths of the OpenAPI document.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    modules().into_iter().fold(OpenApiRouter::new(), OpenApiRouter::merge)
}
