//! Applicants: what a user typed (a kommunenummer, a name, `org:ID`) as the organisation
//! it names. A municipality gets its organisation on first use, audited.

use crate::domain::audit::Actor;
use crate::domain::kommune::{ApplicantText, Register, interpret_applicant, unknown_applicant};
use crate::error::{AppError, AppResult};
use crate::store::organisations::{
    ResolvedApplicant, ensure_municipality_organisation, organisation_by_id, organisation_by_name,
};
use crate::store::{Store, Tx};

/// The applicant `text` names in a round of `year`, inside the caller's transaction.
/// A problem is a field error on `applicant`.
pub async fn resolve_applicant(
    tx: &mut Tx,
    register: &Register,
    text: &str,
    year: i32,
    actor: &Actor,
) -> AppResult<ResolvedApplicant> {
    let invalid = |message: String| AppError::invalid("applicant", message);
    match interpret_applicant(register, text, year).map_err(invalid)? {
        ApplicantText::Organisation(id) => organisation_by_id(tx, id)
            .await?
            .ok_or_else(|| invalid("Søkeren finnes ikke.".into())),
        ApplicantText::Municipality(m) => {
            Ok(ensure_municipality_organisation(tx, &m, actor).await?)
        }
        ApplicantText::Name(name) => organisation_by_name(tx, &name)
            .await?
            .ok_or_else(|| invalid(unknown_applicant(&name, year))),
    }
}

/// The organisation `text` names (`org:ID`, a kommunenummer of the newest division, or a
/// name), for a kommune user's account; a problem is a field error on `organisation`.
pub async fn resolve_organisation(
    store: &Store,
    register: &Register,
    text: &str,
    actor: &Actor,
) -> AppResult<(i64, String)> {
    let year = register.newest_year().unwrap_or(2024);
    let mut tx = store.begin().await?;
    let found = resolve_applicant(&mut tx, register, text, year, actor)
        .await
        .map_err(|err| match err {
            AppError::Invalid(mut errors) => {
                for e in &mut errors.0 {
                    e.field = "organisation".into();
                }
                AppError::Invalid(errors)
            }
            other => other,
        })?;
    tx.commit().await?;
    Ok((found.organisation_id, found.name))
}
