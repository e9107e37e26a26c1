//! Downloads: the round's allocation workbook and CSV, and the statistics workbook and
//! CSV, read back as a spreadsheet would read them and checked against the API.

use crate::common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use calamine::{Data, Range, Reader, Xlsx, open_workbook_auto_from_rs};
use common::{TestApp, TestResponse};
use rust_decimal::Decimal;
use serde_json::{Value, json};

type Workbook = calamine::Sheets<std::io::Cursor<Vec<u8>>>;

fn workbook(response: &TestResponse) -> Workbook {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert!(
        response
            .header("content-disposition")
            .unwrap_or_default()
            .starts_with("attachment;")
    );
    open_workbook_auto_from_rs(std::io::Cursor::new(response.body.clone())).expect("a workbook")
}

fn sheet(workbook: &mut Workbook, name: &str) -> Range<Data> {
    workbook
        .worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

fn text(range: &Range<Data>, row: u32, col: u32) -> String {
    range
        .get_value((row, col))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// A number cell as an exact decimal (xlsx stores a float; amounts and shares here have
/// at most two decimals).
fn number(range: &Range<Data>, row: u32, col: u32) -> Decimal {
    match range.get_value((row, col)) {
        Some(Data::Float(f)) => Decimal::try_from(*f).unwrap().round_dp(2).normalize(),
        Some(Data::Int(i)) => Decimal::from(*i),
        other => panic!("({row},{col}) is not a number: {other:?}"),
    }
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse::<Decimal>()
        .unwrap()
        .normalize()
}

/// The row whose first cell is `label`.
fn row_of(range: &Range<Data>, label: &str) -> u32 {
    (0..range.end().map_or(0, |(r, _)| r + 1))
        .find(|r| text(range, *r, 0) == label)
        .unwrap_or_else(|| panic!("no row «{label}»"))
}

/// The column whose header (in `header_row`) is `name`.
fn col_of(range: &Range<Data>, header_row: u32, name: &str) -> u32 {
    (0..range.end().map_or(0, |(_, c)| c + 1))
        .find(|c| text(range, header_row, *c) == name)
        .unwrap_or_else(|| panic!("no column «{name}»"))
}

fn formulas(response: &TestResponse, sheet: &str) -> Range<String> {
    let mut xlsx: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(response.body.clone())).unwrap();
    xlsx.worksheet_formula(sheet).unwrap()
}

#[tokio::test]
async fn the_2019_round_workbook_has_the_api_amounts_and_the_sum_as_a_formula() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2019").await;
    let round = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    let applications = round["applications"].as_array().unwrap();
    assert_eq!(applications.len(), 22);

    let response = app.get(&format!("/rounds/{round_id}/export.xlsx")).await;
    let mut book = workbook(&response);
    assert_eq!(
        book.sheet_names(),
        vec!["Tildeling", "Vedtak", "Budsjett", "Kilder"]
    );
    let tildeling = sheet(&mut book, "Tildeling");
    assert_eq!(text(&tildeling, 0, 0), "Tildeling – Trøndelag 2019");
    let header = row_of(&tildeling, "Søker");
    let allocated_col = col_of(&tildeling, header, "Tildelt");
    let knr_col = col_of(&tildeling, header, "Kommunenummer");
    let name_col = col_of(&tildeling, header, "Kommune");
    for name in [
        "Organisasjonstype",
        "Prosjekt",
        "Status",
        "Omsøkt",
        "Begrunnelse",
    ] {
        col_of(&tildeling, header, name);
    }

    // Every applicant once, with the amount the API gives, sorted by name.
    let expected: BTreeMap<String, Decimal> = applications
        .iter()
        .map(|a| {
            (
                a["applicant"].as_str().unwrap().to_string(),
                dec(&a["allocated"]),
            )
        })
        .collect();
    let mut seen = Vec::new();
    for (i, _) in applications.iter().enumerate() {
        let row = header + 1 + i as u32;
        let applicant = text(&tildeling, row, 0);
        assert_eq!(
            number(&tildeling, row, allocated_col),
            expected[&applicant],
            "{applicant}"
        );
        seen.push(applicant);
    }
    let mut sorted = seen.clone();
    sorted.sort_by_key(|a| a.to_lowercase());
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), expected.len());
    // Kommunenummer as text with the municipality of 2019; the IKS has none.
    let bjugn = row_of(&tildeling, "Bjugn");
    assert_eq!(text(&tildeling, bjugn, knr_col), "5017");
    assert_eq!(text(&tildeling, bjugn, name_col), "Bjugn");
    assert_eq!(
        text(&tildeling, row_of(&tildeling, "Fosen helse"), knr_col),
        ""
    );

    // Sum, Ramme and Ikke fordelt: formulas, with their results stored.
    let sum_row = row_of(&tildeling, "Sum");
    assert_eq!(sum_row, header + 23);
    assert_eq!(
        number(&tildeling, sum_row, allocated_col),
        Decimal::from(13_914_871)
    );
    let pool_row = row_of(&tildeling, "Ramme");
    assert_eq!(
        number(&tildeling, pool_row, allocated_col),
        Decimal::from(13_914_871)
    );
    let unplaced_row = row_of(&tildeling, "Ikke fordelt");
    assert_eq!(
        number(&tildeling, unplaced_row, allocated_col),
        Decimal::ZERO
    );
    let f = formulas(&response, "Tildeling");
    let letter = (b'A' + allocated_col as u8) as char;
    assert_eq!(
        f.get_value((sum_row, allocated_col)).unwrap(),
        &format!("SUM({letter}{}:{letter}{})", header + 2, header + 23)
    );
    assert_eq!(
        f.get_value((unplaced_row, allocated_col)).unwrap(),
        &format!("{letter}{}-{letter}{}", pool_row + 1, sum_row + 1)
    );

    // Decided in the source, not here: said so, not «foreløpige».
    let vedtak = sheet(&mut book, "Vedtak");
    let all: String = vedtak.cells().map(|(_, _, d)| d.to_string()).collect();
    assert!(all.contains("ikke fattet i denne løsningen"), "{all}");
    assert!(!all.contains("foreløpige"));
    let kilder = sheet(&mut book, "Kilder");
    let all: String = kilder.cells().map(|(_, _, d)| format!("{d}\n")).collect();
    for expected in [
        "Trøndelag 2019",
        "Styrking av habilitering",
        "Historiske data",
        "Siri Saksbehandler",
    ] {
        assert!(all.contains(expected), "Kilder lacks {expected}: {all}");
    }

    // The CSV has the same rows.
    let csv = app.get(&format!("/rounds/{round_id}/export.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let body = csv.text();
    assert!(body.starts_with("\u{feff}Søker;Organisasjonstype;Kommunenummer;"));
    assert_eq!(body.matches("\r\n").count(), 23, "header and 22 rows");
    let fosen = body
        .lines()
        .find(|l| l.starts_with("Fosen helse;"))
        .unwrap();
    let amount = expected["Fosen helse"].to_string();
    assert!(fosen.contains(&format!(";{amount};")), "{fosen}");
}

#[tokio::test]
async fn the_demo_round_is_preliminary_until_approved_and_then_names_both_officers() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let path = format!("/rounds/{round_id}/export.xlsx");
    let mut book = workbook(&app.get(&path).await);
    let vedtak = sheet(&mut book, "Vedtak");
    assert_eq!(text(&vedtak, 2, 1), "Ikke vedtatt – beløpene er foreløpige");
    let tildeling = sheet(&mut book, "Tildeling");
    let notes: String = (1..4).map(|r| text(&tildeling, r, 0)).collect();
    assert!(
        notes.contains("Ikke vedtatt – beløpene er foreløpige"),
        "{notes}"
    );
    assert!(notes.contains("oppdiktede demotall"), "{notes}");

    let scenario = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/scenarios"),
            &json!({"name": "Forholdsmessig", "method": "forholdsmessig", "rounding_unit": "1000"}),
        )
        .await;
    assert_eq!(scenario.status, StatusCode::CREATED, "{}", scenario.text());
    let sid = scenario.json()["id"].as_i64().unwrap();
    app.close_round(round_id).await;
    let proposal = app
        .post_json(&format!("/api/v1/scenarios/{sid}/propose"), &json!({}))
        .await;
    assert_eq!(proposal.status, StatusCode::CREATED, "{}", proposal.text());
    let did = proposal.json()["id"].as_i64().unwrap();
    let mut book = workbook(&app.get(&path).await);
    let vedtak = sheet(&mut book, "Vedtak");
    assert_eq!(text(&vedtak, 2, 1), "Ikke vedtatt – beløpene er foreløpige");
    assert!(text(&vedtak, 3, 1).contains("venter på godkjenning"));

    app.login("godkjenner").await;
    let approved = app
        .post_json(&format!("/api/v1/decisions/{did}/approve"), &json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let approved = approved.json();
    let round = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();

    let response = app.get(&path).await;
    let mut book = workbook(&response);
    let vedtak = sheet(&mut book, "Vedtak");
    let value = |label: &str| text(&vedtak, row_of(&vedtak, label), 1);
    assert_eq!(value("Vedtak"), format!("Vedtak {did}"));
    assert_eq!(value("Fordelingsalternativ"), "Forholdsmessig");
    assert_eq!(value("Metode"), approved["method_label"].as_str().unwrap());
    assert_eq!(
        value("Parametre"),
        approved["parameters_text"].as_str().unwrap()
    );
    assert_eq!(
        value("Foreslått av"),
        approved["proposed_by"].as_str().unwrap()
    );
    assert_eq!(
        value("Godkjent av"),
        approved["reviewed_by"].as_str().unwrap()
    );
    assert!(!value("Godkjent").is_empty());
    assert_eq!(
        number(&vedtak, row_of(&vedtak, "Fordelt"), 1),
        dec(&approved["allocated_total"])
    );
    // The amounts are the decided ones, and the sum is their total.
    let tildeling = sheet(&mut book, "Tildeling");
    let header = row_of(&tildeling, "Søker");
    let allocated_col = col_of(&tildeling, header, "Tildelt");
    for a in round["applications"].as_array().unwrap() {
        let row = row_of(&tildeling, a["applicant"].as_str().unwrap());
        assert_eq!(number(&tildeling, row, allocated_col), dec(&a["allocated"]));
    }
    assert_eq!(
        number(&tildeling, row_of(&tildeling, "Sum"), allocated_col),
        dec(&round["allocated_total"])
    );
    // Budget lines of the demo applications, with sums as formulas.
    let budsjett = sheet(&mut book, "Budsjett");
    let header = row_of(&budsjett, "Søker");
    let sum_row = row_of(&budsjett, "Sum");
    assert!(
        sum_row > header + 1,
        "the demo applications have budget lines"
    );
    let applied_col = col_of(&budsjett, header, "Omsøkt");
    let listed: Decimal = (header + 1..sum_row)
        .map(|r| number(&budsjett, r, applied_col))
        .sum();
    assert_eq!(number(&budsjett, sum_row, applied_col), listed);
    assert!(
        formulas(&response, "Budsjett")
            .get_value((sum_row, applied_col))
            .unwrap()
            .starts_with("SUM(")
    );
}

#[tokio::test]
async fn a_hostile_name_is_plain_text_in_the_csv_and_the_workbook() {
    let mut app = TestApp::with_sample_data().await;
    // An organisation with a hostile name, as an admin could register it.
    let hostile = "=HYPERLINK(\"http://x\",\"klikk\")";
    let mut tx = app.store.begin().await.unwrap();
    let org = tilskudd::store::insert_collaboration(
        &mut tx,
        hostile,
        "annen",
        None,
        &[],
        2024,
        &tilskudd::domain::audit::Actor::system("test"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let created = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({
                "applicant": format!("org:{org}"),
                "project_title": "@SUM(A1)",
                "requested": "100000",
                "budget_lines": [{"category": "Annet", "description": "+47 22 00 00 00", "applied": "100000"}]
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let application = created.json();
    let allocation = app
        .put_json(
            &format!("/api/v1/applications/{}/allocation", application["id"]),
            &json!({"amount": "0", "version": application["version"], "reason": "-2+3 er ikke et tall"}),
        )
        .await;
    assert_eq!(allocation.status, StatusCode::OK, "{}", allocation.text());

    let csv = app
        .get(&format!("/rounds/{round_id}/export.csv"))
        .await
        .text();
    let line = csv
        .split("\r\n")
        .find(|l| l.contains("HYPERLINK"))
        .expect("the hostile row");
    assert!(
        line.starts_with("\"'=HYPERLINK(\"\"http://x\"\",\"\"klikk\"\")\";Annen organisasjon;"),
        "{line}"
    );
    assert!(line.contains(";'@SUM(A1);"), "{line}");
    assert!(line.contains(";100000;0;'-2+3 er ikke et tall"), "{line}");
    // No field anywhere starts a formula.
    for field in csv.split(['\r', '\n', ';']) {
        let field = field.trim_start_matches('"');
        assert!(
            !field.starts_with(['=', '+', '@']),
            "unguarded field {field:?}"
        );
    }

    // In the workbook it is a string cell, exactly as typed, and never a formula.
    let response = app.get(&format!("/rounds/{round_id}/export.xlsx")).await;
    let mut book = workbook(&response);
    let tildeling = sheet(&mut book, "Tildeling");
    let row = row_of(&tildeling, hostile);
    assert_eq!(
        tildeling.get_value((row, 0)),
        Some(&Data::String(hostile.into()))
    );
    assert_eq!(text(&tildeling, row, 4), "@SUM(A1)");
    let f = formulas(&response, "Tildeling");
    assert!(f.get_value((row, 0)).is_none_or(String::is_empty));
    let budsjett = sheet(&mut book, "Budsjett");
    let row = row_of(&budsjett, hostile);
    assert_eq!(text(&budsjett, row, 2), "+47 22 00 00 00");
}

#[tokio::test]
async fn who_may_download_the_round() {
    let mut app = TestApp::with_sample_data().await;
    let round_id = app.round_id_as_store("Trøndelag 2026 (demo)").await;
    for (user, status) in [
        ("saksbehandler", StatusCode::OK),
        ("godkjenner", StatusCode::OK),
        ("leser", StatusCode::OK),
        ("admin", StatusCode::OK),
        // A kommune user sees its own case on the round page; the office's workbook
        // (every applicant, unapproved amounts, who proposed) is not for it.
        ("trondheim", StatusCode::FORBIDDEN),
    ] {
        app.login(user).await;
        for format in ["xlsx", "csv"] {
            let response = app
                .get(&format!("/rounds/{round_id}/export.{format}"))
                .await;
            assert_eq!(response.status, status, "{user} {format}");
        }
        let page = app.get(&format!("/rounds/{round_id}")).await.text();
        assert_eq!(
            page.contains("Last ned som Excel"),
            status == StatusCode::OK,
            "{user}: the link only for those who may use it"
        );
    }
    app.login("saksbehandler").await;
    assert_eq!(
        app.get("/rounds/999999/export.xlsx").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.get("/rounds/abc/export.csv")
            .await
            .status
            .is_client_error()
    );
}

/// A symbol for a year of its own, so the export shows it in Kommuner.
async fn add_symbols(app: &TestApp) {
    let mut tx = app.store.begin().await.unwrap();
    for (indicator, symbol) in [("andel_koordinator", ":"), ("mottakere", "-")] {
        tilskudd::store::insert_observation(
            &mut tx,
            &tilskudd::store::NewObservation {
                indicator,
                region: "5001".into(),
                year: 2030,
                need_level: None,
                age_group: None,
                value: None,
                symbol: Some(symbol.into()),
                synthetic: true,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_statistics_workbook_has_the_page_figures_and_marks_synthetic_ones() {
    let mut app = TestApp::with_sample_data().await;
    app.login("leser").await;
    let years: Vec<i64> = {
        let page = app.get("/statistikk").await.text();
        assert!(page.contains("/statistikk.xlsx?aar="), "link on the page");
        assert!(page.contains("/statistikk.csv?aar="), "link on the page");
        let all = app.get("/api/v1/statistics/municipalities").await.json();
        let mut years: Vec<i64> = all["observations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["year"].as_i64().unwrap())
            .collect();
        years.dedup();
        years
    };
    let year = *years.iter().find(|y| **y == 2021).unwrap_or(&years[0]);

    let response = app.get(&format!("/statistikk.xlsx?aar={year}")).await;
    let mut book = workbook(&response);
    assert_eq!(book.sheet_names(), vec!["Nasjonalt", "Kommuner", "Kilder"]);

    // National: the API's observations in the same order, numbers as numbers.
    let national = app.get("/api/v1/statistics/national").await.json();
    let observations = national["observations"].as_array().unwrap();
    let sheet_n = sheet(&mut book, "Nasjonalt");
    let header = row_of(&sheet_n, "År");
    let value_col = col_of(&sheet_n, header, "Verdi");
    let unit_col = col_of(&sheet_n, header, "Enhet");
    for (i, o) in observations.iter().enumerate() {
        let row = header + 1 + i as u32;
        assert_eq!(
            number(&sheet_n, row, 0),
            Decimal::from(o["year"].as_i64().unwrap())
        );
        assert_eq!(
            text(&sheet_n, row, 1),
            o["indicator_name"].as_str().unwrap()
        );
        assert_eq!(text(&sheet_n, row, unit_col), o["unit"].as_str().unwrap());
        match o["value"].as_str() {
            Some(v) => assert_eq!(
                number(&sheet_n, row, value_col),
                v.parse::<Decimal>().unwrap().normalize()
            ),
            None => assert_eq!(
                text(&sheet_n, row, value_col),
                o["symbol"].as_str().unwrap()
            ),
        }
    }
    // 2021, all recipients: 208 645 (a count, not a share).
    assert!(
        (header + 1..header + 1 + observations.len() as u32)
            .any(|r| text(&sheet_n, r, 0) == "2021"
                && number(&sheet_n, r, value_col) == Decimal::from(208_645))
    );

    // Per municipality: the API's figures for the year, the synthetic mark in the title.
    let municipal = app
        .get(&format!("/api/v1/statistics/municipalities?year={year}"))
        .await
        .json();
    let sheet_m = sheet(&mut book, "Kommuner");
    assert!(text(&sheet_m, 0, 0).contains(&year.to_string()));
    assert!(
        text(&sheet_m, 0, 0).ends_with("– syntetiske demotall"),
        "{}",
        text(&sheet_m, 0, 0)
    );
    let header = row_of(&sheet_m, "Kommunenummer");
    let note_col = col_of(&sheet_m, header, "Merknad");
    let rows: BTreeMap<String, u32> = (header + 1..=sheet_m.end().unwrap().0)
        .map(|r| (text(&sheet_m, r, 0), r))
        .collect();
    let mut checked = 0;
    for o in municipal["observations"].as_array().unwrap() {
        if !o["need_level"].is_null() || !o["age_group"].is_null() {
            continue;
        }
        let row = rows[o["region"].as_str().unwrap()];
        let name = o["indicator_name"].as_str().unwrap();
        let col = if o["unit"] == "prosent" {
            col_of(&sheet_m, header, &format!("{name} (%)"))
        } else {
            col_of(&sheet_m, header, name)
        };
        match o["value"].as_str() {
            Some(v) => assert_eq!(
                number(&sheet_m, row, col),
                v.parse::<Decimal>().unwrap().normalize()
            ),
            None => assert_eq!(text(&sheet_m, row, col), o["symbol"].as_str().unwrap()),
        }
        if o["synthetic"] == true {
            assert_eq!(text(&sheet_m, row, note_col), "syntetiske demotall");
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked} figures checked");
    // And the page shows the same municipalities and year.
    let page = app.get(&format!("/statistikk?aar={year}")).await.text();
    for (knr, row) in rows.iter().take(5) {
        assert!(
            page.contains(&format!("<td>{knr}</td><td>{}", text(&sheet_m, *row, 1))),
            "{knr}"
        );
    }

    let kilder = sheet(&mut book, "Kilder");
    assert_eq!(
        text(&kilder, 0, 0),
        "Kilder og merknader – syntetiske demotall"
    );
    let all: String = kilder.cells().map(|(_, _, d)| format!("{d}\n")).collect();
    assert!(all.contains("KPR"), "{all}");
    assert!(all.contains("ikke offisiell statistikk"), "{all}");
    assert!(all.contains("skjult av personvernhensyn"), "{all}");
}

#[tokio::test]
async fn statistics_symbols_are_text_never_zero_and_bad_years_are_handled() {
    let mut app = TestApp::with_sample_data().await;
    add_symbols(&app).await;
    app.login("trondheim").await;

    let mut book = workbook(&app.get("/statistikk.xlsx?aar=2030").await);
    let sheet_m = sheet(&mut book, "Kommuner");
    let header = row_of(&sheet_m, "Kommunenummer");
    let row = row_of(&sheet_m, "5001");
    let coordinator = col_of(&sheet_m, header, "Andel mottakere med koordinator (%)");
    let recipients = col_of(
        &sheet_m,
        header,
        "Mottakere av helsetjenester i hjemmet og/eller praktisk bistand",
    );
    assert_eq!(
        sheet_m.get_value((row, coordinator)),
        Some(&Data::String(":".into()))
    );
    assert_eq!(
        sheet_m.get_value((row, recipients)),
        Some(&Data::String("-".into()))
    );

    let csv = app.get("/statistikk.csv?aar=2030").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let body = csv.text();
    assert!(body.starts_with("\u{feff}Kommunenummer;Kommune;"), "{body}");
    let line = body.split("\r\n").find(|l| l.starts_with("5001;")).unwrap();
    assert!(line.contains(";-;") && line.contains(";:;"), "{line}");
    assert!(line.ends_with(";syntetiske demotall"), "{line}");

    // A year with figures: decimal comma, no grouping.
    let body = app.get("/statistikk.csv?aar=2021").await.text();
    let line = body.split("\r\n").find(|l| l.starts_with("5001;")).unwrap();
    assert!(line.contains(','), "decimal comma in shares: {line}");
    assert!(!line.contains('\u{a0}'), "{line}");

    // A year without figures, or not a year: the latest year, said in Norwegian.
    for asked in ["1850", "tjueen", "%3Cscript%3E"] {
        let response = app.get(&format!("/statistikk.xlsx?aar={asked}")).await;
        let mut book = workbook(&response);
        let sheet_m = sheet(&mut book, "Kommuner");
        assert!(text(&sheet_m, 0, 0).contains("2030"), "{asked}");
        assert!(
            text(&sheet_m, 1, 0).starts_with("Det finnes ingen kommunetall for «"),
            "{asked}"
        );
        let csv = app.get(&format!("/statistikk.csv?aar={asked}")).await;
        assert_eq!(csv.status, StatusCode::OK, "{asked}");
    }
}
