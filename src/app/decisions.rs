//! Decisions with four eyes: a saksbehandler proposes a scenario when the round is
//! closed; another person (godkjenner) approves it or sends it back. Every check is made
//! again under the round's lock: the round's phase, the scenario's currency, the pool as
//! it is now, and conflicts of interest.

use crate::domain::Refusal;
use crate::domain::application::ApplicationStatus;
use crate::domain::assessment::check_not_conflicted;
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::decision::{
    DecisionStatus, FrozenDecision, FrozenSnapshot, check_fits_pool, check_missing_figures_reason,
    check_reason, check_return_comment, check_reviewer, lacking_figures,
};
use crate::error::{AppError, AppResult};
use crate::store::decisions::{
    approved_in_round, decision_in, decision_status_in, insert_proposal, pending_in_round,
    supersede, write_review,
};
use crate::store::{self, Store, frozen_applicants};

use super::applications::standing_conflicts;
use super::{Locked, audit_refusal, lock_round};

fn user_of(actor: &Actor) -> AppResult<i64> {
    actor
        .user_id
        .ok_or_else(|| AppError::Forbidden("Vedtak krever en innlogget person.".into()))
}

/// Refuses (and records the refusal) when the officer has a standing conflict of interest
/// for any application of the round. Hands the locked transaction back when not refused;
/// when refused it is rolled back first, so that the refusal's own audit transaction does
/// not wait for the round's lock.
async fn refuse_if_conflicted(
    store: &Store,
    mut locked: Locked,
    actor: &Actor,
    what: &str,
) -> AppResult<Locked> {
    let round_id = locked.round.id;
    let conflicts = standing_conflicts(&mut locked.tx, round_id, actor.user_id, None).await?;
    if let Err(refusal) = check_not_conflicted(&conflicts, what) {
        locked.tx.rollback().await?;
        audit_refusal(
            store,
            actor,
            "decision.refused_conflict",
            round_id,
            &refusal.to_string(),
        )
        .await?;
        return Err(refusal.into());
    }
    Ok(locked)
}

/// Proposes a scenario as the round's decision (or, in a decided round, as an amendment,
/// which needs a reason).
pub async fn propose(
    store: &Store,
    scenario_id: i64,
    reason: Option<&str>,
    actor: &Actor,
) -> AppResult<i64> {
    let user_id = user_of(actor)?;
    let scenario = store.scenario(scenario_id).await?;
    let round_id = scenario.round_id;
    if !scenario.result.is_valid() {
        return Err(AppError::invalid(
            "scenario",
            format!(
                "«{}» har beløp som ikke kan brukes (se merknadene i alternativet). Rett dem og beregn på nytt før du foreslår det.",
                scenario.spec.name
            ),
        ));
    }
    // The scenario is compared with the round outside the lock (it reads much); the
    // round's write counter shows whether anyone changed the round before the lock.
    let seen = store.round_writes(round_id).await?;
    if !super::scenarios::is_current(store, &scenario).await? {
        return Err(Refusal::ScenarioStale {
            name: scenario.spec.name.clone(),
        }
        .into());
    }
    let applications = store.round_applications(round_id).await?;
    let snapshot = match scenario.spec.snapshot_id {
        Some(id) => {
            let s = store.snapshot(id).await?;
            Some(FrozenSnapshot {
                id,
                name: s.name,
                year: scenario.spec.indicator_year,
            })
        }
        None => None,
    };

    let locked = lock_round(store, round_id).await?;
    let mut locked =
        refuse_if_conflicted(store, locked, actor, "foreslå vedtak i denne runden").await?;
    let round = locked.round.clone();
    let phase = round.phase.propose(&round.name, round.deadline)?;
    locked.ensure_unchanged_since(seen)?;
    if pending_in_round(&mut locked.tx, round_id).await?.is_some() {
        return Err(Refusal::ProposalPending.into());
    }
    let in_force = approved_in_round(&mut locked.tx, round_id).await?;
    // A decided round (also one decided before this tool, like 2019) changes only by an
    // amendment, which needs a reason.
    let amendment = in_force.is_some() || round.phase.is_decided();
    check_reason(amendment, reason).map_err(|m| AppError::invalid("reason", m))?;
    let applicants = frozen_applicants(&applications);
    check_missing_figures_reason(&lacking_figures(&scenario.input, &applicants), reason)
        .map_err(|m| AppError::invalid("reason", m))?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let frozen = FrozenDecision {
        scenario_id,
        scenario_version: scenario.version,
        spec: scenario.spec.clone(),
        pool: round.pool,
        rounding_unit: scenario.rounding_unit,
        snapshot,
        applicants,
        input: scenario.input.clone(),
        result: scenario.result.clone(),
        computed_at: scenario.computed_at,
    };
    let id = insert_proposal(
        &mut locked.tx,
        round_id,
        in_force,
        reason,
        (user_id, actor),
        &frozen,
    )
    .await?;
    if phase != round.stored_phase {
        store::rounds::write_phase(&mut locked.tx, round_id, phase).await?;
    }
    let kind = if amendment {
        "endringsvedtak"
    } else {
        "vedtak"
    };
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                actor,
                "decision.proposed",
                format!(
                    "«{}» foreslått som {kind} ({} fordelt){}",
                    scenario.spec.name,
                    scenario.result.allocated,
                    reason
                        .map(|r| format!(", begrunnelse: {r}"))
                        .unwrap_or_default()
                ),
            )
            .round(round_id)
            .change("phase", Some(round.phase.label()), Some(phase.label())),
        )
        .await?;
    locked.tx.commit().await?;
    Ok(id)
}

/// Approves a proposal: its amounts become the applications' grants, the round is
/// decided, and an earlier decision in force is superseded.
pub async fn approve(
    store: &Store,
    decision_id: i64,
    comment: Option<&str>,
    actor: &Actor,
) -> AppResult<()> {
    let user_id = user_of(actor)?;
    let decision = store.decision(decision_id).await?;
    let round_id = decision.round_id;
    check_reviewer(decision.proposed_by_user_id, user_id)?;
    // The proposal must still describe the round: same applications, same figures, same
    // pool. Computed outside the lock; the write counter catches a change in between.
    let seen = store.round_writes(round_id).await?;
    let round = store.round(round_id).await?;
    let now_input = super::scenarios::input(store, &round, &decision.frozen.spec).await;
    if !matches!(&now_input, Ok(input) if *input == decision.frozen.input) {
        return Err(Refusal::ScenarioStale {
            name: decision.frozen.spec.name.clone(),
        }
        .into());
    }
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());

    let mut locked = lock_round(store, round_id).await?;
    decision_status_in(&mut locked.tx, decision_id)
        .await?
        .check_pending()?;
    let mut locked =
        refuse_if_conflicted(store, locked, actor, "godkjenne vedtak i denne runden").await?;
    let round = locked.round.clone();
    locked.ensure_unchanged_since(seen)?;
    let phase = round.phase.approve()?;
    let decision = decision_in(&mut locked.tx, decision_id).await?;
    check_fits_pool(decision.allocated(), round.pool)?;
    if let Some(old) = approved_in_round(&mut locked.tx, round_id).await? {
        supersede(&mut locked.tx, old).await?;
    }
    write_review(
        &mut locked.tx,
        decision_id,
        DecisionStatus::Approved,
        actor,
        comment,
    )
    .await?;
    let applicants = &decision.frozen.applicants;
    for claim in &decision.frozen.result.claims {
        let name = applicants
            .iter()
            .find(|a| a.application_id == claim.id)
            .map_or("søkeren", |a| a.applicant.as_str());
        let before = store::applications::application_in(&mut locked.tx, claim.id).await?;
        let status = ApplicationStatus::decide(claim.amount);
        store::applications::write_amount(
            &mut locked.tx,
            claim.id,
            store::applications::AmountKind::Granted,
            claim.amount,
            Some(&format!("Vedtak {decision_id}: {}", claim.explanation)),
            status,
        )
        .await?;
        if before.allocated != Some(claim.amount) {
            locked
                .tx
                .audit(
                    NewAuditEvent::new(
                        actor,
                        "application.allocation_set",
                        format!(
                            "Tildeling til {name} satt til {} ved vedtak {decision_id}",
                            claim.amount
                        ),
                    )
                    .round(round_id)
                    .application(claim.id)
                    .change(
                        "allocated",
                        before.allocated.map(|a| a.to_string()),
                        Some(claim.amount.to_string()),
                    ),
                )
                .await?;
        }
        if before.status != status {
            super::applications::audit_status(
                &mut locked.tx,
                actor,
                round_id,
                claim.id,
                name,
                before.status,
                status,
            )
            .await?;
        }
    }
    store::rounds::write_phase(&mut locked.tx, round_id, phase).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                actor,
                "decision.approved",
                format!(
                    "Vedtak {decision_id} godkjent: {} fordelt etter «{}», foreslått av {}{}",
                    decision.allocated(),
                    decision.frozen.spec.name,
                    decision.proposed_by,
                    comment
                        .map(|c| format!(" (kommentar: {c})"))
                        .unwrap_or_default()
                ),
            )
            .round(round_id)
            .change("phase", Some(round.phase.label()), Some(phase.label())),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

/// Sends a proposal back to the saksbehandler with a comment; the round is closed again
/// (or stays decided, for an amendment).
pub async fn return_decision(
    store: &Store,
    decision_id: i64,
    comment: &str,
    actor: &Actor,
) -> AppResult<()> {
    let user_id = user_of(actor)?;
    let comment = check_return_comment(comment)?;
    let decision = store.decision(decision_id).await?;
    check_reviewer(decision.proposed_by_user_id, user_id)?;
    let round_id = decision.round_id;
    let mut locked = lock_round(store, round_id).await?;
    decision_status_in(&mut locked.tx, decision_id)
        .await?
        .check_pending()?;
    let mut locked =
        refuse_if_conflicted(store, locked, actor, "sende vedtak tilbake i denne runden").await?;
    let before = locked.round.phase;
    let phase = before.return_proposal()?;
    write_review(
        &mut locked.tx,
        decision_id,
        DecisionStatus::Returned,
        actor,
        Some(comment),
    )
    .await?;
    if phase != locked.round.stored_phase {
        store::rounds::write_phase(&mut locked.tx, round_id, phase).await?;
    }
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                actor,
                "decision.returned",
                format!(
                    "Forslag til vedtak {decision_id} («{}») sendt tilbake til {}: {comment}",
                    decision.frozen.spec.name, decision.proposed_by
                ),
            )
            .round(round_id)
            .change("phase", Some(before.label()), Some(phase.label())),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}
