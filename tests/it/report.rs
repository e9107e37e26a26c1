//! The funding-vs-coverage report through the API and the page, on the sample data:
//! the 2019 Trøndelag round put on the 2024 division (Bjugn→Ørland, Klæbu→Trondheim,
//! Meldal/Orkdal→Orkland, Snillfjord split and not assigned), checked against the raw
//! statistics the same app serves.

use crate::common;

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

/// A number cell read back through its shortest text, never compared as a float.
fn number(range: &calamine::Range<calamine::Data>, row: u32, col: u32) -> Option<Decimal> {
    match range.get_value((row, col)) {
        Some(calamine::Data::Float(f)) => Some(f.to_string().parse().unwrap()),
        Some(calamine::Data::Int(i)) => Some(Decimal::from(*i)),
        _ => None,
    }
}

fn text(range: &calamine::Range<calamine::Data>, row: u32, col: u32) -> String {
    range
        .get_value((row, col))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// The row whose first column reads `label`, and the column headed `header` in the row
/// whose first column reads `header_row`.
fn find_row(range: &calamine::Range<calamine::Data>, label: &str) -> u32 {
    (0..range.height() as u32)
        .find(|r| text(range, *r, 0) == label)
        .unwrap_or_else(|| panic!("no row «{label}»"))
}

fn find_col(range: &calamine::Range<calamine::Data>, row: u32, header: &str) -> u32 {
    (0..range.width() as u32)
        .find(|c| text(range, row, *c) == header)
        .unwrap_or_else(|| panic!("no column «{header}»"))
}

#[tokio::test]
async fn the_workbook_and_the_csv_files_carry_the_same_numbers_as_the_page() {
    use calamine::{Reader, open_workbook_auto_from_rs};

    let mut app = TestApp::with_sample_data().await;
    app.login("leser").await;
    let round_id = app.round_id("Trøndelag 2019").await;
    let report = report_2019(&app, "").await;
    let response = app.get(&format!("/rounds/{round_id}/report.xlsx")).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response
            .header("content-disposition")
            .unwrap()
            .contains("rapport-")
    );
    let mut book = open_workbook_auto_from_rs(std::io::Cursor::new(response.body.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Tildeling", "Dekning", "Sammenheng", "Nasjonalt", "Kilder"]
    );

    let grants = book.worksheet_range("Tildeling").unwrap();
    assert!(text(&grants, 0, 0).contains("syntetiske demotall"));
    let header = find_row(&grants, "Kommunenr.");
    let granted_col = find_col(&grants, header, "Tildelt");
    let per_col = find_col(&grants, header, "Kr per mottaker");
    for r in report["rows"].as_array().unwrap() {
        let row = find_row(&grants, r["kommunenummer"].as_str().unwrap());
        assert_eq!(
            number(&grants, row, granted_col),
            Some(dec(&r["granted"])),
            "{r}"
        );
        match r["per_recipient"].as_str() {
            Some(per) => assert_eq!(number(&grants, row, per_col), Some(per.parse().unwrap())),
            None => assert_eq!(number(&grants, row, per_col), None),
        }
    }
    let total = find_row(&grants, "Tildelt i alt");
    assert_eq!(
        number(&grants, total, granted_col),
        Some(Decimal::from(13_914_871))
    );

    let coverage = book.worksheet_range("Dekning").unwrap();
    let header = find_row(&coverage, "Kommunenr.");
    let before = find_col(&coverage, header, "Koordinator før (2018)");
    let change = find_col(&coverage, header, "Koordinator endring (pp)");
    for r in report["rows"].as_array().unwrap() {
        let row = find_row(&coverage, r["kommunenummer"].as_str().unwrap());
        let expected = r["coordinator"]["before"].as_str().unwrap();
        match expected.parse::<Decimal>() {
            Ok(value) => assert_eq!(number(&coverage, row, before), Some(value)),
            // A symbol stays the symbol, never 0.
            Err(_) => assert_eq!(text(&coverage, row, before), expected),
        }
        if let Some(c) = r["coordinator"]["change_pp"].as_str() {
            assert_eq!(number(&coverage, row, change), Some(c.parse().unwrap()));
        }
    }

    let sources = book.worksheet_range("Kilder").unwrap();
    let all: String = sources
        .rows()
        .flatten()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains("Bjugn (5017)"), "the mapping is stated");
    assert!(all.contains("Snillfjord"), "the split is stated");

    // Each table as CSV, with the same numbers and the BOM Excel needs.
    let csv = app
        .get(&format!("/rounds/{round_id}/report/tildeling.csv"))
        .await
        .text();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.contains("5057;Ørland;"),
        "{}",
        &csv[..300.min(csv.len())]
    );
    assert!(csv.contains(";1200000;"));
    for table in ["dekning", "sammenheng", "nasjonalt"] {
        let response = app
            .get(&format!(
                "/rounds/{round_id}/report/{table}.csv?inndeling=2020"
            ))
            .await;
        assert_eq!(response.status, StatusCode::OK, "{table}");
        let text = response.text();
        assert!(text.lines().count() > 3, "{table}");
        if table != "nasjonalt" {
            // A municipal row read alone still says its figures are synthetic.
            assert!(
                text.lines().nth(1).unwrap().contains("syntetiske demotall"),
                "{table}"
            );
        }
    }
}

#[tokio::test]
async fn a_new_round_without_grants_or_later_statistics_still_reports() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let created = app
        .post_json(
            "/api/v1/rounds",
            &serde_json::json!({"name": "Ny runde", "year": 2030, "pool": "100000", "rounding_unit": 1, "region": "Trøndelag"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_i64().unwrap();

    let report = app.get(&format!("/api/v1/rounds/{id}/report")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text());
    let report = report.json();
    assert_eq!(report["total_granted"], "0");
    assert_eq!(report["correlations"][0]["n"], 0);
    assert!(report["correlations"][0]["pearson"].is_null());

    let page = app.get(&format!("/rounds/{id}/report")).await;
    assert_eq!(page.status, StatusCode::OK);
    // No figures for 2029: «before» is the last earlier year with figures, and the
    // report says so.
    assert_eq!(report["before_year"], 2024);
    assert!(page.text().contains("Tall for 2029 mangler; viser 2024."));
    assert!(!page.text().contains("Det finnes ennå ingen dekningstall"));
    assert!(
        page.text()
            .contains("Ingen kommuner har både beløp per mottaker")
    );
    let xlsx = app.get(&format!("/rounds/{id}/report.xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx.body.clone())).unwrap();
    assert_eq!(book.sheet_names().len(), 5);
}

#[tokio::test]
async fn the_command_line_writes_the_report() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2019").await.to_string();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("rapport.xlsx");
    let out = app.cli(&[
        "export",
        "report",
        "--round",
        &round_id,
        xlsx.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("13\u{a0}914\u{a0}871\u{a0}kr"), "{stdout}");
    use calamine::Reader;
    let book = calamine::open_workbook_auto(&xlsx).unwrap();
    assert_eq!(book.sheet_names()[0], "Tildeling");

    let csv = dir.path().join("dekning.csv");
    let out = app.cli(&[
        "export",
        "report",
        "--round",
        &round_id,
        "--division",
        "2019",
        "--table",
        "dekning",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .contains("5017;Bjugn;")
    );

    let out = app.cli(&[
        "export",
        "report",
        "--round",
        &round_id,
        "--division",
        "2018",
        csv.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("«2018» er ikke en kommuneinndeling"));
}
