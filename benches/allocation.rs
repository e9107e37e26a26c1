//! The allocation engine on a large round: 500 claims, each method, 1 kr rounding.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use tilskudd::domain::Kroner;
use tilskudd::domain::allocation::{
    AllocationInput, Claim, FormulaParameters, Indicators, Method, allocate,
};

fn claims(n: i64) -> Vec<Claim> {
    (0..n)
        .map(|i| Claim {
            id: i,
            requested: Kroner::from_ore(10_000_000 + (i * 7_919 % 500) * 1_000_050),
            floor: None,
            cap: (i % 10 == 0).then(|| Kroner::from_whole(150_000)),
            score: Some(Decimal::new(10 + i % 40, 1)),
            indicators: Indicators {
                inhabitants: Some(Decimal::from(1_000 + i * 97 % 50_000)),
                home_service_recipients: Some(Decimal::from(50 + i * 13 % 2_000)),
                coordinator_coverage_percent: Some(Decimal::new(50 + i * 31 % 500, 1)),
            },
            manual_amount: None,
        })
        .collect()
}

fn engine(c: &mut Criterion) {
    let claims = claims(500);
    let methods = [
        Method::Forholdsmessig,
        Method::Poengvektet {
            min_score: Decimal::TWO,
        },
        Method::Rangert { cut_last: true },
        Method::Formel(FormulaParameters {
            base_amount: Decimal::from(100_000),
            per_inhabitant: Decimal::from(3),
            per_recipient: Decimal::from(200),
            need_weight: Decimal::from(1_000),
        }),
    ];
    let mut group = c.benchmark_group("fordeling_500_soknader");
    for method in methods {
        let input = AllocationInput {
            pool: Kroner::from_whole(150_000_000),
            unit: Kroner::from_whole(1),
            method: method.clone(),
            claims: claims.clone(),
        };
        assert!(allocate(&input).is_ok());
        group.bench_function(method.code(), |b| b.iter(|| allocate(black_box(&input))));
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
