//! Who is asking, and may they: sessions (a cookie holding a random token whose hash is
//! in the database), personal API tokens (`Authorization: Bearer …`), and the access rule
//! every route is registered with.

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, on};
use chrono::Duration;

use super::AppState;
use crate::domain::user::{Principal, Role};
use crate::error::AppError;
use crate::security::token_hash;

pub const SESSION_COOKIE: &str = "tilskudd_session";

/// Settings for sessions and cookies.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session ends after this long without requests.
    pub session_idle: Duration,
    /// Always mark the cookie Secure (behind a TLS proxy that does not say
    /// `X-Forwarded-Proto: https`).
    pub force_secure_cookie: bool,
    /// The address users reach the app at (`https://host[:port]`), as the proxy in front
    /// of it is reached. Without it the request's `Host` is taken, with `https` when the
    /// cookie is Secure. A state change whose `Origin` differs is refused.
    pub public_origin: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_idle: Duration::hours(8),
            force_secure_cookie: false,
            public_origin: None,
        }
    }
}

/// The authenticated caller, put into the request by [`identify`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The session token's hash, when the caller came with the session cookie.
    pub session: Option<String>,
    /// The data version the request began at (see [`crate::store::Caller`]).
    pub data_version: i64,
}

pub(super) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Middleware: finds the caller from the bearer token or the session cookie.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let lookup = async {
        if let Some(token) = bearer_token(headers) {
            let found = state.store.api_token_caller(&token_hash(&token)).await?;
            return Ok::<_, AppError>(found.map(|found| (found, None)));
        }
        if let Some(token) = cookie_value(headers, SESSION_COOKIE) {
            let hash = token_hash(&token);
            let found = state
                .store
                .session_caller(&hash, state.auth.session_idle)
                .await?;
            return Ok(found.map(|found| (found, Some(hash))));
        }
        Ok(None)
    };
    let caller = match lookup.await {
        Ok(found) => found.map(|(found, session)| Caller {
            principal: found.principal,
            session,
            data_version: found.data_version,
        }),
        Err(err) => return err.into_response(),
    };
    let principal = caller.as_ref().map(|c| c.principal.clone());
    if let Some(caller) = caller {
        super::observe::record_user(caller.principal.user_id);
        request.extensions_mut().insert(caller);
    }
    let mut response = next.run(request).await;
    // An error page is rendered further out; it shows the menu of whoever is logged in.
    if let Some(principal) = principal
        && response
            .extensions()
            .get::<crate::error::ErrorBody>()
            .is_some()
    {
        response.extensions_mut().insert(principal);
    }
    response
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Who may use a route. Every route is registered with one (see [`Routes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user.
    Authenticated,
    /// A logged-in user with one of these roles.
    Roles(&'static [Role]),
}

/// Refuses the request unless the caller satisfies `access`: pages send an anonymous
/// visitor to the login page, the API answers 401; a wrong role gets 403.
async fn check_access(access: Access, request: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    // Inside the nested API router the path has lost its prefix; the original has it.
    let original = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.0.clone())
        .unwrap_or_else(|| request.uri().clone());
    let path = original.path().to_string();
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        if is_api(&path) {
            return AppError::Unauthorized(
                "Du må logge inn (sesjonskapsel eller Authorization: Bearer <API-nøkkel>).".into(),
            )
            .into_response();
        }
        let target = original
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let next_param = serde_urlencoded::to_string([("neste", target)]).unwrap_or_default();
        return Redirect::to(&format!("/login?{next_param}")).into_response();
    };
    let principal = &caller.principal;
    // With a one-time password only the password change (and logging out) is open: no
    // API token is made before the user has chosen their own password.
    let open_while_changing = matches!(
        path.as_str(),
        "/meg"
            | "/meg/passord"
            | "/logout"
            | "/api/v1/me"
            | "/api/v1/me/password"
            | "/api/v1/session"
    );
    if principal.must_change_password && !open_while_changing {
        if is_api(&path) {
            return AppError::Forbidden(
                "Du må bytte det midlertidige passordet før du kan bruke tjenesten.".into(),
            )
            .into_response();
        }
        if !is_api(&path) {
            return Redirect::to("/meg?bytt_passord=1").into_response();
        }
    }
    if let Access::Roles(roles) = access
        && !principal.has_any(roles)
    {
        return AppError::Forbidden(format!(
            "Du har ikke tilgang til dette. Det krever rollen {}.",
            roles
                .iter()
                .map(|r| r.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(" eller ")
        ))
        .into_response();
    }
    next.run(request).await
}

/// The logged-in user, in a handler of a route that is not public.
pub struct CurrentUser(pub Principal, pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .map(|c| CurrentUser(c.principal.clone(), c.session.clone()))
            .ok_or_else(|| AppError::Unauthorized("Du må logge inn.".into()))
    }
}

/// The user if someone is logged in (for public pages such as the login page).
pub struct MaybeUser(pub Option<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(
            parts
                .extensions
                .get::<Caller>()
                .map(|c| c.principal.clone()),
        ))
    }
}

/// One registered route, for the access test that walks them all.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: Method,
    pub path: String,
    pub access: Access,
    /// How the route appears in the API's document (API routes only).
    pub operation: Option<super::openapi::OperationFn>,
    /// The API document's one-line summary of the route (Norwegian).
    pub summary: Option<&'static str>,
}

/// Builds a router in which every route states who may use it. The table of routes
/// ([`RouteInfo`]) lets a test check each one, so a route cannot be added unchecked.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }
}

macro_rules! route_methods {
    ($($name:ident => $method:ident),*) => {
        $(
            pub fn $name<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
            where
                H: Handler<T, AppState>,
                T: 'static,
            {
                self.add(Method::$method, path, access, on(axum::routing::MethodFilter::$method, handler), None)
            }
        )*
    };
}

impl Routes {
    route_methods!(get => GET, post => POST, put => PUT, delete => DELETE);

    pub(super) fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        method_router: MethodRouter<AppState>,
        operation: Option<super::openapi::OperationFn>,
    ) -> Self {
        let guarded = method_router.layer(middleware::from_fn(move |req: Request, next: Next| {
            check_access(access, req, next)
        }));
        self.router = self.router.route(path, guarded);
        self.table.push(RouteInfo {
            method,
            path: path.to_string(),
            access,
            operation,
            summary: None,
        });
        self
    }

    /// Sets the summary of the route added last.
    pub(super) fn describe_last(mut self, summary: &'static str) -> Self {
        if let Some(route) = self.table.last_mut() {
            route.summary = Some(summary);
        }
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// Prefixes every path (for nesting the API under `/api/v1`).
    pub fn nest(mut self, prefix: &'static str, other: impl Into<Routes>) -> Self {
        let other = other.into();
        self.router = self.router.nest(prefix, other.router);
        self.table.extend(other.table.into_iter().map(|mut r| {
            r.path = format!("{prefix}{}", r.path);
            r
        }));
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}

/// The `Set-Cookie` value for a new session: HttpOnly, SameSite=Lax, Path=/, and Secure
/// when the request came over HTTPS (directly or through a proxy that says so).
pub fn session_cookie(token: &str, headers: &HeaderMap, settings: &AuthSettings) -> HeaderValue {
    let secure = settings.force_secure_cookie || came_over_https(headers);
    let value = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static("tilskudd_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

pub(super) fn came_over_https(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    forwarded_proto || forwarded
}

/// The client's address for login throttling, as an extractor (see [`client_address`]).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(&parts.extensions)))
    }
}

/// The client's address for login throttling: the TCP peer when the server knows it.
pub fn client_address(parts: &axum::http::Extensions) -> String {
    parts
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "ukjent adresse".into())
}

/// Roles per kind of action, used when routes are registered.
pub mod roles {
    use crate::domain::user::Role;

    /// Everyone with an account reads rounds; a kommune user sees only its own cases.
    pub const ALL: &[Role] = &Role::ALL;
    /// Officers: rounds, registering on behalf of applicants, allocation.
    pub const OFFICER: &[Role] = &[Role::Saksbehandler];
    /// Starting an application: an officer on behalf of anyone, a kommune for itself.
    pub const APPLICANT_OR_OFFICER: &[Role] = &[Role::Saksbehandler, Role::Kommune];
    /// Applicants' own drafts.
    pub const APPLICANT: &[Role] = &[Role::Kommune];
    /// The audit log.
    pub const AUDIT: &[Role] = &[Role::Admin, Role::Saksbehandler];
    /// Users and organisations.
    pub const ADMIN: &[Role] = &[Role::Admin];
    /// Reading what only the office sees: scenarios, decisions, assessments.
    pub const OFFICE: &[Role] = crate::domain::user::OFFICE_ROLES;
    /// Approving or returning a proposed decision (the second pair of eyes).
    pub const APPROVER: &[Role] = &[Role::Godkjenner];
    /// Declaring impartiality: officers assess, approvers approve; both must be impartial.
    pub const DECLARES_IMPARTIALITY: &[Role] = &[Role::Saksbehandler, Role::Godkjenner];
}

/// Checks a login and opens a session: throttled per username and per address, every
/// attempt recorded and audited. Returns the user and the session token (for the cookie).
pub async fn log_in(
    state: &AppState,
    login: &str,
    password: &str,
    address: &str,
) -> Result<(Principal, String), AppError> {
    use crate::domain::user::{THROTTLE_WINDOW_MINUTES, login_throttled};
    use crate::store::LoginOutcome;

    let login = login.trim();
    // A NUL is refused before it reaches the database (PostgreSQL cannot store it).
    for (field, label, text) in [
        ("username", "Brukernavn", login),
        ("password", "Passordet", password),
    ] {
        if let Some(c) = crate::domain::validation::forbidden_char(text, true) {
            return Err(AppError::invalid(
                field,
                crate::domain::validation::forbidden_char_message(label, c),
            ));
        }
    }
    if login.is_empty() || password.is_empty() {
        let mut errors = crate::domain::FieldErrors::new();
        if login.is_empty() {
            errors.add("username", "Skriv brukernavn eller e-post.");
        }
        if password.is_empty() {
            errors.add("password", "Skriv passordet.");
        }
        return Err(AppError::Invalid(errors));
    }
    let since = chrono::Utc::now() - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    // Counted per account, whether the username or the e-mail address was typed.
    let candidate = state.store.login_candidate(login).await?;
    let account = match &candidate {
        Some(c) => format!("user:{}", c.id),
        None => format!("login:{}", login.trim().to_lowercase()),
    };
    let claim = state
        .store
        .claim_login_attempt(&account, login, address, since)
        .await?;
    let user_id = candidate.as_ref().map(|c| c.id);
    if login_throttled(claim.failures_for_account, claim.failures_for_address) {
        state
            .store
            .settle_login_attempt(&claim, login, address, LoginOutcome::Throttled, user_id)
            .await?;
        return Err(AppError::TooManyRequests(format!(
            "For mange mislykkede innlogginger. Vent {THROTTLE_WINDOW_MINUTES} minutter og prøv igjen."
        )));
    }
    let password_owned = password.to_string();
    let verified = match &candidate {
        Some(c) => {
            let hash = c.password_hash.clone();
            tokio::task::spawn_blocking(move || {
                crate::security::verify_password(&password_owned, &hash)
            })
            .await
            .unwrap_or(false)
        }
        None => {
            tokio::task::spawn_blocking(move || {
                crate::security::burn_password_check(&password_owned)
            })
            .await
            .ok();
            false
        }
    };
    let wrong = || AppError::Unauthorized("Feil brukernavn eller passord.".into());
    // A deactivated user is answered as a wrong password, so the answer tells nothing
    // about the account.
    let Some(candidate) = candidate.filter(|c| verified && c.active) else {
        state
            .store
            .settle_login_attempt(&claim, login, address, LoginOutcome::Failed, user_id)
            .await?;
        return Err(wrong());
    };
    let principal = state
        .store
        .principal(candidate.id)
        .await?
        .ok_or_else(wrong)?;
    let (token, hash) = crate::security::new_token("")?;
    state.store.create_session(candidate.id, &hash).await?;
    state
        .store
        .settle_login_attempt(
            &claim,
            &candidate.username,
            address,
            LoginOutcome::Succeeded,
            Some(candidate.id),
        )
        .await?;
    Ok((principal, token))
}
