//! `GET /api/v1/openapi.json`: the running server describes every route of its access table.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;
use server::access::ROUTES;

#[tokio::test]
async fn anyone_reads_the_openapi_document_of_every_route() {
    let app = TestApp::spawn().await;
    let res = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/json");
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for row in ROUTES {
        let op = &doc["paths"][row.path][row.method.to_ascii_lowercase()];
        assert!(op["responses"].is_object(), "{} {} is not in the document", row.method, row.path);
    }
    // What the login answers is what the document says it answers.
    let me = &doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["$ref"];
    assert_eq!(me, "#/components/schemas/Me");
    let required: Vec<&str> = doc["components"]["schemas"]["Me"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let client = app.demo_agent().await;
    let body: Value =
        client.get(app.url("/api/v1/auth/me")).send().await.unwrap().json().await.unwrap();
    for field in required {
        assert!(!body[field].is_null(), "`{field}` is required by the document: {body}");
    }
    app.stop().await;
}
