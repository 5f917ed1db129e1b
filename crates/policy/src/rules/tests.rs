//! Table tests of URL patterns (matching and parsing), selector checks and rule selection.

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn check_matches(table: &[(&str, &str, bool)]) {
    let failures: Vec<String> = table
        .iter()
        .filter_map(|(pattern, address, expected)| {
            let got = UrlPattern::parse(pattern).unwrap().matches(&url(address));
            (got != *expected).then(|| format!("{pattern} on {address}: expected {expected}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_host_wildcard_covers_the_domain_and_its_subdomains_only() {
    check_matches(&[
        ("*.example.com", "https://example.com/", true),
        ("*.example.com", "https://shop.example.com/", true),
        ("*.example.com", "https://a.b.example.com/x", true),
        ("*.example.com", "https://SHOP.Example.COM/", true),
        ("*.example.com", "https://example.com.evil.net/", false),
        ("*.example.com", "https://badexample.com/", false),
        ("*.example.com", "https://example.co/", false),
        ("*.example.com", "https://evil.net/example.com", false),
        ("*.example.com", "https://evil.net/?u=shop.example.com", false),
        ("*.example.com", "https://shop.example.com.evil.net/", false),
        ("*.Example.COM.", "https://shop.example.com./", true),
    ]);
}

#[test]
fn an_exact_host_covers_that_host_only() {
    check_matches(&[
        ("example.com", "https://example.com/", true),
        ("example.com", "http://example.com/any/path?q=1#f", true),
        ("Example.COM", "https://EXAMPLE.com/", true),
        ("example.com", "https://example.com./", true),
        ("example.com", "https://www.example.com/", false),
        ("example.com", "https://example.com.evil.net/", false),
        ("example.com", "https://notexample.com/", false),
        ("bücher.de", "https://xn--bcher-kva.de/", true),
        ("xn--bcher-kva.de", "https://bücher.de/", true),
        ("127.0.0.1", "http://127.0.0.1:8080/", true),
        ("127.0.0.1", "http://127.0.0.2/", false),
        ("[::1]", "http://[::1]/", true),
        ("[0:0::1]", "http://[::1]/", true),
    ]);
}

#[test]
fn the_scheme_is_optional_and_only_narrows_when_given() {
    check_matches(&[
        ("example.com", "http://example.com/", true),
        ("example.com", "https://example.com/", true),
        ("https://example.com", "https://example.com/", true),
        ("https://example.com", "http://example.com/", false),
        ("HTTP://example.com", "http://example.com/", true),
        ("http://example.com", "https://example.com/", false),
        ("https://*", "https://anything.test/", true),
        ("https://*", "http://anything.test/", false),
    ]);
}

#[test]
fn a_pattern_without_a_port_covers_every_port() {
    check_matches(&[
        ("example.com", "https://example.com:8443/", true),
        ("example.com", "http://example.com:80/", true),
        ("example.com:8443", "https://example.com:8443/", true),
        ("example.com:8443", "https://example.com/", false),
        ("example.com:443", "https://example.com/", true),
        ("example.com:443", "http://example.com/", false),
        ("[::1]:9000", "http://[::1]:9000/", true),
        ("[::1]:9000", "http://[::1]:9001/", false),
        ("*:8080", "http://localhost:8080/", true),
    ]);
}

#[test]
fn paths_are_globs_and_no_path_means_every_path() {
    check_matches(&[
        ("example.com", "https://example.com/checkout/pay", true),
        ("example.com/", "https://example.com/checkout/pay", true),
        ("*.example.com/checkout/*", "https://shop.example.com/checkout/pay", true),
        ("*.example.com/checkout/*", "https://shop.example.com/checkout/", true),
        ("*.example.com/checkout/*", "https://shop.example.com/checkout", true),
        ("*.example.com/checkout/*", "https://shop.example.com/checkout/a/b?x=1", true),
        ("*.example.com/checkout/*", "https://shop.example.com/checkoutx", false),
        ("*.example.com/checkout/*", "https://shop.example.com/cart", false),
        ("*.example.com/checkout/*", "https://shop.example.com/en/checkout/", false),
        ("example.com/*/checkout/*", "https://example.com/en/checkout/pay", true),
        ("example.com/*/checkout", "https://example.com/de/at/checkout", true),
        ("example.com/account", "https://example.com/account", true),
        ("example.com/account", "https://example.com/account/delete", false),
        ("example.com/account*", "https://example.com/accounts", true),
        ("example.com/Checkout/*", "https://example.com/CHECKOUT/pay", true),
        ("example.com/zahlung/ü", "https://example.com/zahlung/%C3%BC", true),
        ("example.com/a*b*c", "https://example.com/aXbYc", true),
        ("example.com/a*b*c", "https://example.com/aXbYcd", false),
        ("https://shop.example.com/*", "https://shop.example.com/", true),
    ]);
}

#[test]
fn the_star_alone_covers_every_page() {
    check_matches(&[
        ("*", "https://example.com/", true),
        ("*", "http://127.0.0.1:8080/x", true),
        ("*", "about:blank", true),
        (" * ", "https://a.b.c/", true),
    ]);
}

#[test]
fn pages_that_are_not_web_pages_match_only_the_star() {
    check_matches(&[
        ("example.com", "about:blank", false),
        ("*/x", "data:text/html,x", false),
        ("example.com", "file://example.com/etc/passwd", false),
        ("*.example.com", "ftp://ftp.example.com/", false),
    ]);
}

#[test]
fn malformed_patterns_are_refused_with_a_reason() {
    let table = [
        ("", RuleError::EmptyPattern),
        ("   ", RuleError::EmptyPattern),
        ("ftp://example.com", RuleError::Scheme("ftp".into())),
        ("javascript://x", RuleError::Scheme("javascript".into())),
        ("example.com:0", RuleError::Port("0".into())),
        ("example.com:99999", RuleError::Port("99999".into())),
        ("example.com:+80", RuleError::Port("+80".into())),
        ("example.com:", RuleError::Port("".into())),
        ("user:pass@example.com", RuleError::Credentials),
        ("example.com/search?q=*", RuleError::QueryOrFragment),
        ("example.com#top", RuleError::QueryOrFragment),
    ];
    for (input, expected) in table {
        assert_eq!(UrlPattern::parse(input), Err(expected), "{input}");
    }
    for input in [
        "exa mple.com",
        "shop.*.example.com",
        "*example.com",
        "example.*",
        "**.example.com",
        "*.127.0.0.1",
        "https:///checkout",
        "[::1",
        "::1",
        "[::1]x",
        "exa<mple.com",
        ".",
    ] {
        assert!(matches!(UrlPattern::parse(input), Err(RuleError::Host(_))), "{input}");
    }
    let long = format!("example.com/{}", "a".repeat(MAX_PATTERN_LEN));
    assert_eq!(UrlPattern::parse(&long), Err(RuleError::PatternTooLong));
}

#[test]
fn patterns_serialize_as_the_text_they_were_written_as() {
    let rule = CompanyRule::new(RuleKind::Mask, "#iban", " *.example.com/checkout/* ").unwrap();
    assert_eq!(rule.url_pattern.as_str(), "*.example.com/checkout/*");
    assert_eq!(rule.url_pattern.to_string(), "*.example.com/checkout/*");
    let json = serde_json::to_value(&rule).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "mask", "selector": "#iban", "url_pattern": "*.example.com/checkout/*"})
    );
    let back: CompanyRule = serde_json::from_value(json).unwrap();
    assert_eq!(back, rule);
    let bad = serde_json::json!({"kind": "block", "selector": "a", "url_pattern": "ftp://x"});
    assert!(serde_json::from_value::<CompanyRule>(bad).is_err());
}

#[test]
fn ordinary_selectors_pass_the_check() {
    for s in [
        "#iban",
        ".card-number input",
        "form#checkout button[type=submit]",
        "input[name=\"card[number]\"]",
        "input[name='a)b']",
        "div:not(.public) > input:nth-child(2n+1)",
        "a[href^=\"https://\"]",
        "#id\\[0\\]",
        "[data-x=\"say \\\"hi\\\" (ok]\"] span",
        "*",
    ] {
        assert_eq!(validate_selector(s), Ok(()), "{s}");
    }
    let long = format!("#{}", "a".repeat(MAX_SELECTOR_CHARS - 1));
    assert_eq!(validate_selector(&long), Ok(()));
}

#[test]
fn broken_or_dangerous_selectors_are_refused() {
    let table = [
        ("", RuleError::EmptySelector),
        ("   ", RuleError::EmptySelector),
        ("a { color: red }", RuleError::SelectorCharacter('{')),
        ("a}", RuleError::SelectorCharacter('}')),
        ("</style><script>", RuleError::SelectorCharacter('<')),
        ("a\u{0}b", RuleError::SelectorCharacter('\u{0}')),
        ("input[name=x", RuleError::SelectorUnbalanced('[')),
        ("input]", RuleError::SelectorUnbalanced(']')),
        ("div:not(.a", RuleError::SelectorUnbalanced('(')),
        ("div:not(.a]", RuleError::SelectorUnbalanced(']')),
        ("a)", RuleError::SelectorUnbalanced(')')),
        ("input[name=\"x]", RuleError::SelectorUnbalanced('"')),
        ("input[name='x]", RuleError::SelectorUnbalanced('\'')),
        ("#a\\", RuleError::SelectorUnbalanced('\\')),
    ];
    for (input, expected) in table {
        assert_eq!(validate_selector(input), Err(expected), "{input:?}");
    }
    let long = format!("#{}", "a".repeat(MAX_SELECTOR_CHARS));
    assert_eq!(validate_selector(&long), Err(RuleError::SelectorTooLong));
}

#[test]
fn rules_for_a_page_are_the_ones_whose_pattern_covers_it_in_order() {
    let rules = [
        CompanyRule::new(RuleKind::Mask, "#iban", "*.example.com/account/*").unwrap(),
        CompanyRule::new(RuleKind::Block, "#delete", "example.com").unwrap(),
        CompanyRule::new(RuleKind::Mask, ".secret", "*").unwrap(),
        CompanyRule::new(RuleKind::Block, "#pay", "https://other.test/*").unwrap(),
    ];
    let selectors = |address: &str| {
        let page = url(address);
        rules_for(&rules, &page).map(|r| r.selector.clone()).collect::<Vec<_>>()
    };
    assert_eq!(selectors("https://example.com/account/bank"), ["#iban", "#delete", ".secret"]);
    assert_eq!(selectors("https://www.example.com/account"), ["#iban", ".secret"]);
    assert_eq!(selectors("https://other.test/"), [".secret", "#pay"]);
    assert_eq!(selectors("http://other.test/"), [".secret"]);
}

#[test]
fn a_company_rule_checks_both_its_selector_and_its_pattern() {
    assert_eq!(CompanyRule::new(RuleKind::Mask, "", "example.com"), Err(RuleError::EmptySelector));
    assert_eq!(
        CompanyRule::new(RuleKind::Mask, "#a", "ftp://example.com"),
        Err(RuleError::Scheme("ftp".into()))
    );
}

#[test]
fn rule_errors_have_stable_codes_and_readable_messages() {
    assert_eq!(RuleError::EmptyPattern.code(), "url_pattern_empty");
    assert_eq!(RuleError::Host("x".into()).code(), "url_pattern_host");
    assert_eq!(RuleError::SelectorUnbalanced('[').code(), "selector_unbalanced");
    assert_eq!(
        RuleError::Scheme("ftp".into()).to_string(),
        "URL patterns cover web pages only (http, https), not `ftp:` addresses"
    );
    assert_eq!(RuleError::SelectorCharacter('{').to_string(), "the selector cannot contain '{'");
}
