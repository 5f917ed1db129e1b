//! PDFs in the session (F10): Chromium's viewer shows them to the customer; the agent never
//! sees a PDF with form fields (the guard cannot find the fields in the viewer), sees one
//! without as the company decides, and sees the page again once the customer leaves the PDF.
//! Each test PDF's pages are magenta at the top, a colour nothing else shows; every agent
//! frame is scanned for it.

use crate::support::{ws::Ws, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// Pixels of a picture that are clearly magenta.
fn magenta(picture: &[u8]) -> usize {
    picture.chunks_exact(3).filter(|p| p[0] > 170 && p[1] < 110 && p[2] > 170).count()
}

/// What the viewer shows: the picture rebuilt from tiles, or the last whole frame.
fn picture_of(ws: &Ws) -> Vec<u8> {
    match (&ws.picture, &ws.last_frame) {
        (Some((picture, _, _)), _) => picture.clone(),
        (None, Some((_, jpeg))) => crate::support::ws::decode_rgb(jpeg).0,
        (None, None) => Vec::new(),
    }
}

/// A picture shows the PDF: a good part of it is magenta.
const SHOWS_PDF: usize = 20_000;

/// Reads frames until the picture shows the PDF or `n` frames came; returns the most magenta
/// seen.
async fn most_magenta(ws: &mut Ws, n: usize) -> usize {
    let mut most = 0;
    for _ in 0..n {
        let got = tokio::time::timeout(Duration::from_secs(5), ws.wait_frame()).await;
        if got.is_err() {
            break;
        }
        most = most.max(magenta(&picture_of(ws)));
        if most >= SHOWS_PDF {
            break;
        }
    }
    most
}

/// The customer sees the PDF, the agent is told it is hidden and none of their frames shows
/// any of it: the customer's frames are watched until they show it, the agent's all along.
async fn hidden_from_the_agent(customer: &mut Ws, agent: &mut Ws) {
    for ws in [&mut *agent, &mut *customer] {
        // In the `welcome` of a session that starts on the PDF, else in a `page`.
        if !ws.texts.iter().any(|v| v["page"]["pdf_hidden"] == true) {
            ws.wait_text("page", |v| v["page"]["pdf_hidden"] == true).await;
        }
    }
    assert!(most_magenta(customer, 200).await >= SHOWS_PDF, "the customer never saw the PDF");
    let mut worst = 0;
    for _ in 0..5 {
        // The customer scrolls and clicks; any picture the agent gets comes from it.
        customer.send(json!({"type":"wheel","x":640,"y":400,"delta_x":0,"delta_y":200})).await;
        worst = worst.max(most_magenta(agent, 10).await);
    }
    worst = worst.max(magenta(&picture_of(agent)));
    assert_eq!(worst, 0, "the agent's frames showed {worst} magenta pixels of the PDF");
}

#[tokio::test]
async fn a_pdf_with_a_form_is_hidden_from_the_agent_until_the_customer_leaves_it() {
    let app = TestApp::spawn().await;
    let (_s, _t, mut customer, mut agent) = app.pair_with(&app.site.url("pdf/form"), true).await;
    hidden_from_the_agent(&mut customer, &mut agent).await;
    // The agent cannot press or type into what they do not see.
    agent.click(640.0, 650.0).await;
    let refused = agent.wait_text("rejected", |_| true).await;
    assert_eq!(refused["code"], "masked_field", "{refused}");
    // Once the customer goes to a page, the agent sees it again.
    customer.navigate(&app.site.url("click")).await;
    agent.wait_text("page", |v: &Value| v["page"]["pdf_hidden"] != true).await;
    agent.wait_title("clicks:0").await;
    let mut shown = false;
    for _ in 0..50 {
        agent.wait_frame().await;
        let picture = picture_of(&agent);
        // The page's big button: a picture that is not one grey.
        if picture.chunks_exact(3).any(|p| p[0] != picture[0]) {
            shown = true;
            break;
        }
    }
    assert!(shown, "the agent never saw the page after the PDF");
    app.stop().await;
}

#[tokio::test]
async fn a_pdf_without_a_form_shows_to_the_agent_unless_the_company_hides_pdfs() {
    let app = TestApp::spawn().await;
    let (_s, _t, mut customer, mut agent) = app.pair_with(&app.site.url("pdf/plain"), true).await;
    assert!(most_magenta(&mut customer, 200).await >= SHOWS_PDF, "the customer never saw it");
    assert!(most_magenta(&mut agent, 200).await >= SHOWS_PDF, "the agent never saw it");
    assert!(agent.texts.iter().all(|v| v["page"]["pdf_hidden"] != true));
    customer.send(json!({"type":"end"})).await;

    let policy = store::SessionPolicy { pdfs: model::PdfView::Hide, ..Default::default() };
    app.set_policy("demo", policy).await;
    let (_s, _t, mut customer, mut agent) = app.pair_with(&app.site.url("pdf/plain"), true).await;
    hidden_from_the_agent(&mut customer, &mut agent).await;
    app.stop().await;
}
