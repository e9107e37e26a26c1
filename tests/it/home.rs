//! The front page says what waits for whom.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::TestApp;
use crate::common::client::{Client, assert_status, in_days};

#[tokio::test]
async fn the_front_page_shows_each_role_what_waits() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let approver = Client::login(&app, "godkjenner").await;
    let trondheim = Client::login(&app, "trondheim").await;

    // An officer: the rounds by phase, with the next step.
    let page = officer.get("/").await;
    assert_status(&page, StatusCode::OK, "front page");
    let html = page.text();
    assert!(html.contains("Runder etter fase"), "{html}");
    assert!(
        html.contains("Runden tar imot søknader til fristen."),
        "{html}"
    );
    assert!(!html.contains("Til godkjenning ("), "not an approver");
    assert!(
        html.contains(r#"<th scope="col" class="num">Utkast</th>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<th scope="col" class="num">Vurdert</th>"#),
        "{html}"
    );

    // A municipality's draft counts as a draft, not as received, and asks no declaration.
    let demo = app.new_open_round("Runde med utkast").await;
    let officer_id: (i64,) = app
        .store
        .fetch_one(tilskudd::store::sql(
            "SELECT id FROM users WHERE username = 'saksbehandler'",
        ))
        .await
        .unwrap();
    let counts_of = |all: Vec<tilskudd::store::worklist::RoundCounts>| {
        all.into_iter()
            .find(|c| c.round_id == demo)
            .unwrap_or_default()
    };
    let before = counts_of(app.store.round_counts(officer_id.0).await.unwrap());
    let draft = trondheim
        .post(
            &format!("/api/v1/rounds/{demo}/applications"),
            &serde_json::json!({
                "project_title": "Utkast som teller",
                "budget_lines": [{"category": "Lønn", "description": "Koordinator", "applied": "1000", "own_contribution": "0"}]
            }),
        )
        .await;
    assert_status(&draft, StatusCode::CREATED, "draft");
    let after = counts_of(app.store.round_counts(officer_id.0).await.unwrap());
    assert_eq!(after.drafts, before.drafts + 1);
    assert_eq!(after.received, before.received);
    assert_eq!(after.undeclared, before.undeclared);
    // Assessed: the sent-in applications with an assessment, in every round.
    for counts in app.store.round_counts(officer_id.0).await.unwrap() {
        let (assessed,): (i64,) = app
            .store
            .fetch_one(
                tilskudd::store::sql(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM assessments s JOIN applications a ON a.id = s.application_id \
                     WHERE a.round_id = $1 AND a.status NOT IN ('draft', 'withdrawn')",
                )
                .bind(counts.round_id),
            )
            .await
            .unwrap();
        assert_eq!(counts.assessed, assessed, "round {}", counts.round_id);
    }

    // A proposal appears first on the approver's page.
    let created = officer
        .post(
            "/api/v1/rounds",
            &json!({"name": "Forside", "year": 2027, "region": "Trøndelag", "pool": "1000000",
                    "rounding_unit": "1", "deadline": in_days(30)}),
        )
        .await;
    let round_id = created.json()["id"].as_i64().unwrap();
    let registered = officer
        .post(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({"applicant": "5001", "requested": "100000"}),
        )
        .await;
    assert_status(&registered, StatusCode::CREATED, "register");
    officer
        .post(
            &format!("/api/v1/rounds/{round_id}/close"),
            &json!({"reason": "Alle har søkt"}),
        )
        .await;
    let scenario = officer
        .post(
            &format!("/api/v1/rounds/{round_id}/scenarios"),
            &json!({"name": "Alt", "method": "forholdsmessig", "rounding_unit": "1"}),
        )
        .await;
    let scenario_id = scenario.json()["id"].as_i64().unwrap();
    let proposal = officer
        .post(
            &format!("/api/v1/scenarios/{scenario_id}/propose"),
            &json!({}),
        )
        .await;
    assert_status(&proposal, StatusCode::CREATED, "propose");
    let decision = proposal.json()["id"].as_i64().unwrap();
    let html = approver.get("/").await.text();
    assert!(html.contains("Til godkjenning (1)"), "{html}");
    assert!(html.contains(&format!("/decisions/{decision}")), "{html}");

    // A municipality: its applications with what comes next.
    let html = trondheim.get("/").await.text();
    assert!(html.contains("Dine søknader"), "{html}");
    assert!(html.contains("Forside"), "{html}");
    assert!(
        html.contains("Statsforvalteren behandler søknaden."),
        "{html}"
    );
    assert!(!html.contains("Runder etter fase"));
}
