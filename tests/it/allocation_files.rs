//! Allocation tables as officers bring them: Excel's CSVs (BOM, CRLF, Windows-1252), the
//! app's own export, amounts whose thousands separator could be a decimal mark, and
//! kommunenummer and names that must agree. Fixtures: `tests/fixtures/README.md`.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, fixture, messages};
use serde_json::{Value, json};

async fn officer() -> TestApp {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    app
}

async fn open_round(app: &TestApp, name: &str, year: i32) -> i64 {
    let response = app
        .post_json(
            "/api/v1/rounds",
            &json!({"name": name, "year": year, "region": "Trøndelag", "pool": "20000000", "rounding_unit": "1"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()["id"].as_i64().unwrap()
}

/// Uploads `bytes` as an allocation table; answers the preview.
async fn preview(app: &TestApp, round_id: i64, bytes: &[u8]) -> Value {
    let response = app
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "tildeling.csv",
            bytes,
            "allocations",
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn excel_csvs_with_crlf_and_the_apps_own_export_import() {
    let app = officer().await;
    for file in ["tildeling-excel-utf8.csv", "tildeling-excel-ansi.csv"] {
        let round = open_round(&app, &format!("2019 fra {file}"), 2019).await;
        let body = preview(&app, round, &fixture(file)).await;
        assert!(
            messages(&body, "errors").is_empty(),
            "{file}: {:#?}",
            messages(&body, "errors")
        );
        assert_eq!(
            body["allocations"]["rows"].as_array().unwrap().len(),
            22,
            "{file}"
        );
        assert_eq!(body["allocations"]["total"], "13914871", "{file}");
        // Cells are named where Excel shows them: Bjugn is on line 2.
        assert_eq!(body["allocations"]["rows"][0]["cell"], "B2", "{file}");
        let id = body["id"].as_i64().unwrap();
        let confirmed = app
            .post_json(&format!("/api/v1/uploads/{id}/confirm"), &json!({}))
            .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    }
    // With CRLF, a bad cell is named on its own line, not the one above.
    let round = open_round(&app, "2019 feil celle", 2019).await;
    let body = preview(
        &app,
        round,
        b"S\xc3\xb8ker;Tildelt\r\nBjugn;600000\r\nGrong;tolv\r\n",
    )
    .await;
    assert_eq!(
        messages(&body, "errors"),
        vec!["CSV!B3: «tolv» er ikke et beløp.".to_string()]
    );

    // The round's own export (BOM, quoted cells, CRLF) reads back as the same table.
    let source = open_round(&app, "2019 eksportert", 2019).await;
    let body = preview(&app, source, &fixture("tildeling-excel-utf8.csv")).await;
    let id = body["id"].as_i64().unwrap();
    app.post_json(&format!("/api/v1/uploads/{id}/confirm"), &json!({}))
        .await;
    let export = app.get(&format!("/rounds/{source}/export.csv")).await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.body.windows(2).any(|w| w == b"\r\n"));
    let again = open_round(&app, "2019 fra eksporten", 2019).await;
    let body = preview(&app, again, &export.body).await;
    assert!(
        messages(&body, "errors").is_empty(),
        "{:#?}",
        messages(&body, "errors")
    );
    assert_eq!(body["allocations"]["total"], "13914871");
}

#[tokio::test]
async fn an_amount_that_reads_two_ways_is_refused_with_both_readings() {
    let app = officer().await;
    let round = open_round(&app, "2019 tusenskille", 2019).await;
    let body = preview(&app, round, &fixture("tildeling-tusenskille.csv")).await;
    let errors = messages(&body, "errors");
    assert!(
        errors.iter().any(|e| e.starts_with("CSV!B2: «600,000» kan leses som 600\u{a0}000\u{a0}kr (tusenskille) eller 600\u{a0}kr (desimaler)")),
        "{errors:#?}"
    );
    // No sum or total is made of what could not be read, and it cannot be stored.
    assert_eq!(body["allocations"]["total"], "0", "{body}");
    let id = body["id"].as_i64().unwrap();
    let confirm = app
        .post_json(&format!("/api/v1/uploads/{id}/confirm"), &json!({}))
        .await;
    assert_eq!(confirm.status, StatusCode::CONFLICT);

    // One value that shows the column's marks settles the others.
    let english = "Søker;Tildelt\r\nBjugn;600,000\r\nFosen helse;1,234,567\r\n";
    let body = preview(&app, round, english.as_bytes()).await;
    assert!(
        messages(&body, "errors").is_empty(),
        "{:#?}",
        messages(&body, "errors")
    );
    assert_eq!(body["allocations"]["total"], "1834567");
    let norwegian = "Søker;Tildelt\r\nBjugn;600,000\r\nFosen helse;1 234,50\r\n";
    let body = preview(&app, round, norwegian.as_bytes()).await;
    assert!(
        messages(&body, "errors").is_empty(),
        "{:#?}",
        messages(&body, "errors")
    );
    assert_eq!(body["allocations"]["total"], "1834.50");
}

#[tokio::test]
async fn a_kommunenummer_that_contradicts_the_name_is_an_error_naming_both() {
    let app = officer().await;
    let round = open_round(&app, "2019 nummer og navn", 2019).await;
    let table = "Kommunenummer;Søker;Tildelt\r\n5001;Selbu;100000\r\n5057;Bjugn;200000\r\n5017;Bjugn;300000\r\n";
    let body = preview(&app, round, table.as_bytes()).await;
    let errors = messages(&body, "errors");
    assert!(
        errors.iter().any(|e| e.starts_with("CSV!A2:")
            && e.contains("5001 er Trondheim i 2019")
            && e.contains("«Selbu» er 5032 Selbu")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("CSV!A3:")
            && e.contains("5057")
            && e.contains("fantes ikke i 2019")
            && e.contains("5017 Bjugn")),
        "{errors:#?}"
    );
    assert_eq!(errors.len(), 2, "{errors:#?}");

    // An old number in a later round is followed, with a warning that says so.
    let later = open_round(&app, "2026 gamle numre", 2026).await;
    let body = preview(
        &app,
        later,
        "Kommunenummer;Søker;Tildelt\r\n5017;Bjugn;300000\r\n".as_bytes(),
    )
    .await;
    assert!(
        messages(&body, "errors").is_empty(),
        "{:#?}",
        messages(&body, "errors")
    );
    let warnings = messages(&body, "warnings");
    assert!(
        warnings.iter().any(|w| w.starts_with("CSV!A2:")
            && w.contains("5017 (Bjugn)")
            && w.contains("5057 Ørland")),
        "{warnings:#?}"
    );
    assert_eq!(body["allocations"]["rows"][0]["kommunenummer"], "5057");
}

#[tokio::test]
async fn names_with_kommune_are_accepted_and_messages_are_said_once() {
    let app = officer().await;
    let round = open_round(&app, "2024 med kommune", 2024).await;
    let table = "Søker;Tildelt\r\nTrondheim kommune;100\r\nNamsos kommune;200\r\nTrøndelag fylkeskommune;300\r\n";
    let body = preview(&app, round, table.as_bytes()).await;
    let rows = body["allocations"]["rows"].as_array().unwrap();
    assert_eq!(rows[0]["kommunenummer"], "5001");
    assert_eq!(rows[1]["kommunenummer"], "5007");
    let errors = messages(&body, "errors");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("«Trøndelag fylkeskommune» er verken en kommune"),
        "{errors:#?}"
    );

    // Levanger under its 2024 name in a 2019 round is the same municipality: no warning.
    let round = open_round(&app, "2019 Levanger", 2019).await;
    let body = preview(
        &app,
        round,
        "Søker;Tildelt\r\nLevanger - Levangke;100\r\n".as_bytes(),
    )
    .await;
    assert!(
        messages(&body, "warnings").is_empty(),
        "{:#?}",
        messages(&body, "warnings")
    );
    assert_eq!(body["allocations"]["rows"][0]["kommunenummer"], "5037");

    // A bad amount is the cause; the total row is not blamed for it as well.
    let body = preview(
        &app,
        round,
        "Søker;Tildelt\r\nLevanger;1OO\r\nSnåsa;100\r\nSum;200\r\n".as_bytes(),
    )
    .await;
    assert_eq!(
        messages(&body, "errors"),
        vec!["CSV!B2: «1OO» er ikke et beløp.".to_string()]
    );
}

#[tokio::test]
async fn rows_hidden_by_a_filter_are_skipped_with_a_warning_naming_them() {
    let app = officer().await;
    for (file, format) in [
        ("tildeling-filtrert.xlsx", "xlsx"),
        ("tildeling-filtrert.ods", "ods"),
        ("tildeling-filtrert.xls", "xls"),
    ] {
        let round = open_round(&app, &format!("2019 filtrert {format}"), 2019).await;
        let response = app
            .upload(
                &format!("/api/v1/rounds/{round}/uploads"),
                file,
                &fixture(file),
                "allocations",
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        let body = response.json();
        assert!(
            messages(&body, "errors").is_empty(),
            "{file}: {:#?}",
            messages(&body, "errors")
        );
        let applicants: Vec<&str> = body["allocations"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["applicant"].as_str().unwrap())
            .collect();
        assert_eq!(applicants, ["Bjugn", "Hitra", "Klæbu"], "{file}");
        assert_eq!(body["allocations"]["total"], "1500000", "{file}");
        let warnings = messages(&body, "warnings");
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("Tildeling!A5: Rad 5 er skjult")
                    && w.contains("Grong · Avslått")),
            "{file}: {warnings:#?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("Tildeling!A7: Rad 7 er skjult")
                    && w.contains("Inderøy · Trukket")),
            "{file}: {warnings:#?}"
        );
    }
}

#[tokio::test]
async fn a_contradiction_or_an_unknown_name_asks_and_the_choice_is_stored() {
    let app = officer().await;
    let round = open_round(&app, "2024 spør", 2024).await;
    let table = "Kommunenummer;Søker;Tildelt\r\n5021;Holtålen;100\r\n;Holtlen kommune;200\r\n;Trondhjem;300\r\n";
    let body = preview(&app, round, table.as_bytes()).await;
    let upload = body["id"].as_i64().unwrap();
    let errors = messages(&body, "errors");
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].contains("Eller velg søker under."), "{errors:#?}");
    assert!(errors[1].contains("Mente du 5026 Holtålen"), "{errors:#?}");
    let questions = body["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 3, "{questions:#?}");
    // The contradiction offers both readings, and says which is which.
    let labels = |q: &Value| -> Vec<String> {
        q["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["label"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(questions[0]["typed"], "5021 / Holtålen");
    assert_eq!(
        labels(&questions[0]),
        ["5021 Oppdal (kommunenummeret)", "5026 Holtålen (navnet)"]
    );
    assert_eq!(labels(&questions[1])[0], "5026 Holtålen");
    let trondhjem = &questions[2];
    let cell = |q: &Value| q["cell"].as_str().unwrap().to_string();

    // Nothing can be confirmed while the rows are unsettled.
    let refused = app
        .post_json(&format!("/api/v1/uploads/{upload}/confirm"), &json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert!(
        refused.text().contains("velg søker for 3 rad(er)"),
        "{}",
        refused.text()
    );

    // A choice for a cell the preview did not ask about is refused, by name.
    let wrong = app
        .post_json(
            &format!("/api/v1/uploads/{upload}/applicants"),
            &json!({"choices": {"CSV!C2": "5026"}}),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text()
    );
    assert!(wrong.text().contains("CSV!C2"), "{}", wrong.text());

    // Two answered through the API; the third stays a question.
    let answered = app
        .post_json(
            &format!("/api/v1/uploads/{upload}/applicants"),
            &json!({"choices": {cell(&questions[0]): "5021", cell(&questions[1]): "5026"}}),
        )
        .await;
    assert_eq!(answered.status, StatusCode::CREATED, "{}", answered.text());
    let body = answered.json();
    let second = body["id"].as_i64().unwrap();
    assert_ne!(second, upload);
    assert_eq!(
        messages(&body, "errors").len(),
        1,
        "{:#?}",
        messages(&body, "errors")
    );
    assert!(
        messages(&body, "warnings")
            .iter()
            .any(|w| w
                .contains("Søker valgt ved opplastingen: Oppdal (filen oppgir «5021 / Holtålen»)")),
        "{:#?}",
        messages(&body, "warnings")
    );
    assert_eq!(body["questions"].as_array().unwrap().len(), 1);

    // The page form answers the last one and shows the new preview.
    let page = app.get(&format!("/uploads/{second}")).await.text();
    assert!(page.contains("Hvem søker?"), "{page}");
    assert!(
        page.contains(&format!(r#"action="/uploads/{second}/applicants""#)),
        "{page}"
    );
    let form = app
        .post_form(
            &format!("/uploads/{second}/applicants"),
            &[("celle", &cell(trondhjem)), ("soker", "5001")],
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.text());
    let third_path = form.header("location").unwrap().to_string();
    let third: i64 = third_path.rsplit('/').next().unwrap().parse().unwrap();
    let body = app.get(&format!("/api/v1/uploads/{third}")).await.json();
    assert!(
        messages(&body, "errors").is_empty(),
        "{:#?}",
        messages(&body, "errors")
    );
    let numbers: Vec<&str> = body["allocations"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kommunenummer"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["5021", "5026", "5001"]);
    let confirmed = app
        .post_json(&format!("/api/v1/uploads/{third}/confirm"), &json!({}))
        .await;
    assert!(confirmed.status.is_success(), "{}", confirmed.text());

    // A municipality cannot answer for the officer.
    let mut municipality = TestApp::with_sample_data().await;
    municipality.login("trondheim").await;
    let refused = municipality
        .post_json(
            &format!("/api/v1/uploads/{upload}/applicants"),
            &json!({"choices": {cell(&questions[0]): "5026"}}),
        )
        .await;
    assert!(
        matches!(
            refused.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ),
        "{}",
        refused.status
    );
}

#[tokio::test]
async fn the_command_line_answers_the_same_questions_with_applicant() {
    let app = officer().await;
    let round = open_round(&app, "2024 spør på kommandolinjen", 2024)
        .await
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tildeling.csv");
    std::fs::write(
        &file,
        "Kommunenummer;Søker;Tildelt\r\n5021;Holtålen;100\r\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let said = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    let asked = app.cli(&["import", "allocations", "--round", &round, file]);
    assert!(!asked.status.success(), "{}", said(&asked));
    assert!(
        said(&asked).contains(
            "spørsmål: CSV!B2: «5021 / Holtålen»: velg med --applicant \"CSV!B2=KOMMUNENUMMER\""
        ),
        "{}",
        said(&asked)
    );
    assert!(
        said(&asked).contains("5026 Holtålen (navnet)"),
        "{}",
        said(&asked)
    );

    // A cell not asked about is refused by name, as through the API.
    let wrong = app.cli(&[
        "import",
        "allocations",
        "--round",
        &round,
        "--applicant",
        "CSV!C2=5026",
        file,
    ]);
    assert!(!wrong.status.success());
    assert!(said(&wrong).contains("CSV!C2"), "{}", said(&wrong));
    let malformed = app.cli(&[
        "import",
        "allocations",
        "--round",
        &round,
        "--applicant",
        "CSV!B2",
        file,
    ]);
    assert!(
        said(&malformed).contains("skriv CELLE=SØKER"),
        "{}",
        said(&malformed)
    );

    let stored = app.cli(&[
        "import",
        "allocations",
        "--round",
        &round,
        "--applicant",
        "CSV!B2=5026",
        file,
    ]);
    assert!(stored.status.success(), "{}", said(&stored));
    assert!(
        said(&stored).contains("Søker valgt ved opplastingen: Holtålen"),
        "{}",
        said(&stored)
    );
    let body = app.get(&format!("/api/v1/rounds/{round}")).await.json();
    let holtalen = body["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["applicant"] == "Holtålen")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(holtalen["proposed"], "100");
}
