//! The API's sessions, the caller's own account and tokens, and user administration.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::parse_version;
use crate::app::accounts::create_user_with_one_time_password;
use crate::domain::audit::Actor;
use crate::domain::user::UserInput;
use crate::error::{AppError, AppResult};
use crate::security::new_token;
use crate::store::{ApiTokenSummary, UserSummary};
use crate::web::AppState;
use crate::web::auth::{
    Access, ClientAddress, CurrentUser, clear_session_cookie, log_in, roles, session_cookie,
};
use crate::web::extract::{ApiJson, Id};
use crate::web::openapi::{ApiRoutes, Created, NoContent, WithCookie};

pub fn routes() -> ApiRoutes {
    let admin = Access::Roles(roles::ADMIN);
    ApiRoutes::default()
        .post("/session", Access::Public, create_session)
        .describe("Logg inn med brukernavn og passord (setter sesjonskapselen)")
        .delete("/session", Access::Authenticated, delete_session)
        .describe("Logg ut (avslutter sesjonen)")
        .get("/me", Access::Authenticated, me)
        .describe("Den innloggede brukeren og rollene")
        .put("/me/password", Access::Authenticated, change_password)
        .describe("Bytt eget passord")
        .get("/me/tokens", Access::Authenticated, list_tokens)
        .describe("Egne API-nøkler")
        .post("/me/tokens", Access::Authenticated, create_token)
        .describe("Lag en API-nøkkel (hemmeligheten vises bare her)")
        .delete("/me/tokens/{id}", Access::Authenticated, revoke_token)
        .describe("Trekk tilbake en API-nøkkel")
        .get("/users", admin, list_users)
        .describe("Alle brukere")
        .post("/users", admin, create_user)
        .describe("Opprett en bruker med engangspassord")
        .get("/users/{id}", admin, get_user)
        .describe("Én bruker")
        .put("/users/{id}", admin, update_user)
        .describe("Endre en bruker (med versjonen du leste)")
        .post("/users/{id}/deactivate", admin, deactivate_user)
        .describe("Deaktiver en bruker (avslutter sesjoner og nøkler)")
        .post("/users/{id}/activate", admin, activate_user)
        .describe("Aktiver en bruker igjen")
        .post("/users/{id}/password", admin, reset_password)
        .describe("Gi brukeren et nytt engangspassord")
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The logged-in user.
#[derive(Serialize, JsonSchema)]
struct MeBody {
    id: i64,
    username: String,
    display_name: String,
    roles: Vec<crate::domain::user::Role>,
    organisation_id: Option<i64>,
    /// A one-time password must be changed (`PUT /me/password`) before anything else.
    must_change_password: bool,
}

impl MeBody {
    fn of(user: &crate::domain::user::Principal) -> Self {
        MeBody {
            id: user.user_id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            roles: user.roles.clone(),
            organisation_id: user.organisation_id,
            must_change_password: user.must_change_password,
        }
    }
}

/// `POST /api/v1/session` with `{"username", "password"}`: logs in and sets the cookie.
async fn create_session(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(credentials): ApiJson<Credentials>,
) -> AppResult<WithCookie<Json<MeBody>>> {
    let (principal, token) = log_in(
        &state,
        &credentials.username,
        &credentials.password,
        &address,
    )
    .await?;
    Ok(WithCookie {
        cookie: session_cookie(&token, &headers, &state.auth),
        answer: Json(MeBody::of(&principal)),
    })
}

async fn delete_session(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
) -> AppResult<WithCookie<NoContent>> {
    if let Some(hash) = session {
        state
            .store
            .delete_session(&hash, &Actor::from(&user))
            .await?;
    }
    Ok(WithCookie {
        cookie: clear_session_cookie(),
        answer: NoContent,
    })
}

async fn me(CurrentUser(user, _): CurrentUser) -> Json<MeBody> {
    Json(MeBody::of(&user))
}

#[derive(Deserialize, schemars::JsonSchema)]
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
) -> AppResult<NoContent> {
    let change = crate::app::accounts::PasswordChange {
        current: &body.current_password,
        new: &body.new_password,
        repeated: &body.new_password,
        revoke_tokens: body.revoke_tokens.unwrap_or(true),
    };
    crate::app::accounts::change_own_password(&state.store, &user, session.as_deref(), &change)
        .await?;
    Ok(NoContent)
}

async fn list_tokens(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
) -> AppResult<Json<Vec<ApiTokenSummary>>> {
    Ok(Json(state.store.api_tokens(user.user_id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct NewToken {
    #[serde(default)]
    name: String,
}

/// Creates a personal token; the answer is the only time the secret is shown.
async fn create_token(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> AppResult<Created<NewTokenBody>> {
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
    Ok(Created::at(
        format!("/api/v1/me/tokens/{id}"),
        NewTokenBody {
            id,
            name: name.to_string(),
            token,
        },
    ))
}

/// A new token; the only time its secret is shown.
#[derive(Serialize, JsonSchema)]
struct NewTokenBody {
    id: i64,
    name: String,
    /// The secret, for `Authorization: Bearer …`.
    token: String,
}

/// A user and the one-time password they log in with first; the only time it is shown.
#[derive(Serialize, JsonSchema)]
struct UserWithPassword {
    user: UserSummary,
    one_time_password: String,
}

async fn revoke_token(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<NoContent> {
    state
        .store
        .revoke_api_token(user.user_id, id, &Actor::from(&user))
        .await?;
    Ok(NoContent)
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
) -> AppResult<Created<UserWithPassword>> {
    let (id, password) =
        create_user_with_one_time_password(&state.store, &input, &Actor::from(&me)).await?;
    let user = state.store.user(id).await?;
    Ok(Created::at(
        format!("/api/v1/users/{id}"),
        UserWithPassword {
            user,
            one_time_password: password,
        },
    ))
}

#[derive(Deserialize, schemars::JsonSchema)]
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
) -> AppResult<Json<UserWithPassword>> {
    let password =
        crate::app::accounts::reset_password(&state.store, id, &Actor::from(&me)).await?;
    let user = state.store.user(id).await?;
    Ok(Json(UserWithPassword {
        user,
        one_time_password: password,
    }))
}
