//! What a company decides agents see of PDFs.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What agents see of a PDF without form fields, whose pages beside cannot tell apart (a
/// scanned contract, an invoice): a company's choice. A PDF with form fields is hidden from
/// agents whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PdfView {
    /// Agents see it like any page.
    #[default]
    Show,
    /// Agents see that a PDF is shown, never its pixels.
    Hide,
}

impl PdfView {
    pub fn as_str(self) -> &'static str {
        match self {
            PdfView::Show => "show",
            PdfView::Hide => "hide",
        }
    }
}

impl std::str::FromStr for PdfView {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "show" => Ok(PdfView::Show),
            "hide" => Ok(PdfView::Hide),
            other => Err(format!("`{other}` is not a PDF view; use show or hide")),
        }
    }
}

impl fmt::Display for PdfView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_both_ways() {
        for view in [PdfView::Show, PdfView::Hide] {
            assert_eq!(view.as_str().parse::<PdfView>(), Ok(view));
            assert_eq!(serde_json::to_value(view).unwrap(), view.as_str());
        }
        assert!("maybe".parse::<PdfView>().is_err());
        assert_eq!(PdfView::default(), PdfView::Show);
    }
}
