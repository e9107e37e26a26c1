//! HTTP: the pages (askama, Norwegian), the JSON API under `/api/v1`, static assets and
//! the health check. Handlers are thin: they parse input, call `app` for every change (and
//! `app::visibility` or the store for reads), and render. Every route is registered with the access it requires ([`auth::Routes`]).

mod allocation_views;
mod api;
mod assets;
pub mod auth;
mod charts;
pub mod csrf;
mod extract;
mod followup_files;
mod observe;
mod openapi;
mod pages;
pub mod report;
mod response_cache;
mod responses;
mod upload_form;
mod views;

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use auth::{Access, AuthSettings, RouteInfo};

use crate::store::Store;
use auth::Routes;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Started with `--demo`: pages say that demo data is shown, and the login page
    /// lists the demo users.
    pub demo_mode: bool,
    pub auth: AuthSettings,
    pub uploads: crate::app::uploads::UploadSettings,
    /// Where SSB's API is, for «Hent fra SSB».
    pub ssb: crate::app::ssb::SsbSettings,
    /// GET answers kept while nothing changes; shared by the clones of one app.
    pub response_cache: std::sync::Arc<response_cache::ResponseCache>,
    /// How the outbox is sent (the worker runs beside the server).
    pub mail: crate::app::outbox::MailSettings,
    /// When set, `/metrics` answers only `Authorization: Bearer` with this token.
    pub metrics_token: Option<std::sync::Arc<str>>,
    /// Single sign-on providers (none: only passwords).
    pub sso: crate::app::sso::SsoSettings,
}

impl AppState {
    pub fn new(store: Store, demo_mode: bool) -> Self {
        AppState {
            store,
            demo_mode,
            auth: AuthSettings::default(),
            uploads: crate::app::uploads::UploadSettings::default(),
            ssb: crate::app::ssb::SsbSettings::default(),
            response_cache: Default::default(),
            mail: crate::app::outbox::MailSettings::default(),
            metrics_token: None,
            sso: Default::default(),
        }
    }

    pub fn with_sso(mut self, sso: crate::app::sso::SsoSettings) -> Self {
        self.sso = sso;
        self
    }

    pub fn with_metrics_token(mut self, token: Option<String>) -> Self {
        self.metrics_token = token.filter(|t| !t.is_empty()).map(std::sync::Arc::from);
        self
    }

    pub fn with_mail(mut self, settings: crate::app::outbox::MailSettings) -> Self {
        self.mail = settings;
        self
    }

    /// Tells the outbox worker that mail was queued.
    pub fn wake_outbox(&self) {
        self.mail.wake.notify_one();
    }

    /// An SMTP server is configured (otherwise mail is only recorded).
    pub fn mail_configured(&self) -> bool {
        self.mail.mailer.is_some()
    }

    pub fn with_ssb(mut self, settings: crate::app::ssb::SsbSettings) -> Self {
        self.ssb = settings;
        self
    }

    pub fn with_uploads(mut self, settings: crate::app::uploads::UploadSettings) -> Self {
        self.uploads = settings;
        self
    }

    /// Keeps at most `max_bytes` of GET answers (0: none).
    pub fn with_response_cache(mut self, max_bytes: usize) -> Self {
        self.response_cache = std::sync::Arc::new(response_cache::ResponseCache::new(max_bytes));
        self
    }

    pub fn with_auth(mut self, auth: AuthSettings) -> Self {
        self.auth = auth;
        self
    }
}

/// Every route with its access rule.
fn routes() -> Routes {
    Routes::default()
        .get("/healthz", Access::Public, healthz)
        .get("/readyz", Access::Public, readyz)
        .get("/metrics", Access::Public, metrics)
        .get("/static/{*path}", Access::Public, assets::serve)
        .get("/favicon.ico", Access::Public, assets::favicon)
        .merge(pages::routes())
        .nest(
            openapi::API_PREFIX,
            api::routes().merge(
                openapi::ApiRoutes::default()
                    .get("/openapi.json", Access::Public, openapi::serve)
                    .describe("Dette dokumentet (OpenAPI 3.1)"),
            ),
        )
}

/// The table of every route and who may use it; the access test walks it.
pub fn route_table() -> Vec<RouteInfo> {
    routes().into_parts().1
}

/// The whole application as one router.
pub fn app(state: AppState) -> Router {
    let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
               form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
    let (router, _) = routes().into_parts();
    router
        .nest("/api/v1", Router::new().fallback(api::not_found))
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            response_cache::serve,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::identify,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(middleware::from_fn(pages_render_errors_as_html))
        .layer(middleware::from_fn(no_store_and_hsts))
        // Uploads are checked against their own (configurable) limit; this only stops
        // bodies no upload could ever be.
        .layer(RequestBodyLimitLayer::new(
            state.uploads.limits.max_file_bytes + 1024 * 1024,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(middleware::from_fn(observe::observe))
        .with_state(state)
}

/// Personal pages, API answers and downloads are never kept by a browser or a proxy
/// (`Cache-Control: no-store`); only the static assets may be. Over HTTPS (as the proxy
/// says) the browser is told to use HTTPS from now on.
async fn no_store_and_hsts(request: Request, next: Next) -> Response {
    let cacheable = request.uri().path().starts_with("/static/");
    let https = auth::came_over_https(request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Errors outside the API are shown as an HTML page; the API keeps its JSON.
async fn pages_render_errors_as_html(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if api {
        response
    } else {
        pages::html_errors(response).await
    }
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ok".into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "databasen svarer ikke").into_response()
        }
    }
}

/// 200 when this instance can serve: the database answers and has every migration this
/// program carries. A load balancer sends traffic only to ready instances; during an
/// upgrade, instances of the new version are not ready until one of them has migrated.
async fn readyz(State(state): State<AppState>) -> Response {
    let unavailable = |text: String| (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
    if let Err(err) = state.store.ping().await {
        tracing::error!(error = ?err, "readiness: database does not answer");
        return unavailable("ikke klar: databasen svarer ikke".into());
    }
    match state.store.pending_migrations().await {
        Ok(pending) if pending.is_empty() => "klar".into_response(),
        Ok(pending) => unavailable(format!(
            "ikke klar: {} migrering(er) er ikke kjørt ({})",
            pending.len(),
            pending
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(err) => {
            tracing::error!(error = ?err, "readiness: migrations cannot be read");
            unavailable("ikke klar: databasen er ikke migrert".into())
        }
    }
}

/// Prometheus metrics of this instance (see [`crate::metrics`]).
async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(expected) = &state.metrics_token {
        let given = auth::bearer_token(&headers).unwrap_or_default();
        // Digests are compared, so the time taken says nothing about the token.
        if crate::security::token_hash(&given) != crate::security::token_hash(expected) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrikkene krever --metrics-token",
            )
                .into_response();
        }
    }
    let (open, idle, max) = state.store.pool_use();
    let gauges = crate::metrics::Gauges {
        outbox_backlog: state.store.outbox_backlog().await.ok(),
        outbox_failed: state.store.outbox_failed().await.ok(),
        pool_open: i64::from(open),
        pool_idle: i64::try_from(idle).unwrap_or(i64::MAX),
        pool_max: i64::from(max),
    };
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::render(&gauges),
    )
        .into_response()
}
