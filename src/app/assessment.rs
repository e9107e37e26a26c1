//! Impartiality (habilitet): an officer declares, for each application, whether they are
//! impartial. A declared conflict stands until another officer lifts it, with a reason;
//! while it stands it blocks the declarer from assessing, proposing amounts, setting
//! scenario amounts, and proposing, approving or returning the round's decision.

use crate::domain::assessment::{
    AssessmentFields, AssessmentInput, CriterionFields, DeclarationFields, StandingConflict,
    check_criterion_deletable, check_criterion_name_free, check_declaration, check_lift,
    check_may_assess,
};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::user::Principal;
use crate::error::AppResult;
use crate::store::assessment::{
    application_round_in, criteria_in, criterion_name_taken, criterion_scores_in, declaration_in,
    insert_criterion, write_assessment, write_criterion, write_declaration, write_lift,
};
use crate::store::{self, Store};

use super::{lock_application_round, lock_round};

fn state(conflict: bool) -> &'static str {
    if conflict { "inhabil" } else { "habil" }
}

/// Records the user's declaration for one application.
pub async fn declare(
    store: &Store,
    application_id: i64,
    user: &Principal,
    fields: &DeclarationFields,
) -> AppResult<()> {
    let actor = Actor::from(user);
    let mut locked = lock_application_round(store, application_id).await?;
    let round_id = locked.round.id;
    let (_, applicant) = application_round_in(&mut locked.tx, application_id).await?;
    // Declarations are taken in every phase: a godkjenner declares when the proposal
    // comes for review.
    let before = declaration_in(&mut locked.tx, application_id, user.user_id).await?;
    let standing = before
        .as_ref()
        .filter(|d| d.conflict)
        .map(|_| StandingConflict {
            application_id,
            applicant: applicant.clone(),
            declared_by: user.user_id,
        });
    check_declaration(standing.as_ref(), fields)?;
    write_declaration(&mut locked.tx, application_id, user, fields).await?;
    let summary = match &fields.reason {
        Some(reason) if fields.conflict => format!(
            "{} erklærte seg inhabil for søknaden fra {applicant}: {reason}",
            user.display_name
        ),
        _ => format!(
            "{} erklærte seg {} for søknaden fra {applicant}",
            user.display_name,
            state(fields.conflict)
        ),
    };
    locked
        .tx
        .audit(
            NewAuditEvent::new(&actor, "assessment.impartiality_declared", summary)
                .round(round_id)
                .application(application_id)
                .change(
                    "impartiality",
                    before.map(|d| state(d.conflict)),
                    Some(state(fields.conflict)),
                ),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

/// Lifts `declarer_user_id`'s declared conflict for an application: by another officer,
/// with a reason.
pub async fn lift_conflict(
    store: &Store,
    application_id: i64,
    declarer_user_id: i64,
    reason: &str,
    actor: &Actor,
) -> AppResult<()> {
    let lifter = actor.user_id.unwrap_or_default();
    let mut locked = lock_application_round(store, application_id).await?;
    let round_id = locked.round.id;
    let (_, applicant) = application_round_in(&mut locked.tx, application_id).await?;
    let declaration = declaration_in(&mut locked.tx, application_id, declarer_user_id).await?;
    let standing = declaration
        .as_ref()
        .filter(|d| d.conflict)
        .map(|_| StandingConflict {
            application_id,
            applicant: applicant.clone(),
            declared_by: declarer_user_id,
        });
    check_lift(standing.as_ref(), lifter, reason)?;
    let declarer = declaration.map(|d| d.user_name).unwrap_or_default();
    write_lift(
        &mut locked.tx,
        application_id,
        declarer_user_id,
        actor,
        reason.trim(),
    )
    .await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                actor,
                "assessment.conflict_lifted",
                format!(
                    "{} opphevet inhabiliteten til {declarer} for søknaden fra {applicant}: {}",
                    actor.name,
                    reason.trim()
                ),
            )
            .round(round_id)
            .application(application_id)
            .change("impartiality", Some("inhabil"), Some("habil (opphevet)")),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

/// Saves scores, recommendation and comment for one application: only by an officer who
/// has declared impartiality for it, while the round allows assessment.
pub async fn save(
    store: &Store,
    application_id: i64,
    input: &AssessmentInput,
    user: &Principal,
) -> AppResult<AssessmentFields> {
    let mut locked = lock_application_round(store, application_id).await?;
    let round_id = locked.round.id;
    let (_, applicant) = application_round_in(&mut locked.tx, application_id).await?;
    locked
        .round
        .phase
        .check_allows_assessment(&locked.round.name)?;
    let criteria = criteria_in(&mut locked.tx, round_id).await?;
    let fields = input.validate(&criteria)?;
    let declared = declaration_in(&mut locked.tx, application_id, user.user_id)
        .await?
        .map(|d| d.conflict);
    check_may_assess(&applicant, declared)?;
    write_assessment(
        &mut locked.tx,
        (round_id, application_id, &applicant),
        &criteria,
        &fields,
        user,
    )
    .await?;
    locked.tx.commit().await?;
    Ok(fields)
}

/// Adds a criterion at the end of the round's list.
pub async fn add_criterion(
    store: &Store,
    round_id: i64,
    fields: &CriterionFields,
    actor: &Actor,
) -> AppResult<i64> {
    let mut locked = lock_round(store, round_id).await?;
    let round = locked.round.clone();
    round.phase.check_allows_assessment(&round.name)?;
    let taken = criterion_name_taken(&mut locked.tx, round_id, &fields.name, None).await?;
    check_criterion_name_free(&fields.name, taken)?;
    let id = insert_criterion(&mut locked.tx, &round, fields, actor).await?;
    locked.tx.commit().await?;
    Ok(id)
}

/// Renames a criterion or changes its weight.
pub async fn update_criterion(
    store: &Store,
    id: i64,
    fields: &CriterionFields,
    actor: &Actor,
) -> AppResult<()> {
    let (round_id, old) = store.criterion(id).await?;
    let mut locked = lock_round(store, round_id).await?;
    let round = locked.round.clone();
    round.phase.check_allows_assessment(&round.name)?;
    let taken = criterion_name_taken(&mut locked.tx, round_id, &fields.name, Some(id)).await?;
    check_criterion_name_free(&fields.name, taken)?;
    write_criterion(&mut locked.tx, &round, id, &old, fields, actor).await?;
    Ok(locked.tx.commit().await?)
}

/// Deletes a criterion nobody has scored on yet.
pub async fn delete_criterion(store: &Store, id: i64, actor: &Actor) -> AppResult<()> {
    let (round_id, old) = store.criterion(id).await?;
    let mut locked = lock_round(store, round_id).await?;
    let round = locked.round.clone();
    round.phase.check_allows_assessment(&round.name)?;
    let scored = criterion_scores_in(&mut locked.tx, id).await?;
    check_criterion_deletable(&old.name, scored)?;
    store::assessment::delete_criterion(&mut locked.tx, &round, id, &old, actor).await?;
    Ok(locked.tx.commit().await?)
}
