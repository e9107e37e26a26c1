//! Scenarios (fordelingsalternativer): the round's applications as the engine's input,
//! computed by the pure engine and stored with input and result. Impartiality applies: an
//! officer with a standing conflict of interest for an application sets no manual amount,
//! floor or cap for it.

use crate::domain::allocation::{AllocationInput, Method, allocate};
use crate::domain::assessment::{check_not_conflicted, touched_by_hand};
use crate::domain::audit::Actor;
use crate::domain::round::Round;
use crate::domain::scenario::{
    ScenarioSpec, build_input, check_delete, check_name_free, check_recompute,
    default_indicator_year, error_field, snapshot_name,
};
use crate::error::{AppError, AppResult};
use crate::store::scenarios::{
    decisions_on, delete_scenario, insert_scenario, insert_snapshot, scenario_name_taken,
    snapshot_name_taken, write_recomputed,
};
use crate::store::{Computed, Store, StoreError, StoredScenario};

use super::applications::standing_conflicts;

async fn check_hands_off(
    store: &Store,
    round_id: i64,
    spec: &ScenarioSpec,
    actor: &Actor,
) -> AppResult<()> {
    let touched = touched_by_hand(spec);
    if touched.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let conflicts = standing_conflicts(&mut tx, round_id, actor.user_id, Some(&touched)).await?;
    drop(tx);
    check_not_conflicted(
        &conflicts,
        "sette beløp, minstebeløp eller tak for den i et fordelingsalternativ",
    )?;
    Ok(())
}

/// The engine's input for `spec` on the round as it is now.
pub async fn input(
    store: &Store,
    round: &Round,
    spec: &ScenarioSpec,
) -> AppResult<AllocationInput> {
    let sources = match store.claim_sources(round, spec).await {
        Err(StoreError::NotFound(_)) if spec.snapshot_id.is_some() => {
            return Err(unknown_snapshot(spec.snapshot_id.unwrap_or_default()));
        }
        other => other?,
    };
    let unit = spec.rounding_unit.unwrap_or(round.rounding_unit);
    build_input(round.pool, unit, spec, &sources).map_err(AppError::Invalid)
}

/// Computes `spec` on the round as it is now.
pub async fn compute(store: &Store, round: &Round, spec: &ScenarioSpec) -> AppResult<Computed> {
    let input = input(store, round, spec).await?;
    let result = allocate(&input).map_err(|e| AppError::invalid(error_field(&e), e.to_string()))?;
    Ok(Computed {
        unit: input.unit,
        input,
        result,
    })
}

/// Whether the scenario's stored input is what the round gives now; a scenario computed
/// before an application changed must be computed again before it is proposed.
pub async fn is_current(store: &Store, scenario: &StoredScenario) -> AppResult<bool> {
    let round = store.round(scenario.round_id).await?;
    Ok(match input(store, &round, &scenario.spec).await {
        Ok(input) => input == scenario.input,
        Err(AppError::Invalid(_)) => false,
        Err(other) => return Err(other),
    })
}

fn unknown_snapshot(id: i64) -> AppError {
    AppError::invalid(
        "parameters.snapshot_id",
        format!("Øyeblikksbildet {id} av statistikken finnes ikke."),
    )
}

/// A formula without a chosen statistics year gets the latest year before the round's in
/// which the round's applicants (an IKS by its members in that year) have the figures the
/// formula uses; the year is stored with the scenario, so it does not move later.
pub async fn with_default_year(
    store: &Store,
    round: &Round,
    spec: &ScenarioSpec,
) -> AppResult<ScenarioSpec> {
    let (Method::Formel(parameters), Some(snapshot_id), None) =
        (&spec.method, spec.snapshot_id, spec.indicator_year)
    else {
        return Ok(spec.clone());
    };
    let by_year = match store.formula_indicators_by_year(round, snapshot_id).await {
        Err(StoreError::NotFound(_)) => return Err(unknown_snapshot(snapshot_id)),
        other => other?,
    };
    let year = default_indicator_year(parameters, round.year, &by_year).unwrap_or(round.year - 1);
    Ok(ScenarioSpec {
        indicator_year: Some(year),
        ..spec.clone()
    })
}

/// Creates and computes a scenario.
pub async fn create(
    store: &Store,
    round_id: i64,
    spec: &ScenarioSpec,
    actor: &Actor,
) -> AppResult<i64> {
    check_hands_off(store, round_id, spec, actor).await?;
    let round = store.round(round_id).await?;
    let spec = &with_default_year(store, &round, spec).await?;
    let computed = compute(store, &round, spec).await?;
    let mut tx = store.begin().await?;
    check_name_free(
        &spec.name,
        scenario_name_taken(&mut tx, round_id, &spec.name).await?,
        false,
    )?;
    let id = insert_scenario(&mut tx, round_id, spec, &computed, actor).await?;
    tx.commit().await?;
    Ok(id)
}

/// Computes a scenario again on the round as it is now.
pub async fn recompute(store: &Store, scenario_id: i64, actor: &Actor) -> AppResult<()> {
    let scenario = store.scenario(scenario_id).await?;
    check_hands_off(store, scenario.round_id, &scenario.spec, actor).await?;
    let round = store.round(scenario.round_id).await?;
    let computed = compute(store, &round, &scenario.spec).await?;
    let mut tx = store.begin().await?;
    let (_, pending) = decisions_on(&mut tx, scenario_id).await?;
    check_recompute(pending)?;
    write_recomputed(&mut tx, &scenario, &computed, actor).await?;
    Ok(tx.commit().await?)
}

/// Deletes a scenario that no decision rests on.
pub async fn delete(store: &Store, scenario_id: i64, actor: &Actor) -> AppResult<()> {
    let scenario = store.scenario(scenario_id).await?;
    let mut tx = store.begin().await?;
    let (decisions, _) = decisions_on(&mut tx, scenario_id).await?;
    check_delete(&scenario.spec.name, decisions)?;
    delete_scenario(&mut tx, &scenario, actor).await?;
    Ok(tx.commit().await?)
}

/// Freezes every observation there is now under a name.
pub async fn create_snapshot(
    store: &Store,
    name: &str,
    description: Option<&str>,
    actor: &Actor,
) -> AppResult<i64> {
    let name = snapshot_name(name)?;
    let mut tx = store.begin().await?;
    check_name_free(&name, snapshot_name_taken(&mut tx, &name).await?, true)?;
    let id = insert_snapshot(&mut tx, &name, description, actor).await?;
    tx.commit().await?;
    Ok(id)
}
