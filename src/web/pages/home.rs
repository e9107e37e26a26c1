//! The front page: what waits for the person logged in. Approvers see the decisions
//! waiting for them first; officers the rounds by phase with what is received, under
//! review and not yet declared impartial; a municipality its applications and what is
//! due next.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Layout, render};
use crate::app::visibility as scope;
use crate::domain::Kroner;
use crate::domain::date::format_date;
use crate::domain::followup::ReportStatus;
use crate::domain::round::{RoundOverview, RoundPhase};
use crate::domain::user::Role;
use crate::error::AppResult;
use crate::store::worklist::{OwnApplication, RoundCounts, WaitingDecision};
use crate::web::AppState;
use crate::web::auth::CurrentUser;

/// A round on the officer's front page.
pub struct RoundLine {
    pub overview: RoundOverview,
    pub counts: RoundCounts,
    pub deadline: Option<String>,
}

/// One of a municipality's applications with what comes next.
pub struct OwnLine {
    pub application: OwnApplication,
    pub status_label: &'static str,
    pub next: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    approver: bool,
    waiting: Vec<WaitingDecision>,
    /// Rounds by phase: (phase label, rounds), phases in lifecycle order.
    phases: Vec<(&'static str, Vec<RoundLine>)>,
    own: Vec<OwnLine>,
    officer_view: bool,
}

impl HomePage {
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&chrono_tz::Europe::Oslo)
            .format("%d.%m.%Y")
            .to_string()
    }
}

/// What a municipality does next with an application.
fn next_for(a: &OwnApplication) -> String {
    let date = |d: Option<chrono::NaiveDate>| d.map(format_date);
    match a.status.as_str() {
        "draft" => match date(a.deadline) {
            Some(d) => format!("Send inn søknaden innen {d}."),
            None => "Send inn søknaden.".into(),
        },
        "submitted" | "in_review" => "Statsforvalteren behandler søknaden.".into(),
        "rejected" if a.letter_issued => "Søknaden ble ikke innvilget; se brevet.".into(),
        "granted" if !a.letter_issued => "Innvilget; brevet kommer.".into(),
        "granted" => match (a.accepted, a.report_status.as_deref()) {
            (None, _) => match date(a.acceptance_deadline) {
                Some(d) => format!("Aksepter tilskuddet innen {d}."),
                None => "Aksepter tilskuddet.".into(),
            },
            (Some(false), _) => "Tilskuddet er avslått av kommunen.".into(),
            (Some(true), None | Some("returned")) => match date(a.report_deadline) {
                Some(d) => format!("Send sluttrapport innen {d}."),
                None => "Send sluttrapport når prosjektet er ferdig.".into(),
            },
            (Some(true), Some("submitted")) => "Sluttrapporten er til behandling.".into(),
            (Some(true), _) => "Sluttrapporten er godkjent.".into(),
        },
        _ => String::new(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
) -> AppResult<Response> {
    let approver = user.has(Role::Godkjenner);
    let waiting = if approver {
        state.store.waiting_decisions().await?
    } else {
        Vec::new()
    };
    let officer_view = user.sees_everything();
    let mut phases = Vec::new();
    if officer_view {
        let counts = state.store.round_counts(user.user_id).await?;
        let rounds = scope::rounds(&state.store, &user).await?;
        for phase in RoundPhase::ALL {
            let lines: Vec<RoundLine> = rounds
                .iter()
                .filter(|o| o.round.phase == phase)
                .map(|o| RoundLine {
                    counts: counts
                        .iter()
                        .find(|c| c.round_id == o.round.id)
                        .cloned()
                        .unwrap_or_default(),
                    deadline: o.round.deadline.map(format_date),
                    overview: o.clone(),
                })
                .collect();
            if !lines.is_empty() {
                phases.push((phase.label(), lines));
            }
        }
    }
    let own = match user.limited_to_organisation() {
        Some(org) => state
            .store
            .own_applications(org)
            .await?
            .into_iter()
            .map(|a| OwnLine {
                status_label: crate::domain::application::ApplicationStatus::parse(&a.status)
                    .map_or("", |s| s.label()),
                next: next_for(&a),
                application: a,
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(render(&HomePage {
        layout: Layout::new(&state, &user, "oversikt"),
        approver,
        waiting,
        phases,
        own,
        officer_view,
    }))
}

impl OwnLine {
    pub fn allocated_text(&self) -> String {
        self.application
            .allocated_ore
            .map(|o| Kroner::from_ore(o).to_string())
            .unwrap_or_else(|| "–".into())
    }

    pub fn in_followup(&self) -> bool {
        self.application.letter_issued
            || self
                .application
                .report_status
                .as_deref()
                .and_then(ReportStatus::parse)
                .is_some()
    }
}
