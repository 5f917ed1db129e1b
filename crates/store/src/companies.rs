//! Companies: the tenants that own agents, sessions and rules.

use model::CompanyId;
use time::OffsetDateTime;

use crate::row::Row;
use crate::StoreError;

/// A company to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompany {
    /// Short name used in URLs and the API, e.g. `acme-shop`.
    pub slug: String,
    /// Display name, e.g. "ACME Shop".
    pub name: String,
    /// Where new sessions start; `None` means beside's built-in demo shop.
    pub start_url: Option<String>,
}

/// A stored company.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Company {
    pub id: CompanyId,
    pub slug: String,
    pub name: String,
    /// Where new sessions start; `None` means beside's built-in demo shop.
    pub start_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// What the company decides about its sessions.
    pub policy: SessionPolicy,
    /// The key its site signs start tokens with (`StartMode::Signed`); `None` until asked for.
    #[serde(skip)]
    pub start_secret: Option<model::Secret<String>>,
}

/// What a company decides about its sessions (F2, F3, F13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SessionPolicy {
    /// The customer approves each agent who redeems a PIN before they join (`pin.approval`).
    pub pin_approval: bool,
    /// Agents' input reaches the page from the start; otherwise they ask the customer for
    /// control. Either way the customer grants and revokes it at any moment.
    pub agents_start_with_control: bool,
    /// Whether a session's chat is kept with its record when it ends.
    pub transcripts: TranscriptPolicy,
    /// Who may start a session: anyone (`open`), or only with a start token signed by the
    /// company's site (`signed`).
    pub start: StartMode,
    /// What agents see of a PDF without form fields (one with fields is always hidden from them).
    pub pdfs: model::PdfView,
}

impl Default for SessionPolicy {
    /// Agents join when they redeem the PIN (the customer gave it), with control (the customer
    /// can revoke it), and the chat goes with the session.
    fn default() -> Self {
        SessionPolicy {
            pin_approval: false,
            agents_start_with_control: true,
            transcripts: TranscriptPolicy::Delete,
            start: StartMode::Open,
            pdfs: model::PdfView::Show,
        }
    }
}

impl SessionPolicy {
    /// The audit event of a company's policy becoming this one, changed by `agent` (an
    /// administrator) or on the command line (`None`).
    pub fn changed_event(
        &self,
        company: &CompanyId,
        agent: Option<&model::AgentId>,
    ) -> crate::AuditEvent {
        crate::AuditEvent {
            at: OffsetDateTime::now_utc(),
            company: Some(company.clone()),
            agent: agent.cloned(),
            session: None,
            kind: model::AuditKind::CompanyPolicyChanged.to_string(),
            detail: serde_json::json!({
                "pin_approval": self.pin_approval,
                "agents_start_with_control": self.agents_start_with_control,
                "transcripts": self.transcripts,
                "start": self.start,
                "pdfs": self.pdfs,
                "via": if agent.is_some() { "api" } else { "command_line" },
            }),
        }
    }
}

/// The audit event of a company's start secret being read (or, with `renew`, replaced) by
/// `agent` (an administrator) or on the command line (`None`). It never holds the secret.
pub fn start_secret_event(
    company: &CompanyId,
    agent: Option<&model::AgentId>,
    renew: bool,
) -> crate::AuditEvent {
    crate::AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: Some(company.clone()),
        agent: agent.cloned(),
        session: None,
        kind: if renew {
            model::AuditKind::StartSecretRenewed
        } else {
            model::AuditKind::StartSecretRead
        }
        .to_string(),
        detail: serde_json::json!({ "via": if agent.is_some() { "api" } else { "command_line" } }),
    }
}

/// What becomes of a session's chat when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptPolicy {
    /// Kept with the session record.
    Keep,
    /// Gone with the session, like the browser context.
    Delete,
}

impl TranscriptPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptPolicy::Keep => "keep",
            TranscriptPolicy::Delete => "delete",
        }
    }
}

impl std::str::FromStr for TranscriptPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "keep" => Ok(TranscriptPolicy::Keep),
            "delete" => Ok(TranscriptPolicy::Delete),
            other => Err(format!("`{other}` is not a transcript policy; use keep or delete")),
        }
    }
}

impl std::fmt::Display for TranscriptPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may start a session of a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartMode {
    /// Anyone may start one from the company's page or `/embed.js`.
    Open,
    /// A start needs a token the company's site signed with its start secret.
    Signed,
}

impl StartMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StartMode::Open => "open",
            StartMode::Signed => "signed",
        }
    }
}

impl std::str::FromStr for StartMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(StartMode::Open),
            "signed" => Ok(StartMode::Signed),
            other => Err(format!("`{other}` is not a start mode; use open or signed")),
        }
    }
}

impl std::fmt::Display for StartMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fresh start secret: 256 random bits, prefixed so that it is recognised when found.
pub(crate) fn fresh_start_secret() -> String {
    format!("bss_{}", model::random_token())
}

pub(crate) const MAX_NAME_CHARS: usize = 100;
const MAX_START_URL_LEN: usize = 8 * 1024;

/// Checks that a slug is 3 to 40 characters of `a-z`, `0-9` and `-`, not starting or ending
/// with `-`.
pub fn validate_slug(slug: &str) -> Result<(), StoreError> {
    let bytes = slug.as_bytes();
    let edge_ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (3..=40).contains(&bytes.len())
        && bytes.iter().all(|&c| edge_ok(c) || c == b'-')
        && bytes.first().is_some_and(|&c| edge_ok(c))
        && bytes.last().is_some_and(|&c| edge_ok(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "`{}` is not a valid company slug; use 3 to 40 lowercase letters, digits and dashes, \
             starting and ending with a letter or digit, e.g. acme-shop",
            slug.escape_debug()
        )))
    }
}

/// Checks a display name (of a company or an agent): 1 to 100 characters, no control characters.
pub fn validate_name(what: &str, name: &str) -> Result<(), StoreError> {
    let n_chars = name.chars().count();
    if name.trim().is_empty() || n_chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{what} name must be 1 to {MAX_NAME_CHARS} characters without control characters"
        )));
    }
    Ok(())
}

impl Company {
    pub(crate) fn from_row(row: &impl Row) -> Result<Company, StoreError> {
        Ok(Company {
            id: row.id("id")?,
            slug: row.text("slug")?,
            name: row.text("name")?,
            start_url: row.opt_text("start_url")?,
            created_at: row.time("created_at")?,
            policy: SessionPolicy {
                pin_approval: row.int("pin_approval")? != 0,
                agents_start_with_control: row.int("agents_start_with_control")? != 0,
                transcripts: row.parsed("transcripts")?,
                start: row.parsed("start_mode")?,
                pdfs: row.parsed("pdf_view")?,
            },
            start_secret: row.opt_text("start_secret")?.map(model::Secret::new),
        })
    }
}

impl NewCompany {
    /// The company as it will be stored: a fresh id, created now.
    pub(crate) fn to_company(&self) -> Company {
        Company {
            id: CompanyId::random(),
            slug: self.slug.clone(),
            name: self.name.clone(),
            start_url: self.start_url.clone(),
            created_at: crate::row::now(),
            // The policy's columns start at their defaults, which are these.
            policy: SessionPolicy::default(),
            start_secret: None,
        }
    }

    /// Trims the name and start URL and checks every field.
    pub(crate) fn validated(self) -> Result<NewCompany, StoreError> {
        validate_slug(&self.slug)?;
        let name = self.name.trim().to_owned();
        validate_name("a company", &name)?;
        let start_url = match self.start_url.map(|u| u.trim().to_owned()) {
            Some(url) if url.is_empty() => None,
            Some(url) if url.len() > MAX_START_URL_LEN || url.chars().any(char::is_control) => {
                return Err(StoreError::Invalid(format!(
                    "the start URL must be at most {MAX_START_URL_LEN} characters without \
                     control characters"
                )))
            }
            other => other,
        };
        Ok(NewCompany { slug: self.slug, name, start_url })
    }
}

// What the backends answer, worded once.

pub(crate) fn slug_taken(slug: &str) -> StoreError {
    StoreError::Conflict(format!(
        "a company with the slug `{slug}` already exists; choose another slug"
    ))
}

pub(crate) fn unknown_company(id: &CompanyId) -> StoreError {
    StoreError::NotFound(format!("there is no company with the id {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_documented_shape() {
        for ok in ["abc", "acme-shop", "a1b", "demo", "0-0", &"a".repeat(40)] {
            assert!(validate_slug(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "ab", "-abc", "abc-", "Acme", "acme_shop", "acme shop", "ünï", &"a".repeat(41)]
        {
            assert!(matches!(validate_slug(bad), Err(StoreError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn company_names_are_trimmed_and_bounded() {
        let new = NewCompany { slug: "acme".into(), name: "  ACME  ".into(), start_url: None };
        assert_eq!(new.validated().unwrap().name, "ACME");
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            let new = NewCompany { slug: "acme".into(), name: bad.into(), start_url: None };
            assert!(matches!(new.validated(), Err(StoreError::Invalid(_))), "{bad:?}");
        }
        let blank_url =
            NewCompany { slug: "acme".into(), name: "A".into(), start_url: Some(" ".into()) };
        assert_eq!(blank_url.validated().unwrap().start_url, None);
    }
}
