//! Native widgets become pickers: a press on a select list or a date field is reported instead
//! of opening Chromium's popup, and a choice is applied in the page (or refused with a reason).

use browser::{Modifiers, PickRefusal, PickerEvent, TabEvent};
use model::{Picker, PickerChoice, PickerKind};
use tokio::sync::mpsc;

use crate::support::{self, click, eventually, key};

/// Waits for a picker event matching `pred`, skipping others.
async fn wait_picker(
    rx: &mut mpsc::Receiver<TabEvent>,
    pred: impl Fn(&PickerEvent) -> bool,
) -> PickerEvent {
    tokio::time::timeout(support::WAIT, async {
        loop {
            match rx.recv().await {
                Some(TabEvent::Picker(event)) if pred(&event) => return event,
                Some(_) => {}
                None => panic!("tab events ended"),
            }
        }
    })
    .await
    .expect("a picker event arrives")
}

async fn opened(rx: &mut mpsc::Receiver<TabEvent>) -> Picker {
    match wait_picker(rx, |e| matches!(e, PickerEvent::Opened(_))).await {
        PickerEvent::Opened(picker) => picker,
        PickerEvent::Closed(_) => unreachable!(),
    }
}

#[tokio::test]
async fn select_lists_and_date_fields_become_pickers_whose_choice_the_page_takes() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/widgets")).await;

    click(&tab, 50.0, 25.0).await;
    let picker = opened(&mut rx).await;
    assert_eq!(picker.kind, PickerKind::Select);
    assert!(!picker.multiple && !picker.masked);
    let labels: Vec<_> = picker.options.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(labels, ["Choose", "Netherlands", "Germany"]);
    assert_eq!(picker.options[1].group.as_deref(), Some("Europe"));
    assert!(picker.options[0].selected);
    assert_eq!((picker.rect.x, picker.rect.y, picker.rect.width), (10.0, 10.0, 200.0));
    // The native popup did not open: the select has the focus, and keys still reach the page.
    eventually(&tab, "document.activeElement.id", "country".into()).await;

    // The page took the choice: its value and a change event; the picker closed.
    let choice = |indices: Vec<u32>| PickerChoice { indices, value: None };
    assert_eq!(tab.choose(picker.id, &choice(vec![2]), false).await.unwrap(), Ok(()));
    let closed = wait_picker(&mut rx, |e| matches!(e, PickerEvent::Closed(_))).await;
    assert_eq!(closed, PickerEvent::Closed(picker.id));
    eventually(&tab, "document.getElementById('country').value + window.changes", "de1".into())
        .await;
    // Once closed, a choice is refused.
    let stale = tab.choose(picker.id, &choice(vec![1]), false).await.unwrap();
    assert_eq!(stale, Err(PickRefusal::UnknownPicker));

    // An option that went away in the meantime is refused, and nothing changes.
    key(&tab, "ArrowDown", "ArrowDown", None, Modifiers { alt: true, ..Modifiers::default() })
        .await;
    let picker = opened(&mut rx).await;
    tab.evaluate("document.querySelector('option[value=nl]').remove()").await.unwrap();
    let gone = tab.choose(picker.id, &choice(vec![1]), false).await.unwrap();
    assert_eq!(gone, Err(PickRefusal::OptionGone));
    let too_many = tab.choose(picker.id, &choice(vec![0, 1]), false).await.unwrap();
    assert_eq!(too_many, Err(PickRefusal::InvalidInput));
    eventually(&tab, "document.getElementById('country').value", "de".into()).await;
    tab.dismiss_picker(picker.id).await.unwrap();
    wait_picker(&mut rx, |e| *e == PickerEvent::Closed(picker.id)).await;

    // A date field: its value and limits; a value it cannot hold is refused.
    click(&tab, 50.0, 75.0).await;
    let picker = opened(&mut rx).await;
    assert_eq!(picker.kind, PickerKind::Date);
    assert_eq!(picker.min.as_deref(), Some("2026-01-01"));
    let date = |v: &str| PickerChoice { indices: Vec::new(), value: Some(v.to_owned()) };
    let bad = tab.choose(picker.id, &date("24.12.2026"), false).await.unwrap();
    assert_eq!(bad, Err(PickRefusal::InvalidValue));
    assert_eq!(tab.choose(picker.id, &date("2026-12-24"), false).await.unwrap(), Ok(()));
    eventually(&tab, "document.getElementById('day').value", "2026-12-24".into()).await;

    // The card's month is masked: its picker says so, and an agent's choice is refused.
    click(&tab, 50.0, 125.0).await;
    let picker = opened(&mut rx).await;
    assert!(picker.masked, "a card's expiry month is hidden from the agent");
    let refused = tab.choose(picker.id, &choice(vec![1]), true).await.unwrap();
    assert_eq!(refused, Err(PickRefusal::MaskedField));
    assert_eq!(tab.choose(picker.id, &choice(vec![1]), false).await.unwrap(), Ok(()));
    eventually(&tab, "document.getElementById('month').value", "02".into()).await;
    browser.shutdown().await;
}
