//! Who sees what. Officers and readers see every round and every received application; a
//! kommune user sees the rounds announced to its organisation and only its own
//! applications, drafts included. Amounts are shown to the applicant only once decided:
//! officers' proposals never. Another organisation's case is "not found", never
//! "forbidden", so ids do not leak.

use super::application::{ApplicationStatus, ApplicationSummary};
use super::round::RoundPhase;
use super::user::Principal;

/// Whether `user` sees a round in `phase`. `open_to_organisation` says whether the round is
/// announced to the kommune user's organisation (its county, or named for it).
pub fn sees_round(user: &Principal, phase: RoundPhase, open_to_organisation: bool) -> bool {
    match user.limited_to_organisation() {
        None => true,
        Some(_) => phase.visible_to_applicants() && open_to_organisation,
    }
}

/// Whether `user` sees an application of `organisation_id` in `status`.
pub fn sees_application(user: &Principal, organisation_id: i64, status: ApplicationStatus) -> bool {
    match user.limited_to_organisation() {
        Some(own) => own == organisation_id,
        None => status != ApplicationStatus::Draft,
    }
}

/// Hides what `user` may not see yet: for an applicant, the granted amount before the
/// decision, and every proposal.
pub fn mask(
    user: &Principal,
    phase: RoundPhase,
    mut summary: ApplicationSummary,
) -> ApplicationSummary {
    if user.limited_to_organisation().is_some() {
        summary.proposed = None;
        if !phase.is_decided() {
            summary.allocated = None;
        }
    }
    summary
}

/// Whether `user` sees an upload made for `organisation` by the uploader's side
/// `uploader_organisation` (`None`: an officer). A municipality sees its own; officers see
/// officers' uploads, and a municipality's only once the application it concerns is
/// received (`application_status` not a draft) — before that it is the municipality's
/// own draft.
pub fn sees_upload(
    user: &Principal,
    organisation: Option<i64>,
    uploader_organisation: Option<i64>,
    application_status: Option<ApplicationStatus>,
) -> bool {
    match user.limited_to_organisation() {
        Some(own) => organisation == Some(own),
        None => match uploader_organisation {
            None => true,
            Some(_) => application_status.is_some_and(|s| {
                s != ApplicationStatus::Draft && s != ApplicationStatus::Withdrawn
            }),
        },
    }
}

/// Who may confirm an upload: the uploader's side. An upload made for an organisation by
/// one of its users is confirmed by a user of that organisation; an officer's upload by an
/// officer.
pub fn may_confirm_upload(user: &Principal, uploader_organisation: Option<i64>) -> bool {
    match (uploader_organisation, user.limited_to_organisation()) {
        (Some(theirs), Some(own)) => theirs == own,
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Role;

    fn user(role: Role, org: Option<i64>) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            display_name: "U".into(),
            roles: vec![role],
            organisation_id: org,
            must_change_password: false,
        }
    }

    #[test]
    fn drafts_and_rounds() {
        let kommune = user(Role::Kommune, Some(5));
        let officer = user(Role::Saksbehandler, None);
        assert!(!sees_round(&kommune, RoundPhase::Draft, true));
        assert!(sees_round(&kommune, RoundPhase::Open, true));
        assert!(!sees_round(&kommune, RoundPhase::Open, false));
        assert!(sees_round(&officer, RoundPhase::Draft, false));
        assert!(sees_application(&kommune, 5, ApplicationStatus::Draft));
        assert!(!sees_application(&kommune, 6, ApplicationStatus::Submitted));
        assert!(!sees_application(&officer, 5, ApplicationStatus::Draft));
    }

    #[test]
    fn uploads_are_confirmed_by_their_side() {
        let kommune = user(Role::Kommune, Some(5));
        let officer = user(Role::Saksbehandler, None);
        assert!(may_confirm_upload(&kommune, Some(5)));
        assert!(!may_confirm_upload(&kommune, Some(6)));
        assert!(!may_confirm_upload(&officer, Some(5)));
        assert!(may_confirm_upload(&officer, None));
        assert!(!may_confirm_upload(&kommune, None));
    }
}
