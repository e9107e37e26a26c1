//! Runder: the list of rounds, one round with its applications, the round form and the
//! round's audit log.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, render};
use crate::app::rounds::PhaseChange;
use crate::app::visibility as scope;
use crate::domain::audit::Actor;
use crate::domain::audit::action_label;
use crate::domain::county;
use crate::domain::round::{ROUNDING_UNITS, RoundInput, RoundOverview, RoundPhase};
use crate::domain::user::Principal;
use crate::domain::validation::FieldErrors;
use crate::domain::{Kroner, date::format_date};
use crate::error::{AppError, AppResult};
use crate::store::{AuditEvent, AuditFilter};
use crate::web::AppState;
use crate::web::allocation_views::{DecisionBody, ScenarioBody};
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::QueryParams;
use crate::web::extract::{FormFields, Id};
use crate::web::views::{ApplicationRow, SortKey, sort_rows};

pub fn routes() -> Routes {
    let read = Access::Roles(roles::ALL);
    let officer = Access::Roles(roles::OFFICER);
    Routes::default()
        .get("/rounds", read, list)
        .post("/rounds", officer, create)
        .get("/rounds/new", officer, new_form)
        .get("/rounds/{id}", read, show)
        .post("/rounds/{id}", officer, update)
        .post(
            "/rounds/{id}/open",
            officer,
            |State(s): State<AppState>, CurrentUser(u, _): CurrentUser, Id(id): Id| {
                change_phase(s, u, id, None, PhaseChange::Open)
            },
        )
        .post(
            "/rounds/{id}/close",
            officer,
            |State(s): State<AppState>,
             CurrentUser(u, _): CurrentUser,
             Id(id): Id,
             f: FormFields| { change_phase(s, u, id, Some(f), PhaseChange::Close) },
        )
        .post(
            "/rounds/{id}/reopen",
            officer,
            |State(s): State<AppState>,
             CurrentUser(u, _): CurrentUser,
             Id(id): Id,
             f: FormFields| { change_phase(s, u, id, Some(f), PhaseChange::Reopen) },
        )
        .get("/rounds/{id}/edit", officer, edit_form)
        .get("/rounds/{id}/audit", Access::Roles(roles::AUDIT), audit)
}

#[derive(Template)]
#[template(path = "rounds/list.html")]
struct ListPage {
    layout: Layout,
    rounds: Vec<RoundOverview>,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
) -> AppResult<Response> {
    let rounds = scope::rounds(&state.store, &user).await?;
    Ok(render(&ListPage {
        layout: Layout::new(&state, &user, "runder"),
        rounds,
    }))
}

/// One sortable column heading.
struct SortHeader {
    label: &'static str,
    href: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    aria_sort: &'static str,
    numeric: bool,
}

#[derive(Template)]
#[template(path = "rounds/show.html")]
struct ShowPage {
    layout: Layout,
    overview: RoundOverview,
    rows: Vec<ApplicationRow>,
    headers: Vec<SortHeader>,
    used_percent: String,
    deadline: Option<String>,
    /// Office users only: the round's scenarios and decisions.
    scenarios: Vec<ScenarioBody>,
    decisions: Vec<DecisionBody>,
    /// Whether anything has been proposed (a closed round then cannot reopen).
    any_decision: bool,
    /// A kommune user's own application in the round, if it has one.
    own_application: Option<ApplicationRow>,
    /// Problems with a phase change (close, reopen), by field.
    errors: FieldErrors,
    alert: Option<String>,
}

impl ShowPage {
    /// «Nummer i dag» is shown only when some applicant's number has changed since.
    fn any_today(&self) -> bool {
        self.rows.iter().any(|r| !r.today_text().is_empty())
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
struct SortQuery {
    sort: Option<String>,
    dir: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    QueryParams(query): QueryParams<SortQuery>,
) -> AppResult<Response> {
    Ok(render(&show_page(&state, &user, id, query).await?))
}

async fn show_page(
    state: &AppState,
    user: &Principal,
    id: i64,
    query: SortQuery,
) -> AppResult<ShowPage> {
    let overview = scope::round(&state.store, user, id).await?;
    let register = state.store.register().await?;
    let mut rows: Vec<ApplicationRow> =
        scope::round_applications(&state.store, user, &overview.round)
            .await?
            .iter()
            .map(|s| ApplicationRow::new(&register, s, overview.round.year))
            .collect();
    let key = query
        .sort
        .as_deref()
        .and_then(SortKey::parse)
        .unwrap_or(SortKey::Applicant);
    let descending = query.dir.as_deref() == Some("desc");
    sort_rows(&mut rows, key, descending);
    let headers = [
        (SortKey::Applicant, "Søker", false),
        (SortKey::Kommunenummer, "Kommunenr.", false),
        (SortKey::Requested, "Omsøkt", true),
        (SortKey::Allocated, "Tildelt", true),
        (SortKey::Status, "Status", false),
    ]
    .into_iter()
    .map(|(k, label, numeric)| {
        let current = k == key;
        let next_dir = if current && !descending {
            "desc"
        } else {
            "asc"
        };
        SortHeader {
            label,
            href: format!("/rounds/{id}?sort={}&dir={next_dir}#soknader", k.as_str()),
            aria_sort: match (current, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
            numeric,
        }
    })
    .collect();
    let used_percent = Kroner::percent_of(overview.totals.allocated_total, overview.totals.pool)
        .map(|p| format!("{} %", p.to_string().replace('.', ",")))
        .unwrap_or_default();
    let (mut scenarios, mut decisions) = (Vec::new(), Vec::new());
    if user.sees_everything() {
        for scenario in state.store.round_scenarios(id).await? {
            scenarios.push(crate::web::allocation_views::scenario_body(state, scenario).await?);
        }
        decisions = state
            .store
            .round_decisions(id)
            .await?
            .iter()
            .map(DecisionBody::new)
            .collect();
    }
    let own_application = match user.limited_to_organisation() {
        Some(_) => rows.iter().find(|r| r.status != "withdrawn").cloned(),
        None => None,
    };
    Ok(ShowPage {
        layout: Layout::new(state, user, "runder"),
        any_decision: !decisions.is_empty(),
        scenarios,
        decisions,
        deadline: overview.round.deadline.map(format_date),
        overview,
        rows,
        headers,
        used_percent,
        own_application,
        errors: FieldErrors::new(),
        alert: None,
    })
}

/// The round page again after a refused phase change, with the problem shown.
/// The round page again, with a refused change's message (a comparison of one, a
/// phase change the round does not allow).
pub(super) async fn show_with_error(
    state: &AppState,
    user: &Principal,
    id: i64,
    err: AppError,
) -> AppResult<Response> {
    let status = err.status();
    let query = SortQuery {
        sort: None,
        dir: None,
    };
    let mut page = show_page(state, user, id, query).await?;
    match err {
        AppError::Invalid(errors) => {
            // Only the reason has a field on this page; anything else is said on top.
            if errors.for_field("reason").is_none() {
                page.alert = Some(errors.to_string());
            }
            page.errors = errors;
        }
        AppError::Conflict(message) => page.alert = Some(message),
        other => return Err(other),
    }
    Ok((status, render(&page)).into_response())
}

/// What a phase change answers: back to the round, or the round with the problem.
async fn phase_changed(
    state: &AppState,
    user: &Principal,
    id: i64,
    result: AppResult<()>,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/rounds/{id}")).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            show_with_error(state, user, id, err).await
        }
        Err(other) => Err(other),
    }
}

/// The round page's phase buttons: announce, close and reopen (with `reason`).
async fn change_phase(
    state: AppState,
    user: Principal,
    id: i64,
    form: Option<FormFields>,
    change: crate::app::rounds::PhaseChange,
) -> AppResult<Response> {
    let reason = form.map(|f| f.text("reason")).unwrap_or_default();
    let result =
        crate::app::rounds::change(&state.store, id, change, &reason, &Actor::from(&user)).await;
    phase_changed(&state, &user, id, result).await
}

#[derive(Template)]
#[template(path = "rounds/form.html")]
struct FormPage {
    layout: Layout,
    /// `None` for a new round.
    round_id: Option<i64>,
    version: i64,
    input: RoundInput,
    errors: FieldErrors,
    conflict: Option<String>,
    counties: Vec<(String, Vec<&'static str>)>,
    rounding_units: Vec<String>,
}

impl FormPage {
    fn new(
        state: &AppState,
        user: &Principal,
        round_id: Option<i64>,
        version: i64,
        input: RoundInput,
    ) -> Self {
        FormPage {
            layout: Layout::new(state, user, "runder"),
            round_id,
            version,
            input,
            errors: FieldErrors::new(),
            conflict: None,
            counties: county::counties_by_division(),
            rounding_units: ROUNDING_UNITS
                .iter()
                .map(|u| Kroner::from_whole(*u).to_input_string())
                .collect(),
        }
    }

    fn selected_unit(&self, unit: &str) -> bool {
        Kroner::parse(&self.input.rounding_unit).ok() == Kroner::parse(unit).ok()
    }

    fn region_is(&self, name: &str) -> bool {
        self.input.region.as_deref() == Some(name)
    }
}

fn round_input(form: &FormFields) -> RoundInput {
    RoundInput {
        name: form.text("name"),
        scheme: form.optional("scheme"),
        year: form.text("year"),
        region: form.optional("region"),
        pool: form.text("pool"),
        deadline: form.optional("deadline"),
        rounding_unit: form.text("rounding_unit"),
        description: form.optional("description"),
        phase: form.optional("phase"),
    }
}

async fn new_form(State(state): State<AppState>, CurrentUser(user, _): CurrentUser) -> Response {
    let input = RoundInput {
        year: chrono::Utc::now().format("%Y").to_string(),
        rounding_unit: "1000".into(),
        scheme: Some(crate::domain::round::DEFAULT_SCHEME.into()),
        ..Default::default()
    };
    render(&FormPage::new(&state, &user, None, 0, input))
}

/// Re-shows the form with what the user typed and what was wrong with it.
fn form_with_error(mut page: FormPage, err: AppError) -> Response {
    let status = err.status();
    match err {
        AppError::Invalid(errors) => page.errors = errors,
        AppError::Conflict(message) | AppError::NotFound(message) => page.conflict = Some(message),
        other => return other.into_response(),
    }
    (status, render(&page)).into_response()
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    form: FormFields,
) -> Response {
    let input = round_input(&form);
    // «Lagre som utkast» keeps the round from the municipalities until it is announced.
    let phase = if input.phase.as_deref() == Some("draft") {
        RoundPhase::Draft
    } else {
        RoundPhase::Open
    };
    let result = match input.validate() {
        Ok(fields) => {
            crate::app::rounds::create(&state.store, &fields, phase, &Actor::from(&user)).await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(id) => Redirect::to(&format!("/rounds/{id}")).into_response(),
        Err(err) => form_with_error(FormPage::new(&state, &user, None, 0, input), err),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let round = state.store.round(id).await?;
    round.phase.check_allows_settings(&round.name)?;
    Ok(render(&FormPage::new(
        &state,
        &user,
        Some(id),
        round.version,
        round.to_input(),
    )))
}

async fn update(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> Response {
    let input = round_input(&form);
    let version = form.text("version").trim().parse::<i64>().unwrap_or(0);
    let result = match input.validate() {
        Ok(fields) => {
            crate::app::rounds::update(&state.store, id, &fields, version, &Actor::from(&user))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/rounds/{id}")).into_response(),
        Err(err) => form_with_error(FormPage::new(&state, &user, Some(id), version, input), err),
    }
}

/// An audit event with its time in Norwegian form.
pub struct AuditLine {
    pub event: AuditEvent,
    pub when: String,
    pub label: &'static str,
}

impl AuditLine {
    pub fn new(event: AuditEvent) -> Self {
        let when = event
            .occurred_at
            .with_timezone(&chrono_tz::Europe::Oslo)
            .format("%d.%m.%Y %H:%M:%S")
            .to_string();
        AuditLine {
            label: action_label(&event.action),
            event,
            when,
        }
    }
}

#[derive(Template)]
#[template(path = "rounds/audit.html")]
struct AuditPage {
    layout: Layout,
    overview: RoundOverview,
    lines: Vec<AuditLine>,
}

async fn audit(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let overview = state.store.round_overview(id).await?;
    let filter = AuditFilter {
        round_id: Some(id),
        ..Default::default()
    };
    let lines = state
        .store
        .audit_events(&filter)
        .await?
        .into_iter()
        .map(AuditLine::new)
        .collect();
    Ok((
        StatusCode::OK,
        render(&AuditPage {
            layout: Layout::new(&state, &user, "runder"),
            overview,
            lines,
        }),
    )
        .into_response())
}
