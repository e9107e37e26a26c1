//! One error type for the whole app. It becomes a JSON body (`message`, `errors`) for the
//! API; page routes turn the same response into an HTML error page (see `web::pages`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::refusal::{Refusal, RefusalKind};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::store::StoreError;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; each problem names its field.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// A request that cannot be understood (malformed JSON, a bad URL parameter).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// Not logged in (API); pages redirect to the login page instead.
    #[error("{0}")]
    Unauthorized(String),
    /// Logged in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed logins; try again later.
    #[error("{0}")]
    TooManyRequests(String),
    /// Someone else changed the thing first, or the state forbids the change.
    #[error("{0}")]
    Conflict(String),
    /// A remote service (SSB) answered with an error or could not be reached.
    #[error("{0}")]
    BadGateway(String),
    /// A remote service (SSB) refuses requests for now (its rate limit).
    #[error("{0}")]
    ServiceUnavailable(String),
    /// A remote service (SSB) did not answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
    #[error("Databasefeil")]
    Database(sqlx::Error),
    #[error("Intern feil")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        AppError::Invalid(errors)
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("Fant ikke {what}."))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::Database(sqlx::Error::PoolTimedOut) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The Norwegian sentence the user sees. Internal details go to the log only.
    pub fn message(&self) -> String {
        match self {
            AppError::Invalid(errors) => match errors.0.as_slice() {
                [one] => one.message.clone(),
                many => format!("{} felt har feil; se listen.", many.len()),
            },
            AppError::BadRequest(m)
            | AppError::NotFound(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::TooManyRequests(m)
            | AppError::Conflict(m)
            | AppError::BadGateway(m)
            | AppError::ServiceUnavailable(m)
            | AppError::GatewayTimeout(m) => m.clone(),
            AppError::Database(sqlx::Error::PoolTimedOut) => {
                "Databasen svarer ikke akkurat nå. Prøv igjen om litt.".into()
            }
            AppError::Database(_) | AppError::Internal(_) => {
                "Det oppstod en feil hos oss. Ingenting av det du sendte er lagret; prøv igjen, og kontakt brukerstøtte om feilen vedvarer.".into()
            }
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Invalid(errors) => &errors.0,
            _ => &[],
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::from(error).into()
    }
}

impl From<StoreError> for AppError {
    /// A unique constraint that stops a write lost a race to another writer (or a rule
    /// the application layer checks first was bypassed): a conflict, not a server error.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => AppError::not_found(what),
            StoreError::StaleVersion {
                what,
                seen,
                current,
            } => AppError::Conflict(format!(
                "{} er endret av noen andre siden du åpnet den (versjon {seen}, nå {current}). Din endring er ikke lagret; last siden på nytt.",
                capitalised(what)
            )),
            StoreError::UniqueViolation { constraint } => {
                // PostgreSQL names the constraint; SQLite names the columns.
                let what = if constraint.contains("one_per_applicant")
                    || constraint.contains("applications.organisation_id")
                {
                    "Søkeren har allerede en søknad i runden"
                } else {
                    "Det du prøvde å lagre finnes allerede"
                };
                AppError::Conflict(format!(
                    "{what} (noen lagret det samme samtidig). Ingenting er endret; last siden på nytt."
                ))
            }
            StoreError::Corrupt(detail) => AppError::Internal(anyhow::anyhow!(detail)),
            StoreError::Database(error) => AppError::Database(error),
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl From<Refusal> for AppError {
    /// A rule's refusal keeps its own sentence; its kind decides the status.
    fn from(refusal: Refusal) -> Self {
        let message = refusal.to_string();
        match refusal.kind() {
            RefusalKind::Conflict => AppError::Conflict(message),
            RefusalKind::Forbidden => AppError::Forbidden(message),
            RefusalKind::Invalid(field) => AppError::invalid(field, message),
        }
    }
}

impl From<crate::domain::followup::FollowupRefusal> for AppError {
    fn from(refusal: crate::domain::followup::FollowupRefusal) -> Self {
        Refusal::from(refusal).into()
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Invalid(errors)
    }
}

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let body = ErrorBody {
            message: self.message(),
            errors: self.field_errors().to_vec(),
        };
        let mut response = (status, Json(body.clone())).into_response();
        // Page routes read this to render the same error as HTML.
        response.extensions_mut().insert(body);
        response
    }
}
