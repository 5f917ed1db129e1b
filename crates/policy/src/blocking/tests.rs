//! Table tests of the blocking rules: the buttons of real checkouts, sign-ups and account pages
//! in each supported language, harmless controls that must stay usable, and the guard tables.

use super::*;
use crate::text::check_portable;
use BlockReason::*;

fn button(text: &str) -> ControlSignals {
    ControlSignals { tag: "button".to_owned(), text: Some(text.to_owned()), ..Default::default() }
}

fn check(table: &[(&str, Option<BlockReason>)]) {
    let failures: Vec<String> = table
        .iter()
        .filter_map(|(text, expected)| {
            let got = classify_control(&button(text));
            (got != *expected).then(|| format!("{text:?}: expected {expected:?}, got {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn check_none(texts: &[&str]) {
    let table: Vec<(&str, Option<BlockReason>)> = texts.iter().map(|t| (*t, None)).collect();
    check(&table);
}

#[test]
fn english_commitments_are_blocked() {
    check(&[
        ("Buy now", Some(Purchase)),
        ("Buy it now", Some(Purchase)),
        ("Buy for $9.99", Some(Purchase)),
        ("Place order", Some(Purchase)),
        ("Complete purchase", Some(Purchase)),
        ("Confirm your order", Some(Purchase)),
        ("Order now", Some(Purchase)),
        ("Purchase", Some(Purchase)),
        ("Pay", Some(Payment)),
        ("Pay now", Some(Payment)),
        ("Pay €49.99", Some(Payment)),
        ("Pay with PayPal", Some(Payment)),
        ("Confirm payment", Some(Payment)),
        ("I agree", Some(Agreement)),
        ("Accept", Some(Agreement)),
        ("Accept terms", Some(Agreement)),
        ("I accept the Terms and Conditions", Some(Agreement)),
        ("Agree and continue", Some(Agreement)),
        ("Delete account", Some(DeleteAccount)),
        ("Delete my account", Some(DeleteAccount)),
        ("Close your account", Some(DeleteAccount)),
    ]);
}

#[test]
fn harmless_english_controls_are_not_blocked() {
    check_none(&[
        "Add to cart",
        "Proceed to checkout",
        "Continue shopping",
        "PayPal info",
        "Payment methods",
        "Display settings",
        "Accept cookies",
        "Accept all",
        "Allow all cookies",
        "Order history",
        "Track your order",
        "Buying guide",
        "Account settings",
        "Delete item",
        "Remove from cart",
        "Sign in",
        "Disagree",
    ]);
}

#[test]
fn german_commitments_are_blocked() {
    check(&[
        ("Jetzt kaufen", Some(Purchase)),
        ("Kaufen", Some(Purchase)),
        ("Bestellen", Some(Purchase)),
        ("Zahlungspflichtig bestellen", Some(Purchase)),
        ("Jetzt kostenpflichtig bestellen", Some(Purchase)),
        ("Bestellung abschicken", Some(Purchase)),
        ("Kauf abschließen", Some(Purchase)),
        ("Jetzt bezahlen", Some(Payment)),
        ("Bezahlen", Some(Payment)),
        ("Zahlung bestätigen", Some(Payment)),
        ("Ich stimme zu", Some(Agreement)),
        ("Ich stimme den AGB zu", Some(Agreement)),
        ("Akzeptieren", Some(Agreement)),
        ("Ich akzeptiere die Datenschutzbestimmungen", Some(Agreement)),
        ("Konto löschen", Some(DeleteAccount)),
        ("Mein Konto löschen", Some(DeleteAccount)),
        ("Kundenkonto schließen", Some(DeleteAccount)),
    ]);
}

#[test]
fn harmless_german_controls_are_not_blocked() {
    check_none(&[
        "In den Warenkorb",
        "Zur Kasse",
        "Weiter einkaufen",
        "Alle Cookies akzeptieren",
        "Alle akzeptieren",
        "Meine Bestellungen",
        "Bestellübersicht",
        "Zahlungsarten",
        "Konto anlegen",
        "Artikel löschen",
        "Anmelden",
    ]);
}

#[test]
fn dutch_commitments_are_blocked() {
    check(&[
        ("Kopen", Some(Purchase)),
        ("Nu kopen", Some(Purchase)),
        ("Koop nu", Some(Purchase)),
        ("Bestellen", Some(Purchase)),
        ("Bestelling plaatsen", Some(Purchase)),
        ("Betalen", Some(Payment)),
        ("Nu betalen", Some(Payment)),
        ("Betaal nu", Some(Payment)),
        ("Afrekenen", Some(Payment)),
        ("Akkoord", Some(Agreement)),
        ("Ik ga akkoord", Some(Agreement)),
        ("Ik ga akkoord met de voorwaarden", Some(Agreement)),
        ("Accepteren", Some(Agreement)),
        ("Account verwijderen", Some(DeleteAccount)),
        ("Verwijder mijn account", Some(DeleteAccount)),
    ]);
}

#[test]
fn harmless_dutch_controls_are_not_blocked() {
    check_none(&[
        "In winkelwagen",
        "Verder winkelen",
        "Cookies accepteren",
        "Alles accepteren",
        "Mijn bestellingen",
        "Betaalmethoden",
        "Account aanmaken",
        "Inloggen",
        "Verwijderen",
    ]);
}

#[test]
fn portuguese_commitments_are_blocked() {
    check(&[
        ("Comprar", Some(Purchase)),
        ("Comprar agora", Some(Purchase)),
        ("Finalizar compra", Some(Purchase)),
        ("Fazer pedido", Some(Purchase)),
        ("Finalizar pedido", Some(Purchase)),
        ("Confirmar encomenda", Some(Purchase)),
        ("Pagar", Some(Payment)),
        ("Pagar agora", Some(Payment)),
        ("Confirmar pagamento", Some(Payment)),
        ("Aceito", Some(Agreement)),
        ("Concordo", Some(Agreement)),
        ("Li e aceito os termos", Some(Agreement)),
        ("Aceitar termos", Some(Agreement)),
        ("Excluir conta", Some(DeleteAccount)),
        ("Excluir minha conta", Some(DeleteAccount)),
        ("Apagar conta", Some(DeleteAccount)),
    ]);
}

#[test]
fn harmless_portuguese_controls_are_not_blocked() {
    check_none(&[
        "Adicionar ao carrinho",
        "Continuar comprando",
        "Aceitar cookies",
        "Aceitar todos",
        "Meus pedidos",
        "Formas de pagamento",
        "Criar conta",
        "Entrar",
        "Ver pedido",
    ]);
}

#[test]
fn spanish_commitments_are_blocked() {
    check(&[
        ("Comprar", Some(Purchase)),
        ("Comprar ahora", Some(Purchase)),
        ("Finalizar compra", Some(Purchase)),
        ("Realizar pedido", Some(Purchase)),
        ("Tramitar pedido", Some(Purchase)),
        ("Hacer pedido", Some(Purchase)),
        ("Pagar", Some(Payment)),
        ("Pagar ahora", Some(Payment)),
        ("Confirmar pago", Some(Payment)),
        ("Acepto", Some(Agreement)),
        ("Aceptar", Some(Agreement)),
        ("Acepto los términos y condiciones", Some(Agreement)),
        ("Estoy de acuerdo", Some(Agreement)),
        ("Eliminar cuenta", Some(DeleteAccount)),
        ("Eliminar mi cuenta", Some(DeleteAccount)),
        ("Cerrar cuenta", Some(DeleteAccount)),
    ]);
}

#[test]
fn harmless_spanish_controls_are_not_blocked() {
    check_none(&[
        "Añadir a la cesta",
        "Seguir comprando",
        "Aceptar cookies",
        "Aceptar todo",
        "Mis pedidos",
        "Métodos de pago",
        "Crear cuenta",
        "Iniciar sesión",
        "Ver pedido",
        "Eliminar",
    ]);
}

#[test]
fn the_first_matching_reason_wins() {
    check(&[
        ("Accept and pay", Some(Payment)),
        ("Buy now, pay later", Some(Purchase)),
        ("I agree, delete my account", Some(DeleteAccount)),
    ]);
}

#[test]
fn submitting_a_form_with_a_masked_field_is_blocked() {
    let submit = |text: &str, masked: bool| ControlSignals {
        is_submit: true,
        form_has_masked_field: masked,
        ..button(text)
    };
    assert_eq!(classify_control(&submit("Continue", true)), Some(SensitiveFormSubmit));
    assert_eq!(classify_control(&submit("Log in", true)), Some(SensitiveFormSubmit));
    assert_eq!(classify_control(&submit("Pay now", true)), Some(SensitiveFormSubmit));
    assert_eq!(classify_control(&submit("Continue", false)), None);
    assert_eq!(classify_control(&submit("Pay now", false)), Some(Payment));
    let back = ControlSignals { form_has_masked_field: true, ..button("Back") };
    assert_eq!(classify_control(&back), None);
}

#[test]
fn the_block_attribute_blocks_any_control_as_a_company_rule() {
    for c in [
        ControlSignals { block_attr: Some(true), ..button("Next") },
        ControlSignals { block_attr: Some(true), ..Default::default() },
        ControlSignals {
            block_attr: Some(true),
            is_submit: true,
            form_has_masked_field: true,
            ..button("Go")
        },
        ControlSignals { block_attr: Some(true), tag: "input".into(), ..Default::default() },
    ] {
        assert_eq!(classify_control(&c), Some(CompanyRule), "{c:?}");
    }
}

#[test]
fn the_sites_no_block_attribute_lifts_text_rules_but_not_the_masked_form_rule() {
    let unblocked = ControlSignals { block_attr: Some(false), ..button("Pay now") };
    assert_eq!(classify_control(&unblocked), None);
    let masked_form = ControlSignals { is_submit: true, form_has_masked_field: true, ..unblocked };
    assert_eq!(classify_control(&masked_form), Some(SensitiveFormSubmit));
}

#[test]
fn text_entry_controls_are_never_blocked_by_what_was_typed() {
    let typed = |tag: &str, input_type: Option<&str>, role: Option<&str>| ControlSignals {
        tag: tag.to_owned(),
        input_type: input_type.map(str::to_owned),
        role: role.map(str::to_owned),
        text: Some("Buy now and I agree".to_owned()),
        ..Default::default()
    };
    for c in [
        typed("input", None, None),
        typed("input", Some("text"), None),
        typed("INPUT", Some("search"), None),
        typed("input", Some("email"), None),
        typed("textarea", None, None),
        typed("select", None, None),
        typed("div", None, Some("textbox")),
        typed("span", None, Some("combobox")),
    ] {
        assert_eq!(classify_control(&c), None, "{c:?}");
    }
}

#[test]
fn buttons_links_checkboxes_and_clickable_inputs_are_judged_by_their_text() {
    let control =
        |tag: &str, input_type: Option<&str>, role: Option<&str>, text: &str| ControlSignals {
            tag: tag.to_owned(),
            input_type: input_type.map(str::to_owned),
            role: role.map(str::to_owned),
            text: Some(text.to_owned()),
            ..Default::default()
        };
    let table = [
        (control("input", Some("submit"), None, "Pay now"), Payment),
        (control("input", Some("SUBMIT"), None, "Jetzt kaufen"), Purchase),
        (control("input", Some("image"), None, "Buy"), Purchase),
        (control("input", Some("checkbox"), None, "I agree to the terms of service"), Agreement),
        (control("a", None, None, "Buy now"), Purchase),
        (control("div", None, Some("button"), "Pagar"), Payment),
        (control("label", None, Some("checkbox"), "Ik ga akkoord"), Agreement),
    ];
    for (c, expected) in table {
        assert_eq!(classify_control(&c), Some(expected), "{c:?}");
    }
}

#[test]
fn controls_without_text_are_not_blocked() {
    assert_eq!(classify_control(&ControlSignals::default()), None);
    assert_eq!(classify_control(&button("")), None);
    assert_eq!(classify_control(&button(" — ")), None);
}

#[test]
fn guard_block_rules_serialize_to_json_and_back() {
    let rules = guard_block_rules();
    let json = serde_json::to_value(&rules).unwrap();
    assert_eq!(json["regex_flags"], "u");
    assert_eq!(json["reasons"][0]["reason"], "delete_account");
    assert_eq!(json["normalization"]["split_camel_case"], false);
    let back: GuardBlockRules = serde_json::from_value(json).unwrap();
    assert_eq!(back, rules);
}

#[test]
fn every_guard_block_pattern_compiles_in_rust_and_is_portable_to_javascript() {
    let rules = guard_block_rules();
    let mut count = 0;
    for reason in &rules.reasons {
        for pattern in reason.patterns.iter().chain(&reason.exceptions) {
            assert_eq!(check_portable(pattern), Ok(()), "{:?}: {pattern}", reason.reason);
            count += 1;
        }
    }
    assert!(count > 30, "{count} patterns");
}

#[test]
fn control_signals_deserialize_from_the_guard_scripts_json() {
    let json = r#"{"tag":"button","text":"Jetzt bezahlen","is_submit":true}"#;
    let c: ControlSignals = serde_json::from_str(json).unwrap();
    assert_eq!(classify_control(&c), Some(Payment));
    assert_eq!(serde_json::to_value(SensitiveFormSubmit).unwrap(), "sensitive_form_submit");
}
