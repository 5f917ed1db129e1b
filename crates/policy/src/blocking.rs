//! Which controls the agent may not trigger (F16): buying, paying, agreeing to terms, deleting
//! the account, and submitting a form that holds a masked field, in every supported language.
//!
//! The in-page guard script reads [`ControlSignals`] from each button, link and checkbox and
//! applies the tables of [`guard_block_rules`]; [`classify_control`] applies the same tables in
//! Rust. The customer can always trigger these controls; the agent is told why it cannot.
//!
//! Decisions:
//! - Text is matched as whole words of the normalized text, so "Pay" blocks "Pay now" and
//!   "Pay €49.99" but not "PayPal info", "Payment methods" or "Display". Camel case is not split
//!   in button texts: "PayPal" stays one word.
//! - Cookie banners are harmless: an agreement text that mentions cookies or tracking ("Accept
//!   cookies", "Alle Cookies akzeptieren", "Cookies accepteren", "Aceitar cookies", "Aceptar
//!   cookies"), or that is exactly a banner's "Accept all" in any language, is not blocked.
//!   A bare "Accept"/"Akzeptieren"/"Aceptar" is blocked: it may accept terms, and the customer
//!   can click a cookie banner's "Accept" themselves.
//! - Text rules never apply to text-entry controls (text inputs, textareas, selects, textboxes):
//!   their text is what the user typed, not what the control does.
//! - `data-beside-block="false"` (the site's explicit word) lifts the default text rules, but not
//!   the rule on submitting a form with a masked field: the agent must not send data it could not
//!   see.
//! - "Proceed to checkout", "Zur Kasse", "Add to cart" are not blocked: they can be undone. The
//!   step that commits the customer ("Place order", "Zahlungspflichtig bestellen") is.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::text::{alternation, normalize, Normalization};

/// What the guard script reads from one control.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ControlSignals {
    /// `button`, `a`, `input`, `div` ...
    pub tag: String,
    /// The `type` attribute.
    pub input_type: Option<String>,
    /// The `role` attribute.
    pub role: Option<String>,
    /// Visible text, value or `aria-label` of the control.
    pub text: Option<String>,
    /// A submit button: a button without a type in a form, or an input of type submit or image.
    pub is_submit: bool,
    /// The control's form holds a field that is masked for the agent.
    pub form_has_masked_field: bool,
    /// `Some(true)`: `data-beside-block` on the control or an ancestor; `Some(false)`:
    /// `data-beside-block="false"`.
    pub block_attr: Option<bool>,
}

/// Why the agent may not trigger a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    Purchase,
    Payment,
    Agreement,
    DeleteAccount,
    SensitiveFormSubmit,
    /// The site or the company marked it (`data-beside-block`, a company rule).
    CompanyRule,
}

/// The tables the guard script applies in JavaScript, in the order [`classify_control`]
/// applies them.
///
/// For a control: `data-beside-block` → `company_rule`; a submit button of a form with a masked
/// field → `sensitive_form_submit`; `data-beside-block="false"` → not blocked; a text-entry
/// control (an `input` whose type, `text` when missing, is not in `clickable_input_types`, a tag
/// in `text_entry_tags`, a role in `text_entry_roles`) → not blocked; otherwise the text is
/// normalized (see `normalization`) and the first entry of `reasons` with a pattern that matches
/// and no exception that matches gives the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardBlockRules {
    pub normalization: Normalization,
    pub regex_flags: String,
    pub clickable_input_types: Vec<String>,
    pub text_entry_tags: Vec<String>,
    pub text_entry_roles: Vec<String>,
    pub reasons: Vec<ReasonPatterns>,
}

/// Text patterns for one reason, and the texts it does not cover although a pattern matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonPatterns {
    pub reason: BlockReason,
    pub patterns: Vec<String>,
    pub exceptions: Vec<String>,
}

/// Input types that are pressed or ticked rather than typed into.
const CLICKABLE_INPUT_TYPES: &[&str] = &["button", "checkbox", "image", "radio", "reset", "submit"];
const TEXT_ENTRY_TAGS: &[&str] = &["select", "textarea"];
const TEXT_ENTRY_ROLES: &[&str] = &["combobox", "searchbox", "slider", "spinbutton", "textbox"];

// The patterns match normalized text: lowercase words separated by single spaces, camel case
// not split. `(?:^| )` and `(?: |$)` are the word boundaries.

const DELETE_ACCOUNT: &[&str] = &[
    // delete account, delete my account, close your account, deactivate account
    "(?:^| )(?:delete|remove|close|deactivate|cancel|terminate|erase) (?:(?:my|your|the|this) )?account(?: |$)",
    // Konto löschen, Mein Konto löschen, Kundenkonto schließen, Account löschen
    "(?:^| )(?:benutzer|kunden)?(?:konto|account) (?:loschen|entfernen|schliessen|kundigen|deaktivieren|auflosen)(?: |$)",
    "(?:^| )(?:losche|loschen|schliesse|schliessen) (?:sie )?(?:mein |dein |ihr |das )?(?:benutzer|kunden)?(?:konto|account)(?: |$)",
    // Account verwijderen, Verwijder mijn account, Account opheffen
    "(?:^| )(?:account|profiel) (?:verwijderen|opheffen|sluiten|deactiveren)(?: |$)",
    "(?:^| )(?:verwijder|hef|sluit) (?:mijn |je |uw )?(?:account|profiel)(?: |$)",
    // Excluir conta, Excluir minha conta, Eliminar cuenta, Borrar mi cuenta, Cerrar cuenta
    "(?:^| )(?:excluir|apagar|eliminar|encerrar|deletar|cancelar|borrar|cerrar|desativar|desactivar|remover) (?:(?:a|minha|sua|la|mi|tu|su) )?(?:conta|cuenta)(?: |$)",
];

const PURCHASE: &[&str] = &[
    // Buy, Buy now, Buy it now, Buy for $9.99
    "(?:^| )buy(?: |$)",
    // Place order, Complete purchase, Confirm your order, Submit order
    "(?:^| )(?:place|submit|complete|confirm|finish|finalize|finalise) (?:(?:my|your|the|this) )?(?:order|purchase|booking)(?: |$)",
    "(?:^| )(?:order|book|purchase) now(?: |$)",
    "^purchase$",
    // Kaufen, Jetzt kaufen, Bestellen (also Dutch), Zahlungspflichtig bestellen, Jetzt buchen
    "(?:^| )kaufen(?: |$)",
    "(?:^| )bestellen(?: |$)",
    "(?:^| )(?:bestellung|kauf) (?:abschicken|absenden|abschliessen|bestatigen|aufgeben)(?: |$)",
    "(?:^| )(?:jetzt|verbindlich|zahlungspflichtig|kostenpflichtig) buchen(?: |$)",
    // Kopen, Nu kopen, Koop nu, Bestelling plaatsen, Plaats bestelling
    "(?:^| )kopen(?: |$)",
    "(?:^| )koop(?: nu)?$",
    "(?:^| )bestelling (?:plaatsen|afronden|bevestigen|voltooien)(?: |$)",
    "(?:^| )(?:plaats|rond|bevestig) (?:je |uw |mijn |de )?bestelling(?: |$)",
    // Comprar, Comprar agora, Finalizar compra, Fazer pedido, Realizar pedido, Tramitar pedido
    "(?:^| )comprar(?: |$)",
    "(?:^| )(?:finalizar|concluir|confirmar|completar|efetuar|efectuar|realizar|fazer|hacer|tramitar|enviar|submeter) (?:(?:o|a|el|la|seu|sua|su|meu|minha|mi) )?(?:pedido|compra|encomenda)(?: |$)",
];

const PAYMENT: &[&str] = &[
    // Pay, Pay now, Pay €49.99, Confirm payment
    "(?:^| )pay(?: |$)",
    "(?:^| )(?:confirm|complete|submit|make|authorize|authorise|process|send) (?:(?:the|my|your|this) )?payment(?: |$)",
    // Bezahlen, Jetzt bezahlen, Jetzt zahlen, Zahlung bestätigen
    "(?:^| )bezahlen(?: |$)",
    "(?:^| )(?:jetzt|sicher) zahlen(?: |$)",
    "(?:^| )zahlung (?:bestatigen|abschliessen|ausfuhren|autorisieren|freigeben|senden)(?: |$)",
    // Betalen, Nu betalen, Betaal nu, Afrekenen, Betaling bevestigen
    "(?:^| )betalen(?: |$)",
    "(?:^| )betaal(?: |$)",
    "(?:^| )afrekenen(?: |$)",
    "(?:^| )betaling (?:bevestigen|voltooien|afronden)(?: |$)",
    "(?:^| )(?:bevestig|voltooi|rond) (?:de |je |uw )?betaling(?: |$)",
    // Pagar, Pagar agora, Pagar ahora, Confirmar pago, Efetuar pagamento
    "(?:^| )pagar(?: |$)",
    "(?:^| )(?:confirmar|efetuar|efectuar|finalizar|realizar|completar|concluir|autorizar|hacer|fazer) (?:o |el )?(?:pagamento|pago)(?: |$)",
];

const AGREEMENT: &[&str] = &[
    // I agree, Agree, Accept, Accept terms, I accept the terms, I consent
    "(?:^| )(?:agree|accept)(?: |$)",
    "(?:^| )i consent(?: |$)",
    // Akzeptieren, Ich akzeptiere, Zustimmen, Ich stimme zu, Ich stimme den AGB zu, Einverstanden
    "(?:^| )(?:akzeptieren|akzeptiere|zustimmen|einverstanden)(?: |$)",
    "(?:^| )stimme(?: [a-z0-9]+){0,8} zu(?: |$)",
    // Akkoord, Ik ga akkoord, Accepteren, Ik accepteer
    "(?:^| )(?:akkoord|accepteren|accepteer|aanvaarden|aanvaard)(?: |$)",
    // Aceito, Aceitar, Concordo, Estou de acordo, Acepto, Aceptar, Estoy de acuerdo
    "(?:^| )(?:aceito|aceitar|concordo|acepto|aceptar)(?: |$)",
    "(?:^| )(?:estou de acordo|estoy de acuerdo)(?: |$)",
];

/// Agreement texts of cookie banners.
const AGREEMENT_EXCEPTIONS: &[&str] = &[
    "(?:^| )(?:cookie|cookies|tracking)(?: |$)",
    "^(?:accept|allow|agree to) all$",
    "^alle? (?:akzeptieren|zulassen)$",
    "^(?:alle|alles) (?:accepteren|toestaan)$",
    "^(?:aceitar|permitir) (?:todos|todas|tudo)$",
    "^(?:aceptar|permitir) (?:todo|todos|todas)$",
];

/// The reasons with text rules, in the order they are tried.
const TEXT_REASONS: &[(BlockReason, &[&str], &[&str])] = &[
    (BlockReason::DeleteAccount, DELETE_ACCOUNT, &[]),
    (BlockReason::Purchase, PURCHASE, &[]),
    (BlockReason::Payment, PAYMENT, &[]),
    (BlockReason::Agreement, AGREEMENT, AGREEMENT_EXCEPTIONS),
];

struct CompiledReason {
    reason: BlockReason,
    patterns: Regex,
    exceptions: Option<Regex>,
}

static COMPILED: LazyLock<Vec<CompiledReason>> = LazyLock::new(|| {
    let compile = |patterns: &[&str]| {
        Regex::new(&alternation(patterns))
            .expect("the built-in patterns compile; a test compiles each of them")
    };
    TEXT_REASONS
        .iter()
        .map(|(reason, patterns, exceptions)| CompiledReason {
            reason: *reason,
            patterns: compile(patterns),
            exceptions: (!exceptions.is_empty()).then(|| compile(exceptions)),
        })
        .collect()
});

/// Whether the agent may not trigger the control, and why.
pub fn classify_control(c: &ControlSignals) -> Option<BlockReason> {
    if c.block_attr == Some(true) {
        return Some(BlockReason::CompanyRule);
    }
    if c.is_submit && c.form_has_masked_field {
        return Some(BlockReason::SensitiveFormSubmit);
    }
    if c.block_attr == Some(false) || is_text_entry(c) {
        return None;
    }
    let text = normalize(c.text.as_deref()?, false);
    if text.is_empty() {
        return None;
    }
    COMPILED
        .iter()
        .find(|r| {
            r.patterns.is_match(&text) && !r.exceptions.as_ref().is_some_and(|e| e.is_match(&text))
        })
        .map(|r| r.reason)
}

fn is_text_entry(c: &ControlSignals) -> bool {
    let lower = |s: &str| s.trim().to_ascii_lowercase();
    let tag = lower(&c.tag);
    if tag == "input" {
        let input_type = c.input_type.as_deref().map_or_else(|| "text".to_owned(), lower);
        if !CLICKABLE_INPUT_TYPES.contains(&input_type.as_str()) {
            return true;
        }
    }
    TEXT_ENTRY_TAGS.contains(&tag.as_str())
        || c.role.as_deref().is_some_and(|r| TEXT_ENTRY_ROLES.contains(&lower(r).as_str()))
}

/// The tables for the in-page guard script; [`classify_control`] applies the same ones.
pub fn guard_block_rules() -> GuardBlockRules {
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    GuardBlockRules {
        normalization: Normalization::describe(false),
        regex_flags: "u".to_owned(),
        clickable_input_types: owned(CLICKABLE_INPUT_TYPES),
        text_entry_tags: owned(TEXT_ENTRY_TAGS),
        text_entry_roles: owned(TEXT_ENTRY_ROLES),
        reasons: TEXT_REASONS
            .iter()
            .map(|(reason, patterns, exceptions)| ReasonPatterns {
                reason: *reason,
                patterns: owned(patterns),
                exceptions: owned(exceptions),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
