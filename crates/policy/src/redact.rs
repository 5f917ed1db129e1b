//! Keeping masked values off the side channels (F15): the address and the page title the agent
//! is shown. Pixels are the masking step's job; these are texts, redacted on the server before
//! they are sent to an agent.
//!
//! Two nets: by name (query and fragment parameters whose names say they hold a card, a
//! password, a one-time code, a token or a session), and by shape (anything that is a valid
//! card number by its Luhn check digit, a valid IBAN by its mod-97 check, or a US social security
//! or Brazilian CPF number in their written forms). The page title also passes through the
//! guard, which takes out the current values of the page's masked fields.

use std::sync::LazyLock;

use regex::Regex;
use url::{Position, Url};

use crate::masking::{classify, FieldSignals};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "•••";

/// Parameter names (normalized: lowercase, runs of anything but letters and digits as one `_`)
/// that hold secrets whatever the masking tables say: tokens, sessions, signatures, codes.
const SECRET_NAMES: &[&str] =
    &["code", "pin", "key", "sid", "sig", "otp", "pw", "pass", "jwt", "nonce", "state", "ticket"];
/// Parts of parameter names that hold secrets.
const SECRET_NAME_PARTS: &[&str] = &[
    "token",
    "secret",
    "passw",
    "passwd",
    "pwd",
    "session",
    "sessid",
    "auth",
    "apikey",
    "api_key",
    "signature",
    "credential",
    "saml",
    "cookie",
    "iban",
    "card",
    "cvc",
    "cvv",
];

/// Whether a query or fragment parameter with this name may hold something the agent must not
/// see.
pub fn is_secret_parameter(name: &str) -> bool {
    let lower: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    let lower = lower.trim_matches('_');
    if lower.is_empty() {
        return false;
    }
    SECRET_NAMES.contains(&lower)
        || SECRET_NAME_PARTS.iter().any(|part| lower.contains(part))
        || classify(&FieldSignals {
            tag: "input".to_owned(),
            name: Some(name.to_owned()),
            ..FieldSignals::default()
        })
        .is_some()
}

/// An address as the agent may see it. What is not a parseable web address is redacted as text.
pub fn redact_url(address: &str) -> String {
    let Ok(mut url) = Url::parse(address) else {
        return redact_text(address);
    };
    if url.cannot_be_a_base() {
        return redact_text(address);
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in an address are never the agent's business.
        let _ = url.set_password(None);
        let _ = url.set_username("");
    }
    let mut out = redact_text(&url[..Position::AfterPath]);
    if let Some(query) = url.query() {
        out.push('?');
        out.push_str(&redact_parameters(query));
    }
    if let Some(fragment) = url.fragment() {
        out.push('#');
        if fragment.contains('=') {
            out.push_str(&redact_parameters(fragment));
        } else {
            out.push_str(&redact_text(fragment));
        }
    }
    out
}

/// `a=1&b=2` with the values of secret parameters, and values that look like card numbers or
/// IBANs, replaced.
fn redact_parameters(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded_name = decode(name);
            let decoded_value = decode(value);
            if !value.is_empty()
                && (is_secret_parameter(&decoded_name)
                    || redact_text(&decoded_value) != decoded_value)
            {
                format!("{}={REDACTED}", redact_text(name))
            } else {
                redact_text(pair)
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent- and plus-decoding as forms encode; invalid UTF-8 is replaced.
fn decode(s: &str) -> String {
    url::form_urlencoded::parse(s.as_bytes())
        .next()
        .map(|(k, v)| if v.is_empty() { k.into_owned() } else { format!("{k}={v}") })
        .unwrap_or_default()
}

static CARD_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d(?:[ \-./]?\d){11,18}").expect("the card pattern compiles; a test uses it")
});
static IBAN_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z]{2}\d{2}(?:[ ]?[a-z0-9]){11,30}\b")
        .expect("the IBAN pattern compiles; a test uses it")
});
static WRITTEN_IDS: LazyLock<Regex> = LazyLock::new(|| {
    // 123-45-6789 (US SSN), 123.456.789-09 (CPF), 12.345.678/0001-95 (CNPJ).
    Regex::new(
        r"\b(?:\d{3}-\d{2}-\d{4}|\d{3}\.\d{3}\.\d{3}-\d{2}|\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2})\b",
    )
    .expect("the id pattern compiles; a test uses it")
});

/// `text` with card numbers, IBANs and written-out national ids replaced by [`REDACTED`].
pub fn redact_text(text: &str) -> String {
    let cards = CARD_LIKE.replace_all(text, |caps: &regex::Captures<'_>| {
        let digits: Vec<u32> = caps[0].chars().filter_map(|c| c.to_digit(10)).collect();
        if luhn_valid(&digits) {
            REDACTED.to_owned()
        } else {
            caps[0].to_owned()
        }
    });
    let ibans = IBAN_LIKE.replace_all(&cards, |caps: &regex::Captures<'_>| {
        if iban_valid(&caps[0]) {
            REDACTED.to_owned()
        } else {
            caps[0].to_owned()
        }
    });
    WRITTEN_IDS.replace_all(&ibans, REDACTED).into_owned()
}

/// The Luhn check of card numbers (13 to 19 digits).
fn luhn_valid(digits: &[u32]) -> bool {
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The ISO 13616 mod-97 check of an IBAN (spaces ignored).
fn iban_valid(text: &str) -> bool {
    let compact: Vec<char> =
        text.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let rearranged = compact[4..].iter().chain(&compact[..4]);
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        for digit in if value >= 10 { vec![value / 10, value % 10] } else { vec![value] } {
            remainder = (remainder * 10 + digit) % 97;
        }
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_ibans_and_written_ids_are_taken_out_of_text() {
        for (text, expected) in [
            ("Order 4111 1111 1111 1111 confirmed", "Order ••• confirmed"),
            ("4111-1111-1111-1111", "•••"),
            ("card 5500005555555559.", "card •••."),
            ("IBAN DE89 3704 0044 0532 0130 00 – Danke", "IBAN ••• – Danke"),
            ("nl91abna0417164300", "•••"),
            ("SSN 078-05-1120 on file", "SSN ••• on file"),
            ("CPF 123.456.789-09", "CPF •••"),
            ("CNPJ 12.345.678/0001-95", "CNPJ •••"),
        ] {
            assert_eq!(redact_text(text), expected, "{text}");
        }
        // Numbers that fail the check digits stay: order numbers, phone numbers, dates.
        for text in [
            "Order 4111 1111 1111 1112",
            "Call +49 30 1234 5678 9013",
            "2026-11-29 12:00",
            "DE89 3704 0044 0532 0130 01",
            "Bestellung 123456789",
        ] {
            assert_eq!(redact_text(text), text, "{text}");
        }
    }

    #[test]
    fn secret_parameters_are_recognised_by_name() {
        for name in [
            "password",
            "pwd",
            "cardnumber",
            "cc-number",
            "card_no",
            "iban",
            "cvc",
            "access_token",
            "id_token",
            "code",
            "otp",
            "PHPSESSID",
            "session_id",
            "apiKey",
            "X-Amz-Signature",
            "kartennummer",
            "wachtwoord",
            "senha",
            "contraseña",
        ] {
            assert!(is_secret_parameter(name), "{name}");
        }
        for name in ["q", "page", "sort", "lang", "product", "utm_source", "id", ""] {
            assert!(!is_secret_parameter(name), "{name}");
        }
    }

    #[test]
    fn addresses_lose_secret_values_and_keep_the_rest() {
        for (url, expected) in [
            (
                "https://shop.test/pay?card=4111111111111111&step=2",
                "https://shop.test/pay?card=•••&step=2",
            ),
            ("https://shop.test/search?q=shoes&page=2", "https://shop.test/search?q=shoes&page=2"),
            (
                "https://shop.test/checkout?name=Ann&number=4111+1111+1111+1111",
                "https://shop.test/checkout?name=Ann&number=•••",
            ),
            ("https://shop.test/cards/4111111111111111/edit", "https://shop.test/cards/•••/edit"),
            (
                "https://app.test/callback#access_token=abc.def&token_type=bearer",
                "https://app.test/callback#access_token=•••&token_type=•••",
            ),
            ("https://ann:secret@intranet.test/x", "https://intranet.test/x"),
            ("https://login.test/?password=hunter2", "https://login.test/?password=•••"),
            ("https://a.test/#section-2", "https://a.test/#section-2"),
            ("https://a.test/?flag", "https://a.test/?flag"),
            ("not a url 4111111111111111", "not a url •••"),
        ] {
            assert_eq!(redact_url(url), expected, "{url}");
        }
    }
}
