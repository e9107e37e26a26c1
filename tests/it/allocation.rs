//! Entering the officer's proposed amounts: the pool is never exceeded by the proposals,
//! stale edits are refused, and nothing is granted before a decision.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use rust_decimal::Decimal;
use serde_json::{Value, json};

async fn demo_round(app: &TestApp) -> (i64, Vec<Value>) {
    let id = app.round_id("Trøndelag 2026 (demo)").await;
    let round = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    (id, round["applications"].as_array().unwrap().clone())
}

fn amount(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_allocations_never_exceed_the_pool() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let (round_id, apps) = demo_round(&app).await;
    assert!(apps.len() >= 20);
    // 20 requests of 1 000 000 kr each: 20 000 000 kr against a pool of 15 000 000 kr.
    let mut tasks = Vec::new();
    for a in apps.iter().take(20) {
        let router = app.router.clone();
        let cookie = app.cookie.clone().unwrap();
        let id = a["id"].as_i64().unwrap();
        let version = a["version"].as_i64().unwrap();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let request = axum::http::Request::put(format!("/api/v1/applications/{id}/allocation"))
                .header("content-type", "application/json")
                .header("cookie", cookie)
                .body(axum::body::Body::from(
                    json!({"amount": "1000000", "version": version, "reason": "Prioritert tiltak"})
                        .to_string(),
                ))
                .unwrap();
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap()
                .to_bytes();
            (status, serde_json::from_slice::<Value>(&body).unwrap())
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {
                refused += 1;
                let message = body["errors"][0]["message"].as_str().unwrap();
                assert_eq!(body["errors"][0]["field"], "amount");
                assert!(message.contains("rammen"), "{message}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 15);
    assert_eq!(refused, 5);
    let round = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    assert_eq!(round["proposed_total"], "15000000");
    assert_eq!(
        round["allocated_total"], "0",
        "nothing is granted before a decision"
    );
    assert_eq!(round["remaining"], "15000000");
    let sum: Decimal = round["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["proposed"].is_null())
        .map(|a| amount(&a["proposed"]))
        .sum();
    assert_eq!(sum, Decimal::from(15_000_000));
}

#[tokio::test]
async fn a_stale_version_is_refused_and_changes_nothing() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let (_, apps) = demo_round(&app).await;
    let a = &apps[0];
    let id = a["id"].as_i64().unwrap();
    let requested = a["requested"].as_str().unwrap().to_string();
    let first = app
        .put_json(
            &format!("/api/v1/applications/{id}/allocation"),
            &json!({"amount": "100000", "version": a["version"]}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json()["proposed"], "100000");
    assert!(first.json()["allocated"].is_null());
    assert_eq!(first.json()["version"], a["version"].as_i64().unwrap() + 1);

    let stale = app
        .put_json(
            &format!("/api/v1/applications/{id}/allocation"),
            &json!({"amount": "200000", "version": a["version"]}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.json()["message"]
            .as_str()
            .unwrap()
            .contains("endret av noen andre")
    );
    let now = app.get(&format!("/api/v1/applications/{id}")).await.json();
    assert_eq!(now["proposed"], "100000");
    assert_eq!(now["requested"], requested.as_str());

    // The page form with a stale version: 409, the newer value shown, the typed one kept.
    let page = app
        .post_form(
            &format!("/applications/{id}/allocation"),
            &[
                ("amount", "123 456"),
                ("version", &a["version"].to_string()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    let html = page.text();
    assert!(html.contains("endret av noen andre"));
    assert!(html.contains("123 456"), "typed value kept");
    assert!(html.contains("100\u{a0}000\u{a0}kr"), "current value shown");
}

#[tokio::test]
async fn above_the_requested_amount_needs_a_reason() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let (_, apps) = demo_round(&app).await;
    let a = &apps[1];
    let id = a["id"].as_i64().unwrap();
    let above = amount(&a["requested"]) + Decimal::from(1000);
    let response = app
        .put_json(
            &format!("/api/v1/applications/{id}/allocation"),
            &json!({"amount": above.to_string(), "version": a["version"]}),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["errors"][0]["field"], "reason");
    let with_reason = app
        .put_json(
            &format!("/api/v1/applications/{id}/allocation"),
            &json!({"amount": above.to_string(), "version": a["version"], "reason": "Utvidet tiltak etter avtale"}),
        )
        .await;
    assert_eq!(with_reason.status, StatusCode::OK, "{}", with_reason.text());
    let audit = app
        .get(&format!("/api/v1/rounds/{}/audit", a_round(&app).await))
        .await
        .json();
    let event = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "application.proposal_set" && e["application_id"] == id)
        .expect("audit event");
    assert!(
        event["summary"]
            .as_str()
            .unwrap()
            .contains("Utvidet tiltak")
    );
    assert!(event["old_value"].is_null());
    assert!(event["new_value"].as_str().unwrap().ends_with("kr"));
}

async fn a_round(app: &TestApp) -> i64 {
    app.round_id("Trøndelag 2026 (demo)").await
}

#[tokio::test]
async fn bad_amounts_get_norwegian_messages_naming_the_field() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let (_, apps) = demo_round(&app).await;
    let a = &apps[2];
    let id = a["id"].as_i64().unwrap();
    let path = format!("/api/v1/applications/{id}/allocation");
    for (bad, expected) in [
        (json!(""), "må fylles ut"),
        (json!("-5"), "negativt"),
        (json!("tolv"), "ikke et beløp"),
        (json!("99999999999"), "for stort"),
        (json!("1,234"), "to desimaler"),
        (json!(12.5), "ugyldig verdi"),
    ] {
        let response = app
            .put_json(&path, &json!({"amount": bad, "version": a["version"]}))
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body = response.json();
        assert_eq!(body["errors"][0]["field"], "amount", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{bad}: {message}");
    }
    let malformed = app
        .send_raw(
            axum::http::Method::PUT,
            &path,
            "application/json",
            "{\"amount\": ",
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(
        malformed.json()["message"]
            .as_str()
            .unwrap()
            .contains("Ugyldig JSON")
    );
    let unknown = app
        .put_json(
            "/api/v1/applications/999999/allocation",
            &json!({"amount": "1", "version": 1}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let not_an_id = app
        .put_json(
            "/api/v1/applications/abc/allocation",
            &json!({"amount": "1", "version": 1}),
        )
        .await;
    assert_eq!(not_an_id.status, StatusCode::NOT_FOUND);
    // Nothing changed.
    let now = app.get(&format!("/api/v1/applications/{id}")).await.json();
    assert!(now["proposed"].is_null());
    assert_eq!(now["version"], a["version"]);
}

#[tokio::test]
async fn a_decided_round_cannot_be_changed() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let id = app.round_id("Trøndelag 2019").await;
    let round = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    let a = &round["applications"][0];
    let response = app
        .put_json(
            &format!("/api/v1/applications/{}/allocation", a["id"]),
            &json!({"amount": "1", "version": a["version"]}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CONFLICT);
    assert!(
        response.json()["message"]
            .as_str()
            .unwrap()
            .contains("vedtatt")
    );
    let again = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    assert_eq!(again["allocated_total"], "13914871");
}

#[tokio::test]
async fn allocating_through_the_page_redirects_and_shows_the_amount() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let (round_id, apps) = demo_round(&app).await;
    let a = &apps[3];
    let id = a["id"].as_i64().unwrap();
    let response = app
        .post_form(
            &format!("/applications/{id}/allocation"),
            &[
                ("amount", "kr 250 000,-"),
                ("version", &a["version"].to_string()),
            ],
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    let page = app
        .get(&format!("/applications/{id}?lagret=1"))
        .await
        .text();
    assert!(page.contains("Endringen er lagret"));
    assert!(page.contains("250\u{a0}000\u{a0}kr"));
    let round = app.get(&format!("/rounds/{round_id}")).await.text();
    assert!(round.contains("250\u{a0}000\u{a0}kr"));
    let log = app.get(&format!("/rounds/{round_id}/audit")).await.text();
    assert!(log.contains("Forslag til beløp endret"));

    // A bad amount re-shows the form with the message and the typed text.
    let bad = app
        .post_form(
            &format!("/applications/{id}/allocation"),
            &[("amount", "12 000,5O"), ("version", "2")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    assert!(html.contains("«12 000,5O» er ikke et beløp"));
    assert!(html.contains("value=\"12 000,5O\""));
}
