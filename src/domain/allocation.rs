//! The allocation engine: sharing a fixed pool between claims, exactly.
//!
//! Pure (no I/O) and float-free: amounts are whole øre and whole rounding units in
//! `i128`, shares are exact rationals, indicator arithmetic is `Decimal`.
//!
//! # Methods
//! - **manuell**: the officer's amounts (`Claim::manual_amount`), only validated. An
//!   amount above the request or cap, or below the floor, is reported per claim
//!   (`ClaimResult::problem`); a sum above the pool is an error. Amounts need not be
//!   multiples of the unit (historical figures such as 13 914 871 kr are exact). A request
//!   of 0 kr means «not stated» (historical data) and is not checked against.
//! - **forholdsmessig**: every request scaled by one common factor (at most 1).
//! - **formel**: a target per claim, `base + per_inhabitant × inhabitants + per_recipient
//!   × recipients + need_weight × recipients × (100 − coverage %) / 100`, so low
//!   coordinator coverage gives more. A missing indicator makes its term 0 (and the
//!   explanation says so). The target is a further cap; when the targets exceed the pool
//!   they are scaled by one common factor, when they fall short the rest is not placed.
//! - **poengvektet**: in proportion to score × request, for claims whose score is at least
//!   `min_score`; the others (and claims without a score) get nothing beyond their floor.
//!   Scores count with four decimals (further decimals are cut off).
//! - **rangert**: highest score first; ties go to the **lower id**; claims without a score
//!   are not ranked. Each claim is funded in full while the pool lasts; one that no longer
//!   fits is skipped (not cut) and the next ones are tried. With `cut_last`, the first
//!   claim that does not fit gets what is left, in whole units, and the rest get nothing.
//!   Floors are given to everyone before the ranking starts.
//!
//! # Bounds
//! Every method but the manual one works in whole rounding units. A claim's floor is
//! rounded **up** to the unit and its effective cap (the lowest of request, cap and, for
//! the formula, its target) **down**, so rounding can never take a claim above its cap
//! or below its floor. A request of 125 000,50 kr therefore gets at most 125 000 kr even
//! at 1 kr (the explanation says so). The part of the pool below one unit can never be
//! placed («871 kr kan ikke fordeles i hele 1 000 kr»).
//!
//! # Water-filling
//! Each claim has a floor F, an effective cap C and a weight w (request, score × request,
//! or target). The exact solution is one factor λ with Σ clamp(λ·w, F, C) = pool: what a
//! capped claim cannot take goes to the others until nothing changes. λ is found exactly
//! by walking the breakpoints F/w and C/w in order.
//!
//! # Rounding: Webster's divisor method with bounds
//! Think of the units as handed out one at a time: every claim starts at its floor, and
//! the next unit goes to the claim whose next unit has the lowest threshold (k − ½)/w
//! (k = the claim's amount in units after receiving it), among claims below their cap;
//! equal thresholds go to the **larger weight**, then the **lower id**. This is rounding
//! each λ·w to the nearest unit for a common λ (Sainte-Laguë / Webster).
//!
//! - The sum equals the pool (in whole units) whenever the claims can absorb it
//!   (Σ C ≥ pool), since units go out until the pool or every cap is reached.
//! - It is house-monotone: a larger pool only hands out more units, so nobody ever gets
//!   less (the largest-remainder method can take a unit away when the pool grows: the
//!   Alabama paradox; see the test `largest_remainder_would_take_from_a_claim`).
//! - The tie-break uses only weights and ids, so the result does not depend on the order
//!   of the claims in the input.
//!
//! The implementation does not loop over every unit: it rounds each exact share λ·w half
//! up, clamps it, and then adds or removes the few units still off (fewer than one per
//! claim) in the same threshold order, which gives exactly the one-at-a-time result.
//!
//! # Limits
//! Amounts up to [`MAX_INPUT_KRONER`], scores up to ±[`MAX_SCORE`], formula targets up to
//! [`MAX_INPUT_KRONER`] and at most [`MAX_CLAIMS`] claims; within these every product
//! fits in an `i128`. Anything outside is an [`AllocationError`], never a panic.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap};
use std::fmt;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::money::{Kroner, MAX_INPUT_KRONER, push_grouped_integer, push_integer, push_ore_number};

/// The most claims one allocation takes.
pub const MAX_CLAIMS: usize = 100_000;
/// The largest score (in absolute value).
pub const MAX_SCORE: i64 = 1_000_000;
/// Decimals of a score that count in the score-weighted method.
const SCORE_DECIMALS: u32 = 4;
const MAX_ORE: i128 = MAX_INPUT_KRONER as i128 * 100;
const NBSP: char = '\u{a0}';
/// Room for a typical explanation, so building one rarely reallocates.
const LINE_CAPACITY: usize = 128;

/// Indicator values of one applicant, from a statistics snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Indicators {
    #[serde(default)]
    pub inhabitants: Option<Decimal>,
    #[serde(default)]
    pub home_service_recipients: Option<Decimal>,
    /// Share of recipients with a coordinator, in percent (0–100; values outside are
    /// clamped).
    #[serde(default)]
    pub coordinator_coverage_percent: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Claim {
    /// The application's id; unique within one allocation.
    pub id: i64,
    /// 0 kr when the application does not state it (historical data).
    pub requested: Kroner,
    #[serde(default)]
    pub floor: Option<Kroner>,
    #[serde(default)]
    pub cap: Option<Kroner>,
    #[serde(default)]
    pub score: Option<Decimal>,
    #[serde(default)]
    pub indicators: Indicators,
    /// The officer's amount, for the manual method (missing = 0 kr).
    #[serde(default)]
    pub manual_amount: Option<Kroner>,
}

/// The formula's parameters, in kroner; none may be negative.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FormulaParameters {
    pub base_amount: Decimal,
    pub per_inhabitant: Decimal,
    pub per_recipient: Decimal,
    /// Kroner per recipient without a coordinator: `need_weight × recipients × (100 −
    /// coverage) / 100`.
    pub need_weight: Decimal,
}

/// How the pool is shared; stored as JSON with a `method` tag
/// (`{"method":"rangert","cut_last":true}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    Manuell,
    Forholdsmessig,
    Formel(FormulaParameters),
    Poengvektet { min_score: Decimal },
    Rangert { cut_last: bool },
}

impl Method {
    /// The JSON tag: `manuell`, `forholdsmessig`, `formel`, `poengvektet`, `rangert`.
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllocationInput {
    pub pool: Kroner,
    /// The rounding unit: a whole number of kroner, in practice 1, 10, 100 or 1 000 kr.
    pub unit: Kroner,
    pub method: Method,
    pub claims: Vec<Claim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClaimResult {
    pub id: i64,
    pub amount: Kroner,
    /// One line in Norwegian on how the amount came about.
    pub explanation: String,
    /// For the manual method: what is wrong with the officer's amount.
    #[serde(default)]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllocationResult {
    /// In the order of the input claims.
    pub claims: Vec<ClaimResult>,
    /// The sum of the amounts.
    pub allocated: Kroner,
    /// «Ikke fordelt»: pool − allocated.
    pub unplaced: Kroner,
    /// Why something is not placed, in Norwegian; `None` when everything is.
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

/// Why the engine could not allocate; `Display` is a Norwegian sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocationError {
    BadUnit(Kroner),
    NegativePool,
    PoolTooLarge(Kroner),
    TooManyClaims(usize),
    DuplicateClaim(i64),
    /// `message` starts in lower case and ends with a full stop.
    BadClaim {
        id: i64,
        message: String,
    },
    /// `floors` is the sum of the floors, each rounded up to the unit.
    FloorsAbovePool {
        floors: Kroner,
        pool: Kroner,
        unit: Kroner,
        rounded_up: bool,
    },
    ManualAbovePool {
        sum: Kroner,
        pool: Kroner,
    },
    NegativeMinimumScore,
    BadParameter(String),
}

impl fmt::Display for AllocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = Kroner::from_whole(MAX_INPUT_KRONER);
        match self {
            AllocationError::BadUnit(unit) => write!(
                f,
                "Avrundingsenheten må være et helt antall kroner, fra 1 kr til {max} (fikk {unit})."
            ),
            AllocationError::NegativePool => write!(f, "Rammen kan ikke være negativ."),
            AllocationError::PoolTooLarge(pool) => {
                write!(f, "Rammen på {pool} er for stor (høyst {max}).")
            }
            AllocationError::TooManyClaims(n) => write!(
                f,
                "For mange søknader ({n}); høyst {}.",
                number_text(Decimal::from(MAX_CLAIMS))
            ),
            AllocationError::DuplicateClaim(id) => write!(f, "Søknad {id} er med flere ganger."),
            AllocationError::BadClaim { id, message } => write!(f, "Søknad {id}: {message}"),
            AllocationError::FloorsAbovePool {
                floors,
                pool,
                unit,
                rounded_up,
            } => {
                write!(f, "Minstebeløpene er til sammen {floors}")?;
                if *rounded_up {
                    write!(f, " (hvert avrundet opp til hele {unit})")?;
                }
                write!(f, ", mer enn rammen på {pool}.")
            }
            AllocationError::ManualAbovePool { sum, pool } => write!(
                f,
                "De manuelle beløpene er til sammen {sum}, mer enn rammen på {pool}."
            ),
            AllocationError::NegativeMinimumScore => {
                write!(f, "Minstepoeng kan ikke være negativt.")
            }
            AllocationError::BadParameter(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for AllocationError {}

/// Computes the allocation. Deterministic, and independent of the order of the claims
/// (the result lists them in input order).
pub fn allocate(input: &AllocationInput) -> Result<AllocationResult, AllocationError> {
    match &input.method {
        Method::Manuell => manual(input),
        Method::Forholdsmessig => pro_rata(input),
        Method::Formel(parameters) => formula(input, parameters),
        Method::Poengvektet { min_score } => score_weighted(input, *min_score),
        Method::Rangert { cut_last } => ranked(input, *cut_last),
    }
}

// ---------------------------------------------------------------------------------------
// Norwegian number formatting

/// A number in Norwegian form: decimal comma, no-break space between groups of thousands,
/// `−` for minus, no trailing zeros (`1 234,5`).
pub fn number_text(value: Decimal) -> String {
    let mut out = String::new();
    push_number(&mut out, value);
    out
}

/// `number_text`, appended to `out`. From the mantissa rather than through
/// `normalize().to_string()`: the engine writes a score into every explanation.
fn push_number(out: &mut String, value: Decimal) {
    let mut mantissa = value.mantissa();
    let mut scale = value.scale();
    if mantissa == 0 {
        // normalize() makes −0 into 0.
        out.push('0');
        return;
    }
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if mantissa < 0 {
        out.push('−');
    }
    let abs = mantissa.unsigned_abs();
    let divisor = 10u128.pow(scale);
    push_grouped_integer(out, abs / divisor);
    if scale > 0 {
        out.push(',');
        let fraction = (abs % divisor).to_string();
        for _ in fraction.len()..scale as usize {
            out.push('0');
        }
        out.push_str(&fraction);
    }
}

/// `part` as a percentage of `whole`, one decimal, half away from zero: `61,3`.
/// `–` when `whole` is zero.
pub fn percent_text(part: Kroner, whole: Kroner) -> String {
    let mut out = String::new();
    push_percent(&mut out, part, whole);
    out
}

/// `percent_text`, appended to `out`.
fn push_percent(out: &mut String, part: Kroner, whole: Kroner) {
    if whole.is_zero() {
        out.push('–');
        return;
    }
    // The engine writes one per claim: in whole øre when both are amounts the engine
    // allows (the same digits the Decimal division gives, since a quotient of øre
    // amounts is never within Decimal's precision of a midpoint).
    if let (Some(part), Some(whole)) = (part.to_ore(), whole.to_ore())
        && part >= 0
        && whole > 0
    {
        let (part, whole) = (i128::from(part), i128::from(whole));
        let tenths = (part * 2_000 + whole) / (2 * whole);
        // Non-negative, so the casts are exact.
        push_grouped_integer(out, (tenths / 10) as u128);
        out.push(',');
        out.push(char::from(b'0' + (tenths % 10) as u8));
        return;
    }
    let percent = (part.decimal() * Decimal::ONE_HUNDRED / whole.decimal())
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    out.push_str(&group_norwegian(&format!("{percent:.1}")));
}

/// `-1234.5` → `−1 234,5`.
fn group_norwegian(plain: &str) -> String {
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("−", rest),
        None => ("", plain),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut out = String::from(sign);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(NBSP);
        }
        out.push(ch);
    }
    if let Some(fraction) = fraction {
        out.push(',');
        out.push_str(fraction);
    }
    out
}

/// «a», «a og b», «a, b og c».
/// `a`, `a og b`, `a, b og c`.
pub fn join_norwegian(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} og {last}", init.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------
// Arithmetic

fn ore(k: Kroner) -> i128 {
    i128::from(k.ore())
}

fn kroner(ore: i128) -> Kroner {
    Kroner::from_ore(i64::try_from(ore).unwrap_or(i64::MAX))
}

/// What `kroner(ore).to_string()` writes, appended to `out`.
fn push_ore_text(out: &mut String, ore: i128) {
    push_ore_number(out, i64::try_from(ore).unwrap_or(i64::MAX));
    out.push(NBSP);
    out.push_str("kr");
}

/// `a/b` compared with `c/d` (b, d > 0).
fn cmp_ratio(a: i128, b: i128, c: i128, d: i128) -> Ordering {
    (a * d).cmp(&(c * b))
}

/// One claim as the solver sees it: bounds in units and an integer weight.
#[derive(Debug, Clone)]
struct Bounds {
    id: i64,
    floor: i128,
    cap: i128,
    weight: i128,
}

/// The `k`-th unit of a claim, ordered by when Webster's method hands it out: threshold
/// (2k − 1)/(2w), then the larger weight, then the lower id. Smaller = earlier.
#[derive(Debug, Clone, Copy)]
struct Step {
    num: i128,
    den: i128,
    weight: i128,
    id: i64,
    index: usize,
}

impl Step {
    fn new(claim: &Bounds, index: usize, k: i128) -> Step {
        Step {
            num: 2 * k - 1,
            den: 2 * claim.weight,
            weight: claim.weight,
            id: claim.id,
            index,
        }
    }
}

impl Ord for Step {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_ratio(self.num, self.den, other.num, other.den)
            .then(other.weight.cmp(&self.weight))
            .then(self.id.cmp(&other.id))
    }
}

impl PartialOrd for Step {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Step {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Step {}

/// A breakpoint of the water-filling: claim `index` leaves its floor (`starts`) or
/// reaches its cap at λ = x/w.
#[derive(Debug, Clone, Copy)]
struct Event {
    /// ⌊x·2⁶⁴/w⌋, or `u128::MAX` when x does not fit in 64 bits: a cheap first
    /// comparison, since a smaller key means a smaller ratio; equal (or unknown) keys are
    /// compared exactly.
    key: u128,
    index: usize,
    starts: bool,
}

impl Event {
    fn new(x: i128, w: i128, index: usize, starts: bool) -> Event {
        // x ≥ 0 and w > 0 (only claims with a weight have events).
        let key = match (u64::try_from(x), u128::try_from(w)) {
            (Ok(x), Ok(w)) if w > 0 => (u128::from(x) << 64) / w,
            _ => u128::MAX,
        };
        Event { key, index, starts }
    }

    fn x(&self, c: &Bounds) -> i128 {
        if self.starts { c.floor } else { c.cap }
    }

    /// By ratio x/w, then starts before ends: the order the walk needs.
    fn cmp(&self, other: &Event, claims: &[Bounds]) -> Ordering {
        let by_ratio = if self.key != other.key && self.key != u128::MAX && other.key != u128::MAX {
            self.key.cmp(&other.key)
        } else {
            let (a, b) = (&claims[self.index], &claims[other.index]);
            cmp_ratio(self.x(a), a.weight, other.x(b), b.weight)
        };
        by_ratio.then(other.starts.cmp(&self.starts))
    }
}

/// Webster apportionment of `pool` units within floors and caps (see the module docs).
/// Claims with weight 0 stay at their floor. Assumes Σ floor ≤ pool and floor ≤ cap.
fn apportion(pool: i128, claims: &[Bounds]) -> Vec<i128> {
    let top = |c: &Bounds| if c.weight > 0 { c.cap } else { c.floor };
    let floors: i128 = claims.iter().map(|c| c.floor).sum();
    if claims.iter().map(top).sum::<i128>() <= pool {
        return claims.iter().map(top).collect();
    }
    // Water-filling: S(λ) = Σ clamp(λ·w, F, C) is piecewise linear, with breakpoints where
    // a claim leaves its floor (F/w) or reaches its cap (C/w). Walk them in order until
    // S reaches the pool; λ = num/den on that segment.
    let mut events: Vec<Event> = Vec::with_capacity(2 * claims.len());
    for (i, c) in claims.iter().enumerate().filter(|(_, c)| c.weight > 0) {
        events.push(Event::new(c.floor, c.weight, i, true));
        events.push(Event::new(c.cap, c.weight, i, false));
    }
    // Unstable is enough: S is continuous, so at events with equal ratios S has the same
    // value whatever their order, and the walk stops at the first of them.
    events.sort_unstable_by(|a, b| a.cmp(b, claims));
    // S(λ) = constant + λ·active_weight on the current segment.
    let mut constant = floors;
    let mut active_weight: i128 = 0;
    let mut lambda = None;
    for e in &events {
        let c = &claims[e.index];
        let (x, w) = (e.x(c), c.weight);
        if constant * w + x * active_weight >= pool * w {
            lambda = Some((pool - constant, active_weight));
            break;
        }
        if e.starts {
            constant -= c.floor;
            active_weight += c.weight;
        } else {
            active_weight -= c.weight;
            constant += c.cap;
        }
    }
    // Σ top > pool guarantees a hit with active_weight > 0; the fallback only keeps the
    // arithmetic safe, the adjustment below reaches the pool from anywhere.
    let (num, den) = lambda.unwrap_or((0, 1));
    let den = den.max(1);
    // Each exact share rounded half up: floor(λ·w + ½), within the bounds.
    let mut amounts: Vec<i128> = claims
        .iter()
        .map(|c| {
            if c.weight == 0 {
                return c.floor;
            }
            ((2 * num.max(0) * c.weight + den) / (2 * den)).clamp(c.floor, c.cap)
        })
        .collect();
    let mut total: i128 = amounts.iter().sum();
    if total < pool {
        // Hand out the next units in threshold order.
        let mut next: BinaryHeap<Reverse<Step>> = claims
            .iter()
            .enumerate()
            .filter(|&(i, c)| c.weight > 0 && amounts[i] < c.cap)
            .map(|(i, c)| Reverse(Step::new(c, i, amounts[i] + 1)))
            .collect();
        while total < pool {
            let Some(Reverse(step)) = next.pop() else {
                break;
            };
            let i = step.index;
            amounts[i] += 1;
            total += 1;
            if amounts[i] < claims[i].cap {
                next.push(Reverse(Step::new(&claims[i], i, amounts[i] + 1)));
            }
        }
    } else if total > pool {
        // Take back the units handed out last.
        let mut last: BinaryHeap<Step> = claims
            .iter()
            .enumerate()
            .filter(|&(i, c)| c.weight > 0 && amounts[i] > c.floor)
            .map(|(i, c)| Step::new(c, i, amounts[i]))
            .collect();
        while total > pool {
            let Some(step) = last.pop() else {
                break;
            };
            let i = step.index;
            amounts[i] -= 1;
            total -= 1;
            if amounts[i] > claims[i].floor {
                last.push(Step::new(&claims[i], i, amounts[i]));
            }
        }
    }
    amounts
}

// ---------------------------------------------------------------------------------------
// Validation and common bounds

fn check_amount(value: Kroner, what: &str) -> Result<i128, String> {
    if value.is_negative() {
        return Err(format!("{what} kan ikke være negativt."));
    }
    let ore = ore(value);
    if ore > MAX_ORE {
        return Err(format!(
            "{what} er for stort (høyst {}).",
            Kroner::from_whole(MAX_INPUT_KRONER)
        ));
    }
    Ok(ore)
}

/// Checks what every method needs: the pool, the number of claims, unique ids.
fn check_common(input: &AllocationInput) -> Result<(), AllocationError> {
    if input.pool.is_negative() {
        return Err(AllocationError::NegativePool);
    }
    if ore(input.pool) > MAX_ORE {
        return Err(AllocationError::PoolTooLarge(input.pool));
    }
    if input.claims.len() > MAX_CLAIMS {
        return Err(AllocationError::TooManyClaims(input.claims.len()));
    }
    // Sorting is much cheaper than a set at 10 000 claims; only when there is a
    // duplicate is the input walked in order, to name the first one.
    let mut ids: Vec<i64> = input.claims.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    if ids.windows(2).all(|w| w[0] != w[1]) {
        return Ok(());
    }
    let mut seen = BTreeSet::new();
    for c in &input.claims {
        if !seen.insert(c.id) {
            return Err(AllocationError::DuplicateClaim(c.id));
        }
    }
    Ok(())
}

/// The claims' bounds in whole units, shared by the non-manual methods.
struct Prepared {
    /// The unit in øre.
    unit: i128,
    unit_text: String,
    pool_units: i128,
    /// Floors rounded up to the unit.
    floors: Vec<i128>,
    /// min(request, cap) rounded down to the unit.
    caps: Vec<i128>,
    /// min(request, cap) in øre.
    limits: Vec<i128>,
    /// Whether the cap is below the request (the explanations then name the cap).
    cap_binds: Vec<bool>,
}

fn prepare(input: &AllocationInput) -> Result<Prepared, AllocationError> {
    let unit = ore(input.unit);
    if unit < 100 || unit % 100 != 0 || unit > MAX_ORE {
        return Err(AllocationError::BadUnit(input.unit));
    }
    check_common(input)?;
    let unit_text = input.unit.to_string();
    let mut floors = Vec::with_capacity(input.claims.len());
    let mut caps = Vec::with_capacity(input.claims.len());
    let mut limits = Vec::with_capacity(input.claims.len());
    let mut cap_binds = Vec::with_capacity(input.claims.len());
    let mut floors_rounded_up = false;
    for c in &input.claims {
        let bad = |message: String| AllocationError::BadClaim { id: c.id, message };
        let requested = check_amount(c.requested, "omsøkt beløp").map_err(bad)?;
        let cap = match c.cap {
            Some(cap) => Some(check_amount(cap, "taket").map_err(bad)?),
            None => None,
        };
        let floor = match c.floor {
            Some(floor) => check_amount(floor, "minstebeløpet").map_err(bad)?,
            None => 0,
        };
        // |score| > MAX_SCORE on the mantissa (exact: 10^28 · MAX_SCORE fits an i128).
        if let Some(score) = c.score
            && score.mantissa().abs() > i128::from(MAX_SCORE) * 10i128.pow(score.scale())
        {
            return Err(bad(format!(
                "poengsummen {} er for stor (høyst {}).",
                number_text(score),
                number_text(Decimal::from(MAX_SCORE))
            )));
        }
        let limit = cap.map_or(requested, |cap| cap.min(requested));
        let limit_kr = || kroner(limit);
        if floor > limit {
            return Err(bad(format!(
                "minstebeløpet ({}) er høyere enn omsøkt beløp eller taket ({}).",
                kroner(floor),
                limit_kr()
            )));
        }
        let cap_units = limit / unit;
        let floor_units = (floor + unit - 1) / unit;
        if floor_units > cap_units {
            return Err(bad(format!(
                "minstebeløpet ({}) avrundet opp til hele {unit_text} er høyere enn omsøkt beløp eller taket ({}).",
                kroner(floor),
                limit_kr()
            )));
        }
        floors_rounded_up |= floor_units * unit != floor;
        floors.push(floor_units);
        caps.push(cap_units);
        limits.push(limit);
        cap_binds.push(cap.is_some_and(|cap| cap < requested));
    }
    let pool_units = ore(input.pool) / unit;
    let floor_sum: i128 = floors.iter().sum();
    if floor_sum > pool_units {
        return Err(AllocationError::FloorsAbovePool {
            floors: kroner(floor_sum * unit),
            pool: input.pool,
            unit: input.unit,
            rounded_up: floors_rounded_up,
        });
    }
    Ok(Prepared {
        unit,
        unit_text,
        pool_units,
        floors,
        caps,
        limits,
        cap_binds,
    })
}

impl Prepared {
    fn kr(&self, units: i128) -> Kroner {
        kroner(units * self.unit)
    }

    fn bounds(&self, input: &AllocationInput, weights: &[i128], caps: &[i128]) -> Vec<Bounds> {
        input
            .claims
            .iter()
            .enumerate()
            .map(|(i, c)| Bounds {
                id: c.id,
                floor: self.floors[i],
                cap: caps[i].max(self.floors[i]),
                weight: weights[i].max(0),
            })
            .collect()
    }

    /// «, avrundet ned til hele 1 000 kr» when the request or cap is not a whole number
    /// of units.
    fn push_rounded_down_note(&self, out: &mut String, i: usize) {
        if self.limits[i] > self.caps[i] * self.unit {
            out.push_str(", avrundet ned til hele ");
            out.push_str(&self.unit_text);
        }
    }

    /// «minstebeløpet (60 000 kr)», noting when it was rounded up.
    fn push_floor_text(&self, out: &mut String, c: &Claim, i: usize) {
        let floor = c.floor.unwrap_or_default();
        out.push_str("minstebeløpet (");
        floor.push_text(out);
        out.push(')');
        if self.floors[i] * self.unit > ore(floor) {
            out.push_str(", avrundet opp til hele ");
            out.push_str(&self.unit_text);
        }
    }

    /// «; minstebeløpet (…)» when the claim has something, else nothing.
    fn push_floor_note(&self, out: &mut String, c: &Claim, i: usize, amount: i128) {
        if amount > 0 {
            out.push_str("; ");
            self.push_floor_text(out, c, i);
        }
    }

    /// The explanation when the claim's own bounds decided the amount, appended to
    /// `out`; `false` (and nothing written) when it got a share between them.
    fn push_bound_text(&self, out: &mut String, c: &Claim, i: usize, amount: i128) -> bool {
        let (limit_name, limit) = match c.cap {
            Some(cap) if self.cap_binds[i] => ("taket", cap),
            _ => ("omsøkt beløp", c.requested),
        };
        if self.caps[i] == 0 {
            out.push_str(limit_name);
            if limit.is_zero() {
                out.push_str(" er 0 kr");
            } else {
                out.push_str(" (");
                limit.push_text(out);
                out.push_str(") er under ");
                out.push_str(&self.unit_text);
            }
            return true;
        }
        if amount == self.caps[i] {
            if self.cap_binds[i] {
                out.push_str("innvilget opp til taket (");
                limit.push_text(out);
                out.push(')');
            } else {
                out.push_str("fullt innvilget");
            }
            self.push_rounded_down_note(out, i);
            return true;
        }
        if amount == self.floors[i] && amount > 0 {
            self.push_floor_text(out, c, i);
            return true;
        }
        false
    }

    /// «61,3 % av omsøkt beløp, avrundet til nærmeste 1 000 kr».
    fn push_share_text(&self, out: &mut String, c: &Claim, amount: i128) {
        push_percent(out, self.kr(amount), c.requested);
        out.push_str(" % av omsøkt beløp, avrundet til nærmeste ");
        out.push_str(&self.unit_text);
    }

    /// Whether any claim for which `counts` holds has a request or cap that is not a
    /// whole number of units (so «fullt ut» means «in whole units»).
    fn any_rounded_down(&self, counts: impl Fn(usize) -> bool) -> bool {
        (0..self.caps.len()).any(|i| counts(i) && self.limits[i] > self.caps[i] * self.unit)
    }
}

/// Builds the result; `shortfall` (a sentence) says why the claims could not take the
/// whole pool, and is used only when they did not.
fn finish(
    input: &AllocationInput,
    p: &Prepared,
    amounts: &[i128],
    lines: Vec<String>,
    shortfall: &str,
) -> AllocationResult {
    let allocated_units: i128 = amounts.iter().sum();
    let claims = input
        .claims
        .iter()
        .zip(amounts)
        .zip(lines)
        .map(|((c, &a), explanation)| ClaimResult {
            id: c.id,
            amount: p.kr(a),
            explanation,
            problem: None,
        })
        .collect();
    let below_unit = ore(input.pool) - p.pool_units * p.unit;
    let below_text = || {
        format!(
            "{} kan ikke fordeles i hele {}.",
            kroner(below_unit),
            p.unit_text
        )
    };
    let unplaced_reason = match (allocated_units < p.pool_units, below_unit > 0) {
        (false, false) => None,
        (false, true) => Some(below_text()),
        (true, false) => Some(shortfall.to_string()),
        (true, true) => Some(format!("{shortfall} I tillegg: {}", below_text())),
    };
    let allocated = p.kr(allocated_units);
    AllocationResult {
        claims,
        allocated,
        unplaced: input.pool - allocated,
        unplaced_reason,
    }
}

// ---------------------------------------------------------------------------------------
// The methods

fn manual(input: &AllocationInput) -> Result<AllocationResult, AllocationError> {
    check_common(input)?;
    let mut claims = Vec::with_capacity(input.claims.len());
    let mut sum = Kroner::ZERO;
    for c in &input.claims {
        let bad = |message: String| AllocationError::BadClaim { id: c.id, message };
        let amount = c.manual_amount.unwrap_or_default();
        check_amount(amount, "beløpet").map_err(bad)?;
        let limit = c.cap.map_or(c.requested, |cap| cap.min(c.requested));
        let problem = if amount > limit && (!c.requested.is_zero() || c.cap.is_some()) {
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
        let explanation = if c.manual_amount.is_none() {
            "Manuell: ikke satt, 0 kr".to_string()
        } else if c.requested.is_zero() {
            "Manuell: satt av saksbehandler".to_string()
        } else {
            let mut line = String::with_capacity(48);
            line.push_str("Manuell: ");
            push_percent(&mut line, amount, c.requested);
            line.push_str(" % av omsøkt beløp");
            line
        };
        claims.push(ClaimResult {
            id: c.id,
            amount,
            explanation,
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

fn pro_rata(input: &AllocationInput) -> Result<AllocationResult, AllocationError> {
    let p = prepare(input)?;
    let weights: Vec<i128> = input.claims.iter().map(|c| ore(c.requested)).collect();
    let amounts = apportion(p.pool_units, &p.bounds(input, &weights, &p.caps));
    let lines = input
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut line = String::with_capacity(LINE_CAPACITY);
            line.push_str("Forholdsmessig: ");
            if !p.push_bound_text(&mut line, c, i, amounts[i]) {
                p.push_share_text(&mut line, c, amounts[i]);
            }
            line
        })
        .collect();
    let mut shortfall = "Alle søknader er innvilget fullt ut".to_string();
    if p.any_rounded_down(|_| true) {
        shortfall.push_str(&format!(", i hele {}", p.unit_text));
    }
    shortfall.push('.');
    Ok(finish(input, &p, &amounts, lines, &shortfall))
}

fn score_weighted(
    input: &AllocationInput,
    min_score: Decimal,
) -> Result<AllocationResult, AllocationError> {
    if min_score.is_sign_negative() && !min_score.is_zero() {
        return Err(AllocationError::NegativeMinimumScore);
    }
    let p = prepare(input)?;
    let eligible: Vec<bool> = input
        .claims
        .iter()
        .map(|c| c.score.is_some_and(|s| s >= min_score))
        .collect();
    // Scores as integers on one fixed scale, so the weights are exact.
    let scale = Decimal::from(10i64.pow(SCORE_DECIMALS));
    let weights: Vec<i128> = input
        .claims
        .iter()
        .zip(&eligible)
        .map(|(c, &ok)| {
            let score = c.score.unwrap_or_default();
            if !ok || score <= Decimal::ZERO {
                return 0;
            }
            score_units(score, scale) * ore(c.requested)
        })
        .collect();
    let amounts = apportion(p.pool_units, &p.bounds(input, &weights, &p.caps));
    let min_text = number_text(min_score);
    let lines = input
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut line = String::with_capacity(LINE_CAPACITY);
            line.push_str("Poengvektet: ");
            match c.score {
                None => {
                    line.push_str("mangler poeng");
                    p.push_floor_note(&mut line, c, i, amounts[i]);
                }
                Some(s) if !eligible[i] => {
                    push_number(&mut line, s);
                    line.push_str(" poeng, under minstepoeng (");
                    line.push_str(&min_text);
                    line.push(')');
                    p.push_floor_note(&mut line, c, i, amounts[i]);
                }
                Some(s) if weights[i] == 0 && p.caps[i] > 0 => {
                    push_number(&mut line, s);
                    line.push_str(" poeng gir ingen andel");
                    p.push_floor_note(&mut line, c, i, amounts[i]);
                }
                Some(s) => {
                    push_number(&mut line, s);
                    line.push_str(" poeng, ");
                    if !p.push_bound_text(&mut line, c, i, amounts[i]) {
                        p.push_share_text(&mut line, c, amounts[i]);
                    }
                }
            }
            line
        })
        .collect();
    let shortfall = if weights.iter().all(|&w| w == 0) {
        format!("Ingen søknader har poeng over 0 og minst minstepoeng ({min_text}).")
    } else {
        let mut text = "Søknadene som når minstepoeng, er innvilget fullt ut".to_string();
        if p.any_rounded_down(|i| weights[i] > 0) {
            text.push_str(&format!(", i hele {}", p.unit_text));
        }
        text + "; resten kan ikke fordeles."
    };
    Ok(finish(input, &p, &amounts, lines, &shortfall))
}

/// The score in units of 10^-SCORE_DECIMALS, further decimals cut off.
fn score_units(score: Decimal, scale: Decimal) -> i128 {
    // Scores with at most SCORE_DECIMALS decimals (all in practice) are exact on the
    // mantissa; only longer ones go through Decimal, whose rounding then decides.
    if score.scale() <= SCORE_DECIMALS {
        return score.mantissa() * 10i128.pow(SCORE_DECIMALS - score.scale());
    }
    (score * scale).trunc().to_i128().unwrap_or(0)
}

/// The formula's target for one claim in øre, and the indicators it lacked.
struct Target {
    ore: i128,
    missing: Vec<&'static str>,
}

/// The figures the formula uses (a term whose parameter is not 0) that `ind` lacks, by
/// their Norwegian names: `innbyggertall`, `antall mottakere`, `koordinatordekning`.
pub fn missing_figures(f: &FormulaParameters, ind: &Indicators) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if ind.inhabitants.is_none() && !f.per_inhabitant.is_zero() {
        missing.push("innbyggertall");
    }
    if ind.home_service_recipients.is_none()
        && !(f.per_recipient.is_zero() && f.need_weight.is_zero())
    {
        missing.push("antall mottakere");
    }
    if ind.coordinator_coverage_percent.is_none() && !f.need_weight.is_zero() {
        missing.push("koordinatordekning");
    }
    missing
}

/// One claim of a formula allocation that lacks figures the formula uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MissingFigures {
    pub id: i64,
    pub missing: Vec<String>,
}

/// Every claim of `input` that lacks a figure its formula uses, in the claims' order;
/// empty for the other methods.
pub fn claims_missing_figures(input: &AllocationInput) -> Vec<MissingFigures> {
    let Method::Formel(f) = &input.method else {
        return Vec::new();
    };
    input
        .claims
        .iter()
        .filter_map(|c| {
            let missing = missing_figures(f, &c.indicators);
            (!missing.is_empty()).then(|| MissingFigures {
                id: c.id,
                missing: missing.into_iter().map(str::to_string).collect(),
            })
        })
        .collect()
}

impl MissingFigures {
    /// `innbyggertall og antall mottakere`.
    pub fn text(&self) -> String {
        let names: Vec<&str> = self.missing.iter().map(String::as_str).collect();
        join_norwegian(&names)
    }
}

fn formula_target(f: &FormulaParameters, c: &Claim) -> Result<Target, AllocationError> {
    let ind = &c.indicators;
    let values = [
        ind.inhabitants,
        ind.home_service_recipients,
        ind.coordinator_coverage_percent,
    ];
    if values
        .iter()
        .flatten()
        .any(|v| v.is_sign_negative() && !v.is_zero())
    {
        return Err(AllocationError::BadClaim {
            id: c.id,
            message: "indikatorverdiene kan ikke være negative.".into(),
        });
    }
    let missing = missing_figures(f, ind);
    let inhabitants = ind.inhabitants.unwrap_or_default();
    let recipients = ind.home_service_recipients.unwrap_or_default();
    // Missing coverage: the need term is 0, as if everyone had a coordinator.
    let uncovered_percent = ind.coordinator_coverage_percent.map_or(Decimal::ZERO, |c| {
        Decimal::ONE_HUNDRED - c.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED)
    });
    let target = f
        .per_inhabitant
        .checked_mul(inhabitants)
        .and_then(|t| t.checked_add(f.base_amount))
        .and_then(|t| t.checked_add(f.per_recipient.checked_mul(recipients)?))
        .and_then(|t| {
            let need = f
                .need_weight
                .checked_mul(recipients)?
                .checked_mul(uncovered_percent)?
                .checked_div(Decimal::ONE_HUNDRED)?;
            t.checked_add(need)
        })
        .and_then(|t| t.checked_mul(Decimal::ONE_HUNDRED))
        .and_then(|t| t.trunc().to_i128())
        .filter(|&t| t <= MAX_ORE);
    let Some(ore) = target else {
        return Err(AllocationError::BadParameter(format!(
            "Formelen gir søknad {} mer enn {}; sjekk parameterne og indikatorene.",
            c.id,
            Kroner::from_whole(MAX_INPUT_KRONER)
        )));
    };
    Ok(Target { ore, missing })
}

fn formula(
    input: &AllocationInput,
    f: &FormulaParameters,
) -> Result<AllocationResult, AllocationError> {
    let parameters = [
        f.base_amount,
        f.per_inhabitant,
        f.per_recipient,
        f.need_weight,
    ];
    if parameters
        .iter()
        .any(|v| v.is_sign_negative() && !v.is_zero())
    {
        return Err(AllocationError::BadParameter(
            "Formelens parametere kan ikke være negative.".into(),
        ));
    }
    let p = prepare(input)?;
    let targets = input
        .claims
        .iter()
        .map(|c| formula_target(f, c))
        .collect::<Result<Vec<_>, _>>()?;
    // The target rounded down to the unit is one more cap.
    let natural: Vec<i128> = (0..input.claims.len())
        .map(|i| p.caps[i].min(targets[i].ore / p.unit))
        .collect();
    let weights: Vec<i128> = targets.iter().map(|t| t.ore).collect();
    let amounts = apportion(p.pool_units, &p.bounds(input, &weights, &natural));
    let lines = input
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let target = &targets[i];
            let amount = amounts[i];
            let mut line = String::with_capacity(LINE_CAPACITY + 32);
            line.push_str("Formel: ");
            push_ore_text(&mut line, target.ore);
            line.push_str(" etter formelen");
            if amount > natural[i] {
                line.push_str(", hevet til ");
                p.push_floor_text(&mut line, c, i);
            } else if amount == natural[i] {
                if target.ore > p.limits[i] {
                    match c.cap {
                        Some(cap) if p.cap_binds[i] => {
                            line.push_str(", begrenset til taket (");
                            cap.push_text(&mut line);
                        }
                        _ => {
                            line.push_str(", begrenset til omsøkt beløp (");
                            c.requested.push_text(&mut line);
                        }
                    }
                    line.push(')');
                }
                if amount * p.unit < target.ore.min(p.limits[i]) {
                    line.push_str(", avrundet ned til hele ");
                    line.push_str(&p.unit_text);
                }
            } else if amount == p.floors[i] && amount > 0 {
                line.push_str(", skalert ned; ");
                p.push_floor_text(&mut line, c, i);
                line.push_str(" holdes");
            } else {
                line.push_str(", skalert ned til ");
                push_percent(&mut line, p.kr(amount), kroner(target.ore));
                line.push_str(" % av det fordi rammen ikke strekker til, avrundet til nærmeste ");
                line.push_str(&p.unit_text);
            }
            match target.missing.len() {
                0 => {}
                1 => {
                    line.push_str("; mangler ");
                    line.push_str(target.missing[0]);
                    line.push_str(" (leddet regnet som 0)");
                }
                _ => {
                    line.push_str("; mangler ");
                    line.push_str(&join_norwegian(&target.missing));
                    line.push_str(" (leddene regnet som 0)");
                }
            }
            line
        })
        .collect();
    let target_sum: i128 = targets.iter().map(|t| t.ore).sum();
    let shortfall = if target_sum < ore(input.pool) {
        format!(
            "Formelen gir til sammen {}, mindre enn rammen.",
            kroner(target_sum)
        )
    } else {
        "Søknadene kan ikke ta mer: de har fått omsøkt beløp, tak eller formelbeløp.".to_string()
    };
    Ok(finish(input, &p, &amounts, lines, &shortfall))
}

fn ranked(input: &AllocationInput, cut_last: bool) -> Result<AllocationResult, AllocationError> {
    let p = prepare(input)?;
    let n = input.claims.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Highest score first; equal scores by the lower id; no score last. The scores as
    // exact integers at Decimal's largest scale (|score| ≤ MAX_SCORE, checked by
    // `prepare`, so they fit), compared far faster than Decimals; ids are unique.
    let key = |score: Option<Decimal>| {
        score.map(|s| s.mantissa() * 10i128.pow(Decimal::MAX_SCALE - s.scale()))
    };
    let keys: Vec<(Reverse<Option<i128>>, i64)> = input
        .claims
        .iter()
        .map(|c| (Reverse(key(c.score)), c.id))
        .collect();
    order.sort_unstable_by_key(|&i| keys[i]);
    let mut amounts = p.floors.clone();
    let mut left = p.pool_units - p.floors.iter().sum::<i128>();
    let mut lines = vec![String::new(); n];
    let mut cut_done = false;
    let mut skipped = false;
    let mut unranked = false;
    for (rank, &i) in order.iter().enumerate() {
        let c = &input.claims[i];
        // Every claim is visited once, so its amount here is still its floor.
        let floor_amount = amounts[i];
        let mut line = String::with_capacity(LINE_CAPACITY);
        let Some(score) = c.score else {
            unranked |= p.caps[i] > p.floors[i];
            line.push_str("Rangert: mangler poeng, ikke rangert");
            p.push_floor_note(&mut line, c, i, floor_amount);
            lines[i] = line;
            continue;
        };
        line.push_str("Rangert som nr. ");
        push_integer(&mut line, (rank + 1) as u128);
        line.push_str(" (");
        push_number(&mut line, score);
        line.push_str(" poeng): ");
        let need = p.caps[i] - p.floors[i];
        if need <= left {
            amounts[i] = p.caps[i];
            left -= need;
            if !p.push_bound_text(&mut line, c, i, amounts[i]) {
                line.push_str("fullt innvilget");
            }
        } else if cut_last && (cut_done || left == 0) {
            cut_done = true;
            line.push_str("ingenting igjen av rammen");
            p.push_floor_note(&mut line, c, i, floor_amount);
        } else if cut_last {
            amounts[i] += left;
            left = 0;
            cut_done = true;
            line.push_str("får resten av rammen, ");
            push_percent(&mut line, p.kr(amounts[i]), c.requested);
            line.push_str(" % av omsøkt beløp");
        } else {
            skipped = true;
            line.push_str("hoppet over, trenger ");
            push_ore_text(&mut line, need * p.unit);
            line.push_str(" og bare ");
            push_ore_text(&mut line, left * p.unit);
            line.push_str(" er igjen");
            p.push_floor_note(&mut line, c, i, floor_amount);
        }
        lines[i] = line;
    }
    let mut shortfall = Vec::new();
    if skipped {
        shortfall.push("Søknader som ikke fikk plass, er hoppet over, ikke avkortet.".to_string());
    } else {
        let mut full = "De rangerte søknadene er innvilget fullt ut".to_string();
        if p.any_rounded_down(|i| input.claims[i].score.is_some()) {
            full.push_str(&format!(", i hele {}", p.unit_text));
        }
        shortfall.push(full + ".");
    }
    if unranked {
        shortfall.push("Søknader uten poeng er ikke rangert.".to_string());
    }
    Ok(finish(input, &p, &amounts, lines, &shortfall.join(" ")))
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

    fn scored(id: i64, requested: i64, score: &str) -> Claim {
        Claim {
            score: Some(score.parse().unwrap()),
            ..claim(id, requested)
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

    fn amounts(result: &AllocationResult) -> Vec<Kroner> {
        result.claims.iter().map(|c| c.amount).collect()
    }

    /// The demo round: 25 requests (by kommunenummer) summing to 21 896 000 kr.
    fn demo_claims() -> Vec<Claim> {
        [
            (5001, 3_200_000),
            (5006, 960_000),
            (5007, 1_150_000),
            (5014, 850_000),
            (5021, 420_000),
            (5022, 850_000),
            (5025, 700_000),
            (5027, 700_000),
            (5028, 612_000),
            (5029, 612_000),
            (5031, 850_000),
            (5032, 850_000),
            (5035, 1_150_000),
            (5036, 1_150_000),
            (5037, 550_000),
            (5038, 1_150_000),
            (5041, 420_000),
            (5045, 780_000),
            (5047, 780_000),
            (5053, 300_000),
            (5054, 850_000),
            (5056, 850_000),
            (5057, 700_000),
            (5059, 850_000),
            (5060, 612_000),
        ]
        .into_iter()
        .map(|(id, requested)| claim(id, requested))
        .collect()
    }

    #[test]
    fn pro_rata_on_the_demo_round_uses_the_pool_exactly() {
        let claims = demo_claims();
        assert_eq!(claims.len(), 25);
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
            assert_eq!(result.unplaced_reason, None);
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
            "Forholdsmessig: 68,5 % av omsøkt beløp, avrundet til nærmeste 1\u{a0}000\u{a0}kr"
        );
        // 3 200 000 × 15 000 000 / 21 896 000 = 2 192 181,2…
        assert_eq!(result.claims[0].amount, kr(2_192_000));
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
    fn when_every_request_fits_the_rest_is_not_placed() {
        let claims = vec![claim(1, 400_000), claim(2, 500_000)];
        let result = allocate(&input(1_000_000, 1, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(amounts(&result), vec![kr(400_000), kr(500_000)]);
        assert_eq!(result.unplaced, kr(100_000));
        assert_eq!(
            result.unplaced_reason.as_deref(),
            Some("Alle søknader er innvilget fullt ut.")
        );
        assert_eq!(
            result.claims[0].explanation,
            "Forholdsmessig: fullt innvilget"
        );
    }

    #[test]
    fn a_request_with_ore_is_rounded_down_to_the_unit() {
        let claims = vec![Claim {
            requested: Kroner::from_ore(12_500_050),
            ..claim(1, 0)
        }];
        let result = allocate(&input(200_000, 1, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(result.amount_for(1), Some(kr(125_000)));
        assert_eq!(
            result.claims[0].explanation,
            "Forholdsmessig: fullt innvilget, avrundet ned til hele 1\u{a0}kr"
        );
        assert_eq!(
            result.unplaced_reason.as_deref(),
            Some("Alle søknader er innvilget fullt ut, i hele 1\u{a0}kr.")
        );
    }

    /// The 2019 allocation in Trøndelag (tests/fixtures/tildeling-2019.csv): 22 amounts.
    const FIGURES_2019: [i64; 22] = [
        600_000, 700_000, 127_000, 435_906, 380_000, 500_000, 600_000, 700_000, 152_687, 767_268,
        980_314, 602_456, 517_865, 612_031, 659_645, 512_534, 677_395, 600_000, 400_000, 2_649_770,
        140_000, 600_000,
    ];

    #[test]
    fn manual_2019_figures_reproduce_the_total() {
        assert_eq!(FIGURES_2019.iter().sum::<i64>(), 13_914_871);
        let claims: Vec<Claim> = FIGURES_2019
            .iter()
            .enumerate()
            .map(|(i, f)| Claim {
                manual_amount: Some(kr(*f)),
                ..claim(i as i64 + 1, 0)
            })
            .collect();
        // The unit does not apply to manual amounts.
        let result = allocate(&input(13_914_871, 1000, Method::Manuell, claims.clone())).unwrap();
        assert_eq!(result.allocated, kr(13_914_871));
        assert_eq!(result.unplaced, Kroner::ZERO);
        assert_eq!(result.unplaced_reason, None);
        assert!(result.is_valid());
        assert_eq!(
            amounts(&result),
            FIGURES_2019.iter().map(|f| kr(*f)).collect::<Vec<_>>()
        );
        assert_eq!(
            result.claims[0].explanation,
            "Manuell: satt av saksbehandler"
        );
        let error = allocate(&input(13_000_000, 1, Method::Manuell, claims)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "De manuelle beløpene er til sammen 13\u{a0}914\u{a0}871\u{a0}kr, mer enn rammen på 13\u{a0}000\u{a0}000\u{a0}kr."
        );
    }

    #[test]
    fn manual_problems_are_reported_per_claim() {
        let above_request = Claim {
            manual_amount: Some(kr(200)),
            ..claim(1, 100)
        };
        let above_cap = Claim {
            manual_amount: Some(kr(80)),
            cap: Some(kr(50)),
            ..claim(2, 100)
        };
        let below_floor = Claim {
            manual_amount: Some(kr(10)),
            floor: Some(kr(20)),
            ..claim(3, 100)
        };
        let fine = Claim {
            manual_amount: Some(Kroner::from_ore(6_150)),
            ..claim(4, 100)
        };
        let result = allocate(&input(
            1000,
            1,
            Method::Manuell,
            vec![above_request, above_cap, below_floor, fine],
        ))
        .unwrap();
        assert!(!result.is_valid());
        assert_eq!(
            result.claims[0].problem.as_deref(),
            Some("200\u{a0}kr er mer enn omsøkt beløp eller taket (100\u{a0}kr).")
        );
        assert!(result.claims[1].problem.is_some());
        assert_eq!(
            result.claims[2].problem.as_deref(),
            Some("10\u{a0}kr er under minstebeløpet (20\u{a0}kr).")
        );
        assert_eq!(result.claims[3].problem, None);
        assert_eq!(
            result.claims[3].explanation,
            "Manuell: 61,5 % av omsøkt beløp"
        );
        assert_eq!(result.allocated, Kroner::from_ore(35_150));
        assert_eq!(result.unplaced, Kroner::from_ore(64_850));
        let negative = Claim {
            manual_amount: Some(Kroner::from_ore(-1)),
            ..claim(5, 100)
        };
        assert!(matches!(
            allocate(&input(1000, 1, Method::Manuell, vec![negative])),
            Err(AllocationError::BadClaim { id: 5, .. })
        ));
    }

    #[test]
    fn what_a_capped_claim_cannot_take_goes_to_the_others() {
        let mut a = claim(1, 1_000_000);
        a.cap = Some(kr(100_000));
        let claims = vec![a, claim(2, 1_000_000), claim(3, 1_000_000)];
        let result = allocate(&input(1_000_000, 1, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(
            amounts(&result),
            vec![kr(100_000), kr(450_000), kr(450_000)]
        );
        assert_eq!(
            result.claims[0].explanation,
            "Forholdsmessig: innvilget opp til taket (100\u{a0}000\u{a0}kr)"
        );
        assert_eq!(
            result.claims[1].explanation,
            "Forholdsmessig: 45,0 % av omsøkt beløp, avrundet til nærmeste 1\u{a0}kr"
        );
    }

    #[test]
    fn a_cap_that_is_not_a_multiple_of_the_unit_is_rounded_down() {
        let mut a = claim(1, 1_000_000);
        a.cap = Some(kr(100_500));
        let claims = vec![a, claim(2, 1_000_000)];
        let result = allocate(&input(1_000_000, 1000, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(amounts(&result), vec![kr(100_000), kr(900_000)]);
        assert_eq!(
            result.claims[0].explanation,
            "Forholdsmessig: innvilget opp til taket (100\u{a0}500\u{a0}kr), avrundet ned til hele 1\u{a0}000\u{a0}kr"
        );
    }

    #[test]
    fn floors_are_held_and_floors_above_the_pool_are_an_error() {
        let mut small = claim(1, 100_000);
        small.floor = Some(kr(60_000));
        let claims = vec![small.clone(), claim(2, 1_000_000)];
        let result = allocate(&input(200_000, 1000, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(amounts(&result), vec![kr(60_000), kr(140_000)]);
        assert_eq!(
            result.claims[0].explanation,
            "Forholdsmessig: minstebeløpet (60\u{a0}000\u{a0}kr)"
        );
        let error = allocate(&input(50_000, 1, Method::Forholdsmessig, vec![small])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Minstebeløpene er til sammen 60\u{a0}000\u{a0}kr, mer enn rammen på 50\u{a0}000\u{a0}kr."
        );
        // Floors count in whole units: 2 × 600 kr is 2 000 kr in whole 1 000 kr.
        let odd = |id| Claim {
            floor: Some(kr(600)),
            ..claim(id, 5_000)
        };
        let error = allocate(&input(
            1_500,
            1000,
            Method::Rangert { cut_last: false },
            vec![odd(1), odd(2)],
        ))
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Minstebeløpene er til sammen 2\u{a0}000\u{a0}kr (hvert avrundet opp til hele 1\u{a0}000\u{a0}kr), mer enn rammen på 1\u{a0}500\u{a0}kr."
        );
        let squeezed = Claim {
            floor: Some(kr(600)),
            cap: Some(kr(800)),
            ..claim(7, 5_000)
        };
        assert!(matches!(
            allocate(&input(10_000, 1000, Method::Forholdsmessig, vec![squeezed])),
            Err(AllocationError::BadClaim { id: 7, .. })
        ));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let pro_rata = |pool: Kroner, unit: Kroner, claims: Vec<Claim>| {
            allocate(&AllocationInput {
                pool,
                unit,
                method: Method::Forholdsmessig,
                claims,
            })
        };
        assert_eq!(
            pro_rata(kr(100), kr(0), vec![]),
            Err(AllocationError::BadUnit(kr(0)))
        );
        assert_eq!(
            pro_rata(kr(100), Kroner::from_ore(50), vec![]),
            Err(AllocationError::BadUnit(Kroner::from_ore(50)))
        );
        assert_eq!(
            pro_rata(Kroner::from_ore(-100), kr(1), vec![]),
            Err(AllocationError::NegativePool)
        );
        assert!(matches!(
            pro_rata(Kroner::from_ore(i64::MAX), kr(1), vec![]),
            Err(AllocationError::PoolTooLarge(_))
        ));
        assert_eq!(
            pro_rata(kr(100), kr(1), vec![claim(1, 5), claim(1, 6)]),
            Err(AllocationError::DuplicateClaim(1))
        );
        assert!(matches!(
            pro_rata(
                kr(100),
                kr(1),
                vec![Claim {
                    requested: Kroner::from_ore(i64::MAX),
                    ..claim(1, 0)
                }]
            ),
            Err(AllocationError::BadClaim { id: 1, .. })
        ));
        let huge_score = scored(1, 100, "1000000000");
        assert!(matches!(
            allocate(&input(
                100,
                1,
                Method::Poengvektet {
                    min_score: Decimal::ZERO
                },
                vec![huge_score]
            )),
            Err(AllocationError::BadClaim { id: 1, .. })
        ));
        let huge_formula = FormulaParameters {
            base_amount: Decimal::MAX,
            ..FormulaParameters::default()
        };
        assert!(matches!(
            allocate(&input(
                100,
                1,
                Method::Formel(huge_formula),
                vec![claim(1, 100)]
            )),
            Err(AllocationError::BadParameter(_))
        ));
        let negative_formula = FormulaParameters {
            per_inhabitant: Decimal::NEGATIVE_ONE,
            ..FormulaParameters::default()
        };
        assert!(matches!(
            allocate(&input(
                100,
                1,
                Method::Formel(negative_formula),
                vec![claim(1, 100)]
            )),
            Err(AllocationError::BadParameter(_))
        ));
        assert_eq!(
            allocate(&input(
                100,
                1,
                Method::Poengvektet {
                    min_score: Decimal::NEGATIVE_ONE
                },
                vec![]
            )),
            Err(AllocationError::NegativeMinimumScore)
        );
    }

    #[test]
    fn ranked_skips_or_cuts_the_last() {
        let claims = vec![
            scored(1, 500, "9"),
            scored(2, 400, "8"),
            scored(3, 200, "7"),
            scored(4, 100, "1"),
        ];
        let skip = allocate(&input(
            800,
            1,
            Method::Rangert { cut_last: false },
            claims.clone(),
        ))
        .unwrap();
        assert_eq!(amounts(&skip), vec![kr(500), kr(0), kr(200), kr(100)]);
        assert_eq!(
            skip.claims[1].explanation,
            "Rangert som nr. 2 (8 poeng): hoppet over, trenger 400\u{a0}kr og bare 300\u{a0}kr er igjen"
        );
        assert_eq!(
            skip.claims[0].explanation,
            "Rangert som nr. 1 (9 poeng): fullt innvilget"
        );
        assert_eq!(skip.allocated, kr(800));
        let cut = allocate(&input(800, 1, Method::Rangert { cut_last: true }, claims)).unwrap();
        assert_eq!(amounts(&cut), vec![kr(500), kr(300), kr(0), kr(0)]);
        assert_eq!(
            cut.claims[1].explanation,
            "Rangert som nr. 2 (8 poeng): får resten av rammen, 75,0 % av omsøkt beløp"
        );
        assert_eq!(
            cut.claims[2].explanation,
            "Rangert som nr. 3 (7 poeng): ingenting igjen av rammen"
        );
        assert_eq!(cut.allocated, kr(800));
    }

    #[test]
    fn ranked_cut_is_in_whole_units_and_skipping_can_leave_money() {
        let claims = vec![scored(1, 6_000, "5"), scored(2, 6_000, "4")];
        let cut = allocate(&input(
            9_999,
            1000,
            Method::Rangert { cut_last: true },
            claims.clone(),
        ))
        .unwrap();
        assert_eq!(amounts(&cut), vec![kr(6_000), kr(3_000)]);
        assert_eq!(cut.unplaced, kr(999));
        let skip = allocate(&input(
            9_999,
            1000,
            Method::Rangert { cut_last: false },
            claims,
        ))
        .unwrap();
        assert_eq!(amounts(&skip), vec![kr(6_000), kr(0)]);
        assert_eq!(
            skip.unplaced_reason.as_deref(),
            Some(
                "Søknader som ikke fikk plass, er hoppet over, ikke avkortet. I tillegg: 999\u{a0}kr kan ikke fordeles i hele 1\u{a0}000\u{a0}kr."
            )
        );
    }

    #[test]
    fn ranked_ties_go_to_the_lower_id_and_unscored_claims_are_not_ranked() {
        let claims = vec![
            scored(9, 500, "7.5"),
            claim(1, 100),
            scored(4, 500, "7.5"),
            scored(6, 500, "8"),
        ];
        let result = allocate(&input(
            1_000,
            1,
            Method::Rangert { cut_last: false },
            claims,
        ))
        .unwrap();
        assert_eq!(amounts(&result), vec![kr(0), kr(0), kr(500), kr(500)]);
        assert_eq!(
            result.claims[2].explanation,
            "Rangert som nr. 2 (7,5 poeng): fullt innvilget"
        );
        assert_eq!(
            result.claims[1].explanation,
            "Rangert: mangler poeng, ikke rangert"
        );
    }

    #[test]
    fn score_weighted_with_a_minimum_score() {
        let claims = vec![
            scored(1, 1000, "4.5"),
            scored(2, 1000, "1.5"),
            scored(3, 1000, "2"),
            claim(4, 1000),
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
        // 4,5 : 2 of 1 300 kr.
        assert_eq!(amounts(&result), vec![kr(900), kr(0), kr(400), kr(0)]);
        assert_eq!(
            result.claims[1].explanation,
            "Poengvektet: 1,5 poeng, under minstepoeng (2)"
        );
        assert_eq!(result.claims[3].explanation, "Poengvektet: mangler poeng");
        assert_eq!(
            result.claims[0].explanation,
            "Poengvektet: 4,5 poeng, 90,0 % av omsøkt beløp, avrundet til nærmeste 1\u{a0}kr"
        );
    }

    #[test]
    fn score_weighted_with_nobody_above_the_minimum_places_nothing() {
        let result = allocate(&input(
            1000,
            1,
            Method::Poengvektet {
                min_score: Decimal::TEN,
            },
            vec![scored(1, 500, "3")],
        ))
        .unwrap();
        assert_eq!(result.allocated, Kroner::ZERO);
        assert_eq!(
            result.unplaced_reason.as_deref(),
            Some("Ingen søknader har poeng over 0 og minst minstepoeng (10).")
        );
    }

    fn formula_parameters() -> FormulaParameters {
        FormulaParameters {
            base_amount: Decimal::from(100_000),
            per_inhabitant: Decimal::from(2),
            per_recipient: Decimal::ZERO,
            need_weight: Decimal::from(1000),
        }
    }

    #[test]
    fn formula_with_missing_indicators() {
        let mut a = claim(1, 1_000_000);
        a.indicators = Indicators {
            inhabitants: Some(Decimal::from(10_000)),
            home_service_recipients: Some(Decimal::from(100)),
            coordinator_coverage_percent: Some(Decimal::from(20)),
        };
        let mut b = claim(2, 1_000_000);
        b.indicators.home_service_recipients = Some(Decimal::from(100));
        b.indicators.coordinator_coverage_percent = Some(Decimal::from(20));
        let c = claim(3, 1_000_000);
        // Targets: a = 100 000 + 20 000 + 1000·100·0,8 = 200 000;
        // b = 100 000 + 0 + 80 000 = 180 000; c = 100 000.
        let result = allocate(&input(
            1_000_000,
            1,
            Method::Formel(formula_parameters()),
            vec![a.clone(), b.clone(), c.clone()],
        ))
        .unwrap();
        assert_eq!(
            amounts(&result),
            vec![kr(200_000), kr(180_000), kr(100_000)]
        );
        assert_eq!(result.unplaced, kr(520_000));
        assert_eq!(
            result.unplaced_reason.as_deref(),
            Some("Formelen gir til sammen 480\u{a0}000\u{a0}kr, mindre enn rammen.")
        );
        assert_eq!(
            result.claims[0].explanation,
            "Formel: 200\u{a0}000\u{a0}kr etter formelen"
        );
        assert_eq!(
            result.claims[1].explanation,
            "Formel: 180\u{a0}000\u{a0}kr etter formelen; mangler innbyggertall (leddet regnet som 0)"
        );
        assert_eq!(
            result.claims[2].explanation,
            "Formel: 100\u{a0}000\u{a0}kr etter formelen; mangler innbyggertall, antall mottakere og koordinatordekning (leddene regnet som 0)"
        );
        let scaled = allocate(&input(
            240_000,
            1000,
            Method::Formel(formula_parameters()),
            vec![a, b, c],
        ))
        .unwrap();
        assert_eq!(amounts(&scaled), vec![kr(100_000), kr(90_000), kr(50_000)]);
        assert_eq!(
            scaled.claims[0].explanation,
            "Formel: 200\u{a0}000\u{a0}kr etter formelen, skalert ned til 50,0 % av det fordi rammen ikke strekker til, avrundet til nærmeste 1\u{a0}000\u{a0}kr"
        );
    }

    #[test]
    fn formula_is_capped_by_the_request_and_low_coverage_gives_more() {
        let with = |id, requested, coverage: i64| Claim {
            indicators: Indicators {
                inhabitants: Some(Decimal::from(5_000)),
                home_service_recipients: Some(Decimal::from(100)),
                coordinator_coverage_percent: Some(Decimal::from(coverage)),
            },
            ..claim(id, requested)
        };
        let result = allocate(&input(
            1_000_000,
            1,
            Method::Formel(formula_parameters()),
            vec![
                with(1, 150_000, 0),
                with(2, 1_000_000, 0),
                with(3, 1_000_000, 100),
            ],
        ))
        .unwrap();
        // Targets: 100 000 + 10 000 + 100 000·(1 − coverage) = 210 000, 210 000, 110 000.
        assert_eq!(
            amounts(&result),
            vec![kr(150_000), kr(210_000), kr(110_000)]
        );
        assert_eq!(
            result.claims[0].explanation,
            "Formel: 210\u{a0}000\u{a0}kr etter formelen, begrenset til omsøkt beløp (150\u{a0}000\u{a0}kr)"
        );
    }

    /// Largest remainder (Hamilton) for comparison: integer shares of `house` by weight,
    /// the leftover units to the largest remainders.
    fn largest_remainder(weights: &[i64], house: i64) -> Vec<i64> {
        let total: i64 = weights.iter().sum();
        let mut amounts: Vec<i64> = weights.iter().map(|w| w * house / total).collect();
        let mut order: Vec<usize> = (0..weights.len()).collect();
        order.sort_by_key(|&i| (Reverse(weights[i] * house % total), i));
        let left = house - amounts.iter().sum::<i64>();
        for &i in order.iter().take(left as usize) {
            amounts[i] += 1;
        }
        amounts
    }

    #[test]
    fn largest_remainder_would_take_from_a_claim() {
        // The Alabama paradox: with largest remainder, claim 1 loses its unit when the
        // pool grows from 3 to 4 units.
        assert_eq!(largest_remainder(&[1, 3, 3], 3), vec![1, 1, 1]);
        assert_eq!(largest_remainder(&[1, 3, 3], 4), vec![0, 2, 2]);
        let claims = vec![claim(1, 1_000), claim(2, 3_000), claim(3, 3_000)];
        let mut previous = vec![Kroner::ZERO; 3];
        for pool in 0..=7 {
            let result = allocate(&input(
                pool * 1000,
                1000,
                Method::Forholdsmessig,
                claims.clone(),
            ))
            .unwrap();
            let now = amounts(&result);
            assert!(previous.iter().zip(&now).all(|(a, b)| a <= b), "{pool}");
            previous = now;
        }
        // Webster at 3 units: thresholds ½/3, ½/3, then ½ for all three; the tie at ½
        // goes to the larger weight, then the lower id.
        let at_three = allocate(&input(3000, 1000, Method::Forholdsmessig, claims)).unwrap();
        assert_eq!(amounts(&at_three), vec![kr(0), kr(2000), kr(1000)]);
    }

    #[test]
    fn methods_are_stored_as_tagged_json() {
        let json = |m: &Method| serde_json::to_string(m).unwrap();
        assert_eq!(json(&Method::Manuell), r#"{"method":"manuell"}"#);
        assert_eq!(
            json(&Method::Forholdsmessig),
            r#"{"method":"forholdsmessig"}"#
        );
        assert_eq!(
            json(&Method::Rangert { cut_last: true }),
            r#"{"method":"rangert","cut_last":true}"#
        );
        assert_eq!(
            json(&Method::Poengvektet {
                min_score: "2.5".parse().unwrap()
            }),
            r#"{"method":"poengvektet","min_score":"2.5"}"#
        );
        for method in [
            Method::Manuell,
            Method::Forholdsmessig,
            Method::Formel(formula_parameters()),
            Method::Poengvektet {
                min_score: Decimal::TWO,
            },
            Method::Rangert { cut_last: false },
        ] {
            let back: Method = serde_json::from_str(&json(&method)).unwrap();
            assert_eq!(back, method);
        }
        let input = input(15_000_000, 1000, Method::Forholdsmessig, demo_claims());
        let text = serde_json::to_string(&input).unwrap();
        assert_eq!(
            serde_json::from_str::<AllocationInput>(&text).unwrap(),
            input
        );
        let result = allocate(&input).unwrap();
        let text = serde_json::to_string(&result).unwrap();
        assert_eq!(
            serde_json::from_str::<AllocationResult>(&text).unwrap(),
            result
        );
        let minimal: Claim =
            serde_json::from_str(r#"{"id": 3, "requested": "125000.50"}"#).unwrap();
        assert_eq!(minimal.requested, Kroner::from_ore(12_500_050));
        assert_eq!(minimal.indicators, Indicators::default());
    }

    #[test]
    fn numbers_in_norwegian() {
        assert_eq!(number_text("4.50".parse().unwrap()), "4,5");
        assert_eq!(
            number_text("1234567.25".parse().unwrap()),
            "1\u{a0}234\u{a0}567,25"
        );
        assert_eq!(number_text("-3".parse().unwrap()), "−3");
        assert_eq!(number_text(Decimal::ZERO), "0");
        assert_eq!(percent_text(kr(613), kr(1000)), "61,3");
        assert_eq!(percent_text(kr(1), kr(3)), "33,3");
        assert_eq!(percent_text(kr(1), kr(8)), "12,5");
        assert_eq!(percent_text(kr(1), kr(16)), "6,3");
        assert_eq!(percent_text(kr(1000), kr(1000)), "100,0");
        assert_eq!(percent_text(kr(20_000), kr(1)), "2\u{a0}000\u{a0}000,0");
        assert_eq!(percent_text(kr(5), Kroner::ZERO), "–");
        assert_eq!(join_norwegian(&["a", "b", "c"]), "a, b og c");
    }

    // ----- property tests -----

    /// Unit by unit, exactly as the module docs define Webster's method with bounds.
    fn one_unit_at_a_time(pool: i128, claims: &[Bounds]) -> Vec<i128> {
        let mut amounts: Vec<i128> = claims.iter().map(|c| c.floor).collect();
        let mut total: i128 = amounts.iter().sum();
        while total < pool {
            // Next unit k = amount + 1 at threshold (k − ½)/w = (2·amount + 1)/(2w); ties to
            // the larger weight, then the lower id.
            let next = (0..claims.len())
                .filter(|&i| claims[i].weight > 0 && amounts[i] < claims[i].cap)
                .min_by(|&a, &b| {
                    let (ca, cb) = (&claims[a], &claims[b]);
                    ((2 * amounts[a] + 1) * cb.weight)
                        .cmp(&((2 * amounts[b] + 1) * ca.weight))
                        .then(cb.weight.cmp(&ca.weight))
                        .then(ca.id.cmp(&cb.id))
                });
            let Some(i) = next else { break };
            amounts[i] += 1;
            total += 1;
        }
        amounts
    }

    fn arb_bounds() -> impl Strategy<Value = (i128, Vec<Bounds>)> {
        prop::collection::vec((0i128..4, 0i128..12, 0i128..8), 1..8)
            .prop_flat_map(|rows| {
                let n = rows.len();
                (
                    Just(rows),
                    Just((0..n as i64).collect::<Vec<_>>()).prop_shuffle(),
                    0i128..60,
                )
            })
            .prop_map(|(rows, ids, extra)| {
                let bounds: Vec<Bounds> = rows
                    .into_iter()
                    .zip(ids)
                    .map(|((floor, room, weight), id)| Bounds {
                        id: id * 3 - 5,
                        floor,
                        cap: floor + room,
                        weight,
                    })
                    .collect();
                let floors: i128 = bounds.iter().map(|b| b.floor).sum();
                (floors + extra, bounds)
            })
    }

    fn arb_claims(scores: bool) -> impl Strategy<Value = Vec<Claim>> {
        prop::collection::vec(
            (
                0i64..2_000_000,
                0i64..100,
                prop::option::of(0i64..2_000_000),
                prop::option::weighted(0.2, 0i64..50_000),
                prop::option::weighted(0.9, 0i64..10),
            ),
            1..12,
        )
        .prop_map(move |rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (requested, ore, cap, floor, score))| {
                    let requested = Kroner::from_ore(requested * 100 + ore);
                    let limit = cap.map_or(requested, |c| kr(c).min(requested));
                    // Floors that fit under the cap in whole 1 000 kr, so every unit works.
                    let floor = floor
                        .map(kr)
                        .filter(|f| f.ore() <= limit.ore() / 100_000 * 100_000);
                    Claim {
                        id: i as i64 * 7 - 20,
                        requested,
                        cap: cap.map(kr),
                        floor,
                        score: if scores {
                            score.map(|s| Decimal::new(s * 5, 1))
                        } else {
                            None
                        },
                        indicators: Indicators {
                            inhabitants: (i % 4 != 1).then(|| Decimal::from(i as i64 * 1000 + 500)),
                            home_service_recipients: (i % 3 != 0)
                                .then(|| Decimal::from(i as i64 * 40)),
                            coordinator_coverage_percent: (i % 5 != 2)
                                .then(|| Decimal::from(i as i64 * 9 % 101)),
                        },
                        manual_amount: None,
                    }
                })
                .collect()
        })
    }

    /// Claims and the same claims shuffled.
    fn arb_claims_twice(scores: bool) -> impl Strategy<Value = (Vec<Claim>, Vec<Claim>)> {
        arb_claims(scores)
            .prop_flat_map(|claims| (Just(claims.clone()), Just(claims).prop_shuffle()))
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
                    need_weight: Decimal::new(n * 15, 1),
                }
            )),
        ]
    }

    fn unit_strategy() -> impl Strategy<Value = i64> {
        prop_oneof![Just(1i64), Just(10), Just(100), Just(1000)]
    }

    /// The most whole units a claim can get under the method, computed from the claim
    /// directly: its cap, the formula target, or only its floor when not eligible.
    fn most_units(method: &Method, unit: i128, c: &Claim) -> i128 {
        let limit = c.cap.map_or(c.requested, |cap| cap.min(c.requested));
        let cap = ore(limit) / unit;
        let floor = c.floor.map_or(0, |f| (ore(f) + unit - 1) / unit);
        let most = match method {
            Method::Forholdsmessig | Method::Manuell => cap,
            Method::Poengvektet { min_score } => {
                if c.score
                    .is_some_and(|s| s >= *min_score && s > Decimal::ZERO)
                {
                    cap
                } else {
                    floor
                }
            }
            Method::Formel(f) => cap.min(formula_target(f, c).unwrap().ore / unit),
            Method::Rangert { .. } => {
                if c.score.is_some() {
                    cap
                } else {
                    floor
                }
            }
        };
        most.max(floor)
    }

    /// Whether the method promises to use the pool when the claims can take it (ranked
    /// with skipping may leave room on purpose).
    fn fills_the_pool(method: &Method) -> bool {
        !matches!(
            method,
            Method::Rangert { cut_last: false } | Method::Manuell
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn the_shortcut_equals_one_unit_at_a_time((pool, bounds) in arb_bounds()) {
            prop_assert_eq!(apportion(pool, &bounds), one_unit_at_a_time(pool, &bounds));
        }

        #[test]
        fn every_method_keeps_its_promises(
            (claims, shuffled) in arb_claims_twice(true),
            method in arb_method(),
            pool in 0i64..20_000_000,
            pool_ore in 0i64..100,
            unit in unit_strategy(),
        ) {
            let mut input = input(pool, unit, method, claims.clone());
            input.pool = Kroner::from_ore(pool * 100 + pool_ore);
            let Ok(result) = allocate(&input) else {
                // The only refusal here: floors above the pool, in whole units.
                let unit_ore = unit * 100;
                let floors: i64 = claims
                    .iter()
                    .filter_map(|c| c.floor)
                    .map(|f| (f.ore() + unit_ore - 1) / unit_ore)
                    .sum();
                prop_assert!(floors > input.pool.ore() / unit_ore);
                return Ok(());
            };
            let sum: Kroner = result.claims.iter().map(|c| c.amount).sum();
            prop_assert_eq!(sum, result.allocated);
            prop_assert!(sum <= input.pool);
            prop_assert_eq!(result.allocated + result.unplaced, input.pool);
            prop_assert_eq!(result.unplaced.is_zero(), result.unplaced_reason.is_none());
            let unit_ore = i128::from(unit * 100);
            let pool_units = ore(input.pool) / unit_ore;
            let capacity: i128 = claims.iter().map(|c| most_units(&input.method, unit_ore, c)).sum();
            if fills_the_pool(&input.method) && capacity >= pool_units {
                prop_assert_eq!(ore(sum), pool_units * unit_ore);
            }
            for (c, r) in claims.iter().zip(&result.claims) {
                prop_assert!(ore(r.amount) <= most_units(&input.method, unit_ore, c) * unit_ore);
                prop_assert_eq!(c.id, r.id);
                prop_assert_eq!(r.amount.ore() % (unit * 100), 0);
                prop_assert!(r.amount <= c.requested);
                if let Some(cap) = c.cap { prop_assert!(r.amount <= cap); }
                if let Some(floor) = c.floor { prop_assert!(r.amount >= floor); }
                prop_assert!(!r.amount.is_negative());
                prop_assert!(r.problem.is_none());
                prop_assert!(!r.explanation.is_empty());
            }
            // Deterministic, and independent of the order of the claims.
            prop_assert_eq!(&allocate(&input).unwrap(), &result);
            let mut other = input.clone();
            other.claims = shuffled;
            let again = allocate(&other).unwrap();
            prop_assert_eq!(again.allocated, result.allocated);
            prop_assert_eq!(&again.unplaced_reason, &result.unplaced_reason);
            for r in &again.claims {
                let original = result.claims.iter().find(|x| x.id == r.id).unwrap();
                prop_assert_eq!(r, original);
            }
        }

        #[test]
        fn proportional_methods_are_monotone_in_the_pool(
            claims in arb_claims(true),
            method in arb_method(),
            pool in 0i64..10_000_000,
            more in 0i64..2_000_000,
            unit in unit_strategy(),
        ) {
            prop_assume!(!matches!(method, Method::Rangert { .. }));
            let Ok(small) = allocate(&input(pool, unit, method.clone(), claims.clone())) else {
                return Ok(());
            };
            let large = allocate(&input(pool + more, unit, method, claims)).unwrap();
            for (a, b) in small.claims.iter().zip(&large.claims) {
                prop_assert!(a.amount <= b.amount, "{} got {} of {} but {} of {}", a.id, a.amount, pool, b.amount, pool + more);
            }
        }

        #[test]
        fn manual_only_validates(
            amounts in prop::collection::vec(0i64..100_000_000, 1..10),
            extra in 0i64..100_000,
            unit in unit_strategy(),
        ) {
            let claims: Vec<Claim> = amounts.iter().enumerate().map(|(i, a)| Claim {
                manual_amount: Some(Kroner::from_ore(*a)),
                ..claim(i as i64, 1_000_000)
            }).collect();
            let total: i64 = amounts.iter().sum();
            let pool = Kroner::from_ore(total + extra);
            let mut manual = input(0, unit, Method::Manuell, claims.clone());
            manual.pool = pool;
            let result = allocate(&manual).unwrap();
            prop_assert_eq!(result.allocated, Kroner::from_ore(total));
            prop_assert_eq!(result.unplaced, Kroner::from_ore(extra));
            prop_assert!(result.is_valid());
            for (r, a) in result.claims.iter().zip(&amounts) {
                prop_assert_eq!(r.amount, Kroner::from_ore(*a));
            }
            let mut reversed = manual.clone();
            reversed.claims.reverse();
            let again = allocate(&reversed).unwrap();
            for r in &result.claims {
                prop_assert_eq!(again.amount_for(r.id), Some(r.amount));
            }
            if total > 0 {
                manual.pool = Kroner::from_ore(total - 1);
                let is_above_pool = matches!(allocate(&manual), Err(AllocationError::ManualAbovePool { .. }));
                prop_assert!(is_above_pool);
            }
        }
    }

    proptest! {
        // Small numbers make ties common, where rounding rules differ.
        #![proptest_config(ProptestConfig::with_cases(1500))]

        #[test]
        fn pro_rata_is_monotone_and_order_free_with_many_ties(
            (requests, shuffled) in prop::collection::vec(0i64..12, 1..9)
                .prop_flat_map(|r| {
                    let n = r.len();
                    (Just(r), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
                }),
            pool in 0i64..60,
        ) {
            let claims: Vec<Claim> = requests
                .iter()
                .enumerate()
                .map(|(i, r)| claim(i as i64, r * 1000))
                .collect();
            let reordered: Vec<Claim> = shuffled.iter().map(|&i| claims[i].clone()).collect();
            let mut previous: Option<AllocationResult> = None;
            for p in pool..pool + 4 {
                let result = allocate(&input(p * 1000, 1000, Method::Forholdsmessig, claims.clone())).unwrap();
                let capacity: i64 = requests.iter().sum();
                prop_assert_eq!(result.allocated, kr(p.min(capacity) * 1000));
                let again = allocate(&input(p * 1000, 1000, Method::Forholdsmessig, reordered.clone())).unwrap();
                for r in &again.claims {
                    prop_assert_eq!(Some(r.amount), result.amount_for(r.id));
                }
                if let Some(before) = &previous {
                    for (a, b) in before.claims.iter().zip(&result.claims) {
                        prop_assert!(a.amount <= b.amount);
                    }
                }
                previous = Some(result);
            }
        }
    }

    proptest! {
        /// The øre shortcut of `percent_text` gives the digits of the Decimal division.
        #[test]
        fn percent_text_in_ore_equals_decimal(
            part in 0i64..2_000_000_000_000,
            whole in 1i64..2_000_000_000_000,
        ) {
            let (part, whole) = (Kroner::from_ore(part), Kroner::from_ore(whole));
            let reference = (part.decimal() * Decimal::ONE_HUNDRED / whole.decimal())
                .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
            prop_assert_eq!(
                percent_text(part, whole),
                group_norwegian(&format!("{reference:.1}"))
            );
        }

        /// The mantissa shortcut of `number_text` gives what `normalize().to_string()` does.
        #[test]
        fn number_text_equals_decimal_to_string(
            mantissa in any::<i64>(),
            wide in any::<i128>(),
            scale in 0u32..=28,
        ) {
            for m in [i128::from(mantissa), wide >> 32, 0] {
                let value = Decimal::from_i128_with_scale(m, scale);
                prop_assert_eq!(
                    number_text(value),
                    group_norwegian(&value.normalize().to_string())
                );
            }
            prop_assert_eq!(number_text(-Decimal::ZERO), "0");
        }

        /// The ranking key orders scores as Decimal does, whatever their scales.
        #[test]
        fn ranked_order_equals_decimal_order(
            scores in prop::collection::vec(
                prop::option::of((-100_000_000i64..=100_000_000, 0u32..5)),
                1..40,
            ),
        ) {
            let claims: Vec<Claim> = scores
                .iter()
                .enumerate()
                .map(|(i, s)| Claim {
                    score: s.map(|(m, scale)| Decimal::new(m, scale + 2)),
                    ..claim(i as i64, 1_000)
                })
                .collect();
            let result = allocate(&input(10_000, 1, Method::Rangert { cut_last: false }, claims.clone()))
                .unwrap();
            let mut order: Vec<&Claim> = claims.iter().collect();
            order.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
            for (rank, c) in order.iter().enumerate().filter(|(_, c)| c.score.is_some()) {
                let line = &result.claims[c.id as usize].explanation;
                let expected = format!("Rangert som nr. {} ", rank + 1);
                prop_assert!(line.starts_with(&expected), "{} / {}", line, expected);
            }
        }
    }
}
