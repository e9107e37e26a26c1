//! The report for all 357 municipalities of the 2024 division over ten years (2015–2024):
//! `domain::report::build` and `sheets::report::report_workbook`, measured apart.
//!
//! The data are deterministic and synthetic: observations on the numbers in force each
//! year (so merges and splits are harmonised as with real data), a grant in 2016 to every
//! second municipality and one to a collaboration. The built report is also written as
//! JSON to `$CARGO_TARGET_DIR/report-bench.json` (else `target/`), which
//! `benches/report_xlsxwriter.py` reads to write the same workbook with Python XlsxWriter.

use std::collections::BTreeSet;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use tilskudd::domain::Kroner;
use tilskudd::domain::kommune::Register;
use tilskudd::domain::report::{Grant, Observation, ReportInput, ReportRound, build};
use tilskudd::domain::statistics::{self, Symbol, Value};
use tilskudd::sheets::report::report_workbook;

const DIVISION: i32 = 2024;
const GRANT_YEAR: i32 = 2016;
const YEARS: std::ops::RangeInclusive<i32> = 2015..=2024;

fn register() -> Register {
    let (divisions, changes) = tilskudd::sample::register().expect("sample register");
    Register::new(
        divisions
            .iter()
            .flat_map(|(y, ms)| ms.iter().map(move |m| (*y, m.clone()))),
        changes,
    )
}

/// A deterministic pseudo-random number for a region, year and purpose.
fn hash(region: &str, year: i32, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in region.bytes().chain(year.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 29)
}

fn share(region: &str, year: i32, salt: u64, low: u64, span: u64) -> Value {
    let h = hash(region, year, salt);
    match h % 97 {
        0 => Value::Symbol(Symbol::Missing),
        1 => Value::Symbol(Symbol::Confidential),
        _ => Value::Number(Decimal::new((low + h % span) as i64, 1)),
    }
}

struct Data {
    register: Register,
    observations: Vec<Observation>,
    grants: Vec<Grant>,
}

fn data() -> Data {
    let register = register();
    let targets = register.municipalities(DIVISION);
    assert_eq!(targets.len(), 357);
    let mut observations = Vec::new();
    let mut observe = |indicator: &str, region: &str, year: i32, value: Value| {
        observations.push(Observation {
            indicator: indicator.into(),
            region: region.into(),
            year,
            value,
            synthetic: region != statistics::COUNTRY,
        });
    };
    for year in YEARS {
        let numbers: BTreeSet<String> = targets
            .iter()
            .flat_map(|m| register.predecessors(&m.number, DIVISION, year))
            .map(|p| p.number.as_str().to_string())
            .collect();
        for n in &numbers {
            let inhabitants = 1_000 + hash(n, 0, 1) % 60_000 + (year as u64 - 2015) * 37;
            let recipients = inhabitants * (30 + hash(n, year, 2) % 30) / 1_000;
            observe(
                statistics::INHABITANTS,
                n,
                year,
                Value::Number(inhabitants.into()),
            );
            observe(
                statistics::RECIPIENTS,
                n,
                year,
                Value::Number(recipients.into()),
            );
            observe(statistics::COORDINATOR, n, year, share(n, year, 3, 50, 250));
            observe(statistics::PLAN, n, year, share(n, year, 4, 10, 100));
        }
        let country = statistics::COUNTRY;
        observe(
            statistics::RECIPIENTS,
            country,
            year,
            Value::Number((200_000 + (year as i64 - 2015) * 1_500).into()),
        );
        observe(
            statistics::COORDINATOR,
            country,
            year,
            Value::Number(Decimal::new(110 + (year as i64 - 2015) * 4, 1)),
        );
        observe(
            statistics::PLAN,
            country,
            year,
            Value::Number(Decimal::new(70 - (year as i64 - 2015), 1)),
        );
    }
    let mut grants: Vec<Grant> = targets
        .iter()
        .step_by(2)
        .filter_map(|m| {
            let was = register
                .predecessors(&m.number, DIVISION, GRANT_YEAR)
                .into_iter()
                .find(|p| !p.partial)?;
            Some(Grant {
                round_year: GRANT_YEAR,
                applicant: was.name,
                kommunenummer: Some(was.number.as_str().to_string()),
                members: vec![],
                amount: Kroner::from_whole(
                    100_000 + (hash(m.number.as_str(), 0, 5) % 900) as i64 * 1_000,
                ),
            })
        })
        .collect();
    grants.push(Grant {
        round_year: GRANT_YEAR,
        applicant: "Fosen helse IKS".into(),
        kommunenummer: None,
        members: vec!["Ørland".into(), "Indre Fosen".into()],
        amount: Kroner::from_whole(450_000),
    });
    Data {
        register,
        observations,
        grants,
    }
}

fn input(data: &Data) -> ReportInput<'_> {
    let pool: Kroner = data.grants.iter().map(|g| g.amount).sum();
    ReportInput {
        register: &data.register,
        division_year: DIVISION,
        county: None,
        rounds: vec![ReportRound {
            id: 1,
            name: "Habilitering og rehabilitering 2016".into(),
            year: GRANT_YEAR,
            pool,
            decided: true,
        }],
        grants: data.grants.clone(),
        observations: data.observations.clone(),
        sources: vec!["Syntetiske demotall for måling (benches/report_export.rs)".into()],
    }
}

fn bench(c: &mut Criterion) {
    let data = data();
    let report = build(input(&data));
    let bytes = report_workbook(&report, "Tilskudd og dekning", "01.01.2027 12:00", "bench")
        .expect("workbook");
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let json = std::path::Path::new(&target).join("report-bench.json");
    std::fs::write(&json, serde_json::to_vec(&report).expect("json")).expect("write json");
    eprintln!(
        "report: {} municipalities, {} years, {} grants, {} scatter points; workbook {} bytes; data for Python in {}",
        report.rows.len(),
        report.years.len(),
        data.grants.len(),
        report.scatter.len(),
        bytes.len(),
        json.display()
    );

    let mut group = c.benchmark_group("report");
    group.sample_size(20);
    group.bench_function("build 357 municipalities x 10 years", |b| {
        b.iter_batched(
            || input(&data),
            |input| black_box(build(input)),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("report_workbook 357 municipalities x 10 years", |b| {
        b.iter(|| {
            black_box(
                report_workbook(
                    black_box(&report),
                    "Tilskudd og dekning",
                    "01.01.2027 12:00",
                    "bench",
                )
                .expect("workbook"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
