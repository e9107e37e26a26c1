//! Søknad: one application; the form to register one (an officer on behalf of an
//! applicant, or a kommune user's own draft); editing and submitting a draft; and the
//! officer's allocation form.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::rounds::AuditLine;
use super::{Layout, render};
use crate::app;
use crate::app::visibility as scope;
use crate::domain::application::{
    AllocationInput, Application, ApplicationInput, ApplicationStatus, BUDGET_CATEGORIES,
    BudgetLineInput,
};
use crate::domain::audit::Actor;
use crate::domain::round::Round;
use crate::domain::user::Principal;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::store::{ApplicantChoice, AuditFilter};
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::{FormFields, Id};
use crate::web::views::ApplicationBody;

pub fn routes() -> Routes {
    let start = Access::Roles(roles::APPLICANT_OR_OFFICER);
    let applicant = Access::Roles(roles::APPLICANT);
    Routes::default()
        .get("/rounds/{id}/applications/new", start, new_form)
        .post("/rounds/{id}/applications", start, create)
        .get("/applications/{id}", Access::Roles(roles::ALL), show)
        .get("/applications/{id}/edit", applicant, edit_form)
        .post("/applications/{id}", applicant, update)
        .get("/applications/{id}/submit", applicant, confirm_submit)
        .post(
            "/applications/{id}/submit",
            applicant,
            |State(s): State<AppState>,
             CurrentUser(u, _): CurrentUser,
             Id(id): Id,
             f: FormFields| {
                change_status(s, u, id, f, app::applications::Move::Submit)
            },
        )
        .post(
            "/applications/{id}/withdraw",
            applicant,
            |State(s): State<AppState>,
             CurrentUser(u, _): CurrentUser,
             Id(id): Id,
             f: FormFields| {
                change_status(s, u, id, f, app::applications::Move::Withdraw)
            },
        )
        .post(
            "/applications/{id}/allocation",
            Access::Roles(roles::OFFICER),
            set_allocation,
        )
}

/// Events an applicant may see in its application's history: its own steps, not the
/// officers' working figures.
const APPLICANT_EVENTS: [&str; 3] = [
    "application.created",
    "application.updated",
    "application.submitted",
];

#[derive(Template)]
#[template(path = "applications/show.html")]
pub(super) struct ShowPage {
    layout: Layout,
    round: Round,
    application: ApplicationBody,
    history: Vec<AuditLine>,
    allocation: AllocationInput,
    errors: FieldErrors,
    alert: Option<String>,
    notice: Option<&'static str>,
    editable: bool,
    /// The applicant may withdraw its received application (the round is still open).
    withdrawable: bool,
    versions: Vec<VersionLine>,
    uploads: Vec<crate::store::Upload>,
    /// «Vurdering», for office roles only.
    pub(super) assessment: Option<super::assessment::AssessmentSection>,
}

/// One version of the application and what changed from the one before.
struct VersionLine {
    number: i64,
    when: String,
    by: String,
    upload_id: Option<i64>,
    changes: Vec<String>,
}

/// What changed between two snapshots, in Norwegian.
fn version_changes(before: Option<&serde_json::Value>, after: &serde_json::Value) -> Vec<String> {
    let Some(before) = before else {
        return vec!["Første versjon".into()];
    };
    let mut out = Vec::new();
    for (key, label) in [
        ("project_title", "Prosjekttittel"),
        ("description", "Beskrivelse"),
        ("contact_person", "Kontaktperson"),
        ("email", "E-post"),
        ("requested", "Omsøkt beløp"),
    ] {
        if before[key] != after[key] {
            let show = |v: &serde_json::Value| match (key, v.as_str()) {
                ("requested", Some(s)) => crate::domain::Kroner::parse(s)
                    .map(|k| k.to_string())
                    .unwrap_or_else(|_| s.to_string()),
                (_, Some(s)) => format!("«{s}»"),
                _ => "tomt".into(),
            };
            out.push(format!(
                "{label}: {} → {}",
                show(&before[key]),
                show(&after[key])
            ));
        }
    }
    out.extend(budget_changes(
        &before["budget_lines"],
        &after["budget_lines"],
    ));
    if out.is_empty() {
        out.push("Ingen endring i innholdet".into());
    }
    out
}

/// Budget lines compared position by position: what changed in a line, what was added
/// and what was removed.
fn budget_changes(before: &serde_json::Value, after: &serde_json::Value) -> Vec<String> {
    let empty = Vec::new();
    let before = before.as_array().unwrap_or(&empty);
    let after = after.as_array().unwrap_or(&empty);
    let text = |v: &serde_json::Value, key: &str| v[key].as_str().unwrap_or_default().to_string();
    let money = |v: &serde_json::Value, key: &str| {
        let raw = text(v, key);
        crate::domain::Kroner::parse(&raw)
            .map(|k| k.to_string())
            .unwrap_or(raw)
    };
    let describe = |v: &serde_json::Value| {
        format!(
            "{}, «{}», omsøkt {}, egenandel {}",
            text(v, "category"),
            text(v, "description"),
            money(v, "applied"),
            money(v, "own_contribution")
        )
    };
    let mut out = Vec::new();
    for i in 0..before.len().max(after.len()) {
        match (before.get(i), after.get(i)) {
            (Some(old), Some(new)) if old != new => {
                let mut parts = Vec::new();
                for (key, label, is_money) in [
                    ("category", "kategori", false),
                    ("description", "beskrivelse", false),
                    ("applied", "omsøkt", true),
                    ("own_contribution", "egenandel", true),
                ] {
                    if old[key] != new[key] {
                        let show = |v| {
                            if is_money {
                                money(v, key)
                            } else {
                                format!("«{}»", text(v, key))
                            }
                        };
                        parts.push(format!("{label} {} → {}", show(old), show(new)));
                    }
                }
                out.push(format!("Budsjettlinje {}: {}", i + 1, parts.join(", ")));
            }
            (None, Some(new)) => out.push(format!("Ny budsjettlinje {}: {}", i + 1, describe(new))),
            (Some(old), None) => out.push(format!(
                "Budsjettlinje {} fjernet: {}",
                i + 1,
                describe(old)
            )),
            _ => {}
        }
    }
    out
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ShowQuery {
    lagret: Option<String>,
    sendt: Option<String>,
    trukket: Option<String>,
}

pub(super) async fn show_page(
    state: &AppState,
    user: &Principal,
    id: i64,
    allocation: Option<AllocationInput>,
) -> AppResult<ShowPage> {
    let (application, round) = scope::application(&state.store, user, id).await?;
    let register = state.store.register().await?;
    let editable =
        user.has(crate::domain::user::Role::Kommune) && application.summary.status.editable();
    let withdrawable = user.has(crate::domain::user::Role::Kommune)
        && !editable
        && application.summary.status.withdraw().is_ok()
        && round.phase.accepts_applications();
    let application = ApplicationBody::new(&register, application, round.year);
    let filter = AuditFilter {
        application_id: Some(id),
        ..Default::default()
    };
    let mut events = state.store.audit_events(&filter).await?;
    events.reverse();
    if !user.sees_everything() {
        events.retain(|e| APPLICANT_EVENTS.contains(&e.action.as_str()));
    }
    let allocation = allocation.unwrap_or_else(|| AllocationInput {
        amount: application
            .row
            .proposed
            .map(|a| a.to_input_string())
            .unwrap_or_default(),
        version: application.row.version.to_string(),
        reason: application.allocation_reason.clone(),
    });
    let snapshots = state.store.application_versions(id).await?;
    let parsed: Vec<serde_json::Value> = snapshots
        .iter()
        .map(|v| serde_json::from_str(&v.snapshot).unwrap_or_default())
        .collect();
    let versions = snapshots
        .iter()
        .enumerate()
        .map(|(i, v)| VersionLine {
            number: v.version_no,
            when: v
                .created_at
                .with_timezone(&chrono_tz::Europe::Oslo)
                .format("%d.%m.%Y %H:%M")
                .to_string(),
            by: v.created_by.clone(),
            upload_id: v.upload_id,
            changes: version_changes(i.checked_sub(1).map(|p| &parsed[p]), &parsed[i]),
        })
        .rev()
        .collect();
    let uploads = state.store.application_uploads(id).await?;
    let assessment = if user.sees_everything() {
        Some(super::assessment::section(state, user, id, &round).await?)
    } else {
        None
    };
    Ok(ShowPage {
        assessment,
        versions,
        uploads,
        layout: Layout::new(state, user, "runder"),
        round,
        application,
        history: events.into_iter().map(AuditLine::new).collect(),
        allocation,
        errors: FieldErrors::new(),
        alert: None,
        notice: None,
        editable,
        withdrawable,
    })
}

async fn show(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    Query(query): Query<ShowQuery>,
) -> AppResult<Response> {
    let mut page = show_page(&state, &user, id, None).await?;
    page.notice = if query.lagret.is_some() {
        Some("Endringen er lagret.")
    } else if query.sendt.is_some() {
        Some(
            "Søknaden er sendt inn til Statsforvalteren. Dere får en kvittering på e-post. Søknadene behandles etter søknadsfristen, og svaret kommer som brev (se Oversikt).",
        )
    } else if query.trukket.is_some() {
        Some("Søknaden er trukket.")
    } else {
        None
    };
    Ok(render(&page))
}

/// Shows the page again with what went wrong; other errors pass through.
async fn show_with_error(
    state: &AppState,
    user: &Principal,
    id: i64,
    typed: Option<AllocationInput>,
    err: AppError,
) -> AppResult<Response> {
    let status = err.status();
    let mut page = show_page(state, user, id, typed).await?;
    match err {
        AppError::Invalid(errors) => page.errors = errors,
        AppError::Conflict(message) => {
            page.alert = Some(message);
            page.allocation.version = page.application.row.version.to_string();
        }
        other => return Err(other),
    }
    Ok((status, render(&page)).into_response())
}

async fn set_allocation(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let input = AllocationInput {
        amount: form.text("amount"),
        version: form.text("version"),
        reason: form.optional("reason"),
    };
    scope::application(&state.store, &user, id).await?;
    match app::applications::propose_amount(&state.store, id, &input, &Actor::from(&user)).await {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{id}?lagret=1")).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            // A stale page shows the current figures, with what the user typed kept in the form.
            show_with_error(&state, &user, id, Some(input), err).await
        }
        Err(other) => Err(other),
    }
}

/// «Send inn søknaden» and «Trekk søknaden»: back to the application with a notice, or the
/// page with the refusal.
async fn change_status(
    state: AppState,
    user: Principal,
    id: i64,
    form: FormFields,
    how: app::applications::Move,
) -> AppResult<Response> {
    scope::application(&state.store, &user, id).await?;
    // Sending in cannot be undone: the page's button leads to the confirmation first.
    if how == app::applications::Move::Submit && form.get("confirmed") != Some("1") {
        return Ok(Redirect::to(&format!("/applications/{id}/submit")).into_response());
    }
    let version = form.text("version").trim().parse::<i64>().unwrap_or(0);
    let notice = match how {
        app::applications::Move::Submit => "sendt",
        app::applications::Move::Withdraw => "trukket",
    };
    match app::applications::change_status(&state.store, id, version, how, &Actor::from(&user))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/applications/{id}?{notice}=1")).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            show_with_error(&state, &user, id, None, err).await
        }
        Err(other) => Err(other),
    }
}

#[derive(Template)]
#[template(path = "applications/submit.html")]
struct SubmitPage {
    layout: Layout,
    round: Round,
    application: Application,
    missing: Vec<&'static str>,
    deadline: Option<String>,
}

/// «Send inn søknaden»: what will be sent, what is missing, and what happens next.
async fn confirm_submit(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let (application, round) = scope::application(&state.store, &user, id).await?;
    if !application.summary.status.editable() {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    }
    Ok(render(&SubmitPage {
        layout: Layout::new(&state, &user, "runder"),
        missing: application.missing_for_submit(),
        deadline: round.deadline.map(crate::domain::date::format_date),
        round,
        application,
    }))
}

/// How many empty budget lines the form offers; "Flere budsjettlinjer" adds more.
const BLANK_LINES: usize = 5;
const MAX_LINES: usize = 100;

#[derive(Template)]
#[template(path = "applications/form.html")]
struct FormPage {
    layout: Layout,
    round: Round,
    /// Set when a draft is edited.
    application_id: Option<i64>,
    version: i64,
    /// The applicant, fixed for a kommune user; chosen by an officer otherwise.
    fixed_applicant: Option<String>,
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

    fn action(&self) -> String {
        match self.application_id {
            Some(id) => format!("/applications/{id}"),
            None => format!("/rounds/{}/applications", self.round.id),
        }
    }
}

async fn form_page(
    state: &AppState,
    user: &Principal,
    round: Round,
    application_id: Option<i64>,
    version: i64,
    mut input: ApplicationInput,
) -> AppResult<FormPage> {
    let register = state.store.register().await?;
    let (fixed_applicant, choices) = match user.limited_to_organisation() {
        Some(org) => {
            let name = state.store.organisation_name(org).await?;
            (Some(name), Vec::new())
        }
        None => (
            None,
            state
                .store
                .applicant_choices(&register, round.year, round.region.as_deref())
                .await?,
        ),
    };
    let blanks = input.budget_lines.iter().filter(|l| l.is_blank()).count();
    for _ in blanks..BLANK_LINES.min(MAX_LINES.saturating_sub(input.budget_lines.len())) {
        input.budget_lines.push(BudgetLineInput::default());
    }
    Ok(FormPage {
        layout: Layout::new(state, user, "runder"),
        round,
        application_id,
        version,
        fixed_applicant,
        choices,
        input,
        errors: FieldErrors::new(),
        alert: None,
        categories: BUDGET_CATEGORIES,
    })
}

async fn new_form(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
) -> AppResult<Response> {
    let round = scope::round(&state.store, &user, round_id).await?.round;
    // A municipality that has applied is taken to its application instead.
    if user.limited_to_organisation().is_some()
        && let Some(own) = scope::round_applications(&state.store, &user, &round)
            .await?
            .into_iter()
            .find(|a| a.status != ApplicationStatus::Withdrawn)
    {
        return Ok(Redirect::to(&format!("/applications/{}", own.id)).into_response());
    }
    app::applications::check_round_takes(&round, user.limited_to_organisation().is_some())?;
    let page = form_page(&state, &user, round, None, 0, ApplicationInput::default()).await?;
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

/// The form as the user left it, with errors or a message, or the error page.
async fn form_with_error(
    state: &AppState,
    user: &Principal,
    round: Round,
    application_id: Option<i64>,
    version: i64,
    input: ApplicationInput,
    err: AppError,
) -> AppResult<Response> {
    let status = err.status();
    let mut page = form_page(state, user, round, application_id, version, input).await?;
    match err {
        AppError::Invalid(errors) => page.errors = errors,
        AppError::Conflict(message) => page.alert = Some(message),
        other => return Err(other),
    }
    Ok((status, render(&page)).into_response())
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let round = scope::round(&state.store, &user, round_id).await?.round;
    let mut input = application_input(&form);
    if form.get("more_lines").is_some() {
        // "Flere budsjettlinjer": the same form again, the filled lines kept, with room for more.
        input.budget_lines.retain(|l| !l.is_blank());
        return Ok(render(
            &form_page(&state, &user, round, None, 0, input).await?,
        ));
    }
    let mut to_store = input.clone();
    to_store.applicant = app::applications::applicant_for(&user, &input.applicant);
    let result = match to_store.validate() {
        Ok(fields) => {
            let register = state.store.register().await?;
            app::applications::create(&state.store, &register, &user, round_id, &fields).await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            form_with_error(&state, &user, round, None, 0, input, err).await
        }
        Err(other) => Err(other),
    }
}

/// The form input that shows an application as it is.
async fn edit_form(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let (application, round) = scope::application(&state.store, &user, id).await?;
    if !application.summary.status.editable() {
        return Err(AppError::Conflict(
            "Søknaden er sendt inn og kan ikke endres.".into(),
        ));
    }
    let version = application.summary.version;
    let page = form_page(
        &state,
        &user,
        round,
        Some(id),
        version,
        application.to_input(),
    )
    .await?;
    Ok(render(&page))
}

async fn update(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let (application, round) = scope::application(&state.store, &user, id).await?;
    let mut input = application_input(&form);
    input.applicant = format!("org:{}", application.summary.organisation_id);
    let version = form.text("version").trim().parse::<i64>().unwrap_or(0);
    if form.get("more_lines").is_some() {
        input.budget_lines.retain(|l| !l.is_blank());
        return Ok(render(
            &form_page(&state, &user, round, Some(id), version, input).await?,
        ));
    }
    let result = match input.validate() {
        Ok(fields) => {
            app::applications::update(&state.store, id, &fields, version, &Actor::from(&user)).await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{id}?lagret=1")).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            form_with_error(&state, &user, round, Some(id), version, input, err).await
        }
        Err(other) => Err(other),
    }
}
