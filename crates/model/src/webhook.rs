//! The events a company's webhooks can be sent.

use std::fmt;

/// An event type a webhook subscribes to, named on the wire as `session.started` and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    /// A customer started a session (it exists, with its PIN), before any agent joined.
    SessionStarted,
    /// A session ended, with its reason and duration.
    SessionEnded,
    /// A session's recording can be fetched. Accepted at registration; beside does not record
    /// sessions yet, so none is sent.
    RecordingReady,
}

impl WebhookEvent {
    /// Every event type, in declaration order.
    pub const ALL: [WebhookEvent; 3] =
        [WebhookEvent::SessionStarted, WebhookEvent::SessionEnded, WebhookEvent::RecordingReady];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::SessionStarted => "session.started",
            WebhookEvent::SessionEnded => "session.ended",
            WebhookEvent::RecordingReady => "recording.ready",
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WebhookEvent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        WebhookEvent::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
            format!("`{s}` is not a webhook event; the events are {}", known.join(", "))
        })
    }
}

impl serde::Serialize for WebhookEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for WebhookEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// In the API's OpenAPI document: one of the names of [`WebhookEvent::ALL`].
impl utoipa::PartialSchema for WebhookEvent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(WebhookEvent::ALL.map(WebhookEvent::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for WebhookEvent {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_named_as_the_contract_says_and_parse_back() {
        let names: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(names, ["session.started", "session.ended", "recording.ready"]);
        for event in WebhookEvent::ALL {
            assert_eq!(event.as_str().parse::<WebhookEvent>(), Ok(event));
            assert_eq!(serde_json::to_value(event).unwrap(), event.as_str());
        }
        let err = "session.paused".parse::<WebhookEvent>().unwrap_err();
        assert!(err.contains("session.started"), "{err}");
        assert!(serde_json::from_str::<WebhookEvent>("\"Session.Started\"").is_err());
    }
}
