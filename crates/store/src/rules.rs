//! Company rules: what a company masks or blocks beyond beside's built-in detection (F15, F16).
//!
//! The store keeps a rule's selector and URL pattern as text; the `policy` crate checks them
//! before they reach the store and parses them again where they are applied.

use model::{AgentId, CompanyId, RuleId, RuleKind};
use time::OffsetDateTime;

use crate::row::Row;
use crate::StoreError;

/// A company may keep at most this many rules: each one is applied to every page of every
/// session, so the number is bounded.
pub const MAX_RULES_PER_COMPANY: u64 = 500;

/// A rule to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub company: CompanyId,
    pub kind: RuleKind,
    /// A CSS selector, already checked by `policy::rules::validate_selector`.
    pub selector: String,
    /// A URL pattern, already parsed by `policy::rules::UrlPattern::parse`.
    pub url_pattern: String,
    /// The agent who made the rule; `None` for the command line.
    pub created_by: Option<AgentId>,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StoredRule {
    pub id: RuleId,
    #[serde(skip)]
    pub company: CompanyId,
    pub kind: RuleKind,
    pub selector: String,
    pub url_pattern: String,
    pub created_by: Option<AgentId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// 1 when made; one more each time a published draft changes it. A rollback brings back
    /// the version before, with its number.
    pub version: i64,
}

/// Longest selector and pattern kept, in bytes: a backstop behind `policy`'s own limits.
const MAX_TEXT_BYTES: usize = 8 * 1024;

impl StoredRule {
    pub(crate) fn from_row(row: &impl Row) -> Result<StoredRule, StoreError> {
        Ok(StoredRule {
            id: row.id("id")?,
            company: row.id("company_id")?,
            kind: row.parsed("kind")?,
            selector: row.text("selector")?,
            url_pattern: row.text("url_pattern")?,
            created_by: row.opt_id("created_by")?,
            created_at: row.time("created_at")?,
            version: row.int("version")?,
        })
    }

    /// The same kind, selector and pattern as a rule about to be made.
    pub(crate) fn same_as(&self, new: &NewRule) -> bool {
        self.kind == new.kind
            && self.selector == new.selector
            && self.url_pattern == new.url_pattern
    }
}

impl NewRule {
    /// The rule as it will be stored: a fresh id, created now.
    pub(crate) fn to_rule(&self) -> StoredRule {
        StoredRule {
            id: RuleId::random(),
            company: self.company.clone(),
            kind: self.kind,
            selector: self.selector.clone(),
            url_pattern: self.url_pattern.clone(),
            created_by: self.created_by.clone(),
            created_at: crate::row::now(),
            version: 1,
        }
    }

    /// Trims the texts and checks the shape the store itself relies on.
    pub(crate) fn validated(self) -> Result<NewRule, StoreError> {
        let (selector, url_pattern) = validated_texts(&self.selector, &self.url_pattern)?;
        Ok(NewRule { selector, url_pattern, ..self })
    }
}

/// A rule's selector and URL pattern, trimmed, in the shape the store itself relies on.
pub(crate) fn validated_texts(
    selector: &str,
    url_pattern: &str,
) -> Result<(String, String), StoreError> {
    let selector = selector.trim().to_owned();
    let url_pattern = url_pattern.trim().to_owned();
    for (what, text) in [("selector", &selector), ("URL pattern", &url_pattern)] {
        if text.is_empty() || text.len() > MAX_TEXT_BYTES {
            return Err(StoreError::Invalid(format!(
                "a rule's {what} must be 1 to {MAX_TEXT_BYTES} bytes"
            )));
        }
        if text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err(StoreError::Invalid(format!(
                "a rule's {what} cannot contain control characters"
            )));
        }
    }
    Ok((selector, url_pattern))
}

// What the backends answer, worded once.

/// Whether `new` may join a company's `existing` rules: fewer than the most a company may keep,
/// and not one it has already.
pub(crate) fn check_room_for(existing: &[StoredRule], new: &NewRule) -> Result<(), StoreError> {
    if existing.len() as u64 >= MAX_RULES_PER_COMPANY {
        return Err(StoreError::Conflict(format!(
            "the company already has {MAX_RULES_PER_COMPANY} rules, the most it may have; \
             delete some first"
        )));
    }
    if existing.iter().any(|rule| rule.same_as(new)) {
        return Err(StoreError::Conflict(
            "the company already has this rule (same kind, selector and URL pattern)".to_owned(),
        ));
    }
    Ok(())
}

pub(crate) fn rule_refs_missing(new: &NewRule) -> StoreError {
    StoreError::NotFound(format!(
        "there is no company with the id {} (or no agent {:?})",
        new.company, new.created_by
    ))
}

pub(crate) fn unknown_rule(id: &RuleId) -> StoreError {
    StoreError::NotFound(format!("the company has no rule with the id {id}"))
}
