//! Brukere: the admin's list of users, and the forms to create, change and deactivate them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, render};
use crate::app::{self, accounts::create_user_with_one_time_password};
use crate::domain::audit::Actor;
use crate::domain::user::{Principal, Role, UserInput};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::store::{ApplicantChoice, UserSummary};
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::{FormFields, Id};

pub fn routes() -> Routes {
    let admin = Access::Roles(roles::ADMIN);
    Routes::default()
        .get("/admin/users", admin, list)
        .get("/admin/users/new", admin, new_form)
        .post("/admin/users", admin, create)
        .get("/admin/users/{id}", admin, edit_form)
        .post("/admin/users/{id}", admin, update)
        .post("/admin/users/{id}/active", admin, set_active)
        .post("/admin/users/{id}/password", admin, reset_password)
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    layout: Layout,
    users: Vec<UserSummary>,
}

impl ListPage {
    fn roles_text(&self, user: &UserSummary) -> String {
        user.roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
) -> AppResult<Response> {
    Ok(render(&ListPage {
        layout: Layout::new(&state, &me, "admin"),
        users: state.store.list_users().await?,
    }))
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct FormPage {
    layout: Layout,
    user_id: Option<i64>,
    version: i64,
    active: bool,
    input: UserInput,
    errors: FieldErrors,
    alert: Option<String>,
    /// A one-time password just set, shown once.
    one_time_password: Option<String>,
    organisations: Vec<ApplicantChoice>,
    all_roles: [Role; 5],
    /// A national identity number is on file for the user.
    has_national_id: bool,
}

impl FormPage {
    fn has_role(&self, role: &Role) -> bool {
        self.input.roles.iter().any(|r| r == role.as_str())
    }

    fn is_organisation(&self, value: &str) -> bool {
        self.input.organisation.as_deref() == Some(value)
    }
}

async fn form_page(
    state: &AppState,
    me: &Principal,
    user_id: Option<i64>,
    version: i64,
    active: bool,
    input: UserInput,
) -> AppResult<FormPage> {
    let register = state.store.register().await?;
    let year = register.newest_year().unwrap_or(2024);
    let has_national_id = match user_id {
        Some(id) => state.store.user(id).await?.has_national_id,
        None => false,
    };
    Ok(FormPage {
        layout: Layout::new(state, me, "admin"),
        user_id,
        version,
        active,
        input,
        errors: FieldErrors::new(),
        alert: None,
        one_time_password: None,
        organisations: state.store.applicant_choices(&register, year, None).await?,
        all_roles: Role::ALL,
        has_national_id,
    })
}

fn user_input(form: &FormFields) -> UserInput {
    UserInput {
        username: form.text("username"),
        display_name: form.optional("display_name"),
        email: form.optional("email"),
        national_id: form.optional("national_id"),
        roles: form
            .0
            .iter()
            .filter(|(k, _)| k == "roles")
            .map(|(_, v)| v.clone())
            .collect(),
        organisation: form
            .optional("organisation")
            .filter(|o| !o.trim().is_empty()),
    }
}

async fn new_form(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
) -> AppResult<Response> {
    Ok(render(
        &form_page(&state, &me, None, 0, true, UserInput::default()).await?,
    ))
}

fn show_error(mut page: FormPage, err: AppError) -> Response {
    let status = err.status();
    match err {
        AppError::Invalid(errors) => page.errors = errors,
        AppError::Conflict(m) | AppError::NotFound(m) => page.alert = Some(m),
        other => return other.into_response(),
    }
    (status, render(&page)).into_response()
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    form: FormFields,
) -> AppResult<Response> {
    let input = user_input(&form);
    match create_user_with_one_time_password(&state.store, &input, &Actor::from(&me)).await {
        Ok((id, password)) => {
            let user = state.store.user(id).await?;
            let mut page =
                form_page(&state, &me, Some(id), user.version, true, input_of(&user)).await?;
            page.one_time_password = Some(password);
            Ok((StatusCode::CREATED, render(&page)).into_response())
        }
        Err(err) => Ok(show_error(
            form_page(&state, &me, None, 0, true, input).await?,
            err,
        )),
    }
}

fn input_of(user: &UserSummary) -> UserInput {
    UserInput {
        username: user.username.clone(),
        display_name: Some(user.display_name.clone()),
        email: user.email.clone(),
        // Never shown again; an empty field keeps the one stored.
        national_id: None,
        roles: user.roles.iter().map(|r| r.as_str().to_string()).collect(),
        // The form's choice list names municipalities by number and others by id.
        organisation: user
            .organisation_kommunenummer
            .clone()
            .or_else(|| user.organisation_id.map(|id| format!("org:{id}"))),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let user = state.store.user(id).await?;
    Ok(render(
        &form_page(
            &state,
            &me,
            Some(id),
            user.version,
            user.active,
            input_of(&user),
        )
        .await?,
    ))
}

async fn update(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let existing = state.store.user(id).await?;
    let mut input = user_input(&form);
    // The username is fixed once created: it names the user in the audit log.
    input.username = existing.username.clone();
    let version = form.text("version").parse::<i64>().unwrap_or(0);
    let actor = Actor::from(&me);
    let result = app::accounts::update_user(&state.store, id, &input, version, &actor).await;
    match result {
        Ok(()) => Ok(Redirect::to("/admin/users").into_response()),
        Err(err) => Ok(show_error(
            form_page(&state, &me, Some(id), version, existing.active, input).await?,
            err,
        )),
    }
}

async fn set_active(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let active = form.get("active") == Some("true");
    crate::app::accounts::set_active(&state.store, id, active, &Actor::from(&me)).await?;
    Ok(Redirect::to("/admin/users").into_response())
}

/// Gives the user a new one-time password, shown once to the admin.
async fn reset_password(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let password = app::accounts::reset_password(&state.store, id, &Actor::from(&me)).await?;
    let user = state.store.user(id).await?;
    let mut page = form_page(
        &state,
        &me,
        Some(id),
        user.version,
        user.active,
        input_of(&user),
    )
    .await?;
    page.one_time_password = Some(password);
    Ok(render(&page))
}
