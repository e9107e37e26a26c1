//! Statistics from SSB/KPR files, through the HTTP upload, the page and the command line:
//! encodings, SSB's symbols, the register check, the long and wide layouts, xlsx, the
//! consistency warnings, re-imports and replaced values, and who may import.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, messages};
use serde_json::Value;

/// A multipart upload with `file` and, if given, `indicator`.
async fn post_file(
    app: &TestApp,
    path: &str,
    filename: &str,
    bytes: &[u8],
    indicator: Option<&str>,
) -> common::TestResponse {
    let boundary = "statistikk-test-grense";
    let mut body = Vec::new();
    if let Some(code) = indicator {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"indicator\"\r\n\r\n{code}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.request(
        Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn preview(app: &TestApp, filename: &str, bytes: &[u8], indicator: Option<&str>) -> Value {
    let response = post_file(
        app,
        "/api/v1/statistics/uploads",
        filename,
        bytes,
        indicator,
    )
    .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

async fn confirm(app: &TestApp, preview: &Value) -> Value {
    let id = preview["id"].as_i64().unwrap();
    let response = app
        .post_json(
            &format!("/api/v1/uploads/{id}/confirm"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

fn counts(body: &Value) -> (i64, i64, i64) {
    let c = &body["statistics"]["counts"];
    (
        c["new"].as_i64().unwrap(),
        c["changed"].as_i64().unwrap(),
        c["unchanged"].as_i64().unwrap(),
    )
}

/// Text as Windows-1252 (the Norwegian letters are all in its Latin-1 part).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
        .collect()
}

async fn officer() -> TestApp {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    app
}

/// The stored observations of one municipality and indicator, as the API gives them.
async fn stored(app: &TestApp, kommunenummer: &str, indicator: &str) -> Vec<Value> {
    let body = app
        .get(&format!(
            "/api/v1/statistics/municipalities?kommunenummer={kommunenummer}"
        ))
        .await
        .json();
    body["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["indicator_code"] == indicator)
        .cloned()
        .collect()
}

fn year_of(observations: &[Value], year: i64) -> &Value {
    let found: Vec<&Value> = observations.iter().filter(|o| o["year"] == year).collect();
    assert_eq!(found.len(), 1, "{observations:#?}");
    found[0]
}

/// An SSB-style table: a title line, quoted fields, semicolons, decimal comma, and all
/// four symbols; Bjugn with its years, as SSB writes a municipality that is gone.
const SSB_COORDINATOR: &str = "\"12345: Andel mottakere med koordinator (prosent)\"\n\
\"region\";\"år\";\"Andel mottakere med koordinator (prosent)\"\n\
\"5001 Trondheim\";\"2015\";\"12,6\"\n\
\"5055 Heim\";\"2021\";\"..\"\n\
\"5057 Ørland\";\"2021\";\":\"\n\
\"5017 Bjugn (2018-2019)\";\"2019\";\"-\"\n\
\"5053 Inderøy\";\"2021\";\".\"\n\
\n\
\"Kilde: KPR\"\n";

async fn check_symbols_stored(app: &TestApp) {
    for (region, year, symbol) in [
        ("5055", 2021, ".."),
        ("5057", 2021, ":"),
        ("5017", 2019, "-"),
        ("5053", 2021, "."),
    ] {
        let all = stored(app, region, "andel_koordinator").await;
        let o = year_of(&all, year);
        assert_eq!(o["symbol"], symbol, "{region} {year}");
        assert!(o["value"].is_null(), "{region} {year}: never 0");
        assert_eq!(o["synthetic"], false);
    }
    let trondheim = stored(app, "5001", "andel_koordinator").await;
    assert_eq!(year_of(&trondheim, 2015)["value"], "12.6");
    let page = app.get("/statistikk?aar=2021").await.text();
    for symbol in ["..", ":", "."] {
        assert!(
            page.contains(&format!("<td class=\"num\">{symbol}</td>")),
            "{symbol} on /statistikk"
        );
    }
    let page = app.get("/statistikk?aar=2019").await.text();
    assert!(page.contains("<td class=\"num\">-</td>"));
}

#[tokio::test]
async fn an_ssb_csv_in_utf8_with_bom_keeps_all_four_symbols() {
    let app = officer().await;
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(SSB_COORDINATOR.as_bytes());
    let body = preview(&app, "koordinator.csv", &bytes, None).await;
    assert_eq!(body["kind"], "statistics");
    assert!(body["round_id"].is_null());
    assert_eq!(body["status"], "preview");
    assert_eq!(messages(&body, "errors"), Vec::<String>::new());
    // Bjugn's number is valid for 2019, and the names match the register.
    assert_eq!(messages(&body, "warnings"), Vec::<String>::new());
    let rows = body["statistics"]["observations"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["cell"], "CSV!C3");
    assert_eq!(rows[1]["region_name"], "Heim");
    assert_eq!(rows[2]["region_name"], "Ørland");
    assert_eq!(rows[3]["region_name"], "Bjugn");
    // 5001 in 2015 is new; the others replace synthetic demonstration figures.
    assert_eq!(counts(&body), (1, 4, 0));
    let confirmed = confirm(&app, &body).await;
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["imported"]["new"], 1);
    assert_eq!(confirmed["imported"]["changed"], 4);
    check_symbols_stored(&app).await;
}

#[tokio::test]
async fn an_ssb_csv_in_windows_1252_reads_the_norwegian_letters() {
    let app = officer().await;
    let bytes = windows_1252(SSB_COORDINATOR);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let body = preview(&app, "koordinator-1252.csv", &bytes, None).await;
    assert_eq!(messages(&body, "errors"), Vec::<String>::new());
    assert_eq!(messages(&body, "warnings"), Vec::<String>::new());
    assert_eq!(
        body["statistics"]["observations"][2]["region_name"],
        "Ørland"
    );
    confirm(&app, &body).await;
    check_symbols_stored(&app).await;
    // The original is kept byte for byte.
    let id = body["id"].as_i64().unwrap();
    let original = app.get(&format!("/api/v1/uploads/{id}/file")).await;
    assert_eq!(original.body, bytes);
}

#[tokio::test]
async fn a_bad_cell_is_named_and_nothing_is_stored() {
    let app = officer().await;
    let csv = "region;år;Andel mottakere med koordinator (prosent)\n\
               5001 Trondheim;2015;12,6\n\
               5055 Heim;2015;12,6x\n\
               9999 Ukjent;2015;5\n";
    let body = preview(&app, "feil.csv", csv.as_bytes(), None).await;
    assert_eq!(body["status"], "rejected");
    assert_eq!(
        messages(&body, "errors"),
        vec!["CSV!C3: «12,6x» er ikke et tall eller et av SSB-symbolene .. . : -".to_string()]
    );
    // An unknown kommunenummer is a warning with its cell, not an error.
    let warnings = messages(&body, "warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("CSV!A4: Kommunenummer 9999 finnes ikke")),
        "{warnings:?}"
    );
    let id = body["id"].as_i64().unwrap();
    let refused = app
        .post_json(
            &format!("/api/v1/uploads/{id}/confirm"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert!(
        year_of(&stored(&app, "5001", "andel_koordinator").await, 2019)["value"].is_string(),
        "the synthetic figures are still there"
    );
    assert!(
        stored(&app, "5001", "andel_koordinator")
            .await
            .iter()
            .all(|o| o["year"] != 2015)
    );
    // The rejected original is kept too.
    let original = app.get(&format!("/api/v1/uploads/{id}/file")).await;
    assert_eq!(original.status, StatusCode::OK);
    assert_eq!(original.body, csv.as_bytes());

    // A heading that names no indicator: the cell and the known indicators.
    let unknown = preview(
        &app,
        "ukjent.csv",
        b"region;aar;Sykefravaer\n5001;2015;5\n",
        None,
    )
    .await;
    let errors = messages(&unknown, "errors");
    assert!(
        errors[0].starts_with("CSV!C1: «Sykefravaer» er ikke en indikator")
            && errors[0].contains("andel_individuell_plan"),
        "{errors:?}"
    );
    // … which the explicit choice settles.
    let chosen = preview(
        &app,
        "ukjent.csv",
        b"region;aar;Sykefravaer\n5001;2015;5\n",
        Some("andel_individuell_plan"),
    )
    .await;
    assert_eq!(messages(&chosen, "errors"), Vec::<String>::new());
    assert_eq!(
        chosen["statistics"]["observations"][0]["indicator"],
        "andel_individuell_plan"
    );
    let wrong_choice = post_file(
        &app,
        "/api/v1/statistics/uploads",
        "x.csv",
        b"region;aar;x\n5001;2015;5\n",
        Some("sykefravaer"),
    )
    .await;
    assert_eq!(wrong_choice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_choice.text().contains("indicator"));
    // A file that is no table at all: kept, and a message.
    let garbage = post_file(&app, "/api/v1/statistics/uploads", "tom.csv", b"", None).await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(garbage.json()["message"], "Filen er tom.");
}

#[tokio::test]
async fn a_wide_table_with_years_as_columns() {
    let app = officer().await;
    let csv = "Mottakere av hjemmetjenester (antall)\n\
               \n\
               region;2014;2015\n\
               5001 Trondheim;9 100;9 312\n\
               5017 Bjugn (2018-2019);412;..\n\
               Hele landet;200 000;203 000\n";
    let body = preview(&app, "bred.csv", csv.as_bytes(), None).await;
    assert_eq!(messages(&body, "errors"), Vec::<String>::new());
    let table = &body["statistics"];
    assert!(table["layout"].as_str().unwrap().starts_with("bred"));
    assert_eq!(table["indicators"], serde_json::json!(["mottakere"]));
    assert_eq!(table["observations"].as_array().unwrap().len(), 6);
    assert_eq!(table["observations"][1]["cell"], "CSV!C4");
    confirm(&app, &body).await;
    let trondheim = stored(&app, "5001", "mottakere").await;
    assert_eq!(year_of(&trondheim, 2015)["value"], "9312");
    assert_eq!(
        year_of(&stored(&app, "5017", "mottakere").await, 2015)["symbol"],
        ".."
    );
    let national = app.get("/api/v1/statistics/national").await.json();
    assert!(
        national["observations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["indicator_code"] == "mottakere"
                && o["year"] == 2014
                && o["value"] == "200000")
    );
}

#[tokio::test]
async fn an_xlsx_file_with_numbers_is_read_exactly() {
    let app = officer().await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Ark1").unwrap();
    sheet
        .write_string(0, 0, "Andel mottakere med virksom individuell plan")
        .unwrap();
    sheet.write_string(2, 0, "Kommune").unwrap();
    sheet.write_string(2, 1, "År").unwrap();
    sheet
        .write_string(2, 2, "Andel med individuell plan (prosent)")
        .unwrap();
    // Oslo as Excel keeps a number: 301.
    sheet.write_number(3, 0, 301).unwrap();
    sheet.write_number(3, 1, 2015).unwrap();
    sheet.write_number(3, 2, 4.1).unwrap();
    sheet.write_string(4, 0, "5001 Trondheim").unwrap();
    sheet.write_number(4, 1, 2015).unwrap();
    sheet.write_number(4, 2, 0.3).unwrap();
    sheet.write_string(5, 0, "5001 Trondheim").unwrap();
    sheet.write_number(5, 1, 2014).unwrap();
    sheet.write_string(5, 2, "12,6x").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let body = preview(&app, "plan.xlsx", &bytes, None).await;
    assert_eq!(body["format"], "xlsx");
    assert_eq!(
        messages(&body, "errors"),
        vec!["Ark1!C6: «12,6x» er ikke et tall eller et av SSB-symbolene .. . : -".to_string()]
    );
    // Without the bad row: stored exactly, 0.3 is not 0.299999….
    sheet_without_bad_row(&app).await;
}

async fn sheet_without_bad_row(app: &TestApp) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Ark1").unwrap();
    sheet.write_string(0, 0, "Kommune").unwrap();
    sheet.write_string(0, 1, "År").unwrap();
    sheet
        .write_string(0, 2, "Andel med individuell plan (prosent)")
        .unwrap();
    sheet.write_number(1, 0, 301).unwrap();
    sheet.write_number(1, 1, 2015).unwrap();
    sheet.write_number(1, 2, 4.1).unwrap();
    sheet.write_string(2, 0, "5001 Trondheim").unwrap();
    sheet.write_number(2, 1, 2015).unwrap();
    sheet.write_number(2, 2, 0.3).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let body = preview(app, "plan.xlsx", &bytes, None).await;
    assert_eq!(messages(&body, "errors"), Vec::<String>::new());
    confirm(app, &body).await;
    let oslo = stored(app, "0301", "andel_individuell_plan").await;
    assert_eq!(year_of(&oslo, 2015)["value"], "4.1");
    let trondheim = stored(app, "5001", "andel_individuell_plan").await;
    assert_eq!(year_of(&trondheim, 2015)["value"], "0.3");
}

fn need_groups(total: &str, first_group: &str) -> String {
    format!(
        "Mottakere av hjemmetjenester etter bistandsbehov (antall)\n\
         region;år;bistandsbehov;Mottakere av hjemmetjenester (antall)\n\
         0 Hele landet;2021;Alle;{total}\n\
         0 Hele landet;2021;Noe/avgrenset bistandsbehov;{first_group}\n\
         0 Hele landet;2021;Middels til stort bistandsbehov;79 465\n\
         0 Hele landet;2021;Omfattende bistandsbehov;36 327\n\
         0 Hele landet;2021;Uoppgitt bistandsbehov;13 538\n"
    )
}

#[tokio::test]
async fn the_2021_need_groups_add_up_to_208_645() {
    let app = officer().await;
    // The true figures (kpr-2021-etter-bistandsbehov.csv): no warning, and the same as
    // the sample data already holds.
    let right = preview(
        &app,
        "behov.csv",
        need_groups("208 645", "79 315").as_bytes(),
        None,
    )
    .await;
    assert_eq!(messages(&right, "errors"), Vec::<String>::new());
    assert_eq!(messages(&right, "warnings"), Vec::<String>::new());
    assert_eq!(counts(&right), (0, 0, 5));
    // A part that is one off: the total's cell is named.
    let wrong = preview(
        &app,
        "behov.csv",
        need_groups("208 645", "79 316").as_bytes(),
        None,
    )
    .await;
    assert_eq!(messages(&wrong, "errors"), Vec::<String>::new());
    assert_eq!(
        messages(&wrong, "warnings"),
        vec![
            "CSV!D3: Mottakere av helsetjenester i hjemmet og/eller praktisk bistand, hele landet 2021: bistandsbehovsgruppene summerer til 208\u{a0}646, men totalen er 208\u{a0}645.".to_string()
        ]
    );
    // The parts alone are checked against the total already stored.
    let parts_only: String = need_groups("208 645", "79 316")
        .lines()
        .filter(|l| !l.contains(";Alle;"))
        .map(|l| format!("{l}\n"))
        .collect();
    let against_stored = preview(&app, "deler.csv", parts_only.as_bytes(), None).await;
    let warnings = messages(&against_stored, "warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("CSV!D3: ") && warnings[0].contains("allerede er lagret"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn age_shares_and_a_share_of_120_are_warned() {
    let app = officer().await;
    let csv = "region;år;alder;Andel mottakere med koordinator (prosent)\n\
               5001 Trondheim;2015;Alle;120\n\
               5001 Trondheim;2014;Alle;9\n\
               5001 Trondheim;2014;Under 67 år;7\n\
               5001 Trondheim;2014;67 år og over;2\n\
               5001 Trondheim;2013;I alt;3,3\n\
               5001 Trondheim;2013;Under 67 år;2,9\n\
               5001 Trondheim;2013;67 år og over;0,6\n";
    let body = preview(&app, "alder.csv", csv.as_bytes(), None).await;
    assert_eq!(messages(&body, "errors"), Vec::<String>::new());
    let warnings = messages(&body, "warnings");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("CSV!D2: Andel mottakere med koordinator er 120,0 %"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("CSV!D6: ") && warnings[1].contains("summerer til 3,5 %"),
        "{warnings:?}"
    );
    // Warnings do not block: the figures can be stored.
    confirm(&app, &body).await;
    let rows = stored(&app, "5001", "andel_koordinator").await;
    let ages: Vec<&str> = rows
        .iter()
        .filter(|o| o["year"] == 2014)
        .filter_map(|o| o["age_group"].as_str())
        .collect();
    assert_eq!(ages, vec!["67 år og over", "under 67 år"]);
}

#[tokio::test]
async fn a_reimport_changes_nothing_and_a_changed_value_replaces_the_old_one() {
    let app = officer().await;
    let file = "region;år;Andel mottakere med koordinator (prosent)\n\
                5001 Trondheim;2014;12,6\n\
                5001 Trondheim;2015;13,0\n\
                5055 Heim;2015;..\n";
    let first = preview(&app, "k.csv", file.as_bytes(), None).await;
    assert_eq!(counts(&first), (3, 0, 0));
    confirm(&app, &first).await;

    let again = preview(&app, "k.csv", file.as_bytes(), None).await;
    assert_eq!(counts(&again), (0, 0, 3));
    // 13 is 13,0: numbers compare as numbers.
    let same = preview(&app, "k.csv", file.replace("13,0", "13").as_bytes(), None).await;
    assert_eq!(counts(&same), (0, 0, 3));

    let changed = file.replace("12,6", "12,9").replace(";..", ";:");
    let body = preview(&app, "k2.csv", changed.as_bytes(), None).await;
    assert_eq!(counts(&body), (0, 2, 1));
    let sample = body["statistics"]["changed_sample"].as_array().unwrap();
    assert_eq!(sample[0]["old"], "12,6 %");
    assert_eq!(sample[0]["display"], "12,9 %");
    let page = app
        .get(&format!("/uploads/{}", body["id"].as_i64().unwrap()))
        .await
        .text();
    assert!(page.contains("Endrede tall") && page.contains("12,6 %"));
    confirm(&app, &body).await;

    let rows = stored(&app, "5001", "andel_koordinator").await;
    assert_eq!(year_of(&rows, 2014)["value"], "12.9");
    assert_eq!(
        year_of(&stored(&app, "5055", "andel_koordinator").await, 2015)["symbol"],
        ":"
    );

    let audit = app.get("/api/v1/audit").await.json();
    let events = audit["events"].as_array().unwrap();
    let change = events
        .iter()
        .find(|e| e["action"] == "statistics.changed" && e["old_value"] == "12,6 %")
        .unwrap_or_else(|| panic!("{events:#?}"));
    assert_eq!(change["new_value"], "12,9 %");
    assert_eq!(change["field"], "andel_koordinator 5001 2014");
    assert!(events.iter().any(|e| e["action"] == "statistics.imported"
        && e["summary"].as_str().unwrap().contains("2 endrede")));
    let log = app.get("/audit").await.text();
    assert!(log.contains("Statistikk importert"));
}

#[tokio::test]
async fn the_page_form_previews_and_confirms() {
    let app = officer().await;
    let page = app.get("/statistikk").await.text();
    assert!(page.contains("action=\"/statistikk/import\""));
    let csv = "region;år;Innbyggere\n5001 Trondheim;2014;180 000\n";
    let response = post_file(
        &app,
        "/statistikk/import",
        "innbyggere.csv",
        csv.as_bytes(),
        Some(""),
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    let location = response.header("location").unwrap().to_string();
    let preview = app.get(&location).await;
    assert_eq!(preview.status, StatusCode::OK);
    let html = preview.text();
    assert!(html.contains("Statistikk som lagres (1 tall)"), "{html}");
    assert!(html.contains("CSV!C2") && html.contains("180\u{a0}000"));
    assert!(html.contains("Bekreft og lagre"));
    let confirmed = app.post_form(&format!("{location}/confirm"), &[]).await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
    let html = app.get(&location).await.text();
    assert!(html.contains("Opplastingen er bekreftet"));
    assert_eq!(
        year_of(&stored(&app, "5001", "innbyggere").await, 2014)["value"],
        "180000"
    );
}

#[tokio::test]
async fn kommune_users_cannot_import_or_see_statistics_uploads() {
    let mut app = officer().await;
    let csv = "region;år;Innbyggere\n5001 Trondheim;2014;180 000\n";
    let body = preview(&app, "innbyggere.csv", csv.as_bytes(), None).await;
    let id = body["id"].as_i64().unwrap();
    app.login("trondheim").await;
    let api = post_file(
        &app,
        "/api/v1/statistics/uploads",
        "x.csv",
        csv.as_bytes(),
        None,
    )
    .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    let page = post_file(&app, "/statistikk/import", "x.csv", csv.as_bytes(), None).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/api/v1/uploads/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let confirm = app
        .post_json(
            &format!("/api/v1/uploads/{id}/confirm"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(confirm.status, StatusCode::NOT_FOUND);
    assert!(
        !app.get("/statistikk")
            .await
            .text()
            .contains("/statistikk/import")
    );
    // Readers see the figures, not the import.
    app.login("leser").await;
    assert_eq!(
        post_file(
            &app,
            "/api/v1/statistics/uploads",
            "x.csv",
            csv.as_bytes(),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_command_line_imports_statistics() {
    let app = officer().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("koordinator.csv");
    std::fs::write(&file, windows_1252(SSB_COORDINATOR)).unwrap();
    let file = file.to_str().unwrap();

    let dry = app.cli(&["import", "statistics", "--dry-run", file]);
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        stdout.contains("5 tall: 1 nye, 4 endrede, 0 uendrede."),
        "{stdout}"
    );
    assert!(stdout.contains("Prøvekjøring"));
    assert!(
        app.store
            .municipal_observations(Some(2015), Some("5001"))
            .await
            .unwrap()
            .is_empty()
    );

    let real = app.cli(&["import", "statistics", file]);
    let stdout = String::from_utf8_lossy(&real.stdout);
    assert!(
        real.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&real.stderr)
    );
    assert!(
        stdout.contains("Lagret: 1 nye, 4 endrede, 0 uendrede."),
        "{stdout}"
    );
    check_symbols_stored(&app).await;
    let again = app.cli(&["import", "statistics", "--dry-run", file]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 nye, 0 endrede, 5 uendrede"));

    // An explicit indicator, and a bad cell: the cell, and a failing exit status.
    let bad = dir.path().join("feil.csv");
    std::fs::write(&bad, "region;år;verdi\n5001;2014;12,6x\n").unwrap();
    let bad = bad.to_str().unwrap();
    let refused = app.cli(&[
        "import",
        "statistics",
        "--indicator",
        "andel_koordinator",
        bad,
    ]);
    assert!(!refused.status.success());
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(
        stdout.contains("feil: CSV!C2: «12,6x» er ikke et tall"),
        "{stdout}"
    );
    let unknown = app.cli(&["import", "statistics", "--indicator", "sykefravaer", bad]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("sykefravaer"));
}

// ---------------------------------------------------------------------------------------
// SSB's own formats for table 12617 (tests/fixtures/ssb/, see tests/fixtures/README.md):
// three municipalities, three variables, 2022 and 2023.

fn ssb_fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/ssb/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (indicator, region, year, shown value) of every previewed observation, sorted.
fn previewed(body: &Value) -> Vec<(String, String, i64, String)> {
    let mut rows: Vec<_> = body["statistics"]["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["indicator"].as_str().unwrap().to_string(),
                o["region"].as_str().unwrap().to_string(),
                o["year"].as_i64().unwrap(),
                o["display"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Uploads an SSB file through the API, checks that it previews the 12617 figures
/// (`indicators` of them) without a problem, confirms it, and checks what is stored.
async fn import_12617(app: &TestApp, name: &str, indicators: &[&str]) -> Value {
    let body = preview(app, name, &ssb_fixture(name), None).await;
    assert_eq!(messages(&body, "errors"), Vec::<String>::new(), "{name}");
    assert_eq!(messages(&body, "warnings"), Vec::<String>::new(), "{name}");
    let rows = previewed(&body);
    assert_eq!(rows.len(), indicators.len() * 6, "{name}: {rows:#?}");
    let expected_coordinator = [
        ("5001", 2022, "12,6 %"),
        ("5001", 2023, "13,1 %"),
        ("5025", 2022, "8,0 %"),
        ("5025", 2023, "8,3 %"),
        ("5057", 2022, "10,4 %"),
        ("5057", 2023, ".."),
    ];
    for (region, year, shown) in expected_coordinator {
        assert!(
            rows.contains(&(
                "andel_koordinator".into(),
                region.into(),
                year,
                shown.into()
            )),
            "{name}: {region} {year} {shown} in {rows:#?}"
        );
    }
    if indicators.contains(&"mottakere") {
        assert!(rows.contains(&("mottakere".into(), "5001".into(), 2023, "9\u{a0}612".into())));
        assert!(rows.contains(&(
            "andel_individuell_plan".into(),
            "5025".into(),
            2022,
            ":".into()
        )));
    }
    let confirmed = confirm(app, &body).await;
    assert_eq!(confirmed["status"], "confirmed", "{name}");
    let trondheim = stored(app, "5001", "andel_koordinator").await;
    assert_eq!(year_of(&trondheim, 2022)["value"], "12.6");
    let orland = stored(app, "5057", "andel_koordinator").await;
    assert_eq!(year_of(&orland, 2023)["symbol"], "..");
    assert!(year_of(&orland, 2023)["value"].is_null());
    if indicators.contains(&"mottakere") {
        let roros = stored(app, "5025", "andel_individuell_plan").await;
        assert_eq!(year_of(&roros, 2022)["symbol"], ":");
        let recipients = stored(app, "5001", "mottakere").await;
        assert_eq!(year_of(&recipients, 2023)["value"], "9612");
    }
    body
}

const ALL_THREE: [&str; 3] = ["mottakere", "andel_koordinator", "andel_individuell_plan"];

#[tokio::test]
async fn ssb_long_csv_with_statistikkvariabel_in_windows_1252_with_crlf() {
    let app = officer().await;
    let bytes = ssb_fixture("12617-lang.csv");
    assert!(std::str::from_utf8(&bytes).is_err(), "really Windows-1252");
    assert!(bytes.windows(2).any(|w| w == b"\r\n"));
    let body = import_12617(&app, "12617-lang.csv", &ALL_THREE).await;
    assert_eq!(body["format"], "csv");
    assert_eq!(
        body["statistics"]["indicators"],
        serde_json::json!(["andel_individuell_plan", "andel_koordinator", "mottakere"])
    );
    // Every value stands in the value column (D), wherever its line is.
    assert!(
        body["statistics"]["observations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["cell"].as_str().unwrap().starts_with("CSV!D"))
    );
}

#[tokio::test]
async fn ssb_long_csv_with_the_variable_first_commas_and_decimal_points() {
    let app = officer().await;
    let bytes = ssb_fixture("12617-lang-variabel-forst.csv");
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let body = import_12617(&app, "12617-lang-variabel-forst.csv", &ALL_THREE).await;
    assert!(
        body["statistics"]["layout"]
            .as_str()
            .unwrap()
            .starts_with("lang")
    );
}

#[tokio::test]
async fn ssb_pivot_csv_with_variable_and_year_in_the_headings() {
    let app = officer().await;
    let body = import_12617(&app, "12617-krysstabell.csv", &ALL_THREE).await;
    assert!(
        body["statistics"]["layout"]
            .as_str()
            .unwrap()
            .starts_with("krysstabell")
    );
}

#[tokio::test]
async fn ssb_wide_csv_of_one_variable_with_commas_in_title_and_footnotes() {
    let app = officer().await;
    let body = import_12617(&app, "12617-bred.csv", &["andel_koordinator"]).await;
    assert!(
        body["statistics"]["layout"]
            .as_str()
            .unwrap()
            .starts_with("bred")
    );
}

#[tokio::test]
async fn pxwebapi_json_stat_2_is_read_with_each_value_named_by_its_place() {
    let app = officer().await;
    let body = import_12617(&app, "12617.json", &ALL_THREE).await;
    assert_eq!(body["format"], "json-stat");
    let first = &body["statistics"]["observations"][0];
    assert_eq!(
        first["cell"],
        "JSON-stat!verdi nr. 1 (Region=5001, ContentsCode=Mottakere, Tid=2022)"
    );
    assert_eq!(first["region_name"], "Trondheim");

    // A variable we do not know is an error naming its values; nothing is stored.
    let text = String::from_utf8(ssb_fixture("12617.json")).unwrap();
    let unknown = text.replace(
        "\"AndelIP\": \"Andel mottakere med individuell plan (prosent)\"",
        "\"AndelIP\": \"Gjennomsnittlig antall timer per uke\"",
    );
    assert_ne!(unknown, text);
    let body = preview(&app, "timer.json", unknown.as_bytes(), None).await;
    assert_eq!(body["status"], "rejected");
    let errors = messages(&body, "errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "JSON-stat!verdi nr. 5 (Region=5001, ContentsCode=AndelIP, Tid=2022): Statistikkvariabelen «Gjennomsnittlig antall timer per uke» er ikke en indikator vi kjenner igjen (står også i verdi nr. 6"
        ),
        "{errors:?}"
    );

    // A size that does not match the values is refused before anything is laid out.
    let lying = text.replace("\"size\": [3, 3, 2]", "\"size\": [3000, 3000, 2000]");
    assert_ne!(lying, text);
    let refused = post_file(
        &app,
        "/api/v1/statistics/uploads",
        "stor.json",
        lying.as_bytes(),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.json();
    assert_eq!(body["status"], "rejected");
    assert!(messages(&body, "errors")[0].contains("for stor"), "{body}");
    let broken = post_file(
        &app,
        "/api/v1/statistics/uploads",
        "brutt.json",
        b"{\"dimension\": [",
        None,
    )
    .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(messages(&broken.json(), "errors")[0].starts_with("JSON-filen"));
}

#[tokio::test]
async fn a_px_file_in_windows_1252_through_the_page_and_the_command_line() {
    let app = officer().await;
    let bytes = ssb_fixture("12617.px");
    assert!(std::str::from_utf8(&bytes).is_err(), "really Windows-1252");
    // The command line recognises it by content too.
    let dry = app.cli(&[
        "import",
        "statistics",
        "--dry-run",
        &format!("{}/tests/fixtures/ssb/12617.px", env!("CARGO_MANIFEST_DIR")),
    ]);
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success(), "{stdout}");
    assert!(stdout.contains("18 tall"), "{stdout}");
    let body = import_12617(&app, "12617.px", &ALL_THREE).await;
    assert_eq!(body["format"], "px");
    assert_eq!(
        body["statistics"]["observations"][5]["cell"],
        "PX!verdi nr. 6 (region=5001, statistikkvariabel=AndelIP, år=2023)"
    );
    // The page's form reads the same file.
    let response = post_file(&app, "/statistikk/import", "12617.px", &bytes, Some("")).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    let html = app.get(response.header("location").unwrap()).await.text();
    assert!(html.contains("Statistikk som lagres (18 tall)"), "{html}");
}

#[tokio::test]
async fn statbank_xlsx_with_the_region_only_on_the_first_row_of_its_group() {
    let app = officer().await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("12617").unwrap();
    sheet
        .write_string(
            0,
            0,
            "12617: Mottakere av hjemmetjenester, etter region, statistikkvariabel og år",
        )
        .unwrap();
    sheet.write_string(2, 0, "region").unwrap();
    sheet.write_string(2, 1, "statistikkvariabel").unwrap();
    sheet.write_string(2, 2, "2022").unwrap();
    sheet.write_string(2, 3, "2023").unwrap();
    let mut row = 3;
    for (region, values) in [
        ("5001 Trondheim", [12.6, 13.1]),
        ("5025 Røros", [8.0, 8.3]),
        ("5057 Ørland", [10.4, f64::NAN]),
    ] {
        sheet.write_string(row, 0, region).unwrap();
        sheet
            .write_string(row, 1, "Mottakere av hjemmetjenester (personer)")
            .unwrap();
        sheet.write_number(row, 2, 400).unwrap();
        sheet.write_number(row, 3, 410).unwrap();
        // The next row of the group: no region, as StatBank writes it.
        sheet
            .write_string(row + 1, 1, "Andel mottakere med koordinator (prosent)")
            .unwrap();
        sheet.write_number(row + 1, 2, values[0]).unwrap();
        if values[1].is_nan() {
            sheet.write_string(row + 1, 3, "..").unwrap();
        } else {
            sheet.write_number(row + 1, 3, values[1]).unwrap();
        }
        row += 2;
    }
    // A row below a blank one, with no region above it in its group: an error, not dropped.
    sheet
        .write_string(10, 1, "Andel mottakere med koordinator (prosent)")
        .unwrap();
    sheet.write_number(10, 2, 1).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let body = preview(&app, "12617.xlsx", &bytes, None).await;
    assert_eq!(
        messages(&body, "errors"),
        vec![
            "12617!A11: Regionen mangler, og det står ingen region over i samme gruppe som raden kan høre til."
                .to_string()
        ]
    );
    let rows = previewed(&body);
    assert_eq!(rows.len(), 12, "{rows:#?}");
    assert!(rows.contains(&(
        "andel_koordinator".into(),
        "5025".into(),
        2023,
        "8,3 %".into()
    )));
    assert!(rows.contains(&("andel_koordinator".into(), "5057".into(), 2023, "..".into())));
}

/// Rows hidden in the workbook (here the bad row, hidden by hand in Excel's format) are
/// not imported, and the preview says which.
#[tokio::test]
async fn hidden_rows_are_left_out_with_a_warning() {
    let app = officer().await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Ark1").unwrap();
    sheet.write_string(0, 0, "Kommune").unwrap();
    sheet.write_string(0, 1, "År").unwrap();
    sheet
        .write_string(0, 2, "Andel med individuell plan (prosent)")
        .unwrap();
    sheet.write_string(1, 0, "5001 Trondheim").unwrap();
    sheet.write_number(1, 1, 2015).unwrap();
    sheet.write_number(1, 2, 4.1).unwrap();
    sheet.write_string(2, 0, "5001 Trondheim").unwrap();
    sheet.write_number(2, 1, 2014).unwrap();
    sheet.write_string(2, 2, "12,6x").unwrap();
    sheet.set_row_hidden(2).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let body = preview(&app, "skjult.xlsx", &bytes, None).await;
    assert!(messages(&body, "errors").is_empty(), "{body}");
    let warnings = messages(&body, "warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("Ark1!A3: Rad 3 er skjult") && w.contains("12,6x")),
        "{warnings:#?}"
    );
    assert_eq!(
        body["statistics"]["observations"].as_array().unwrap().len(),
        1,
        "{body}"
    );
}

/// A variable SSB names in a way we do not recognise is listed on the preview, and the
/// officer chooses its indicator there (API and page): the file is read again.
#[tokio::test]
async fn an_unknown_variable_gets_its_indicator_chosen_on_the_preview() {
    let app = officer().await;
    let csv = "\"12617: Mottakere av hjemmetjenester, etter region, statistikkvariabel og år\"\r\n\r\n\
\"region\";\"statistikkvariabel\";\"år\";\"12617: Mottakere av hjemmetjenester\"\r\n\
\"5001 Trondheim\";\"Brukere av helse- og omsorgstjenester i hjemmet\";\"2022\";\"9480\"\r\n\
\"5025 Røros\";\"Brukere av helse- og omsorgstjenester i hjemmet\";\"2022\";\"412\"\r\n\
\"5001 Trondheim\";\"Andel mottakere med koordinator (prosent)\";\"2022\";\"12,6\"\r\n";
    let first = preview(&app, "12617.csv", csv.as_bytes(), None).await;
    let unknown = &first["statistics"]["unknown_variables"];
    assert_eq!(
        unknown,
        &serde_json::json!(["Brukere av helse- og omsorgstjenester i hjemmet"]),
        "{first}"
    );
    assert!(
        messages(&first, "errors")
            .iter()
            .any(|e| e.starts_with("CSV!B4:") && e.contains("står også i B5")),
        "{:#?}",
        messages(&first, "errors")
    );
    let id = first["id"].as_i64().unwrap();

    // A code that is no indicator is refused, naming the variable.
    let wrong = app
        .post_json(
            &format!("/api/v1/uploads/{id}/variables"),
            &serde_json::json!({"choices": {"Brukere av helse- og omsorgstjenester i hjemmet": "brukere"}}),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text()
    );
    assert!(wrong.text().contains("«brukere» er ikke en indikator"));

    let chosen = app
        .post_json(
            &format!("/api/v1/uploads/{id}/variables"),
            &serde_json::json!({"choices": {"Brukere av helse- og omsorgstjenester i hjemmet": "mottakere"}}),
        )
        .await;
    assert_eq!(chosen.status, StatusCode::CREATED, "{}", chosen.text());
    let again = chosen.json();
    assert!(
        messages(&again, "errors").is_empty(),
        "{:#?}",
        messages(&again, "errors")
    );
    assert_ne!(again["id"], first["id"]);
    assert_eq!(
        again["statistics"]["observations"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        again["statistics"]["variable_choices"]["Brukere av helse- og omsorgstjenester i hjemmet"],
        "mottakere"
    );
    confirm(&app, &again).await;
    let stored = stored(&app, "5025", "mottakere").await;
    let imported = year_of(&stored, 2022);
    assert_eq!(imported["value"], "412", "{imported}");
    assert_eq!(imported["synthetic"], false, "{imported}");

    // The page offers the same choice and reads the file again.
    let page = app.get(&format!("/uploads/{id}")).await.text();
    assert!(page.contains("Variabler uten indikator (1)"), "{page}");
    let form = app
        .post_form(
            &format!("/uploads/{id}/variables"),
            &[
                (
                    "variabel",
                    "Brukere av helse- og omsorgstjenester i hjemmet",
                ),
                ("indikator", "mottakere"),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.text());
    let location = form.headers[axum::http::header::LOCATION].to_str().unwrap();
    let shown = app.get(location).await.text();
    assert!(shown.contains("som Mottakere"), "{shown}");

    // The command line takes the same choice.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("12617.csv");
    std::fs::write(&path, csv).unwrap();
    let path = path.to_str().unwrap();
    let refused = app.cli(&["import", "statistics", "--dry-run", path]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stdout)
            .contains("Brukere av helse- og omsorgstjenester i hjemmet")
    );
    let chosen = app.cli(&[
        "import",
        "statistics",
        "--dry-run",
        "--variable",
        "Brukere av helse- og omsorgstjenester i hjemmet=mottakere",
        path,
    ]);
    let out = String::from_utf8_lossy(&chosen.stdout);
    assert!(
        chosen.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&chosen.stderr)
    );
    assert!(out.contains("3 tall"), "{out}");
}

// ---------------------------------------------------------------------------------------
// «Hent fra SSB»: PxWebApi v2 played by a stand-in server on 127.0.0.1 (no internet).

/// A stand-in for SSB's PxWebApi v2, on its own thread (the command line blocks the
/// test's). Table 12617 answers the recorded JSON-stat 2 file; 42900 answers 429 (SSB's
/// rate limit), 40400 404, 40000 400 with a problem document, 50300 503, 20000 an HTML
/// page, and 50000 sleeps for 5 s.
struct SsbStandIn {
    base_url: String,
    /// The path and query of every request, `%5B`/`%5D` shown as brackets.
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl SsbStandIn {
    fn start() -> SsbStandIn {
        use axum::extract::{Path, RawQuery, State};
        use axum::response::IntoResponse;
        type Seen = std::sync::Arc<std::sync::Mutex<Vec<String>>>;
        async fn answer(
            State(seen): State<Seen>,
            Path(table): Path<String>,
            RawQuery(query): RawQuery,
        ) -> axum::response::Response {
            let query = query
                .unwrap_or_default()
                .replace("%5B", "[")
                .replace("%5D", "]")
                .replace("%2C", ",")
                .replace("%2A", "*");
            seen.lock()
                .unwrap()
                .push(format!("/tables/{table}/data?{query}"));
            match table.as_str() {
                "12617" => (
                    [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
                    ssb_fixture("12617.json"),
                )
                    .into_response(),
                "42900" => (StatusCode::TOO_MANY_REQUESTS, "Too many requests").into_response(),
                "40400" => (StatusCode::NOT_FOUND, "{\"title\": \"Not found\"}").into_response(),
                "50300" => {
                    (StatusCode::SERVICE_UNAVAILABLE, "Nede for vedlikehold").into_response()
                }
                "40000" => (
                    StatusCode::BAD_REQUEST,
                    [(header::CONTENT_TYPE, "application/problem+json")],
                    "{\"type\": \"about:blank\", \"title\": \"Non-existent value\", \"status\": 400}",
                )
                    .into_response(),
                "20000" => (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body>Vedlikehold</body></html>",
                )
                    .into_response(),
                _ => {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    (StatusCode::OK, "{}").into_response()
                }
            }
        }
        let requests: Seen = Default::default();
        let seen = requests.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let router = axum::Router::new()
                    .route(
                        "/api/pxwebapi/v2/tables/{table}/data",
                        axum::routing::get(answer),
                    )
                    .with_state(seen);
                axum::serve(listener, router).await.unwrap();
            });
        });
        let address = rx.recv().unwrap();
        SsbStandIn {
            base_url: format!("http://{address}/api/pxwebapi/v2"),
            requests,
        }
    }

    fn last_request(&self) -> String {
        self.requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request reached the stand-in")
    }

    /// The test app as an officer, fetching from this stand-in with a 1 s timeout.
    async fn officer(&self) -> TestApp {
        officer()
            .await
            .with_ssb(tilskudd::app::ssb::SsbSettings::new(
                &self.base_url,
                std::time::Duration::from_secs(1),
            ))
    }
}

/// Checks the request the stand-in got for 12617, 2022–2023.
fn check_12617_request(request: &str) {
    assert!(request.starts_with("/tables/12617/data?"), "{request}");
    assert!(request.contains("outputFormat=json-stat2"), "{request}");
    assert!(request.contains("valueCodes[Tid]=2022,2023"), "{request}");
    assert!(request.contains("valueCodes[ContentsCode]=*"), "{request}");
    let regions = request
        .split('&')
        .find_map(|p| p.strip_prefix("valueCodes[Region]="))
        .unwrap_or_else(|| panic!("no regions in {request}"));
    let regions: Vec<&str> = regions.split(',').collect();
    for knr in ["5001", "5025", "5057", "0301"] {
        assert!(regions.contains(&knr), "{knr} in {regions:?}");
    }
    // Bjugn became Ørland in 2020: not asked for in 2022–2023.
    assert!(!regions.contains(&"5017"), "{regions:?}");
}

/// The 12617 figures of the fixture, as the preview shows them.
fn check_12617_preview(body: &Value) {
    assert_eq!(messages(body, "errors"), Vec::<String>::new());
    assert_eq!(body["format"], "json-stat");
    assert_eq!(body["filename"], "ssb-12617-2022-2023.json");
    let rows = previewed(body);
    assert_eq!(rows.len(), 18, "{rows:#?}");
    for (indicator, region, year, shown) in [
        ("andel_koordinator", "5001", 2022, "12,6 %"),
        ("andel_koordinator", "5057", 2023, ".."),
        ("mottakere", "5001", 2023, "9\u{a0}612"),
        ("andel_individuell_plan", "5025", 2022, ":"),
    ] {
        assert!(
            rows.contains(&(indicator.into(), region.into(), year, shown.into())),
            "{indicator} {region} {year} {shown} in {rows:#?}"
        );
    }
}

#[tokio::test]
async fn ssb_fetch_through_the_api_previews_keeps_the_source_and_confirms() {
    let ssb = SsbStandIn::start();
    let app = ssb.officer().await;
    let response = app
        .post_json(
            "/api/v1/statistics/ssb",
            &serde_json::json!({"table": "12617", "from_year": 2022, "to_year": 2023}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    check_12617_request(&ssb.last_request());
    check_12617_preview(&body);
    let url = body["source_url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/tables/12617/data?lang=no", ssb.base_url)),
        "{url}"
    );
    assert!(url.contains("valueCodes[Tid]=2022,2023"), "{url}");

    // The original is the fetched JSON, and the preview page names where it came from.
    let id = body["id"].as_i64().unwrap();
    let original = app.get(&format!("/api/v1/uploads/{id}/file")).await;
    assert_eq!(original.body, ssb_fixture("12617.json"));
    let page = app.get(&format!("/uploads/{id}")).await.text();
    assert!(page.contains("Hentet fra SSB"), "{page}");
    assert!(page.contains(&url.replace('&', "&#38;")), "{page}");

    let confirmed = confirm(&app, &body).await;
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["source_url"], url.as_str());
    let trondheim = stored(&app, "5001", "andel_koordinator").await;
    assert_eq!(year_of(&trondheim, 2022)["value"], "12.6");
    let orland = stored(&app, "5057", "andel_koordinator").await;
    assert_eq!(year_of(&orland, 2023)["symbol"], "..");
    let again = app.get(&format!("/api/v1/uploads/{id}")).await.json();
    assert_eq!(again["source_url"], url.as_str());
    let audit = app.get("/api/v1/audit").await.text();
    assert!(audit.contains("ssb-12617-2022-2023.json"), "{audit}");
    // The audit log says where the file came from, not only its name.
    assert!(audit.contains(&format!("hentet fra {url}")), "{audit}");
}

#[tokio::test]
async fn ssb_fetch_refusals_and_failures_name_the_field_or_ssb() {
    let ssb = SsbStandIn::start();
    let app = ssb.officer().await;
    let fetch = |table: &'static str, from: i64, to: i64| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/statistics/ssb",
                &serde_json::json!({"table": table, "from_year": from, "to_year": to}),
            )
            .await
        }
    };
    // Checked before anything is asked.
    for (table, from, to, field) in [
        ("12a17", 2022, 2023, "table"),
        ("", 2022, 2023, "table"),
        ("12345678901", 2022, 2023, "table"),
        ("12617", 2023, 2022, "to_year"),
        ("12617", 1066, 2022, "from_year"),
    ] {
        let response = fetch(table, from, to).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{table}");
        assert_eq!(response.json()["errors"][0]["field"], field, "{table}");
    }
    assert!(ssb.requests.lock().unwrap().is_empty());

    let limited = fetch("42900", 2022, 2023).await;
    assert_eq!(limited.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        limited.json()["message"],
        "SSB avviser forespørsler akkurat nå (for mange forespørsler). Prøv igjen om et minutt."
    );
    let missing = fetch("40400", 2022, 2023).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = missing.json();
    assert_eq!(body["errors"][0]["field"], "table");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("SSB har ingen tabell 40400"),
        "{body}"
    );
    let down = fetch("50300", 2022, 2023).await;
    assert_eq!(down.status, StatusCode::BAD_GATEWAY);
    assert!(
        down.json()["message"]
            .as_str()
            .unwrap()
            .contains("503 Service Unavailable"),
        "{}",
        down.text()
    );
    let bad_request = fetch("40000", 2022, 2023).await;
    assert_eq!(bad_request.status, StatusCode::BAD_GATEWAY);
    assert!(
        bad_request.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("SSB svarte med feil 400 Bad Request («Non-existent value»)"),
        "{}",
        bad_request.text()
    );
    // The stand-in never answers: the status and message show that the timeout ended it.
    let slow = fetch("50000", 2022, 2023).await;
    assert_eq!(slow.status, StatusCode::GATEWAY_TIMEOUT);
    assert!(
        slow.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("SSB svarte ikke innen 1 sekund."),
        "{}",
        slow.text()
    );
    // An answer that is not JSON-stat: kept, rejected with the reader's message.
    let html = fetch("20000", 2022, 2023).await;
    assert_eq!(html.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = html.json();
    assert_eq!(body["status"], "rejected");
    assert!(
        body["message"].as_str().unwrap().starts_with("JSON-filen"),
        "{body}"
    );
    assert!(
        body["source_url"]
            .as_str()
            .unwrap()
            .contains("/tables/20000/")
    );

    // Only officers fetch.
    let mut reader = ssb.officer().await;
    reader.add_user("leser2", "lesetilgang", None).await;
    reader.login("leser2").await;
    let refused = reader
        .post_json(
            "/api/v1/statistics/ssb",
            &serde_json::json!({"table": "12617", "from_year": 2022, "to_year": 2023}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ssb_fetch_through_the_page_form() {
    let ssb = SsbStandIn::start();
    let app = ssb.officer().await;
    // As a browser that sends no Sec-Fetch-Site or Origin: the page's token cookie and
    // the form's `_csrf` field.
    let page = app.get("/statistikk").await;
    let token_cookie = page
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tilskudd_csrf="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a token cookie");
    let html = page.text();
    let form = html
        .split("action=\"/statistikk/ssb\"")
        .nth(1)
        .expect("the SSB form");
    let form = form.split("</form>").next().unwrap();
    for field in ["table", "from_year", "to_year"] {
        assert!(form.contains(&format!("name=\"{field}\"")), "{field}");
    }
    let marker = "name=\"_csrf\" value=\"";
    let token = form[form.find(marker).expect("_csrf field") + marker.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(token_cookie, format!("tilskudd_csrf={token}"));
    let body = serde_urlencoded::to_string([
        ("_csrf", token.as_str()),
        ("table", "12617"),
        ("from_year", "2022"),
        ("to_year", "2023"),
    ])
    .unwrap();
    let post = |body: String| {
        Request::post("/statistikk/ssb")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(
                header::COOKIE,
                format!("{}; {token_cookie}", app.cookie.as_deref().unwrap()),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let forged = app.request_as_is(post(body.replace(&token, "0"))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let response = app.request_as_is(post(body)).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    check_12617_request(&ssb.last_request());
    let location = response.header("location").unwrap().to_string();
    let html = app.get(&location).await.text();
    assert!(html.contains("Statistikk som lagres (18 tall)"), "{html}");
    assert!(html.contains("Hentet fra SSB"));
    assert!(html.contains("ssb-12617-2022-2023.json"));
    let confirmed = app.post_form(&format!("{location}/confirm"), &[]).await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        year_of(&stored(&app, "5001", "mottakere").await, 2023)["value"],
        "9612"
    );

    // Errors as HTML pages, with the field or SSB's refusal named.
    let bad = app
        .post_form(
            "/statistikk/ssb",
            &[
                ("table", "12617"),
                ("from_year", "i fjor"),
                ("to_year", "2023"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text().contains("Fra år: «i fjor» er ikke et årstall."),
        "{}",
        bad.text()
    );
    let limited = app
        .post_form(
            "/statistikk/ssb",
            &[
                ("table", "42900"),
                ("from_year", "2022"),
                ("to_year", "2023"),
            ],
        )
        .await;
    assert_eq!(limited.status, StatusCode::SERVICE_UNAVAILABLE);
    let text = limited.text();
    assert!(
        text.contains("<html") || text.contains("<!DOCTYPE"),
        "{text}"
    );
    assert!(text.contains("for mange forespørsler"), "{text}");
}

#[tokio::test]
async fn ssb_fetch_from_the_command_line() {
    let ssb = SsbStandIn::start();
    let app = officer().await;
    let env = [("TILSKUDD_SSB_API_URL", ssb.base_url.as_str())];
    let args = |table: &'static str| {
        vec![
            "import",
            "statistics",
            "--ssb-table",
            table,
            "--from-year",
            "2022",
            "--to-year",
            "2023",
        ]
    };
    let mut dry = args("12617");
    dry.push("--dry-run");
    let output = app.cli_with_env(&dry, &env);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("18 tall:"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "Hentet fra SSB: {}/tables/12617/data?",
            ssb.base_url
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Prøvekjøring"));
    check_12617_request(&ssb.last_request());

    let output = app.cli_with_env(&args("12617"), &env);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("Lagret:"), "{stdout}");
    let trondheim = stored(&app, "5001", "andel_koordinator").await;
    assert_eq!(year_of(&trondheim, 2023)["value"], "13.1");

    let limited = app.cli_with_env(&args("42900"), &env);
    assert!(!limited.status.success());
    assert!(
        String::from_utf8_lossy(&limited.stderr).contains("for mange forespørsler"),
        "{}",
        String::from_utf8_lossy(&limited.stderr)
    );
    let bad = app.cli_with_env(&args("12x"), &env);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--ssb-table: «12x»"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
