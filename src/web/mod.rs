//! HTTP: the pages (askama, Norwegian), the JSON API under `/api/v1`, static assets and
//! the health check. Handlers are thin: they parse input, call the domain and the store,
//! and render.

mod api;
mod assets;
mod extract;
mod pages;
mod views;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::AppResult;
use crate::store::Store;

/// Who the audit log names for changes made through the web until users log in.
pub const ANONYMOUS_ACTOR: &str = "ikke innlogget";

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Started with `--demo`: pages say that demo data is shown.
    pub demo_mode: bool,
}

impl AppState {
    pub fn new(store: Store, demo_mode: bool) -> Self {
        AppState { store, demo_mode }
    }
}

/// The whole application as one router.
pub fn app(state: AppState) -> Router {
    let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
               form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route("/healthz", get(healthz))
        .route("/static/{*path}", get(assets::serve))
        .fallback(pages::not_found)
        .layer(RequestBodyLimitLayer::new(2 * 1024 * 1024))
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
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> AppResult<&'static str> {
    state.store.ping().await?;
    Ok("ok")
}
