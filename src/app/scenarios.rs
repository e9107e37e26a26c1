//! Scenarios (fordelingsalternativer). Computing is the store's and the engine's; the
//! rule here is impartiality: an officer with a standing conflict of interest for an
//! application sets no manual amount, floor or cap for it.

use crate::domain::assessment::{check_not_conflicted, touched_by_hand};
use crate::domain::audit::Actor;
use crate::domain::scenario::ScenarioSpec;
use crate::error::AppResult;
use crate::store::Store;

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

/// Creates and computes a scenario.
pub async fn create(
    store: &Store,
    round_id: i64,
    spec: &ScenarioSpec,
    actor: &Actor,
) -> AppResult<i64> {
    check_hands_off(store, round_id, spec, actor).await?;
    store.create_scenario(round_id, spec, actor).await
}

/// Computes a scenario again on the round as it is now.
pub async fn recompute(store: &Store, scenario_id: i64, actor: &Actor) -> AppResult<()> {
    let scenario = store.scenario(scenario_id).await?;
    check_hands_off(store, scenario.round_id, &scenario.spec, actor).await?;
    store.recompute_scenario(scenario_id, actor).await
}
