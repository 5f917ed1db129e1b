//! Rule drafts (F20): a company's rules are made and changed as drafts, which reach its live
//! sessions only when published. Publishing a change keeps the version it replaces, so a rule
//! can be rolled back to its previous published version.

use model::{AgentId, CompanyId, DraftId, RuleId, RuleKind};
use time::OffsetDateTime;

use crate::row::Row;
use crate::rules::validated_texts;
use crate::StoreError;

/// A company may keep at most this many drafts at once.
pub const MAX_DRAFTS_PER_COMPANY: u64 = 100;

/// A draft to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDraft {
    pub company: CompanyId,
    /// The live rule it changes; `None` for a new rule.
    pub rule: Option<RuleId>,
    pub kind: RuleKind,
    /// A CSS selector, already checked by `policy::rules::validate_selector`.
    pub selector: String,
    /// A URL pattern, already parsed by `policy::rules::UrlPattern::parse`.
    pub url_pattern: String,
    /// The agent who made it; `None` for the command line.
    pub created_by: Option<AgentId>,
}

/// A stored draft.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StoredDraft {
    pub id: DraftId,
    #[serde(skip)]
    pub company: CompanyId,
    /// The live rule it changes; `None` for a new rule.
    pub rule_id: Option<RuleId>,
    pub kind: RuleKind,
    pub selector: String,
    pub url_pattern: String,
    pub created_by: Option<AgentId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl StoredDraft {
    pub(crate) fn from_row(row: &impl Row) -> Result<StoredDraft, StoreError> {
        Ok(StoredDraft {
            id: row.id("id")?,
            company: row.id("company_id")?,
            rule_id: row.opt_id("rule_id")?,
            kind: row.parsed("kind")?,
            selector: row.text("selector")?,
            url_pattern: row.text("url_pattern")?,
            created_by: row.opt_id("created_by")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// A rule's version that a newer one replaced: what a rollback brings back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OldVersion {
    pub(crate) version: i64,
    pub(crate) kind: RuleKind,
    pub(crate) selector: String,
    pub(crate) url_pattern: String,
}

impl OldVersion {
    pub(crate) fn from_row(row: &impl Row) -> Result<OldVersion, StoreError> {
        Ok(OldVersion {
            version: row.int("version")?,
            kind: row.parsed("kind")?,
            selector: row.text("selector")?,
            url_pattern: row.text("url_pattern")?,
        })
    }
}

impl NewDraft {
    /// Trims the texts and checks the shape the store itself relies on.
    pub(crate) fn validated(self) -> Result<NewDraft, StoreError> {
        let (selector, url_pattern) = validated_texts(&self.selector, &self.url_pattern)?;
        Ok(NewDraft { selector, url_pattern, ..self })
    }

    /// The draft as it will be stored: a fresh id, made now.
    pub(crate) fn to_draft(&self) -> StoredDraft {
        StoredDraft {
            id: DraftId::random(),
            company: self.company.clone(),
            rule_id: self.rule.clone(),
            kind: self.kind,
            selector: self.selector.clone(),
            url_pattern: self.url_pattern.clone(),
            created_by: self.created_by.clone(),
            created_at: crate::row::now(),
        }
    }
}

/// The rule a published draft makes (for a draft of a new rule).
pub(crate) fn new_rule_of(draft: &StoredDraft) -> crate::NewRule {
    crate::NewRule {
        company: draft.company.clone(),
        kind: draft.kind,
        selector: draft.selector.clone(),
        url_pattern: draft.url_pattern.clone(),
        created_by: draft.created_by.clone(),
    }
}

// What the backends answer, worded once.

pub(crate) fn too_many_drafts() -> StoreError {
    StoreError::Conflict(format!(
        "the company already has {MAX_DRAFTS_PER_COMPANY} drafts, the most it may have; publish \
         or discard some first"
    ))
}

pub(crate) fn draft_refs_missing(new: &NewDraft) -> StoreError {
    StoreError::NotFound(format!(
        "there is no company with the id {} (or no agent {:?})",
        new.company, new.created_by
    ))
}

pub(crate) fn unknown_draft(id: &DraftId) -> StoreError {
    StoreError::NotFound(format!("the company has no rule draft with the id {id}"))
}
