//! Fordelingsalternativer, their comparison, vedtak and statistics snapshots as pages.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, render};
use crate::domain::Kroner;
use crate::domain::application::ApplicationSummary;
use crate::domain::audit::Actor;
use crate::domain::round::{ROUNDING_UNITS, Round};
use crate::domain::scenario::Comparison;
use crate::domain::scenario::{AmountText, METHODS, ScenarioInput, ScenarioParameters};
use crate::domain::user::Principal;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::store::{SnapshotSummary, claimants};
use crate::web::AppState;
use crate::web::allocation_views::{
    DecisionBody, ScenarioBody, comparison_for, local_time, scenario_body,
};
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::{FormFields, Id};

pub fn routes() -> Routes {
    let office = Access::Roles(roles::OFFICE);
    let officer = Access::Roles(roles::OFFICER);
    let approver = Access::Roles(roles::APPROVER);
    Routes::default()
        .get("/rounds/{id}/scenarios/new", officer, new_form)
        .post("/rounds/{id}/scenarios", officer, create)
        .get("/rounds/{id}/scenarios/compare", office, compare_page)
        .get("/rounds/{id}/scenarios/compare.xlsx", office, compare_xlsx)
        .get("/scenarios/{id}", office, show)
        .post("/scenarios/{id}/recompute", officer, recompute)
        .post("/scenarios/{id}/delete", officer, delete)
        .post("/scenarios/{id}/propose", officer, propose)
        .get("/decisions/{id}", office, decision_page)
        .post("/decisions/{id}/approve", approver, approve)
        .post("/decisions/{id}/return", approver, return_decision)
        .get("/statistics/snapshots", office, snapshots_page)
        .post("/statistics/snapshots", officer, create_snapshot)
}

/// An action's refusal, shown on the page it came from; other errors go to the error page.
#[derive(Default)]
struct ShownError {
    status: Option<axum::http::StatusCode>,
    message: Option<String>,
    field: Option<String>,
}

impl ShownError {
    fn of(error: Option<AppError>) -> AppResult<ShownError> {
        let Some(error) = error else {
            return Ok(ShownError::default());
        };
        let status = Some(error.status());
        Ok(match error {
            AppError::Invalid(errors) => ShownError {
                status,
                field: errors.0.first().map(|e| e.field.clone()),
                message: Some(errors.to_string()),
            },
            AppError::Conflict(m) | AppError::Forbidden(m) => ShownError {
                status,
                message: Some(m),
                field: None,
            },
            other => return Err(other),
        })
    }
}

fn render_with(status: Option<axum::http::StatusCode>, page: &impl Template) -> Response {
    match status {
        Some(status) => (status, render(page)).into_response(),
        None => render(page),
    }
}

// ------------------------------------------------------------------ the form

#[derive(Template)]
#[template(path = "scenarios/form.html")]
struct FormPage {
    layout: Layout,
    round: Round,
    applications: Vec<ApplicationSummary>,
    snapshots: Vec<SnapshotSummary>,
    form: FormFields,
    errors: FieldErrors,
    rounding_units: Vec<String>,
    methods: Vec<(&'static str, &'static str)>,
}

impl FormPage {
    fn value(&self, name: &str) -> String {
        self.form.text(name)
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.form.get(name).is_some_and(|v| v.trim() == value)
    }

    fn row_value(&self, key: &str, id: &i64) -> String {
        self.form.text(&format!("{key}_{id}"))
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.for_field(field)
    }

    fn row_error(&self, key: &str, id: &i64) -> Option<&str> {
        self.errors.for_field(&format!("parameters.{key}.{id}"))
    }

    /// The per-application column a key fills, as a screen reader says it.
    fn column_label(key: &str) -> &'static str {
        match key {
            "amounts" => "Beløp (manuell)",
            "floors" => "Minstebeløp",
            _ => "Tak",
        }
    }

    /// The per-application section starts open for the manual method and when a row
    /// has an error or a floor or cap typed.
    fn per_application_open(&self) -> bool {
        self.is("method", "manuell")
            || self.errors.0.iter().any(|e| {
                e.field.starts_with("parameters.floors")
                    || e.field.starts_with("parameters.caps")
                    || e.field.starts_with("parameters.amounts")
            })
            || self.form.0.iter().any(|(k, v)| {
                (k.starts_with("floors_") || k.starts_with("caps_")) && !v.trim().is_empty()
            })
    }

    fn unit_selected(&self, unit: &str) -> bool {
        Kroner::parse(&self.form.text("rounding_unit")).ok() == Kroner::parse(unit).ok()
    }

    fn requested_text(a: &ApplicationSummary) -> String {
        a.requested
            .map_or_else(|| "ikke oppgitt".into(), |r| r.to_string())
    }
}

async fn form_page(
    state: &AppState,
    user: &Principal,
    round_id: i64,
    form: FormFields,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let round = state.store.round(round_id).await?;
    let applications = state.store.round_applications(round_id).await?;
    Ok(FormPage {
        layout: Layout::new(state, user, "runder"),
        applications: claimants(&applications).into_iter().cloned().collect(),
        round,
        snapshots: state.store.snapshots().await?,
        form,
        errors,
        rounding_units: ROUNDING_UNITS
            .iter()
            .map(|u| Kroner::from_whole(*u).to_input_string())
            .collect(),
        methods: METHODS.to_vec(),
    })
}

async fn new_form(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
) -> AppResult<Response> {
    let round = state.store.round(round_id).await?;
    let recommended = state.store.recommended_amounts(round_id).await?;
    let applications = state.store.round_applications(round_id).await?;
    let mut fields = vec![
        ("method".to_string(), "forholdsmessig".to_string()),
        (
            "rounding_unit".to_string(),
            round.rounding_unit.to_input_string(),
        ),
    ];
    // Manual amounts start from the recommendation, or what is recorded now.
    for a in claimants(&applications) {
        if let Some(amount) = recommended.get(&a.id).copied().or(a.allocated) {
            fields.push((format!("amounts_{}", a.id), amount.to_input_string()));
        }
    }
    let page = form_page(
        &state,
        &user,
        round_id,
        FormFields(fields),
        FieldErrors::new(),
    )
    .await?;
    Ok(render(&page))
}

/// The form's fields as the API's input, so both are validated the same way.
fn scenario_input(form: &FormFields) -> Result<ScenarioInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let number = |errors: &mut FieldErrors, name: &str, label: &str| -> Option<i64> {
        let text = form.get(name).map(str::trim).filter(|t| !t.is_empty())?;
        match text.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(
                    format!("parameters.{name}"),
                    format!("{label} må være et helt tall, ikke «{text}»."),
                );
                None
            }
        }
    };
    let snapshot_id = number(&mut errors, "snapshot_id", "Statistikkgrunnlag");
    let indicator_year = number(&mut errors, "indicator_year", "Statistikkår")
        .map(|y| i32::try_from(y).unwrap_or(i32::MAX));
    let per_row = |key: &str| {
        let prefix = format!("{key}_");
        form.0
            .iter()
            .filter_map(|(k, v)| {
                let id = k.strip_prefix(&prefix)?;
                Some((id.to_string(), AmountText(v.clone())))
            })
            .collect()
    };
    let input = ScenarioInput {
        name: form.text("name"),
        method: form.text("method"),
        rounding_unit: form.optional("rounding_unit"),
        parameters: ScenarioParameters {
            base_amount: form.optional("base_amount"),
            per_inhabitant: form.optional("per_inhabitant"),
            per_recipient: form.optional("per_recipient"),
            need_weight: form.optional("need_weight"),
            snapshot_id,
            indicator_year,
            min_score: form.optional("min_score"),
            cut_last: Some(form.get("cut_last").is_some()),
            amounts: if form.text("method") == "manuell" {
                per_row("amounts")
            } else {
                Default::default()
            },
            floors: per_row("floors"),
            caps: per_row("caps"),
        },
    };
    errors.into_result(|| input)
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let result = match scenario_input(&form).and_then(|input| input.validate()) {
        Ok(spec) => {
            crate::app::scenarios::create(&state.store, round_id, &spec, &Actor::from(&user)).await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/scenarios/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = form_page(&state, &user, round_id, form, errors).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(other) => Err(other),
    }
}

// ------------------------------------------------------------------ one scenario

#[derive(Template)]
#[template(path = "scenarios/show.html")]
struct ShowPage {
    layout: Layout,
    round: Round,
    scenario: ScenarioBody,
    decisions: Vec<DecisionBody>,
    message: Option<String>,
    message_field: Option<String>,
}

async fn show_page(
    state: &AppState,
    user: &Principal,
    id: i64,
    error: Option<AppError>,
) -> AppResult<Response> {
    let scenario = state.store.scenario(id).await?;
    let round = state.store.round(scenario.round_id).await?;
    let decisions = state
        .store
        .round_decisions(round.id)
        .await?
        .iter()
        .filter(|d| d.scenario_id == id)
        .map(DecisionBody::new)
        .collect();
    let shown = ShownError::of(error)?;
    let page = ShowPage {
        layout: Layout::new(state, user, "runder"),
        round,
        scenario: scenario_body(state, scenario).await?,
        decisions,
        message: shown.message,
        message_field: shown.field,
    };
    Ok(render_with(shown.status, &page))
}

async fn show(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    show_page(&state, &user, id, None).await
}

/// Runs an action on a scenario; on success goes to `then`, otherwise shows the scenario
/// with the message.
async fn scenario_action(
    state: &AppState,
    user: &Principal,
    id: i64,
    result: AppResult<String>,
) -> AppResult<Response> {
    match result {
        Ok(then) => Ok(Redirect::to(&then).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            show_page(state, user, id, Some(err)).await
        }
        Err(other) => Err(other),
    }
}

async fn recompute(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let result = crate::app::scenarios::recompute(&state.store, id, &Actor::from(&user))
        .await
        .map(|()| format!("/scenarios/{id}"));
    scenario_action(&state, &user, id, result).await
}

async fn delete(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let round_id = state.store.scenario(id).await?.round_id;
    let result = crate::app::scenarios::delete(&state.store, id, &Actor::from(&user))
        .await
        .map(|()| format!("/rounds/{round_id}#alternativer"));
    scenario_action(&state, &user, id, result).await
}

async fn propose(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let result = crate::app::decisions::propose(
        &state.store,
        id,
        form.optional("reason").as_deref(),
        &Actor::from(&user),
    )
    .await
    .map(|decision| format!("/decisions/{decision}"));
    scenario_action(&state, &user, id, result).await
}

// ------------------------------------------------------------------ comparison

#[derive(Template)]
#[template(path = "scenarios/compare.html")]
struct ComparePage {
    layout: Layout,
    round: Round,
    comparison: Comparison,
    query: String,
}

impl ComparePage {
    /// The name of the `index`th alternative, for its explanation in a row.
    fn scenario_name(&self, index: &usize) -> &str {
        self.comparison
            .scenarios
            .get(*index)
            .map_or("", |s| s.name.as_str())
    }
}

async fn compare_page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let comparison = match comparison_for(&state, round_id, query.as_deref()).await {
        Ok(comparison) => comparison,
        // Too few or too many ticked: the round page, where they are ticked, says so.
        Err(err @ AppError::Invalid(_)) => {
            // A page asked for with too few ticked, not a failed change: 200 with the message.
            let mut page = super::rounds::show_with_error(&state, &user, round_id, err).await?;
            *page.status_mut() = axum::http::StatusCode::OK;
            return Ok(page);
        }
        Err(err) => return Err(err),
    };
    let ids: Vec<String> = comparison
        .scenarios
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    Ok(render(&ComparePage {
        layout: Layout::new(&state, &user, "runder"),
        round: state.store.round(round_id).await?,
        comparison,
        query: format!("ids={}", ids.join(",")),
    }))
}

async fn compare_xlsx(
    State(state): State<AppState>,
    Id(round_id): Id,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let comparison = comparison_for(&state, round_id, query.as_deref()).await?;
    crate::web::allocation_views::comparison_xlsx(&state, &comparison)
        .await
        .map(IntoResponse::into_response)
}

// ------------------------------------------------------------------ decisions

#[derive(Template)]
#[template(path = "scenarios/decision.html")]
struct DecisionPage {
    layout: Layout,
    round: Round,
    decision: DecisionBody,
    /// Why the current user may not approve (their own proposal); `None` when they may.
    own_proposal: bool,
    may_review: bool,
    message: Option<String>,
    comment: String,
}

async fn decision_view(
    state: &AppState,
    user: &Principal,
    id: i64,
    error: Option<AppError>,
    comment: String,
) -> AppResult<Response> {
    let decision = state.store.decision(id).await?;
    let round = state.store.round(decision.round_id).await?;
    let shown = ShownError::of(error)?;
    let page = DecisionPage {
        layout: Layout::new(state, user, "runder"),
        round,
        own_proposal: decision.proposed_by_user_id == user.user_id,
        may_review: user.has(crate::domain::user::Role::Godkjenner),
        decision: DecisionBody::new(&decision),
        message: shown.message,
        comment,
    };
    Ok(render_with(shown.status, &page))
}

async fn decision_page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    decision_view(&state, &user, id, None, String::new()).await
}

async fn review(
    state: &AppState,
    user: &Principal,
    id: i64,
    form: &FormFields,
    result: AppResult<()>,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/decisions/{id}")).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            decision_view(state, user, id, Some(err), form.text("comment")).await
        }
        Err(other) => Err(other),
    }
}

async fn approve(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let result = crate::app::decisions::approve(
        &state.store,
        id,
        form.optional("comment").as_deref(),
        &Actor::from(&user),
    )
    .await;
    review(&state, &user, id, &form, result).await
}

async fn return_decision(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let result = crate::app::decisions::return_decision(
        &state.store,
        id,
        &form.text("comment"),
        &Actor::from(&user),
    )
    .await;
    review(&state, &user, id, &form, result).await
}

// ------------------------------------------------------------------ snapshots

#[derive(Template)]
#[template(path = "statistics/snapshots.html")]
struct SnapshotsPage {
    layout: Layout,
    snapshots: Vec<SnapshotSummary>,
    errors: FieldErrors,
    name: String,
    description: String,
}

impl SnapshotsPage {
    fn created_text(s: &SnapshotSummary) -> String {
        local_time(s.created_at)
    }
}

async fn snapshots_view(
    state: &AppState,
    user: &Principal,
    form: Option<&FormFields>,
    errors: FieldErrors,
) -> AppResult<SnapshotsPage> {
    Ok(SnapshotsPage {
        layout: Layout::new(state, user, "statistikk"),
        snapshots: state.store.snapshots().await?,
        errors,
        name: form.map(|f| f.text("name")).unwrap_or_default(),
        description: form.map(|f| f.text("description")).unwrap_or_default(),
    })
}

async fn snapshots_page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
) -> AppResult<Response> {
    Ok(render(
        &snapshots_view(&state, &user, None, FieldErrors::new()).await?,
    ))
}

async fn create_snapshot(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    form: FormFields,
) -> AppResult<Response> {
    match crate::app::scenarios::create_snapshot(
        &state.store,
        &form.text("name"),
        form.optional("description").as_deref(),
        &Actor::from(&user),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/statistics/snapshots").into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = snapshots_view(&state, &user, Some(&form), errors).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(other) => Err(other),
    }
}
