//! Companies: the tenants that own agents, sessions and rules.

use std::collections::BTreeMap;

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
    /// How the customer's page looks (F21).
    pub branding: Branding,
    /// Where its sessions may go (F17).
    pub navigation: Navigation,
    /// Its PINs (F2).
    pub pin: PinPolicy,
    /// The origins whose pages may use `/embed.js` and frame the agent console (F22, F23),
    /// normalised by `policy::embed::parse_origin`.
    pub embed_origins: Vec<String>,
    /// One more on every change of these settings (name, start URL, policy, branding,
    /// navigation, PIN, logo), so a change made on an older version can be refused.
    pub settings_version: i64,
}

/// How a company's customer page looks (F21).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Branding {
    /// Colour name (`primary`, `header`) to `#rrggbb`; checked by `policy::branding`.
    pub colors: BTreeMap<String, String>,
    /// Language to customer page text key to text; checked by `policy::branding`.
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
    /// The logo's content type; `None` without a logo.
    pub logo_type: Option<LogoType>,
}

/// Where a company's sessions may go: domain patterns, checked by `policy::domains`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Navigation {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

/// A company's PINs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PinPolicy {
    /// How many digits, `MIN_PIN_DIGITS` to `MAX_PIN_DIGITS`.
    pub digits: u8,
    /// How long a PIN can be redeemed; `None`: the server's `session.pin_ttl_secs`.
    pub ttl_secs: Option<u32>,
}

impl Default for PinPolicy {
    fn default() -> Self {
        PinPolicy { digits: MIN_PIN_DIGITS, ttl_secs: None }
    }
}

/// The most embed origins a company may list.
pub const MAX_EMBED_ORIGINS: usize = 50;

pub const MIN_PIN_DIGITS: u8 = 6;
pub const MAX_PIN_DIGITS: u8 = 9;
/// The shortest and longest time a company may give its PINs.
pub const MIN_PIN_TTL_SECS: u32 = 60;
pub const MAX_PIN_TTL_SECS: u32 = 24 * 3600;

/// The kinds of logo a company can upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LogoType {
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/svg+xml")]
    Svg,
}

impl LogoType {
    pub fn as_str(self) -> &'static str {
        match self {
            LogoType::Png => "image/png",
            LogoType::Jpeg => "image/jpeg",
            LogoType::Svg => "image/svg+xml",
        }
    }
}

impl std::str::FromStr for LogoType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "image/png" => Ok(LogoType::Png),
            "image/jpeg" => Ok(LogoType::Jpeg),
            "image/svg+xml" => Ok(LogoType::Svg),
            other => Err(format!("`{other}` is not a logo type")),
        }
    }
}

/// A company's logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub kind: LogoType,
    pub bytes: Vec<u8>,
}

/// The largest logo, in bytes.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// A company's settings as an administrator changes them at once (`PATCH /company`). The
/// logo and the start secret change on their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanySettings {
    pub name: String,
    pub start_url: Option<String>,
    pub policy: SessionPolicy,
    pub colors: BTreeMap<String, String>,
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
    pub navigation: Navigation,
    pub pin: PinPolicy,
    pub embed_origins: Vec<String>,
}

impl Company {
    /// The settings an administrator can change together.
    pub fn settings(&self) -> CompanySettings {
        CompanySettings {
            name: self.name.clone(),
            start_url: self.start_url.clone(),
            policy: self.policy,
            colors: self.branding.colors.clone(),
            texts: self.branding.texts.clone(),
            navigation: self.navigation.clone(),
            pin: self.pin,
            embed_origins: self.embed_origins.clone(),
        }
    }
}

impl CompanySettings {
    /// Trims the name and start URL and checks the bounds the database holds to.
    pub(crate) fn validated(mut self) -> Result<CompanySettings, StoreError> {
        self.name = self.name.trim().to_owned();
        validate_name("a company", &self.name)?;
        self.start_url = validate_start_url(self.start_url)?;
        if !(MIN_PIN_DIGITS..=MAX_PIN_DIGITS).contains(&self.pin.digits) {
            return Err(StoreError::Invalid(format!(
                "a PIN has {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits"
            )));
        }
        if self.embed_origins.len() > MAX_EMBED_ORIGINS {
            return Err(StoreError::Invalid(format!(
                "a company has at most {MAX_EMBED_ORIGINS} embed origins"
            )));
        }
        if self.pin.ttl_secs.is_some_and(|t| !(MIN_PIN_TTL_SECS..=MAX_PIN_TTL_SECS).contains(&t)) {
            return Err(StoreError::Invalid(format!(
                "a PIN lives {MIN_PIN_TTL_SECS} to {MAX_PIN_TTL_SECS} seconds"
            )));
        }
        Ok(self)
    }

    /// The audit event of a company's settings becoming these, changed by `agent` (an
    /// administrator) from `before`: the detail names every field that changed, with its new
    /// value.
    pub fn changed_event(
        &self,
        before: &CompanySettings,
        company: &CompanyId,
        agent: Option<&model::AgentId>,
    ) -> crate::AuditEvent {
        let mut changed = serde_json::Map::new();
        let mut note = |field: &str, differs: bool, value: serde_json::Value| {
            if differs {
                changed.insert(field.to_owned(), value);
            }
        };
        note("name", self.name != before.name, self.name.clone().into());
        note("start_url", self.start_url != before.start_url, self.start_url.clone().into());
        note("colors", self.colors != before.colors, serde_json::json!(self.colors));
        note("texts", self.texts != before.texts, serde_json::json!(self.texts));
        note(
            "navigation",
            self.navigation != before.navigation,
            serde_json::json!(self.navigation),
        );
        note("pin", self.pin != before.pin, serde_json::json!(self.pin));
        note(
            "embed_origins",
            self.embed_origins != before.embed_origins,
            serde_json::json!(self.embed_origins),
        );
        note("policy", self.policy != before.policy, serde_json::json!(self.policy));
        crate::AuditEvent {
            at: OffsetDateTime::now_utc(),
            company: Some(company.clone()),
            agent: agent.cloned(),
            session: None,
            kind: model::AuditKind::CompanySettingsChanged.to_string(),
            detail: serde_json::json!({
                "changed": changed,
                "via": if agent.is_some() { "api" } else { "command_line" },
            }),
        }
    }
}

/// The audit event of a company's logo being replaced (`Some`) or removed.
pub fn logo_changed_event(
    company: &CompanyId,
    agent: Option<&model::AgentId>,
    logo: Option<&Logo>,
) -> crate::AuditEvent {
    crate::AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: Some(company.clone()),
        agent: agent.cloned(),
        session: None,
        kind: model::AuditKind::CompanyLogoChanged.to_string(),
        detail: match logo {
            Some(logo) => serde_json::json!({ "type": logo.kind, "bytes": logo.bytes.len() }),
            None => serde_json::json!({ "removed": true }),
        },
    }
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
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
            branding: Branding {
                colors: from_json("colors", row.json("colors")?)?,
                texts: from_json("texts", row.json("texts")?)?,
                logo_type: row
                    .opt_text("logo_type")?
                    .map(|t| t.parse())
                    .transpose()
                    .map_err(StoreError::Corrupt)?,
            },
            navigation: Navigation {
                allow: from_json("nav_allow", row.json("nav_allow")?)?,
                deny: from_json("nav_deny", row.json("nav_deny")?)?,
            },
            pin: PinPolicy {
                digits: u8::try_from(row.int("pin_digits")?)
                    .map_err(|_| StoreError::Corrupt("column pin_digits".into()))?,
                ttl_secs: row
                    .opt_int("pin_ttl_secs")?
                    .map(u32::try_from)
                    .transpose()
                    .map_err(|_| StoreError::Corrupt("column pin_ttl_secs".into()))?,
            },
            embed_origins: from_json("embed_origins", row.json("embed_origins")?)?,
            settings_version: row.int("settings_version")?,
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
            branding: Branding::default(),
            navigation: Navigation::default(),
            pin: PinPolicy::default(),
            embed_origins: Vec::new(),
            settings_version: 0,
        }
    }

    /// Trims the name and start URL and checks every field.
    pub(crate) fn validated(self) -> Result<NewCompany, StoreError> {
        validate_slug(&self.slug)?;
        let name = self.name.trim().to_owned();
        validate_name("a company", &name)?;
        let start_url = validate_start_url(self.start_url)?;
        Ok(NewCompany { slug: self.slug, name, start_url })
    }
}

/// Trims a start URL (blank is none) and checks its length.
fn validate_start_url(url: Option<String>) -> Result<Option<String>, StoreError> {
    match url.map(|u| u.trim().to_owned()) {
        Some(url) if url.is_empty() => Ok(None),
        Some(url) if url.len() > MAX_START_URL_LEN || url.chars().any(char::is_control) => {
            Err(StoreError::Invalid(format!(
                "the start URL must be at most {MAX_START_URL_LEN} characters without control \
                 characters"
            )))
        }
        other => Ok(other),
    }
}

/// A logo's bytes as the database keeps them: base64 text.
pub(crate) fn encode_logo(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn logo_from_row(row: &impl Row) -> Result<Logo, StoreError> {
    use base64::Engine as _;
    let kind = row.parsed("logo_type")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(row.text("data")?)
        .map_err(|e| StoreError::Corrupt(format!("column data of company_logos: {e}")))?;
    Ok(Logo { kind, bytes })
}

/// A JSON column as the type it holds.
fn from_json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    value: serde_json::Value,
) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

/// A company's `embed_origins` column, read as text.
pub(crate) fn embed_origins_from_json(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("column embed_origins: {e}")))
}

/// The columns a company is read from, in both backends.
pub(crate) const COLUMNS: &str =
    "id, slug, name, start_url, created_at, pin_approval, agents_start_with_control, transcripts, \
     start_mode, start_secret, pdf_view, colors, texts, logo_type, nav_allow, nav_deny, \
     pin_digits, pin_ttl_secs, embed_origins, settings_version";

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
