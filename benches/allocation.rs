//! The allocation engine at scale: every method on 10 000 claims, each with a cap (some
//! binding), some with a floor, rounded to 1 000 kr; and the earlier 500-claim round at
//! 1 kr as a quick reference.
//!
//! Inputs are pseudo-random but fixed (a 64-bit LCG with a fixed seed), so every run
//! measures the same round.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use tilskudd::domain::Kroner;
use tilskudd::domain::allocation::{
    AllocationInput, Claim, FormulaParameters, Indicators, Method, allocate,
};

/// Knuth's MMIX LCG; the high bits are good enough for benchmark inputs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A whole number in `low..=high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).expect("low <= high");
        low + i64::try_from(self.next() % span).expect("fits")
    }
}

fn formula() -> FormulaParameters {
    FormulaParameters {
        base_amount: Decimal::from(100_000),
        per_inhabitant: Decimal::from(3),
        per_recipient: Decimal::from(200),
        need_weight: Decimal::from(1_000),
    }
}

/// `n` claims of 50 000–2 000 000 kr (with øre). Every claim has a cap of 50–200 % of its
/// request (below the request for about a third, so some caps bind), every
/// seventh a floor of 5–15 %; scores 0,0–10,0 (a tenth has none); indicators in the
/// magnitudes of Norwegian municipalities. With `manual`, each claim also carries a
/// valid manual amount (half its bound, in whole 1 000 kr, at least its floor).
fn large_claims(n: i64, seed: u64) -> Vec<Claim> {
    let mut rng = Lcg(seed);
    (0..n)
        .map(|id| {
            let requested_ore = rng.range(50_000 * 100, 2_000_000 * 100);
            let cap_ore = requested_ore / 100 * rng.range(50, 200);
            let floor_ore = (id % 7 == 0).then(|| requested_ore / 100 * rng.range(5, 15));
            let inhabitants = rng.range(500, 200_000);
            let recipients = inhabitants * rng.range(30, 50) / 1_000;
            let bound_kroner = requested_ore.min(cap_ore) / 100;
            let floor_kroner = floor_ore.map_or(0, |f| (f + 99_999) / 100_000 * 1_000);
            let manual = (bound_kroner / 2 / 1_000 * 1_000).max(floor_kroner);
            Claim {
                id,
                requested: Kroner::from_ore(requested_ore),
                floor: floor_ore.map(Kroner::from_ore),
                cap: Some(Kroner::from_ore(cap_ore)),
                score: (id % 10 != 3).then(|| Decimal::new(rng.range(0, 100), 1)),
                indicators: Indicators {
                    inhabitants: Some(Decimal::from(inhabitants)),
                    home_service_recipients: Some(Decimal::from(recipients)),
                    coordinator_coverage_percent: Some(Decimal::new(rng.range(50, 150), 1)),
                },
                manual_amount: Some(Kroner::from_whole(manual)),
            }
        })
        .collect()
}

fn methods() -> Vec<(&'static str, Method)> {
    vec![
        ("manuell", Method::Manuell),
        ("forholdsmessig", Method::Forholdsmessig),
        ("formel", Method::Formel(formula())),
        (
            "poengvektet",
            Method::Poengvektet {
                min_score: Decimal::TWO,
            },
        ),
        ("rangert_hopp_over", Method::Rangert { cut_last: false }),
        ("rangert_kutt_siste", Method::Rangert { cut_last: true }),
    ]
}

fn at_scale(c: &mut Criterion) {
    const N: i64 = 10_000;
    let claims = large_claims(N, 0x7469_6c73_6b75_6464);
    let requested: Kroner = claims.iter().map(|c| c.requested).sum();
    // About 60 % of what is asked, plus an odd 871 kr that 1 000 kr rounding cannot place.
    let pool = Kroner::from_whole(requested.ore() / 100 * 6 / 10 / 1_000 * 1_000 + 871);
    let below_request = claims
        .iter()
        .filter(|c| c.cap.is_some_and(|cap| cap < c.requested))
        .count();
    assert!((2_500..4_500).contains(&below_request), "{below_request}");

    let mut group = c.benchmark_group("fordeling_10000_soknader_tak_1000kr");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    for (name, method) in methods() {
        let input = AllocationInput {
            pool,
            unit: Kroner::from_whole(1_000),
            method,
            claims: claims.clone(),
        };
        let result = allocate(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(result.allocated <= pool, "{name}");
        let mut at_cap = 0;
        for (claim, r) in input.claims.iter().zip(&result.claims) {
            let cap = claim.cap.expect("every claim has a cap");
            assert!(r.amount <= cap, "{name}");
            if cap < claim.requested && r.amount + Kroner::from_whole(1_000) > cap {
                at_cap += 1;
            }
        }
        eprintln!(
            "{name}: {} kr fordelt, {} kr ikke fordelt, {at_cap} søknader stoppet av taket",
            result.allocated.ore() / 100,
            result.unplaced.ore() / 100
        );
        group.bench_function(name, |b| b.iter(|| allocate(black_box(&input))));
    }
    group.finish();
}

/// The earlier reference: 500 claims, a cap on every tenth, 1 kr rounding.
fn claims_500() -> Vec<Claim> {
    (0..500)
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

fn small(c: &mut Criterion) {
    let claims = claims_500();
    let methods = [
        Method::Forholdsmessig,
        Method::Poengvektet {
            min_score: Decimal::TWO,
        },
        Method::Rangert { cut_last: true },
        Method::Formel(formula()),
    ];
    let mut group = c.benchmark_group("fordeling_500_soknader");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
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

criterion_group!(benches, at_scale, small);
criterion_main!(benches);
