//! Which form fields are sensitive (F15): found on any site, with no configuration, in every
//! supported language (English, German, Dutch, Portuguese, Spanish).
//!
//! The in-page guard script reads [`FieldSignals`] from each field and applies the tables of
//! [`guard_rules`] in JavaScript; [`classify`] applies the very same tables in Rust, so the two
//! cannot drift apart. The rule is "when in doubt, hide": a false positive costs the agent a
//! glimpse of a harmless field, a false negative shows them a card number.
//!
//! Decisions:
//! - `card` alone (a "gift card message", a "Card" radio button) is not sensitive, but a gift
//!   card *number* is: gift card codes are money.
//! - BIC/SWIFT is not sensitive: it names a bank, is public and the same for every customer of
//!   that bank, while the IBAN next to it is masked. Domestic bank codes (sort code, routing
//!   number, BLZ, BSB, agência) are masked: those schemes write them as part of the account.
//! - VAT numbers are masked with other tax numbers (when in doubt, hide), although a company's
//!   VAT number is public.
//! - Words that are also everyday words are masked anyway where a form field would carry them:
//!   `pin` (also an Indian postcode), `pass` (also a boarding pass), `token`, `validade` and
//!   `vencimento` (also due dates), `account number` (also a customer account number).
//! - `inputmode` alone says nothing (numeric is also used for postcodes and quantities); it is
//!   carried for the guard script's diagnostics only.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::text::{alternation, normalize, Normalization};

/// What the guard script reads from one form field (input, textarea, select, or contenteditable).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldSignals {
    /// `input`, `textarea`, `select`, `div` (contenteditable) ...
    pub tag: String,
    /// The `type` attribute.
    pub input_type: Option<String>,
    /// The whole `autocomplete` attribute; it may hold several tokens
    /// (`section-a billing cc-number`).
    pub autocomplete: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    /// Text of `<label for>`, a wrapping label, or `aria-labelledby`.
    pub label: Option<String>,
    pub placeholder: Option<String>,
    pub aria_label: Option<String>,
    pub title: Option<String>,
    pub inputmode: Option<String>,
    /// `Some(true)`: `data-beside-mask` on the field or an ancestor; `Some(false)`:
    /// `data-beside-unmask`.
    pub mask_attr: Option<bool>,
}

/// Why a field is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Password,
    CardNumber,
    CardExpiry,
    CardSecurityCode,
    CardHolder,
    BankAccount,
    NationalId,
    TaxId,
    OneTimeCode,
    /// The site or the company marked it (`data-beside-mask`, a company rule).
    CompanyRule,
}

/// The tables the guard script applies in JavaScript, in the order [`classify`] applies them.
///
/// For a field: `type` in `always_masked_input_types` → that kind, whatever else is said;
/// `data-beside-unmask` → not masked; `data-beside-mask` → `company_rule`; a token of the
/// `autocomplete` attribute (split on whitespace, lowercased) in `autocomplete` → that kind;
/// `type` in `unclassified_input_types` → not masked; otherwise each of `text_signals`
/// is normalized (see `normalization`) and the first entry of `patterns` with a regular
/// expression that matches one of them gives the kind. Each pattern is a `RegExp` source for
/// the flags in `regex_flags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardRules {
    pub normalization: Normalization,
    pub regex_flags: String,
    pub always_masked_input_types: BTreeMap<String, Sensitivity>,
    pub unclassified_input_types: Vec<String>,
    pub autocomplete: BTreeMap<String, Sensitivity>,
    /// Names of the [`FieldSignals`] fields whose text is matched.
    pub text_signals: Vec<String>,
    pub patterns: Vec<KindPatterns>,
}

/// Text patterns for one kind of sensitive field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindPatterns {
    pub kind: Sensitivity,
    pub patterns: Vec<String>,
}

/// Input types whose value is never shown in the clear.
const ALWAYS_MASKED_INPUT_TYPES: &[(&str, Sensitivity)] = &[("password", Sensitivity::Password)];

/// Input types that hold no text worth hiding (or no pixels at all): their labels are not read.
const UNCLASSIFIED_INPUT_TYPES: &[&str] = &[
    "button", "checkbox", "color", "file", "hidden", "image", "radio", "range", "reset", "submit",
];

/// `autocomplete` tokens of the HTML standard, plus the bank tokens sites use although the
/// standard has none.
const AUTOCOMPLETE_TOKENS: &[(&str, Sensitivity)] = &[
    ("current-password", Sensitivity::Password),
    ("new-password", Sensitivity::Password),
    ("one-time-code", Sensitivity::OneTimeCode),
    ("cc-number", Sensitivity::CardNumber),
    ("cc-exp", Sensitivity::CardExpiry),
    ("cc-exp-month", Sensitivity::CardExpiry),
    ("cc-exp-year", Sensitivity::CardExpiry),
    ("cc-csc", Sensitivity::CardSecurityCode),
    ("cc-name", Sensitivity::CardHolder),
    ("cc-given-name", Sensitivity::CardHolder),
    ("cc-additional-name", Sensitivity::CardHolder),
    ("cc-family-name", Sensitivity::CardHolder),
    ("iban", Sensitivity::BankAccount),
    ("bank-account", Sensitivity::BankAccount),
    ("bank-account-number", Sensitivity::BankAccount),
    ("account-number", Sensitivity::BankAccount),
    ("routing-number", Sensitivity::BankAccount),
];

const TEXT_SIGNALS: &[&str] = &["id", "name", "label", "placeholder", "aria_label", "title"];

// The patterns match normalized text: lowercase words of letters and digits separated by single
// spaces. `(?:^| )` and `(?: |$)` are the word boundaries (`\b` is not reliable outside ASCII).
// Order matters: the first kind that matches wins, so the specific card kinds come before the
// card number ("card security code" is a security code), and one-time codes before passwords
// ("one-time password").

const CARD_SECURITY_CODE: &[&str] = &[
    // cvc, cvv, cvv2, ccv, csc, cvn, cvd, cc-csc, cardCvc, cvcCode, cvv-nummer
    "(?:^| )(?:cc |card |kaart |karten )?(?:cvc|cvv|ccv|csc|cvn|cvd)2?(?: ?(?:code|number|nummer|no|num|nr))?(?: |$)",
    // not "security number": that is the end of "social security number"
    "(?:^| )(?:card ?)?security ?code",
    "(?:^| )card ?security",
    "(?:^| )card ?(?:code|verification|validation)",
    // Prüfnummer, Kartenprüfnummer, Prüfziffer, Sicherheitscode
    "(?:^| )(?:karten ?)?pruf ?(?:nummer|ziffer|code|zahl|nr)",
    "(?:^| )(?:karten ?)?sicherheits ?(?:code|nummer|zahl)",
    // beveiligingscode, veiligheidscode, kaartverificatiecode
    "(?:^| )(?:beveiligings|veiligheids) ?code",
    "(?:^| )kaart ?verificatie",
    // código de segurança, código de seguridad, cód. segurança
    "(?:^| )cod(?:igo)? (?:de )?(?:seguranca|seguridad)",
    "(?:^| )cod(?:igo)? (?:de )?verifica(?:cao|cion) (?:do |de la )?(?:cartao|tarjeta)",
];

const CARD_EXPIRY: &[&str] = &[
    // expiry, expiration date, exp, exp-month, ccexp, cardExpiry, expires, expiración
    "(?:^| )(?:cc|card)? ?exp(?:iry|iration|ire|ires|iracion|iracao)?(?: ?(?:date|month|year|mm|yy|yyyy|mo|yr|dt))?(?: |$)",
    // MM/YY, MM / YYYY, MM/AA, MM/JJ
    "(?:^| )mm ?(?:yy|yyyy|aa|aaaa|jj|jjjj)(?: |$)",
    // Ablaufdatum, gültig bis, Gültigkeit, Verfallsdatum
    "(?:^| )ablauf(?: ?(?:datum|monat|jahr))?(?: |$)",
    "(?:^| )(?:gultig|gueltig) ?bis",
    "(?:^| )(?:gultigkeit|gueltigkeit)",
    "(?:^| )verfalls? ?(?:datum|monat|jahr)",
    // vervaldatum, vervalmaand, geldig tot, geldig t/m
    "(?:^| )verval ?(?:datum|maand|jaar)",
    "(?:^| )geldig (?:tot|t m)",
    // validade, data de validade, vencimento, fecha de caducidad, válido hasta
    "(?:^| )validade(?: |$)",
    "(?:^| )(?:vencimiento|vencimento)(?: |$)",
    "(?:^| )caducidad(?: |$)",
    "(?:^| )valid[oa] (?:hasta|ate)(?: |$)",
];

const CARD_HOLDER: &[&str] = &[
    // cardholder, card holder name, cc-name, ccname, cardName, card owner
    "(?:^| )(?:card|cc) ?(?:holder|owner|name)",
    "(?:^| )name ?on ?(?:the )?card",
    "(?:^| )holder ?name",
    // Karteninhaber, Name des Karteninhabers
    "(?:^| )karten ?inhaber",
    // kaarthouder, naam op de kaart
    "(?:^| )kaart ?houder",
    "(?:^| )naam op (?:de )?kaart",
    // titular do cartão, nome do titular, titular de la tarjeta, nombre del titular
    "(?:^| )titular(?: |$)",
    // nome no cartão, nome impresso no cartão, nombre en la tarjeta, nombre que aparece en ...
    "(?:^| )(?:nome|nombre)(?: [a-z]+){0,4} (?:cartao|tarjeta)(?: |$)",
];

const CARD_NUMBER: &[&str] = &[
    // card number, cc-number, ccnum, cardnumber, card no, gift card number, encryptedCardNumber
    "(?:^| )(?:credit ?|debit ?)?(?:card|cc) ?(?:number|num|no|nr|nbr|nummer)(?: |$|[0-9])",
    "(?:^| )(?:cardnumber|ccnumber)",
    // credit card, creditcard, debit card (a field so labelled takes the number)
    "(?:^| )(?:credit|debit) ?card",
    "(?:^| )pan(?: |$)",
    // Kartennummer, Kreditkartennummer, Kreditkarte, Karten-Nr.
    "(?:^| )(?:kredit|debit)?karten ?(?:nummer|nr)",
    "(?:^| )kreditkarte",
    // kaartnummer, creditcardnummer, pasnummer
    "(?:^| )(?:kaart|pas) ?(?:nummer|nr)(?: |$)",
    // número do cartão, nº do cartão, numero de tarjeta, número de la tarjeta, numeroCartao
    "(?:^| )(?:numero|num|nro|nr|no|n)(?: (?:do|da|de|del))?(?: la)? (?:cartao|tarjeta)(?: |$)",
    // cartão de crédito, tarjeta de débito
    "(?:^| )(?:cartao|tarjeta) (?:de )?(?:credito|debito)",
];

const ONE_TIME_CODE: &[&str] = &[
    // otp, otp1, totp, 2fa, mfa, one-time code, one-time password
    "(?:^| )(?:otp|totp|hotp|2fa|mfa|tfa)(?:[0-9 ]|$)",
    "(?:^| )one ?time ?(?:code|password|passcode|pin|pass|token)",
    "(?:^| )(?:verification|verify|confirmation|auth|authentication|sms|two factor|2 factor|2 step|two step|authenticator) ?(?:code|token|pin)",
    // TAN, pushTAN, chipTAN, smsTAN, mTAN
    "(?:^| )(?:push|chip|sms|m|i|photo|foto|app)? ?tan(?: |$)",
    // Bestätigungscode, Verifizierungscode, Einmalpasswort, Einmalcode
    "(?:^| )(?:bestatigungs|verifizierungs|verifikations|authentifizierungs|einmal|anmelde) ?(?:code|passwort|kennwort|pin)",
    // verificatiecode, bevestigingscode, eenmalige code, inlogcode
    "(?:^| )(?:verificatie|bevestigings|authenticatie|inlog|sms) ?code",
    "(?:^| )eenmalige? ?(?:code|wachtwoord)",
    // código de verificação, código de verificación, código de confirmação
    "(?:^| )cod(?:igo)? (?:de )?(?:verificacao|verificacion|confirmacao|confirmacion|autenticacao|autenticacion|acesso|acceso|sms|un solo uso|uso unico)",
    "(?:^| )(?:clave|senha) (?:dinamica|temporal|temporaria|de un solo uso)",
    "(?:^| )token(?: |$)",
];

const BANK_ACCOUNT: &[&str] = &[
    // iban, IBANNumber, ibannummer
    "(?:^| )iban",
    // account number, accountNumber, acct no, bank account
    "(?:^| )(?:bank ?)?(?:account|acct|acc) ?(?:number|numbers|num|no|nr|nbr)(?: |$)",
    "(?:^| )bank ?account",
    "(?:^| )(?:routing|aba|transit) ?(?:number|num|no|nr|code)",
    "(?:^| )sort ?code",
    "(?:^| )bsb(?: |$)",
    // Kontonummer, Konto-Nr., Bankkonto, Bankleitzahl, BLZ
    "(?:^| )(?:bank ?)?konto ?(?:nummer|nr)",
    "(?:^| )bank ?konto",
    "(?:^| )bank ?leitzahl",
    "(?:^| )blz(?: |$)",
    // rekeningnummer, rekeningnr, bankrekening
    "(?:^| )(?:bank ?)?rekening ?(?:nummer|nr)",
    "(?:^| )bank ?rekening",
    // número da conta, número de cuenta, conta corrente, cuenta bancaria, CLABE, CBU, agência
    "(?:^| )(?:numero|num|nro|no|n) (?:da |de |do |del )?(?:conta|cuenta)(?: |$)",
    "(?:^| )(?:conta|cuenta) (?:corrente|bancaria|poupanca|corriente|clabe)",
    "(?:^| )(?:clabe|cbu)(?: |$)",
    "(?:^| )agencia(?: |$)",
];

const TAX_ID: &[&str] = &[
    // tax id, taxpayer id, tax number, TIN, ITIN, VAT number
    "(?:^| )tax ?(?:payer ?)?(?:id|identification|number|no|nr|code|reference)(?: |$)",
    "(?:^| )taxpayer",
    "(?:^| )(?:tin|itin)(?: |$)",
    "(?:^| )vat ?(?:id|number|no|nr|registration)",
    // Steuer-ID, Steueridentifikationsnummer, Steuernummer, USt-IdNr.
    "(?:^| )steuer ?(?:id|identifikation|nummer|nr)",
    "(?:^| )ust ?id",
    // BTW-nummer, fiscaal nummer, sofinummer
    "(?:^| )btw ?(?:nummer|nr|id)",
    "(?:^| )fiscaal ?nummer",
    "(?:^| )sofi ?nummer",
    // NIF, CIF, CPF, CNPJ, NIPC, RFC, CUIT, CUIL, NIT
    "(?:^| )(?:nif|cif|cpf|cnpj|nipc|rfc|cuit|cuil|nit)(?: |$)",
    // número de identificação fiscal, identificación fiscal, número de contribuinte
    "(?:^| )identifica(?:cao|cion) fiscal",
    "(?:^| )(?:numero|codigo) fiscal",
    "(?:^| )contribuinte(?: |$)",
];

const NATIONAL_ID: &[&str] = &[
    // ssn, social security number, national id, national insurance number
    "(?:^| )ssn(?: |$)",
    "(?:^| )social ?security",
    "(?:^| )national ?(?:id|identity|identification|insurance)",
    "(?:^| )identity ?(?:card|number|no|document)",
    "(?:^| )id ?(?:card|kaart) ?(?:number|nummer|no|nr)",
    "(?:^| )(?:passport|paspoort|passaporte|pasaporte|reisepass)",
    "(?:^| )document ?(?:number|nummer|no|nr)(?: |$)",
    // Personalausweisnummer, Ausweis-Nr., Passnummer, Sozialversicherungsnummer
    "(?:^| )(?:personal)?ausweis ?(?:nummer|nr)",
    "(?:^| )pass ?(?:nummer|nr)(?: |$)",
    "(?:^| )sozialversicherungs ?(?:nummer|nr)",
    // BSN, burgerservicenummer, identiteitsbewijs
    "(?:^| )bsn(?: |$)",
    "(?:^| )burger ?service ?nummer",
    "(?:^| )identiteits ?(?:bewijs|kaart|nummer)",
    // DNI, NIE, RG, CURP, NSS (not NINO: normalized, it is also Spanish "niño")
    "(?:^| )(?:dni|nie|rg|curp|nss)(?: |$)",
    // documento de identidad, número de identidade, cartão de cidadão, cédula
    "(?:^| )(?:documento|numero|carteira|cartao|bilhete|carnet) (?:de |do |da )?(?:identidad|identidade|cidadao)",
    "(?:^| )(?:numero|num|nro|no|n) (?:de |do )?documento(?: |$)",
    "(?:^| )cedula(?: |$)",
    "(?:^| )seguridad social",
    "(?:^| )seguranca social",
];

const PASSWORD: &[&str] = &[
    // password, newPassword, userpassword, passwd, pwd, pass, passcode, passphrase
    "password",
    "(?:^| )(?:passwd|passcode|passphrase|pwd|pw|pass)(?: |$)",
    // Passwort, Kennwort, wachtwoord, senha, contraseña, mot de passe
    "passwort",
    "kennwort",
    "wachtwoord",
    "contrasena",
    "(?:^| )senha(?: |$)",
    "(?:^| )mot de passe",
    "(?:^| )clave (?:de acceso|secreta|personal|de seguridad)",
    // PIN, pincode, PIN-Code, Geheimzahl
    "(?:^| )pin(?: ?code)?(?: |$)",
    "(?:^| )geheim ?(?:zahl|nummer|code)",
];

/// The text patterns of every kind, in the order they are tried.
const TEXT_PATTERNS: &[(Sensitivity, &[&str])] = &[
    (Sensitivity::CardSecurityCode, CARD_SECURITY_CODE),
    (Sensitivity::CardExpiry, CARD_EXPIRY),
    (Sensitivity::CardHolder, CARD_HOLDER),
    (Sensitivity::CardNumber, CARD_NUMBER),
    (Sensitivity::OneTimeCode, ONE_TIME_CODE),
    (Sensitivity::BankAccount, BANK_ACCOUNT),
    (Sensitivity::TaxId, TAX_ID),
    (Sensitivity::NationalId, NATIONAL_ID),
    (Sensitivity::Password, PASSWORD),
];

static COMPILED: LazyLock<Vec<(Sensitivity, Regex)>> = LazyLock::new(|| {
    TEXT_PATTERNS
        .iter()
        .map(|(kind, patterns)| {
            let regex = Regex::new(&alternation(patterns))
                .expect("the built-in patterns compile; a test compiles each of them");
            (*kind, regex)
        })
        .collect()
});

/// Whether the field must be masked in the agent's frames, and why.
pub fn classify(field: &FieldSignals) -> Option<Sensitivity> {
    let input_type = field.input_type.as_deref().map(|t| t.trim().to_ascii_lowercase());
    if let Some(t) = &input_type {
        if let Some((_, kind)) = ALWAYS_MASKED_INPUT_TYPES.iter().find(|(name, _)| name == t) {
            return Some(*kind);
        }
    }
    match field.mask_attr {
        Some(false) => return None,
        Some(true) => return Some(Sensitivity::CompanyRule),
        None => {}
    }
    if let Some(kind) = field.autocomplete.as_deref().and_then(autocomplete_kind) {
        return Some(kind);
    }
    if input_type.is_some_and(|t| UNCLASSIFIED_INPUT_TYPES.contains(&t.as_str())) {
        return None;
    }
    let texts: Vec<String> =
        [&field.id, &field.name, &field.label, &field.placeholder, &field.aria_label, &field.title]
            .into_iter()
            .flatten()
            .map(|s| normalize(s, true))
            .filter(|s| !s.is_empty())
            .collect();
    COMPILED
        .iter()
        .find(|(_, regex)| texts.iter().any(|t| regex.is_match(t)))
        .map(|(kind, _)| *kind)
}

fn autocomplete_kind(attribute: &str) -> Option<Sensitivity> {
    attribute.split_ascii_whitespace().find_map(|token| {
        let token = token.to_ascii_lowercase();
        AUTOCOMPLETE_TOKENS.iter().find(|(name, _)| *name == token).map(|(_, kind)| *kind)
    })
}

/// The tables for the in-page guard script; [`classify`] applies the same ones.
pub fn guard_rules() -> GuardRules {
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    GuardRules {
        normalization: Normalization::describe(true),
        regex_flags: "u".to_owned(),
        always_masked_input_types: ALWAYS_MASKED_INPUT_TYPES
            .iter()
            .map(|(t, kind)| ((*t).to_owned(), *kind))
            .collect(),
        unclassified_input_types: owned(UNCLASSIFIED_INPUT_TYPES),
        autocomplete: AUTOCOMPLETE_TOKENS
            .iter()
            .map(|(t, kind)| ((*t).to_owned(), *kind))
            .collect(),
        text_signals: owned(TEXT_SIGNALS),
        patterns: TEXT_PATTERNS
            .iter()
            .map(|(kind, patterns)| KindPatterns { kind: *kind, patterns: owned(patterns) })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
