//! The JSON API under `/api/v1`: the same operations and validation as the pages.
//! Amounts are decimal strings in kroner (`"13914871"`, `"125000.50"`).

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::extract::{ApiJson, Id};
use super::views::{ApplicationBody, ApplicationRow, RoundBody};
use super::{ANONYMOUS_ACTOR, AppState};
use crate::domain::application::{AllocationInput, ApplicationInput};
use crate::domain::round::RoundInput;
use crate::error::{AppError, AppResult};
use crate::store::RoundOrigin;
use crate::web::pages::municipalities::search_municipalities;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds", get(list_rounds).post(create_round))
        .route("/rounds/{id}", get(get_round).put(update_round))
        .route(
            "/rounds/{id}/applications",
            axum::routing::post(create_application),
        )
        .route("/rounds/{id}/audit", get(round_audit))
        .route("/applications/{id}", get(get_application))
        .route(
            "/applications/{id}/allocation",
            axum::routing::put(set_allocation),
        )
        .route("/municipalities", get(municipalities))
        .route("/statistics/national", get(national_statistics))
        .fallback(api_not_found)
}

async fn api_not_found() -> AppError {
    AppError::NotFound("Fant ikke adressen i API-et.".into())
}

async fn list_rounds(State(state): State<AppState>) -> AppResult<Json<Vec<RoundBody>>> {
    let rounds = state.store.list_rounds().await?;
    Ok(Json(
        rounds
            .into_iter()
            .map(|r| RoundBody::new(r, None))
            .collect(),
    ))
}

pub(super) async fn round_body(state: &AppState, id: i64) -> AppResult<RoundBody> {
    let overview = state.store.round_overview(id).await?;
    let register = state.store.register().await?;
    let rows = state
        .store
        .round_applications(id)
        .await?
        .iter()
        .map(|s| ApplicationRow::new(&register, s, overview.round.year))
        .collect();
    Ok(RoundBody::new(overview, Some(rows)))
}

async fn get_round(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<RoundBody>> {
    Ok(Json(round_body(&state, id).await?))
}

fn created(location: String, body: impl serde::Serialize) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

async fn create_round(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RoundInput>,
) -> AppResult<Response> {
    let fields = input.validate()?;
    let id = state
        .store
        .create_round(&fields, RoundOrigin::NEW, ANONYMOUS_ACTOR)
        .await?;
    let body = round_body(&state, id).await?;
    Ok(created(format!("/api/v1/rounds/{id}"), body))
}

#[derive(Deserialize)]
struct RoundUpdate {
    #[serde(flatten)]
    input: RoundInput,
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::text_or_integer"
    )]
    version: String,
}

async fn update_round(
    State(state): State<AppState>,
    Id(id): Id,
    ApiJson(update): ApiJson<RoundUpdate>,
) -> AppResult<Json<RoundBody>> {
    let version = parse_version(&update.version)?;
    let fields = update.input.validate()?;
    state
        .store
        .update_round(id, &fields, version, ANONYMOUS_ACTOR)
        .await?;
    Ok(Json(round_body(&state, id).await?))
}

fn parse_version(text: &str) -> AppResult<i64> {
    text.trim().parse::<i64>().map_err(|_| {
        AppError::invalid(
            "version",
            "Feltet «version» mangler eller er ikke et heltall; hent objektet og send versjonen du endret.",
        )
    })
}

pub(super) async fn application_body(state: &AppState, id: i64) -> AppResult<ApplicationBody> {
    let application = state.store.application(id).await?;
    let round = state.store.round(application.summary.round_id).await?;
    let register = state.store.register().await?;
    Ok(ApplicationBody::new(&register, application, round.year))
}

async fn create_application(
    State(state): State<AppState>,
    Id(round_id): Id,
    ApiJson(input): ApiJson<ApplicationInput>,
) -> AppResult<Response> {
    // The round must exist before the body's problems are worth reporting.
    state.store.round(round_id).await?;
    let fields = input.validate()?;
    let register = state.store.register().await?;
    let id = state
        .store
        .create_application(round_id, &register, &fields, ANONYMOUS_ACTOR)
        .await?;
    let body = application_body(&state, id).await?;
    Ok(created(format!("/api/v1/applications/{id}"), body))
}

async fn get_application(
    State(state): State<AppState>,
    Id(id): Id,
) -> AppResult<Json<ApplicationBody>> {
    Ok(Json(application_body(&state, id).await?))
}

async fn set_allocation(
    State(state): State<AppState>,
    Id(id): Id,
    ApiJson(input): ApiJson<AllocationInput>,
) -> AppResult<Json<ApplicationBody>> {
    state
        .store
        .set_allocation(id, &input, ANONYMOUS_ACTOR)
        .await?;
    Ok(Json(application_body(&state, id).await?))
}

async fn round_audit(
    State(state): State<AppState>,
    Id(id): Id,
) -> AppResult<Json<serde_json::Value>> {
    state.store.round(id).await?;
    let events = state.store.round_audit(id).await?;
    Ok(Json(json!({ "round_id": id, "events": events })))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn municipalities(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> AppResult<Json<serde_json::Value>> {
    let register = state.store.register().await?;
    let results = search_municipalities(&register, &query.q);
    Ok(Json(json!({ "query": query.q, "municipalities": results })))
}

async fn national_statistics(State(state): State<AppState>) -> AppResult<Json<serde_json::Value>> {
    let observations = state.store.observations_for_region("0000").await?;
    Ok(Json(
        json!({ "region": "0000", "observations": observations }),
    ))
}
