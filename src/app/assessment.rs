//! Impartiality (habilitet): an officer declares, for each application, whether they are
//! impartial. A declared conflict stands until another officer lifts it, with a reason;
//! while it stands it blocks the declarer from assessing, proposing amounts, setting
//! scenario amounts, and proposing, approving or returning the round's decision.

use crate::domain::assessment::{
    AssessmentFields, AssessmentInput, DeclarationFields, StandingConflict, check_declaration,
    check_lift,
};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::user::Principal;
use crate::error::AppResult;
use crate::store::Store;
use crate::store::assessment::{
    application_round_in, declaration_in, write_declaration, write_lift,
};

use super::lock_round;

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
    let round_id = store.application_round(application_id).await?;
    let mut locked = lock_round(store, round_id).await?;
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
    let round_id = store.application_round(application_id).await?;
    let mut locked = lock_round(store, round_id).await?;
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

/// Saves scores, recommendation and comment (the store checks the declaration and the
/// round's phase under the round's lock).
pub async fn save(
    store: &Store,
    application_id: i64,
    input: &AssessmentInput,
    user: &Principal,
) -> AppResult<AssessmentFields> {
    store.save_assessment(application_id, input, user).await
}
