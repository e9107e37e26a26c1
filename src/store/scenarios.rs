//! Statistics snapshots and scenarios (fordelingsalternativer): computed by the pure
//! engine, stored with their inputs and results.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::Kroner;
use crate::domain::allocation::{AllocationInput, AllocationResult, Indicators, Method};
use crate::domain::application::ApplicationSummary;
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::decision::FrozenApplicant;
use crate::domain::kommune::Register;
use crate::domain::round::Round;
use crate::domain::scenario::{ClaimSource, ScenarioSpec};
use crate::domain::statistics as stats;

/// A named, frozen copy of the statistics.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct SnapshotSummary {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub observations: i64,
    pub synthetic: i64,
}

/// A scenario as stored.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoredScenario {
    pub id: i64,
    pub round_id: i64,
    pub spec: ScenarioSpec,
    pub rounding_unit: Kroner,
    pub input: AllocationInput,
    pub result: AllocationResult,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub computed_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct ScenarioRow {
    id: i64,
    round_id: i64,
    parameters: String,
    rounding_unit_ore: i64,
    inputs: String,
    result: String,
    created_by: String,
    created_at: DateTime<Utc>,
    computed_at: DateTime<Utc>,
    version: i64,
}

impl ScenarioRow {
    fn into_scenario(self) -> StoreResult<StoredScenario> {
        let json = |what: &str, text: &str| {
            StoreError::corrupt(format!("scenario {}: bad {what} JSON: {text}", self.id))
        };
        Ok(StoredScenario {
            id: self.id,
            round_id: self.round_id,
            spec: serde_json::from_str(&self.parameters)
                .map_err(|e| json("parameters", &e.to_string()))?,
            rounding_unit: Kroner::from_ore(self.rounding_unit_ore),
            input: serde_json::from_str(&self.inputs)
                .map_err(|e| json("inputs", &e.to_string()))?,
            result: serde_json::from_str(&self.result)
                .map_err(|e| json("result", &e.to_string()))?,
            created_by: self.created_by,
            created_at: self.created_at,
            computed_at: self.computed_at,
            version: self.version,
        })
    }
}

const SCENARIO_BY_ID: &str = "SELECT id, round_id, parameters, rounding_unit_ore, inputs, result, \
     created_by, created_at, computed_at, version FROM scenarios WHERE id = $1";

const SCENARIOS_OF_ROUND: &str = "SELECT id, round_id, parameters, rounding_unit_ore, inputs, result, \
     created_by, created_at, computed_at, version FROM scenarios WHERE round_id = $1 ORDER BY id";

/// What a computation produced, before it is stored.
pub struct Computed {
    pub input: AllocationInput,
    pub result: AllocationResult,
    pub unit: Kroner,
}

/// The applications a scenario shares the pool between: every one that has been sent in.
pub fn claimants(applications: &[ApplicationSummary]) -> Vec<&ApplicationSummary> {
    applications
        .iter()
        .filter(|a| a.status.is_claim())
        .collect()
}

pub fn frozen_applicants(applications: &[ApplicationSummary]) -> Vec<FrozenApplicant> {
    claimants(applications)
        .into_iter()
        .map(|a| FrozenApplicant {
            application_id: a.id,
            applicant: a.applicant.clone(),
            kommunenummer: a.kommunenummer.as_ref().map(ToString::to_string),
        })
        .collect()
}

impl Store {
    // ---------------------------------------------------------------- snapshots

    pub async fn snapshots(&self) -> StoreResult<Vec<SnapshotSummary>> {
        self.fetch_all(sql(
            "SELECT s.id, s.name, s.description, s.created_by, s.created_at, \
             CAST(COUNT(o.id) AS BIGINT) AS observations, \
             CAST(COALESCE(SUM(CASE WHEN o.synthetic THEN 1 ELSE 0 END), 0) AS BIGINT) AS synthetic \
             FROM statistics_snapshots s LEFT JOIN snapshot_observations o ON o.snapshot_id = s.id \
             GROUP BY s.id, s.name, s.description, s.created_by, s.created_at ORDER BY s.id DESC",
        ))
        .await
    }

    pub async fn snapshot(&self, id: i64) -> StoreResult<SnapshotSummary> {
        self.snapshots()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| StoreError::NotFound("øyeblikksbildet av statistikken"))
    }

    /// The formula's indicators per year and region of a snapshot (totals only, not the
    /// breakdowns by need or age); one year when `year` is given, else every year.
    async fn snapshot_indicators(
        &self,
        snapshot_id: i64,
        year: Option<i32>,
    ) -> StoreResult<BTreeMap<i32, BTreeMap<String, Indicators>>> {
        let rows: Vec<(i64, String, String, Option<String>)> = self
            .fetch_all(
                sql(
                    "SELECT year, indicator_code, region, value FROM snapshot_observations \
                     WHERE snapshot_id = $1 AND year BETWEEN $2 AND $3 \
                     AND need_level IS NULL AND age_group IS NULL \
                     AND indicator_code IN ($4, $5, $6)",
                )
                .bind(snapshot_id)
                .bind(year.map_or(i64::from(i32::MIN), i64::from))
                .bind(year.map_or(i64::from(i32::MAX), i64::from))
                .bind(stats::INHABITANTS)
                .bind(stats::RECIPIENTS)
                .bind(stats::COORDINATOR),
            )
            .await?;
        let mut out: BTreeMap<i32, BTreeMap<String, Indicators>> = BTreeMap::new();
        for (year, code, region, value) in rows {
            let Some(value) = value.and_then(|v| v.parse::<Decimal>().ok()) else {
                continue;
            };
            let Ok(year) = i32::try_from(year) else {
                continue;
            };
            let entry = out.entry(year).or_default().entry(region).or_default();
            match code.as_str() {
                c if c == stats::INHABITANTS => entry.inhabitants = Some(value),
                c if c == stats::RECIPIENTS => entry.home_service_recipients = Some(value),
                _ => entry.coordinator_coverage_percent = Some(value),
            }
        }
        Ok(out)
    }

    /// The regions whose figures count for an applicant in `year`: its own kommunenummer,
    /// or a collaboration's members in the division of that year.
    async fn applicant_regions(
        &self,
        register: &Register,
        application: &ApplicationSummary,
        year: i32,
    ) -> StoreResult<Vec<String>> {
        Ok(match &application.kommunenummer {
            Some(k) => vec![k.to_string()],
            None => self
                .members_in_year(register, application.organisation_id, year)
                .await?
                .into_iter()
                .map(|m| m.number.to_string())
                .collect(),
        })
    }

    /// For every year of the snapshot before the round's year, the formula's indicators of
    /// each application that takes part (for choosing the default statistics year).
    pub async fn formula_indicators_by_year(
        &self,
        round: &Round,
        snapshot_id: i64,
    ) -> StoreResult<BTreeMap<i32, Vec<Indicators>>> {
        self.snapshot(snapshot_id).await?;
        let applications = self.round_applications(round.id).await?;
        let register = self.register().await?;
        let by_year = self.snapshot_indicators(snapshot_id, None).await?;
        let mut out = BTreeMap::new();
        for (year, by_region) in by_year.range(..round.year) {
            let mut applicants = Vec::new();
            for a in claimants(&applications) {
                let regions = self.applicant_regions(&register, a, *year).await?;
                applicants.push(combine_regions(by_region, &regions));
            }
            out.insert(*year, applicants);
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- scenarios

    /// What the engine needs to know about each application that takes part, for `spec`
    /// on the round as it is now. A formula's snapshot must exist (`NotFound` otherwise).
    pub async fn claim_sources(
        &self,
        round: &Round,
        spec: &ScenarioSpec,
    ) -> StoreResult<Vec<ClaimSource>> {
        let applications = self.round_applications(round.id).await?;
        let scores = self.weighted_scores(round.id).await?;
        let recommended = self.recommended_amounts(round.id).await?;
        let indicators = match (&spec.method, spec.snapshot_id) {
            (Method::Formel(_), Some(snapshot_id)) => {
                self.snapshot(snapshot_id).await?;
                let year = spec.indicator_year.unwrap_or(round.year - 1);
                let by_region = self
                    .snapshot_indicators(snapshot_id, Some(year))
                    .await?
                    .remove(&year)
                    .unwrap_or_default();
                Some((year, by_region, self.register().await?))
            }
            _ => None,
        };
        let mut sources = Vec::new();
        for a in claimants(&applications) {
            let indicators = match &indicators {
                None => Indicators::default(),
                Some((year, by_region, register)) => {
                    let regions = self.applicant_regions(register, a, *year).await?;
                    combine_regions(by_region, &regions)
                }
            };
            sources.push(ClaimSource {
                application_id: a.id,
                requested: a.requested,
                score: scores.get(&a.id).copied(),
                recommended: recommended.get(&a.id).copied(),
                proposed: a.proposed,
                allocated: a.allocated,
                indicators,
            });
        }
        Ok(sources)
    }

    pub async fn scenario(&self, id: i64) -> StoreResult<StoredScenario> {
        let row: ScenarioRow = self
            .fetch_optional(sql(SCENARIO_BY_ID).bind(id))
            .await?
            .ok_or_else(|| StoreError::NotFound("fordelingsalternativet"))?;
        row.into_scenario()
    }

    pub async fn round_scenarios(&self, round_id: i64) -> StoreResult<Vec<StoredScenario>> {
        let rows: Vec<ScenarioRow> = self
            .fetch_all(sql(SCENARIOS_OF_ROUND).bind(round_id))
            .await?;
        rows.into_iter().map(ScenarioRow::into_scenario).collect()
    }
}

/// Counts summed over an IKS's member municipalities; the coordinator share weighted by
/// recipients. A member without figures makes the total unknown rather than too small.
fn combine_regions(by_region: &BTreeMap<String, Indicators>, regions: &[String]) -> Indicators {
    if regions.is_empty() {
        return Indicators::default();
    }
    let members: Vec<Option<&Indicators>> = regions.iter().map(|r| by_region.get(r)).collect();
    if let [single] = members.as_slice() {
        return single.cloned().unwrap_or_default();
    }
    let sum = |get: fn(&Indicators) -> Option<Decimal>| -> Option<Decimal> {
        members
            .iter()
            .map(|m| m.and_then(get))
            .try_fold(Decimal::ZERO, |acc, v| v.map(|v| acc + v))
    };
    let inhabitants = sum(|i| i.inhabitants);
    let recipients = sum(|i| i.home_service_recipients);
    let covered = sum(|i| Some(i.home_service_recipients? * i.coordinator_coverage_percent?));
    let coverage = match (covered, recipients) {
        (Some(c), Some(r)) if !r.is_zero() => Some((c / r).round_dp(1)),
        _ => None,
    };
    Indicators {
        inhabitants,
        home_service_recipients: recipients,
        coordinator_coverage_percent: coverage,
    }
}

/// How many decisions rest on a scenario: all of them, and those waiting for approval.
pub async fn decisions_on(tx: &mut Tx, scenario_id: i64) -> StoreResult<(i64, i64)> {
    let (all, pending): (i64, i64) = tx
        .fetch_one(
            sql("SELECT CAST(COUNT(*) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN status = 'proposed' THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 FROM decisions WHERE scenario_id = $1")
            .bind(scenario_id),
        )
        .await?;
    Ok((all, pending))
}

/// Whether the round has a scenario of this name.
pub async fn scenario_name_taken(tx: &mut Tx, round_id: i64, name: &str) -> StoreResult<bool> {
    let taken: Option<(i64,)> = tx
        .fetch_optional(
            sql("SELECT id FROM scenarios WHERE round_id = $1 AND name = $2")
                .bind(round_id)
                .bind(name),
        )
        .await?;
    Ok(taken.is_some())
}

/// Stores a computed scenario, with its audit event.
pub async fn insert_scenario(
    tx: &mut Tx,
    round_id: i64,
    spec: &ScenarioSpec,
    computed: &Computed,
    actor: &Actor,
) -> StoreResult<i64> {
    let id = tx
        .insert(
            sql("INSERT INTO scenarios (round_id, name, method, parameters, rounding_unit_ore, snapshot_id, \
                 indicator_year, inputs, result, allocated_ore, unplaced_ore, created_by, created_at, computed_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1) RETURNING id")
            .bind(round_id)
            .bind(&spec.name)
            .bind(spec.method.code())
            .bind(to_json(spec)?)
            .bind(computed.unit.ore())
            .bind(spec.snapshot_id)
            .bind(spec.indicator_year.map(i64::from))
            .bind(to_json(&computed.input)?)
            .bind(to_json(&computed.result)?)
            .bind(computed.result.allocated.ore())
            .bind(computed.result.unplaced.ore())
            .bind(&actor.name)
            .bind(Utc::now()),
        )
        .await?;
    tx.audit(
        NewAuditEvent::new(
            actor,
            "scenario.created",
            format!(
                "Fordelingsalternativet «{}» ({}) beregnet: {} fordelt, {} ikke fordelt",
                spec.name,
                spec.method.label().to_lowercase(),
                computed.result.allocated,
                computed.result.unplaced
            ),
        )
        .round(round_id),
    )
    .await?;
    Ok(id)
}

/// Stores a scenario computed again, if nobody recomputed it since it was read.
pub async fn write_recomputed(
    tx: &mut Tx,
    scenario: &StoredScenario,
    computed: &Computed,
    actor: &Actor,
) -> StoreResult<()> {
    let updated = tx
        .execute(
            sql("UPDATE scenarios SET rounding_unit_ore = $1, inputs = $2, result = $3, allocated_ore = $4, \
                 unplaced_ore = $5, computed_at = $6, version = version + 1 WHERE id = $7 AND version = $8")
            .bind(computed.unit.ore())
            .bind(to_json(&computed.input)?)
            .bind(to_json(&computed.result)?)
            .bind(computed.result.allocated.ore())
            .bind(computed.result.unplaced.ore())
            .bind(Utc::now())
            .bind(scenario.id)
            .bind(scenario.version),
        )
        .await?;
    if updated != 1 {
        let (current,): (i64,) = tx
            .fetch_optional(sql("SELECT version FROM scenarios WHERE id = $1").bind(scenario.id))
            .await?
            .ok_or(StoreError::NotFound("fordelingsalternativet"))?;
        return Err(StoreError::StaleVersion {
            what: "alternativet",
            seen: scenario.version,
            current,
        });
    }
    tx.audit(
        NewAuditEvent::new(
            actor,
            "scenario.recomputed",
            format!(
                "Fordelingsalternativet «{}» beregnet på nytt: {} fordelt (før {})",
                scenario.spec.name, computed.result.allocated, scenario.result.allocated
            ),
        )
        .round(scenario.round_id)
        .change(
            "allocated",
            Some(scenario.result.allocated.to_string()),
            Some(computed.result.allocated.to_string()),
        ),
    )
    .await
}

/// Deletes a scenario (the caller checked that no decision rests on it).
pub async fn delete_scenario(
    tx: &mut Tx,
    scenario: &StoredScenario,
    actor: &Actor,
) -> StoreResult<()> {
    tx.execute(sql("DELETE FROM scenarios WHERE id = $1").bind(scenario.id))
        .await?;
    tx.audit(
        NewAuditEvent::new(
            actor,
            "scenario.deleted",
            format!("Fordelingsalternativet «{}» slettet", scenario.spec.name),
        )
        .round(scenario.round_id),
    )
    .await
}

/// Whether a statistics snapshot of this name exists.
pub async fn snapshot_name_taken(tx: &mut Tx, name: &str) -> StoreResult<bool> {
    let taken: Option<(i64,)> = tx
        .fetch_optional(sql("SELECT id FROM statistics_snapshots WHERE name = $1").bind(name))
        .await?;
    Ok(taken.is_some())
}

/// Freezes every observation there is now under `name`.
pub async fn insert_snapshot(
    tx: &mut Tx,
    name: &str,
    description: Option<&str>,
    actor: &Actor,
) -> StoreResult<i64> {
    let id = tx
        .insert(
            sql(
                "INSERT INTO statistics_snapshots (name, description, created_by, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(description.map(str::trim).filter(|d| !d.is_empty()))
            .bind(&actor.name)
            .bind(Utc::now()),
        )
        .await?;
    let copied = tx
        .execute(
            sql("INSERT INTO snapshot_observations (snapshot_id, indicator_code, region, year, need_level, \
                 age_group, value, symbol, synthetic) \
                 SELECT $1, indicator_code, region, year, need_level, age_group, value, symbol, synthetic \
                 FROM observations")
            .bind(id),
        )
        .await?;
    tx.audit(NewAuditEvent::new(
        actor,
        "statistics.snapshot_created",
        format!("Lagret øyeblikksbildet «{name}» av statistikken ({copied} observasjoner)"),
    ))
    .await?;
    Ok(id)
}

pub(super) fn to_json(value: &impl Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(StoreError::corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(inhabitants: i64, recipients: i64, coverage: &str) -> Indicators {
        Indicators {
            inhabitants: Some(Decimal::from(inhabitants)),
            home_service_recipients: Some(Decimal::from(recipients)),
            coordinator_coverage_percent: Some(coverage.parse().unwrap()),
        }
    }

    #[test]
    fn members_are_summed_and_coverage_weighted_by_recipients() {
        let by_region = BTreeMap::from([
            ("5020".to_string(), ind(1000, 100, "10")),
            ("5021".to_string(), ind(3000, 300, "20")),
        ]);
        let combined = combine_regions(&by_region, &["5020".into(), "5021".into()]);
        assert_eq!(combined, ind(4000, 400, "17.5"));
        let missing = combine_regions(&by_region, &["5020".into(), "5099".into()]);
        assert_eq!(missing.inhabitants, None);
        assert_eq!(missing.coordinator_coverage_percent, None);
    }
}
