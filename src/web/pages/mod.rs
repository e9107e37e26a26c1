//! Server-rendered pages in Norwegian bokmål, usable without JavaScript.

pub mod applications;
pub mod municipalities;
pub mod rounds;
pub mod statistics;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use super::AppState;
use crate::error::{AppError, ErrorBody};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/rounds") }))
        .merge(rounds::routes())
        .merge(applications::routes())
        .merge(municipalities::routes())
        .merge(statistics::routes())
        .layer(middleware::map_response(html_errors))
}

/// What every page's layout needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub demo_mode: bool,
    /// The nav entry to mark as current: `runder`, `kommuner`, `statistikk`.
    pub section: &'static str,
}

impl Layout {
    pub fn new(state: &AppState, section: &'static str) -> Self {
        Layout {
            demo_mode: state.demo_mode,
            section,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    title: &'static str,
    body: ErrorBody,
}

/// Renders errors from page handlers (JSON by default, see `AppError`) as an HTML page.
async fn html_errors(response: Response) -> Response {
    let Some(body) = response.extensions().get::<ErrorBody>().cloned() else {
        return response;
    };
    let status = response.status();
    let title = match status {
        StatusCode::NOT_FOUND => "Fant ikke siden",
        StatusCode::CONFLICT => "Endringen kunne ikke lagres",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Noe er feil i det du sendte",
        _ => "Noe gikk galt",
    };
    let page = ErrorPage {
        layout: Layout {
            demo_mode: false,
            section: "",
        },
        status: status.as_u16(),
        title,
        body,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => response,
    }
}

pub async fn not_found() -> Response {
    html_errors(AppError::NotFound("Fant ikke siden du ba om.".into()).into_response()).await
}

/// Renders a template into a response, or an error page if rendering fails.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => AppError::Internal(anyhow::anyhow!("template: {err}")).into_response(),
    }
}
