//! Sites' sign-in prompts (HTTP authentication), in one place.
//!
//! Chromium would ask for a user name and password in a window of its own, outside the page.
//! Each tab intercepts them instead (`Fetch.enable` with `handleAuthRequests`): a challenge of
//! a site is reported as a [`crate::TabEvent::SignIn`] and answered with
//! [`crate::Tab::answer_sign_in`], while the request waits. Only documents are intercepted, so
//! a page's other requests never wait for beside; a challenge of a proxy is refused at once
//! (the only proxy is beside's own, which asks for nothing).

use model::Credentials;
use serde_json::{json, Value};

/// Characters of a site's origin and realm kept (the site chooses them).
const MAX_TEXT_CHARS: usize = 300;

/// A site's request to sign in, while its request waits for the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// Chromium's id of the waiting request.
    pub(crate) request_id: String,
    /// Who asks: the site's origin (scheme, host, port).
    pub origin: String,
    /// What the site calls the protected area (its own words; may be empty).
    pub realm: String,
}

impl SignIn {
    /// A prompt of the waiting request `request_id`; for fakes of the browser in tests.
    #[doc(hidden)]
    pub fn new(request_id: &str, origin: &str, realm: &str) -> SignIn {
        SignIn { request_id: request_id.into(), origin: origin.into(), realm: realm.into() }
    }
}

/// What `Fetch.authRequired` asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// A site asks the person to sign in.
    Site(SignIn),
    /// A proxy asks (this request's id): refused at once.
    Proxy(String),
}

/// `Fetch.enable`'s parameters: sign-in challenges of documents (a page or a frame), and
/// documents' responses (`pdf`).
pub(crate) fn enable_params() -> Value {
    json!({
        "handleAuthRequests": true,
        // Chromium refuses an empty list with handleAuthRequests, and pauses every request a
        // pattern matches: documents only, each continued at once (`continue_params`); their
        // responses stop once more, for `pdf` to look at.
        "patterns": [
            { "urlPattern": "*", "resourceType": "Document" },
            { "urlPattern": "*", "resourceType": "Document", "requestStage": "Response" },
        ],
    })
}

/// `Fetch.continueRequest`'s parameters for a paused request: it goes on as it was.
pub(crate) fn continue_params(params: &Value) -> Option<Value> {
    let id = params.get("requestId")?.as_str()?;
    Some(json!({ "requestId": id }))
}

/// The challenge of `Fetch.authRequired`'s parameters.
pub(crate) fn parse_challenge(params: &Value) -> Option<Challenge> {
    let request_id = params.get("requestId")?.as_str()?.to_owned();
    let challenge = params.get("authChallenge")?;
    if challenge.get("source").and_then(Value::as_str) == Some("Proxy") {
        return Some(Challenge::Proxy(request_id));
    }
    let text = |name: &str| -> String {
        challenge
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_TEXT_CHARS)
            .collect()
    };
    Some(Challenge::Site(SignIn { request_id, origin: text("origin"), realm: text("realm") }))
}

/// `Fetch.continueWithAuth`'s parameters: the credentials, or a refusal (the site's own
/// "unauthorised" page then shows). The only place that reads the credentials.
pub(crate) fn answer_params(request_id: &str, credentials: Option<&Credentials>) -> Value {
    let response = match credentials {
        Some(c) => json!({
            "response": "ProvideCredentials",
            "username": c.username.expose(),
            "password": c.password.expose(),
        }),
        None => json!({ "response": "CancelAuth" }),
    };
    json!({ "requestId": request_id, "authChallengeResponse": response })
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Secret;

    #[test]
    fn sites_ask_the_person_and_proxies_are_refused() {
        let site = json!({
            "requestId": "r1",
            "authChallenge": {
                "source": "Server", "origin": "http://127.0.0.1:8080",
                "scheme": "basic", "realm": "Members\u{7}".to_owned() + &"x".repeat(400),
            },
        });
        let Some(Challenge::Site(s)) = parse_challenge(&site) else { panic!("a site's") };
        assert_eq!((s.request_id.as_str(), s.origin.as_str()), ("r1", "http://127.0.0.1:8080"));
        assert!(s.realm.starts_with("Membersx") && s.realm.chars().count() == 300);
        let proxy = json!({ "requestId": "r2", "authChallenge": { "source": "Proxy" } });
        assert_eq!(parse_challenge(&proxy), Some(Challenge::Proxy("r2".into())));
        assert_eq!(parse_challenge(&json!({ "requestId": "r3" })), None);
    }

    #[test]
    fn an_answer_carries_the_credentials_or_refuses() {
        let c =
            Credentials { username: Secret::new("ann".into()), password: Secret::new("pw".into()) };
        let given = answer_params("r1", Some(&c));
        assert_eq!(given["authChallengeResponse"]["response"], "ProvideCredentials");
        assert_eq!(given["authChallengeResponse"]["password"], "pw");
        let refused = answer_params("r1", None);
        assert_eq!(refused["authChallengeResponse"], json!({ "response": "CancelAuth" }));
        assert_eq!(
            continue_params(&json!({ "requestId": "r9" })),
            Some(json!({ "requestId": "r9" }))
        );
    }
}
