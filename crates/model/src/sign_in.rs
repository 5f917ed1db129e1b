//! The sign-in prompts of HTTP authentication (Basic, Digest…) a site asks for (F11): the
//! customer answers them; the credentials they give go to the page and nowhere else.

use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

use crate::Secret;

/// A sign-in prompt of one session, unique within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SignInId(pub u64);

impl fmt::Display for SignInId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sign-in prompt {}", self.0)
    }
}

/// What the customer answers a sign-in prompt with. Neither part ever prints (`Debug` shows
/// `[redacted]`); it is kept only until the page has it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Credentials {
    pub username: Secret<String>,
    pub password: Secret<String>,
}

/// Serialising writes both parts as they are: only a client sending its own answer does it.
impl Serialize for Credentials {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Credentials", 2)?;
        s.serialize_field("username", self.username.expose())?;
        s.serialize_field("password", self.password.expose())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print_and_travel_as_given() {
        let c: Credentials =
            serde_json::from_str(r#"{"username":"ann","password":"hunter2"}"#).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("ann") && !shown.contains("hunter2"), "{shown}");
        assert_eq!(c.password.expose(), "hunter2");
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"username":"ann","password":"hunter2"}"#
        );
        assert_eq!(SignInId(3).to_string(), "sign-in prompt 3");
    }
}
