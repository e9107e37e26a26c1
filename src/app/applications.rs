//! Applications: registered by an officer or started by the applicant, changed and
//! submitted by the applicant, withdrawn, and given a proposed amount by an officer.

use super::organisations::resolve_applicant;
use crate::domain::Refusal;
use crate::domain::application::{
    AllocationInput, ApplicationFields, ApplicationStatus, ApplicationSummary,
    check_no_other_application, check_version,
};
use crate::domain::assessment::{StandingConflict, check_not_conflicted};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::kommune::Register;
use crate::domain::notice;
use crate::domain::round::{Round, check_within_pool};
use crate::domain::user::Principal;
use crate::error::AppResult;
use crate::store::applications::{
    AmountKind, application_in, insert_application, organisation_application_in, proposal_in,
    write_amount, write_content, write_status,
};
use crate::store::uploads::insert_version;
use crate::store::{self, NewApplication, Store, Tx};

use super::{lock_application_round, lock_round};

/// How an application made by `user` starts: a kommune user's is a draft until
/// submitted; an officer registers one as received.
pub fn how_for(user: &Principal) -> NewApplication {
    if user.limited_to_organisation().is_some() {
        NewApplication::DRAFT
    } else {
        NewApplication::REGISTERED
    }
}

/// The applicant an application by `user` is for: a kommune user's own organisation, or
/// what the officer typed.
pub fn applicant_for(user: &Principal, typed: &str) -> String {
    match user.limited_to_organisation() {
        Some(org) => format!("org:{org}"),
        None => typed.to_string(),
    }
}

/// See [`Round::check_takes_application`].
pub fn check_round_takes(round: &Round, by_applicant: bool) -> Result<(), Refusal> {
    round.check_takes_application(by_applicant)
}

/// Inserts an application within a locked round after checking that the round takes it
/// and that the applicant has none yet. Shared by the form, the API and upload confirm.
pub(super) async fn insert_checked(
    tx: &mut Tx,
    round: &Round,
    register: &Register,
    fields: &ApplicationFields,
    how: NewApplication,
    by_applicant: bool,
    actor: &Actor,
) -> AppResult<i64> {
    check_round_takes(round, by_applicant)?;
    let applicant = resolve_applicant(tx, register, &fields.applicant, round.year, actor).await?;
    let existing = organisation_application_in(tx, round.id, applicant.organisation_id).await?;
    check_no_other_application(existing.as_ref())?;
    Ok(insert_application(tx, round.id, &applicant, fields, how, actor).await?)
}

/// A new application in a round.
pub async fn create(
    store: &Store,
    register: &Register,
    user: &Principal,
    round_id: i64,
    fields: &ApplicationFields,
) -> AppResult<i64> {
    let actor = Actor::from(user);
    let mut locked = lock_round(store, round_id).await?;
    let by_applicant = user.limited_to_organisation().is_some();
    let id = insert_checked(
        &mut locked.tx,
        &locked.round,
        register,
        fields,
        how_for(user),
        by_applicant,
        &actor,
    )
    .await?;
    locked.tx.commit().await?;
    Ok(id)
}

/// The applicant changes its draft.
pub async fn update(
    store: &Store,
    application_id: i64,
    fields: &ApplicationFields,
    version: i64,
    actor: &Actor,
) -> AppResult<()> {
    let mut locked = lock_application_round(store, application_id).await?;
    let round_id = locked.round.id;
    let current = application_in(&mut locked.tx, application_id).await?;
    check_version(&current.applicant, version, current.version)?;
    current.status.edit_by_applicant()?;
    check_round_takes(&locked.round, true)?;
    write_content(&mut locked.tx, application_id, fields).await?;
    insert_version(&mut locked.tx, application_id, None, actor).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                actor,
                "application.updated",
                format!("Endret søknaden fra {}", current.applicant),
            )
            .round(round_id)
            .application(application_id)
            .change(
                "requested",
                current.requested.map(|r| r.to_string()),
                Some(fields.requested.to_string()),
            ),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

/// What an applicant does with its application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Sends the draft to Statsforvalteren, before the deadline.
    Submit,
    /// Withdraws the application while the round takes applications.
    Withdraw,
}

/// The applicant submits or withdraws its application, seen at `version`.
pub async fn change_status(
    store: &Store,
    application_id: i64,
    version: i64,
    how: Move,
    actor: &Actor,
) -> AppResult<()> {
    let mut locked = lock_application_round(store, application_id).await?;
    let round_id = locked.round.id;
    let current = application_in(&mut locked.tx, application_id).await?;
    check_version(&current.applicant, version, current.version)?;
    let (status, action, summary) = match how {
        Move::Submit => (
            current.status.submit(current.requested)?,
            "application.submitted",
            format!("{} sendte inn søknaden", current.applicant),
        ),
        Move::Withdraw => (
            current.status.withdraw()?,
            "application.withdrawn",
            format!("{} trakk søknaden", current.applicant),
        ),
    };
    check_round_takes(&locked.round, true)?;
    write_status(&mut locked.tx, application_id, status).await?;
    if how == Move::Submit
        && let Some(to) =
            store::applications::contact_email_in(&mut locked.tx, application_id).await?
    {
        let notice = notice::received(&locked.round.name, &current.applicant, application_id);
        store::outbox::enqueue(
            &mut locked.tx,
            &store::outbox::NewMail {
                kind: notice.kind,
                round_id: Some(round_id),
                application_id: Some(application_id),
                recipient: &to,
                subject: &notice.subject,
                body: &notice.body,
                letter_application_id: None,
                dedupe_key: None,
            },
        )
        .await?;
    }
    locked
        .tx
        .audit(
            NewAuditEvent::new(actor, action, summary)
                .round(round_id)
                .application(application_id)
                .change("status", Some(current.status.label()), Some(status.label())),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

/// The officer's standing conflicts among `application_ids` of the round (all of the
/// round's when `None`), read under the lock.
pub(super) async fn standing_conflicts(
    tx: &mut Tx,
    round_id: i64,
    user_id: Option<i64>,
    application_ids: Option<&std::collections::BTreeSet<i64>>,
) -> AppResult<Vec<StandingConflict>> {
    let Some(user_id) = user_id else {
        return Ok(Vec::new());
    };
    Ok(store::assessment::conflicts_in_round(tx, round_id, user_id)
        .await?
        .into_iter()
        .filter(|c| application_ids.is_none_or(|ids| ids.contains(&c.application_id)))
        .map(|c| StandingConflict {
            application_id: c.application_id,
            applicant: c.applicant_name,
            declared_by: user_id,
        })
        .collect())
}

/// An application as a proposal left it, and its round as it was under the lock.
pub struct Proposed {
    /// The application's version the proposal was made against.
    pub version_before: i64,
    pub summary: ApplicationSummary,
    pub allocation_reason: Option<String>,
    pub round: Round,
}

/// An officer proposes an amount for one application (before a decision). The sum of
/// proposals stays within the pool.
pub async fn propose_amount(
    store: &Store,
    application_id: i64,
    input: &AllocationInput,
    actor: &Actor,
) -> AppResult<Proposed> {
    let mut locked = lock_application_round(store, application_id).await?;
    let round_id = locked.round.id;
    let state = proposal_in(&mut locked.tx, application_id, actor.user_id).await?;
    let current = state.application;
    let fields = input.validate(current.requested)?;
    check_version(&current.applicant, fields.version, current.version)?;
    locked
        .round
        .phase
        .check_allows_proposals(&locked.round.name)?;
    let conflicts = match actor.user_id {
        Some(user_id) if state.conflict_declared => vec![StandingConflict {
            application_id,
            applicant: current.applicant.clone(),
            declared_by: user_id,
        }],
        _ => Vec::new(),
    };
    check_not_conflicted(&conflicts, "foreslå beløp for den")?;
    let status = current.status.propose_amount()?;
    check_within_pool(
        locked.round.pool,
        state.proposed_elsewhere,
        fields.amount,
        "Forslaget",
    )?;
    write_amount(
        &mut locked.tx,
        application_id,
        AmountKind::Proposed,
        fields.amount,
        fields.reason.as_deref(),
        status,
    )
    .await?;
    let summary = match &fields.reason {
        Some(reason) => format!(
            "Foreslått beløp til {} satt til {} (begrunnelse: {reason})",
            current.applicant, fields.amount
        ),
        None => format!(
            "Foreslått beløp til {} satt til {}",
            current.applicant, fields.amount
        ),
    };
    locked
        .tx
        .audit(
            NewAuditEvent::new(actor, "application.proposal_set", summary)
                .round(round_id)
                .application(application_id)
                .change(
                    "proposed",
                    current.proposed.map(|a| a.to_string()),
                    Some(fields.amount.to_string()),
                ),
        )
        .await?;
    if status != current.status {
        audit_status(
            &mut locked.tx,
            actor,
            round_id,
            application_id,
            &current.applicant,
            current.status,
            status,
        )
        .await?;
    }
    locked.tx.commit().await?;
    // What `write_amount` wrote.
    let summary = ApplicationSummary {
        proposed: Some(fields.amount),
        status,
        version: current.version + 1,
        ..current
    };
    Ok(Proposed {
        version_before: summary.version - 1,
        summary,
        allocation_reason: fields.reason,
        round: locked.round,
    })
}

/// The audit event of an application's status change.
pub(super) async fn audit_status(
    tx: &mut Tx,
    actor: &Actor,
    round_id: i64,
    application_id: i64,
    applicant: &str,
    before: ApplicationStatus,
    after: ApplicationStatus,
) -> AppResult<()> {
    tx.audit(
        NewAuditEvent::new(
            actor,
            "application.status_changed",
            format!("Status for {applicant} endret til {}", after.label()),
        )
        .round(round_id)
        .application(application_id)
        .change("status", Some(before.label()), Some(after.label())),
    )
    .await
    .map_err(Into::into)
}
