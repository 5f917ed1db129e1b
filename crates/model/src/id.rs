//! Typed ids with a readable prefix (`ses_…`, `cmp_…`), so logs say what an id names.

use std::fmt;

/// An id string that does not have the expected prefix and shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    pub kind: &'static str,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid {} id", self.kind)
    }
}

impl std::error::Error for IdError {}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id with 120 random bits.
            pub fn random() -> Self {
                let bytes = crate::random::random_bytes::<15>();
                $name(format!("{}{}", $prefix, crate::random::encode_base64url(&bytes)))
            }

            pub fn parse(s: &str) -> Result<Self, IdError> {
                let rest = s.strip_prefix($prefix).ok_or(IdError { kind: $kind })?;
                let ok = !rest.is_empty()
                    && rest.len() <= 64
                    && rest.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
                if ok { Ok($name(s.to_owned())) } else { Err(IdError { kind: $kind }) }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        // In the API's OpenAPI document: a string of its prefix and up to 64 URL-safe
        // characters, exactly what `parse` accepts.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "[A-Za-z0-9_-]{1,64}$")))
                    .description(Some(concat!("The ", $kind, "'s id.")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $name::parse(s)
            }
        }
    };
}

typed_id!(
    /// One co-browsing session.
    SessionId, "ses_", "session"
);
typed_id!(
    /// A company (the tenant that owns agents, rules and sessions).
    CompanyId, "cmp_", "company"
);
typed_id!(
    /// A staff account of a company.
    AgentId, "agt_", "agent"
);
typed_id!(
    /// One person's presence in one session.
    ParticipantId, "par_", "participant"
);
typed_id!(
    /// A company's masking or blocking rule.
    RuleId, "rul_", "rule"
);
typed_id!(
    /// A company rule not yet published: a new rule, or a change of a live one.
    DraftId, "drf_", "rule draft"
);
typed_id!(
    /// A company's webhook: an address beside posts events to.
    WebhookId, "whk_", "webhook"
);
typed_id!(
    /// A company's API token (F23): its id, never the token itself.
    TokenId, "tok_", "API token"
);
typed_id!(
    /// One event sent to webhooks (the `id` of a delivery's body), the same for every webhook
    /// that gets it.
    EventId, "evt_", "event"
);
typed_id!(
    /// One recording of a session (a session may be recorded in several stretches).
    RecordingId, "rec_", "recording"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_foreign_prefixes() {
        let id = SessionId::random();
        assert!(id.as_str().starts_with("ses_"));
        assert_eq!(SessionId::parse(id.as_str()), Ok(id.clone()));
        assert!(SessionId::parse("cmp_abc").is_err());
        assert!(SessionId::parse("ses_").is_err());
        assert!(SessionId::parse("ses_a/b").is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<SessionId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<SessionId>("\"agt_x\"").is_err());
    }
}
