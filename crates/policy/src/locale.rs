//! The customer's languages and time zone, as a client claims them: which claims the cloud
//! browser takes on (F14), and the language list they make.

use model::Locale;

/// Languages kept of a client's list; browsers rarely send more than a handful.
pub const MAX_LANGUAGES: usize = 10;
/// Longest time zone name accepted (the longest IANA name has 32 characters).
const MAX_TIME_ZONE_CHARS: usize = 64;

/// Why a client's languages or time zone were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocaleRefusal {
    #[error("`{0}` is not a language tag such as de-CH")]
    Language(String),
    #[error("`{0}` is not a time zone name such as Europe/Amsterdam")]
    TimeZone(String),
}

/// A BCP 47-shaped language tag ("de", "pt-BR", "zh-Hant-TW", "es-419"), at most 35 characters.
pub fn language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphabetic()));
    tag.len() <= 35
        && first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

/// An IANA-shaped time zone name: `UTC`, or `Area/Location` (`America/Argentina/Buenos_Aires`,
/// `Etc/GMT+5`); each part starts with a letter. Chromium still checks that it knows the zone.
pub fn time_zone(name: &str) -> bool {
    name.len() <= MAX_TIME_ZONE_CHARS
        && name.split('/').count() <= 3
        && name.split('/').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

/// A client's languages and time zone checked: every language must be a tag and the time zone
/// a name; the list keeps its first [`MAX_LANGUAGES`] distinct tags.
pub fn parse(languages: &[String], time_zone: Option<&str>) -> Result<Locale, LocaleRefusal> {
    let mut kept: Vec<String> = Vec::new();
    for tag in languages {
        if !language_tag(tag) {
            return Err(LocaleRefusal::Language(shorten(tag)));
        }
        if kept.len() < MAX_LANGUAGES && !kept.iter().any(|k| k.eq_ignore_ascii_case(tag)) {
            kept.push(tag.clone());
        }
    }
    let time_zone = match time_zone {
        Some(name) if !self::time_zone(name) => return Err(LocaleRefusal::TimeZone(shorten(name))),
        Some(name) => Some(name.to_owned()),
        None => None,
    };
    Ok(Locale { languages: kept, time_zone })
}

/// What a refusal quotes of a value: enough to recognise it, never a page of it.
fn shorten(value: &str) -> String {
    value.chars().take(40).collect()
}

/// The language list a browser is set to for these languages: each in order, a regional one
/// followed by its base language when the list does not name that (`de-CH,de,en`). Chromium
/// makes `navigator.languages` of it, and the `Accept-Language` header with falling weights.
/// Empty for an empty list.
pub fn browser_languages(languages: &[String]) -> String {
    let mut ordered: Vec<&str> = Vec::new();
    for (idx, tag) in languages.iter().enumerate() {
        if !ordered.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            ordered.push(tag);
        }
        if let Some((base, _)) = tag.split_once('-') {
            let named_later = languages[idx..].iter().any(|t| t.eq_ignore_ascii_case(base));
            if !named_later && !ordered.iter().any(|t| t.eq_ignore_ascii_case(base)) {
                ordered.push(base);
            }
        }
    }
    ordered.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn language_tags_are_bcp_47_shaped() {
        for ok in ["de", "pt-BR", "zh-Hant-TW", "es-419", "gsw"] {
            assert!(language_tag(ok), "{ok}");
        }
        for bad in ["", "d", "de_DE", "de-", "<script>", "abcd", &"de-x".repeat(20)] {
            assert!(!language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn time_zones_are_iana_shaped() {
        for ok in ["UTC", "Europe/Amsterdam", "America/Argentina/Buenos_Aires", "Etc/GMT+5"] {
            assert!(time_zone(ok), "{ok}");
        }
        for bad in ["", "/", "Europe/", "../etc/passwd", "A/B/C/D", "Europe/Am sterdam", "1/2"] {
            assert!(!time_zone(bad), "{bad}");
        }
    }

    #[test]
    fn a_claim_is_checked_deduplicated_and_cut_to_size() {
        let locale = parse(&tags(&["de-CH", "de-ch", "en"]), Some("Europe/Zurich")).unwrap();
        assert_eq!(locale.languages, tags(&["de-CH", "en"]));
        assert_eq!(locale.time_zone.as_deref(), Some("Europe/Zurich"));
        let many: Vec<String> = (b'a'..=b'z').map(|c| format!("a{}", c as char)).collect();
        assert_eq!(parse(&many, None).unwrap().languages.len(), MAX_LANGUAGES);
        assert_eq!(parse(&tags(&["de", "<b>"]), None), Err(LocaleRefusal::Language("<b>".into())));
        assert_eq!(
            parse(&[], Some("Mars/../../x")),
            Err(LocaleRefusal::TimeZone("Mars/../../x".into()))
        );
    }

    #[test]
    fn a_browser_lists_base_languages_after_regional_ones() {
        assert_eq!(browser_languages(&tags(&["de-CH"])), "de-CH,de");
        assert_eq!(browser_languages(&tags(&["de-CH", "en"])), "de-CH,de,en");
        assert_eq!(browser_languages(&tags(&["pt-BR", "pt", "en-US"])), "pt-BR,pt,en-US,en");
        assert_eq!(browser_languages(&[]), "");
    }
}
