//! What a user may see: officers and readers see every round and application; a kommune
//! user sees the rounds open to its organisation and only its own applications, and its
//! allocated amount only once the round is decided. Pages and API both go through here,
//! so they agree. Another organisation's application is "not found", never "forbidden",
//! so ids do not leak.

use super::AppState;
use crate::domain::application::{Application, ApplicationStatus, ApplicationSummary};
use crate::domain::county::county_code;
use crate::domain::round::{Round, RoundOverview, RoundStatus};
use crate::domain::user::Principal;
use crate::error::{AppError, AppResult};

async fn round_open_to(
    state: &AppState,
    organisation_id: i64,
    round: &Round,
    counties: &[String],
) -> AppResult<bool> {
    let by_region = match &round.region {
        None => true,
        Some(region) => {
            county_code(round.year, region).is_some_and(|code| counties.iter().any(|c| c == code))
        }
    };
    if by_region {
        return Ok(true);
    }
    Ok(state
        .store
        .organisation_round_ids(organisation_id)
        .await?
        .contains(&round.id))
}

/// The rounds the user may see.
pub async fn rounds(state: &AppState, user: &Principal) -> AppResult<Vec<RoundOverview>> {
    let all = state.store.list_rounds().await?;
    let Some(org) = user.limited_to_organisation() else {
        return Ok(all);
    };
    let counties = state.store.organisation_counties(org).await?;
    let mut visible = Vec::new();
    for overview in all {
        if round_open_to(state, org, &overview.round, &counties).await? {
            visible.push(overview);
        }
    }
    Ok(visible)
}

/// One round, or "not found" if the user may not see it.
pub async fn round(state: &AppState, user: &Principal, round_id: i64) -> AppResult<RoundOverview> {
    let overview = state.store.round_overview(round_id).await?;
    if let Some(org) = user.limited_to_organisation() {
        let counties = state.store.organisation_counties(org).await?;
        if !round_open_to(state, org, &overview.round, &counties).await? {
            return Err(AppError::not_found("runden"));
        }
    }
    Ok(overview)
}

/// Hides what a kommune user may not see yet: the allocated amount before the decision.
fn mask(user: &Principal, round: &Round, mut summary: ApplicationSummary) -> ApplicationSummary {
    if user.limited_to_organisation().is_some() && round.status != RoundStatus::Decided {
        summary.allocated = None;
    }
    summary
}

/// The applications of a round the user may see: a kommune its own (drafts too);
/// officers everything but other people's drafts.
pub async fn round_applications(
    state: &AppState,
    user: &Principal,
    round: &Round,
) -> AppResult<Vec<ApplicationSummary>> {
    let all = state.store.round_applications(round.id).await?;
    Ok(all
        .into_iter()
        .filter(|a| match user.limited_to_organisation() {
            Some(org) => a.organisation_id == org,
            None => a.status != ApplicationStatus::Draft,
        })
        .map(|a| mask(user, round, a))
        .collect())
}

/// One application, or "not found" if the user may not see it.
pub async fn application(
    state: &AppState,
    user: &Principal,
    application_id: i64,
) -> AppResult<(Application, Round)> {
    let mut application = state.store.application(application_id).await?;
    let visible = match user.limited_to_organisation() {
        Some(org) => application.summary.organisation_id == org,
        None => application.summary.status != ApplicationStatus::Draft,
    };
    if !visible {
        return Err(AppError::not_found("søknaden"));
    }
    let round = state.store.round(application.summary.round_id).await?;
    application.summary = mask(user, &round, application.summary);
    if application.summary.allocated.is_none() {
        application.allocation_reason = None;
    }
    Ok((application, round))
}
