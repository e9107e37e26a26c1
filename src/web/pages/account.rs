//! Logging in and out, and «Min side»: one's own password and API tokens.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, render};
use crate::app::accounts::{PasswordChange, change_own_password};
use crate::domain::audit::Actor;
use crate::domain::user::Principal;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::security::new_token;
use crate::store::ApiTokenSummary;
use crate::web::AppState;
use crate::web::allocation_views::local_time;
use crate::web::auth::{
    Access, CurrentUser, MaybeUser, Routes, clear_session_cookie, client_address, log_in,
    session_cookie,
};
use crate::web::extract::QueryParams;
use crate::web::extract::{FormFields, Id};

pub fn routes() -> Routes {
    Routes::default()
        .get("/login", Access::Public, login_page)
        .post("/login", Access::Public, login)
        .post("/logout", Access::Authenticated, logout)
        .get("/login/oidc", Access::Public, sso_start)
        .get("/login/oidc/callback", Access::Public, sso_callback)
        .get("/meg", Access::Authenticated, account_page)
        .post("/meg/passord", Access::Authenticated, change_password)
        .post("/meg/tokens", Access::Authenticated, create_token)
        .post(
            "/meg/tokens/{id}/revoke",
            Access::Authenticated,
            revoke_token,
        )
}

/// The demo accounts, listed on the login page only when the app runs with `--demo`.
pub const DEMO_USERS: [(&str, &str); 6] = [
    ("admin", "administrator"),
    ("saksbehandler", "saksbehandler"),
    ("godkjenner", "godkjenner (og saksbehandler)"),
    ("leser", "lesetilgang"),
    ("trondheim", "kommunebruker for Trondheim"),
    ("fosenhelse", "kommunebruker for Fosen helse (IKS)"),
];

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    errors: FieldErrors,
    message: Option<String>,
    demo_users: Vec<(&'static str, &'static str)>,
    /// Single sign-on: index and label of each provider.
    providers: Vec<(usize, String)>,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct LoginQuery {
    neste: Option<String>,
}

/// Only a path on this site is followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    next.and_then(crate::domain::validation::local_path)
        .unwrap_or("/")
        .to_string()
}

fn login_form(state: &AppState, username: String, next: String) -> LoginPage {
    LoginPage {
        layout: Layout::anonymous(state),
        username,
        next,
        errors: FieldErrors::new(),
        message: None,
        demo_users: if state.demo_mode {
            DEMO_USERS.to_vec()
        } else {
            Vec::new()
        },
        providers: state.sso.buttons(),
    }
}

/// Where providers send the user back: this site's origin and the callback's path.
fn sso_redirect_uri(state: &AppState, headers: &axum::http::HeaderMap) -> AppResult<String> {
    let origin = crate::web::csrf::own_origin(headers, None, &state.auth).ok_or_else(|| {
        AppError::BadRequest("Forespørselen mangler Host; kan ikke logge inn.".into())
    })?;
    Ok(format!("{origin}/login/oidc/callback"))
}

#[derive(Deserialize)]
struct SsoStartQuery {
    tjeneste: Option<String>,
    neste: Option<String>,
}

/// `GET /login/oidc?tjeneste=N&neste=/sti`: to the provider's login.
async fn sso_start(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    QueryParams(query): QueryParams<SsoStartQuery>,
) -> AppResult<Response> {
    let index = query
        .tjeneste
        .as_deref()
        .unwrap_or("0")
        .trim()
        .parse::<usize>()
        .map_err(|_| AppError::NotFound("Ukjent innloggingstjeneste.".into()))?;
    let next = safe_next(query.neste.as_deref());
    let redirect_uri = sso_redirect_uri(&state, &headers)?;
    let url = crate::app::sso::start(&state.store, &state.sso, index, &redirect_uri, &next).await?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(Deserialize)]
struct SsoCallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /login/oidc/callback?code&state`: the provider's answer; a session like a
/// password login's, or a page saying why not (and no session).
async fn sso_callback(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    QueryParams(query): QueryParams<SsoCallbackQuery>,
) -> Response {
    let outcome = async {
        let login_state = query.state.as_deref().unwrap_or_default();
        if let Some(error) = &query.error {
            // Cancelled or refused at the provider: the login under way ends here.
            state
                .store
                .take_sso_login(&crate::security::token_hash(login_state))
                .await?;
            tracing::info!(error, description = ?query.error_description, "single sign-on ended at the provider");
            return Err(AppError::Forbidden(
                "Innloggingen ble avbrutt hos innloggingstjenesten. Du er ikke logget inn.".into(),
            ));
        }
        let code = query.code.as_deref().unwrap_or_default();
        if code.is_empty() || login_state.is_empty() {
            return Err(AppError::BadRequest(
                "Svaret fra innloggingstjenesten mangler code eller state.".into(),
            ));
        }
        let redirect_uri = sso_redirect_uri(&state, &headers)?;
        crate::app::sso::finish(&state.store, &state.sso, &redirect_uri, code, login_state).await
    }
    .await;
    match outcome {
        Ok(login) => {
            let mut response = Redirect::to(&login.next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&login.session_token, &headers, &state.auth),
            );
            response
        }
        Err(err @ (AppError::Forbidden(_) | AppError::BadRequest(_) | AppError::BadGateway(_))) => {
            let status = err.status();
            let mut page = login_form(&state, String::new(), "/".into());
            page.message = Some(err.message());
            (status, render(&page)).into_response()
        }
        Err(other) => other.into_response(),
    }
}

async fn login_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    QueryParams(query): QueryParams<LoginQuery>,
) -> Response {
    let next = safe_next(query.neste.as_deref());
    if user.is_some() {
        return Redirect::to(&next).into_response();
    }
    render(&login_form(&state, String::new(), next))
}

async fn login(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let address = client_address(request.extensions());
    let headers = request.headers().clone();
    let form =
        match <FormFields as axum::extract::FromRequest<AppState>>::from_request(request, &state)
            .await
        {
            Ok(form) => form,
            Err(err) => return err.into_response(),
        };
    let username = form.text("username");
    let next = safe_next(form.get("neste"));
    match log_in(&state, &username, &form.text("password"), &address).await {
        Ok((_, token)) => {
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&token, &headers, &state.auth),
            );
            response
        }
        Err(err) => {
            let status = err.status();
            let mut page = login_form(&state, username, next);
            match err {
                AppError::Invalid(errors) => page.errors = errors,
                AppError::Unauthorized(m)
                | AppError::Forbidden(m)
                | AppError::TooManyRequests(m) => page.message = Some(m),
                other => return other.into_response(),
            }
            (status, render(&page)).into_response()
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    CurrentUser(user, session): CurrentUser,
) -> AppResult<Response> {
    let mut provider_logout = None;
    if let Some(hash) = session {
        // A session opened through a provider ends there too, where it says how.
        if let Some(sso) = state.store.sso_session(&hash).await?
            && let Some(origin) = crate::web::csrf::own_origin(&headers, None, &state.auth)
            && let Some(logout) = crate::app::sso::logout_url(
                &state.sso,
                &sso.sso_issuer,
                &sso.sso_id_token,
                &format!("{origin}/login"),
            )
            .await
        {
            provider_logout = Some(logout);
        }
        state
            .store
            .delete_session(&hash, &Actor::from(&user))
            .await?;
    }
    // To the provider by a page, not a redirect: the logout form's redirect may only go
    // to this site (the Content-Security-Policy's form-action).
    let mut response = match provider_logout {
        Some((provider, url)) => render(&LoggedOutPage {
            layout: Layout::anonymous(&state),
            provider,
            provider_logout: url,
        }),
        None => Redirect::to("/login").into_response(),
    };
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie());
    Ok(response)
}

/// After logging out of a session opened through a provider: on to the provider's logout.
#[derive(Template)]
#[template(path = "account/logged_out.html")]
struct LoggedOutPage {
    layout: Layout,
    provider: String,
    provider_logout: String,
}

#[derive(Template)]
#[template(path = "account/me.html")]
struct AccountPage {
    layout: Layout,
    user: Principal,
    organisation: Option<String>,
    must_change: bool,
    password_errors: FieldErrors,
    password_changed: bool,
    tokens: Vec<TokenLine>,
    new_token: Option<String>,
    token_errors: FieldErrors,
}

struct TokenLine {
    token: ApiTokenSummary,
    created: String,
    last_used: String,
}

async fn account_page_for(state: &AppState, user: &Principal) -> AppResult<AccountPage> {
    let summary = state.store.user(user.user_id).await?;
    let tokens = state
        .store
        .api_tokens(user.user_id)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            created: local_time(t.created_at),
            last_used: t
                .last_used_at
                .map(local_time)
                .unwrap_or_else(|| "aldri".into()),
            token: t,
        })
        .collect();
    Ok(AccountPage {
        layout: Layout::new(state, user, "meg"),
        user: user.clone(),
        organisation: summary.organisation_name,
        must_change: summary.must_change_password,
        password_errors: FieldErrors::new(),
        password_changed: false,
        tokens,
        new_token: None,
        token_errors: FieldErrors::new(),
    })
}

#[derive(Deserialize, schemars::JsonSchema)]
struct AccountQuery {
    passord_endret: Option<String>,
}

async fn account_page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    QueryParams(query): QueryParams<AccountQuery>,
) -> AppResult<Response> {
    let mut page = account_page_for(&state, &user).await?;
    page.password_changed = query.passord_endret.is_some();
    Ok(render(&page))
}

async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    form: FormFields,
) -> AppResult<Response> {
    let (current, new, repeated) = (
        form.text("current_password"),
        form.text("new_password"),
        form.text("repeat_password"),
    );
    let change = PasswordChange {
        current: &current,
        new: &new,
        repeated: &repeated,
        // A checkbox, checked by default: absent means the user unticked it.
        revoke_tokens: form.get("revoke_tokens").is_some(),
    };
    let result = change_own_password(&state.store, &user, session.as_deref(), &change).await;
    match result {
        Ok(()) => Ok(Redirect::to("/meg?passord_endret=1").into_response()),
        Err(AppError::Invalid(errors)) => {
            let mut page = account_page_for(&state, &user).await?;
            page.password_errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(other) => Err(other),
    }
}

/// Creates a personal API token and shows it once.
async fn create_token(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    form: FormFields,
) -> AppResult<Response> {
    let name = form.text("name").trim().to_string();
    let mut page = account_page_for(&state, &user).await?;
    if name.is_empty() || name.chars().count() > 100 {
        page.token_errors.add(
            "name",
            "Gi nøkkelen et navn (høyst 100 tegn), f.eks. «Rapportskript».",
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let (token, hash) = new_token("tsk_")?;
    state
        .store
        .create_api_token(user.user_id, &name, &hash, &Actor::from(&user))
        .await?;
    let mut page = account_page_for(&state, &user).await?;
    page.new_token = Some(token);
    Ok(render(&page))
}

async fn revoke_token(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    state
        .store
        .revoke_api_token(user.user_id, id, &Actor::from(&user))
        .await?;
    Ok(Redirect::to("/meg").into_response())
}
