//! Table tests of the masking rules: real checkout fields in each supported language, everyday
//! fields that must stay visible, the order of the signals, and the guard script's tables.

use super::*;
use crate::text::check_portable;
use Sensitivity::*;

/// A field from a compact spec such as `"name=cc_number; label=Card number"`; the keys are
/// `tag`, `type`, `ac` (autocomplete), `id`, `name`, `label`, `placeholder`, `aria`, `title`,
/// `inputmode` and `mask` (`true`/`false`). The tag is `input` unless given.
fn field(spec: &str) -> FieldSignals {
    let mut f = FieldSignals { tag: "input".to_owned(), ..FieldSignals::default() };
    for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap();
        let text = value.to_owned();
        let value = Some(text.clone());
        match key {
            "tag" => f.tag = text,
            "type" => f.input_type = value,
            "ac" => f.autocomplete = value,
            "id" => f.id = value,
            "name" => f.name = value,
            "label" => f.label = value,
            "placeholder" => f.placeholder = value,
            "aria" => f.aria_label = value,
            "title" => f.title = value,
            "inputmode" => f.inputmode = value,
            "mask" => f.mask_attr = Some(text == "true"),
            other => panic!("unknown key {other}"),
        }
    }
    f
}

fn check(table: &[(&str, Option<Sensitivity>)]) {
    let failures: Vec<String> = table
        .iter()
        .filter_map(|(spec, expected)| {
            let got = classify(&field(spec));
            (got != *expected).then(|| format!("{spec}: expected {expected:?}, got {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn check_none(specs: &[&str]) {
    let table: Vec<(&str, Option<Sensitivity>)> = specs.iter().map(|s| (*s, None)).collect();
    check(&table);
}

#[test]
fn english_checkout_fields_are_recognised_without_autocomplete() {
    check(&[
        ("name=cardnumber; ac=off", Some(CardNumber)),
        ("id=cc-number; label=Card number", Some(CardNumber)),
        ("name=payment[card_number]; placeholder=1234 1234 1234 1234", Some(CardNumber)),
        ("id=encryptedCardNumber", Some(CardNumber)),
        ("name=ccnum", Some(CardNumber)),
        ("name=x_card_num; label=Card No.", Some(CardNumber)),
        ("label=Credit card", Some(CardNumber)),
        ("name=pan", Some(CardNumber)),
        ("id=giftCardNumber; label=Gift card number", Some(CardNumber)),
        ("name=exp_date; placeholder=MM / YY", Some(CardExpiry)),
        ("id=expiry; label=Expiry date", Some(CardExpiry)),
        ("tag=select; name=ccExpMonth", Some(CardExpiry)),
        ("name=card-expiration-year; tag=select", Some(CardExpiry)),
        ("placeholder=MM/YY", Some(CardExpiry)),
        ("name=cvc; placeholder=CVC", Some(CardSecurityCode)),
        ("id=securityCode; label=Security code", Some(CardSecurityCode)),
        ("name=cvv2", Some(CardSecurityCode)),
        ("name=cvv2Code", Some(CardSecurityCode)),
        ("label=Card verification code (CVV)", Some(CardSecurityCode)),
        ("label=Name on card", Some(CardHolder)),
        ("name=cardholderName", Some(CardHolder)),
        ("name=iban; label=IBAN", Some(BankAccount)),
        ("id=accountNumber; label=Account number", Some(BankAccount)),
        ("label=Routing number", Some(BankAccount)),
        ("label=Sort code", Some(BankAccount)),
        ("name=ssn; label=Social Security Number", Some(NationalId)),
        ("label=Passport number", Some(NationalId)),
        ("label=National ID", Some(NationalId)),
        ("label=Tax ID", Some(TaxId)),
        ("name=otp; inputmode=numeric", Some(OneTimeCode)),
        ("name=otp1; aria=Digit 1", Some(OneTimeCode)),
        ("label=Verification code", Some(OneTimeCode)),
        ("label=Enter your 2FA code", Some(OneTimeCode)),
        ("type=text; name=password; label=Password", Some(Password)),
        ("name=txtPassword", Some(Password)),
        ("name=pass; type=text", Some(Password)),
        ("id=pin; label=PIN", Some(Password)),
    ]);
}

#[test]
fn everyday_english_fields_are_not_masked() {
    check_none(&[
        "type=email; name=email; label=Email address; ac=email",
        "name=name; label=Name; ac=name",
        "name=username; label=Username; ac=username",
        "type=search; name=q; placeholder=Search products",
        "name=company; label=Company name; ac=organization",
        "label=Street name",
        "tag=textarea; name=gift_message; label=Gift card message",
        "name=card_type; label=Card",
        "name=promo_code; label=Promo code",
        "name=postal_code; label=Postal code",
        "type=tel; label=Phone number",
        "label=Order number",
        "label=Date of birth",
        "label=Expected delivery date",
        "label=Export format",
        "label=Nationality",
        "label=BIC / SWIFT",
        "label=Display name",
    ]);
}

#[test]
fn german_checkout_fields_are_recognised() {
    check(&[
        ("name=kartennummer; label=Kartennummer", Some(CardNumber)),
        ("label=Kreditkartennummer", Some(CardNumber)),
        ("id=cc_nr; label=Karten-Nr.", Some(CardNumber)),
        ("label=Kreditkarte", Some(CardNumber)),
        ("label=Gültig bis; placeholder=MM/JJ", Some(CardExpiry)),
        ("label=Ablaufdatum", Some(CardExpiry)),
        ("label=Gueltig bis (Monat/Jahr)", Some(CardExpiry)),
        ("label=Prüfnummer", Some(CardSecurityCode)),
        ("label=Kartenprüfnummer (CVC)", Some(CardSecurityCode)),
        ("label=Sicherheitscode", Some(CardSecurityCode)),
        ("label=Karteninhaber", Some(CardHolder)),
        ("label=Name des Karteninhabers", Some(CardHolder)),
        ("name=iban; label=IBAN", Some(BankAccount)),
        ("label=Kontonummer", Some(BankAccount)),
        ("label=BLZ", Some(BankAccount)),
        ("label=Steuer-ID", Some(TaxId)),
        ("label=Steueridentifikationsnummer", Some(TaxId)),
        ("label=Personalausweisnummer", Some(NationalId)),
        ("label=Sozialversicherungsnummer", Some(NationalId)),
        ("label=TAN", Some(OneTimeCode)),
        ("label=pushTAN", Some(OneTimeCode)),
        ("label=Bestätigungscode", Some(OneTimeCode)),
        ("label=Einmalpasswort", Some(OneTimeCode)),
        ("label=Passwort", Some(Password)),
        ("name=kennwort", Some(Password)),
        ("label=Passwort wiederholen", Some(Password)),
    ]);
}

#[test]
fn everyday_german_fields_are_not_masked() {
    check_none(&[
        "label=E-Mail-Adresse",
        "label=Vorname",
        "label=Nachname",
        "label=Benutzername",
        "label=Straße und Hausnummer",
        "label=Postleitzahl",
        "label=Gutscheincode",
        "label=Firmenname",
        "label=Telefonnummer",
        "placeholder=Suche",
        "label=Kundennummer",
        "label=Geburtsdatum",
        "label=Bestellnummer",
    ]);
}

#[test]
fn dutch_checkout_fields_are_recognised() {
    check(&[
        ("label=Kaartnummer", Some(CardNumber)),
        ("label=Creditcardnummer", Some(CardNumber)),
        ("label=Pasnummer", Some(CardNumber)),
        ("label=Vervaldatum", Some(CardExpiry)),
        ("label=Geldig tot", Some(CardExpiry)),
        ("placeholder=MM/JJ", Some(CardExpiry)),
        ("label=Beveiligingscode", Some(CardSecurityCode)),
        ("label=CVC-code", Some(CardSecurityCode)),
        ("label=Naam kaarthouder", Some(CardHolder)),
        ("label=Naam op de kaart", Some(CardHolder)),
        ("label=IBAN-nummer", Some(BankAccount)),
        ("label=Rekeningnummer", Some(BankAccount)),
        ("label=Burgerservicenummer (BSN)", Some(NationalId)),
        ("label=Paspoortnummer", Some(NationalId)),
        ("label=BTW-nummer", Some(TaxId)),
        ("label=Verificatiecode", Some(OneTimeCode)),
        ("label=Wachtwoord", Some(Password)),
        ("label=Pincode", Some(Password)),
    ]);
}

#[test]
fn everyday_dutch_fields_are_not_masked() {
    check_none(&[
        "label=E-mailadres",
        "label=Voornaam",
        "label=Achternaam",
        "label=Gebruikersnaam",
        "label=Straatnaam",
        "label=Huisnummer",
        "label=Postcode",
        "label=Kortingscode",
        "placeholder=Zoeken",
        "label=Bedrijfsnaam",
        "label=Telefoonnummer",
        "label=Geboortedatum",
    ]);
}

#[test]
fn portuguese_checkout_fields_are_recognised() {
    check(&[
        ("label=Número do cartão", Some(CardNumber)),
        ("name=numeroCartao", Some(CardNumber)),
        ("label=Nº do cartão", Some(CardNumber)),
        ("label=Cartão de crédito", Some(CardNumber)),
        ("label=Validade; placeholder=MM/AA", Some(CardExpiry)),
        ("label=Data de validade", Some(CardExpiry)),
        ("label=Código de segurança", Some(CardSecurityCode)),
        ("name=cvv; label=CVV", Some(CardSecurityCode)),
        ("label=Nome impresso no cartão", Some(CardHolder)),
        ("label=Titular do cartão", Some(CardHolder)),
        ("label=Número da conta", Some(BankAccount)),
        ("label=Agência", Some(BankAccount)),
        ("label=CPF", Some(TaxId)),
        ("name=cnpj", Some(TaxId)),
        ("label=Número de identificação fiscal (NIF)", Some(TaxId)),
        ("label=Número de contribuinte", Some(TaxId)),
        ("label=RG", Some(NationalId)),
        ("label=Cartão de Cidadão", Some(NationalId)),
        ("label=Código de verificação", Some(OneTimeCode)),
        ("label=Senha", Some(Password)),
        ("name=nova_senha", Some(Password)),
    ]);
}

#[test]
fn everyday_portuguese_fields_are_not_masked() {
    check_none(&[
        "label=E-mail",
        "label=Nome completo",
        "label=Nome de usuário",
        "label=Rua",
        "label=Número",
        "label=Complemento",
        "label=CEP",
        "label=Cupom de desconto",
        "placeholder=Pesquisar",
        "label=Nome da empresa",
        "label=Telefone",
        "label=Data de nascimento",
    ]);
}

#[test]
fn spanish_checkout_fields_are_recognised() {
    check(&[
        ("label=Número de tarjeta", Some(CardNumber)),
        ("name=numero_tarjeta", Some(CardNumber)),
        ("label=Número de la tarjeta", Some(CardNumber)),
        ("label=Tarjeta de crédito", Some(CardNumber)),
        ("label=Fecha de caducidad", Some(CardExpiry)),
        ("label=Vencimiento; placeholder=MM/AA", Some(CardExpiry)),
        ("label=Fecha de expiración", Some(CardExpiry)),
        ("label=Código de seguridad", Some(CardSecurityCode)),
        ("label=CVC/CVV", Some(CardSecurityCode)),
        ("label=Titular de la tarjeta", Some(CardHolder)),
        ("label=Nombre en la tarjeta", Some(CardHolder)),
        ("label=Nombre que aparece en la tarjeta", Some(CardHolder)),
        ("label=Número de cuenta", Some(BankAccount)),
        ("label=CLABE interbancaria", Some(BankAccount)),
        ("label=NIF", Some(TaxId)),
        ("label=DNI/NIE", Some(NationalId)),
        ("label=Número de documento", Some(NationalId)),
        ("label=Código de verificación", Some(OneTimeCode)),
        ("label=Contraseña", Some(Password)),
        ("label=Clave de acceso", Some(Password)),
    ]);
}

#[test]
fn everyday_spanish_fields_are_not_masked() {
    check_none(&[
        "label=Correo electrónico",
        "label=Nombre",
        "label=Apellidos",
        "label=Nombre de usuario",
        "label=Calle",
        "label=Número",
        "label=Código postal",
        "label=Código promocional",
        "placeholder=Buscar",
        "label=Nombre de la empresa",
        "label=Teléfono",
        "label=Fecha de nacimiento",
        "label=Nombre del niño",
    ]);
}

#[test]
fn a_password_input_is_masked_even_when_the_site_unmasks_it() {
    check(&[
        ("type=password", Some(Password)),
        ("type=PASSWORD; name=q", Some(Password)),
        ("type=password; mask=false", Some(Password)),
        ("type=password; mask=true", Some(Password)),
        ("type=password; ac=cc-csc", Some(Password)),
    ]);
}

#[test]
fn the_unmask_attribute_wins_over_autocomplete_and_labels() {
    check_none(&[
        "mask=false; ac=cc-number",
        "mask=false; name=cardnumber; label=Card number",
        "mask=false; ac=one-time-code",
        "mask=false; type=text; name=password",
    ]);
}

#[test]
fn the_mask_attribute_masks_any_field_as_a_company_rule() {
    check(&[
        ("mask=true", Some(CompanyRule)),
        ("mask=true; name=email; type=email", Some(CompanyRule)),
        ("mask=true; ac=cc-number", Some(CompanyRule)),
        ("mask=true; type=checkbox", Some(CompanyRule)),
        ("tag=div; mask=true", Some(CompanyRule)),
    ]);
}

#[test]
fn autocomplete_tokens_decide_before_labels() {
    check(&[
        ("ac=cc-number", Some(CardNumber)),
        ("ac=cc-exp", Some(CardExpiry)),
        ("ac=cc-exp-month; tag=select", Some(CardExpiry)),
        ("ac=cc-exp-year", Some(CardExpiry)),
        ("ac=cc-csc", Some(CardSecurityCode)),
        ("ac=cc-name", Some(CardHolder)),
        ("ac=cc-given-name", Some(CardHolder)),
        ("ac=cc-family-name", Some(CardHolder)),
        ("ac=current-password", Some(Password)),
        ("ac=new-password", Some(Password)),
        ("ac=one-time-code", Some(OneTimeCode)),
        ("ac=iban", Some(BankAccount)),
        ("ac=cc-number; label=Security code", Some(CardNumber)),
        ("ac=section-a billing cc-number", Some(CardNumber)),
        ("ac=  shipping   CC-EXP  ", Some(CardExpiry)),
        ("ac=current-password webauthn", Some(Password)),
    ]);
}

#[test]
fn a_harmless_autocomplete_token_does_not_unmask_a_sensitive_label() {
    check(&[
        ("ac=off; label=Card number", Some(CardNumber)),
        ("ac=tel; label=Verification code", Some(OneTimeCode)),
        ("ac=nope; name=cvc", Some(CardSecurityCode)),
    ]);
}

#[test]
fn buttons_checkboxes_and_radios_are_not_classified_by_their_labels() {
    check_none(&[
        "type=checkbox; label=Save card number for later",
        "type=radio; name=payment; label=Credit card",
        "type=submit; name=password_reset",
        "type=hidden; name=cc_token",
        "type=file; label=Passport scan",
    ]);
}

#[test]
fn selects_textareas_and_contenteditables_are_classified_like_inputs() {
    check(&[
        ("tag=select; name=expiry_year", Some(CardExpiry)),
        ("tag=textarea; label=IBAN", Some(BankAccount)),
        ("tag=div; aria=Card number", Some(CardNumber)),
        ("type=month; label=Expiry", Some(CardExpiry)),
        ("type=number; label=CVV", Some(CardSecurityCode)),
    ]);
}

#[test]
fn every_text_signal_is_read() {
    check(&[
        ("id=card_number", Some(CardNumber)),
        ("name=card_number", Some(CardNumber)),
        ("label=Card number", Some(CardNumber)),
        ("placeholder=Card number", Some(CardNumber)),
        ("aria=Card number", Some(CardNumber)),
        ("title=Card number", Some(CardNumber)),
        ("id=field_17; name=f[3]; title=Card number", Some(CardNumber)),
    ]);
}

#[test]
fn the_more_specific_card_kind_wins_over_the_card_number() {
    check(&[
        ("label=Card security code", Some(CardSecurityCode)),
        ("label=Credit card expiry date", Some(CardExpiry)),
        ("label=Credit card holder", Some(CardHolder)),
        ("name=card_number; label=Security code", Some(CardSecurityCode)),
        ("label=One-time password", Some(OneTimeCode)),
        ("label=Social security number", Some(NationalId)),
    ]);
}

#[test]
fn labels_are_compared_after_normalization() {
    check(&[
        ("label=NÚMERO DO CARTÃO", Some(CardNumber)),
        ("label=  Contraseña*  ", Some(Password)),
        ("label=ＣＶＶ", Some(CardSecurityCode)),
        ("name=CCNumber", Some(CardNumber)),
        ("name=IBANNumber", Some(BankAccount)),
        ("name=card.number", Some(CardNumber)),
        ("label=Kartenprüfnummer", Some(CardSecurityCode)),
    ]);
}

#[test]
fn guard_rules_serialize_to_json_and_back() {
    let rules = guard_rules();
    let json = serde_json::to_value(&rules).unwrap();
    assert_eq!(json["regex_flags"], "u");
    assert_eq!(json["always_masked_input_types"]["password"], "password");
    assert_eq!(json["autocomplete"]["cc-number"], "card_number");
    assert_eq!(json["patterns"][0]["kind"], "card_security_code");
    assert_eq!(json["normalization"]["split_camel_case"], true);
    let back: GuardRules = serde_json::from_value(json).unwrap();
    assert_eq!(back, rules);
}

#[test]
fn every_guard_pattern_compiles_in_rust_and_is_portable_to_javascript() {
    let rules = guard_rules();
    let mut count = 0;
    for kind in &rules.patterns {
        for pattern in &kind.patterns {
            assert_eq!(check_portable(pattern), Ok(()), "{:?}: {pattern}", kind.kind);
            count += 1;
        }
    }
    assert!(count > 80, "{count} patterns");
}

#[test]
fn guard_rules_hold_every_text_kind_once_and_the_tables_classify_uses() {
    let rules = guard_rules();
    let kinds: Vec<Sensitivity> = rules.patterns.iter().map(|k| k.kind).collect();
    let mut unique = kinds.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), kinds.len());
    assert!(!kinds.contains(&CompanyRule));
    for (token, kind) in &rules.autocomplete {
        assert_eq!(classify(&field(&format!("ac={token}"))), Some(*kind), "{token}");
    }
    for t in &rules.unclassified_input_types {
        assert_eq!(classify(&field(&format!("type={t}; label=Card number"))), None, "{t}");
    }
    assert_eq!(rules.text_signals, ["id", "name", "label", "placeholder", "aria_label", "title"]);
}

#[test]
fn field_signals_deserialize_from_the_guard_scripts_json() {
    let json = r#"{"tag":"input","input_type":"text","autocomplete":null,"id":"cvc",
        "name":null,"label":"CVC","placeholder":null,"aria_label":null,"title":null,
        "inputmode":"numeric","mask_attr":null}"#;
    let f: FieldSignals = serde_json::from_str(json).unwrap();
    assert_eq!(classify(&f), Some(CardSecurityCode));
    assert_eq!(serde_json::to_value(CardSecurityCode).unwrap(), "card_security_code");
}
