//! A round's allocation to download: the workbook (`Tildeling`, `Vedtak`, `Budsjett`,
//! `Kilder`) and the Tildeling table as CSV. Office roles only: the workbook names who
//! proposed and approved, and amounts before the decision are the office's working
//! figures; a kommune user sees its own case on the round page.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;

use crate::app::visibility as scope;
use crate::domain::application::organisation_kind_label;
use crate::domain::decision::DecisionStatus;
use crate::domain::round::{Round, RoundPhase};
use crate::domain::user::Principal;
use crate::error::{AppError, AppResult};
use crate::sheets::csv_export::table_to_csv;
use crate::sheets::round_export::{
    AllocationRow, BudgetRow, DecisionFacts, DecisionState, RoundExport, allocation_table,
    round_workbook,
};
use crate::web::AppState;
use crate::web::allocation_views::{DecisionBody, local_time};
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::Id;
use crate::web::responses::{csv_response, xlsx_response};
use crate::web::views::applicant_order;

pub fn routes() -> Routes {
    let office = Access::Roles(roles::OFFICE);
    Routes::default()
        .get("/rounds/{id}/export.xlsx", office, xlsx)
        .get("/rounds/{id}/export.csv", office, csv)
}

/// What both downloads show, gathered through [`scope`] like the round page.
struct Gathered {
    round: Round,
    rows: Vec<AllocationRow>,
    budget: Vec<BudgetRow>,
    decision: DecisionState,
}

async fn gather(state: &AppState, user: &Principal, id: i64) -> AppResult<Gathered> {
    let round = scope::round(&state.store, user, id).await?.round;
    let register = state.store.register().await?;
    let mut applications = scope::round_applications(&state.store, user, &round).await?;
    applications.sort_by(|a, b| applicant_order(&a.applicant, &b.applicant));
    let reasons: HashMap<i64, String> = state
        .store
        .round_allocation_reasons(id)
        .await?
        .into_iter()
        .collect();
    let rows = applications
        .iter()
        .map(|a| {
            (
                a,
                if round.phase.is_decided() {
                    a.allocated
                } else {
                    a.proposed
                },
            )
        })
        .map(|(a, amount)| AllocationRow {
            applicant: a.applicant.clone(),
            organisation_kind: organisation_kind_label(&a.organisation_kind).to_string(),
            kommunenummer: a.kommunenummer.as_ref().map(ToString::to_string),
            kommune: a
                .kommunenummer
                .as_ref()
                .and_then(|k| register.name_in_year(k, round.year)),
            project: a.project_title.clone(),
            status: a.status.label().to_string(),
            requested: a.requested,
            allocated: amount,
            // A reason goes with an amount the reader may see, never without it.
            reason: amount.and_then(|_| reasons.get(&a.id).cloned()),
        })
        .collect();

    let names: HashMap<i64, &str> = applications
        .iter()
        .map(|a| (a.id, a.applicant.as_str()))
        .collect();
    let mut budget: Vec<BudgetRow> = state
        .store
        .round_budget_lines(id)
        .await?
        .into_iter()
        .filter_map(|(application_id, line)| {
            names.get(&application_id).map(|name| BudgetRow {
                applicant: name.to_string(),
                category: line.category,
                description: line.description,
                applied: line.applied,
                own_contribution: line.own_contribution,
            })
        })
        .collect();
    budget.sort_by(|a, b| applicant_order(&a.applicant, &b.applicant));

    let decisions = state.store.round_decisions(id).await?;
    let approved = decisions
        .iter()
        .find(|d| d.status == DecisionStatus::Approved);
    let decision = match approved {
        Some(d) => {
            let body = DecisionBody::new(d);
            let kind = if body.amends_decision_id.is_some() {
                "Endringsvedtak"
            } else {
                "Vedtak"
            };
            DecisionState::Approved(Box::new(DecisionFacts {
                title: format!("{kind} {}", body.id),
                scenario: body.scenario_name.clone(),
                method: body.method_label.to_string(),
                parameters: body.parameters_text.clone(),
                snapshot: body.snapshot.as_ref().map(|s| match s.year {
                    Some(year) => format!("{} ({year})", s.name),
                    None => s.name.clone(),
                }),
                proposed_by: body.proposed_by.clone(),
                proposed_at: body.proposed_text(),
                approved_by: body.reviewed_by.clone().unwrap_or_default(),
                approved_at: body.reviewed_text(),
                allocated: body.allocated_total,
                reason: body.reason.clone(),
            }))
        }
        None if round.phase == RoundPhase::Decided => DecisionState::DecidedElsewhere,
        None => DecisionState::NotDecided {
            pending: decisions
                .iter()
                .find(|d| d.status == DecisionStatus::Proposed)
                .map(|d| {
                    format!(
                        "Vedtak {} er foreslått av {} {} og venter på godkjenning.",
                        d.id,
                        d.proposed_by,
                        local_time(d.proposed_at)
                    )
                }),
        },
    };
    Ok(Gathered {
        round,
        rows,
        budget,
        decision,
    })
}

/// `tildeling-Trøndelag-2019` for prefix `tildeling` (the download header keeps
/// non-ASCII letters safely).
pub fn file_stem(prefix: &str, round: &Round) -> String {
    let name: String = round
        .name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    let name = name
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("{prefix}-{name}")
}

async fn xlsx(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let g = gather(&state, &user, id).await?;
    let bytes = round_workbook(&RoundExport {
        round: &g.round,
        rows: &g.rows,
        decision: g.decision,
        budget: g.budget,
        generated_by: user.display_name.clone(),
    })
    .map_err(|e| AppError::Internal(anyhow::anyhow!("round workbook: {e}")))?;
    Ok(xlsx_response(
        bytes,
        &format!("{}.xlsx", file_stem("tildeling", &g.round)),
    ))
}

async fn csv(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let g = gather(&state, &user, id).await?;
    let text = table_to_csv(&allocation_table(&g.round, &g.rows, &g.decision));
    Ok(csv_response(
        text,
        &format!("{}.csv", file_stem("tildeling", &g.round)),
    ))
}
