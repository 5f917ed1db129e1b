//! API tokens (F23): what a company's integrations (a CRM) call the API with. The store keeps
//! a token's name, scopes, maker and times, and only the SHA-256 digest of the token itself
//! (`login_token_hash`), so a copy of the database lets nobody call the API.

use model::{AgentId, ApiScope, CompanyId, TokenId};
use time::OffsetDateTime;

use crate::row::Row;
use crate::StoreError;

/// A company keeps at most this many API tokens.
pub const MAX_API_TOKENS_PER_COMPANY: u64 = 50;
/// The longest token name kept, in characters.
pub const MAX_API_TOKEN_NAME_CHARS: usize = 100;

/// An API token to keep; the caller made the token and hands over only its digest.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub company: CompanyId,
    /// What the administrator calls it ("Dynamics 365"); trimmed, 1 to
    /// [`MAX_API_TOKEN_NAME_CHARS`] characters.
    pub name: String,
    /// At least one; kept sorted and without repeats.
    pub scopes: Vec<ApiScope>,
    /// `login_token_hash` of the token.
    pub token_hash: String,
    /// The administrator who made it, on whose behalf it acts.
    pub created_by: AgentId,
}

/// A kept API token: never the token, nor its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub company: CompanyId,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub created_by: AgentId,
    pub created_at: OffsetDateTime,
    /// When it was last used, to within [`LAST_USED_PRECISION`]; `None` if never.
    pub last_used_at: Option<OffsetDateTime>,
}

/// How stale `last_used_at` may be: a token's use is written at most once in this time, so
/// an integration's every call does not become a write.
pub const LAST_USED_PRECISION: time::Duration = time::Duration::minutes(1);

impl NewApiToken {
    pub(crate) fn validated(mut self) -> Result<NewApiToken, StoreError> {
        self.name = self.name.trim().to_owned();
        let n_chars = self.name.chars().count();
        if n_chars == 0 || n_chars > MAX_API_TOKEN_NAME_CHARS {
            return Err(StoreError::Invalid(format!(
                "a token's name has 1 to {MAX_API_TOKEN_NAME_CHARS} characters"
            )));
        }
        if self.name.chars().any(char::is_control) {
            return Err(StoreError::Invalid("a token's name is one line of text".to_owned()));
        }
        self.scopes.sort();
        self.scopes.dedup();
        if self.scopes.is_empty() {
            return Err(StoreError::Invalid("a token needs at least one scope".to_owned()));
        }
        crate::logins::validate_token_hash(&self.token_hash)?;
        Ok(self)
    }

    pub(crate) fn to_token(&self) -> ApiToken {
        ApiToken {
            id: TokenId::random(),
            company: self.company.clone(),
            name: self.name.clone(),
            scopes: self.scopes.clone(),
            created_by: self.created_by.clone(),
            created_at: crate::row::now(),
            last_used_at: None,
        }
    }
}

impl ApiToken {
    pub(crate) fn from_row(row: &impl Row) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: row.id("id")?,
            company: row.id("company_id")?,
            name: row.text("name")?,
            scopes: scopes_from_json(row.json("scopes")?)?,
            created_by: row.id("created_by")?,
            created_at: row.time("created_at")?,
            last_used_at: row.opt_time("last_used_at")?,
        })
    }

    pub(crate) fn scopes_json(&self) -> serde_json::Value {
        serde_json::Value::from(self.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>())
    }

    /// Whether a use at `now` should be written (the last one written is older than
    /// [`LAST_USED_PRECISION`]).
    pub fn use_is_news(&self, now: OffsetDateTime) -> bool {
        self.last_used_at.is_none_or(|at| now - at >= LAST_USED_PRECISION)
    }
}

fn scopes_from_json(value: serde_json::Value) -> Result<Vec<ApiScope>, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("column scopes holds {value}"));
    let list = value.as_array().ok_or_else(corrupt)?;
    list.iter().map(|e| e.as_str().and_then(|s| s.parse().ok()).ok_or_else(corrupt)).collect()
}

pub(crate) fn unknown_api_token(id: &TokenId) -> StoreError {
    StoreError::NotFound(format!("there is no API token with the id {id}"))
}

pub(crate) fn too_many_api_tokens() -> StoreError {
    StoreError::Conflict(format!(
        "a company has at most {MAX_API_TOKENS_PER_COMPANY} API tokens; revoke one first"
    ))
}

pub(crate) fn api_token_refs_missing(new: &NewApiToken) -> StoreError {
    StoreError::NotFound(format!("the company {} or its agent does not exist", new.company))
}

pub(crate) fn api_token_taken() -> StoreError {
    StoreError::Conflict("this API token is already in use".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, scopes: Vec<ApiScope>) -> NewApiToken {
        NewApiToken {
            company: CompanyId::random(),
            name: name.to_owned(),
            scopes,
            token_hash: crate::login_token_hash("bst_x"),
            created_by: AgentId::random(),
        }
    }

    #[test]
    fn names_scopes_and_digests_are_checked() {
        let ok = new("  CRM ", vec![ApiScope::Rules, ApiScope::SessionsJoin, ApiScope::Rules])
            .validated()
            .unwrap();
        assert_eq!(ok.name, "CRM");
        assert_eq!(ok.scopes, [ApiScope::SessionsJoin, ApiScope::Rules]);
        assert!(new(" ", vec![ApiScope::Rules]).validated().is_err());
        assert!(new("a\nb", vec![ApiScope::Rules]).validated().is_err());
        assert!(new(&"x".repeat(101), vec![ApiScope::Rules]).validated().is_err());
        assert!(new("CRM", vec![]).validated().is_err());
        let mut raw = new("CRM", vec![ApiScope::Rules]);
        raw.token_hash = "bst_the_token_itself".to_owned();
        assert!(raw.validated().is_err());
    }

    #[test]
    fn a_use_is_written_at_most_once_a_minute() {
        let mut token = new("CRM", vec![ApiScope::Rules]).to_token();
        let now = token.created_at;
        assert!(token.use_is_news(now));
        token.last_used_at = Some(now);
        assert!(!token.use_is_news(now + time::Duration::seconds(59)));
        assert!(token.use_is_news(now + time::Duration::seconds(60)));
    }
}
