//! Parsing and validating a 10 000-row Budsjett sheet, next to calamine's raw read of
//! the same file, so the cost of our tolerance and checks is visible against the floor.

use std::hint::black_box;
use std::io::Cursor;

use calamine::{Reader, open_workbook_auto_from_rs};
use criterion::{Criterion, criterion_group, criterion_main};
use rust_xlsxwriter::{Formula, Workbook};
use tilskudd::sheets::detect::{Format, Limits};
use tilskudd::sheets::{Severity, application, read};

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

criterion_group!(benches, budget_sheet);
criterion_main!(benches);
