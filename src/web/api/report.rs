//! `GET /api/v1/rounds/{id}/report`: the funding-vs-coverage report as data.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::domain::report::Report;
use crate::error::{AppError, AppResult};
use crate::web::AppState;
use crate::web::auth::{Access, roles};
use crate::web::extract::{Id, QueryParams};
use crate::web::openapi::ApiRoutes;
use crate::web::report::{ReportQuery, load};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .get("/rounds/{id}/report", Access::Roles(roles::OFFICE), report)
        .describe("Rapporten: tilskudd mot koordinatordekning per kommune")
}

#[derive(Serialize, schemars::JsonSchema)]
struct ReportBody {
    round_id: i64,
    title: String,
    division_year: i32,
    scope: &'static str,
    snapshot_id: Option<i64>,
    #[serde(flatten)]
    report: Report,
}

/// Query parameters: `division` (a division year), `scope` (`round` or `scheme`) and
/// `snapshot` (a statistics snapshot id), or their Norwegian names as on the page. Unlike
/// the page, which falls back to the defaults, the API refuses a bad choice.
async fn report(
    State(state): State<AppState>,
    Id(round_id): Id,
    QueryParams(query): QueryParams<ReportQuery>,
) -> AppResult<Json<ReportBody>> {
    let loaded = load(&state, round_id, &query).await?;
    if !loaded.problems.is_empty() {
        return Err(AppError::Invalid(loaded.problems));
    }
    Ok(Json(ReportBody {
        round_id,
        title: loaded.title(),
        division_year: loaded.choice.division_year,
        scope: if loaded.choice.whole_scheme {
            "scheme"
        } else {
            "round"
        },
        snapshot_id: loaded.choice.snapshot.as_ref().map(|s| s.id),
        report: loaded.report,
    }))
}
