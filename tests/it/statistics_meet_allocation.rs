//! Statistics meet the allocation (issue 13): the formula's default statistics year is
//! the latest with figures for the round's applicants, a scenario whose applicants lack
//! figures says so and is proposed only with a reason, an IKS's members follow the
//! round's year, and the report falls back to the last year with figures.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const DEMO_ROUND: &str = "Trøndelag 2026 (demo)";

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

async fn snapshot(app: &TestApp) -> i64 {
    let response = app
        .post_json(
            "/api/v1/statistics/snapshots",
            &json!({"name": "KPR før tildeling"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()["id"].as_i64().unwrap()
}

fn formula(name: &str, snapshot_id: i64, year: Option<i32>) -> Value {
    let mut parameters = json!({
        "base_amount": "200000", "per_inhabitant": "2", "per_recipient": "100",
        "need_weight": "500", "snapshot_id": snapshot_id,
    });
    if let Some(year) = year {
        parameters["indicator_year"] = year.into();
    }
    json!({"name": name, "method": "formel", "rounding_unit": "1000", "parameters": parameters})
}

async fn create(app: &TestApp, round_id: i64, body: &Value) -> Value {
    let response = app
        .post_json(&format!("/api/v1/rounds/{round_id}/scenarios"), body)
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

/// Fosen helse IKS (members recorded on the 2019 division) applies in the demo round.
async fn fosen_applies(app: &TestApp, round_id: i64) -> i64 {
    let mut fosen = app.another_instance(false).await;
    fosen.login("fosenhelse").await;
    let created = fosen
        .post_json(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({"project_title": "Koordinatorskole i Fosen",
                    "budget_lines": [{"category": "Kompetanseheving", "description": "Kurs", "applied": "400 000"}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let draft = created.json();
    let submitted = fosen
        .post_json(
            &format!("/api/v1/applications/{}/submit", draft["id"]),
            &json!({"version": draft["version"]}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    draft["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_default_statistics_year_is_the_latest_with_figures_for_every_applicant() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id(DEMO_ROUND).await;
    let snapshot_id = snapshot(&app).await;

    // Through the API without a year: 2024 (the demo figures end there), not 2025.
    let scenario = create(&app, round_id, &formula("Formel", snapshot_id, None)).await;
    assert_eq!(scenario["parameters"]["indicator_year"], 2024, "{scenario}");
    assert_eq!(scenario["missing_figures"], json!([]), "{scenario}");
    let allocations = scenario["allocations"].as_array().unwrap();
    assert_eq!(allocations.len(), 25);
    for a in allocations {
        let text = a["explanation"].as_str().unwrap();
        assert!(!text.contains("mangler"), "{text}");
    }
    // 13 366 000 kr placed: every applicant gets its formula amount or its request;
    // with 2025 (no figures) only the base amounts, 25 × 200 000 kr, were placed.
    assert_eq!(dec(&scenario["allocated_total"]), Decimal::from(13_366_000));
    let reason = scenario["unallocated_reason"].as_str().unwrap();
    assert!(
        reason.contains("omsøkt beløp, tak eller formelbeløp"),
        "{reason}"
    );

    // The form leaves the year empty and says what empty means; the page's scenario gets
    // the same year.
    let form = app
        .get(&format!("/rounds/{round_id}/scenarios/new"))
        .await
        .text();
    assert!(
        form.contains("Tomt: siste år før 2026 der alle søkerne har tallene formelen bruker"),
        "{form}"
    );
    assert!(!form.contains("value=\"2025\""));
    let snapshot_text = snapshot_id.to_string();
    let posted = app
        .post_form(
            &format!("/rounds/{round_id}/scenarios"),
            &[
                ("name", "Formel fra skjema"),
                ("method", "formel"),
                ("rounding_unit", "1000"),
                ("base_amount", "200000"),
                ("per_inhabitant", "2"),
                ("per_recipient", "100"),
                ("need_weight", "500"),
                ("snapshot_id", &snapshot_text),
                ("indicator_year", ""),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());
    let location = posted.header("location").unwrap().to_string();
    let id = location.trim_start_matches("/scenarios/");
    let from_form = app.get(&format!("/api/v1/scenarios/{id}")).await.json();
    assert_eq!(from_form["parameters"]["indicator_year"], 2024);
    assert_eq!(from_form["allocated_total"], scenario["allocated_total"]);
    let page = app.get(&location).await.text();
    assert!(page.contains("statistikkår 2024"), "{page}");
    assert!(!page.contains("Formelen mangler tall"));
}

#[tokio::test]
async fn missing_figures_are_shown_and_need_a_reason_to_propose() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id(DEMO_ROUND).await;
    let snapshot_id = snapshot(&app).await;
    let scenario = create(
        &app,
        round_id,
        &formula("Formel 2025", snapshot_id, Some(2025)),
    )
    .await;
    let id = scenario["id"].as_i64().unwrap();

    // The API lists every applicant with what it lacks.
    let missing = scenario["missing_figures"].as_array().unwrap();
    assert_eq!(missing.len(), 25, "{scenario}");
    let trondheim = missing
        .iter()
        .find(|m| m["kommunenummer"] == "5001")
        .expect("Trondheim lacks figures for 2025");
    assert_eq!(
        trondheim["missing"],
        json!(["innbyggertall", "antall mottakere", "koordinatordekning"])
    );
    assert_eq!(trondheim["applicant"], "Trondheim - Tråante");
    assert!(trondheim["application_id"].is_i64());

    // The page says so at the top.
    let page = app.get(&format!("/scenarios/{id}")).await.text();
    let warning = page
        .find("Formelen mangler tall for 25 søkere")
        .expect("the warning");
    assert!(warning < page.find("Fordelt").unwrap(), "at the top");
    assert!(page.contains(
        "Trondheim - Tråante (5001): mangler innbyggertall, antall mottakere og koordinatordekning"
    ));
    assert!(page.contains("(påkrevd: formelen mangler tall)"));

    // Proposing without a reason is refused, naming the field.
    app.close_round(round_id).await;
    let refused = app
        .post_json(&format!("/api/v1/scenarios/{id}/propose"), &json!({}))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    let body = refused.json();
    assert_eq!(body["errors"][0]["field"], "reason");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Formelen mangler tall for 25 søkere"),
        "{message}"
    );
    assert!(message.contains("Skriv en begrunnelse"), "{message}");
    let blank = app
        .post_json(
            &format!("/api/v1/scenarios/{id}/propose"),
            &json!({"reason": "   "}),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The page form gets the same refusal, shown on the scenario page.
    let page = app
        .post_form(&format!("/scenarios/{id}/propose"), &[("reason", "")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("Skriv en begrunnelse"));
    let decisions = app
        .get(&format!("/api/v1/rounds/{round_id}/decisions"))
        .await
        .json();
    assert_eq!(decisions, json!([]), "nothing was proposed");

    // With a reason it is proposed, and the reason is kept.
    let reason = "Tallene for 2025 kommer først i juni; fordelingen må vedtas nå.";
    let proposed = app
        .post_json(
            &format!("/api/v1/scenarios/{id}/propose"),
            &json!({"reason": reason}),
        )
        .await;
    assert_eq!(proposed.status, StatusCode::CREATED, "{}", proposed.text());
    assert_eq!(proposed.json()["reason"], reason);
    let audit = app
        .get(&format!("/api/v1/rounds/{round_id}/audit"))
        .await
        .text();
    assert!(audit.contains(&format!("begrunnelse: {reason}")), "{audit}");
    // The decision page shows the reason and whom figures were missing for.
    let decision = proposed.json()["id"].as_i64().unwrap();
    let page = app.get(&format!("/decisions/{decision}")).await.text();
    assert!(page.contains(reason));
    assert!(page.contains("Formelen manglet tall for"));
    assert!(page.contains(
        "Trondheim - Tråante (5001): innbyggertall, antall mottakere og koordinatordekning"
    ));
}

#[tokio::test]
async fn an_iks_members_follow_the_rounds_year() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id(DEMO_ROUND).await;
    let fosen = fosen_applies(&app, round_id).await;
    let snapshot_id = snapshot(&app).await;

    // The application page shows the members on the 2024 division: Bjugn and Ørland
    // are one 5057 Ørland, Åfjord and Roan one 5058 Åfjord.
    let page = app.get(&format!("/applications/{fosen}")).await.text();
    assert!(page.contains("Medlemskommuner (2026)"), "{page}");
    for member in [
        "5057 Ørland",
        "5058 Åfjord",
        "5020 Osen",
        "5054 Indre Fosen",
    ] {
        assert!(page.contains(member), "{member}");
    }
    for old in ["5015 Ørland", "5017 Bjugn", "5018 Åfjord", "5019 Roan"] {
        assert!(!page.contains(old), "{old}");
    }
    assert_eq!(page.matches("5057 Ørland").count(), 1, "once");

    // The formula finds the members' figures: no «mangler», and the indicators are
    // the members' sums in 2024.
    let scenario = create(&app, round_id, &formula("Formel", snapshot_id, None)).await;
    assert_eq!(scenario["parameters"]["indicator_year"], 2024);
    let line = scenario["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["application_id"] == fosen)
        .expect("Fosen helse is in the scenario")
        .clone();
    let text = line["explanation"].as_str().unwrap();
    assert!(!text.contains("mangler"), "{text}");
    assert!(dec(&line["amount"]) > Decimal::from(200_000), "{line}");
    assert_eq!(scenario["missing_figures"], json!([]));
    let stored = app
        .store
        .scenario(scenario["id"].as_i64().unwrap())
        .await
        .unwrap();
    let claim = stored.input.claims.iter().find(|c| c.id == fosen).unwrap();
    let mut inhabitants = Decimal::ZERO;
    for member in ["5057", "5058", "5020", "5054"] {
        let body = app
            .get(&format!(
                "/api/v1/statistics/municipalities?year=2024&kommunenummer={member}"
            ))
            .await
            .json();
        let o = body["observations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["indicator_code"] == "innbyggere" && o["need_level"].is_null())
            .unwrap_or_else(|| panic!("no inhabitants for {member}"))
            .clone();
        inhabitants += dec(&o["value"]);
    }
    assert_eq!(claim.indicators.inhabitants, Some(inhabitants));
    assert!(claim.indicators.coordinator_coverage_percent.is_some());
}

#[tokio::test]
async fn the_report_falls_back_to_the_last_year_with_figures_and_says_so() {
    use calamine::{Reader, open_workbook_auto_from_rs};
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id(DEMO_ROUND).await;
    let note = "Tall for 2025 mangler; viser 2024.";

    let report = app.get(&format!("/api/v1/rounds/{round_id}/report")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text());
    let report = report.json();
    assert_eq!(report["grant_year"], 2026);
    assert_eq!(report["before_year"], 2024);
    assert_eq!(report["before_note"], note);
    assert_eq!(report["years"][0], 2024);
    let trondheim = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kommunenummer"] == "5001")
        .expect("Trondheim has figures");
    let before = &trondheim["coordinator"]["before"];
    assert!(
        before.as_str().unwrap().parse::<Decimal>().is_ok(),
        "{before}"
    );
    assert!(trondheim["recipients"].is_string(), "{trondheim}");

    let page = app.get(&format!("/rounds/{round_id}/report")).await.text();
    assert!(page.contains(note), "{page}");
    assert!(!page.contains("Det finnes ennå ingen dekningstall"));

    let csv = app
        .get(&format!("/rounds/{round_id}/report/dekning.csv"))
        .await
        .text();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("Koordinator før (2024; tall for 2025 mangler; viser 2024.)"),
        "{header}"
    );

    let xlsx = app.get(&format!("/rounds/{round_id}/report.xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let mut book = open_workbook_auto_from_rs(std::io::Cursor::new(xlsx.body.clone())).unwrap();
    for sheet in ["Tildeling", "Dekning", "Kilder"] {
        let range = book.worksheet_range(sheet).unwrap();
        let found = range
            .rows()
            .flatten()
            .any(|cell| cell.to_string().contains(note));
        assert!(found, "{sheet} says {note}");
    }
}
