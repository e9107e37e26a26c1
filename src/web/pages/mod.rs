//! Server-rendered pages in Norwegian bokmål, usable without JavaScript.

pub mod account;
pub mod admin;
pub mod applications;
pub mod assessment;
pub mod audit;
pub mod followup;
pub mod home;
pub mod municipalities;
pub mod report;
pub mod round_export;
pub mod rounds;
pub mod scenarios;
pub mod statistics;
pub mod uploads;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::auth::{Access, Routes};
use crate::domain::user::{Principal, Role};
use crate::error::{AppError, ErrorBody};

pub fn routes() -> Routes {
    Routes::default()
        .get("/", Access::Authenticated, home::page)
        .merge(account::routes())
        .merge(admin::routes())
        .merge(rounds::routes())
        .merge(round_export::routes())
        .merge(applications::routes())
        .merge(assessment::routes())
        .merge(audit::routes())
        .merge(municipalities::routes())
        .merge(statistics::routes())
        .merge(uploads::routes())
        .merge(scenarios::routes())
        .merge(report::routes())
        .merge(followup::routes())
}

/// What every page's layout needs to know.
#[derive(Debug, Clone)]
pub struct Layout {
    pub demo_mode: bool,
    /// The nav entry to mark as current: `runder`, `kommuner`, `statistikk`, `logg`, `admin`.
    pub section: &'static str,
    pub user: Option<Principal>,
    /// Fingerprint for asset URLs.
    pub asset_version: &'static str,
    /// Goes into every form's `_csrf` field (see [`super::csrf`]).
    pub form_token: String,
}

impl Layout {
    pub fn new(state: &AppState, user: &Principal, section: &'static str) -> Self {
        Layout {
            demo_mode: state.demo_mode,
            section,
            user: Some(user.clone()),
            asset_version: super::assets::version(),
            form_token: super::csrf::form_token(),
        }
    }

    pub fn anonymous(state: &AppState) -> Self {
        Layout {
            demo_mode: state.demo_mode,
            section: "",
            user: None,
            asset_version: super::assets::version(),
            form_token: super::csrf::form_token(),
        }
    }

    fn has(&self, role: &str) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| Role::parse(role).is_some_and(|r| u.has(r)))
    }

    pub fn is_admin(&self) -> bool {
        self.has("admin")
    }

    pub fn sees_audit_log(&self) -> bool {
        self.has("admin") || self.has("saksbehandler")
    }

    pub fn is_officer(&self) -> bool {
        self.has("saksbehandler")
    }

    pub fn is_applicant(&self) -> bool {
        self.has("kommune")
    }

    pub fn sees_everything(&self) -> bool {
        self.user.as_ref().is_some_and(Principal::sees_everything)
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

/// Renders an error response (JSON by default, see `AppError`) as an HTML page.
pub async fn html_errors(response: Response) -> Response {
    let Some(body) = response.extensions().get::<ErrorBody>().cloned() else {
        return response;
    };
    let status = response.status();
    let title = match status {
        StatusCode::NOT_FOUND => "Fant ikke siden",
        StatusCode::FORBIDDEN => "Ingen tilgang",
        StatusCode::CONFLICT => "Endringen kunne ikke lagres",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Noe er feil i det du sendte",
        _ => "Noe gikk galt",
    };
    let user = response.extensions().get::<Principal>().cloned();
    let page = ErrorPage {
        layout: Layout {
            demo_mode: false,
            section: "",
            user,
            asset_version: super::assets::version(),
            form_token: super::csrf::form_token(),
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

pub async fn not_found() -> AppError {
    AppError::NotFound("Fant ikke siden du ba om.".into())
}

/// Renders a template into a response, or an error page if rendering fails.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => AppError::Internal(anyhow::anyhow!("template: {err}")).into_response(),
    }
}
