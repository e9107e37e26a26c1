//! The report on how funding relates to coordinator coverage.
//!
//! Grants and statistics from different years are put on one municipality division (by
//! default the newest): merged municipalities are summed (counts) or weighted by
//! recipients (shares); a split municipality (Snillfjord 2020) is shown as such and never
//! assigned to one of its parts. The report says which mapping it used.
//!
//! Pure: the caller gathers rounds, grants, observations and the register.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};
use serde::Serialize;

use super::Kroner;
use super::kommune::{Kommunenummer, Predecessor, Register, Successor};
use super::statistics::{self, SYNTHETIC_LABEL, Symbol, Value};

/// A round whose grants the report counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ReportRound {
    pub id: i64,
    pub name: String,
    pub year: i32,
    pub pool: Kroner,
    /// The amounts are an approved decision, not yet only proposed.
    pub decided: bool,
}

/// One applicant's allocated amount in one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub round_year: i32,
    pub applicant: String,
    /// The applicant's kommunenummer as it was in the round's year; `None` for a
    /// collaboration (IKS) or another organisation without one.
    pub kommunenummer: Option<String>,
    /// Member municipalities of a collaboration, for saying who it covers.
    pub members: Vec<String>,
    pub amount: Kroner,
}

/// One observation of a total (no breakdown by need or age).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub indicator: String,
    pub region: String,
    pub year: i32,
    pub value: Value,
    pub synthetic: bool,
}

pub struct ReportInput<'a> {
    pub register: &'a Register,
    /// The municipality division everything is shown on.
    pub division_year: i32,
    /// Only municipalities of this county (two-digit code in the chosen division).
    pub county: Option<String>,
    pub rounds: Vec<ReportRound>,
    pub grants: Vec<Grant>,
    pub observations: Vec<Observation>,
    /// Where the indicators come from, one line each.
    pub sources: Vec<String>,
}

/// One coverage indicator of one municipality over the report's years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Coverage {
    /// One value per year of [`Report::years`].
    pub by_year: Vec<Value>,
    /// The year before the grant year (or the last earlier one with figures, see
    /// [`Report::before_year`]).
    pub before: Value,
    pub grant_year: Value,
    /// The last year after the grant year with a number.
    pub latest: Value,
    pub latest_year: Option<i32>,
    /// `latest − before`, in percentage points.
    pub change_pp: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct MunicipalityRow {
    pub kommunenummer: String,
    pub name: String,
    /// The applicants (as named in their round) whose grants are counted here.
    pub applicants: Vec<String>,
    pub granted: Kroner,
    /// Recipients and inhabitants in the grant year (else the year before).
    pub recipients: Option<Decimal>,
    pub inhabitants: Option<Decimal>,
    /// Granted kroner per recipient, whole kroner.
    pub per_recipient: Option<Kroner>,
    /// Granted kroner per inhabitant, to the øre.
    pub per_inhabitant: Option<Kroner>,
    pub coordinator: Coverage,
    pub plan: Coverage,
    /// Notes on how the figures were put together (merges, parts left out).
    pub notes: Vec<String>,
    pub synthetic: bool,
}

/// A grant that cannot be put on one municipality of the chosen division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct UnattributedGrant {
    pub applicant: String,
    pub amount: Kroner,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NationalYear {
    pub year: i32,
    pub recipients: Value,
    pub coordinator: Value,
    pub plan: Value,
}

/// How figures of earlier years were put on the chosen division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct MappingLine {
    pub kommunenummer: String,
    pub name: String,
    /// The years this composition applies to, e.g. `2016–2017`.
    pub years: String,
    /// What it is made of in those years, e.g. `Bjugn (5017) + Ørland (5015)`.
    pub made_of: String,
}

/// A municipality split between several of the chosen division: its figures stay apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SplitLine {
    pub kommunenummer: String,
    pub name: String,
    pub years: String,
    pub became: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ScatterPoint {
    pub kommunenummer: String,
    pub name: String,
    /// Kroner per recipient.
    pub per_recipient: Kroner,
    /// Change in coordinator coverage, percentage points.
    pub change_pp: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Correlation {
    /// What is correlated with funding per recipient.
    pub against: String,
    pub n: usize,
    /// Pearson's r, three decimals; `None` when n < 3 or a variable does not vary.
    pub pearson: Option<Decimal>,
    /// Spearman's ρ (Pearson on ranks, ties averaged), three decimals.
    pub spearman: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub division_year: i32,
    /// The grant year: the (first) round's year. «Before» is the year before it.
    pub grant_year: i32,
    /// The year «before» stands for: the year before the grant year, or, when that year
    /// has no municipal figures, the last earlier year that has.
    pub before_year: i32,
    /// Says so when `before_year` is not the year before the grant year:
    /// «Tall for 2025 mangler; viser 2024.»
    pub before_note: Option<String>,
    pub rounds: Vec<ReportRound>,
    /// The statistics years shown per municipality, from the year before the grant.
    pub years: Vec<i32>,
    pub rows: Vec<MunicipalityRow>,
    pub unattributed: Vec<UnattributedGrant>,
    pub total_granted: Kroner,
    pub national: Vec<NationalYear>,
    pub scatter: Vec<ScatterPoint>,
    pub correlations: Vec<Correlation>,
    pub caveat: String,
    pub mapping: Vec<MappingLine>,
    pub splits: Vec<SplitLine>,
    /// Some municipal figure is synthetic: say so wherever the report is shown.
    pub synthetic: bool,
    pub synthetic_label: Option<&'static str>,
    pub sources: Vec<String>,
}

/// The indicators the report reads per municipality.
const MUNICIPAL_INDICATORS: [&str; 4] = [
    statistics::INHABITANTS,
    statistics::RECIPIENTS,
    statistics::COORDINATOR,
    statistics::PLAN,
];

/// One region's observations by year and indicator: the value and whether it is synthetic.
type RegionValues = HashMap<(i32, &'static str), (Value, bool)>;

/// Observations indexed by region, then year and indicator (looked up without allocating).
struct Index {
    values: HashMap<String, RegionValues>,
}

impl Index {
    fn new(observations: &[Observation]) -> Index {
        let mut values: HashMap<String, RegionValues> = HashMap::new();
        for o in observations {
            if let Some(code) = MUNICIPAL_INDICATORS.iter().find(|c| **c == o.indicator) {
                values
                    .entry(o.region.clone())
                    .or_default()
                    .insert((o.year, *code), (o.value, o.synthetic));
            }
        }
        Index { values }
    }

    fn get(&self, region: &str, year: i32, indicator: &'static str) -> Option<(Value, bool)> {
        self.values.get(region)?.get(&(year, indicator)).copied()
    }
}

/// A harmonised cell: the value on the chosen division, whether a synthetic figure went
/// into it, and a note when it is incomplete or could not be formed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Harmonised {
    value: Value,
    synthetic: bool,
    note: Option<String>,
}

fn part_label(name: &str, number: &str) -> String {
    format!("{name} ({number})")
}

fn years_text(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => String::new(),
    }
}

/// A list in Norwegian: `a, b og c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} og {last}", init.join(", ")),
    }
}

/// The share weighted by recipients, one decimal as the sources give it.
fn weighted_share(parts: &[(Decimal, Decimal)]) -> Option<Decimal> {
    let recipients: Decimal = parts.iter().map(|(_, r)| *r).sum();
    if recipients.is_zero() {
        return None;
    }
    let weighted: Decimal = parts.iter().map(|(s, r)| s * r).sum();
    Some((weighted / recipients).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero))
}

/// The symbol for a combination of parts of which some have no number.
fn combined_symbol(symbols: &[Symbol]) -> Symbol {
    match symbols.first() {
        Some(first) if symbols.iter().all(|s| s == first) => *first,
        _ => Symbol::Missing,
    }
}

/// Puts the observations on the chosen division, cell by cell.
struct Harmoniser {
    index: Index,
}

/// What a municipality of the chosen division is in one year: the municipalities of
/// that year it was made from (a year up to the division), or what it became (a later
/// year). Worked out once per municipality and year, shared by its indicators.
enum Composition {
    Parts(Vec<Predecessor>),
    Later(Successor),
}

impl Composition {
    fn of(register: &Register, target: &Kommunenummer, division_year: i32, year: i32) -> Self {
        if year <= division_year {
            Composition::Parts(register.predecessors(target, division_year, year))
        } else {
            Composition::Later(register.successor(target, division_year, year))
        }
    }
}

impl Harmoniser {
    /// `target` (a number of the chosen division) in `year`, for `indicator`.
    fn cell(
        &self,
        target: &Kommunenummer,
        year: i32,
        composition: &Composition,
        indicator: &'static str,
    ) -> Option<Harmonised> {
        let parts = match composition {
            Composition::Parts(parts) => parts.as_slice(),
            Composition::Later(successor) => return self.later_cell(successor, year, indicator),
        };
        if let [only] = parts
            && !only.partial
            && &only.number == target
        {
            let (value, synthetic) = self.index.get(target.as_str(), year, indicator)?;
            return Some(Harmonised {
                value,
                synthetic,
                note: None,
            });
        }
        let whole: Vec<_> = parts.iter().filter(|p| !p.partial).collect();
        let partial: Vec<String> = parts
            .iter()
            .filter(|p| p.partial)
            .map(|p| part_label(&p.name, p.number.as_str()))
            .collect();
        let found: Vec<Option<(Value, bool)>> = whole
            .iter()
            .map(|p| self.index.get(p.number.as_str(), year, indicator))
            .collect();
        if found.iter().all(Option::is_none) {
            return None;
        }
        let synthetic = found.iter().flatten().any(|(_, s)| *s);
        let mut notes = Vec::new();
        if !partial.is_empty() {
            notes.push(format!(
                "uten delen av {} som kom hit senere (delt kommune)",
                and_list(&partial)
            ));
        }
        let missing: Vec<String> = whole
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(p, _)| part_label(&p.name, p.number.as_str()))
            .collect();
        if !missing.is_empty() {
            notes.push(format!("mangler tall for {}", and_list(&missing)));
            return Some(Harmonised {
                value: Value::Symbol(Symbol::Missing),
                synthetic,
                note: Some(notes.join("; ")),
            });
        }
        let values: Vec<Value> = found.iter().flatten().map(|(v, _)| *v).collect();
        let value = if statistics::indicator(indicator)
            .is_some_and(|i| i.unit == statistics::Unit::Prosent)
        {
            self.merged_share(
                &whole.iter().map(|p| p.number.clone()).collect::<Vec<_>>(),
                year,
                &values,
                &mut notes,
            )
        } else {
            merged_count(&values)
        };
        Some(Harmonised {
            value,
            synthetic,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        })
    }

    /// Shares of merged parts, weighted by each part's recipients in the same year.
    fn merged_share(
        &self,
        parts: &[Kommunenummer],
        year: i32,
        shares: &[Value],
        notes: &mut Vec<String>,
    ) -> Value {
        let mut weighted = Vec::new();
        let mut symbols = Vec::new();
        for (number, share) in parts.iter().zip(shares) {
            let share = match share {
                Value::Number(n) => *n,
                Value::Symbol(Symbol::Zero) => Decimal::ZERO,
                Value::Symbol(s) => {
                    symbols.push(*s);
                    continue;
                }
            };
            match self
                .index
                .get(number.as_str(), year, statistics::RECIPIENTS)
                .map(|(v, _)| v)
            {
                Some(Value::Number(r)) => weighted.push((share, r)),
                Some(Value::Symbol(Symbol::Zero)) => weighted.push((share, Decimal::ZERO)),
                _ => {
                    notes.push(format!(
                        "andelen kan ikke vektes: mangler mottakere for {number}"
                    ));
                    return Value::Symbol(Symbol::Missing);
                }
            }
        }
        if !symbols.is_empty() {
            return Value::Symbol(combined_symbol(&symbols));
        }
        match weighted_share(&weighted) {
            Some(share) => Value::Number(share),
            None => Value::Symbol(Symbol::Zero),
        }
    }

    /// A year after the chosen division: the target's number may since have merged.
    fn later_cell(
        &self,
        successor: &Successor,
        year: i32,
        indicator: &'static str,
    ) -> Option<Harmonised> {
        match successor {
            Successor::Unchanged { municipality }
            | Successor::Became {
                municipality,
                merged_with_others: false,
            } => {
                let (value, synthetic) =
                    self.index
                        .get(municipality.number.as_str(), year, indicator)?;
                Some(Harmonised {
                    value,
                    synthetic,
                    note: None,
                })
            }
            Successor::Became { municipality, .. } => Some(Harmonised {
                value: Value::Symbol(Symbol::NotApplicable),
                synthetic: false,
                note: Some(format!(
                    "slått sammen i {}; tallet kan ikke deles",
                    part_label(&municipality.name, municipality.number.as_str())
                )),
            }),
            Successor::Split { parts } => Some(Harmonised {
                value: Value::Symbol(Symbol::NotApplicable),
                synthetic: false,
                note: Some(format!(
                    "delt mellom {}; tallene kan ikke settes sammen",
                    and_list(&parts.iter().map(|m| m.name.clone()).collect::<Vec<_>>())
                )),
            }),
            Successor::Unknown => None,
        }
    }
}

fn merged_count(values: &[Value]) -> Value {
    let mut sum = Decimal::ZERO;
    let mut symbols = Vec::new();
    for v in values {
        match v {
            Value::Number(n) => sum += n,
            Value::Symbol(Symbol::Zero) => {}
            Value::Symbol(s) => symbols.push(*s),
        }
    }
    if symbols.is_empty() {
        if sum.is_zero() && values.iter().all(|v| *v == Value::Symbol(Symbol::Zero)) {
            Value::Symbol(Symbol::Zero)
        } else {
            Value::Number(sum)
        }
    } else {
        Value::Symbol(combined_symbol(&symbols))
    }
}

/// The year «before» the grant stands for: the year before it when there are municipal
/// figures for it, else the last earlier year with figures (with a note saying so), else
/// the year before all the same.
pub fn before_year(grant_year: i32, data_years: &BTreeSet<i32>) -> (i32, Option<String>) {
    let wanted = grant_year - 1;
    if data_years.contains(&wanted) {
        return (wanted, None);
    }
    match data_years.range(..wanted).next_back() {
        Some(&earlier) => (
            earlier,
            Some(format!("Tall for {wanted} mangler; viser {earlier}.")),
        ),
        None => (wanted, None),
    }
}

fn coverage(
    years: &[i32],
    before_year: i32,
    grant_year: i32,
    cells: &BTreeMap<i32, Value>,
) -> Coverage {
    let at = |y: i32| {
        cells
            .get(&y)
            .copied()
            .unwrap_or(Value::Symbol(Symbol::Missing))
    };
    let before = at(before_year);
    let latest_entry = cells
        .iter()
        .rev()
        .find(|(y, v)| **y > grant_year && v.number().is_some());
    let latest = latest_entry
        .map(|(_, v)| *v)
        .unwrap_or(Value::Symbol(Symbol::Missing));
    let change_pp = match (latest.number(), before.number()) {
        (Some(after), Some(before)) => Some(after - before),
        _ => None,
    };
    Coverage {
        by_year: years.iter().map(|y| at(*y)).collect(),
        before,
        grant_year: at(grant_year),
        latest,
        latest_year: latest_entry.map(|(y, _)| *y),
        change_pp,
    }
}

fn per(amount: Kroner, count: Option<Decimal>, decimals: u32) -> Option<Kroner> {
    let count = count.filter(|c| c.is_sign_positive() && !c.is_zero())?;
    let value = (amount.decimal() / count)
        .round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    Kroner::from_decimal(value).ok()
}

/// Pearson's r of two equally long series, rounded to three decimals.
pub fn pearson(xs: &[Decimal], ys: &[Decimal]) -> Option<Decimal> {
    let n = xs.len();
    if n < 3 || ys.len() != n {
        return None;
    }
    let count = Decimal::from(n as u64);
    let mean_x = xs.iter().sum::<Decimal>() / count;
    let mean_y = ys.iter().sum::<Decimal>() / count;
    let (mut sxy, mut sxx, mut syy) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - mean_x, y - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let denominator = (sxx.checked_mul(syy)?).sqrt()?;
    if denominator.is_zero() {
        return None;
    }
    Some((sxy / denominator).round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero))
}

/// Ranks from 1, ties given the mean of the ranks they share.
fn ranks(values: &[Decimal]) -> Vec<Decimal> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].cmp(&values[*b]));
    let mut ranks = vec![Decimal::ZERO; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        // Positions i..=j share the mean of ranks i+1 ..= j+1.
        let mean = Decimal::from((i + j + 2) as u64) / Decimal::TWO;
        for k in &order[i..=j] {
            ranks[*k] = mean;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ: Pearson's r of the ranks.
pub fn spearman(xs: &[Decimal], ys: &[Decimal]) -> Option<Decimal> {
    pearson(&ranks(xs), &ranks(ys))
}

fn correlation(against: &str, pairs: &[(Decimal, Decimal)]) -> Correlation {
    let xs: Vec<Decimal> = pairs.iter().map(|(x, _)| *x).collect();
    let ys: Vec<Decimal> = pairs.iter().map(|(_, y)| *y).collect();
    Correlation {
        against: against.to_string(),
        n: pairs.len(),
        pearson: pearson(&xs, &ys),
        spearman: spearman(&xs, &ys),
    }
}

/// Where one grant lands on the chosen division.
enum Placement {
    Municipality(Kommunenummer, Option<String>),
    Unattributed(String),
}

fn place_grant(register: &Register, division_year: i32, grant: &Grant) -> Placement {
    let Some(number) = grant
        .kommunenummer
        .as_deref()
        .and_then(|k| Kommunenummer::parse(k).ok())
    else {
        let members = if grant.members.is_empty() {
            String::new()
        } else {
            format!(" (medlemmer: {})", and_list(&grant.members))
        };
        return Placement::Unattributed(format!(
            "Samarbeid eller annen søker uten eget kommunenummer{members}; beløpet er ikke fordelt på kommunene."
        ));
    };
    let former = |name: &str| {
        Some(part_label(
            &register
                .name_in_year(&number, grant.round_year)
                .unwrap_or_else(|| name.to_string()),
            number.as_str(),
        ))
    };
    if grant.round_year > division_year {
        let parts = register.predecessors(&number, grant.round_year, division_year);
        return match parts.as_slice() {
            [only] if !only.partial => {
                let was = (only.number != number)
                    .then(|| former(&grant.applicant))
                    .flatten();
                Placement::Municipality(only.number.clone(), was)
            }
            _ => Placement::Unattributed(format!(
                "{} dekker flere kommuner i inndelingen for {division_year}; beløpet kan ikke deles.",
                part_label(&grant.applicant, number.as_str())
            )),
        };
    }
    match register.successor(&number, grant.round_year, division_year) {
        Successor::Unchanged { municipality } => Placement::Municipality(municipality.number, None),
        Successor::Became { municipality, .. } => {
            Placement::Municipality(municipality.number, former(&grant.applicant))
        }
        Successor::Split { parts } => Placement::Unattributed(format!(
            "{} ble delt mellom {}; beløpet er ikke fordelt på delene.",
            part_label(&grant.applicant, number.as_str()),
            and_list(&parts.iter().map(|m| m.name.clone()).collect::<Vec<_>>())
        )),
        Successor::Unknown => Placement::Unattributed(format!(
            "Kommunenummer {number} finnes ikke i registeret for {division_year}."
        )),
    }
}

pub fn build(input: ReportInput<'_>) -> Report {
    let ReportInput {
        register,
        division_year,
        county,
        rounds,
        grants,
        observations,
        sources,
    } = input;
    let grant_year = rounds.iter().map(|r| r.year).min().unwrap_or(division_year);

    // National series: the country's totals, every year there is.
    let mut national: BTreeMap<i32, NationalYear> = BTreeMap::new();
    for o in observations
        .iter()
        .filter(|o| o.region == statistics::COUNTRY)
    {
        let entry = national.entry(o.year).or_insert(NationalYear {
            year: o.year,
            recipients: Value::Symbol(Symbol::Missing),
            coordinator: Value::Symbol(Symbol::Missing),
            plan: Value::Symbol(Symbol::Missing),
        });
        match o.indicator.as_str() {
            statistics::RECIPIENTS => entry.recipients = o.value,
            statistics::COORDINATOR => entry.coordinator = o.value,
            statistics::PLAN => entry.plan = o.value,
            _ => {}
        }
    }

    let municipal: Vec<Observation> = observations
        .into_iter()
        .filter(|o| o.region != statistics::COUNTRY)
        .collect();
    let data_years: BTreeSet<i32> = municipal.iter().map(|o| o.year).collect();
    let last_year = data_years.last().copied().unwrap_or(grant_year);
    let (before_year, before_note) = before_year(grant_year, &data_years);
    let years: Vec<i32> = (before_year..=last_year.max(grant_year)).collect();
    let shown_years: BTreeSet<i32> = data_years.range(before_year..).copied().collect();
    let harmoniser = Harmoniser {
        index: Index::new(&municipal),
    };
    let in_county =
        |number: &Kommunenummer| county.as_deref().is_none_or(|c| number.county_code() == c);
    let targets: Vec<_> = register
        .municipalities(division_year)
        .into_iter()
        .filter(|m| in_county(&m.number))
        .collect();

    // Grants on the chosen division.
    let mut granted: BTreeMap<Kommunenummer, (Kroner, Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut unattributed = Vec::new();
    for grant in &grants {
        match place_grant(register, division_year, grant) {
            Placement::Municipality(number, former) => {
                let entry = granted.entry(number).or_default();
                entry.0 = entry.0 + grant.amount;
                entry.1.push(grant.applicant.clone());
                if let Some(former) = former
                    && !entry.2.contains(&former)
                {
                    entry.2.push(former);
                }
            }
            Placement::Unattributed(reason) => unattributed.push(UnattributedGrant {
                applicant: grant.applicant.clone(),
                amount: grant.amount,
                reason,
            }),
        }
    }

    let mut rows = Vec::new();
    let mut mapping = Vec::new();
    for target in &targets {
        let mut cells: BTreeMap<&'static str, BTreeMap<i32, Value>> = BTreeMap::new();
        // Each note once, with the years it applies to.
        let mut noted: Vec<(String, Vec<i32>)> = Vec::new();
        let mut synthetic = false;
        let mut compositions: Vec<(i32, Vec<Predecessor>)> = Vec::new();
        for year in shown_years.iter().copied() {
            let composition = Composition::of(register, &target.number, division_year, year);
            for indicator in MUNICIPAL_INDICATORS {
                if let Some(h) = harmoniser.cell(&target.number, year, &composition, indicator) {
                    synthetic |= h.synthetic;
                    if let Some(note) = h.note {
                        match noted.iter_mut().find(|(n, _)| *n == note) {
                            Some((_, years)) if !years.contains(&year) => years.push(year),
                            Some(_) => {}
                            None => noted.push((note, vec![year])),
                        }
                    }
                    cells.entry(indicator).or_default().insert(year, h.value);
                }
            }
            if let Composition::Parts(parts) = composition {
                compositions.push((year, parts));
            }
        }
        let mut notes: Vec<String> = noted
            .into_iter()
            .map(|(note, years)| format!("{}: {note}", years_text(&years)))
            .collect();
        let grant = granted.get(&target.number);
        if cells.is_empty() && grant.is_none() {
            continue;
        }
        mapping.extend(mapping_lines(target, &compositions));
        let empty = BTreeMap::new();
        let series = |code: &'static str| cells.get(code).unwrap_or(&empty);
        let count_near_grant = |code: &'static str| {
            let s = series(code);
            s.get(&grant_year)
                .and_then(|v| v.number())
                .or_else(|| s.get(&before_year).and_then(|v| v.number()))
        };
        let recipients = count_near_grant(statistics::RECIPIENTS);
        let inhabitants = count_near_grant(statistics::INHABITANTS);
        let amount = grant.map(|g| g.0).unwrap_or_default();
        let mut applicants = grant.map(|g| g.1.clone()).unwrap_or_default();
        applicants.dedup();
        if let Some((_, _, former)) = grant
            && !former.is_empty()
        {
            notes.insert(0, format!("Tilskudd gitt til {}", and_list(former)));
        }
        rows.push(MunicipalityRow {
            kommunenummer: target.number.as_str().to_string(),
            name: target.name.clone(),
            applicants,
            granted: amount,
            recipients,
            inhabitants,
            per_recipient: per(amount, recipients, 0),
            per_inhabitant: per(amount, inhabitants, 2),
            coordinator: coverage(
                &years,
                before_year,
                grant_year,
                series(statistics::COORDINATOR),
            ),
            plan: coverage(&years, before_year, grant_year, series(statistics::PLAN)),
            notes,
            synthetic,
        });
    }

    let splits = split_lines(register, division_year, &municipal, &targets);
    let scatter: Vec<ScatterPoint> = rows
        .iter()
        .filter_map(|r| {
            Some(ScatterPoint {
                kommunenummer: r.kommunenummer.clone(),
                name: r.name.clone(),
                per_recipient: r.per_recipient?,
                change_pp: r.coordinator.change_pp?,
            })
        })
        .collect();
    let pairs = |f: fn(&MunicipalityRow) -> Option<Decimal>| -> Vec<(Decimal, Decimal)> {
        rows.iter()
            .filter_map(|r| Some((r.per_recipient?.decimal(), f(r)?)))
            .collect()
    };
    let correlations = vec![
        correlation(
            "Endring i andel med koordinator (prosentpoeng)",
            &pairs(|r| r.coordinator.change_pp),
        ),
        correlation(
            "Endring i andel med individuell plan (prosentpoeng)",
            &pairs(|r| r.plan.change_pp),
        ),
    ];
    let synthetic = rows.iter().any(|r| r.synthetic);
    let total_granted = rows.iter().map(|r| r.granted).sum::<Kroner>()
        + unattributed.iter().map(|u| u.amount).sum::<Kroner>();
    let mut caveat = format!(
        "Tallene viser samvariasjon, ikke årsak: at dekningen endret seg etter tilskuddet, betyr ikke at tilskuddet var grunnen. \
         Med n = {} kommuner er grunnlaget lite, og én kommune kan endre bildet.",
        correlations[0].n
    );
    if synthetic {
        caveat.push_str(
            " Kommunetallene er syntetiske demotall, ikke offisiell statistikk: sammenhengen sier ingenting om virkeligheten.",
        );
    }
    let mut sources = sources;
    sources.push(format!(
        "Kommuneinndeling: SSB Klass 131, inndelingen for {division_year}, med SSBs kodeendringer."
    ));
    Report {
        division_year,
        grant_year,
        before_year,
        before_note,
        rounds,
        years,
        rows,
        unattributed,
        total_granted,
        national: national.into_values().collect(),
        scatter,
        correlations,
        caveat,
        mapping,
        splits,
        synthetic,
        synthetic_label: synthetic.then_some(SYNTHETIC_LABEL),
        sources,
    }
}

/// How `target`'s figures are composed in the years there are data (its predecessors
/// per year), where that is not simply its own number.
fn mapping_lines(
    target: &super::kommune::Municipality,
    compositions: &[(i32, Vec<Predecessor>)],
) -> Vec<MappingLine> {
    let mut lines: Vec<MappingLine> = Vec::new();
    let mut run: Vec<i32> = Vec::new();
    let mut run_text = String::new();
    let mut flush = |run: &mut Vec<i32>, text: &str| {
        if !run.is_empty() && !text.is_empty() {
            lines.push(MappingLine {
                kommunenummer: target.number.as_str().to_string(),
                name: target.name.clone(),
                years: years_text(run),
                made_of: text.to_string(),
            });
        }
        run.clear();
    };
    for (year, parts) in compositions {
        let identity = matches!(parts.as_slice(), [p] if !p.partial && p.number == target.number);
        let text = if identity {
            String::new()
        } else {
            parts
                .iter()
                .map(|p| {
                    let label = part_label(&p.name, p.number.as_str());
                    if p.partial {
                        format!("del av {label} (ikke med i tallene)")
                    } else {
                        label
                    }
                })
                .collect::<Vec<_>>()
                .join(" + ")
        };
        if text != run_text {
            flush(&mut run, &run_text);
            run_text = text;
        }
        run.push(*year);
    }
    flush(&mut run, &run_text);
    lines
}

/// Municipalities in the data that were split before the chosen division.
fn split_lines(
    register: &Register,
    division_year: i32,
    observations: &[Observation],
    targets: &[super::kommune::Municipality],
) -> Vec<SplitLine> {
    let target_numbers: BTreeSet<&Kommunenummer> = targets.iter().map(|m| &m.number).collect();
    let mut years: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    let mut became: BTreeMap<String, String> = BTreeMap::new();
    // Each region and year once: several indicators share them.
    let seen: BTreeSet<(&str, i32)> = observations
        .iter()
        .filter(|o| o.year <= division_year)
        .map(|o| (o.region.as_str(), o.year))
        .collect();
    for (region, year) in seen {
        let Ok(number) = Kommunenummer::parse(region) else {
            continue;
        };
        if let Successor::Split { parts } = register.successor(&number, year, division_year) {
            if !parts.iter().any(|p| target_numbers.contains(&p.number)) {
                continue;
            }
            years.entry(region.to_string()).or_default().push(year);
            became.entry(region.to_string()).or_insert_with(|| {
                and_list(
                    &parts
                        .iter()
                        .map(|p| part_label(&p.name, p.number.as_str()))
                        .collect::<Vec<_>>(),
                )
            });
        }
    }
    years
        .into_iter()
        .map(|(number, mut ys)| {
            ys.sort_unstable();
            let name = Kommunenummer::parse(&number)
                .ok()
                .and_then(|k| register.name_in_year(&k, ys[0]))
                .unwrap_or_default();
            SplitLine {
                became: became.remove(&number).unwrap_or_default(),
                kommunenummer: number,
                name,
                years: years_text(&ys),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kommune::{CodeChange, Municipality};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn m(number: &str, name: &str) -> Municipality {
        Municipality {
            number: Kommunenummer::parse(number).unwrap(),
            name: name.into(),
        }
    }

    fn change(old: &str, old_name: &str, new: &str, new_name: &str) -> CodeChange {
        CodeChange {
            old_number: Kommunenummer::parse(old).unwrap(),
            old_name: old_name.into(),
            new_number: Kommunenummer::parse(new).unwrap(),
            new_name: new_name.into(),
            effective: "2020-01-01".parse().unwrap(),
        }
    }

    /// The Trøndelag changes of 2020 that the issue names.
    fn register() -> Register {
        let before = [
            ("5001", "Trondheim"),
            ("5030", "Klæbu"),
            ("5015", "Ørland"),
            ("5017", "Bjugn"),
            ("5016", "Agdenes"),
            ("5023", "Meldal"),
            ("5024", "Orkdal"),
            ("5012", "Snillfjord"),
            ("5013", "Hitra"),
            ("5011", "Hemne"),
        ];
        let after = [
            ("5001", "Trondheim"),
            ("5057", "Ørland"),
            ("5059", "Orkland"),
            ("5056", "Hitra"),
            ("5055", "Heim"),
        ];
        Register::new(
            before
                .iter()
                .map(|(n, name)| (2019, m(n, name)))
                .chain(after.iter().map(|(n, name)| (2020, m(n, name)))),
            vec![
                change("5001", "Trondheim", "5001", "Trondheim"),
                change("5030", "Klæbu", "5001", "Trondheim"),
                change("5015", "Ørland", "5057", "Ørland"),
                change("5017", "Bjugn", "5057", "Ørland"),
                change("5016", "Agdenes", "5059", "Orkland"),
                change("5023", "Meldal", "5059", "Orkland"),
                change("5024", "Orkdal", "5059", "Orkland"),
                change("5012", "Snillfjord", "5059", "Orkland"),
                change("5012", "Snillfjord", "5055", "Heim"),
                change("5012", "Snillfjord", "5056", "Hitra"),
                change("5013", "Hitra", "5056", "Hitra"),
                change("5011", "Hemne", "5055", "Heim"),
            ],
        )
    }

    fn obs(region: &str, year: i32, recipients: &str, coordinator: &str) -> Vec<Observation> {
        let value = |s: &str| match Symbol::parse(s) {
            Some(sym) => Value::Symbol(sym),
            None => Value::Number(d(s)),
        };
        vec![
            Observation {
                indicator: statistics::RECIPIENTS.into(),
                region: region.into(),
                year,
                value: value(recipients),
                synthetic: false,
            },
            Observation {
                indicator: statistics::COORDINATOR.into(),
                region: region.into(),
                year,
                value: value(coordinator),
                synthetic: false,
            },
        ]
    }

    fn grant(applicant: &str, number: Option<&str>, amount: i64) -> Grant {
        Grant {
            round_year: 2019,
            applicant: applicant.into(),
            kommunenummer: number.map(String::from),
            members: if number.is_none() {
                vec!["Bjugn".into(), "Ørland".into()]
            } else {
                vec![]
            },
            amount: Kroner::from_whole(amount),
        }
    }

    fn report(division_year: i32) -> Report {
        let register = register();
        let mut observations = Vec::new();
        for (region, r18, c18, r21, c21) in [
            ("5001", "9000", "11.0", "", ""),
            ("5030", "200", "5.0", "", ""),
            ("5015", "300", "10.0", "", ""),
            ("5017", "100", "20.0", "", ""),
            ("5016", "50", "..", "", ""),
            ("5023", "120", "8.0", "", ""),
            ("5024", "580", "9.0", "", ""),
            ("5012", "30", "4.0", "", ""),
            ("5001", "", "", "9300", "12.0"),
            ("5057", "", "", "410", "15.0"),
            ("5059", "", "", "760", "10.0"),
        ] {
            if !r18.is_empty() {
                observations.extend(obs(region, 2018, r18, c18));
            }
            if !r21.is_empty() {
                observations.extend(obs(region, 2021, r21, c21));
            }
        }
        observations.push(Observation {
            indicator: statistics::COORDINATOR.into(),
            region: "0000".into(),
            year: 2018,
            value: Value::Number(d("12")),
            synthetic: false,
        });
        build(ReportInput {
            register: &register,
            division_year,
            county: Some("50".into()),
            rounds: vec![ReportRound {
                id: 1,
                name: "2019".into(),
                year: 2019,
                pool: Kroner::from_whole(2_000_000),
                decided: true,
            }],
            grants: vec![
                grant("Bjugn", Some("5017"), 600_000),
                grant("Klæbu", Some("5030"), 400_000),
                grant("Trondheim", Some("5001"), 900_000),
                grant("Fosen helse", None, 100_000),
            ],
            observations,
            sources: vec!["KPR".into()],
        })
    }

    fn row<'a>(report: &'a Report, number: &str) -> &'a MunicipalityRow {
        report
            .rows
            .iter()
            .find(|r| r.kommunenummer == number)
            .unwrap()
    }

    #[test]
    fn before_falls_back_to_the_last_earlier_year_with_figures() {
        let years: BTreeSet<i32> = [2016, 2020, 2024].into();
        assert_eq!(before_year(2025, &years), (2024, None));
        assert_eq!(
            before_year(2026, &years),
            (2024, Some("Tall for 2025 mangler; viser 2024.".to_string()))
        );
        assert_eq!(
            before_year(2020, &years),
            (2016, Some("Tall for 2019 mangler; viser 2016.".to_string()))
        );
        assert_eq!(before_year(2016, &years), (2015, None));
    }

    #[test]
    fn bjugn_goes_to_orland_summed_and_weighted_by_recipients() {
        let report = report(2020);
        let orland = row(&report, "5057");
        assert_eq!(orland.granted, Kroner::from_whole(600_000));
        assert_eq!(orland.coordinator.before, Value::Number(d("12.5")));
        assert_eq!(orland.coordinator.latest, Value::Number(d("15.0")));
        assert_eq!(orland.coordinator.latest_year, Some(2021));
        assert_eq!(orland.coordinator.change_pp, Some(d("2.5")));
        assert!(
            orland.notes[0].contains("Bjugn (5017)"),
            "{:?}",
            orland.notes
        );
        // 600 000 kr over 400 recipients in 2018 (no 2019 figure).
        assert_eq!(orland.recipients, Some(d("400")));
        assert_eq!(orland.per_recipient, Some(Kroner::from_whole(1500)));
        assert!(report.mapping.iter().any(|l| l.kommunenummer == "5057"
            && l.years == "2018"
            && l.made_of == "Ørland (5015) + Bjugn (5017)"));
    }

    #[test]
    fn klaebu_goes_to_trondheim() {
        let report = report(2020);
        let trondheim = row(&report, "5001");
        assert_eq!(trondheim.granted, Kroner::from_whole(1_300_000));
        assert_eq!(trondheim.applicants, ["Klæbu", "Trondheim"]);
        assert_eq!(trondheim.recipients, Some(d("9200")));
        // (11.0 × 9000 + 5.0 × 200) / 9200 = 10.87 → 10.9
        assert_eq!(trondheim.coordinator.before, Value::Number(d("10.9")));
    }

    #[test]
    fn orkland_is_summed_but_snillfjord_is_shown_as_split_and_not_assigned() {
        let report = report(2020);
        let orkland = row(&report, "5059");
        // Agdenes's share is missing, so the merged share is missing, not a guess.
        assert_eq!(orkland.coordinator.before, Value::Symbol(Symbol::Missing));
        assert_eq!(orkland.recipients, Some(d("750")));
        assert!(
            orkland
                .notes
                .iter()
                .any(|n| n.contains("Snillfjord (5012)"))
        );
        assert_eq!(report.splits.len(), 1);
        let split = &report.splits[0];
        assert_eq!(split.kommunenummer, "5012");
        assert!(split.became.contains("Heim") && split.became.contains("Orkland"));
        // Hitra and Heim did not silently receive Snillfjord either.
        assert!(report.rows.iter().all(|r| r.kommunenummer != "5012"));
    }

    #[test]
    fn a_collaboration_is_not_spread_over_its_members_and_nothing_is_lost() {
        let report = report(2020);
        assert_eq!(report.unattributed.len(), 1);
        assert!(report.unattributed[0].reason.contains("Bjugn og Ørland"));
        assert_eq!(report.total_granted, Kroner::from_whole(2_000_000));
    }

    #[test]
    fn on_the_older_division_a_merged_figure_is_not_split_back() {
        let report = report(2019);
        let bjugn = row(&report, "5017");
        assert_eq!(bjugn.granted, Kroner::from_whole(600_000));
        assert_eq!(bjugn.coordinator.before, Value::Number(d("20.0")));
        let at_2021 = report.years.iter().position(|y| *y == 2021).unwrap();
        assert_eq!(
            bjugn.coordinator.by_year[at_2021],
            Value::Symbol(Symbol::NotApplicable)
        );
        assert!(bjugn.notes.iter().any(|n| n.contains("slått sammen")));
    }

    #[test]
    fn national_series_and_caveat() {
        let report = report(2020);
        assert_eq!(report.national.len(), 1);
        assert_eq!(report.national[0].coordinator, Value::Number(d("12")));
        assert!(report.caveat.contains("ikke årsak"));
        assert!(!report.synthetic);
    }

    #[test]
    fn pearson_and_spearman() {
        let xs: Vec<Decimal> = (1..=5).map(Decimal::from).collect();
        let double: Vec<Decimal> = xs.iter().map(|x| x * Decimal::TWO).collect();
        let reversed: Vec<Decimal> = xs.iter().rev().copied().collect();
        let squares: Vec<Decimal> = xs.iter().map(|x| x * x).collect();
        assert_eq!(pearson(&xs, &double), Some(d("1")));
        assert_eq!(pearson(&xs, &reversed), Some(d("-1")));
        assert_eq!(pearson(&xs, &squares), Some(d("0.981")));
        assert_eq!(spearman(&xs, &squares), Some(d("1")));
        // Ties share their mean rank.
        let tied = [d("1"), d("2"), d("2"), d("3")];
        assert_eq!(ranks(&tied), [d("1"), d("2.5"), d("2.5"), d("4")]);
        // Too few or no variation: no number rather than a false one.
        assert_eq!(pearson(&xs[..2], &double[..2]), None);
        assert_eq!(pearson(&xs, &[d("1"); 5]), None);
    }
}
