//! Rounds: create, change settings, and move through the phases (open, close, reopen).
//! Proposing and approving decisions are in [`super::decisions`].

use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::round::{RoundFields, RoundPhase, check_pool_change};
use crate::error::{AppError, AppResult};
use crate::store::{self, RoundOrigin, Store};

use super::lock_round;

/// Creates a round, as an announced (open) round or as a draft not yet visible to
/// municipalities.
pub async fn create(
    store: &Store,
    fields: &RoundFields,
    phase: RoundPhase,
    actor: &Actor,
) -> AppResult<i64> {
    if !matches!(phase, RoundPhase::Draft | RoundPhase::Open) {
        return Err(AppError::invalid(
            "phase",
            "En ny runde er enten et utkast (draft) eller åpen (open).",
        ));
    }
    store
        .create_round(
            fields,
            RoundOrigin {
                phase,
                ..RoundOrigin::NEW
            },
            actor,
        )
        .await
        .map_err(Into::into)
}

/// Saves a round's settings if nobody changed it since `version`. The pool may not drop
/// below what is granted or proposed.
pub async fn update(
    store: &Store,
    round_id: i64,
    fields: &RoundFields,
    version: i64,
    actor: &Actor,
) -> AppResult<()> {
    let mut locked = lock_round(store, round_id).await?;
    let current = &locked.round;
    current.check_version(version)?;
    current.phase.check_allows_settings(&current.name)?;
    let allocated = store::rounds::allocated_total(&mut locked.tx, round_id, None).await?;
    let proposed = store::rounds::proposed_total(&mut locked.tx, round_id, None).await?;
    check_pool_change(fields.pool, allocated, proposed)
        .map_err(|message| AppError::invalid("pool", message))?;
    let current = current.clone();
    store::rounds::write_settings(&mut locked.tx, &current, fields, actor).await?;
    Ok(locked.tx.commit().await?)
}

/// Announces a draft round.
pub async fn open(store: &Store, round_id: i64, actor: &Actor) -> AppResult<()> {
    let mut locked = lock_round(store, round_id).await?;
    let phase = locked.round.stored_phase.open()?;
    let name = locked.round.name.clone();
    store::rounds::write_phase(&mut locked.tx, round_id, phase).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                actor,
                "round.opened",
                format!("Runden «{name}» ble kunngjort"),
            )
            .round(round_id)
            .change(
                "phase",
                Some(RoundPhase::Draft.label()),
                Some(phase.label()),
            ),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

/// Closes an open round before its deadline; the reason is audited.
pub async fn close(store: &Store, round_id: i64, reason: &str, actor: &Actor) -> AppResult<()> {
    let mut locked = lock_round(store, round_id).await?;
    let before = locked.round.phase;
    let phase = before.close(reason)?;
    let name = locked.round.name.clone();
    store::rounds::write_phase(&mut locked.tx, round_id, phase).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                actor,
                "round.closed",
                format!("Runden «{name}» ble lukket for søknader: {}", reason.trim()),
            )
            .round(round_id)
            .change("phase", Some(before.label()), Some(phase.label())),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

/// Reopens a closed round for applications, before anything is proposed.
pub async fn reopen(store: &Store, round_id: i64, reason: &str, actor: &Actor) -> AppResult<()> {
    let mut locked = lock_round(store, round_id).await?;
    let any_proposal = store::decisions::any_in_round(&mut locked.tx, round_id).await?;
    let round = locked.round.clone();
    let phase = round.phase.reopen(
        reason,
        any_proposal,
        round.deadline,
        crate::clock::today_oslo(),
    )?;
    store::rounds::write_phase(&mut locked.tx, round_id, phase).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                actor,
                "round.reopened",
                format!(
                    "Runden «{}» ble åpnet igjen for søknader: {}",
                    round.name,
                    reason.trim()
                ),
            )
            .round(round_id)
            .change("phase", Some(round.phase.label()), Some(phase.label())),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}
