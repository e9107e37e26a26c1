//! Assessment (vurdering) over HTTP: criteria per round, impartiality declarations, scores
//! with a recommended amount, and who may see and do what.

use crate::common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tilskudd::domain::Kroner;

const DEMO_ROUND: &str = "Trøndelag 2026 (demo)";

/// Trondheim's application in the demo round (submitted, so officers see it).
async fn trondheim_application(app: &TestApp, round_id: i64) -> i64 {
    app.store
        .round_applications(round_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kommunenummer.as_ref().map(|k| k.as_str()) == Some("5001"))
        .unwrap()
        .id
}

async fn add_criterion(app: &TestApp, round_id: i64, name: &str, weight: &str) -> i64 {
    let response = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/criteria"),
            &json!({"name": name, "weight": weight}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()["id"].as_i64().unwrap()
}

fn decimal(value: &Value) -> Decimal {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {value}"))
        .parse()
        .unwrap()
}

fn field_message<'a>(body: &'a Value, field: &str) -> &'a str {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .unwrap_or_else(|| panic!("no error for {field}: {body}"))["message"]
        .as_str()
        .unwrap()
}

#[tokio::test]
async fn criteria_are_added_edited_and_deleted_with_norwegian_messages() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id(DEMO_ROUND).await;

    let forankring = add_criterion(&app, round_id, "Forankring i planverk", "2").await;
    let samarbeid = add_criterion(&app, round_id, "Samarbeid", "1,5").await;
    let list = app
        .get(&format!("/api/v1/rounds/{round_id}/criteria"))
        .await
        .json();
    let criteria = list["criteria"].as_array().unwrap();
    assert_eq!(criteria.len(), 2);
    assert_eq!(criteria[1]["name"], "Samarbeid");
    assert_eq!(decimal(&criteria[1]["weight"]), Decimal::new(15, 1));
    assert_eq!(decimal(&list["total_weight"]), Decimal::new(35, 1));

    let bad = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/criteria"),
            &json!({"name": "", "weight": "0"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.json();
    assert_eq!(field_message(&body, "name"), "Navn må fylles ut.");
    assert!(field_message(&body, "weight").contains("større enn 0"));
    let too_heavy = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/criteria"),
            &json!({"name": "Tungt", "weight": "101"}),
        )
        .await;
    assert_eq!(too_heavy.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&too_heavy.json(), "weight").contains("høyst 100"));
    let twice = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/criteria"),
            &json!({"name": "samarbeid", "weight": "1"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&twice.json(), "name").contains("allerede"));

    let edited = app
        .put_json(
            &format!("/api/v1/criteria/{samarbeid}"),
            &json!({"name": "Samarbeid med brukerne", "weight": "1"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["name"], "Samarbeid med brukerne");

    // The page: the list, and a bad weight shown again as typed with the message beside it.
    let round_page = app.get(&format!("/rounds/{round_id}")).await.text();
    assert!(round_page.contains(&format!("/rounds/{round_id}/criteria")));
    assert!(round_page.contains("Vurderingskriterier"));
    let page = app.get(&format!("/rounds/{round_id}/criteria")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Samarbeid med brukerne"));
    let posted = app
        .post_form(
            &format!("/rounds/{round_id}/criteria"),
            &[("name", "Måloppnåelse"), ("weight", "mye")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = posted.text();
    assert!(html.contains("value=\"mye\""), "typed value kept");
    assert!(html.contains("value=\"Måloppnåelse\""));
    assert!(html.contains("«mye» er ikke et tall"));
    let edit_bad = app
        .post_form(
            &format!("/criteria/{forankring}"),
            &[("name", "Forankring i planverk"), ("weight", "0")],
        )
        .await;
    assert_eq!(edit_bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(edit_bad.text().contains("Vekt må være større enn 0"));
    let added = app
        .post_form(
            &format!("/rounds/{round_id}/criteria"),
            &[("name", "Måloppnåelse"), ("weight", "1")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());

    // Deleting an unscored criterion works, and is audited.
    let deleted = app
        .send_json(
            Method::DELETE,
            &format!("/api/v1/criteria/{samarbeid}"),
            &json!({}),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    let log = app
        .get(&format!("/api/v1/rounds/{round_id}/audit"))
        .await
        .json();
    let actions: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "assessment.criterion_added",
        "assessment.criterion_updated",
        "assessment.criterion_deleted",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    // A decided round's criteria cannot change.
    let decided = app.round_id("Trøndelag 2019").await;
    let refused = app
        .post_json(
            &format!("/api/v1/rounds/{decided}/criteria"),
            &json!({"name": "Etterpåklokskap", "weight": "1"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("vedtatt")
    );

    // Readers read, but do not change; a kommune user sees no criteria.
    app.login("leser").await;
    let read = app
        .get(&format!("/api/v1/rounds/{round_id}/criteria"))
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let page = app
        .get(&format!("/rounds/{round_id}/criteria"))
        .await
        .text();
    assert!(page.contains("Forankring i planverk"));
    assert!(!page.contains("Legg til kriterium"));
    let write = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/criteria"),
            &json!({"name": "Leserens", "weight": "1"}),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    app.login("trondheim").await;
    assert_eq!(
        app.get(&format!("/api/v1/rounds/{round_id}/criteria"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn impartiality_gates_assessment_and_conflicts_are_visible_and_audited() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id(DEMO_ROUND).await;
    let forankring = add_criterion(&app, round_id, "Forankring", "2").await;
    let samarbeid = add_criterion(&app, round_id, "Samarbeid", "1").await;
    let id = trondheim_application(&app, round_id).await;
    let assessment = json!({
        "scores": [
            {"criterion_id": forankring, "score": "7.5", "comment": "Godt forankret"},
            {"criterion_id": samarbeid, "score": 9}
        ],
        "recommended_amount": "250000",
        "comment": "Anbefales"
    });
    let url = format!("/api/v1/applications/{id}/assessment");

    // No declaration yet: refused.
    let undeclared = app.put_json(&url, &assessment).await;
    assert_eq!(undeclared.status, StatusCode::FORBIDDEN);
    assert!(
        undeclared.json()["message"]
            .as_str()
            .unwrap()
            .contains("erklære om du er habil")
    );

    // Geir Godkjenner declares a conflict; a reason is required.
    let mut geir = app.another_instance(false).await;
    geir.login("godkjenner").await;
    let impartiality = format!("/api/v1/applications/{id}/impartiality");
    let no_reason = geir
        .post_json(&impartiality, &json!({"conflict": true}))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&no_reason.json(), "reason").contains("inhabil"));
    let declared = geir
        .post_json(
            &impartiality,
            &json!({"conflict": true, "reason": "Søsteren min leder prosjektet"}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::OK, "{}", declared.text());
    assert_eq!(declared.json()["my_declaration"]["conflict"], true);
    assert_eq!(declared.json()["may_assess"], false);
    let conflicted = geir.put_json(&url, &assessment).await;
    assert_eq!(conflicted.status, StatusCode::FORBIDDEN);
    assert!(
        conflicted.json()["message"]
            .as_str()
            .unwrap()
            .contains("erklært deg inhabil")
    );
    let geir_page = geir.get(&format!("/applications/{id}")).await.text();
    assert!(geir_page.contains("Du har erklært deg inhabil"));
    assert!(!geir_page.contains("Lagre vurderingen"));
    // Through the page form too: refused with the same message.
    let via_form = geir
        .post_form(
            &format!("/applications/{id}/assessment"),
            &[("criterion_0", &forankring.to_string()), ("score_0", "5")],
        )
        .await;
    assert_eq!(via_form.status, StatusCode::FORBIDDEN);
    assert!(via_form.text().contains("erklært deg inhabil"));

    // Visible to everyone at the office, and in the audit log.
    let page = app.get(&format!("/applications/{id}")).await.text();
    assert!(
        page.contains("Inhabil: Geir Godkjenner</strong> – Søsteren min leder prosjektet"),
        "conflict shown on the application page"
    );
    let body = app.get(&url).await.json();
    let declarations = body["declarations"].as_array().unwrap();
    assert_eq!(declarations.len(), 1);
    assert_eq!(declarations[0]["user_name"], "Geir Godkjenner");
    assert_eq!(declarations[0]["conflict"], true);
    let log = app
        .get(&format!("/api/v1/audit?application={id}"))
        .await
        .json();
    let event = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "assessment.impartiality_declared")
        .expect("declaration audited")
        .clone();
    assert_eq!(event["actor"], "godkjenner");
    assert!(
        event["summary"]
            .as_str()
            .unwrap()
            .contains("Søsteren min leder prosjektet")
    );

    // Siri declares herself impartial through the page, then assesses.
    let form = app.get(&format!("/applications/{id}")).await.text();
    assert!(form.contains("Jeg er habil"));
    let habil = app
        .post_form(
            &format!("/applications/{id}/impartiality"),
            &[("conflict", "nei"), ("reason", "")],
        )
        .await;
    assert_eq!(habil.status, StatusCode::SEE_OTHER, "{}", habil.text());

    for (score, expect) in [("11", "fra 0 til 10"), ("7,55", "høyst én desimal")] {
        let bad = app
            .put_json(
                &url,
                &json!({"scores": [{"criterion_id": forankring, "score": score}]}),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{score}");
        let message = field_message(&bad.json(), "scores[0].score").to_string();
        assert!(message.contains("«Forankring»"), "{message}");
        assert!(message.contains(expect), "{message}");
    }
    // The page form keeps what was typed and puts the message next to the field.
    let bad_form = app
        .post_form(
            &format!("/applications/{id}/assessment"),
            &[
                ("criterion_0", &forankring.to_string()),
                ("score_0", "11"),
                ("comment_0", "For høyt"),
                ("criterion_1", &samarbeid.to_string()),
                ("score_1", "6"),
                ("recommended_amount", "300 000"),
            ],
        )
        .await;
    assert_eq!(bad_form.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad_form.text();
    assert!(html.contains("value=\"11\""));
    assert!(html.contains("For høyt"));
    assert!(html.contains("value=\"300 000\""));
    assert!(html.contains("Poengsum for «Forankring» må være fra 0 til 10"));

    let saved = app.put_json(&url, &assessment).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let body = saved.json();
    // (2 × 7.5 + 1 × 9) / 3 = 8
    assert_eq!(decimal(&body["weighted_total"]), Decimal::from(8));
    assert_eq!(body["recommended_amount"], "250000");
    assert_eq!(body["criteria"][0]["assessed_by"], "Siri Saksbehandler");
    assert_eq!(body["may_assess"], true);
    let scores = app.store.weighted_scores(round_id).await.unwrap();
    assert_eq!(scores.get(&id), Some(&Decimal::from(8)));
    let recommended = app.store.recommended_amounts(round_id).await.unwrap();
    assert_eq!(recommended.get(&id), Some(&Kroner::from_whole(250_000)));

    let page = app.get(&format!("/applications/{id}")).await.text();
    assert!(
        page.contains("<strong>8</strong> av 10"),
        "weighted total shown"
    );
    assert!(page.contains("250\u{a0}000\u{a0}kr"));
    assert!(page.contains("Godt forankret"));
    let log = app
        .get(&format!("/api/v1/audit?application={id}"))
        .await
        .json();
    assert!(
        log["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "assessment.saved" && e["actor"] == "saksbehandler")
    );

    // The page form saves too; a changed score changes the total.
    let resaved = app
        .post_form(
            &format!("/applications/{id}/assessment"),
            &[
                ("criterion_0", &forankring.to_string()),
                ("score_0", "6"),
                ("criterion_1", &samarbeid.to_string()),
                ("score_1", "9"),
                ("recommended_amount", "200 000"),
                ("comment", "Justert"),
            ],
        )
        .await;
    assert_eq!(resaved.status, StatusCode::SEE_OTHER, "{}", resaved.text());
    let body = app.get(&url).await.json();
    assert_eq!(decimal(&body["weighted_total"]), Decimal::from(7));
    assert_eq!(body["recommended_amount"], "200000");

    // A scored criterion cannot be deleted.
    let refused = app
        .send_json(
            Method::DELETE,
            &format!("/api/v1/criteria/{forankring}"),
            &json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("kan ikke slettes fordi 1 søknad")
    );
}

#[tokio::test]
async fn a_kommune_user_cannot_see_the_assessment() {
    let mut app = TestApp::with_sample_data().await;
    app.login("godkjenner").await;
    let round_id = app.round_id(DEMO_ROUND).await;
    add_criterion(&app, round_id, "Forankring", "1").await;
    let id = trondheim_application(&app, round_id).await;
    let declared = app
        .post_json(
            &format!("/api/v1/applications/{id}/impartiality"),
            &json!({"conflict": true, "reason": "Tidligere ansatt hos søkeren"}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::OK);

    app.login("trondheim").await;
    let api = app
        .get(&format!("/api/v1/applications/{id}/assessment"))
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    let declare = app
        .post_json(
            &format!("/api/v1/applications/{id}/impartiality"),
            &json!({"conflict": false}),
        )
        .await;
    assert_eq!(declare.status, StatusCode::FORBIDDEN);
    let page = app.get(&format!("/applications/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(!html.contains("Vurdering"));
    assert!(!html.contains("Inhabil"));
    assert!(!html.contains("Tidligere ansatt"));

    // A reader sees it, without forms.
    app.login("leser").await;
    let page = app.get(&format!("/applications/{id}")).await.text();
    assert!(page.contains("Inhabil: Geir Godkjenner"));
    assert!(!page.contains("Jeg er habil"));
    assert!(!page.contains("Lagre vurderingen"));
    let api = app
        .get(&format!("/api/v1/applications/{id}/assessment"))
        .await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.json()["may_assess"], false);
}
