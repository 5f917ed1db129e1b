//! Text as the masking and blocking rules see it: one normal form for labels, names and button
//! texts, shared by the Rust rules and the in-page guard script.
//!
//! The patterns of `masking` and `blocking` are written against this form only, so they can stay
//! plain ASCII regular expressions that mean the same in Rust `regex` and in JavaScript
//! `RegExp` with the `u` flag. The guard script applies the same steps (see
//! [`Normalization`]) before it tests a pattern.

use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Only this many characters of a signal are looked at; labels longer than this are prose.
pub(crate) const MAX_SIGNAL_CHARS: usize = 512;

/// How text is brought to normal form, for the guard script to do the same in JavaScript.
///
/// The steps, in order:
/// 1. keep the first `max_chars` characters;
/// 2. Unicode NFKD, then drop every combining mark (`ção` → `cao`, `º` → `o`);
/// 3. when `split_camel_case`: a space between a lowercase letter and an uppercase letter
///    (`ccNumber` → `cc Number`), and before the last capital of a run of capitals followed by
///    a lowercase letter (`IBANNumber` → `IBAN Number`); digits stay with their neighbours
///    (`cvv2`, `2FA`, `otp1`);
/// 4. lowercase, and `ß` → `ss`;
/// 5. every run of characters that are neither letters nor digits becomes one space
///    (`card_number`, `cc-number`, `cc.number`, `MM/YY` → words), trimmed at both ends.
///
/// In JavaScript: `s.slice(0, max).normalize("NFKD").replace(/\p{M}/gu, "")`, then
/// `.replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2").replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2")`
/// when splitting, then `.toLowerCase().replace(/ß/g, "ss").replace(/[^\p{L}\p{N}]+/gu, " ")
/// .trim()`. The `examples` pin the result down for the script's own tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalization {
    pub max_chars: usize,
    pub split_camel_case: bool,
    /// `[input, normal form]` pairs.
    pub examples: Vec<(String, String)>,
}

impl Normalization {
    pub(crate) fn describe(split_camel_case: bool) -> Normalization {
        let samples: &[&str] = if split_camel_case {
            &[
                "ccNumber",
                "card_number",
                "billing-cc-number",
                "IBANNumber",
                "cvv2Code",
                "2FA",
                "Número do cartão",
                "Nº do cartão",
                "Prüfnummer",
                "Straße",
                "MM / YY",
                "  Contraseña*  ",
            ]
        } else {
            &["PayPal", "Jetzt bezahlen", "Konto löschen", "Pay €49.99", "Aceptar  cookies"]
        };
        Normalization {
            max_chars: MAX_SIGNAL_CHARS,
            split_camel_case,
            examples: samples
                .iter()
                .map(|s| ((*s).to_owned(), normalize(s, split_camel_case)))
                .collect(),
        }
    }
}

/// The normal form of `input` (see [`Normalization`] for the steps).
pub(crate) fn normalize(input: &str, split_camel_case: bool) -> String {
    let folded: Vec<char> =
        input.chars().take(MAX_SIGNAL_CHARS).nfkd().filter(|c| !is_combining_mark(*c)).collect();
    let mut out = String::with_capacity(folded.len() + 8);
    let mut pending_space = false;
    for (i, &c) in folded.iter().enumerate() {
        if !c.is_alphanumeric() {
            pending_space = true;
            continue;
        }
        if split_camel_case && i > 0 && c.is_uppercase() {
            let prev = folded[i - 1];
            let next_is_lower = folded.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || (prev.is_uppercase() && next_is_lower) {
                pending_space = true;
            }
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        for lower in c.to_lowercase() {
            if lower == 'ß' {
                out.push_str("ss");
            } else {
                out.push(lower);
            }
        }
    }
    out
}

/// Joins patterns into one alternation, each in its own non-capturing group.
pub(crate) fn alternation(patterns: &[&str]) -> String {
    patterns.iter().map(|p| format!("(?:{p})")).collect::<Vec<_>>().join("|")
}

/// Checks that a pattern uses only syntax that means the same in Rust `regex` and in JavaScript
/// `RegExp` with the `u` flag, on normalized text: lowercase ASCII literals and classes, groups
/// `(...)` and `(?:...)`, `|`, `^`, `$`, and the quantifiers `?`, `*`, `+`, `{m}`, `{m,n}`.
/// No escapes (so no `\b`, `\d`, `\w`, `\p`), no inline flags, no look-around, no `.`.
#[cfg(test)]
pub(crate) fn check_portable(pattern: &str) -> Result<(), String> {
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || " ()?:|^$[]-{},+*".contains(c);
    if let Some(c) = pattern.chars().find(|c| !allowed(*c)) {
        return Err(format!("`{c}` is not portable"));
    }
    let bytes = pattern.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'(' && bytes.get(i + 1) == Some(&b'?') && bytes.get(i + 2) != Some(&b':') {
            return Err("only `(?:` groups are portable (no flags, no look-around)".to_owned());
        }
        if b == b'{' {
            let close = pattern[i..].find('}').ok_or("unclosed `{`")? + i;
            let inner = &pattern[i + 1..close];
            let (min, max) = inner.split_once(',').unwrap_or((inner, inner));
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|d| d.is_ascii_digit());
            if !digits(min) || !digits(max) {
                return Err(format!("`{{{inner}}}` is not a portable quantifier"));
            }
        }
    }
    regex::Regex::new(pattern).map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_split_into_lowercase_words() {
        let table = [
            ("ccNumber", "cc number"),
            ("card_number", "card number"),
            ("cc-number", "cc number"),
            ("cc.number", "cc number"),
            ("billing[cc_number]", "billing cc number"),
            ("creditCardNumber", "credit card number"),
            ("IBANNumber", "iban number"),
            ("CCNumber", "cc number"),
            ("cvv2Code", "cvv2code"),
            ("enter2FA", "enter2fa"),
            ("Enter your 2FA code", "enter your 2fa code"),
            ("cvv2", "cvv2"),
            ("otp1", "otp1"),
            ("SSN", "ssn"),
            ("nationalID", "national id"),
            ("txtPassword", "txt password"),
            ("cardnumber", "cardnumber"),
            ("MM/YY", "mm yy"),
            ("  --  ", ""),
        ];
        for (input, expected) in table {
            assert_eq!(normalize(input, true), expected, "{input}");
        }
    }

    #[test]
    fn accents_are_removed_and_compatibility_forms_folded() {
        let table = [
            ("Número do cartão", "numero do cartao"),
            ("código de segurança", "codigo de seguranca"),
            ("Contraseña", "contrasena"),
            ("Prüfnummer", "prufnummer"),
            ("Gültig bis", "gultig bis"),
            ("Nº do cartão", "no do cartao"),
            ("Straße", "strasse"),
            ("ＣＶＶ", "cvv"),
            ("Identificação Fiscal", "identificacao fiscal"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize(input, true), expected, "{input}");
        }
    }

    #[test]
    fn button_text_keeps_brand_names_whole_when_camel_case_is_not_split() {
        assert_eq!(normalize("PayPal", false), "paypal");
        assert_eq!(normalize("PayPal", true), "pay pal");
        assert_eq!(normalize("Jetzt  bezahlen!", false), "jetzt bezahlen");
        assert_eq!(normalize("Pay €49.99", false), "pay 49 99");
    }

    #[test]
    fn letters_of_other_scripts_are_kept_as_words() {
        assert_eq!(normalize("Пароль:", true), "пароль");
        assert_eq!(normalize("暗証番号", true), "暗証番号");
    }

    #[test]
    fn only_the_first_characters_of_a_long_signal_are_read() {
        let long = format!("{} password", "x".repeat(MAX_SIGNAL_CHARS));
        assert!(!normalize(&long, true).contains("password"));
    }

    #[test]
    fn portable_patterns_are_accepted_and_others_refused() {
        assert_eq!(check_portable("(?:^| )cvv2?(?: |$)"), Ok(()));
        assert_eq!(check_portable("(?:^| )(?:nome)(?: [a-z]+){0,4} cartao"), Ok(()));
        for bad in [
            r"\bcvv\b",
            "(?i)cvv",
            "(?<= )cvv",
            "(?!x)cvv",
            r"\d{3}",
            "c.v",
            "CVV",
            "cvv{,3}",
            "número",
            "(?P<x>a)",
        ] {
            assert!(check_portable(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn normalization_examples_are_the_normal_forms() {
        for split in [true, false] {
            let n = Normalization::describe(split);
            assert_eq!(n.max_chars, MAX_SIGNAL_CHARS);
            for (input, output) in &n.examples {
                assert_eq!(&normalize(input, split), output);
            }
        }
    }
}
