//! Application workbooks as municipalities bring them: amounts typed as text in a file a
//! spreadsheet program has recalculated, the organisation number, and a workbook made for
//! another round. Fixtures: `tests/fixtures/README.md` (`make_text_amounts.py`).

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, fixture, messages};
use serde_json::{Value, json};

/// A second open round for Trøndelag; the fixtures were made for the demo round.
async fn another_round(app: &mut TestApp) -> i64 {
    app.login("saksbehandler").await;
    let response = app
        .post_json(
            "/api/v1/rounds",
            &json!({"name": "Trøndelag ekstra", "year": 2026, "region": "Trøndelag", "pool": "1000000", "rounding_unit": "1"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let round = response.json();
    assert_eq!(round["phase"], "open", "{round}");
    round["id"].as_i64().unwrap()
}

async fn upload(app: &TestApp, round: i64, file: &str) -> Value {
    let response = app
        .upload(
            &format!("/api/v1/rounds/{round}/uploads"),
            file,
            &fixture(file),
            "application",
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn text_amounts_in_a_recalculated_workbook_are_read_with_a_warning() {
    let mut app = TestApp::with_sample_data().await;
    let round = another_round(&mut app).await;
    app.login("trondheim").await;
    for file in ["soknad-tekstbelop.xlsx", "soknad-tekstbelop.ods"] {
        let body = upload(&app, round, file).await;
        let errors = messages(&body, "errors");
        assert!(errors.is_empty(), "{file}: {errors:#?}");
        let warnings = messages(&body, "warnings");
        let has = |start: &str, part: &str| {
            warnings
                .iter()
                .any(|w| w.starts_with(start) && w.contains(part))
        };
        assert!(
            has(
                "Budsjett!E104:",
                "(20\u{a0}000\u{a0}kr) tar ikke med beløpene som er skrevet som tekst (E4); summen av linjene, 270\u{a0}000\u{a0}kr, brukes"
            ),
            "{file}: {warnings:#?}"
        );
        assert!(has("Budsjett!C104:", "(C4)"), "{file}: {warnings:#?}");
        assert!(
            has(
                "Søknad!B11:",
                "Omsøkt beløp (20\u{a0}000\u{a0}kr) er regnet uten"
            ),
            "{file}: {warnings:#?}"
        );
        // Made for the demo round, uploaded to another: said, naming both.
        assert!(
            has(
                "Søknad!B12:",
                "laget for «Trøndelag 2026 (demo) (2026), nr. 2»"
            ) && has(
                "Søknad!B12:",
                &format!("«Trøndelag ekstra (2026), nr. {round}»")
            ),
            "{file}: {warnings:#?}"
        );
        assert_eq!(body["application"]["requested"], "270000", "{file}: {body}");
    }
    // Confirming stores the lines' sum and registers the organisation number.
    let body = upload(&app, round, "soknad-tekstbelop.xlsx").await;
    let id = body["id"].as_i64().unwrap();
    let confirmed = app
        .post_json(&format!("/api/v1/uploads/{id}/confirm"), &json!({}))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    let me = app.get("/api/v1/me").await.json();
    let org = me["organisation_id"].as_i64().unwrap();
    assert_eq!(
        app.store
            .organisation_org_number(org)
            .await
            .unwrap()
            .as_deref(),
        Some("942110464")
    );
}

#[tokio::test]
async fn an_organisation_number_with_a_wrong_check_digit_is_refused() {
    let mut app = TestApp::with_sample_data().await;
    let round = another_round(&mut app).await;
    app.login("trondheim").await;
    let body = upload(&app, round, "soknad-feil-orgnr.xlsx").await;
    let errors = messages(&body, "errors");
    assert_eq!(
        errors,
        vec!["Søknad!B5: «942 110 465» er ikke et gyldig organisasjonsnummer: kontrollsifferet stemmer ikke. Sjekk sifrene.".to_string()],
    );
}
