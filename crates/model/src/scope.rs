//! What an API token may do (F23): scopes, each covering a group of staff routes.

use std::fmt;

/// One scope of an API token, named on the wire as `sessions:join` and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiScope {
    /// Join customers' sessions by PIN or id, and hand the agent console to an agent.
    SessionsJoin,
    /// Read session records and what was kept of them (transcripts).
    SessionsRead,
    /// Read and change the company's mask and block rules.
    Rules,
    /// Read and change agent accounts.
    Agents,
    /// Read session reports.
    Reports,
    /// Read recordings.
    Recordings,
    /// Read and change webhooks.
    Webhooks,
    /// Read and change the company's settings.
    Company,
    /// Read the audit log.
    Audit,
}

impl ApiScope {
    /// Every scope, in declaration order.
    pub const ALL: [ApiScope; 9] = [
        ApiScope::SessionsJoin,
        ApiScope::SessionsRead,
        ApiScope::Rules,
        ApiScope::Agents,
        ApiScope::Reports,
        ApiScope::Recordings,
        ApiScope::Webhooks,
        ApiScope::Company,
        ApiScope::Audit,
    ];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::SessionsJoin => "sessions:join",
            ApiScope::SessionsRead => "sessions:read",
            ApiScope::Rules => "rules",
            ApiScope::Agents => "agents",
            ApiScope::Reports => "reports",
            ApiScope::Recordings => "recordings",
            ApiScope::Webhooks => "webhooks",
            ApiScope::Company => "company",
            ApiScope::Audit => "audit",
        }
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ApiScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        ApiScope::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = ApiScope::ALL.iter().map(|e| e.as_str()).collect();
            let shown: String = s.chars().take(40).collect();
            format!("`{shown}` is not an API token scope; the scopes are {}", known.join(", "))
        })
    }
}

impl serde::Serialize for ApiScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ApiScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// In the API's OpenAPI document: one of the names of [`ApiScope::ALL`].
impl utoipa::PartialSchema for ApiScope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ApiScope::ALL.map(ApiScope::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for ApiScope {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_round_trips_through_its_name() {
        for scope in ApiScope::ALL {
            assert_eq!(scope.as_str().parse::<ApiScope>(), Ok(scope));
            assert_eq!(serde_json::to_value(scope).unwrap(), scope.as_str());
        }
        let err = "sessions:write".parse::<ApiScope>().unwrap_err();
        assert!(err.contains("`sessions:write`") && err.contains("sessions:join"), "{err}");
    }
}
