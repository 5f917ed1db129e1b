//! Agents: the staff accounts of a company, and their password hashes.

use model::{AgentId, AgentRole, CompanyId};
use time::OffsetDateTime;

use crate::companies::validate_name;
use crate::row::Row;
use crate::StoreError;

/// An agent to create. The password must already be hashed (a PHC string such as
/// `$argon2id$...`); the store never sees a plaintext password.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAgent {
    pub company: CompanyId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: AgentRole,
}

impl std::fmt::Debug for NewAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAgent")
            .field("company", &self.company)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password_hash", &"[redacted]")
            .field("role", &self.role)
            .finish()
    }
}

/// A stored agent, without the password hash (see `Store::agent_credentials`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Agent {
    pub id: AgentId,
    pub company: CompanyId,
    /// The email as it was given; lookups ignore case.
    pub email: String,
    pub name: String,
    pub role: AgentRole,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// A disabled agent cannot sign in.
    pub disabled: bool,
    /// Raised by every change an administrator can make in the edit form (email, name, role,
    /// disabled): an edit names the version it started from (F18). Setting or resetting the
    /// password leaves it alone, so it never makes an open edit form stale.
    pub version: i64,
}

impl Agent {
    /// What the agent may do: their role's permissions (F19).
    pub fn permissions(&self) -> model::Permissions {
        self.role.permissions()
    }
}

/// What an administrator changes about an agent; `None` keeps a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<AgentRole>,
    pub disabled: Option<bool>,
}

impl AgentChanges {
    /// Trims and checks the fields that change.
    pub(crate) fn validated(self) -> Result<AgentChanges, StoreError> {
        let email = self.email.map(|e| e.trim().to_owned());
        if let Some(email) = &email {
            validate_email(email)?;
        }
        let name = self.name.map(|n| n.trim().to_owned());
        if let Some(name) = &name {
            validate_name("an agent", name)?;
        }
        Ok(AgentChanges { email, name, ..self })
    }

    /// The agent after the changes (the version is the store's to raise).
    pub(crate) fn apply(&self, agent: &Agent) -> Agent {
        Agent {
            email: self.email.clone().unwrap_or_else(|| agent.email.clone()),
            name: self.name.clone().unwrap_or_else(|| agent.name.clone()),
            role: self.role.unwrap_or(agent.role),
            disabled: self.disabled.unwrap_or(agent.disabled),
            ..agent.clone()
        }
    }
}

const MAX_EMAIL_LEN: usize = 254;

/// The key under which an email is unique: the same address in any letter case is one account.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks the shape of an email address: one `@` with text on both sides, a dot-separated
/// domain, no spaces or control characters, at most 254 characters.
pub fn validate_email(email: &str) -> Result<(), StoreError> {
    let invalid = || {
        StoreError::Invalid(format!(
            "`{}` is not a valid email address; expected something like ann@example.com",
            email.chars().take(100).collect::<String>().escape_debug()
        ))
    };
    if email.len() > MAX_EMAIL_LEN {
        return Err(StoreError::Invalid(format!(
            "an email address has at most {MAX_EMAIL_LEN} characters"
        )));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(invalid());
    };
    let domain_ok = !domain.is_empty()
        && !domain.contains('@')
        && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || !domain_ok {
        return Err(invalid());
    }
    Ok(())
}

impl Agent {
    pub(crate) fn from_row(row: &impl Row) -> Result<Agent, StoreError> {
        Ok(Agent {
            id: row.id("id")?,
            company: row.id("company_id")?,
            email: row.text("email")?,
            name: row.text("name")?,
            role: row.parsed("role")?,
            created_at: row.time("created_at")?,
            disabled: row.int("disabled")? != 0,
            version: row.int("version")?,
        })
    }
}

impl NewAgent {
    /// The agent as it will be stored: a fresh id, created now.
    pub(crate) fn to_agent(&self) -> Agent {
        Agent {
            id: AgentId::random(),
            company: self.company.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            created_at: crate::row::now(),
            disabled: false,
            version: 1,
        }
    }

    /// Trims the email and name and checks every field.
    pub(crate) fn validated(self) -> Result<NewAgent, StoreError> {
        let email = self.email.trim().to_owned();
        validate_email(&email)?;
        let name = self.name.trim().to_owned();
        validate_name("an agent", &name)?;
        // A PHC string starts with `$`; a plaintext password stored by mistake most likely not.
        validate_hash(&self.password_hash)?;
        Ok(NewAgent { email, name, ..self })
    }
}

// What the backends answer, worded once.

pub(crate) fn email_taken(email: &str) -> StoreError {
    StoreError::Conflict(format!("an agent with the email `{email}` already exists"))
}

pub(crate) fn unknown_agent(id: &AgentId) -> StoreError {
    StoreError::NotFound(format!("there is no agent with the id {id}"))
}

pub(crate) fn agent_changed(id: &AgentId) -> StoreError {
    StoreError::Stale(format!(
        "the agent {id} was changed by someone else meanwhile; reload it and try again"
    ))
}

pub(crate) fn unknown_link() -> StoreError {
    StoreError::NotFound("this set-password link is unknown, used or expired".to_owned())
}

/// Checks a password hash before storing it: a PHC string such as `$argon2id$...`.
pub(crate) fn validate_hash(hash: &str) -> Result<(), StoreError> {
    if !hash.starts_with('$') || hash.len() > 1024 {
        return Err(StoreError::Invalid(
            "the password hash must be a PHC string such as $argon2id$...; hash the \
             password before storing it"
                .to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes_are_checked() {
        for ok in ["ann@example.com", "a.b+c@sub.example.co", "ANN@Example.COM", "x@localhost"] {
            assert!(validate_email(ok).is_ok(), "{ok}");
        }
        let too_long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@@example.com",
            "a@b@example.com",
            "ann @example.com",
            "ann@exa mple.com",
            "ann@example..com",
            "ann@.example.com",
            "ann@example.com.",
            "ann\n@example.com",
            &too_long,
        ] {
            assert!(matches!(validate_email(bad), Err(StoreError::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn email_keys_ignore_case_and_surrounding_space() {
        assert_eq!(email_key(" Ann@Example.COM "), "ann@example.com");
    }

    #[test]
    fn plaintext_passwords_are_not_accepted_as_hashes() {
        let new = NewAgent {
            company: CompanyId::random(),
            email: "ann@example.com".into(),
            name: "Ann".into(),
            password_hash: "hunter2".into(),
            role: AgentRole::Agent,
        };
        assert!(matches!(new.clone().validated(), Err(StoreError::Invalid(_))));
        assert!(!format!("{new:?}").contains("hunter2"));
    }
}
