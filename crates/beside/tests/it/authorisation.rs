//! The authorisation matrix (F19): every route of `server::access::ROUTES`, for every role,
//! for the own company and another company, and without a login. A missing login is 401, a
//! missing permission 403, another company's object 404 as if it did not exist.

use crate::support::TestApp;
use model::{AgentRole, Permission, Permissions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::access::{Access, ROUTES};

/// Someone calling the API.
struct Caller {
    name: &'static str,
    client: reqwest::Client,
    /// `None` without a login.
    permissions: Option<Permissions>,
    own_company: bool,
}

async fn status_of(
    app: &TestApp,
    caller: &Caller,
    method: &str,
    path: &str,
) -> (StatusCode, Value) {
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = caller.client.request(method.clone(), app.url(path));
    if method == Method::POST {
        req = req.json(&json!({}));
    } else if method == Method::PATCH {
        // A well-formed change, so an object's company is checked rather than the body.
        req = req.json(&json!({"version": 1}));
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_route_answers_each_role_of_each_company_as_the_access_table_says() {
    let app = TestApp::spawn().await;
    let password = "a long enough password";
    app.add_company_with("other", "admin@other.example", password, AgentRole::Admin).await;
    let store = app.store().await;
    let other = store.company_by_slug("other").await.unwrap().unwrap();
    store
        .create_agent(store::NewAgent {
            company: other.id,
            email: "agent@other.example".into(),
            name: "Agent of other".into(),
            password_hash: server::password::hash(password).unwrap(),
            role: AgentRole::Agent,
        })
        .await
        .unwrap();
    let demo_admin = app.demo_agent().await;
    let demo_plain = app.add_agent_to("demo", "plain@demo.example", "Pat Plain").await;
    // An agent the `/agents/{id}` rows act on (not a caller: they may remove them).
    let demo = store.company_by_slug("demo").await.unwrap().unwrap();
    let target = store
        .create_agent(store::NewAgent {
            company: demo.id.clone(),
            email: "target@demo.example".into(),
            name: "Tess Target".into(),
            password_hash: server::password::hash(password).unwrap(),
            role: AgentRole::Agent,
        })
        .await
        .unwrap();

    // The demo company's objects that the placeholders name.
    let started = app.start_session_at(None).await;
    let (status, rule) = app
        .post(&demo_admin, "/api/v1/rules", json!({"kind": "mask", "selector": "#secret"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let webhook = store
        .create_webhook(store::NewWebhook {
            company: demo.id.clone(),
            url: "https://crm.demo.example/beside".into(),
            events: vec![model::WebhookEvent::SessionEnded],
            secret: model::Secret::new("whsec_authorisation_matrix".into()),
            created_by: None,
        })
        .await
        .unwrap();
    let demo_admin_id = store
        .agents(&demo.id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.email == "agent@demo.example")
        .expect("the demo administrator")
        .id;
    let token = store
        .create_api_token(store::NewApiToken {
            company: demo.id.clone(),
            name: "CRM".into(),
            scopes: vec![model::ApiScope::Rules],
            token_hash: store::login_token_hash("bst_authorisation_matrix"),
            created_by: demo_admin_id,
        })
        .await
        .unwrap();
    let object_of = |path: &str| -> String {
        path.replace("{slug}", "demo")
            .replace("/agents/{id}", &format!("/agents/{}", target.id))
            .replace("/rules/{id}", &format!("/rules/{}", rule["id"].as_str().unwrap()))
            .replace("/sessions/{id}", &format!("/sessions/{}", started.session_id))
            .replace("/webhooks/{id}", &format!("/webhooks/{}", webhook.id))
            .replace("/tokens/{id}", &format!("/tokens/{}", token.id))
    };

    // Other companies first: the own company's calls may change or remove the objects.
    let callers = [
        Caller {
            name: "nobody",
            client: app.browser_client(),
            permissions: None,
            own_company: true,
        },
        Caller {
            name: "an agent of another company",
            client: app.login("agent@other.example", password).await,
            permissions: Some(AgentRole::Agent.permissions()),
            own_company: false,
        },
        Caller {
            name: "an admin of another company",
            client: app.login("admin@other.example", password).await,
            permissions: Some(AgentRole::Admin.permissions()),
            own_company: false,
        },
        Caller {
            name: "an agent",
            client: demo_plain,
            permissions: Some(AgentRole::Agent.permissions()),
            own_company: true,
        },
        Caller {
            name: "an admin",
            client: demo_admin,
            permissions: Some(AgentRole::Admin.permissions()),
            own_company: true,
        },
    ];
    assert!(
        !AgentRole::Agent.permissions().contains(Permission::Admin),
        "the matrix has a role without a permission that routes need"
    );
    let mut tried = 0;
    for row in ROUTES {
        let path = object_of(row.path);
        for caller in &callers {
            // Signing out would end the caller's login for the rows after it.
            if row.path == "/api/v1/auth/logout" && caller.permissions.is_some() {
                continue;
            }
            let (status, body) = status_of(&app, caller, row.method, &path).await;
            let what = format!("{} {} by {}: {status} {body}", row.method, path, caller.name);
            assert_ne!(body["message"], json!("there is no such API route"), "{what}");
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
            let needed = match row.access {
                Access::Public => {
                    assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{what}"
                    );
                    tried += 1;
                    continue;
                }
                Access::EmbedOrigin => {
                    // Not from one of the company's embed origins (these calls send none).
                    assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                    assert_eq!(body["error"], json!("origin_not_allowed"), "{what}");
                    tried += 1;
                    continue;
                }
                Access::Participant => {
                    // No participant token: refused whoever is signed in.
                    assert!(status.is_client_error(), "{what}");
                    tried += 1;
                    continue;
                }
                Access::SignedIn => None,
                Access::Staff(permission) => Some(permission),
            };
            let Some(permissions) = caller.permissions else {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
                tried += 1;
                continue;
            };
            if needed.is_some_and(|p| !permissions.contains(p)) {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                assert_eq!(body["error"], json!("forbidden"), "{what}");
            } else if !caller.own_company && row.path.contains('{') {
                assert_eq!(status, StatusCode::NOT_FOUND, "{what}");
            } else {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{what}"
                );
            }
            tried += 1;
        }
    }
    assert!(tried > ROUTES.len() * 4, "tried only {tried}");
    app.stop().await;
}

/// The codes of the refusals `ws` hears for `msg`, up to the answer to a ping sent after it.
async fn refusals_of(ws: &mut crate::support::Ws, msg: Value) -> Vec<String> {
    ws.send(msg).await;
    ws.send(json!({"type": "ping"})).await;
    let mut codes = Vec::new();
    ws.wait_for("a pong", |incoming| match incoming {
        crate::support::Incoming::Text(v) if v["type"] == "pong" => Some(()),
        crate::support::Incoming::Text(v) if v["type"] == "rejected" => {
            codes.push(v["code"].as_str().unwrap_or_default().to_owned());
            None
        }
        _ => None,
    })
    .await;
    codes
}

/// The WebSocket part of the matrix (F19): every client message type, sent by an agent of
/// each role, is refused with `not_permitted` exactly when the role lacks the permission
/// `ClientMessage::permission` names, and each refusal is counted.
#[tokio::test]
async fn every_message_answers_each_role_as_the_permission_table_says() {
    let app = TestApp::spawn().await;
    let samples: Vec<(Value, Permission)> = protocol::CLIENT_MESSAGE_SAMPLES
        .iter()
        .map(|s| protocol::parse_client_message(s).expect("a sample parses"))
        // Leaving would end the agent's place; a ping is what closes each message's answers.
        .filter(|m| !matches!(m, protocol::ClientMessage::End | protocol::ClientMessage::Ping))
        .map(|m| (serde_json::to_value(&m).expect("json"), m.permission()))
        .collect();
    let roles = [
        (
            "agent",
            app.add_agent_to("demo", "plain@demo.example", "Pat Plain").await,
            AgentRole::Agent.permissions(),
        ),
        ("admin", app.demo_agent().await, AgentRole::Admin.permissions()),
    ];
    let mut n_refused = 0;
    for (name, client, permissions) in &roles {
        let started = app.start_session_at(Some(&app.site.url("click"))).await;
        let mut customer = app.connect(&started.session_id, &started.customer_token).await;
        customer.wait_welcome().await;
        let (status, body) = app.join(client, &started.pin).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = body["agent_token"].as_str().expect("agent_token");
        let mut ws = app.connect(&started.session_id, token).await;
        ws.wait_welcome().await;
        for (msg, needed) in &samples {
            let codes = refusals_of(&mut ws, msg.clone()).await;
            let refused = codes.iter().any(|c| c == "not_permitted");
            let what = format!("{} by an {name}: {codes:?}", msg["type"]);
            assert_eq!(refused, !permissions.contains(*needed), "{what}");
            n_refused += usize::from(refused);
        }
    }
    let counted = app
        .metrics()
        .await
        .lines()
        .filter(|l| l.starts_with("beside_inputs_rejected_total{reason=\"not_permitted\"}"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<usize>().ok())
        .sum::<usize>();
    assert_eq!(counted, n_refused, "each refusal is counted");
    app.stop().await;
}
