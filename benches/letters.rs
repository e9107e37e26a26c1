//! Letters: composing one from the round's text, writing it as PDF/A-2a, and a round's
//! 22 letters (the 2019 Trøndelag round's size) as one ZIP, as `letters.zip` does.

use std::hint::black_box;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use tilskudd::documents::{pdf::letter_pdf, zip_files};
use tilskudd::domain::Kroner;
use tilskudd::domain::followup::FollowupTerms;
use tilskudd::domain::letter::{DEFAULT_GRANT_TEMPLATE, Letter, LetterFacts, LetterKind, compose};

fn letter(i: i64, terms: &FollowupTerms) -> Letter {
    let applicant = format!("Kommune nummer {i}");
    compose(
        DEFAULT_GRANT_TEMPLATE,
        &LetterFacts {
            kind: LetterKind::Grant,
            sender: vec!["Statsforvalteren i Trøndelag".into()],
            applicant: &applicant,
            contact_person: Some("Kari Nordmann"),
            scheme: "Styrking av habilitering og rehabilitering i kommunene",
            round: "Tilskudd 2019",
            year: 2019,
            project_title: Some("Koordinator for barn og unge"),
            granted: Kroner::from_whole(350_000 + i * 12_345),
            requested: Some(Kroner::from_whole(800_000)),
            reason: None,
            note: None,
            terms,
            date: NaiveDate::from_ymd_opt(2019, 6, 1).unwrap(),
            reference: format!("2019/7 – søknad {i}"),
            signed_by: "Sara Saksbehandler",
        },
    )
}

fn bench(c: &mut Criterion) {
    let terms = FollowupTerms {
        acceptance_deadline: NaiveDate::from_ymd_opt(2019, 6, 21),
        report_deadline: NaiveDate::from_ymd_opt(2020, 3, 1),
        purpose: Some("å styrke koordinatorfunksjonen for barn og unge".into()),
        ..FollowupTerms::default()
    };
    let created = Utc.with_ymd_and_hms(2019, 6, 1, 9, 0, 0).unwrap();
    let one = letter(1, &terms);
    let mut group = c.benchmark_group("letters");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("compose", |b| b.iter(|| black_box(letter(1, &terms))));
    group.bench_function("letter_pdf", |b| {
        b.iter(|| black_box(letter_pdf(&one, created).unwrap()))
    });
    let round: Vec<Letter> = (0..22).map(|i| letter(i, &terms)).collect();
    group.sample_size(10);
    group.bench_function("letters_zip_22", |b| {
        b.iter(|| {
            let entries: Vec<(String, Vec<u8>)> = round
                .iter()
                .enumerate()
                .map(|(i, l)| (format!("brev-{i}.pdf"), letter_pdf(l, created).unwrap()))
                .collect();
            black_box(zip_files(&entries).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
