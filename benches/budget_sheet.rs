//! Parsing and validating a 10 000-row Budsjett sheet, next to calamine's raw read of
//! the same file, so the cost of our tolerance and checks is visible against the floor;
//! and the whole upload of it through the router (the reader in its child process, the
//! preview, the kept original in SQLite), which should stay within 3× the raw read.

use std::hint::black_box;
use std::io::Cursor;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Reader, open_workbook_auto_from_rs};
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use rust_xlsxwriter::{Formula, Workbook};
use tilskudd::sheets::detect::{Format, Limits};
use tilskudd::sheets::{Severity, application, read};
use tower::ServiceExt;

const LINES: u32 = 10_000;

/// An application workbook with `LINES` budget lines, as a municipality might fill it:
/// some amounts typed as text in Norwegian form, and a total row as a formula.
fn large_application() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Søknad").unwrap();
    for (row, (label, value)) in [
        ("Søker", "Trondheim"),
        ("Kommunenummer", "5001"),
        ("Kontaktperson", "Kari Nordmann"),
        ("E-post", "kari@trondheim.kommune.no"),
        ("Prosjekttittel", "Koordinatorer i alle bydeler"),
        ("Beskrivelse", "Stor budsjettfil for måling."),
    ]
    .into_iter()
    .enumerate()
    {
        sheet.write_string(row as u32 + 3, 0, label).unwrap();
        sheet.write_string(row as u32 + 3, 1, value).unwrap();
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name("Budsjett").unwrap();
    sheet.write_string(0, 0, "Budsjett").unwrap();
    for (col, text) in [
        "Kategori",
        "Beskrivelse",
        "Kostnad (kr)",
        "Egenandel (kr)",
        "Omsøkt beløp (kr)",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, col as u16, *text).unwrap();
    }
    let (mut cost_sum, mut own_sum, mut applied_sum) = (0i64, 0i64, 0i64);
    for i in 0..LINES {
        let row = 3 + i;
        let own = 1_000 + i64::from(i % 7) * 250;
        let applied = 10_000 + i64::from(i % 13) * 1_000;
        sheet.write_string(row, 0, "Lønn").unwrap();
        sheet
            .write_string(row, 1, format!("Budsjettpost {i}"))
            .unwrap();
        if i % 10 == 0 {
            // Typed as text, the way people paste from other documents.
            sheet
                .write_string(
                    row,
                    2,
                    format!(
                        "kr {} {:03},-",
                        (own + applied) / 1000,
                        (own + applied) % 1000
                    ),
                )
                .unwrap();
        } else {
            sheet.write_number(row, 2, (own + applied) as f64).unwrap();
        }
        sheet.write_number(row, 3, own as f64).unwrap();
        sheet.write_number(row, 4, applied as f64).unwrap();
        cost_sum += own + applied;
        own_sum += own;
        applied_sum += applied;
    }
    let total = 3 + LINES;
    sheet.write_string(total, 0, "Sum").unwrap();
    for (col, letter, sum) in [
        (2u16, 'C', cost_sum),
        (3, 'D', own_sum),
        (4, 'E', applied_sum),
    ] {
        let formula =
            Formula::new(format!("=SUM({letter}4:{letter}{total})")).set_result(sum.to_string());
        sheet.write_formula(total, col, formula).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

fn budget_sheet(c: &mut Criterion) {
    let bytes = large_application();
    let limits = Limits::default();
    // The parse must succeed, or the measurement would time an early error.
    let parsed = application::parse(&read::read_workbook(&bytes, Format::Xlsx, &limits).unwrap());
    assert_eq!(parsed.input.budget_lines.len(), LINES as usize);
    assert!(
        parsed
            .problems
            .iter()
            .all(|p| p.severity != Severity::Error),
        "{:?}",
        parsed.problems
    );

    let mut group = c.benchmark_group("budsjett_10000_linjer");
    group.sample_size(20);
    group.bench_function("calamine_raw_read", |b| {
        b.iter(|| {
            let mut workbook =
                open_workbook_auto_from_rs(Cursor::new(black_box(&bytes[..]))).unwrap();
            for name in workbook.sheet_names() {
                black_box(workbook.worksheet_range(&name).unwrap());
            }
        })
    });
    group.bench_function("read_parse_validate", |b| {
        b.iter(|| {
            let workbook = read::read_workbook(black_box(&bytes), Format::Xlsx, &limits).unwrap();
            black_box(application::parse(&workbook))
        })
    });
    let workbook = read::read_workbook(&bytes, Format::Xlsx, &limits).unwrap();
    group.bench_function("parse_validate_only", |b| {
        b.iter(|| black_box(application::parse(black_box(&workbook))))
    });
    group.finish();
}

/// Sends one request from the app's own page (as the tests do) and answers the status
/// and body.
async fn send(
    router: &Router,
    cookie: Option<&str>,
    request: axum::http::request::Builder,
    body: Body,
) -> (StatusCode, Vec<u8>, Option<String>) {
    let mut request = request.header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let session = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tilskudd_session=") && !v.starts_with("tilskudd_session=;"))
        .map(|v| v.split(';').next().unwrap_or_default().to_string());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec(), session)
}

async fn login(router: &Router, username: &str) -> String {
    let json = serde_json::json!({"username": username, "password": "demo"}).to_string();
    let request = Request::post("/api/v1/session").header(header::CONTENT_TYPE, "application/json");
    let (status, _, session) = send(router, None, request, Body::from(json)).await;
    assert_eq!(status, StatusCode::OK);
    session.expect("session cookie")
}

/// The multipart body of the upload form: `kind=application` and the file.
fn multipart(bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "tilskudd-bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\napplication\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"budsjett.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn http_upload(c: &mut Criterion) {
    let bytes = large_application();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (router, cookie, path) = runtime.block_on(async {
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        let store = tilskudd::store::Store::connect(&url, None).await.unwrap();
        store.migrate().await.unwrap();
        tilskudd::sample::load(&store).await.unwrap();
        // The release binary reads the workbook in its child process, as `serve` does.
        let state = tilskudd::AppState::new(store, false).with_uploads(
            tilskudd::app::uploads::UploadSettings {
                limits: Limits::default(),
                isolation: tilskudd::sheets::isolate::Isolation::new(
                    env!("CARGO_BIN_EXE_tilskudd").into(),
                ),
            },
        );
        let router = tilskudd::app(state);
        let officer = login(&router, "saksbehandler").await;
        let round = serde_json::json!({
            "name": "Måling", "year": 2027, "region": "Trøndelag",
            "pool": "500 000 000", "rounding_unit": "1",
        })
        .to_string();
        let request =
            Request::post("/api/v1/rounds").header(header::CONTENT_TYPE, "application/json");
        let (status, body, _) = send(&router, Some(&officer), request, Body::from(round)).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let round: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let path = format!("/api/v1/rounds/{}/uploads", round["id"]);
        let kommune = login(&router, "trondheim").await;
        (router, kommune, path)
    });
    let upload = || async {
        let (content_type, body) = multipart(&bytes);
        let request = Request::post(&path).header(header::CONTENT_TYPE, content_type);
        send(&router, Some(&cookie), request, Body::from(body)).await
    };
    // The upload must give a preview without errors, or the measurement would time a
    // refusal.
    let (status, body, _) = runtime.block_on(upload());
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let preview: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(preview["errors"], serde_json::json!([]), "{preview}");
    assert_eq!(
        preview["application"]["budget_lines"]
            .as_array()
            .map(Vec::len),
        Some(LINES as usize)
    );

    let mut group = c.benchmark_group("budsjett_10000_linjer");
    group.sample_size(20);
    group.bench_function("http_upload_preview", |b| {
        b.iter(|| black_box(runtime.block_on(upload())))
    });
    group.finish();
}

criterion_group!(benches, budget_sheet, http_upload);
criterion_main!(benches);
