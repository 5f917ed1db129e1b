//! The document is complete and well-formed. A failure here names what to do; the steps are in
//! the module doc of `crate::openapi`.

use super::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn doc() -> Value {
    let doc = document(crate::routes::api().into_openapi());
    serde_json::to_value(&doc).expect("the document serialises")
}

/// (METHOD, path) of every operation of the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
                .contains(&method.as_str())
            {
                found.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    found
}

#[test]
fn every_route_of_the_access_table_is_documented_and_nothing_else() {
    let documented = operations(&doc());
    let table: BTreeSet<(String, String)> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    let undocumented: Vec<_> = table.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes of access::ROUTES missing from the OpenAPI document: {undocumented:?}. Put \
         #[utoipa::path(...)] on each handler and register it with `.routes(routes!(handler))` \
         (crate::openapi's module doc says how)"
    );
    let unlisted: Vec<_> = documented.difference(&table).collect();
    assert!(
        unlisted.is_empty(),
        "operations of the OpenAPI document that access::ROUTES lacks (the server refuses them \
         with 500): {unlisted:?}. Add their rows, or correct the `path` of their #[utoipa::path]"
    );
    // The table's own rows are checked against the router by the authorisation matrix test.
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = doc();
    let version = doc["openapi"].as_str().expect("openapi is a string");
    assert!(version.starts_with("3.1."), "{version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    // Every `$ref` points at something the document has.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }

    let schemes = doc["components"]["securitySchemes"].as_object().expect("security schemes");
    for name in [LOGIN_COOKIE, PARTICIPANT_TOKEN, API_TOKEN] {
        assert!(schemes.contains_key(name), "{name}");
    }
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(path.starts_with("/api/v1/"), "{path}");
        let placeholders: BTreeSet<&str> =
            path.split('/').filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}')).collect();
        for (method, op) in item.as_object().expect("a path item") {
            let at = format!("{} {path}", method.to_ascii_uppercase());
            // Path parameters: each placeholder declared once, required; none that is not one.
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(p["required"], true, "{at}: path parameter {p} is not required");
                    assert!(p["schema"].is_object(), "{at}: path parameter {p} has no schema");
                    p["name"].as_str().expect("a parameter's name")
                })
                .collect();
            assert_eq!(declared, placeholders, "{at}: its path parameters");
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{at}: no operationId"));
            assert!(ids.insert(id.to_owned()), "{at}: operationId {id} twice");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{at}: no tag");
            assert!(
                op["summary"].is_string(),
                "{at}: no summary; write a /// line above its #[utoipa::path]"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('1') || s.starts_with('2')),
                "{at}: no success answer"
            );
            for (status, response) in responses {
                assert!(status.len() == 3 && status.parse::<u16>().is_ok(), "{at}: {status}");
                assert!(response["description"].is_string(), "{at} {status}: no description");
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error",
                        "{at} {status}: an error answers with the one `Error` body"
                    );
                }
            }
            for requirement in op["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().expect("a requirement").keys() {
                    assert!(schemes.contains_key(scheme), "{at}: unknown scheme {scheme}");
                }
            }
        }
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                refs.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

#[test]
fn no_two_modules_give_one_schema_name_to_different_types() {
    let mut seen: BTreeMap<String, Value> = BTreeMap::new();
    for module in crate::routes::modules() {
        let doc = module.into_openapi();
        let schemas = doc.components.map(|c| c.schemas).unwrap_or_default();
        for (name, schema) in schemas {
            let schema = serde_json::to_value(schema).expect("a schema serialises");
            if let Some(before) = seen.insert(name.clone(), schema.clone()) {
                assert_eq!(
                    before, schema,
                    "two types are called `{name}` in the document; give one of them another \
                     name with #[schema(as = ...)]"
                );
            }
        }
    }
}

#[test]
fn the_error_body_lists_every_code() {
    let doc = doc();
    let listed = &doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"];
    let codes: Vec<&str> = crate::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, &serde_json::json!(codes));
}

#[test]
fn routes_get_the_security_of_their_access() {
    let doc = doc();
    let security = |method: &str, path: &str| doc["paths"][path][method]["security"].clone();
    assert_eq!(security("post", "/api/v1/sessions"), Value::Null);
    assert_eq!(
        security("post", "/api/v1/sessions/{id}/tickets"),
        serde_json::json!([{ PARTICIPANT_TOKEN: [] }])
    );
    assert_eq!(
        security("get", "/api/v1/company"),
        serde_json::json!([{ LOGIN_COOKIE: [] }, { API_TOKEN: ["company"] }])
    );
    assert_eq!(security("post", "/api/v1/tokens"), serde_json::json!([{ LOGIN_COOKIE: [] }]));
    let forbidden = &doc["paths"]["/api/v1/company"]["patch"]["responses"]["403"]["description"];
    assert!(forbidden.as_str().is_some_and(|d| d.contains("`forbidden`")), "{forbidden}");
}
