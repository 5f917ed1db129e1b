//! The in-page guard finds sensitive fields and blocked controls on a real page, reports where
//! they are as the page scrolls and changes, and answers hit tests and focus questions.

use std::net::SocketAddr;

use browser::{
    Browser, Config, FocusState, GuardRect, GuardReport, HitTest, Input, Modifiers, Tab, TabEvent,
    TabOptions,
};
use policy::rules::CompanyRule;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::support::{self, click, WAIT};

/// Two test sites (different ports are different origins) and a browser allowed to reach both.
async fn start() -> (Browser, SocketAddr, SocketAddr) {
    let site = support::serve_site().await;
    let other = support::serve_site().await;
    let config =
        Config { allow_private: vec![site.to_string(), other.to_string()], ..Config::default() };
    let browser = Browser::launch(config).await.expect("chromium starts");
    (browser, site, other)
}

/// Waits for a guard report matching `pred`, skipping others. The guard is silent while the
/// page is still (and the reports of the page's loading may have been skipped): while none
/// matches, the page is nudged (a `resize` event wakes the guard, as the server's ask does).
async fn wait_guard(
    tab: &Tab,
    rx: &mut mpsc::Receiver<TabEvent>,
    pred: impl Fn(&GuardReport) -> bool,
) -> GuardReport {
    let mut last = None;
    let res = tokio::time::timeout(WAIT, async {
        loop {
            let nudge = tokio::time::sleep(std::time::Duration::from_millis(500));
            tokio::pin!(nudge);
            loop {
                tokio::select! {
                    event = rx.recv() => match event {
                        Some(TabEvent::Guard(report)) => {
                            if pred(&report) {
                                return report;
                            }
                            last = Some(report);
                        }
                        Some(_) => {}
                        None => panic!("tab events ended"),
                    },
                    () = &mut nudge => break,
                }
            }
            let _ = tab.evaluate("dispatchEvent(new Event('resize')), 1").await;
        }
    })
    .await;
    match res {
        Ok(report) => report,
        Err(_) => panic!("no matching guard report; the last one: {last:#?}"),
    }
}

/// The viewport rectangle of the element `id` of the top document, as the page measures it.
async fn page_rect(tab: &Tab, id: &str) -> [f64; 4] {
    rect_of(tab, &format!("document.getElementById({id:?})")).await
}

fn close_to(rect: &GuardRect, want: [f64; 4]) -> bool {
    let r = rect.rect;
    [r.x, r.y, r.width, r.height].iter().zip(want).all(|(a, b)| (a - b).abs() < 0.5)
}

fn find(rects: &[GuardRect], want: [f64; 4]) -> Option<&GuardRect> {
    rects.iter().find(|r| close_to(r, want))
}

const MASKED_FIELDS: [(&str, &str); 5] = [
    ("cc-number", "card_number"),
    ("kn", "card_number"),
    ("sec", "card_security_code"),
    ("acct", "bank_account"),
    ("pw", "password"),
];

#[tokio::test]
async fn sensitive_fields_and_blocked_controls_are_reported_where_they_are() {
    let (browser, site, other) = start().await;
    let url = support::url(site, &format!("/checkout?port={}", other.port()));
    let (tab, mut rx) = support::open(&browser, url.clone()).await;

    let first = wait_guard(&tab, &mut rx, |r| r.url == url.as_str()).await;
    for (id, kind) in MASKED_FIELDS {
        let want = page_rect(&tab, id).await;
        let got = find(&first.masked, want).unwrap_or_else(|| panic!("{id} {want:?}: {first:#?}"));
        assert_eq!(got.kind, kind, "{id}");
        assert!(!got.fixed, "{id}");
    }
    for id in ["email", "demo-card", "cart"] {
        let rect = page_rect(&tab, id).await;
        assert!(find(&first.masked, rect).is_none(), "{id} is masked: {first:#?}");
        assert!(find(&first.blocked, rect).is_none(), "{id} is blocked: {first:#?}");
    }
    let notes = find(&first.masked, page_rect(&tab, "notes").await).expect("the marked div");
    assert_eq!(notes.kind, "company_rule");
    let fixed = find(&first.masked, page_rect(&tab, "fixed-card").await).expect("the fixed field");
    assert!(fixed.fixed);
    for (id, reason) in [
        ("paynow", "payment"),
        ("continue", "sensitive_form_submit"),
        ("next", "company_rule"),
        ("terms", "agreement"),
        ("terms-label", "agreement"),
    ] {
        let want = page_rect(&tab, id).await;
        let got = find(&first.blocked, want).unwrap_or_else(|| panic!("{id}: {first:#?}"));
        assert_eq!(got.kind, reason, "{id}");
    }

    // Frames: a card field in a same-origin frame at its place in the top viewport (frame at
    // 400,100 with a 5px border, field at 20,30 inside); a cross-origin frame hidden whole.
    let frames = wait_guard(&tab, &mut rx, |r| {
        find(&r.masked, [425.0, 135.0, 150.0, 24.0]).is_some()
            && r.masked.iter().any(|m| m.kind == "cross_origin_frame")
    })
    .await;
    let inner = find(&frames.masked, [425.0, 135.0, 150.0, 24.0]).unwrap();
    assert_eq!(inner.kind, "card_number");
    let cross = find(&frames.masked, [400.0, 300.0, 300.0, 100.0]).expect("the whole frame");
    assert_eq!(cross.kind, "cross_origin_frame");

    // Scrolling moves what scrolls and keeps what is fixed.
    let card = page_rect(&tab, "cc-number").await;
    let wheel = Input::Wheel {
        x: 1000.0,
        y: 600.0,
        delta_x: 0.0,
        delta_y: 200.0,
        modifiers: Modifiers::default(),
    };
    tab.dispatch(wheel).await.unwrap();
    let scrolled = wait_guard(&tab, &mut rx, |r| r.scroll_y > 0.0).await;
    let moved = [card[0], card[1] - scrolled.scroll_y, card[2], card[3]];
    assert!(find(&scrolled.masked, moved).is_some_and(|r| !r.fixed), "{scrolled:#?}");
    let still = find(&scrolled.masked, [1000.0, 10.0, 150.0, 24.0]).expect("the fixed field");
    assert!(still.fixed);
    let y = tab.evaluate("window.scrollY").await.unwrap().as_f64().unwrap();
    let settled = wait_guard(&tab, &mut rx, |r| r.scroll_y == y).await;
    assert_eq!(settled.scroll_x, 0.0);
    assert!(find(&settled.masked, [card[0], card[1] - y, card[2], card[3]]).is_some());
    browser.shutdown().await;
}

#[tokio::test]
async fn hit_tests_focus_and_late_fields_follow_the_rules() {
    let (browser, site, other) = start().await;
    let url = support::url(site, &format!("/checkout?port={}", other.port()));
    let (tab, mut rx) = support::open(&browser, url.clone()).await;
    wait_guard(&tab, &mut rx, |r| r.masked.iter().any(|m| m.kind == "cross_origin_frame")).await;

    let hit = |blocked: Option<&str>, masked| HitTest { blocked: blocked.map(Into::into), masked };
    assert_eq!(tab.hit_test(60.0, 265.0).await.unwrap(), hit(Some("payment"), false));
    assert_eq!(
        tab.hit_test(170.0, 265.0).await.unwrap(),
        hit(Some("sensitive_form_submit"), false)
    );
    assert_eq!(tab.hit_test(60.0, 358.0).await.unwrap(), hit(Some("agreement"), false));
    assert_eq!(tab.hit_test(900.0, 600.0).await.unwrap(), hit(None, false));
    assert_eq!(tab.hit_test(60.0, 315.0).await.unwrap(), hit(None, false));
    assert_eq!(tab.hit_test(50.0, 22.0).await.unwrap(), hit(None, true));
    assert_eq!(tab.hit_test(50.0, 222.0).await.unwrap(), hit(None, false));
    assert_eq!(tab.hit_test(450.0, 145.0).await.unwrap(), hit(None, true));
    assert_eq!(tab.hit_test(600.0, 200.0).await.unwrap(), hit(None, false));
    assert_eq!(tab.hit_test(500.0, 350.0).await.unwrap(), hit(None, true));
    assert!(tab.hit_test(f64::NAN, 1.0).await.is_err());

    click(&tab, 50.0, 22.0).await;
    support::eventually(&tab, "document.activeElement.id", json!("cc-number")).await;
    let focus = tab.focus_state().await.unwrap();
    assert!(focus.masked, "{focus:?}");
    click(&tab, 50.0, 222.0).await;
    support::eventually(&tab, "document.activeElement.id", json!("email")).await;
    assert_eq!(
        tab.focus_state().await.unwrap(),
        FocusState {
            masked: false,
            blocked: None,
            form_blocked: Some("sensitive_form_submit".into()),
            selection_masked: false,
        }
    );
    click(&tab, 60.0, 315.0).await;
    support::eventually(&tab, "document.activeElement.id", json!("cart")).await;
    assert_eq!(tab.focus_state().await.unwrap(), FocusState::default());
    click(&tab, 450.0, 145.0).await;
    support::eventually(&tab, "document.activeElement.id", json!("same")).await;
    assert!(tab.focus_state().await.unwrap().masked);

    // A field added after load is reported within a few reports, and hit-tested at once.
    tab.evaluate(
        "const late = document.createElement('input'); late.id = 'late'; \
         late.placeholder = 'IBAN'; late.setAttribute('style', \
         'position: absolute; left: 10px; top: 560px; width: 200px; height: 24px; box-sizing: border-box'); \
         document.body.appendChild(late); 1",
    )
    .await
    .unwrap();
    assert_eq!(tab.hit_test(50.0, 570.0).await.unwrap(), hit(None, true));
    let late =
        wait_guard(&tab, &mut rx, |r| find(&r.masked, [10.0, 560.0, 200.0, 24.0]).is_some()).await;
    assert_eq!(find(&late.masked, [10.0, 560.0, 200.0, 24.0]).unwrap().kind, "bank_account");

    // A label's text changed by script re-classifies its field.
    tab.evaluate("document.querySelector('label[for=kn]').textContent = 'Nickname'; 1")
        .await
        .unwrap();
    let kn = page_rect(&tab, "kn").await;
    wait_guard(&tab, &mut rx, |r| find(&r.masked, kn).is_none()).await;
    browser.shutdown().await;
}

#[tokio::test]
async fn the_guard_is_refused_while_absent_and_applies_the_policy_tables() {
    let (browser, site, _other) = start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/plain")).await;
    wait_guard(&tab, &mut rx, |r| r.masked.is_empty() && r.blocked.is_empty()).await;
    assert_eq!(tab.evaluate("typeof __besideHitTest").await.unwrap(), json!("undefined"));
    assert_eq!(tab.evaluate("typeof RULES").await.unwrap(), json!("undefined"));

    let mask = policy::masking::guard_rules();
    let block = policy::blocking::guard_block_rules();
    for (norm, split) in [(&mask.normalization, true), (&block.normalization, false)] {
        for (input, want) in &norm.examples {
            let js = format!("__besideGuardRules.normalize({input:?}, {split}, 512)");
            assert_eq!(tab.evaluate_in_guard(&js).await.unwrap(), json!(want), "{input}");
        }
    }

    let field =
        |spec: Value| -> policy::masking::FieldSignals { serde_json::from_value(spec).unwrap() };
    let fields = [
        field(json!({"tag": "input", "id": "cc-number"})),
        field(json!({"tag": "input", "name": "billing[ccNumber]"})),
        field(json!({"tag": "input", "label": "Número do cartão"})),
        field(json!({"tag": "input", "label": "Kartennummer"})),
        field(json!({"tag": "input", "placeholder": "CVC"})),
        field(json!({"tag": "input", "name": "IBANNumber"})),
        field(json!({"tag": "input", "input_type": "PASSWORD", "mask_attr": false})),
        field(json!({"tag": "input", "autocomplete": "section-a billing cc-csc"})),
        field(json!({"tag": "input", "placeholder": "Card number", "mask_attr": false})),
        field(json!({"tag": "div", "mask_attr": true})),
        field(json!({"tag": "input", "input_type": "checkbox", "label": "Card number"})),
        field(json!({"tag": "input", "name": "email", "label": "E-Mail"})),
        field(json!({"tag": "input", "label": "Gift card message"})),
        field(json!({"tag": "input", "aria_label": "Steuernummer"})),
        field(json!({"tag": "input", "title": "Contraseña"})),
    ];
    for f in &fields {
        let want = serde_json::to_value(policy::masking::classify(f)).unwrap();
        let js = format!("__besideGuardRules.classifyField({})", serde_json::to_string(f).unwrap());
        assert_eq!(tab.evaluate_in_guard(&js).await.unwrap(), want, "{f:?}");
    }

    let control =
        |spec: Value| -> policy::blocking::ControlSignals { serde_json::from_value(spec).unwrap() };
    let controls = [
        control(json!({"tag": "button", "text": "Pay now"})),
        control(json!({"tag": "button", "text": "PayPal info"})),
        control(json!({"tag": "button", "text": "Add to cart"})),
        control(json!({"tag": "button", "text": "Zahlungspflichtig bestellen"})),
        control(json!({"tag": "button", "text": "Alle Cookies akzeptieren"})),
        control(json!({"tag": "button", "text": "Accept"})),
        control(json!({"tag": "a", "text": "Konto löschen"})),
        control(json!({"tag": "input", "input_type": "text", "text": "Pay"})),
        control(
            json!({"tag": "button", "text": "Back", "is_submit": true, "form_has_masked_field": true}),
        ),
        control(json!({"tag": "button", "text": "Next", "block_attr": true})),
        control(json!({"tag": "button", "text": "Pay now", "block_attr": false})),
    ];
    for c in &controls {
        let want = serde_json::to_value(policy::blocking::classify_control(c)).unwrap();
        let js =
            format!("__besideGuardRules.classifyControl({})", serde_json::to_string(c).unwrap());
        assert_eq!(tab.evaluate_in_guard(&js).await.unwrap(), want, "{c:?}");
    }

    // While a new document is on its way the guard may be absent: asking then fails (the
    // caller refuses), and the new document's guard answers soon.
    tab.evaluate("location.href = '/checkout'; 1").await.unwrap();
    let mut blocked = None;
    for _ in 0..200 {
        if let Ok(hit) = tab.hit_test(60.0, 265.0).await {
            blocked = hit.blocked;
            if blocked.is_some() {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(blocked.as_deref(), Some("payment"));
    browser.shutdown().await;
}

/// The viewport rectangle of the element a script expression finds.
async fn rect_of(tab: &Tab, element: &str) -> [f64; 4] {
    let js = format!(
        "(() => {{ const r = ({element}).getBoundingClientRect(); \
         return [r.x, r.y, r.width, r.height]; }})()"
    );
    let value = tab.evaluate(&js).await.unwrap();
    let numbers: Vec<f64> = value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    [numbers[0], numbers[1], numbers[2], numbers[3]]
}

fn rule(kind: model::RuleKind, selector: &str, pattern: &str) -> CompanyRule {
    CompanyRule::new(kind, selector, pattern).unwrap()
}

#[tokio::test]
async fn company_rules_apply_on_the_pages_they_name_and_change_live() {
    let (browser, site, _other) = start().await;
    let url = support::url(site, "/components");
    let rules = vec![
        rule(model::RuleKind::Mask, "#account-no", &format!("{}/components", site.ip())),
        rule(model::RuleKind::Block, "button#wipe", "*"),
        rule(model::RuleKind::Mask, "#other", "elsewhere.test"),
        // A selector the browser refuses is skipped; the other rules still apply.
        rule(model::RuleKind::Mask, "#a:::b", "*"),
    ];
    let opts = TabOptions { rules: rules.into(), ..support::options(url.clone()) };
    let (tab, mut rx) = browser.new_tab(opts).await.unwrap();
    // The page loads while the tab is handed over (a script may meet the old document).
    for _ in 0..500 {
        let state = tab.evaluate("location.href + ' ' + document.readyState").await.ok();
        if state == Some(json!(format!("{url} complete"))) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let account = page_rect(&tab, "account-no").await;
    let wipe = page_rect(&tab, "wipe").await;
    let other = page_rect(&tab, "other").await;
    let first =
        wait_guard(&tab, &mut rx, |r| r.url == url.as_str() && find(&r.masked, account).is_some())
            .await;
    assert_eq!(find(&first.masked, account).unwrap().kind, "company_rule");
    assert!(find(&first.masked, other).is_none(), "{first:#?}");
    assert_eq!(find(&first.blocked, wipe).unwrap().kind, "company_rule");
    assert_eq!(
        tab.hit_test(wipe[0] + 5.0, wipe[1] + 5.0).await.unwrap(),
        HitTest { blocked: Some("company_rule".into()), masked: false }
    );
    assert!(tab.hit_test(account[0] + 5.0, account[1] + 5.0).await.unwrap().masked);

    // New rules reach the page on screen at once.
    tab.set_company_rules(&[rule(model::RuleKind::Mask, "#other", "*")]).await.unwrap();
    let changed = wait_guard(&tab, &mut rx, |r| find(&r.masked, other).is_some()).await;
    assert!(find(&changed.masked, account).is_none(), "{changed:#?}");
    assert!(find(&changed.blocked, wipe).is_none(), "{changed:#?}");
    assert_eq!(tab.hit_test(wipe[0] + 5.0, wipe[1] + 5.0).await.unwrap(), HitTest::default());

    // And every page after it: a reload runs the new script.
    tab.reload().await.unwrap();
    wait_guard(&tab, &mut rx, |r| r.seq == 1).await;
    wait_guard(&tab, &mut rx, |r| {
        assert!(find(&r.masked, account).is_none(), "the old rules came back: {r:#?}");
        find(&r.masked, other).is_some()
    })
    .await;

    // A rule on a class follows the class as scripts change it.
    tab.set_company_rules(&[rule(model::RuleKind::Mask, ".secret", "*")]).await.unwrap();
    wait_guard(&tab, &mut rx, |r| find(&r.masked, other).is_none()).await;
    tab.evaluate("document.getElementById('plain').className = 'abs secret'; 1").await.unwrap();
    let plain = page_rect(&tab, "plain").await;
    wait_guard(&tab, &mut rx, |r| find(&r.masked, plain).is_some()).await;
    browser.shutdown().await;
}

#[tokio::test]
async fn fields_and_controls_in_open_shadow_roots_are_found() {
    let (browser, site, _other) = start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/components")).await;
    let shadow = "document.getElementById('box').shadowRoot";
    let card = rect_of(&tab, &format!("{shadow}.getElementById('sh-card')")).await;
    let pay = rect_of(&tab, &format!("{shadow}.getElementById('sh-pay')")).await;
    let report = wait_guard(&tab, &mut rx, |r| find(&r.masked, card).is_some()).await;
    assert_eq!(find(&report.masked, card).unwrap().kind, "card_number");
    assert_eq!(find(&report.blocked, pay).unwrap().kind, "payment");
    assert_eq!(
        tab.hit_test(pay[0] + 5.0, pay[1] + 5.0).await.unwrap(),
        HitTest { blocked: Some("payment".into()), masked: false }
    );
    assert!(tab.hit_test(card[0] + 5.0, card[1] + 5.0).await.unwrap().masked);
    click(&tab, card[0] + 5.0, card[1] + 5.0).await;
    support::eventually(&tab, &format!("{shadow}.activeElement?.id"), json!("sh-card")).await;
    assert!(tab.focus_state().await.unwrap().masked);

    // An element defined later upgrades without a DOM change; its shadow field is found too.
    support::eventually(&tab, "!!document.getElementById('late').shadowRoot", json!(true)).await;
    let late =
        rect_of(&tab, "document.getElementById('late').shadowRoot.getElementById('late-pw')").await;
    let report = wait_guard(&tab, &mut rx, |r| find(&r.masked, late).is_some()).await;
    assert_eq!(find(&report.masked, late).unwrap().kind, "password");
    browser.shutdown().await;
}

#[tokio::test]
async fn the_agent_title_and_copies_keep_masked_values_out() {
    let (browser, site, _other) = start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/components")).await;
    let iban = page_rect(&tab, "iban").await;
    wait_guard(&tab, &mut rx, |r| find(&r.masked, iban).is_some()).await;
    click(&tab, iban[0] + 5.0, iban[1] + 5.0).await;
    support::eventually(&tab, "document.activeElement.id", json!("iban")).await;
    tab.dispatch(Input::InsertText("NL91ABNA0417164300".into())).await.unwrap();
    let page = support::wait_page(&mut rx, |p| p.title == "Pay to NL91ABNA0417164300").await;
    assert_eq!(page.agent_title, "Pay to •••");

    // A copy in the masked field is masked; a copy of ordinary text is not.
    tab.evaluate("document.getElementById('iban').select(); 1").await.unwrap();
    let sel = tab.selection().await.unwrap();
    assert_eq!(sel.text, "NL91ABNA0417164300");
    assert!(sel.masked);
    tab.evaluate(
        "document.activeElement.blur(); getSelection().selectAllChildren(document.getElementById('plain')); 1",
    )
    .await
    .unwrap();
    let sel = tab.selection().await.unwrap();
    assert_eq!(sel, browser::Selection { text: "Order 5521".into(), masked: false });
    // A selection spanning a masked element is masked as a whole.
    tab.set_company_rules(&[rule(model::RuleKind::Mask, "#other", "*")]).await.unwrap();
    let other = page_rect(&tab, "other").await;
    wait_guard(&tab, &mut rx, |r| find(&r.masked, other).is_some()).await;
    tab.evaluate(
        "const r = document.createRange(); r.setStartBefore(document.getElementById('account-no')); \
         r.setEndAfter(document.getElementById('wipe')); getSelection().removeAllRanges(); \
         getSelection().addRange(r); 1",
    )
    .await
    .unwrap();
    let sel = tab.selection().await.unwrap();
    assert!(sel.text.contains("Other text") && sel.masked, "{sel:?}");
    browser.shutdown().await;
}

#[tokio::test]
async fn url_patterns_match_in_the_page_as_in_policy() {
    let (browser, site, _other) = start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/plain")).await;
    wait_guard(&tab, &mut rx, |_| true).await;
    let patterns = [
        "*",
        "example.com",
        "*.example.com",
        "https://example.com",
        "http://example.com:8080",
        "example.com:443",
        "example.com/checkout/*",
        "*.example.com/Account/*/edit",
        "*/pay*",
        "127.0.0.1",
        "[::1]:8080/x",
        "xn--bcher-kva.example",
    ];
    let urls = [
        "https://example.com/",
        "http://example.com:8080/a",
        "https://shop.example.com/checkout",
        "https://shop.example.com/checkout/",
        "https://example.com/checkout",
        "https://example.com/checkout/step/2?x=1#y",
        "https://badexample.com/",
        "https://example.com.evil.net/",
        "https://a.b.example.com/account/7/edit",
        "https://a.example.com/ACCOUNT/7/EDIT",
        "https://other.test/payment",
        "http://127.0.0.1:9999/",
        "http://[::1]:8080/x",
        "https://bücher.example/",
        "https://example.com./",
        "file:///etc/passwd",
        "about:blank",
    ];
    for pattern in patterns {
        let parsed = policy::rules::UrlPattern::parse(pattern).unwrap();
        let form = serde_json::to_string(&parsed.guard_form()).unwrap();
        for address in urls {
            let want = url::Url::parse(address).is_ok_and(|u| parsed.matches(&u));
            let js = format!("__besideGuardRules.pageMatches({form}, {address:?})");
            let got = tab.evaluate_in_guard(&js).await.unwrap();
            assert_eq!(got, json!(want), "{pattern} on {address}");
        }
    }
    browser.shutdown().await;
}

#[tokio::test]
async fn chromium_judges_the_selectors_of_company_rules() {
    let (browser, _site) = support::start().await;
    let good = [
        "#iban",
        "input[name=\"card number\"]",
        "form:has(input[type=password]) button[type=submit]",
        ":is(#a, .b) > li:nth-child(2n+1) ~ span",
        "[data-test-id^='pay' i]",
        "input:placeholder-shown:not(:focus-visible)",
    ];
    let bad = ["#1abc", "input[name=card number]", "li:hoverr", "a >> b", "div..x", "::part("];
    let all: Vec<&str> = good.iter().chain(bad.iter()).copied().collect();
    let verdicts = browser.check_selectors(&all).await.unwrap();
    assert_eq!(verdicts.len(), all.len());
    for (selector, verdict) in all.iter().zip(&verdicts) {
        if good.contains(selector) {
            assert_eq!(verdict, &None, "{selector}");
        } else {
            let reason = verdict.as_deref().unwrap_or_else(|| panic!("{selector} was accepted"));
            assert!(reason.contains("not a valid selector"), "{selector}: {reason}");
        }
    }
    assert_eq!(browser.check_selectors(&[]).await.unwrap(), Vec::<Option<String>>::new());
    browser.shutdown().await;
}
