//! The allocation engine: sharing a fixed pool between claims, exactly.
//!
//! Methods:
//! - **manuell**: the officer's amounts, only validated (not above the request or cap,
//!   not below the floor, the sum not above the pool).
//! - **forholdsmessig**: every request scaled by one factor.
//! - **formel**: a target per claim from base amount + per inhabitant + per recipient of
//!   home services + a need weight (more where coordinator coverage is low); scaled down
//!   by one factor when the targets exceed the pool.
//! - **poengvektet**: in proportion to score × request, for claims at or above a
//!   minimum score.
//! - **rangert**: best score first, each funded in full while the pool lasts; a claim that
//!   does not fit is skipped, or, with `cut_last`, the first one that does not fit gets
//!   what is left.
//!
//! The proportional methods share one solver. Each claim has a floor F and an effective
//! cap C (the lower of request, cap and, for the formula, its target), both in whole
//! rounding units, and a weight w. The exact (real) solution is water-filling: one factor
//! λ with Σ clamp(λ·w, F, C) = pool, so what a capped claim cannot take goes to the
//! others. Rounding to the unit then uses **Webster's divisor method** (Sainte-Laguë):
//! the units go out one by one in the order of the thresholds (k − ½)/w. This keeps the
//! sum equal to the pool whenever the claims can absorb it, and, unlike the
//! largest-remainder method, is house-monotone: a larger pool never gives anyone less
//! (no Alabama paradox). Ties between equal thresholds go to the larger weight, then the
//! lower id, so the result does not depend on the order of the claims.
//!
//! All arithmetic is in integers (øre and units, `i128`) and exact rationals; there are
//! no floats on the money path. A part of the pool smaller than one unit cannot be
//! placed and is reported as «ikke fordelt» with the reason.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::money::Kroner;

/// Indicator values of one applicant, from a statistics snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    pub inhabitants: Option<Decimal>,
    pub home_service_recipients: Option<Decimal>,
    /// Share of recipients with a coordinator, in percent (0–100).
    pub coordinator_coverage_percent: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The application's id.
    pub id: i64,
    pub requested: Kroner,
    #[serde(default)]
    pub floor: Option<Kroner>,
    #[serde(default)]
    pub cap: Option<Kroner>,
    #[serde(default)]
    pub score: Option<Decimal>,
    #[serde(default)]
    pub indicators: Indicators,
    /// The officer's amount, for the manual method.
    #[serde(default)]
    pub manual_amount: Option<Kroner>,
}

/// The formula's parameters, in kroner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormulaParameters {
    pub base_amount: Decimal,
    pub per_inhabitant: Decimal,
    pub per_recipient: Decimal,
    /// Kroner per recipient without a coordinator: `need_weight × recipients × (100 −
    /// coverage) / 100`.
    pub need_weight: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    Manuell,
    Forholdsmessig,
    Formel(FormulaParameters),
    Poengvektet { min_score: Decimal },
    Rangert { cut_last: bool },
}

impl Method {
    pub fn code(&self) -> &'static str {
        match self {
            Method::Manuell => "manuell",
            Method::Forholdsmessig => "forholdsmessig",
            Method::Formel(_) => "formel",
            Method::Poengvektet { .. } => "poengvektet",
            Method::Rangert { .. } => "rangert",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Method::Manuell => "Manuell",
            Method::Forholdsmessig => "Forholdsmessig",
            Method::Formel(_) => "Formel",
            Method::Poengvektet { .. } => "Poengvektet",
            Method::Rangert { .. } => "Rangert",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationInput {
    pub pool: Kroner,
    /// The rounding unit: 1, 10, 100 or 1 000 kr.
    pub unit: Kroner,
    pub method: Method,
    pub claims: Vec<Claim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimResult {
    pub id: i64,
    pub amount: Kroner,
    /// One line in Norwegian on how the amount came about.
    pub explanation: String,
    /// For the manual method: what is wrong with the officer's amount.
    #[serde(default)]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationResult {
    /// In the order of the input claims.
    pub claims: Vec<ClaimResult>,
    pub allocated: Kroner,
    /// «Ikke fordelt».
    pub unplaced: Kroner,
    pub unplaced_reason: Option<String>,
}

impl AllocationResult {
    pub fn amount_for(&self, id: i64) -> Option<Kroner> {
        self.claims.iter().find(|c| c.id == id).map(|c| c.amount)
    }

    /// Whether every amount is acceptable (the manual method may report problems).
    pub fn is_valid(&self) -> bool {
        self.claims.iter().all(|c| c.problem.is_none())
    }
}

/// Why the engine could not allocate; each a Norwegian sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("Avrundingsenheten må være et helt antall kroner, 1 kr eller mer (fikk {0}).")]
    BadUnit(Kroner),
    #[error("Rammen kan ikke være negativ.")]
    NegativePool,
    #[error("Søknad {0} er med flere ganger.")]
    DuplicateClaim(i64),
    #[error("Søknad {id}: {message}")]
    BadClaim { id: i64, message: String },
    #[error("Minstebeløpene er til sammen {floors}, mer enn rammen på {pool}.")]
    FloorsAbovePool { floors: Kroner, pool: Kroner },
    #[error("De manuelle beløpene er til sammen {sum}, mer enn rammen på {pool}.")]
    ManualAbovePool { sum: Kroner, pool: Kroner },
    #[error("Minstepoeng kan ikke være negativt.")]
    NegativeMinimumScore,
}

/// Percent with one decimal and a decimal comma: `61,3`.
pub fn percent_text(part: Kroner, whole: Kroner) -> String {
    if whole.is_zero() {
        return "–".into();
    }
    let percent = (part.decimal() * Decimal::ONE_HUNDRED / whole.decimal())
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{percent:.1}").replace('.', ",")
}

fn ore(k: Kroner) -> i128 {
    i128::from(k.ore())
}

fn kroner(ore: i128) -> Kroner {
    Kroner::from_ore(i64::try_from(ore).unwrap_or(i64::MAX))
}

fn decimal_ore(value: Decimal) -> i128 {
    (value * Decimal::ONE_HUNDRED)
        .trunc()
        .to_i128()
        .unwrap_or(0)
        .max(0)
}

/// One claim as the solver sees it: bounds in units and an integer weight.
#[derive(Debug, Clone)]
struct Bounds {
    id: i64,
    floor: i128,
    cap: i128,
    weight: i128,
}

/// `a/b` compared with `c/d` (b, d > 0).
fn cmp_ratio(a: i128, b: i128, c: i128, d: i128) -> Ordering {
    (a * d).cmp(&(c * b))
}

/// Webster apportionment of `pool` units within floors and caps (see the module docs).
/// Assumes Σ floor ≤ pool.
fn apportion(pool: i128, claims: &[Bounds]) -> Vec<i128> {
    let floors: i128 = claims.iter().map(|c| c.floor).sum();
    let most: i128 = claims
        .iter()
        .map(|c| if c.weight > 0 { c.cap } else { c.floor })
        .sum();
    if most <= pool {
        return claims
            .iter()
            .map(|c| if c.weight > 0 { c.cap } else { c.floor })
            .collect();
    }
    if floors == pool {
        return claims.iter().map(|c| c.floor).collect();
    }
    // Water-filling: scan the points where a claim leaves its floor or reaches its cap.
    let mut events: Vec<(i128, i128, usize, bool)> = Vec::new();
    for (i, c) in claims.iter().enumerate().filter(|(_, c)| c.weight > 0) {
        events.push((c.floor, c.weight, i, true));
        events.push((c.cap, c.weight, i, false));
    }
    events.sort_by(|a, b| cmp_ratio(a.0, a.1, b.0, b.1).then(b.3.cmp(&a.3)));
    let mut constant = floors;
    let mut active_weight: i128 = 0;
    // λ = lambda_num / lambda_den once found.
    let mut lambda = None;
    for &(x, w, i, starts) in &events {
        // S(λ) at this point, before the event: constant + (x/w)·W ≥ pool?
        if constant * w + x * active_weight >= pool * w {
            lambda = Some((pool - constant, active_weight));
            break;
        }
        if starts {
            constant -= claims[i].floor;
            active_weight += claims[i].weight;
        } else {
            active_weight -= claims[i].weight;
            constant += claims[i].cap;
        }
    }
    let (num, den) = lambda.unwrap_or((pool - constant, active_weight.max(1)));
    // Webster's rounding of the exact shares: floor(λ·w + ½), within the bounds.
    let mut amounts: Vec<i128> = claims
        .iter()
        .map(|c| {
            if c.weight == 0 || den == 0 {
                return c.floor;
            }
            ((2 * num * c.weight + den) / (2 * den)).clamp(c.floor, c.cap)
        })
        .collect();
    let mut total: i128 = amounts.iter().sum();
    // Then unit by unit to the pool, in threshold order, exactly as if the units had
    // gone out one at a time.
    while total < pool {
        let next = (0..claims.len())
            .filter(|&i| claims[i].weight > 0 && amounts[i] < claims[i].cap)
            .min_by(|&a, &b| {
                cmp_ratio(
                    2 * amounts[a] + 1,
                    2 * claims[a].weight,
                    2 * amounts[b] + 1,
                    2 * claims[b].weight,
                )
                .then(claims[b].weight.cmp(&claims[a].weight))
                .then(claims[a].id.cmp(&claims[b].id))
            });
        let Some(i) = next else { break };
        amounts[i] += 1;
        total += 1;
    }
    while total > pool {
        let last = (0..claims.len())
            .filter(|&i| claims[i].weight > 0 && amounts[i] > claims[i].floor)
            .max_by(|&a, &b| {
                cmp_ratio(
                    2 * amounts[a] - 1,
                    2 * claims[a].weight,
                    2 * amounts[b] - 1,
                    2 * claims[b].weight,
                )
                .then(claims[b].weight.cmp(&claims[a].weight))
                .then(claims[a].id.cmp(&claims[b].id))
            });
        let Some(i) = last else { break };
        amounts[i] -= 1;
        total -= 1;
    }
    amounts
}

/// The claims' floors and effective caps in whole units.
struct Prepared {
    unit: i128,
    pool_units: i128,
    floors: Vec<i128>,
    caps: Vec<i128>,
}

fn prepare(input: &AllocationInput) -> Result<Prepared, AllocationError> {
    let unit = ore(input.unit);
    if unit < 100 || unit % 100 != 0 {
        return Err(AllocationError::BadUnit(input.unit));
    }
    if input.pool.is_negative() {
        return Err(AllocationError::NegativePool);
    }
    let mut seen = BTreeSet::new();
    let mut floors = Vec::new();
    let mut caps = Vec::new();
    for c in &input.claims {
        if !seen.insert(c.id) {
            return Err(AllocationError::DuplicateClaim(c.id));
        }
        let bad = |message: &str| AllocationError::BadClaim {
            id: c.id,
            message: message.into(),
        };
        if c.requested.is_negative() {
            return Err(bad("omsøkt beløp kan ikke være negativt."));
        }
        if c.cap.is_some_and(Kroner::is_negative) || c.floor.is_some_and(Kroner::is_negative) {
            return Err(bad("tak og minstebeløp kan ikke være negative."));
        }
        let limit = c.cap.map_or(c.requested, |cap| cap.min(c.requested));
        let cap_units = ore(limit) / unit;
        // A floor is met in whole units: rounded up.
        let floor_units = c.floor.map_or(0, |f| (ore(f) + unit - 1) / unit);
        if floor_units > cap_units {
            return Err(bad("minstebeløpet er høyere enn omsøkt beløp eller taket."));
        }
        floors.push(floor_units);
        caps.push(cap_units);
    }
    let pool_units = ore(input.pool) / unit;
    let floor_sum: i128 = floors.iter().sum();
    if floor_sum > pool_units {
        return Err(AllocationError::FloorsAbovePool {
            floors: kroner(floor_sum * unit),
            pool: input.pool,
        });
    }
    Ok(Prepared {
        unit,
        pool_units,
        floors,
        caps,
    })
}

/// Computes the allocation. Deterministic, and independent of the order of the claims.
pub fn allocate(input: &AllocationInput) -> Result<AllocationResult, AllocationError> {
    if let Method::Manuell = input.method {
        return manual(input);
    }
    let p = prepare(input)?;
    let unit_text = format!("{}", input.unit);
    let (amounts, explanations) = match &input.method {
        Method::Manuell => unreachable!("handled above"),
        Method::Forholdsmessig => {
            let bounds = bounds(input, &p, |c| ore(c.requested), |_| None);
            let amounts = apportion(p.pool_units, &bounds);
            let lines = explain(input, &p, &amounts, |c, amount, at_cap, at_floor| {
                if at_cap {
                    "Forholdsmessig: fullt innvilget".to_string()
                } else if at_floor {
                    format!(
                        "Forholdsmessig: minstebeløpet {}",
                        c.floor.unwrap_or_default()
                    )
                } else {
                    format!(
                        "Forholdsmessig: {} % av omsøkt beløp, i hele {unit_text}",
                        percent_text(amount, c.requested)
                    )
                }
            });
            (amounts, lines)
        }
        Method::Poengvektet { min_score } => {
            if min_score.is_sign_negative() && !min_score.is_zero() {
                return Err(AllocationError::NegativeMinimumScore);
            }
            // Scores as integers on one common scale, so weights are exact.
            let scale = input
                .claims
                .iter()
                .filter_map(|c| c.score.map(|s| s.scale()))
                .max()
                .unwrap_or(0)
                .min(6);
            let factor = Decimal::from(10i64.pow(scale));
            let eligible = |c: &Claim| {
                c.score
                    .is_some_and(|s| s >= *min_score && s > Decimal::ZERO)
            };
            let bounds = bounds(
                input,
                &p,
                |c| {
                    if eligible(c) {
                        let s = (c.score.unwrap_or_default() * factor)
                            .trunc()
                            .to_i128()
                            .unwrap_or(0);
                        s * ore(c.requested)
                    } else {
                        0
                    }
                },
                |_| None,
            );
            let amounts = apportion(p.pool_units, &bounds);
            let lines = explain(input, &p, &amounts, |c, amount, at_cap, _| match c.score {
                None => "Poengvektet: mangler poeng".to_string(),
                Some(s) if !eligible(c) => {
                    format!(
                        "Poengvektet: under minstepoeng ({} < {})",
                        s.normalize(),
                        min_score.normalize()
                    )
                }
                Some(s) if at_cap => {
                    format!("Poengvektet: {} poeng, fullt innvilget", s.normalize())
                }
                Some(s) => format!(
                    "Poengvektet: {} poeng, {} % av omsøkt beløp, i hele {unit_text}",
                    s.normalize(),
                    percent_text(amount, c.requested)
                ),
            });
            (amounts, lines)
        }
        Method::Formel(parameters) => {
            let targets: Vec<(i128, Vec<&str>)> = input
                .claims
                .iter()
                .map(|c| formula_target(parameters, c))
                .collect();
            let target_of = |c: &Claim| {
                let i = input.claims.iter().position(|x| x.id == c.id).unwrap_or(0);
                targets[i].0
            };
            let bounds = bounds(input, &p, target_of, |c| Some(target_of(c) / p.unit));
            let amounts = apportion(p.pool_units, &bounds);
            let lines = explain(input, &p, &amounts, |c, amount, _, _| {
                let i = input.claims.iter().position(|x| x.id == c.id).unwrap_or(0);
                let (target, missing) = &targets[i];
                let target = kroner(*target);
                let mut line = if amount == target.min(c.requested) {
                    format!("Formel: {target} etter formelen")
                } else {
                    format!(
                        "Formel: {target} etter formelen, {} % av det, i hele {unit_text}",
                        percent_text(amount, target)
                    )
                };
                if target > c.requested {
                    line.push_str(&format!(" (begrenset til omsøkt beløp {})", c.requested));
                }
                if !missing.is_empty() {
                    line.push_str(&format!("; mangler {}", missing.join(" og ")));
                }
                line
            });
            (amounts, lines)
        }
        Method::Rangert { cut_last } => ranked(input, &p, *cut_last, &unit_text),
    };
    Ok(finish(input, &p, amounts, explanations))
}

fn bounds(
    input: &AllocationInput,
    p: &Prepared,
    weight: impl Fn(&Claim) -> i128,
    extra_cap: impl Fn(&Claim) -> Option<i128>,
) -> Vec<Bounds> {
    input
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cap = extra_cap(c).map_or(p.caps[i], |e| e.min(p.caps[i]).max(p.floors[i]));
            Bounds {
                id: c.id,
                floor: p.floors[i],
                cap,
                weight: weight(c).max(0),
            }
        })
        .collect()
}

/// Explanation lines; the closure gets the claim, its amount, and whether it is at its
/// cap or its floor.
fn explain(
    input: &AllocationInput,
    p: &Prepared,
    amounts: &[i128],
    line: impl Fn(&Claim, Kroner, bool, bool) -> String,
) -> Vec<String> {
    input
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let amount = kroner(amounts[i] * p.unit);
            let capped = amounts[i] == p.caps[i] && p.caps[i] > 0;
            let mut text = line(
                c,
                amount,
                capped,
                amounts[i] == p.floors[i] && p.floors[i] > 0,
            );
            if capped && c.cap.is_some_and(|cap| cap < c.requested) {
                text.push_str(&format!(" (tak {})", c.cap.unwrap_or_default()));
            }
            text
        })
        .collect()
}

/// The formula's target in øre, and which indicators were missing.
fn formula_target<'a>(f: &FormulaParameters, c: &Claim) -> (i128, Vec<&'a str>) {
    let mut missing = Vec::new();
    let inhabitants = c.indicators.inhabitants.unwrap_or_else(|| {
        if !f.per_inhabitant.is_zero() {
            missing.push("innbyggertall");
        }
        Decimal::ZERO
    });
    let recipients = c.indicators.home_service_recipients.unwrap_or_else(|| {
        if !f.per_recipient.is_zero() || !f.need_weight.is_zero() {
            missing.push("antall mottakere");
        }
        Decimal::ZERO
    });
    let coverage = c
        .indicators
        .coordinator_coverage_percent
        .unwrap_or_else(|| {
            if !f.need_weight.is_zero() {
                missing.push("koordinatordekning");
            }
            Decimal::ONE_HUNDRED
        });
    let uncovered = (Decimal::ONE_HUNDRED - coverage.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED))
        / Decimal::ONE_HUNDRED;
    let target = f
        .base_amount
        .checked_add(
            f.per_inhabitant
                .checked_mul(inhabitants)
                .unwrap_or_default(),
        )
        .and_then(|t| t.checked_add(f.per_recipient.checked_mul(recipients).unwrap_or_default()))
        .and_then(|t| {
            t.checked_add(
                f.need_weight
                    .checked_mul(recipients * uncovered)
                    .unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    (decimal_ore(target), missing)
}

fn ranked(
    input: &AllocationInput,
    p: &Prepared,
    cut_last: bool,
    unit_text: &str,
) -> (Vec<i128>, Vec<String>) {
    let mut order: Vec<usize> = (0..input.claims.len()).collect();
    // Best score first; no score last; equal scores by the lower id.
    order.sort_by(|&a, &b| {
        let (ca, cb) = (&input.claims[a], &input.claims[b]);
        cb.score.cmp(&ca.score).then(ca.id.cmp(&cb.id))
    });
    let mut amounts = p.floors.clone();
    let mut left = p.pool_units - p.floors.iter().sum::<i128>();
    let mut lines = vec![String::new(); input.claims.len()];
    let mut cut_done = false;
    for (rank, &i) in order.iter().enumerate() {
        let c = &input.claims[i];
        let need = p.caps[i] - p.floors[i];
        let place = format!("Rangert som nr. {}", rank + 1);
        if c.score.is_none() {
            amounts[i] = p.floors[i];
            lines[i] = "Rangert: mangler poeng, ikke rangert".into();
            continue;
        }
        if need <= left {
            amounts[i] = p.caps[i];
            left -= need;
            lines[i] = format!("{place}: fullt innvilget");
        } else if cut_last && !cut_done {
            amounts[i] = p.floors[i] + left;
            left = 0;
            cut_done = true;
            lines[i] = format!(
                "{place}: får det som var igjen, {} % av omsøkt beløp, i hele {unit_text}",
                percent_text(kroner(amounts[i] * p.unit), c.requested)
            );
        } else {
            lines[i] = format!(
                "{place}: hoppet over, får ikke plass (mangler {})",
                kroner((need - left) * p.unit)
            );
        }
    }
    (amounts, lines)
}

fn finish(
    input: &AllocationInput,
    p: &Prepared,
    amounts: Vec<i128>,
    lines: Vec<String>,
) -> AllocationResult {
    let allocated_ore: i128 = amounts.iter().map(|a| a * p.unit).sum();
    let unplaced_ore = ore(input.pool) - allocated_ore;
    let claims: Vec<ClaimResult> = input
        .claims
        .iter()
        .zip(amounts.iter().zip(lines))
        .map(|(c, (a, explanation))| ClaimResult {
            id: c.id,
            amount: kroner(a * p.unit),
            explanation,
            problem: None,
        })
        .collect();
    let unit_text = format!("{}", input.unit);
    let below_unit = ore(input.pool) - p.pool_units * p.unit;
    let unplaced_reason = if unplaced_ore == 0 {
        None
    } else if unplaced_ore == below_unit {
        Some(format!(
            "{} kan ikke fordeles i hele {unit_text}.",
            kroner(below_unit)
        ))
    } else {
        let reason = match input.method {
            Method::Rangert { cut_last: false } => {
                "Søknadene som ikke fikk plass er hoppet over, ikke avkortet."
            }
            Method::Formel(_) => {
                "Formelen gir til sammen mindre enn rammen, eller søknadene tar ikke mer."
            }
            Method::Poengvektet { .. } => {
                "Søknadene over minstepoeng er innvilget fullt ut; resten kan ikke fordeles."
            }
            _ => "Alle søknader er innvilget fullt ut.",
        };
        if below_unit > 0 {
            Some(format!(
                "{reason} I tillegg kan {} ikke fordeles i hele {unit_text}.",
                kroner(below_unit)
            ))
        } else {
            Some(reason.to_string())
        }
    };
    AllocationResult {
        claims,
        allocated: kroner(allocated_ore),
        unplaced: kroner(unplaced_ore),
        unplaced_reason,
    }
}

fn manual(input: &AllocationInput) -> Result<AllocationResult, AllocationError> {
    if input.pool.is_negative() {
        return Err(AllocationError::NegativePool);
    }
    let mut seen = BTreeSet::new();
    let mut claims = Vec::new();
    let mut sum = Kroner::ZERO;
    for c in &input.claims {
        if !seen.insert(c.id) {
            return Err(AllocationError::DuplicateClaim(c.id));
        }
        let amount = c.manual_amount.unwrap_or_default();
        if amount.is_negative() {
            return Err(AllocationError::BadClaim {
                id: c.id,
                message: "beløpet kan ikke være negativt.".into(),
            });
        }
        let limit = c.cap.map_or(c.requested, |cap| cap.min(c.requested));
        let problem = if amount > limit && !c.requested.is_zero() {
            Some(format!(
                "{amount} er mer enn omsøkt beløp eller taket ({limit})."
            ))
        } else if c.floor.is_some_and(|f| amount < f) {
            Some(format!(
                "{amount} er under minstebeløpet ({}).",
                c.floor.unwrap_or_default()
            ))
        } else {
            None
        };
        sum = sum + amount;
        claims.push(ClaimResult {
            id: c.id,
            amount,
            explanation: if c.requested.is_zero() {
                "Manuell".into()
            } else {
                format!(
                    "Manuell: {} % av omsøkt beløp",
                    percent_text(amount, c.requested)
                )
            },
            problem,
        });
    }
    if sum > input.pool {
        return Err(AllocationError::ManualAbovePool {
            sum,
            pool: input.pool,
        });
    }
    let unplaced = input.pool - sum;
    Ok(AllocationResult {
        claims,
        allocated: sum,
        unplaced,
        unplaced_reason: (!unplaced.is_zero())
            .then(|| "Ikke tildelt av saksbehandler.".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kr(n: i64) -> Kroner {
        Kroner::from_whole(n)
    }

    fn claim(id: i64, requested: i64) -> Claim {
        Claim {
            id,
            requested: kr(requested),
            floor: None,
            cap: None,
            score: None,
            indicators: Indicators::default(),
            manual_amount: None,
        }
    }

    fn input(pool: i64, unit: i64, method: Method, claims: Vec<Claim>) -> AllocationInput {
        AllocationInput {
            pool: kr(pool),
            unit: kr(unit),
            method,
            claims,
        }
    }

    /// 25 requests summing to 21 896 000 kr, as in the demo round.
    fn demo_claims() -> Vec<Claim> {
        let mut amounts: Vec<i64> = (0..24).map(|i| 400_000 + i * 37_000).collect();
        let rest = 21_896_000 - amounts.iter().sum::<i64>();
        amounts.push(rest);
        amounts
            .into_iter()
            .enumerate()
            .map(|(i, a)| claim(i as i64 + 1, a))
            .collect()
    }

    #[test]
    fn pro_rata_on_the_demo_round_uses_the_pool_exactly() {
        let claims = demo_claims();
        assert_eq!(
            claims.iter().map(|c| c.requested).sum::<Kroner>(),
            kr(21_896_000)
        );
        for unit in [1, 10, 100, 1000] {
            let result = allocate(&input(
                15_000_000,
                unit,
                Method::Forholdsmessig,
                claims.clone(),
            ))
            .unwrap();
            assert_eq!(result.allocated, kr(15_000_000), "unit {unit}");
            assert_eq!(result.unplaced, Kroner::ZERO);
            assert!(
                result
                    .claims
                    .iter()
                    .all(|c| c.amount.ore() % (unit * 100) == 0)
            );
        }
        let result = allocate(&input(15_000_000, 1000, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(
            result.claims[0].explanation,
            "Forholdsmessig: 68,5 % av omsøkt beløp, i hele 1\u{a0}000\u{a0}kr"
        );
    }

    #[test]
    fn a_pool_that_is_not_a_multiple_of_the_unit_says_what_is_left() {
        let claims = vec![claim(1, 10_000_000), claim(2, 8_000_000)];
        let result = allocate(&input(13_914_871, 1000, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(result.allocated, kr(13_914_000));
        assert_eq!(result.unplaced, kr(871));
        assert_eq!(
            result.unplaced_reason.as_deref(),
            Some("871\u{a0}kr kan ikke fordeles i hele 1\u{a0}000\u{a0}kr.")
        );
    }

    #[test]
    fn manual_2019_figures_reproduce_the_total() {
        let figures = [
            600_000, 700_000, 127_000, 435_906, 800_000, 9_251_965, 2_000_000,
        ];
        let claims: Vec<Claim> = figures
            .iter()
            .enumerate()
            .map(|(i, f)| Claim {
                manual_amount: Some(kr(*f)),
                requested: Kroner::ZERO,
                ..claim(i as i64, 0)
            })
            .collect();
        let result = allocate(&input(13_914_871, 1, Method::Manuell, claims.clone())).unwrap();
        assert_eq!(result.allocated, kr(13_914_871));
        assert_eq!(result.unplaced, Kroner::ZERO);
        assert!(result.is_valid());
        let too_small = allocate(&input(13_000_000, 1, Method::Manuell, claims));
        assert!(matches!(
            too_small,
            Err(AllocationError::ManualAbovePool { .. })
        ));
        let above_request = Claim {
            manual_amount: Some(kr(200)),
            ..claim(1, 100)
        };
        let result = allocate(&input(1000, 1, Method::Manuell, vec![above_request])).unwrap();
        assert!(!result.is_valid());
    }

    #[test]
    fn what_a_capped_claim_cannot_take_goes_to_the_others() {
        let mut a = claim(1, 1_000_000);
        a.cap = Some(kr(100_000));
        let claims = vec![a, claim(2, 1_000_000), claim(3, 1_000_000)];
        let result = allocate(&input(1_000_000, 1, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(result.amount_for(1), Some(kr(100_000)));
        assert_eq!(result.amount_for(2), Some(kr(450_000)));
        assert_eq!(result.amount_for(3), Some(kr(450_000)));
        assert!(
            result.claims[0]
                .explanation
                .contains("tak 100\u{a0}000\u{a0}kr")
        );
    }

    #[test]
    fn floors_are_held_and_floors_above_the_pool_are_an_error() {
        let mut small = claim(1, 100_000);
        small.floor = Some(kr(60_000));
        let claims = vec![small.clone(), claim(2, 1_000_000)];
        let result = allocate(&input(200_000, 1000, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(result.amount_for(1), Some(kr(60_000)));
        assert_eq!(result.allocated, kr(200_000));
        let error = allocate(&input(50_000, 1, Method::Forholdsmessig, vec![small])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Minstebeløpene er til sammen 60\u{a0}000\u{a0}kr, mer enn rammen på 50\u{a0}000\u{a0}kr."
        );
    }

    #[test]
    fn ranked_skips_or_cuts_the_last() {
        let scored = |id, requested, score: i64| Claim {
            score: Some(Decimal::from(score)),
            ..claim(id, requested)
        };
        let claims = vec![
            scored(1, 500, 9),
            scored(2, 400, 8),
            scored(3, 200, 7),
            scored(4, 100, 1),
        ];
        let skip = allocate(&input(
            800,
            1,
            Method::Rangert { cut_last: false },
            claims.clone(),
        ))
        .unwrap();
        assert_eq!(
            skip.claims.iter().map(|c| c.amount).collect::<Vec<_>>(),
            vec![kr(500), kr(0), kr(200), kr(100)]
        );
        assert!(skip.claims[1].explanation.contains("hoppet over"));
        let cut = allocate(&input(800, 1, Method::Rangert { cut_last: true }, claims)).unwrap();
        assert_eq!(
            cut.claims.iter().map(|c| c.amount).collect::<Vec<_>>(),
            vec![kr(500), kr(300), kr(0), kr(0)]
        );
        assert_eq!(cut.allocated, kr(800));
    }

    #[test]
    fn score_weighted_with_a_minimum_score() {
        let scored = |id, requested, score: &str| Claim {
            score: Some(score.parse().unwrap()),
            ..claim(id, requested)
        };
        let claims = vec![
            scored(1, 1000, "4.5"),
            scored(2, 1000, "1.5"),
            scored(3, 1000, "2"),
        ];
        let result = allocate(&input(
            1300,
            1,
            Method::Poengvektet {
                min_score: Decimal::TWO,
            },
            claims,
        ))
        .unwrap();
        assert_eq!(result.amount_for(2), Some(Kroner::ZERO));
        assert!(result.claims[1].explanation.contains("under minstepoeng"));
        // 4,5 : 2 of 1 300 kr.
        assert_eq!(result.amount_for(1), Some(kr(900)));
        assert_eq!(result.amount_for(3), Some(kr(400)));
    }

    #[test]
    fn formula_with_missing_indicators() {
        let parameters = FormulaParameters {
            base_amount: Decimal::from(100_000),
            per_inhabitant: Decimal::from(2),
            per_recipient: Decimal::ZERO,
            need_weight: Decimal::from(1000),
        };
        let mut a = claim(1, 1_000_000);
        a.indicators = Indicators {
            inhabitants: Some(Decimal::from(10_000)),
            home_service_recipients: Some(Decimal::from(100)),
            coordinator_coverage_percent: Some(Decimal::from(20)),
        };
        let b = claim(2, 1_000_000);
        // Targets: a = 100 000 + 20 000 + 1000·100·0,8 = 200 000; b = 100 000.
        let result = allocate(&input(
            1_000_000,
            1,
            Method::Formel(parameters.clone()),
            vec![a.clone(), b.clone()],
        ))
        .unwrap();
        assert_eq!(result.amount_for(1), Some(kr(200_000)));
        assert_eq!(result.amount_for(2), Some(kr(100_000)));
        assert_eq!(result.unplaced, kr(700_000));
        assert!(
            result.claims[1]
                .explanation
                .contains("mangler innbyggertall og antall mottakere og koordinatordekning")
        );
        let scaled = allocate(&input(150_000, 1, Method::Formel(parameters), vec![a, b])).unwrap();
        assert_eq!(scaled.amount_for(1), Some(kr(100_000)));
        assert_eq!(scaled.amount_for(2), Some(kr(50_000)));
    }

    fn arb_claims(scores: bool) -> impl Strategy<Value = Vec<Claim>> {
        prop::collection::vec(
            (
                0i64..2_000_000,
                prop::option::of(0i64..2_000_000),
                prop::option::weighted(0.2, 0i64..50_000),
                0i64..10,
            ),
            1..12,
        )
        .prop_map(move |rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (requested, cap, floor, score))| {
                    let floor = floor
                        .filter(|f| *f <= requested.min(cap.unwrap_or(i64::MAX)) / 1000 * 1000);
                    Claim {
                        id: i as i64 * 7 + 3,
                        requested: Kroner::from_ore(requested * 100 + 50),
                        cap: cap.map(kr),
                        floor: floor.map(kr),
                        score: scores.then(|| Decimal::new(score * 5, 1)),
                        indicators: Indicators {
                            inhabitants: Some(Decimal::from(score * 1000 + 500)),
                            home_service_recipients: (score % 3 != 0)
                                .then(|| Decimal::from(score * 40)),
                            coordinator_coverage_percent: Some(Decimal::from(score * 9)),
                        },
                        manual_amount: None,
                    }
                })
                .collect()
        })
    }

    fn arb_method() -> impl Strategy<Value = Method> {
        prop_oneof![
            Just(Method::Forholdsmessig),
            (0i64..6).prop_map(|m| Method::Poengvektet {
                min_score: Decimal::from(m)
            }),
            any::<bool>().prop_map(|cut_last| Method::Rangert { cut_last }),
            (0i64..200_000, 0i64..20, 0i64..3000).prop_map(|(b, i, n)| Method::Formel(
                FormulaParameters {
                    base_amount: Decimal::from(b),
                    per_inhabitant: Decimal::from(i),
                    per_recipient: Decimal::from(n),
                    need_weight: Decimal::from(n / 2),
                }
            )),
        ]
    }

    fn unit_strategy() -> impl Strategy<Value = i64> {
        prop_oneof![Just(1i64), Just(10), Just(100), Just(1000)]
    }

    /// Whether the claims could take the whole pool (in whole units).
    fn absorbable(input: &AllocationInput) -> bool {
        let p = prepare(input).unwrap();
        let capacity: i128 = match &input.method {
            Method::Forholdsmessig => p.caps.iter().sum(),
            Method::Rangert { cut_last: true } => input
                .claims
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if c.score.is_some() {
                        p.caps[i]
                    } else {
                        p.floors[i]
                    }
                })
                .sum(),
            _ => return false,
        };
        capacity >= p.pool_units
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn every_method_keeps_its_promises(
            claims in arb_claims(true),
            method in arb_method(),
            pool in 0i64..20_000_000,
            unit in unit_strategy(),
        ) {
            let input = input(pool, unit, method, claims.clone());
            let Ok(result) = allocate(&input) else {
                // The only refusal: floors above the pool.
                let floors: i64 = claims.iter().filter_map(|c| c.floor).map(|f| f.ore()).sum();
                prop_assert!(floors > pool * 100);
                return Ok(());
            };
            let sum: Kroner = result.claims.iter().map(|c| c.amount).sum();
            prop_assert_eq!(sum, result.allocated);
            prop_assert!(sum <= kr(pool));
            prop_assert_eq!(result.allocated + result.unplaced, kr(pool));
            if absorbable(&input) {
                prop_assert_eq!(sum, kr(pool / unit * unit));
            }
            for (c, r) in claims.iter().zip(&result.claims) {
                prop_assert_eq!(c.id, r.id);
                prop_assert_eq!(r.amount.ore() % (unit * 100), 0);
                prop_assert!(r.amount <= c.requested);
                if let Some(cap) = c.cap { prop_assert!(r.amount <= cap); }
                if let Some(floor) = c.floor { prop_assert!(r.amount >= floor); }
                prop_assert!(!r.amount.is_negative());
            }
            // Deterministic, and independent of the order of the claims.
            prop_assert_eq!(allocate(&input).unwrap(), result.clone());
            let mut reversed = input.clone();
            reversed.claims.reverse();
            let again = allocate(&reversed).unwrap();
            for r in &result.claims {
                prop_assert_eq!(again.amount_for(r.id), Some(r.amount));
            }
        }

        #[test]
        fn pro_rata_is_monotone_in_the_pool(
            claims in arb_claims(false),
            pool in 0i64..10_000_000,
            more in 0i64..2_000_000,
            unit in unit_strategy(),
        ) {
            let Ok(small) = allocate(&input(pool, unit, Method::Forholdsmessig, claims.clone())) else { return Ok(()) };
            let large = allocate(&input(pool + more, unit, Method::Forholdsmessig, claims)).unwrap();
            for (a, b) in small.claims.iter().zip(&large.claims) {
                prop_assert!(a.amount <= b.amount, "{} got {} of {} but {} of {}", a.id, a.amount, pool, b.amount, pool + more);
            }
        }

        #[test]
        fn score_weighted_is_monotone_in_the_pool(
            claims in arb_claims(true),
            pool in 0i64..10_000_000,
            more in 0i64..2_000_000,
        ) {
            let method = Method::Poengvektet { min_score: Decimal::ONE };
            let Ok(small) = allocate(&input(pool, 100, method.clone(), claims.clone())) else { return Ok(()) };
            let large = allocate(&input(pool + more, 100, method, claims)).unwrap();
            for (a, b) in small.claims.iter().zip(&large.claims) {
                prop_assert!(a.amount <= b.amount);
            }
        }

        #[test]
        fn manual_only_validates(amounts in prop::collection::vec(0i64..1_000_000, 1..10), extra in 0i64..1000) {
            let claims: Vec<Claim> = amounts.iter().enumerate().map(|(i, a)| Claim {
                manual_amount: Some(kr(*a)),
                ..claim(i as i64, 1_000_000)
            }).collect();
            let total: i64 = amounts.iter().sum();
            let result = allocate(&input(total + extra, 1000, Method::Manuell, claims)).unwrap();
            prop_assert_eq!(result.allocated, kr(total));
            prop_assert_eq!(result.unplaced, kr(extra));
            for (r, a) in result.claims.iter().zip(&amounts) {
                prop_assert_eq!(r.amount, kr(*a));
            }
        }
    }
}
