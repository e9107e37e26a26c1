//! The funding-vs-coverage report through the API and the page, on the sample data:
//! the 2019 Trøndelag round put on the 2024 division (Bjugn→Ørland, Klæbu→Trondheim,
//! Meldal/Orkdal→Orkland, Snillfjord split and not assigned), checked against the raw
//! statistics the same app serves.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use rust_decimal::Decimal;
use serde_json::Value;

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

fn row<'a>(report: &'a Value, kommunenummer: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kommunenummer"] == kommunenummer)
        .unwrap_or_else(|| panic!("no row {kommunenummer}"))
}

/// A raw total from `GET /api/v1/statistics/municipalities`.
async fn raw(app: &TestApp, kommunenummer: &str, year: i32, indicator: &str) -> Decimal {
    let body = app
        .get(&format!(
            "/api/v1/statistics/municipalities?year={year}&kommunenummer={kommunenummer}"
        ))
        .await
        .json();
    let o = body["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["indicator_code"] == indicator && o["need_level"].is_null())
        .unwrap_or_else(|| panic!("no {indicator} for {kommunenummer} in {year}"))
        .clone();
    dec(&o["value"])
}

async fn report_2019(app: &TestApp, query: &str) -> Value {
    let round_id = app.round_id("Trøndelag 2019").await;
    let response = app
        .get(&format!("/api/v1/rounds/{round_id}/report{query}"))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn the_2019_round_on_the_2024_division() {
    let mut app = TestApp::with_sample_data().await;
    app.login("leser").await;
    let report = report_2019(&app, "").await;
    assert_eq!(report["division_year"], 2024);
    assert_eq!(report["grant_year"], 2019);
    assert_eq!(report["total_granted"], "13914871");
    assert_eq!(report["synthetic"], true);
    assert_eq!(report["synthetic_label"], "syntetiske demotall");

    // Nothing is lost: municipalities plus what could not be placed is the whole round.
    let in_rows: Decimal = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| dec(&r["granted"]))
        .sum();
    let unattributed: Decimal = report["unattributed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| dec(&u["amount"]))
        .sum();
    assert_eq!(in_rows + unattributed, Decimal::from(13_914_871));
    let fosen = &report["unattributed"][0];
    assert_eq!(fosen["applicant"], "Fosen helse");
    assert_eq!(fosen["amount"], "700000");

    // Bjugn → Ørland: grants and counts summed, the share weighted by recipients.
    let orland = row(&report, "5057");
    assert_eq!(orland["granted"], "1200000");
    assert_eq!(orland["applicants"].as_array().unwrap().len(), 2);
    let (bjugn_r, orland_r) = (
        raw(&app, "5017", 2018, "mottakere").await,
        raw(&app, "5015", 2018, "mottakere").await,
    );
    let (bjugn_c, orland_c) = (
        raw(&app, "5017", 2018, "andel_koordinator").await,
        raw(&app, "5015", 2018, "andel_koordinator").await,
    );
    let weighted = ((bjugn_c * bjugn_r + orland_c * orland_r) / (bjugn_r + orland_r))
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(dec(&orland["coordinator"]["before"]), weighted);
    let latest = raw(&app, "5057", 2024, "andel_koordinator").await;
    assert_eq!(dec(&orland["coordinator"]["latest"]), latest);
    assert_eq!(dec(&orland["coordinator"]["change_pp"]), latest - weighted);
    // Recipients in the grant year, 2019, summed over the parts.
    let recipients =
        raw(&app, "5017", 2019, "mottakere").await + raw(&app, "5015", 2019, "mottakere").await;
    assert_eq!(dec(&orland["recipients"]), recipients);
    assert_eq!(
        dec(&orland["per_recipient"]),
        (Decimal::from(1_200_000) / recipients).round()
    );

    // Klæbu → Trondheim.
    let trondheim = row(&report, "5001");
    assert_eq!(trondheim["granted"], "3149770");
    assert!(
        trondheim["notes"][0]
            .as_str()
            .unwrap()
            .contains("Klæbu (5030)"),
        "{trondheim}"
    );
    let recipients =
        raw(&app, "5001", 2019, "mottakere").await + raw(&app, "5030", 2019, "mottakere").await;
    assert_eq!(dec(&trondheim["recipients"]), recipients);

    // Meldal and Orkdal → Orkland; Snillfjord is split, shown, and in no municipality.
    let orkland = row(&report, "5059");
    assert_eq!(orkland["granted"], "764718");
    assert!(
        orkland["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("Snillfjord (5012)"))
    );
    let splits = report["splits"].as_array().unwrap();
    assert!(
        splits
            .iter()
            .any(|s| s["kommunenummer"] == "5012"
                && s["became"].as_str().unwrap().contains("Orkland"))
    );
    assert!(
        report["mapping"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kommunenummer"] == "5059"
                && m["made_of"].as_str().unwrap().contains("Meldal (5023)")
                && m["made_of"].as_str().unwrap().contains("Orkdal (5024)"))
    );

    // The national series is there for comparison, with its missing years as symbols.
    let national = report["national"].as_array().unwrap();
    let first = national.iter().find(|n| n["year"] == 2012).unwrap();
    assert_eq!(first["coordinator"], "..");
    let y2021 = national.iter().find(|n| n["year"] == 2021).unwrap();
    assert_eq!(y2021["recipients"], "208645");

    // Correlation over the municipalities that have both figures, with n and a caveat.
    let scatter = report["scatter"].as_array().unwrap().len();
    assert_eq!(report["correlations"][0]["n"], scatter);
    assert!(scatter >= 30, "{scatter}");
    assert!(report["caveat"].as_str().unwrap().contains("ikke årsak"));
}

#[tokio::test]
async fn on_the_2019_division_bjugn_stands_alone_and_later_figures_are_not_split() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let report = report_2019(&app, "?division=2019").await;
    let bjugn = row(&report, "5017");
    assert_eq!(bjugn["granted"], "600000");
    assert_eq!(
        dec(&bjugn["coordinator"]["before"]),
        raw(&app, "5017", 2018, "andel_koordinator").await
    );
    // After 2020 Bjugn is part of Ørland: the figure cannot be had for Bjugn alone.
    assert_eq!(bjugn["coordinator"]["latest"], "..");
    assert!(bjugn["coordinator"]["change_pp"].is_null());
    let years = report["years"].as_array().unwrap();
    let at_2021 = years.iter().position(|y| y == 2021).unwrap();
    assert_eq!(bjugn["coordinator"]["by_year"][at_2021], ".");
}

#[tokio::test]
async fn bad_choices_are_named_by_the_api_and_shown_on_the_page() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2019").await;
    let response = app
        .get(&format!(
            "/api/v1/rounds/{round_id}/report?division=2018&scope=alt"
        ))
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.json();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["inndeling", "omfang"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2018")
    );

    let page = app
        .get(&format!("/rounds/{round_id}/report?inndeling=abc"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("«abc» er ikke en kommuneinndeling"));

    let missing = app.get("/api/v1/rounds/999999/report").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_has_charts_with_their_numbers_beside_them() {
    let mut app = TestApp::with_sample_data().await;
    app.login("leser").await;
    let round_id = app.round_id("Trøndelag 2019").await;
    let page = app
        .get(&format!("/rounds/{round_id}/report?kommune=5057"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert_eq!(html.matches("<svg").count(), 3, "two lines and a scatter");
    assert_eq!(html.matches("role=\"img\"").count(), 3);
    assert!(html.contains("Ørland mot hele landet over tid"));
    assert!(html.contains("syntetiske demotall"));
    assert!(html.contains("ikke årsak"));
    assert!(html.contains("13\u{a0}914\u{a0}871\u{a0}kr"));
    // The numbers are in tables, not only in pictures.
    let report = report_2019(&app, "").await;
    let orland = row(&report, "5057");
    let per_recipient = dec(&orland["per_recipient"]);
    let shown = format!(
        "{} kr",
        tilskudd::domain::allocation::number_text(per_recipient)
    )
    .replace(' ', "\u{a0}");
    assert!(html.contains(&shown), "{shown}");

    // The whole scheme: both rounds are listed, the open one marked as not decided.
    let scheme = app
        .get(&format!("/rounds/{round_id}/report?omfang=ordning"))
        .await
        .text();
    assert!(scheme.contains("alle runder"));
    assert!(scheme.contains("ikke vedtatt"));
}
