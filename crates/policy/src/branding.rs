//! What a company may change of the customer's page (F21): its colours, which must stay
//! readable (WCAG 2 contrast), and its texts, per language, of a known set only.

use std::collections::BTreeMap;

/// The colours a company sets, and what is drawn on each: `primary` carries white text
/// (buttons) and is the colour of links on white; `header` carries the page's dark text.
pub const COLORS: &[(&str, Rgb)] = &[("primary", WHITE), ("header", TEXT)];

const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
/// The page's text colour (`--text` in `style.css`).
const TEXT: Rgb = Rgb(0x17, 0x20, 0x2b);

/// The least contrast between a colour and what is drawn on it: WCAG 2 level AA for text.
pub const MIN_CONTRAST: f64 = 4.5;

/// The languages a text can be given in: those of the pages' catalogues.
pub const LANGUAGES: &[&str] = &["en", "de", "nl", "pt", "es"];

/// The customer page's texts a company may replace (keys of `web/i18n/*.json`). Each is shown
/// as text, never as markup; `{company}` is replaced by the company's name where the built-in
/// text has it.
pub const TEXT_KEYS: &[&str] = &[
    "customer.start_title",
    "customer.intro",
    "customer.fact_private",
    "customer.fact_nothing_to_install",
    "customer.start",
    "customer.pin_instructions",
    "customer.ended_cleared",
];

/// The longest text, in characters.
pub const MAX_TEXT_CHARS: usize = 300;

/// A colour as `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Reads `#rrggbb` or `#rgb` (any letter case).
    pub fn parse(s: &str) -> Option<Rgb> {
        let hex = s.trim().strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).ok();
        let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        match hex.len() {
            3 => Some(Rgb(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => Some(Rgb(pair(0)?, pair(2)?, pair(4)?)),
            _ => None,
        }
    }

    /// WCAG 2 relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }
}

impl std::fmt::Display for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// The WCAG 2 contrast ratio of two colours, from 1 to 21.
pub fn contrast_ratio(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// A setting that cannot be taken, with the field it is about (`colors.primary`,
/// `texts.de.customer.intro`), so a form shows the error next to it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub field: String,
    /// A stable snake_case code (`invalid_color`, `low_contrast`, …).
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), code, message: message.into() }
    }
}

/// Checks the colours and brings them to `#rrggbb`; an empty value drops the colour (the
/// page's own is used).
pub fn check_colors(
    colors: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, FieldError> {
    let mut out = BTreeMap::new();
    for (name, value) in colors {
        let field = format!("colors.{name}");
        let Some(&(_, on)) = COLORS.iter().find(|(known, _)| known == name) else {
            let known: Vec<&str> = COLORS.iter().map(|(k, _)| *k).collect();
            return Err(FieldError::new(
                field,
                "unknown_color",
                format!("there is no colour `{name}`; the colours are {}", known.join(", ")),
            ));
        };
        if value.trim().is_empty() {
            continue;
        }
        let rgb = Rgb::parse(value).ok_or_else(|| {
            FieldError::new(&field, "invalid_color", "write a colour as #rrggbb, e.g. #1d5bbf")
        })?;
        let ratio = contrast_ratio(rgb, on);
        if ratio < MIN_CONTRAST {
            return Err(FieldError::new(
                field,
                "low_contrast",
                format!(
                    "text on {rgb} would be hard to read: its contrast is {ratio:.1}:1, and at \
                     least {MIN_CONTRAST}:1 is needed; choose a {} colour",
                    if on == WHITE { "darker" } else { "lighter" }
                ),
            ));
        }
        out.insert(name.clone(), rgb.to_string());
    }
    Ok(out)
}

/// Checks the texts, by language then key; trims them and drops empty ones (the built-in text
/// is used).
pub fn check_texts(
    texts: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, FieldError> {
    let mut out = BTreeMap::new();
    for (lang, entries) in texts {
        if !LANGUAGES.contains(&lang.as_str()) {
            return Err(FieldError::new(
                format!("texts.{lang}"),
                "unknown_language",
                format!("texts can be given in {}", LANGUAGES.join(", ")),
            ));
        }
        let mut kept = BTreeMap::new();
        for (key, text) in entries {
            let field = format!("texts.{lang}.{key}");
            if !TEXT_KEYS.contains(&key.as_str()) {
                return Err(FieldError::new(
                    field,
                    "unknown_text_key",
                    "this text of the customer page cannot be changed",
                ));
            }
            let text = text.trim();
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(FieldError::new(
                    field,
                    "text_too_long",
                    format!("a text has at most {MAX_TEXT_CHARS} characters"),
                ));
            }
            if text.chars().any(char::is_control) {
                return Err(FieldError::new(
                    field,
                    "invalid_text",
                    "a text cannot hold line breaks or control characters",
                ));
            }
            if !text.is_empty() {
                kept.insert(key.clone(), text.to_owned());
            }
        }
        if !kept.is_empty() {
            out.insert(lang.clone(), kept);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn contrast_follows_wcag() {
        let black = Rgb(0, 0, 0);
        assert!((contrast_ratio(black, WHITE) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(WHITE, WHITE) - 1.0).abs() < 1e-9);
        // #767676 on white is the well-known lightest grey that passes AA (4.54:1).
        let grey = Rgb::parse("#767676").unwrap();
        assert!((contrast_ratio(grey, WHITE) - 4.54).abs() < 0.01);
        assert_eq!(Rgb::parse("#ABC"), Some(Rgb(0xaa, 0xbb, 0xcc)));
        for bad in ["", "#", "1d5bbf", "#1d5bb", "#1d5bbg", "#1d5bbf00", "red"] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn colours_must_be_readable_with_what_is_drawn_on_them() {
        let ok = check_colors(&map(&[("primary", "#1D5BBF"), ("header", "#fff"), ("x", "")]));
        assert_eq!(ok.unwrap_err().code, "unknown_color");
        let ok = check_colors(&map(&[("primary", "#1D5BBF"), ("header", "#fff")])).unwrap();
        assert_eq!(ok, map(&[("header", "#ffffff"), ("primary", "#1d5bbf")]));
        let pale = check_colors(&map(&[("primary", "#ffff00")])).unwrap_err();
        assert_eq!((pale.field.as_str(), pale.code), ("colors.primary", "low_contrast"));
        let dark_header = check_colors(&map(&[("header", "#202020")])).unwrap_err();
        assert_eq!(dark_header.code, "low_contrast");
        let bad = check_colors(&map(&[("primary", "blue")])).unwrap_err();
        assert_eq!(bad.code, "invalid_color");
        assert!(check_colors(&map(&[("primary", " ")])).unwrap().is_empty());
    }

    #[test]
    fn texts_are_known_keys_in_known_languages_and_short() {
        let texts = |lang: &str, key: &str, text: &str| {
            BTreeMap::from([(lang.to_string(), map(&[(key, text)]))])
        };
        let ok = check_texts(&texts("de", "customer.start", "  Los geht's ")).unwrap();
        assert_eq!(ok["de"]["customer.start"], "Los geht's");
        assert!(check_texts(&texts("de", "customer.start", " ")).unwrap().is_empty());
        assert_eq!(
            check_texts(&texts("fr", "customer.start", "x")).unwrap_err().code,
            "unknown_language"
        );
        let unknown = check_texts(&texts("en", "agent.login_title", "x")).unwrap_err();
        assert_eq!(
            (unknown.field.as_str(), unknown.code),
            ("texts.en.agent.login_title", "unknown_text_key")
        );
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            check_texts(&texts("en", "customer.intro", &long)).unwrap_err().code,
            "text_too_long"
        );
        assert_eq!(
            check_texts(&texts("en", "customer.intro", "a\nb")).unwrap_err().code,
            "invalid_text"
        );
    }

    #[test]
    fn every_text_key_is_a_key_of_every_catalogue() {
        for lang in LANGUAGES {
            let path = format!("{}/../../web/i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
            let catalogue: BTreeMap<String, String> =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for key in TEXT_KEYS {
                assert!(catalogue.contains_key(*key), "{key} is missing from {path}");
            }
        }
    }
}
