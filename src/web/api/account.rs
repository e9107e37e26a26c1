//! The API's sessions, the caller's own account and tokens, and user administration.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::parse_version;
use crate::app::accounts::create_user_with_one_time_password;
use crate::domain::audit::Actor;
use crate::domain::user::UserInput;
use crate::error::{AppError, AppResult};
use crate::security::new_token;
use crate::store::{ApiTokenSummary, UserSummary};
use crate::web::AppState;
use crate::web::auth::{
    Access, CurrentUser, Routes, clear_session_cookie, client_address, log_in, roles,
    session_cookie,
};
use crate::web::extract::{ApiJson, Id};

pub fn routes() -> Routes {
    let admin = Access::Roles(roles::ADMIN);
    Routes::default()
        .post("/session", Access::Public, create_session)
        .delete("/session", Access::Authenticated, delete_session)
        .get("/me", Access::Authenticated, me)
        .put("/me/password", Access::Authenticated, change_password)
        .get("/me/tokens", Access::Authenticated, list_tokens)
        .post("/me/tokens", Access::Authenticated, create_token)
        .delete("/me/tokens/{id}", Access::Authenticated, revoke_token)
        .get("/users", admin, list_users)
        .post("/users", admin, create_user)
        .get("/users/{id}", admin, get_user)
        .put("/users/{id}", admin, update_user)
        .post("/users/{id}/deactivate", admin, deactivate_user)
        .post("/users/{id}/activate", admin, activate_user)
        .post("/users/{id}/password", admin, reset_password)
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn me_body(user: &crate::domain::user::Principal) -> serde_json::Value {
    json!({
        "id": user.user_id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": user.roles,
        "organisation_id": user.organisation_id,
        "must_change_password": user.must_change_password,
    })
}

/// `POST /api/v1/session` with `{"username", "password"}`: logs in and sets the cookie.
async fn create_session(State(state): State<AppState>, request: Request) -> AppResult<Response> {
    let address = client_address(request.extensions());
    let headers = request.headers().clone();
    let ApiJson(credentials) =
        <ApiJson<Credentials> as axum::extract::FromRequest<AppState>>::from_request(
            request, &state,
        )
        .await?;
    let (principal, token) = log_in(
        &state,
        &credentials.username,
        &credentials.password,
        &address,
    )
    .await?;
    let mut response = Json(me_body(&principal)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, &headers, &state.auth),
    );
    Ok(response)
}

async fn delete_session(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
) -> AppResult<Response> {
    if let Some(hash) = session {
        state
            .store
            .delete_session(&hash, &Actor::from(&user))
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie());
    Ok(response)
}

async fn me(CurrentUser(user, _): CurrentUser) -> Json<serde_json::Value> {
    Json(me_body(&user))
}

#[derive(Deserialize)]
struct PasswordChange {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    /// Revoke the user's API tokens too; on unless `false`.
    #[serde(default)]
    revoke_tokens: Option<bool>,
}

async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> AppResult<StatusCode> {
    let change = crate::app::accounts::PasswordChange {
        current: &body.current_password,
        new: &body.new_password,
        repeated: &body.new_password,
        revoke_tokens: body.revoke_tokens.unwrap_or(true),
    };
    crate::app::accounts::change_own_password(&state.store, &user, session.as_deref(), &change)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tokens(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
) -> AppResult<Json<Vec<ApiTokenSummary>>> {
    Ok(Json(state.store.api_tokens(user.user_id).await?))
}

#[derive(Deserialize)]
struct NewToken {
    #[serde(default)]
    name: String,
}

/// Creates a personal token; the answer is the only time the secret is shown.
async fn create_token(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> AppResult<Response> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "Gi nøkkelen et navn (høyst 100 tegn).",
        ));
    }
    let (token, hash) = new_token("tsk_")?;
    let id = state
        .store
        .create_api_token(user.user_id, name, &hash, &Actor::from(&user))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "name": name, "token": token })),
    )
        .into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<StatusCode> {
    state
        .store
        .revoke_api_token(user.user_id, id, &Actor::from(&user))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_users(State(state): State<AppState>) -> AppResult<Json<Vec<UserSummary>>> {
    Ok(Json(state.store.list_users().await?))
}

async fn get_user(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<UserSummary>> {
    Ok(Json(state.store.user(id).await?))
}

/// Creates a user; the answer carries the one-time password, shown only here.
async fn create_user(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    ApiJson(input): ApiJson<UserInput>,
) -> AppResult<Response> {
    let (id, password) =
        create_user_with_one_time_password(&state.store, &input, &Actor::from(&me)).await?;
    let user = state.store.user(id).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/users/{id}"))],
        Json(json!({ "user": user, "one_time_password": password })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct UserUpdate {
    #[serde(flatten)]
    input: UserInput,
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::text_or_integer"
    )]
    version: String,
}

async fn update_user(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Id(id): Id,
    ApiJson(update): ApiJson<UserUpdate>,
) -> AppResult<Json<UserSummary>> {
    let version = parse_version(&update.version)?;
    crate::app::accounts::update_user(&state.store, id, &update.input, version, &Actor::from(&me))
        .await?;
    Ok(Json(state.store.user(id).await?))
}

async fn deactivate_user(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<UserSummary>> {
    crate::app::accounts::set_active(&state.store, id, false, &Actor::from(&me)).await?;
    Ok(Json(state.store.user(id).await?))
}

async fn activate_user(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<UserSummary>> {
    crate::app::accounts::set_active(&state.store, id, true, &Actor::from(&me)).await?;
    Ok(Json(state.store.user(id).await?))
}

/// `POST /api/v1/users/{id}/password`: a new one-time password (answered once), to be
/// changed at next login; every session and API token of the user ends.
async fn reset_password(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<serde_json::Value>> {
    let password =
        crate::app::accounts::reset_password(&state.store, id, &Actor::from(&me)).await?;
    let user = state.store.user(id).await?;
    Ok(Json(json!({ "user": user, "one_time_password": password })))
}
