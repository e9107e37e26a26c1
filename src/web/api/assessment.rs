//! Assessment in the API: criteria of a round, an application's assessment and the
//! caller's impartiality declaration. Same rules and messages as the pages.

use axum::Json;
use axum::extract::State;

use crate::app::visibility as scope;
use crate::domain::assessment::{AssessmentInput, CriterionInput, DeclarationInput};
use crate::domain::audit::Actor;
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::allocation_views::{
    AssessmentBody, CriteriaBody, CriterionBody, assessment_body, criteria_body,
};
use crate::web::auth::{Access, CurrentUser, roles};
use crate::web::extract::{ApiJson, Id};
use crate::web::openapi::{ApiRoutes, Created, NoContent};

pub fn routes() -> ApiRoutes {
    let office = Access::Roles(roles::OFFICE);
    let officer = Access::Roles(roles::OFFICER);
    ApiRoutes::default()
        .get("/rounds/{id}/criteria", office, list_criteria)
        .describe("Rundens vurderingskriterier")
        .post("/rounds/{id}/criteria", officer, add_criterion)
        .describe("Legg til et kriterium")
        .put("/criteria/{id}", officer, update_criterion)
        .describe("Endre et kriterium")
        .delete("/criteria/{id}", officer, delete_criterion)
        .describe("Slett et kriterium")
        .get("/applications/{id}/assessment", office, get_assessment)
        .describe("Søknadens vurdering og habilitetserklæringer")
        .put("/applications/{id}/assessment", officer, save_assessment)
        .describe("Lagre vurderingen (poeng, anbefalt beløp)")
        .post(
            "/applications/{id}/impartiality",
            Access::Roles(roles::DECLARES_IMPARTIALITY),
            declare,
        )
        .describe("Erklær deg habil eller inhabil for søknaden")
        .post(
            "/applications/{id}/impartiality/{user_id}/lift",
            Access::Roles(roles::DECLARES_IMPARTIALITY),
            lift,
        )
        .describe("Opphev en annens inhabilitet (med begrunnelse)")
}

async fn list_criteria(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
) -> AppResult<Json<CriteriaBody>> {
    Ok(Json(criteria_body(&state, &user, round_id).await?))
}

async fn criterion_body(state: &AppState, id: i64) -> AppResult<CriterionBody> {
    let (round_id, criterion) = state.store.criterion(id).await?;
    Ok(CriterionBody {
        round_id,
        criterion,
    })
}

async fn add_criterion(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    ApiJson(input): ApiJson<CriterionInput>,
) -> AppResult<Created<CriterionBody>> {
    scope::round(&state.store, &user, round_id).await?;
    let fields = input.validate()?;
    let id =
        crate::app::assessment::add_criterion(&state.store, round_id, &fields, &Actor::from(&user))
            .await?;
    Ok(Created::at(
        format!("/api/v1/criteria/{id}"),
        criterion_body(&state, id).await?,
    ))
}

async fn update_criterion(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(input): ApiJson<CriterionInput>,
) -> AppResult<Json<CriterionBody>> {
    state.store.criterion(id).await?;
    let fields = input.validate()?;
    crate::app::assessment::update_criterion(&state.store, id, &fields, &Actor::from(&user))
        .await?;
    Ok(Json(criterion_body(&state, id).await?))
}

async fn delete_criterion(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<NoContent> {
    crate::app::assessment::delete_criterion(&state.store, id, &Actor::from(&user)).await?;
    Ok(NoContent)
}

async fn get_assessment(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<AssessmentBody>> {
    Ok(Json(assessment_body(&state, &user, id).await?))
}

async fn save_assessment(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(input): ApiJson<AssessmentInput>,
) -> AppResult<Json<AssessmentBody>> {
    scope::application(&state.store, &user, id).await?;
    crate::app::assessment::save(&state.store, id, &input, &user).await?;
    Ok(Json(assessment_body(&state, &user, id).await?))
}

async fn declare(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(input): ApiJson<DeclarationInput>,
) -> AppResult<Json<AssessmentBody>> {
    scope::application(&state.store, &user, id).await?;
    let fields = input.validate()?;
    crate::app::assessment::declare(&state.store, id, &user, &fields).await?;
    Ok(Json(assessment_body(&state, &user, id).await?))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct LiftBody {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/applications/{id}/impartiality/{user_id}/lift` `{"reason"}`: another
/// officer lifts a declared conflict of interest.
async fn lift(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    crate::web::extract::IdAndUser(id, declarer): crate::web::extract::IdAndUser,
    ApiJson(body): ApiJson<LiftBody>,
) -> AppResult<Json<AssessmentBody>> {
    scope::application(&state.store, &user, id).await?;
    let reason = body.reason.unwrap_or_default();
    crate::app::assessment::lift_conflict(&state.store, id, declarer, &reason, &Actor::from(&user))
        .await?;
    Ok(Json(assessment_body(&state, &user, id).await?))
}
