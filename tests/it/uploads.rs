//! Applications and allocation tables as spreadsheets, through the HTTP upload: the
//! round's workbook round trip, files made by LibreOffice, the tolerances, the hostile
//! files, the preview/confirm flow, versions, kept originals and the command line.

use crate::common;

use std::io::Cursor;
use std::time::Duration;

use axum::http::StatusCode;
use calamine::{Data, Reader, open_workbook_auto_from_rs};
use common::{TestApp, fixture, messages};
use rust_xlsxwriter::{Formula, Workbook};
use serde_json::{Value, json};
use tilskudd::app::uploads::UploadSettings;
use tilskudd::domain::application::{ApplicationInput, BudgetLineInput};
use tilskudd::sheets::isolate::Isolation;

/// A new open round for Trøndelag, made by the logged-in officer.
async fn open_round(app: &TestApp, name: &str, year: i32, pool: &str) -> i64 {
    let response = app
        .post_json(
            "/api/v1/rounds",
            &json!({"name": name, "year": year, "region": "Trøndelag", "pool": pool, "rounding_unit": "1"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()["id"].as_i64().unwrap()
}

fn no_errors(body: &Value) {
    assert!(
        messages(body, "errors").is_empty(),
        "{:#?}",
        messages(body, "errors")
    );
}

fn filled_input() -> ApplicationInput {
    let line = |category: &str, description: &str, applied: &str, own: &str| BudgetLineInput {
        category: category.into(),
        description: description.into(),
        applied: applied.into(),
        own_contribution: own.into(),
    };
    ApplicationInput {
        applicant: String::new(),
        project_title: Some("Koordinatorskole for Trondheim".into()),
        description: Some("Opplæring av koordinatorer i alle bydeler.".into()),
        contact_person: Some("Kari Nordmann".into()),
        email: Some("kari.nordmann@trondheim.kommune.no".into()),
        requested: None,
        budget_lines: vec![
            line("Lønn", "Prosjektleder 50 %", "350000", "150000"),
            line(
                "Kompetanseheving",
                "Kurs i koordinatorrollen",
                "120000.50",
                "0",
            ),
            line("Reise og møter", "Samlinger", "30000", "10000"),
        ],
    }
}

fn sheet_cells(bytes: &[u8], sheet: &str) -> calamine::Range<Data> {
    let mut workbook =
        open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).expect("readable workbook");
    workbook.worksheet_range(sheet).expect("sheet")
}

#[tokio::test]
async fn the_round_workbook_round_trips_and_versions_are_kept() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = open_round(&app, "Trøndelag 2027", 2027, "5 000 000").await;
    app.login("trondheim").await;

    // The kommune user downloads the round's workbook from the page and the API.
    let download = app
        .get(&format!("/rounds/{round_id}/soknadsskjema.xlsx"))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(
        download.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let api = app
        .get(&format!("/api/v1/rounds/{round_id}/template.xlsx"))
        .await;
    assert_eq!(api.status, StatusCode::OK);
    let workbook = open_workbook_auto_from_rs(Cursor::new(download.body.clone())).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        vec!["Søknad", "Budsjett", "Veiledning"]
    );
    let soknad = sheet_cells(&download.body, "Søknad");
    assert_eq!(
        soknad.get_value((3, 0)),
        Some(&Data::String("Søker".into()))
    );
    // Prefilled with the user's own organisation and its number.
    assert!(
        matches!(soknad.get_value((3, 1)), Some(Data::String(s)) if s.starts_with("Trondheim"))
    );
    assert_eq!(soknad.get_value((5, 1)), Some(&Data::String("5001".into())));
    let budsjett = sheet_cells(&download.body, "Budsjett");
    let headers: Vec<String> = (0..5)
        .map(|c| budsjett.get_value((2, c)).unwrap().to_string())
        .collect();
    assert_eq!(
        headers,
        [
            "Kategori",
            "Beskrivelse",
            "Kostnad (kr)",
            "Egenandel (kr)",
            "Omsøkt beløp (kr)"
        ]
    );
    let veiledning = sheet_cells(&download.body, "Veiledning");
    assert!(
        veiledning
            .get_value((0, 0))
            .unwrap()
            .to_string()
            .contains("Slik fyller du ut")
    );

    // Filled in (every input cell) and uploaded, it becomes exactly that application.
    let round = app.store.round(round_id).await.unwrap();
    let input = filled_input();
    let filled = tilskudd::sheets::template::application_workbook(
        &round,
        Some(("Trondheim", Some("5001"))),
        Some(&input),
    )
    .unwrap();
    let preview = app
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "søknad.xlsx",
            &filled,
            "application",
        )
        .await;
    assert_eq!(preview.status, StatusCode::CREATED, "{}", preview.text());
    let body = preview.json();
    no_errors(&body);
    assert_eq!(body["status"], "preview");
    assert_eq!(body["format"], "xlsx");
    assert_eq!(body["application"]["requested"], "500000.50");
    assert_eq!(
        body["application"]["input"]["project_title"],
        "Koordinatorskole for Trondheim"
    );
    let upload_id = body["id"].as_i64().unwrap();
    // Nothing is stored before the user confirms.
    let before = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    assert_eq!(before["applications"].as_array().unwrap().len(), 0);

    let confirmed = app
        .post_json(&format!("/api/v1/uploads/{upload_id}/confirm"), &json!({}))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    let confirmed = confirmed.json();
    assert_eq!(confirmed["status"], "confirmed");
    let application_id = confirmed["application_id"].as_i64().unwrap();
    let stored = app
        .get(&format!("/api/v1/applications/{application_id}"))
        .await
        .json();
    assert_eq!(stored["requested"], "500000.50");
    assert_eq!(stored["project_title"], "Koordinatorskole for Trondheim");
    assert_eq!(stored["contact_person"], "Kari Nordmann");
    assert_eq!(stored["email"], "kari.nordmann@trondheim.kommune.no");
    assert_eq!(
        stored["description"],
        "Opplæring av koordinatorer i alle bydeler."
    );
    let lines: Vec<(String, String, String, String)> = stored["budget_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap().to_string();
            (
                s("category"),
                s("description"),
                s("applied"),
                s("own_contribution"),
            )
        })
        .collect();
    let wanted: Vec<(String, String, String, String)> = input
        .budget_lines
        .iter()
        .map(|l| {
            let money = |s: &str| tilskudd::domain::Kroner::parse(s).unwrap().to_api_string();
            (
                l.category.clone(),
                l.description.clone(),
                money(&l.applied),
                money(&l.own_contribution),
            )
        })
        .collect();
    assert_eq!(lines, wanted);
    // Confirming twice stores nothing twice.
    let again = app
        .post_json(&format!("/api/v1/uploads/{upload_id}/confirm"), &json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());

    // The workbook downloaded again holds the stored application, and a changed upload
    // becomes version 2 with what changed named on the page.
    let again = app
        .get(&format!("/rounds/{round_id}/soknadsskjema.xlsx"))
        .await;
    let budsjett = sheet_cells(&again.body, "Budsjett");
    assert_eq!(
        budsjett.get_value((4, 1)),
        Some(&Data::String("Kurs i koordinatorrollen".into()))
    );
    let mut changed = input.clone();
    changed.budget_lines[1].applied = "90000".into();
    let second = tilskudd::sheets::template::application_workbook(
        &round,
        Some(("Trondheim", Some("5001"))),
        Some(&changed),
    )
    .unwrap();
    let preview = app
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "søknad v2.xlsx",
            &second,
            "application",
        )
        .await;
    assert_eq!(preview.status, StatusCode::CREATED, "{}", preview.text());
    let body = preview.json();
    no_errors(&body);
    assert_eq!(body["application"]["replaces_application"], application_id);
    let second_id = body["id"].as_i64().unwrap();
    let page = app
        .post_form(&format!("/uploads/{second_id}/confirm"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let stored = app
        .get(&format!("/api/v1/applications/{application_id}"))
        .await
        .json();
    assert_eq!(stored["requested"], "470000");
    let page = app
        .get(&format!("/applications/{application_id}"))
        .await
        .text();
    assert!(page.contains("Versjoner"), "{page}");
    assert!(
        page.contains("Omsøkt beløp: 500\u{a0}000,50\u{a0}kr → 470\u{a0}000\u{a0}kr"),
        "{page}"
    );
    assert!(
        page.contains("Budsjettlinje 2: omsøkt 120\u{a0}000,50\u{a0}kr → 90\u{a0}000\u{a0}kr"),
        "{page}"
    );

    // Both originals are kept and can be downloaded by those who may see the application.
    let original = app.get(&format!("/api/v1/uploads/{upload_id}/file")).await;
    assert_eq!(original.status, StatusCode::OK);
    assert_eq!(original.body, filled);
    let original = app.get(&format!("/uploads/{second_id}/file")).await;
    assert_eq!(original.body, second);
    assert!(
        original
            .header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    app.login("fosenhelse").await;
    assert_eq!(
        app.get(&format!("/api/v1/uploads/{upload_id}/file"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/uploads/{upload_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    // The draft is the municipality's own: officers see its files once it is submitted.
    app.login("saksbehandler").await;
    assert_eq!(
        app.get(&format!("/api/v1/uploads/{upload_id}/file"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.login("trondheim").await;
    let version = app
        .get(&format!("/api/v1/applications/{application_id}"))
        .await
        .json()["version"]
        .clone();
    let submitted = app
        .post_json(
            &format!("/api/v1/applications/{application_id}/submit"),
            &json!({"version": version}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    app.login("saksbehandler").await;
    assert_eq!(
        app.get(&format!("/api/v1/uploads/{upload_id}/file"))
            .await
            .body,
        filled
    );
}

#[tokio::test]
async fn files_saved_by_libreoffice_read_like_ours() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = open_round(&app, "Trøndelag 2027", 2027, "5 000 000").await;
    let mut previews = Vec::new();
    for (file, format) in [
        ("soknad-utfylt.xlsx", "xlsx"),
        ("soknad-utfylt.xls", "xls"),
        ("soknad-utfylt.ods", "ods"),
    ] {
        // A misleading name does not matter: the content decides.
        let response = app
            .upload(
                &format!("/api/v1/rounds/{round_id}/uploads"),
                "soknad.xlsx",
                &fixture(file),
                "application",
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "{file}: {}",
            response.text()
        );
        let body = response.json();
        no_errors(&body);
        assert_eq!(body["format"], format, "{file}");
        assert_eq!(body["application"]["requested"], "500000.50", "{file}");
        assert_eq!(body["application"]["kommunenummer"], "5001", "{file}");
        previews.push(body["application"]["budget_lines"].clone());
    }
    assert_eq!(previews[0], previews[1]);
    assert_eq!(previews[0], previews[2]);
    assert_eq!(previews[0].as_array().unwrap().len(), 3);
}

/// A workbook built cell by cell, the way people fill them in by hand.
fn handmade(
    build: impl FnOnce(&mut rust_xlsxwriter::Worksheet, &mut rust_xlsxwriter::Worksheet),
) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let mut soknad = rust_xlsxwriter::Worksheet::new();
    soknad.set_name("Søknad").unwrap();
    let mut budsjett = rust_xlsxwriter::Worksheet::new();
    budsjett.set_name("Budsjett").unwrap();
    build(&mut soknad, &mut budsjett);
    workbook.push_worksheet(soknad);
    workbook.push_worksheet(budsjett);
    workbook.save_to_buffer().unwrap()
}

#[tokio::test]
async fn tolerant_where_people_are_inconsistent() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = open_round(&app, "Trøndelag 2027", 2027, "5 000 000").await;
    let upload = |bytes: Vec<u8>| {
        let app = &app;
        async move {
            let response = app
                .upload(
                    &format!("/api/v1/rounds/{round_id}/uploads"),
                    "fra-kommunen.xlsx",
                    &bytes,
                    "application",
                )
                .await;
            assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
            response.json()
        }
    };

    // Labels moved down and right, a name in other letters and case, amounts as text in
    // every Norwegian form, empty rows and columns, a title above the budget header,
    // and a total row whose formula results agree.
    let body = upload(handmade(|soknad, budsjett| {
        soknad.write_string(0, 1, "Søknad fra kommunen").unwrap();
        soknad.write_string(6, 1, "søker").unwrap();
        soknad.write_string(6, 3, "  ORLAND ").unwrap();
        soknad.write_string(8, 1, "Prosjekttittel").unwrap();
        soknad.write_string(8, 2, "Felles koordinator").unwrap();
        soknad.write_string(9, 1, "E-post").unwrap();
        soknad.write_string(9, 2, "post@orland.kommune.no").unwrap();
        soknad.write_string(10, 1, "Kontaktperson").unwrap();
        soknad.write_string(10, 2, "Ola Nordmann").unwrap();
        budsjett
            .write_string(0, 1, "Budsjett for prosjektet")
            .unwrap();
        budsjett.write_string(1, 1, "Alle beløp i kroner").unwrap();
        for (col, h) in [
            "Kategori",
            "Beskrivelse",
            "Kostnad (kr)",
            "Egenandel (kr)",
            "Omsøkt beløp (kr)",
        ]
        .iter()
        .enumerate()
        {
            budsjett.write_string(4, 1 + col as u16 * 2, *h).unwrap();
        }
        let rows: [(&str, &str, &str, &str, &str); 5] = [
            ("lønn", "Koordinator", "600 000", "0", "600\u{a0}000"),
            ("Kompetanseheving", "Kurs", "600.000", "0", "kr 600 000,-"),
            ("Reise og møter", "Reiser", "1 234,50", "0", "1 234,50"),
            ("Utstyr", "PC", "10000", "2 000", "8000"),
            ("Annet", "Trykking", "500", "0", "500"),
        ];
        let mut row = 5;
        for (i, (cat, desc, cost, own, applied)) in rows.iter().enumerate() {
            if i == 2 {
                row += 2; // empty rows in the middle
            }
            budsjett.write_string(row, 1, *cat).unwrap();
            budsjett.write_string(row, 3, *desc).unwrap();
            budsjett.write_string(row, 5, *cost).unwrap();
            if *own == "0" {
                budsjett.write_number(row, 7, 0.0).unwrap();
            } else {
                budsjett.write_string(row, 7, *own).unwrap();
            }
            budsjett.write_string(row, 9, *applied).unwrap();
            row += 1;
        }
        budsjett.write_string(row + 1, 1, "Totalt").unwrap();
        budsjett
            .write_formula(
                row + 1,
                9,
                Formula::new("=SUM(J6:J12)").set_result("1209734.5"),
            )
            .unwrap();
    }))
    .await;
    no_errors(&body);
    let application = &body["application"];
    assert_eq!(application["kommunenummer"], "5057", "{application}");
    assert_eq!(application["applicant_name"], "Ørland");
    assert_eq!(application["requested"], "1209734.50");
    let lines = application["budget_lines"].as_array().unwrap();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0]["category"], "Lønn");
    assert_eq!(lines[1]["applied"], "600000");
    assert_eq!(lines[2]["applied"], "1234.50");
    assert_eq!(lines[3]["own_contribution"], "2000");

    // A kommunenummer typed as the number 301 is 0301; an old number (1601 Trondheim,
    // before 2018) is followed to the round's year with a warning naming the cell.
    let body = upload(handmade(|soknad, budsjett| {
        soknad.write_string(3, 0, "Kommunenummer").unwrap();
        soknad.write_number(3, 1, 1601.0).unwrap();
        budsjett.write_string(0, 0, "Kategori").unwrap();
        budsjett.write_string(0, 1, "Omsøkt beløp").unwrap();
        budsjett.write_string(1, 0, "Lønn").unwrap();
        budsjett.write_number(1, 1, 100000.0).unwrap();
    }))
    .await;
    // Without a description column, the missing description is named by its row.
    assert_eq!(
        messages(&body, "errors"),
        ["Budsjett!A2: Budsjettpost 1: beskrivelse må fylles ut."]
    );
    assert_eq!(body["application"]["kommunenummer"], "5001");
    assert!(
        messages(&body, "warnings").iter().any(|w| w.starts_with(
            "Søknad!B4: Kommunenummer 1601 (Trondheim) gjaldt ikke i 2027; kommunen ble til 5001"
        )),
        "{:?}",
        messages(&body, "warnings")
    );
    let body = upload(handmade(|soknad, budsjett| {
        soknad.write_string(3, 0, "Kommunenummer").unwrap();
        soknad.write_number(3, 1, 301.0).unwrap();
        budsjett.write_string(0, 0, "Kategori").unwrap();
        budsjett.write_string(0, 1, "Omsøkt beløp").unwrap();
        budsjett.write_string(1, 0, "Lønn").unwrap();
        budsjett.write_number(1, 1, 100000.0).unwrap();
    }))
    .await;
    assert_eq!(body["application"]["kommunenummer"], "0301", "{body}");

    // What is wrong is named by sheet and cell, errors apart from warnings, and a total
    // row that does not agree gives both numbers.
    let body = upload(handmade(|soknad, budsjett| {
        soknad.write_string(3, 0, "Søker").unwrap();
        soknad.write_string(3, 1, "Trondheim").unwrap();
        budsjett.write_string(2, 0, "Kategori").unwrap();
        budsjett.write_string(2, 1, "Beskrivelse").unwrap();
        budsjett.write_string(2, 2, "Kostnad (kr)").unwrap();
        budsjett.write_string(2, 3, "Egenandel (kr)").unwrap();
        budsjett.write_string(2, 4, "Omsøkt beløp (kr)").unwrap();
        for row in 3..6 {
            budsjett.write_string(row, 0, "Lønn").unwrap();
            budsjett.write_number(row, 2, 10000.0).unwrap();
            budsjett.write_number(row, 3, 0.0).unwrap();
            budsjett.write_number(row, 4, 10000.0).unwrap();
        }
        budsjett.write_string(6, 0, "Hyttetur").unwrap();
        budsjett.write_string(6, 3, "12 000,5O").unwrap();
        budsjett.write_number(6, 4, 1.0).unwrap();
        budsjett.write_string(7, 0, "Sum").unwrap();
        budsjett.write_number(7, 4, 99999.0).unwrap();
    }))
    .await;
    let errors = messages(&body, "errors");
    assert!(
        errors.contains(&"Budsjett!D7: «12 000,5O» er ikke et beløp.".to_string()),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Budsjett!A7: «Hyttetur» er ikke en kategori")),
        "{errors:#?}"
    );
    assert!(
        errors.contains(&"Budsjett!E8: Sum omsøkt beløp i sum-raden (99\u{a0}999\u{a0}kr) stemmer ikke med summen av linjene (30\u{a0}001\u{a0}kr).".to_string()),
        "{errors:#?}"
    );
    assert_eq!(body["status"], "rejected");
    let id = body["id"].as_i64().unwrap();
    // A rejected upload cannot be confirmed, but its preview page shows every problem.
    let confirm = app
        .post_json(&format!("/api/v1/uploads/{id}/confirm"), &json!({}))
        .await;
    assert_eq!(confirm.status, StatusCode::CONFLICT);
    let page = app.get(&format!("/uploads/{id}")).await.text();
    assert!(page.contains("«12 000,5O» er ikke et beløp."), "{page}");
    assert!(page.contains("Budsjett"), "{page}");
}

#[tokio::test]
async fn hostile_and_broken_files_get_a_clear_message_and_are_kept() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = open_round(&app, "Trøndelag 2027", 2027, "5 000 000").await;
    // A short time limit, so the zip bomb that lies about its size ends quickly.
    let mut isolation = Isolation::new(env!("CARGO_BIN_EXE_tilskudd").into());
    isolation.timeout = Duration::from_secs(5);
    let app = app.with_uploads(UploadSettings {
        limits: Default::default(),
        isolation,
    });

    let good = fixture("soknad-utfylt.xlsx");
    let mut many_sheets = Workbook::new();
    for i in 0..300 {
        many_sheets
            .add_worksheet()
            .set_name(format!("Ark {i}"))
            .unwrap();
    }
    let png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("zip-bomb.xlsx", fixture("zip-bomb.xlsx"), "zip-bombe"),
        (
            "zip-bomb-lying.xlsx",
            fixture("zip-bomb-lying.xlsx"),
            "kunne ikke leses",
        ),
        // Found by the fuzzer: calamine 0.38 panics on this .xls (utils.rs, slice index).
        (
            "calamine-panic.xls",
            fixture("calamine-panic.xls"),
            "Regnearket kunne ikke leses",
        ),
        (
            "avbrutt.xlsx",
            good[..good.len() / 2].to_vec(),
            "skadet eller ufullstendig",
        ),
        ("bilde.xlsx", png, "bilde (PNG)"),
        ("tom.xlsx", Vec::new(), "Filen er tom."),
        (
            "mange-ark.xlsx",
            many_sheets.save_to_buffer().unwrap(),
            "300 ark; høyst 50",
        ),
        (
            "tekst.xlsx",
            b"Dette er ikke et regneark".to_vec(),
            "ikke et regneark",
        ),
    ];
    for (name, bytes, expected) in cases {
        let response = app
            .upload(
                &format!("/api/v1/rounds/{round_id}/uploads"),
                name,
                &bytes,
                "application",
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            response.text()
        );
        let body = response.json();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{name}: {message}");
        assert_eq!(body["status"], "rejected");
        // The original is kept, also when rejected.
        let id = body["id"].as_i64().unwrap();
        let kept = app.get(&format!("/api/v1/uploads/{id}/file")).await;
        assert_eq!(kept.status, StatusCode::OK, "{name}");
        assert_eq!(kept.body, bytes, "{name}");
    }
    // The same on the page: the upload form leads to a page with the message.
    let page = app
        .upload(
            &format!("/rounds/{round_id}/uploads"),
            "tom.xlsx",
            b"",
            "application",
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let shown = app.get(page.header("location").unwrap()).await.text();
    assert!(shown.contains("Filen er tom."), "{shown}");

    // Above the size limit: refused with the limit named, and the server goes on.
    let small = app.with_uploads(UploadSettings {
        limits: tilskudd::sheets::detect::Limits {
            max_file_bytes: 5_000,
            ..Default::default()
        },
        isolation: Isolation::new(env!("CARGO_BIN_EXE_tilskudd").into()),
    });
    let response = small
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "stor.xlsx",
            &good,
            "application",
        )
        .await;
    assert!(response.status.is_client_error(), "{}", response.status);
    assert!(response.text().contains("for stor"), "{}", response.text());
    let response = app
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "god.xlsx",
            &good,
            "application",
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
}

/// A reader that crashes or hangs ends that one upload with a message; the server, and
/// everyone else's requests, go on.
#[tokio::test]
async fn a_crashing_or_hanging_reader_is_contained() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = open_round(&app, "Trøndelag 2027", 2027, "5 000 000").await;
    let dir = tempfile::tempdir().unwrap();
    let script = |name: &str, body: &str| {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    };
    let good = fixture("soknad-utfylt.xlsx");
    for (path, expected) in [
        (
            script("krasj", "cat > /dev/null; kill -ABRT $$"),
            "kunne ikke leses",
        ),
        (
            script("heng", "cat > /dev/null; sleep 30"),
            "tok for lang tid",
        ),
        (
            script("tull", "cat > /dev/null; echo '{\"noe\": 1'"),
            "kunne ikke leses",
        ),
    ] {
        let mut isolation = Isolation::new(path);
        isolation.timeout = Duration::from_secs(2);
        let broken = app.with_uploads(UploadSettings {
            limits: Default::default(),
            isolation,
        });
        let response = broken
            .upload(
                &format!("/api/v1/rounds/{round_id}/uploads"),
                "soknad.xlsx",
                &good,
                "application",
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        let message = response.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(expected), "{message}");
        assert_eq!(broken.get("/api/v1/rounds").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_2019_table_imports_as_csv_xlsx_ods_and_xls() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    for (file, format) in [
        ("tildeling-2019.csv", "csv"),
        ("tildeling-2019.xlsx", "xlsx"),
        ("tildeling-2019.ods", "ods"),
        ("tildeling-2019.xls", "xls"),
    ] {
        let round_id = open_round(
            &app,
            &format!("Trøndelag 2019 ({format})"),
            2019,
            "13 914 871",
        )
        .await;
        // The 2019 allocation was decided and published by Helsedirektoratet: it is
        // imported as that decision, with its source.
        let response = app
            .upload_with(
                &format!("/api/v1/rounds/{round_id}/uploads"),
                file,
                &fixture(file),
                &[
                    ("kind", "allocations"),
                    ("historical_source", "Helsedirektoratet 26.06.2019"),
                ],
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "{file}: {}",
            response.text()
        );
        let body = response.json();
        no_errors(&body);
        assert_eq!(body["format"], format);
        let table = &body["allocations"];
        assert_eq!(table["rows"].as_array().unwrap().len(), 22, "{file}");
        assert_eq!(table["total"], "13914871", "{file}");
        let fosen = table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["applicant"] == "Fosen helse")
            .unwrap();
        assert!(
            fosen["applicant_ref"].as_str().unwrap().starts_with("org:"),
            "{fosen}"
        );
        let id = body["id"].as_i64().unwrap();
        let confirmed = app
            .post_json(&format!("/api/v1/uploads/{id}/confirm"), &json!({}))
            .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
        assert_eq!(confirmed.json()["imported"], 22);
        let round = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
        assert_eq!(round["allocated_total"], "13914871", "{round}");
        assert_eq!(round["remaining"], "0");
        assert_eq!(round["phase"], "decided");
        assert_eq!(round["decision_source"], "Helsedirektoratet 26.06.2019");
        assert_eq!(round["applications"].as_array().unwrap().len(), 22);
    }

    // A total above the pool is refused, with both numbers.
    let round_id = open_round(&app, "Trøndelag 2019 (for liten ramme)", 2019, "10 000 000").await;
    let response = app
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "t.csv",
            &fixture("tildeling-2019.csv"),
            "allocations",
        )
        .await;
    let body = response.json();
    let errors = messages(&body, "errors");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("13\u{a0}914\u{a0}871") && e.contains("10\u{a0}000\u{a0}000")),
        "{errors:?}"
    );
    let id = body["id"].as_i64().unwrap();
    let confirm = app
        .post_json(&format!("/api/v1/uploads/{id}/confirm"), &json!({}))
        .await;
    assert_eq!(confirm.status, StatusCode::CONFLICT);

    // Kommune users cannot import allocations.
    app.login("trondheim").await;
    let response = app
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "t.csv",
            &fixture("tildeling-2019.csv"),
            "allocations",
        )
        .await;
    assert!(
        matches!(
            response.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ),
        "{}",
        response.status
    );
}

#[tokio::test]
async fn the_command_line_imports_allocations_with_a_dry_run() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = open_round(&app, "Trøndelag 2019 (kommandolinjen)", 2019, "13 914 871").await;
    let file = format!(
        "{}/tests/fixtures/tildeling-2019.xlsx",
        env!("CARGO_MANIFEST_DIR")
    );
    let round = round_id.to_string();

    let dry = app.cli(&[
        "import",
        "allocations",
        "--round",
        &round,
        "--dry-run",
        &file,
    ]);
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        stdout.contains("22 rader, sum 13\u{a0}914\u{a0}871\u{a0}kr"),
        "{stdout}"
    );
    assert!(stdout.contains("Prøvekjøring"), "{stdout}");
    let round_body = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    assert_eq!(round_body["allocated_total"], "0");

    // Without a source the amounts are proposals for the round's own decision.
    let real = app.cli(&["import", "allocations", "--round", &round, &file]);
    assert!(
        real.status.success(),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
    let round_body = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    assert_eq!(round_body["proposed_total"], "13914871");
    assert_eq!(round_body["allocated_total"], "0");

    // With a source, as a decision published elsewhere: granted, and the round decided.
    let published = open_round(&app, "Trøndelag 2019 (publisert)", 2019, "13 914 871")
        .await
        .to_string();
    let real = app.cli(&[
        "import",
        "allocations",
        "--round",
        &published,
        "--historical-source",
        "Helsedirektoratet 26.06.2019",
        &file,
    ]);
    assert!(
        real.status.success(),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
    let round_body = app.get(&format!("/api/v1/rounds/{published}")).await.json();
    assert_eq!(round_body["allocated_total"], "13914871");
    assert_eq!(round_body["phase"], "decided");

    // Into a round whose pool is too small: the messages, and a failing exit status.
    let small = open_round(&app, "Trøndelag 2019 (liten)", 2019, "1 000 000")
        .await
        .to_string();
    let refused = app.cli(&[
        "import",
        "allocations",
        "--round",
        &small,
        "--dry-run",
        &file,
    ]);
    assert!(!refused.status.success());
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(stdout.contains("feil:"), "{stdout}");
    let broken = app.cli(&[
        "import",
        "allocations",
        "--round",
        &small,
        &format!("{}/Cargo.toml", env!("CARGO_MANIFEST_DIR")),
    ]);
    assert!(!broken.status.success());
    let missing = app.cli(&["import", "allocations", "--round", "999999", &file]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("--round"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );

    // Every import is in the audit log.
    let audit = app.get(&format!("/api/v1/audit?round={round_id}")).await;
    assert!(audit.text().contains("upload"), "{}", audit.text());
}

#[tokio::test]
async fn a_refused_preview_says_nothing_is_stored_and_offers_a_new_upload() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let response = app
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "soknad-feil-orgnr.xlsx",
            &common::fixture("soknad-feil-orgnr.xlsx"),
            "application",
        )
        .await;
    let id = response.json()["id"].as_i64().unwrap();
    assert!(!response.json()["errors"].as_array().unwrap().is_empty());
    let page = app.get(&format!("/uploads/{id}")).await.text();
    assert!(page.contains("slik filen ble lest (lagres ikke)"), "{page}");
    assert!(!page.contains("Søknaden som lagres"));
    assert!(page.contains("Last opp en rettet fil"));
    assert!(page.contains(&format!(r#"action="/rounds/{round_id}/uploads""#)));
    assert!(!page.contains("Bekreft og lagre"));
}

#[tokio::test]
async fn every_error_of_a_workbook_is_shown_at_once_and_the_applicant_is_asked() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = open_round(&app, "Trøndelag 2028", 2028, "5 000 000").await;
    // Five mistakes on two sheets, and an applicant name nobody has.
    let bytes = handmade(|soknad, budsjett| {
        for (row, label, value) in [
            (1, "Søker", "Holtlen kommune"),
            (2, "Organisasjonsnummer", "123 456 789"),
            (3, "Prosjekttittel", "Koordinatorløftet"),
            (4, "Kontaktperson", "Kari Nordmann"),
            (5, "E-post", "kari.nordmann(at)kommune.no"),
        ] {
            soknad.write_string(row, 0, label).unwrap();
            soknad.write_string(row, 1, value).unwrap();
        }
        for (col, h) in [
            "Kategori",
            "Beskrivelse",
            "Kostnad",
            "Egenandel",
            "Omsøkt beløp",
        ]
        .iter()
        .enumerate()
        {
            budsjett.write_string(0, col as u16, *h).unwrap();
        }
        budsjett.write_string(1, 0, "Lønn").unwrap();
        budsjett.write_string(1, 1, "Prosjektleder").unwrap();
        budsjett.write_string(1, 2, "100 000").unwrap();
        budsjett.write_string(1, 4, "12 000,5O").unwrap();
        budsjett.write_string(2, 0, "Fest").unwrap();
        budsjett.write_string(2, 1, "Avslutning").unwrap();
        budsjett.write_string(2, 4, "5 000").unwrap();
    });
    let response = app
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "mange-feil.xlsx",
            &bytes,
            "application",
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    let errors = messages(&body, "errors");
    let at = |prefix: &str| errors.iter().filter(|e| e.starts_with(prefix)).count();
    assert_eq!(at("Søknad!B2:"), 1, "{errors:#?}");
    assert!(
        errors.iter().any(|e| e.starts_with("Søknad!B2:")
            && e.contains("Mente du 5026 Holtålen? Velg søker under.")),
        "{errors:#?}"
    );
    assert_eq!(at("Søknad!B3:"), 1, "{errors:#?}");
    assert_eq!(at("Søknad!B6:"), 1, "{errors:#?}");
    assert_eq!(at("Budsjett!E2:"), 1, "{errors:#?}");
    assert_eq!(at("Budsjett!A3:"), 1, "{errors:#?}");
    assert_eq!(errors.len(), 5, "{errors:#?}");
    let questions = body["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0]["cell"], "Søknad!B2");

    // Choosing the applicant leaves the file's own four errors, every one of them.
    let id = body["id"].as_i64().unwrap();
    let chosen = app
        .post_json(
            &format!("/api/v1/uploads/{id}/applicants"),
            &json!({"choices": {"Søknad!B2": "5026"}}),
        )
        .await;
    assert_eq!(chosen.status, StatusCode::CREATED, "{}", chosen.text());
    let body = chosen.json();
    assert_eq!(
        messages(&body, "errors").len(),
        4,
        "{:#?}",
        messages(&body, "errors")
    );
    assert_eq!(body["application"]["applicant_name"], "Holtålen");
    assert!(body["questions"].as_array().unwrap().is_empty());
}
