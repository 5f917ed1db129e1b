//! Companies: the tenants that own agents, sessions and rules.

use model::CompanyId;
use time::OffsetDateTime;

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
pub(crate) fn validate_name(what: &str, name: &str) -> Result<(), StoreError> {
    let n_chars = name.chars().count();
    if name.trim().is_empty() || n_chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{what} name must be 1 to {MAX_NAME_CHARS} characters without control characters"
        )));
    }
    Ok(())
}

impl NewCompany {
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
