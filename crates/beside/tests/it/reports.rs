//! Company reports over HTTP (F25): the summary's figures for seeded days, the CSV of every
//! session (read from the database a page at a time), and clear refusals of bad ranges.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

/// 2026-11-30T00:00:00Z in unix milliseconds.
const DAY1: i64 = 1_795_996_800_000;

fn at(unix_ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000).unwrap()
}

#[tokio::test]
async fn the_summary_and_the_csv_give_the_seeded_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let store = app.store().await;
    let demo = store.company_by_slug("demo").await.unwrap().unwrap();
    let agent = store.agent_credentials("agent@demo.example").await.unwrap().unwrap().0;
    // 1,201 sessions on 2026-11-30, one a second; every third joined after 2 s and ended
    // after a minute. The CSV reads them in pages of 500.
    for i in 0..1201i64 {
        let created = DAY1 + i * 1000;
        let rec = store::SessionRecord {
            id: model::SessionId::random(),
            company: demo.id.clone(),
            start_url: "https://shop.example/cart?a=1,b=2".into(),
            locale: Some(if i == 0 { "=HYPERLINK(1)".into() } else { "de-CH".into() }),
            created_at: at(created),
            agent: None,
            joined_at: None,
            ended_at: None,
            end_reason: None,
            reference: (i == 1).then(|| "TICKET-42".into()),
        };
        store.insert_session(&rec).await.unwrap();
        if i % 3 == 0 {
            store.mark_session_joined(&rec.id, &agent.id, at(created + 2000)).await.unwrap();
            store
                .mark_session_ended(&rec.id, at(created + 60_000), "ended_by_agent")
                .await
                .unwrap();
        }
    }

    let res = admin
        .get(app.url("/api/v1/reports/summary?from=2026-11-29&to=2026-12-01&bucket=day"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let summary: Value = res.json().await.unwrap();
    assert_eq!(summary["from"], "2026-11-29");
    assert_eq!(summary["bucket"], "day");
    assert_eq!(summary["totals"]["sessions"], 1201);
    assert_eq!(summary["totals"]["joined"], 401);
    assert_eq!(summary["totals"]["wait"]["median_ms"], 2000);
    assert_eq!(summary["totals"]["duration"]["p90_ms"], 60_000);
    let days: Vec<(String, i64)> = summary["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["day"].as_str().unwrap().to_owned(), d["sessions"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        days,
        [("2026-11-29".into(), 0), ("2026-11-30".into(), 1201), ("2026-12-01".into(), 0)]
    );
    assert_eq!(summary["agents"][0]["sessions"], 401);
    assert_eq!(summary["agents"][0]["agent"], agent.id.as_str());
    assert_eq!(summary["end_reasons"][0]["reason"], "ended_by_agent");

    let res = admin
        .get(app.url("/api/v1/reports/sessions.csv?from=2026-11-30&to=2026-11-30"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("sessions-2026-11-30-2026-11-30.csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1202, "the header and every session once");
    assert!(lines[0].starts_with("session_id,created_at,agent_id,joined_at"));
    let first: Vec<&str> = lines[1].splitn(9, ',').collect();
    assert_eq!(first[1], "2026-11-30T00:00:00Z");
    assert_eq!(first[2], agent.id.as_str());
    assert_eq!((first[5], first[6], first[7]), ("2.000", "60.000", "ended_by_agent"));
    assert!(
        lines[1].ends_with(",\"https://shop.example/cart?a=1,b=2\",'=HYPERLINK(1),"),
        "quoted, and a formula defused: {}",
        lines[1]
    );
    assert!(lines[2].ends_with(",de-CH,TICKET-42"), "the site's reference: {}", lines[2]);
    let mut ids: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1201, "no session twice across pages");
}

#[tokio::test]
async fn bad_ranges_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("from=2020-01-01&to=2026-01-01", "from"),
        ("bucket=week", "bucket"),
    ] {
        for path in ["summary", "sessions.csv"] {
            let res = admin
                .get(app.url(&format!("/api/v1/reports/{path}?{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}?{query}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "invalid_request", "{body}");
            assert_eq!(body["field"], field, "{path}?{query}: {body}");
        }
    }
    let res = admin.get(app.url("/api/v1/reports/summary")).send().await.unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["days"].as_array().unwrap().len(), 30, "the last 30 days by default");
}
