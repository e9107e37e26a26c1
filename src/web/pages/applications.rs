//! Søknad: one application, the form to register one on behalf of an applicant, and the
//! allocation form.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::rounds::AuditLine;
use super::{Layout, render};
use crate::domain::application::{
    AllocationInput, ApplicationInput, BUDGET_CATEGORIES, BudgetLineInput,
};
use crate::domain::round::Round;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::store::ApplicantChoice;
use crate::web::extract::{FormFields, Id};
use crate::web::views::ApplicationBody;
use crate::web::{ANONYMOUS_ACTOR, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds/{id}/applications/new", get(new_form))
        .route("/rounds/{id}/applications", post(create))
        .route("/applications/{id}", get(show))
        .route("/applications/{id}/allocation", post(set_allocation))
}

#[derive(Template)]
#[template(path = "applications/show.html")]
struct ShowPage {
    layout: Layout,
    round: Round,
    application: ApplicationBody,
    history: Vec<AuditLine>,
    allocation: AllocationInput,
    errors: FieldErrors,
    alert: Option<String>,
    saved: bool,
}

#[derive(Deserialize)]
struct ShowQuery {
    lagret: Option<String>,
}

async fn show_page(
    state: &AppState,
    id: i64,
    allocation: Option<AllocationInput>,
) -> AppResult<ShowPage> {
    let application = crate::web::api::application_body(state, id).await?;
    let round = state.store.round(application.round_id).await?;
    let history = state
        .store
        .application_audit(id)
        .await?
        .into_iter()
        .map(AuditLine::new)
        .collect();
    let allocation = allocation.unwrap_or_else(|| AllocationInput {
        amount: application
            .row
            .allocated
            .map(|a| a.to_input_string())
            .unwrap_or_default(),
        version: application.row.version.to_string(),
        reason: application.allocation_reason.clone(),
    });
    Ok(ShowPage {
        layout: Layout::new(state, "runder"),
        round,
        application,
        history,
        allocation,
        errors: FieldErrors::new(),
        alert: None,
        saved: false,
    })
}

async fn show(
    State(state): State<AppState>,
    Id(id): Id,
    Query(query): Query<ShowQuery>,
) -> AppResult<Response> {
    let mut page = show_page(&state, id, None).await?;
    page.saved = query.lagret.is_some();
    Ok(render(&page))
}

async fn set_allocation(
    State(state): State<AppState>,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let input = AllocationInput {
        amount: form.text("amount"),
        version: form.text("version"),
        reason: form.optional("reason"),
    };
    match state
        .store
        .set_allocation(id, &input, ANONYMOUS_ACTOR)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/applications/{id}?lagret=1")).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = err.status();
            // A stale page shows the current figures, with what the user typed kept in the form.
            let mut page = show_page(&state, id, Some(input.clone())).await?;
            match err {
                AppError::Invalid(errors) => page.errors = errors,
                AppError::Conflict(message) => {
                    page.alert = Some(message);
                    page.allocation.version = page.application.row.version.to_string();
                }
                _ => {}
            }
            Ok((status, render(&page)).into_response())
        }
        Err(other) => Err(other),
    }
}

/// How many empty budget lines the form offers; "Flere linjer" adds more.
const BLANK_LINES: usize = 5;
const MAX_LINES: usize = 100;

#[derive(Template)]
#[template(path = "applications/form.html")]
struct FormPage {
    layout: Layout,
    round: Round,
    choices: Vec<ApplicantChoice>,
    input: ApplicationInput,
    errors: FieldErrors,
    alert: Option<String>,
    categories: [&'static str; 5],
}

impl FormPage {
    fn line_error(&self, index: &usize, field: &str) -> Option<&str> {
        self.errors
            .for_field(&format!("budget_lines[{index}].{field}"))
    }

    fn is_chosen(&self, value: &str) -> bool {
        self.input.applicant == value
    }
}

async fn form_page(
    state: &AppState,
    round_id: i64,
    mut input: ApplicationInput,
) -> AppResult<FormPage> {
    let round = state.store.round(round_id).await?;
    let register = state.store.register().await?;
    let choices = state
        .store
        .applicant_choices(&register, round.year, round.region.as_deref())
        .await?;
    let blanks = input.budget_lines.iter().filter(|l| l.is_blank()).count();
    for _ in blanks..BLANK_LINES.min(MAX_LINES.saturating_sub(input.budget_lines.len())) {
        input.budget_lines.push(BudgetLineInput::default());
    }
    Ok(FormPage {
        layout: Layout::new(state, "runder"),
        round,
        choices,
        input,
        errors: FieldErrors::new(),
        alert: None,
        categories: BUDGET_CATEGORIES,
    })
}

async fn new_form(State(state): State<AppState>, Id(round_id): Id) -> AppResult<Response> {
    let page = form_page(&state, round_id, ApplicationInput::default()).await?;
    if !page.round.status.allows_allocation() {
        return Err(AppError::Conflict(format!(
            "Runden «{}» er avgjort og tar ikke imot nye søknader.",
            page.round.name
        )));
    }
    Ok(render(&page))
}

fn application_input(form: &FormFields) -> ApplicationInput {
    let mut lines = Vec::new();
    for i in 0..MAX_LINES {
        let key = |f: &str| format!("line{i}_{f}");
        if form.get(&key("category")).is_none() && form.get(&key("applied")).is_none() {
            break;
        }
        lines.push(BudgetLineInput {
            category: form.text(&key("category")),
            description: form.text(&key("description")),
            applied: form.text(&key("applied")),
            own_contribution: form.text(&key("own_contribution")),
        });
    }
    ApplicationInput {
        applicant: form.text("applicant"),
        project_title: form.optional("project_title"),
        description: form.optional("description"),
        contact_person: form.optional("contact_person"),
        email: form.optional("email"),
        requested: form.optional("requested"),
        budget_lines: lines,
    }
}

async fn create(
    State(state): State<AppState>,
    Id(round_id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let mut input = application_input(&form);
    if form.get("more_lines").is_some() {
        // "Flere budsjettlinjer": the same form again, the filled lines kept, with room for more.
        input.budget_lines.retain(|l| !l.is_blank());
        let page = form_page(&state, round_id, input).await?;
        return Ok(render(&page));
    }
    let result = match input.validate() {
        Ok(fields) => {
            let register = state.store.register().await?;
            state
                .store
                .create_application(round_id, &register, &fields, ANONYMOUS_ACTOR)
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = err.status();
            let mut page = form_page(&state, round_id, input).await?;
            match err {
                AppError::Invalid(errors) => page.errors = errors,
                AppError::Conflict(message) => page.alert = Some(message),
                _ => {}
            }
            Ok((status, render(&page)).into_response())
        }
        Err(other) => Err(other),
    }
}
