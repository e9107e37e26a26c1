//! Scenarios, their comparison, decisions and assessments as the pages, the API and the
//! Excel export show them, so that all of them give the same figures.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::domain::Kroner;
use crate::domain::allocation::{
    AllocationInput, AllocationResult, claims_missing_figures, percent_text,
};
use crate::domain::application::ApplicationSummary;
use crate::domain::decision::{DecisionStatus, FrozenApplicant, FrozenSnapshot};
use crate::domain::scenario::{Comparison, ScenarioOutcome, ScenarioSpec, parameters_text};

use crate::app::visibility as scope;
use crate::domain::assessment::Criterion;
use crate::domain::scenario::parse_compare_ids;
use crate::domain::user::{Principal, Role};
use crate::error::{AppError, AppResult};
use crate::sheets::comparison::comparison_workbook;
use crate::store::{
    ApplicationAssessment, Decision, Declaration, StoredScenario, frozen_applicants,
};
use crate::web::AppState;
use crate::web::openapi::{Download, Xlsx};

/// Date and time in Norway, as officers read it.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Oslo)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

/// One applicant's amount in a scenario or a decision.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AllocationLine {
    pub application_id: i64,
    pub applicant: String,
    pub kommunenummer: Option<String>,
    pub requested: Kroner,
    pub amount: Kroner,
    pub explanation: String,
    pub problem: Option<String>,
}

impl AllocationLine {
    pub fn share_text(&self) -> String {
        percent_text(self.amount, self.requested)
    }
}

fn lines(
    applicants: &[FrozenApplicant],
    result: &AllocationResult,
    requested: impl Fn(i64) -> Kroner,
) -> Vec<AllocationLine> {
    result
        .claims
        .iter()
        .map(|c| {
            let applicant = applicants.iter().find(|a| a.application_id == c.id);
            AllocationLine {
                application_id: c.id,
                applicant: applicant
                    .map_or_else(|| format!("Søknad {}", c.id), |a| a.applicant.clone()),
                kommunenummer: applicant.and_then(|a| a.kommunenummer.clone()),
                requested: requested(c.id),
                amount: c.amount,
                explanation: c.explanation.clone(),
                problem: c.problem.clone(),
            }
        })
        .collect()
}

/// The method's parameters as JSON: `{"min_score": "3", "floors": {…}, …}`.
fn parameters_json(spec: &ScenarioSpec) -> Value {
    let mut value = serde_json::to_value(&spec.method).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.remove("method");
        if let Some(id) = spec.snapshot_id {
            map.insert("snapshot_id".into(), id.into());
        }
        if let Some(year) = spec.indicator_year {
            map.insert("indicator_year".into(), year.into());
        }
        for (key, amounts) in [
            ("amounts", &spec.amounts),
            ("floors", &spec.floors),
            ("caps", &spec.caps),
        ] {
            if !amounts.is_empty() {
                map.insert(
                    key.into(),
                    serde_json::to_value(amounts).unwrap_or(Value::Null),
                );
            }
        }
    }
    value
}

/// An applicant whose figures the formula lacks: `missing` names each figure
/// (`innbyggertall`, `antall mottakere`, `koordinatordekning`), `text` all of them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MissingFiguresLine {
    pub application_id: i64,
    pub applicant: String,
    pub kommunenummer: Option<String>,
    pub missing: Vec<String>,
    pub text: String,
}

/// Each applicant of `input` that lacks figures its formula uses.
fn missing_lines(
    input: &AllocationInput,
    applicants: &[FrozenApplicant],
) -> Vec<MissingFiguresLine> {
    claims_missing_figures(input)
        .into_iter()
        .map(|m| {
            let applicant = applicants.iter().find(|a| a.application_id == m.id);
            MissingFiguresLine {
                application_id: m.id,
                applicant: applicant
                    .map_or_else(|| format!("Søknad {}", m.id), |a| a.applicant.clone()),
                kommunenummer: applicant.and_then(|a| a.kommunenummer.clone()),
                text: m.text(),
                missing: m.missing,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ScenarioBody {
    pub id: i64,
    pub round_id: i64,
    pub name: String,
    pub method: &'static str,
    pub method_label: &'static str,
    pub rounding_unit: Kroner,
    pub parameters: Value,
    pub parameters_text: String,
    pub allocations: Vec<AllocationLine>,
    pub allocated_total: Kroner,
    pub unallocated: Kroner,
    pub unallocated_reason: Option<String>,
    /// False when the manual method reports problems with some amounts.
    pub valid: bool,
    /// False when the round's applications changed since it was computed.
    pub current: bool,
    /// The applicants that lack figures the formula uses (proposing then needs a reason).
    pub missing_figures: Vec<MissingFiguresLine>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub computed_at: DateTime<Utc>,
}

impl ScenarioBody {
    pub fn new(s: &StoredScenario, applications: &[ApplicationSummary], current: bool) -> Self {
        let applicants = frozen_applicants(applications);
        let requested = |id| {
            s.input
                .claims
                .iter()
                .find(|c| c.id == id)
                .map_or(Kroner::ZERO, |c| c.requested)
        };
        ScenarioBody {
            id: s.id,
            round_id: s.round_id,
            name: s.spec.name.clone(),
            method: s.spec.method.code(),
            method_label: s.spec.method.label(),
            rounding_unit: s.rounding_unit,
            parameters: parameters_json(&s.spec),
            parameters_text: parameters_text(&s.spec),
            allocations: lines(&applicants, &s.result, requested),
            allocated_total: s.result.allocated,
            unallocated: s.result.unplaced,
            unallocated_reason: s.result.unplaced_reason.clone(),
            valid: s.result.is_valid(),
            current,
            missing_figures: missing_lines(&s.input, &applicants),
            version: s.version,
            created_by: s.created_by.clone(),
            created_at: s.created_at,
            computed_at: s.computed_at,
        }
    }

    pub fn computed_text(&self) -> String {
        local_time(self.computed_at)
    }
}

/// The comparison of stored scenarios; the first is the baseline for differences.
pub fn comparison(
    round_id: i64,
    pool: Kroner,
    scenarios: &[StoredScenario],
    applications: &[ApplicationSummary],
) -> Comparison {
    let outcomes: Vec<ScenarioOutcome<'_>> = scenarios
        .iter()
        .map(|s| ScenarioOutcome {
            id: s.id,
            spec: &s.spec,
            rounding_unit: s.rounding_unit,
            result: &s.result,
        })
        .collect();
    Comparison::new(round_id, pool, &outcomes, applications)
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DecisionBody {
    pub id: i64,
    pub round_id: i64,
    pub scenario_id: i64,
    pub scenario_name: String,
    pub status: DecisionStatus,
    pub status_label: &'static str,
    /// The decision this one changes (endringsvedtak).
    pub amends_decision_id: Option<i64>,
    pub reason: Option<String>,
    pub proposed_by: String,
    /// The people's names, for the pages (the usernames above are what was recorded).
    pub proposed_by_name: String,
    pub proposed_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_by_name: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_comment: Option<String>,
    pub method: &'static str,
    pub method_label: &'static str,
    pub parameters: Value,
    pub parameters_text: String,
    pub pool: Kroner,
    pub rounding_unit: Kroner,
    pub snapshot: Option<FrozenSnapshot>,
    pub computed_at: DateTime<Utc>,
    pub allocations: Vec<AllocationLine>,
    pub allocated_total: Kroner,
    pub unallocated: Kroner,
    pub unallocated_reason: Option<String>,
    /// The applicants that lacked figures the formula uses when it was proposed.
    pub missing_figures: Vec<MissingFiguresLine>,
}

impl DecisionBody {
    pub fn new(d: &Decision) -> Self {
        let f = &d.frozen;
        let requested = |id| {
            f.input
                .claims
                .iter()
                .find(|c| c.id == id)
                .map_or(Kroner::ZERO, |c| c.requested)
        };
        DecisionBody {
            id: d.id,
            round_id: d.round_id,
            scenario_id: d.scenario_id,
            scenario_name: f.spec.name.clone(),
            status: d.status,
            status_label: d.status.label(),
            amends_decision_id: d.amends_decision_id,
            reason: d.reason.clone(),
            proposed_by: d.proposed_by.clone(),
            proposed_by_name: d.proposed_by_name.clone(),
            proposed_at: d.proposed_at,
            reviewed_by: d.reviewed_by.clone(),
            reviewed_by_name: d.reviewed_by_name.clone(),
            reviewed_at: d.reviewed_at,
            review_comment: d.review_comment.clone(),
            method: f.spec.method.code(),
            method_label: f.spec.method.label(),
            parameters: parameters_json(&f.spec),
            parameters_text: parameters_text(&f.spec),
            pool: f.pool,
            rounding_unit: f.rounding_unit,
            snapshot: f.snapshot.clone(),
            computed_at: f.computed_at,
            allocations: lines(&f.applicants, &f.result, requested),
            allocated_total: f.result.allocated,
            unallocated: f.result.unplaced,
            unallocated_reason: f.result.unplaced_reason.clone(),
            missing_figures: missing_lines(&f.input, &f.applicants),
        }
    }

    pub fn proposed_text(&self) -> String {
        local_time(self.proposed_at)
    }

    pub fn reviewed_text(&self) -> String {
        self.reviewed_at.map(local_time).unwrap_or_default()
    }

    pub fn is_proposed(&self) -> bool {
        self.status == DecisionStatus::Proposed
    }
}

// ---------------------------------------------------------------------------------------
// Loaded for the pages and the API alike

/// A stored scenario with the applicants' names and whether it still matches the round.
pub async fn scenario_body(state: &AppState, scenario: StoredScenario) -> AppResult<ScenarioBody> {
    let applications = state.store.round_applications(scenario.round_id).await?;
    let current = crate::app::scenarios::is_current(&state.store, &scenario).await?;
    Ok(ScenarioBody::new(&scenario, &applications, current))
}

/// The comparison chosen in the query (`ids=3&ids=5` or `ids=3,5`).
pub async fn comparison_for(
    state: &AppState,
    round_id: i64,
    raw_query: Option<&str>,
) -> AppResult<Comparison> {
    let round = state.store.round(round_id).await?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw_query.unwrap_or(""))
        .map_err(|_| AppError::invalid("ids", "Adressen har en ugyldig spørring."))?;
    let values: Vec<String> = pairs
        .into_iter()
        .filter(|(k, _)| k == "ids")
        .map(|(_, v)| v)
        .collect();
    let ids = parse_compare_ids(&values).map_err(|m| AppError::invalid("ids", m))?;
    let mut scenarios = Vec::new();
    for id in ids {
        let scenario = state.store.scenario(id).await?;
        if scenario.round_id != round_id {
            return Err(AppError::NotFound(format!(
                "Fant ikke fordelingsalternativ {id} i runden."
            )));
        }
        scenarios.push(scenario);
    }
    let applications = state.store.round_applications(round_id).await?;
    Ok(comparison(round_id, round.pool, &scenarios, &applications))
}

/// The comparison as an Excel workbook download.
pub async fn comparison_xlsx(
    state: &AppState,
    comparison: &Comparison,
) -> AppResult<Download<Xlsx>> {
    let round = state.store.round(comparison.round_id).await?;
    let bytes = comparison_workbook(&round, comparison)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("comparison workbook: {e}")))?;
    Ok(Download::new(
        bytes,
        format!("sammenligning-runde-{}.xlsx", round.id),
    ))
}

// ---------------------------------------------------------------------------------------
// Assessment, as the pages and the API show it

/// An application's assessment as the API writes it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AssessmentBody {
    #[serde(flatten)]
    pub assessment: ApplicationAssessment,
    /// Every officer's declaration; those with `conflict: true` are inhabile.
    pub declarations: Vec<Declaration>,
    pub my_declaration: Option<Declaration>,
    /// Whether the caller may save an assessment now.
    pub may_assess: bool,
}

pub async fn assessment_body(
    state: &AppState,
    user: &Principal,
    id: i64,
) -> AppResult<AssessmentBody> {
    let (_, round) = scope::application(&state.store, user, id).await?;
    let assessment = state.store.application_assessment(id).await?;
    let declarations = state.store.declarations(id).await?;
    let my_declaration = declarations
        .iter()
        .find(|d| d.user_id == user.user_id)
        .cloned();
    let may_assess = user.has(Role::Saksbehandler)
        && round.phase.allows_assessment()
        && my_declaration.as_ref().is_some_and(|d| !d.conflict);
    Ok(AssessmentBody {
        assessment,
        declarations,
        my_declaration,
        may_assess,
    })
}

/// A round's criteria and their weights' sum.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CriteriaBody {
    pub round_id: i64,
    pub total_weight: rust_decimal::Decimal,
    pub criteria: Vec<Criterion>,
}

/// One criterion and its round.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CriterionBody {
    pub round_id: i64,
    #[serde(flatten)]
    pub criterion: Criterion,
}

/// The round's criteria as the API writes them.
pub async fn criteria_body(
    state: &AppState,
    user: &Principal,
    round_id: i64,
) -> AppResult<CriteriaBody> {
    scope::round(&state.store, user, round_id).await?;
    let criteria = state.store.criteria(round_id).await?;
    let total: rust_decimal::Decimal = criteria.iter().map(|c| c.weight).sum();
    Ok(CriteriaBody {
        round_id,
        total_weight: total.normalize(),
        criteria,
    })
}
