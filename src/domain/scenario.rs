//! Scenarios (fordelingsalternativer): what an officer asks the allocation engine for, the
//! engine's input built from a round's applications, and the comparison of scenarios side
//! by side.

use super::refusal::Refusal;
use std::cmp::Reverse;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::allocation::{
    AllocationError, AllocationInput, AllocationResult, Claim, FormulaParameters, Indicators,
    Method, missing_figures, number_text,
};
use super::application::ApplicationSummary;
use super::money::Kroner;
use super::round::parse_rounding_unit;
use super::validation::{FieldErrors, optional_text_or_integer, required_text, text_or_integer};

/// How many scenarios the comparison shows side by side.
pub const COMPARE_MIN: usize = 2;
pub const COMPARE_MAX: usize = 4;

/// The methods by their API names, with the Norwegian label for forms.
pub const METHODS: [(&str, &str); 5] = [
    (
        "forholdsmessig",
        "Forholdsmessig (alle får samme andel av omsøkt beløp)",
    ),
    (
        "formel",
        "Formel (grunnbeløp, innbyggere, mottakere og behov)",
    ),
    ("poengvektet", "Poengvektet (poeng × omsøkt beløp)"),
    (
        "rangert",
        "Rangert (høyest poeng først, fullt ut så langt rammen rekker)",
    ),
    ("manuell", "Manuell (beløp satt av saksbehandler)"),
];

/// An amount in a JSON map: text or a whole number, like every amount in the API.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct AmountText(#[serde(deserialize_with = "text_or_integer")] pub String);

/// A scenario as sent by the API (and built from the form): every value as text so that a
/// mistake can be named and shown back.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub method: String,
    /// Empty: the round's rounding unit.
    #[serde(default, deserialize_with = "optional_text_or_integer")]
    pub rounding_unit: Option<String>,
    #[serde(default)]
    pub parameters: ScenarioParameters,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioParameters {
    // formel
    #[serde(default, deserialize_with = "optional_text_or_integer")]
    pub base_amount: Option<String>,
    #[serde(default, deserialize_with = "optional_text_or_integer")]
    pub per_inhabitant: Option<String>,
    #[serde(default, deserialize_with = "optional_text_or_integer")]
    pub per_recipient: Option<String>,
    #[serde(default, deserialize_with = "optional_text_or_integer")]
    pub need_weight: Option<String>,
    #[serde(default)]
    pub snapshot_id: Option<i64>,
    #[serde(default)]
    pub indicator_year: Option<i32>,
    // poengvektet
    #[serde(default, deserialize_with = "optional_text_or_integer")]
    pub min_score: Option<String>,
    // rangert
    #[serde(default)]
    pub cut_last: Option<bool>,
    /// manuell: application id → amount.
    #[serde(default)]
    pub amounts: BTreeMap<String, AmountText>,
    /// Every method: application id → least amount (minstebeløp) and most amount (tak).
    #[serde(default)]
    pub floors: BTreeMap<String, AmountText>,
    #[serde(default)]
    pub caps: BTreeMap<String, AmountText>,
}

/// A validated scenario; stored as JSON in `scenarios.parameters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScenarioSpec {
    pub name: String,
    pub method: Method,
    /// `None`: the round's rounding unit at the time of computing.
    pub rounding_unit: Option<Kroner>,
    pub snapshot_id: Option<i64>,
    pub indicator_year: Option<i32>,
    #[serde(default)]
    pub amounts: BTreeMap<i64, Kroner>,
    #[serde(default)]
    pub floors: BTreeMap<i64, Kroner>,
    #[serde(default)]
    pub caps: BTreeMap<i64, Kroner>,
}

impl ScenarioInput {
    pub fn validate(&self) -> Result<ScenarioSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", "Navn", &self.name, 200);
        let rounding_unit = self
            .rounding_unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .and_then(|u| errors.take("rounding_unit", parse_rounding_unit(u)));
        let p = &self.parameters;
        let method = match self.method.trim() {
            "manuell" => Some(Method::Manuell),
            "forholdsmessig" => Some(Method::Forholdsmessig),
            "formel" => {
                let mut amount = |field: &str, label: &str, value: &Option<String>| {
                    optional_amount(&mut errors, field, label, value.as_deref())
                        .unwrap_or_default()
                        .decimal()
                };
                let parameters = FormulaParameters {
                    base_amount: amount("parameters.base_amount", "Grunnbeløp", &p.base_amount),
                    per_inhabitant: amount(
                        "parameters.per_inhabitant",
                        "Beløp per innbygger",
                        &p.per_inhabitant,
                    ),
                    per_recipient: amount(
                        "parameters.per_recipient",
                        "Beløp per mottaker",
                        &p.per_recipient,
                    ),
                    need_weight: amount("parameters.need_weight", "Behovsvekt", &p.need_weight),
                };
                if p.snapshot_id.is_none() {
                    errors.add(
                        "parameters.snapshot_id",
                        "Formelen trenger et statistikkgrunnlag: velg et øyeblikksbilde av statistikken.",
                    );
                }
                if let Some(year) = p.indicator_year
                    && !(2000..=2100).contains(&year)
                {
                    errors.add(
                        "parameters.indicator_year",
                        format!("Statistikkår må være mellom 2000 og 2100, ikke {year}."),
                    );
                }
                Some(Method::Formel(parameters))
            }
            "poengvektet" => {
                let min_score = match p.min_score.as_deref().map(str::trim) {
                    None | Some("") => Decimal::ZERO,
                    Some(text) => {
                        match parse_decimal(text) {
                            Some(d) if !d.is_sign_negative() => d,
                            _ => {
                                errors.add(
                                "parameters.min_score",
                                format!("Minstepoeng må være et tall, 0 eller større, ikke «{text}»."),
                            );
                                Decimal::ZERO
                            }
                        }
                    }
                };
                Some(Method::Poengvektet { min_score })
            }
            "rangert" => Some(Method::Rangert {
                cut_last: p.cut_last.unwrap_or(false),
            }),
            "" => {
                errors.add("method", "Velg en fordelingsmetode.");
                None
            }
            other => {
                let names: Vec<&str> = METHODS.iter().map(|(code, _)| *code).collect();
                errors.add(
                    "method",
                    format!(
                        "Ukjent fordelingsmetode «{other}». Velg en av: {}.",
                        names.join(", ")
                    ),
                );
                None
            }
        };
        let amounts = amount_map(&mut errors, "amounts", "Beløp", &p.amounts);
        let floors = amount_map(&mut errors, "floors", "Minstebeløp", &p.floors);
        let caps = amount_map(&mut errors, "caps", "Tak", &p.caps);
        for (id, floor) in &floors {
            if let Some(cap) = caps.get(id)
                && floor > cap
            {
                errors.add(
                    format!("parameters.floors.{id}"),
                    format!("Minstebeløpet ({floor}) er høyere enn taket ({cap}) for søknad {id}."),
                );
            }
        }
        let formula = matches!(method, Some(Method::Formel(_)));
        errors.into_result(|| ScenarioSpec {
            name,
            method: method.unwrap_or(Method::Forholdsmessig),
            rounding_unit,
            snapshot_id: if formula { p.snapshot_id } else { None },
            indicator_year: if formula { p.indicator_year } else { None },
            amounts,
            floors,
            caps,
        })
    }
}

/// A decimal as people type it: `7,5`, `7.5`, `1 000`.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() || cleaned.starts_with('+') {
        return None;
    }
    cleaned.parse::<Decimal>().ok()
}

fn optional_amount(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: Option<&str>,
) -> Option<Kroner> {
    let text = value.map(str::trim).filter(|t| !t.is_empty())?;
    errors.take(
        field,
        Kroner::parse(text).map_err(|e| format!("{label}: {e}")),
    )
}

fn amount_map(
    errors: &mut FieldErrors,
    key: &str,
    label: &str,
    values: &BTreeMap<String, AmountText>,
) -> BTreeMap<i64, Kroner> {
    let mut out = BTreeMap::new();
    for (id_text, amount) in values {
        let field = format!("parameters.{key}.{id_text}");
        let Ok(id) = id_text.trim().parse::<i64>() else {
            errors.add(
                &field,
                format!("«{id_text}» er ikke et søknadsnummer (nøklene i {key} er søknadenes id)."),
            );
            continue;
        };
        if amount.0.trim().is_empty() {
            continue;
        }
        if let Some(value) = optional_amount(errors, &field, label, Some(&amount.0)) {
            out.insert(id, value);
        }
    }
    out
}

/// What the engine needs to know about one application.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimSource {
    pub application_id: i64,
    pub requested: Option<Kroner>,
    /// The weighted assessment score, when every criterion is scored.
    pub score: Option<Decimal>,
    pub recommended: Option<Kroner>,
    /// The officer's proposed amount on the application (before a decision).
    pub proposed: Option<Kroner>,
    /// The amount granted by the decision in force (for amendments).
    pub allocated: Option<Kroner>,
    pub indicators: Indicators,
}

/// The formula's statistics year when none is chosen: the latest year before the round's
/// year in which every applicant has the figures the formula uses. `by_year` holds, per
/// year with figures, the indicators of each applicant in that year. When no year is
/// complete, the latest of those in which the fewest applicants lack figures (the
/// scenario then says who lacks what); `None` when there are no figures before the
/// round's year at all.
pub fn default_indicator_year(
    parameters: &FormulaParameters,
    round_year: i32,
    by_year: &BTreeMap<i32, Vec<Indicators>>,
) -> Option<i32> {
    by_year
        .range(..round_year)
        .map(|(year, applicants)| {
            let lacking = applicants
                .iter()
                .filter(|i| !missing_figures(parameters, i).is_empty())
                .count();
            (Reverse(lacking), *year)
        })
        .max()
        .map(|(_, year)| year)
}

/// A scenario's name is unique in its round; a snapshot's among all snapshots.
pub fn check_name_free(name: &str, taken: bool, snapshot: bool) -> Result<(), Refusal> {
    match (taken, snapshot) {
        (false, _) => Ok(()),
        (true, false) => Err(Refusal::ScenarioNameTaken {
            name: name.to_string(),
        }),
        (true, true) => Err(Refusal::SnapshotNameTaken {
            name: name.to_string(),
        }),
    }
}

/// A statistics snapshot's name as typed: required, at most 200 characters.
pub fn snapshot_name(name: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = name.trim();
    if name.is_empty() {
        errors.add("name", "Navn må fylles ut.");
    } else if name.chars().count() > 200 {
        errors.add("name", "Navn kan ha høyst 200 tegn.");
    }
    errors.into_result(|| name.to_string())
}

/// A scenario changes (is recomputed) only while no proposal rests on it, and is deleted
/// only if no decision ever did. `decisions` counts all, `pending` those waiting.
pub fn check_recompute(pending: i64) -> Result<(), Refusal> {
    if pending > 0 {
        Err(Refusal::ScenarioPending {
            what: "beregnes på nytt",
        })
    } else {
        Ok(())
    }
}

pub fn check_delete(name: &str, decisions: i64) -> Result<(), Refusal> {
    if decisions > 0 {
        Err(Refusal::ScenarioInDecision {
            name: name.to_string(),
        })
    } else {
        Ok(())
    }
}

/// The engine's input for `spec` over the round's applications. For the manual method an
/// application without an amount in the scenario gets the officer's proposed amount, else
/// the assessment's recommended amount, else the amount granted by the decision in force
/// (so the 2019 figures come back as they were).
pub fn build_input(
    pool: Kroner,
    unit: Kroner,
    spec: &ScenarioSpec,
    sources: &[ClaimSource],
) -> Result<AllocationInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    for (key, map) in [
        ("amounts", &spec.amounts),
        ("floors", &spec.floors),
        ("caps", &spec.caps),
    ] {
        for id in map.keys() {
            if !sources.iter().any(|s| s.application_id == *id) {
                errors.add(
                    format!("parameters.{key}.{id}"),
                    format!("Søknad {id} finnes ikke i runden."),
                );
            }
        }
    }
    let manual = matches!(spec.method, Method::Manuell);
    let claims = sources
        .iter()
        .map(|s| Claim {
            id: s.application_id,
            requested: s.requested.unwrap_or_default(),
            floor: spec.floors.get(&s.application_id).copied(),
            cap: spec.caps.get(&s.application_id).copied(),
            score: s.score,
            indicators: s.indicators.clone(),
            manual_amount: if manual {
                spec.amounts
                    .get(&s.application_id)
                    .copied()
                    .or(s.proposed)
                    .or(s.recommended)
                    .or(s.allocated)
            } else {
                None
            },
        })
        .collect();
    errors.into_result(|| AllocationInput {
        pool,
        unit,
        method: spec.method.clone(),
        claims,
    })
}

/// Names the input field an engine error is about, for a message next to that field.
pub fn error_field(error: &AllocationError) -> &'static str {
    match error {
        AllocationError::BadUnit(_) => "rounding_unit",
        AllocationError::FloorsAbovePool { .. } => "parameters.floors",
        AllocationError::ManualAbovePool { .. } => "parameters.amounts",
        AllocationError::NegativeMinimumScore => "parameters.min_score",
        AllocationError::BadParameter(_) => "parameters",
        AllocationError::NegativePool
        | AllocationError::PoolTooLarge(_)
        | AllocationError::TooManyClaims(_)
        | AllocationError::DuplicateClaim(_)
        | AllocationError::BadClaim { .. } => "method",
    }
}

/// One stored scenario, as the comparison needs it.
#[derive(Debug, Clone)]
pub struct ComparedScenario<'a> {
    pub id: i64,
    pub name: &'a str,
    pub result: &'a AllocationResult,
}

/// One applicant's line in the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ComparisonLine {
    pub application_id: i64,
    pub cells: Vec<ComparisonCell>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ComparisonCell {
    pub scenario_id: i64,
    /// `None` when the application was not part of this scenario (added later).
    pub amount: Option<Kroner>,
    pub explanation: String,
    pub problem: Option<String>,
    /// Against the first scenario (the baseline); `None` in the baseline's own column.
    pub difference: Option<Difference>,
}

/// A signed difference from the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Difference {
    /// Kroner, signed, as a decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub kroner: Decimal,
    /// Percent of the baseline amount with one decimal; `None` when the baseline is 0 kr.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schemars(with = "Option<String>")]
    pub percent: Option<Decimal>,
}

impl Difference {
    fn between(baseline: Kroner, amount: Kroner) -> Difference {
        let kroner = amount.decimal() - baseline.decimal();
        let percent = (!baseline.is_zero()).then(|| {
            (kroner * Decimal::ONE_HUNDRED / baseline.decimal())
                .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        });
        Difference { kroner, percent }
    }

    /// `+12 000 kr`, `−3 500 kr`, `0 kr`.
    pub fn kroner_text(&self) -> String {
        signed(self.kroner, "\u{a0}kr")
    }

    /// `+5,2 %`, `–` when there is no baseline amount.
    pub fn percent_text(&self) -> String {
        self.percent
            .map_or_else(|| "–".to_string(), |p| signed(p, "\u{a0}%"))
    }
}

fn signed(value: Decimal, suffix: &str) -> String {
    let sign = if value.is_sign_positive() && !value.is_zero() {
        "+"
    } else {
        ""
    };
    // number_text writes the minus as U+2212.
    format!("{sign}{}{suffix}", number_text(value))
}

/// Lines of the comparison, one per application in `application_ids` (in that order).
pub fn compare(application_ids: &[i64], scenarios: &[ComparedScenario<'_>]) -> Vec<ComparisonLine> {
    application_ids
        .iter()
        .map(|&id| {
            let baseline = scenarios.first().and_then(|s| s.result.amount_for(id));
            let cells = scenarios
                .iter()
                .enumerate()
                .map(|(index, s)| {
                    let claim = s.result.claims.iter().find(|c| c.id == id);
                    let amount = claim.map(|c| c.amount);
                    ComparisonCell {
                        scenario_id: s.id,
                        amount,
                        explanation: claim.map_or_else(
                            || "Ikke med i alternativet (søknaden kom til senere).".to_string(),
                            |c| c.explanation.clone(),
                        ),
                        problem: claim.and_then(|c| c.problem.clone()),
                        difference: match (index, baseline, amount) {
                            (0, _, _) => None,
                            (_, Some(base), Some(amount)) => {
                                Some(Difference::between(base, amount))
                            }
                            _ => None,
                        },
                    }
                })
                .collect();
            ComparisonLine {
                application_id: id,
                cells,
            }
        })
        .collect()
}

/// Parses the comparison's choice of scenarios: `2,5,7` or repeated `ids`; 2–4 distinct.
pub fn parse_compare_ids(values: &[String]) -> Result<Vec<i64>, String> {
    let mut ids = Vec::new();
    for value in values {
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = part
                .parse::<i64>()
                .map_err(|_| format!("«{part}» er ikke et alternativnummer."))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if !(COMPARE_MIN..=COMPARE_MAX).contains(&ids.len()) {
        return Err(format!(
            "Velg fra {COMPARE_MIN} til {COMPARE_MAX} alternativer å sammenligne (valgte {}).",
            ids.len()
        ));
    }
    Ok(ids)
}

/// The parameters in words: «Grunnbeløp 100 000 kr · 2 kr per innbygger · …».
pub fn parameters_text(spec: &ScenarioSpec) -> String {
    let kr = |d| format!("{}\u{a0}kr", number_text(d));
    let mut parts = match &spec.method {
        Method::Manuell => vec!["Beløp satt av saksbehandler".to_string()],
        Method::Forholdsmessig => vec!["Samme andel av omsøkt beløp til alle".to_string()],
        Method::Formel(p) => vec![
            format!("Grunnbeløp {}", kr(p.base_amount)),
            format!("{} per innbygger", kr(p.per_inhabitant)),
            format!("{} per mottaker", kr(p.per_recipient)),
            format!(
                "behovsvekt {} per mottaker uten koordinator",
                kr(p.need_weight)
            ),
        ],
        Method::Poengvektet { min_score } => {
            vec![format!("Minstepoeng {}", number_text(*min_score))]
        }
        Method::Rangert { cut_last } => vec![if *cut_last {
            "Den siste som får plass, kuttes".to_string()
        } else {
            "Søknader som ikke får plass, hoppes over".to_string()
        }],
    };
    if let Some(year) = spec.indicator_year {
        parts.push(format!("statistikkår {year}"));
    }
    if !spec.floors.is_empty() {
        parts.push(format!("{} minstebeløp", spec.floors.len()));
    }
    if !spec.caps.is_empty() {
        parts.push(format!("{} tak", spec.caps.len()));
    }
    parts.join(" · ")
}

/// One stored scenario's outcome, as the comparison needs it.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioOutcome<'a> {
    pub id: i64,
    pub spec: &'a ScenarioSpec,
    pub rounding_unit: Kroner,
    pub result: &'a AllocationResult,
}

/// A scenario's column heading in the comparison.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ComparedHead {
    pub id: i64,
    pub name: String,
    pub method: &'static str,
    pub method_label: &'static str,
    pub rounding_unit: Kroner,
    pub parameters_text: String,
    pub allocated_total: Kroner,
    pub unallocated: Kroner,
    pub unallocated_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ComparisonRow {
    pub application_id: i64,
    pub applicant: String,
    pub kommunenummer: Option<String>,
    pub requested: Option<Kroner>,
    pub cells: Vec<ComparisonCell>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    pub round_id: i64,
    pub pool: Kroner,
    pub scenarios: Vec<ComparedHead>,
    pub lines: Vec<ComparisonRow>,
}

impl Comparison {
    /// `scenarios` in the order chosen; the first is the baseline for differences.
    pub fn new(
        round_id: i64,
        pool: Kroner,
        scenarios: &[ScenarioOutcome<'_>],
        applications: &[ApplicationSummary],
    ) -> Self {
        let compared: Vec<ComparedScenario<'_>> = scenarios
            .iter()
            .map(|s| ComparedScenario {
                id: s.id,
                name: &s.spec.name,
                result: s.result,
            })
            .collect();
        // Every application any of the scenarios covers, in the round's order.
        let ids: Vec<i64> = applications
            .iter()
            .map(|a| a.id)
            .filter(|id| scenarios.iter().any(|s| s.result.amount_for(*id).is_some()))
            .collect();
        let lines = compare(&ids, &compared)
            .into_iter()
            .map(|line| {
                let application = applications.iter().find(|a| a.id == line.application_id);
                ComparisonRow {
                    application_id: line.application_id,
                    applicant: application.map_or_else(String::new, |a| a.applicant.clone()),
                    kommunenummer: application
                        .and_then(|a| a.kommunenummer.as_ref().map(ToString::to_string)),
                    requested: application.and_then(|a| a.requested),
                    cells: line.cells,
                }
            })
            .collect();
        Comparison {
            round_id,
            pool,
            scenarios: scenarios
                .iter()
                .map(|s| ComparedHead {
                    id: s.id,
                    name: s.spec.name.clone(),
                    method: s.spec.method.code(),
                    method_label: s.spec.method.label(),
                    rounding_unit: s.rounding_unit,
                    parameters_text: parameters_text(s.spec),
                    allocated_total: s.result.allocated,
                    unallocated: s.result.unplaced,
                    unallocated_reason: s.result.unplaced_reason.clone(),
                })
                .collect(),
            lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::allocation::{ClaimResult, allocate};

    fn kr(n: i64) -> Kroner {
        Kroner::from_whole(n)
    }

    fn input(json: serde_json::Value) -> ScenarioInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn validates_each_method_and_names_fields() {
        let spec = input(
            serde_json::json!({"name": "Likt", "method": "forholdsmessig", "rounding_unit": 1000}),
        )
        .validate()
        .unwrap();
        assert_eq!(spec.method, Method::Forholdsmessig);
        assert_eq!(spec.rounding_unit, Some(kr(1000)));

        let errors =
            input(serde_json::json!({"name": "", "method": "lotteri", "rounding_unit": "7"}))
                .validate()
                .unwrap_err();
        assert!(errors.for_field("name").is_some());
        assert!(errors.for_field("method").unwrap().contains("lotteri"));
        assert!(errors.for_field("rounding_unit").unwrap().contains("1 000"));

        let errors = input(serde_json::json!({"name": "F", "method": "formel",
            "parameters": {"base_amount": "100 000", "per_inhabitant": "abc"}}))
        .validate()
        .unwrap_err();
        assert!(
            errors
                .for_field("parameters.per_inhabitant")
                .unwrap()
                .contains("abc")
        );
        assert!(errors.for_field("parameters.snapshot_id").is_some());

        let spec = input(serde_json::json!({"name": "P", "method": "poengvektet",
            "parameters": {"min_score": "3,5", "floors": {"7": "1000"}, "caps": {"7": 900}}}))
        .validate()
        .unwrap_err();
        assert!(spec.for_field("parameters.floors.7").is_some());
    }

    #[test]
    fn unknown_parameter_is_refused() {
        let parsed: Result<ScenarioInput, _> = serde_json::from_value(
            serde_json::json!({"name": "x", "method": "rangert", "parameters": {"cutlast": true}}),
        );
        assert!(parsed.unwrap_err().to_string().contains("cutlast"));
    }

    #[test]
    fn manual_amounts_default_to_recommended_then_recorded() {
        let spec = input(serde_json::json!({"name": "M", "method": "manuell", "parameters": {"amounts": {"1": "500"}}}))
            .validate()
            .unwrap();
        let sources = [
            ClaimSource {
                application_id: 1,
                recommended: Some(kr(100)),
                ..Default::default()
            },
            ClaimSource {
                application_id: 2,
                recommended: Some(kr(200)),
                allocated: Some(kr(300)),
                ..Default::default()
            },
            ClaimSource {
                application_id: 3,
                allocated: Some(kr(300)),
                ..Default::default()
            },
            ClaimSource {
                application_id: 4,
                ..Default::default()
            },
        ];
        let built = build_input(kr(10_000), kr(1), &spec, &sources).unwrap();
        let amounts: Vec<Option<Kroner>> = built.claims.iter().map(|c| c.manual_amount).collect();
        assert_eq!(
            amounts,
            vec![Some(kr(500)), Some(kr(200)), Some(kr(300)), None]
        );
    }

    #[test]
    fn unknown_application_in_parameters_is_named() {
        let spec = input(serde_json::json!({"name": "M", "method": "manuell", "parameters": {"amounts": {"99": "5"}}}))
            .validate()
            .unwrap();
        let errors = build_input(kr(10), kr(1), &spec, &[]).unwrap_err();
        assert_eq!(
            errors.for_field("parameters.amounts.99"),
            Some("Søknad 99 finnes ikke i runden.")
        );
    }

    #[test]
    fn comparison_differences_against_the_first() {
        let result = |a: i64, b: i64| AllocationResult {
            claims: vec![
                ClaimResult {
                    id: 1,
                    amount: kr(a),
                    explanation: "x".into(),
                    problem: None,
                },
                ClaimResult {
                    id: 2,
                    amount: kr(b),
                    explanation: "y".into(),
                    problem: None,
                },
            ],
            allocated: kr(a + b),
            unplaced: Kroner::ZERO,
            unplaced_reason: None,
        };
        let (first, second) = (result(1000, 0), result(1250, 500));
        let lines = compare(
            &[1, 2, 3],
            &[
                ComparedScenario {
                    id: 10,
                    name: "A",
                    result: &first,
                },
                ComparedScenario {
                    id: 11,
                    name: "B",
                    result: &second,
                },
            ],
        );
        let d = lines[0].cells[1].difference.clone().unwrap();
        assert_eq!(d.kroner_text(), "+250\u{a0}kr");
        assert_eq!(d.percent_text(), "+25\u{a0}%");
        let d = lines[1].cells[1].difference.clone().unwrap();
        assert_eq!(d.percent_text(), "–");
        assert!(lines[0].cells[0].difference.is_none());
        assert!(lines[2].cells[0].amount.is_none());
        let back = Difference::between(kr(1000), kr(700));
        assert_eq!(back.kroner_text(), "\u{2212}300\u{a0}kr");
        assert_eq!(back.percent_text(), "\u{2212}30\u{a0}%");
    }

    #[test]
    fn compare_ids() {
        assert_eq!(
            parse_compare_ids(&["3,1".into(), "3".into()]),
            Ok(vec![3, 1])
        );
        assert!(
            parse_compare_ids(&["1".into()])
                .unwrap_err()
                .contains("2 til 4")
        );
        assert!(parse_compare_ids(&["1,2,3,4,5".into()]).is_err());
        assert!(
            parse_compare_ids(&["1,x".into()])
                .unwrap_err()
                .contains("«x»")
        );
    }

    #[test]
    fn default_year_is_the_latest_with_every_figure_the_formula_uses() {
        let full = Indicators {
            inhabitants: Some(Decimal::from(1000)),
            home_service_recipients: Some(Decimal::from(50)),
            coordinator_coverage_percent: Some(Decimal::from(12)),
        };
        let no_coverage = Indicators {
            coordinator_coverage_percent: None,
            ..full.clone()
        };
        let formula = |need_weight: i64| FormulaParameters {
            base_amount: Decimal::from(100_000),
            per_inhabitant: Decimal::from(2),
            per_recipient: Decimal::from(100),
            need_weight: Decimal::from(need_weight),
        };
        let by_year = BTreeMap::from([
            (2023, vec![full.clone(), full.clone()]),
            (2024, vec![full.clone(), no_coverage.clone()]),
            (2025, vec![Indicators::default(), Indicators::default()]),
            (2026, vec![full.clone(), full.clone()]),
        ]);
        // 2026 is the round's year, 2025 and 2024 lack figures: 2023.
        assert_eq!(
            default_indicator_year(&formula(500), 2026, &by_year),
            Some(2023)
        );
        // Without the need term coverage is not used: 2024 is complete.
        assert_eq!(
            default_indicator_year(&formula(0), 2026, &by_year),
            Some(2024)
        );
        // No complete year: the latest with the fewest lacking.
        let partial = BTreeMap::from([
            (2022, vec![no_coverage.clone(), Indicators::default()]),
            (2023, vec![full.clone(), no_coverage.clone()]),
            (2024, vec![no_coverage.clone(), full]),
        ]);
        assert_eq!(
            default_indicator_year(&formula(500), 2026, &partial),
            Some(2024)
        );
        assert_eq!(default_indicator_year(&formula(500), 2020, &partial), None);
    }

    #[test]
    fn built_input_allocates() {
        let spec = input(serde_json::json!({"name": "F", "method": "forholdsmessig"}))
            .validate()
            .unwrap();
        let sources: Vec<ClaimSource> = (1..=3)
            .map(|id| ClaimSource {
                application_id: id,
                requested: Some(kr(1000 * id)),
                ..Default::default()
            })
            .collect();
        let result = allocate(&build_input(kr(3000), kr(1), &spec, &sources).unwrap()).unwrap();
        assert_eq!(result.allocated, kr(3000));
    }
}
