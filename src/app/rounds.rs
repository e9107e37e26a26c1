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
    let allocated = store::rounds::allocated_total(&mut locked.tx, round_id).await?;
    let proposed = store::rounds::proposed_total(&mut locked.tx, round_id).await?;
    check_pool_change(fields.pool, allocated, proposed)
        .map_err(|message| AppError::invalid("pool", message))?;
    let current = current.clone();
    store::rounds::write_settings(&mut locked.tx, &current, fields, actor).await?;
    Ok(locked.tx.commit().await?)
}

/// Moves the locked round to `phase` with its audit event, and commits.
async fn change_phase(
    mut locked: super::Locked,
    phase: RoundPhase,
    actor: &Actor,
    action: &'static str,
    summary: String,
) -> AppResult<()> {
    let (round_id, before) = (locked.round.id, locked.round.phase);
    store::rounds::write_phase(&mut locked.tx, round_id, phase).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(actor, action, summary)
                .round(round_id)
                .change("phase", Some(before.label()), Some(phase.label())),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

/// A phase change an officer asks for on the round page or through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseChange {
    /// Announce a draft.
    Open,
    /// Close for applications before the deadline (needs a reason).
    Close,
    /// Open for applications again (needs a reason).
    Reopen,
}

/// Carries out a phase change; `reason` is ignored for [`PhaseChange::Open`].
pub async fn change(
    store: &Store,
    round_id: i64,
    change: PhaseChange,
    reason: &str,
    actor: &Actor,
) -> AppResult<()> {
    match change {
        PhaseChange::Open => open(store, round_id, actor).await,
        PhaseChange::Close => close(store, round_id, reason, actor).await,
        PhaseChange::Reopen => reopen(store, round_id, reason, actor).await,
    }
}

/// Announces a draft round.
pub async fn open(store: &Store, round_id: i64, actor: &Actor) -> AppResult<()> {
    let locked = lock_round(store, round_id).await?;
    let phase = locked.round.stored_phase.open()?;
    let summary = format!("Runden «{}» ble kunngjort", locked.round.name);
    change_phase(locked, phase, actor, "round.opened", summary).await
}

/// Closes an open round before its deadline; the reason is audited.
pub async fn close(store: &Store, round_id: i64, reason: &str, actor: &Actor) -> AppResult<()> {
    let locked = lock_round(store, round_id).await?;
    let phase = locked.round.phase.close(reason)?;
    let summary = format!(
        "Runden «{}» ble lukket for søknader: {}",
        locked.round.name,
        reason.trim()
    );
    change_phase(locked, phase, actor, "round.closed", summary).await
}

/// Reopens a closed round for applications, before anything is proposed.
pub async fn reopen(store: &Store, round_id: i64, reason: &str, actor: &Actor) -> AppResult<()> {
    let mut locked = lock_round(store, round_id).await?;
    let any_proposal = store::decisions::any_in_round(&mut locked.tx, round_id).await?;
    let round = &locked.round;
    let phase = round.phase.reopen(
        reason,
        any_proposal,
        round.deadline,
        crate::clock::today_oslo(),
    )?;
    let summary = format!(
        "Runden «{}» ble åpnet igjen for søknader: {}",
        round.name,
        reason.trim()
    );
    change_phase(locked, phase, actor, "round.reopened", summary).await
}
