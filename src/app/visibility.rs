//! What a user may see, loaded and filtered by the rules in `domain::visibility`. Pages,
//! API and exports all go through here, so they agree. Another organisation's case is
//! "not found", never "forbidden", so ids do not leak.

use crate::domain::application::{Application, ApplicationSummary};
use crate::domain::county::county_code;
use crate::domain::round::{Round, RoundOverview};
use crate::domain::user::Principal;
use crate::domain::visibility::{mask, sees_application, sees_round};
use crate::error::{AppError, AppResult};
use crate::store::Store;

use super::applications::Proposed;

async fn round_open_to(
    store: &Store,
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
    Ok(store
        .organisation_round_ids(organisation_id)
        .await?
        .contains(&round.id))
}

/// The rounds the user may see.
pub async fn rounds(store: &Store, user: &Principal) -> AppResult<Vec<RoundOverview>> {
    let all = store.list_rounds().await?;
    let Some(org) = user.limited_to_organisation() else {
        return Ok(all);
    };
    let counties = store.organisation_counties(org).await?;
    let mut visible = Vec::new();
    for overview in all {
        let open_to = round_open_to(store, org, &overview.round, &counties).await?;
        if sees_round(user, overview.round.phase, open_to) {
            visible.push(overview);
        }
    }
    Ok(visible)
}

/// One round, or "not found" if the user may not see it.
pub async fn round(store: &Store, user: &Principal, round_id: i64) -> AppResult<RoundOverview> {
    let overview = store.round_overview(round_id).await?;
    if let Some(org) = user.limited_to_organisation() {
        let counties = store.organisation_counties(org).await?;
        let open_to = round_open_to(store, org, &overview.round, &counties).await?;
        if !sees_round(user, overview.round.phase, open_to) {
            return Err(AppError::not_found("runden"));
        }
    }
    Ok(overview)
}

/// The applications of a round the user may see: a kommune its own (drafts too);
/// officers everything but other people's drafts.
pub async fn round_applications(
    store: &Store,
    user: &Principal,
    round: &Round,
) -> AppResult<Vec<ApplicationSummary>> {
    let all = store.round_applications(round.id).await?;
    Ok(all
        .into_iter()
        .filter(|a| sees_application(user, a.organisation_id, a.status))
        .map(|a| mask(user, round.phase, a))
        .collect())
}

/// One application, or "not found" if the user may not see it.
pub async fn application(
    store: &Store,
    user: &Principal,
    application_id: i64,
) -> AppResult<(Application, Round)> {
    let application = store.application(application_id).await?;
    if !sees_application(
        user,
        application.summary.organisation_id,
        application.summary.status,
    ) {
        return Err(AppError::not_found("søknaden"));
    }
    let round = store.round(application.summary.round_id).await?;
    Ok((shown(user, &round, application), round))
}

/// The application as `user` sees it in `round`.
fn shown(user: &Principal, round: &Round, mut application: Application) -> Application {
    application.summary = mask(user, round.phase, application.summary);
    if application.summary.allocated.is_none() && application.summary.proposed.is_none() {
        application.allocation_reason = None;
    }
    application
}

/// The application `user` saw (from [`application`]) with a proposal since made in it,
/// without reading it again; `None` when it had changed between that reading and the
/// proposal, so it must be read again.
pub fn after_proposal(
    user: &Principal,
    seen: Application,
    proposed: Proposed,
) -> Option<(Application, Round)> {
    if seen.summary.version != proposed.version_before {
        return None;
    }
    let application = Application {
        summary: proposed.summary,
        allocation_reason: proposed.allocation_reason,
        ..seen
    };
    Some((shown(user, &proposed.round, application), proposed.round))
}
