//! Scenarios, their comparison, decisions and statistics snapshots in the JSON API.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Deserialize;

use crate::domain::audit::Actor;
use crate::domain::scenario::Comparison;
use crate::domain::scenario::ScenarioInput;
use crate::error::AppResult;
use crate::store::SnapshotSummary;
use crate::web::AppState;
use crate::web::allocation_views::{
    DecisionBody, ScenarioBody, comparison_for, comparison_xlsx, scenario_body,
};
use crate::web::auth::{Access, CurrentUser, roles};
use crate::web::extract::{ApiJson, Id, OptionalJson};
use crate::web::openapi::{ApiRoutes, Created, Download, NoContent, Xlsx};

pub fn routes() -> ApiRoutes {
    let office = Access::Roles(roles::OFFICE);
    let officer = Access::Roles(roles::OFFICER);
    let approver = Access::Roles(roles::APPROVER);
    ApiRoutes::default()
        .get("/rounds/{id}/scenarios", office, list_scenarios)
        .describe("Rundens tildelingsalternativer")
        .post("/rounds/{id}/scenarios", officer, create_scenario)
        .describe("Lag et tildelingsalternativ")
        .get("/rounds/{id}/scenarios/compare", office, compare)
        .describe("Sammenlign 2–4 alternativer (?ids=1,2)")
        .get("/rounds/{id}/scenarios/compare.xlsx", office, compare_xlsx)
        .describe("Sammenligningen som Excel-arbeidsbok")
        .get("/scenarios/{id}", office, get_scenario)
        .describe("Ett alternativ med beløp og begrunnelser")
        .delete("/scenarios/{id}", officer, delete_scenario)
        .describe("Slett et alternativ")
        .post("/scenarios/{id}/recompute", officer, recompute)
        .describe("Regn alternativet ut på nytt med dagens tall")
        .post("/scenarios/{id}/propose", officer, propose)
        .describe("Foreslå vedtak fra alternativet")
        .get("/rounds/{id}/decisions", office, list_decisions)
        .describe("Rundens vedtak")
        .get("/decisions/{id}", office, get_decision)
        .describe("Ett vedtak med det fryste innholdet")
        .post("/decisions/{id}/approve", approver, approve)
        .describe("Godkjenn et foreslått vedtak")
        .post("/decisions/{id}/return", approver, return_decision)
        .describe("Send et foreslått vedtak tilbake (med kommentar)")
        .get("/statistics/snapshots", office, list_snapshots)
        .describe("Statistikkøyeblikksbilder")
        .post("/statistics/snapshots", officer, create_snapshot)
        .describe("Lag et øyeblikksbilde av statistikken")
        .get("/statistics/snapshots/{id}", office, get_snapshot)
        .describe("Ett øyeblikksbilde")
}

async fn list_scenarios(
    State(state): State<AppState>,
    Id(round_id): Id,
) -> AppResult<Json<Vec<ScenarioBody>>> {
    state.store.round(round_id).await?;
    let mut bodies = Vec::new();
    for scenario in state.store.round_scenarios(round_id).await? {
        bodies.push(scenario_body(&state, scenario).await?);
    }
    Ok(Json(bodies))
}

async fn create_scenario(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    ApiJson(input): ApiJson<ScenarioInput>,
) -> AppResult<Created<ScenarioBody>> {
    let spec = input.validate()?;
    let id =
        crate::app::scenarios::create(&state.store, round_id, &spec, &Actor::from(&user)).await?;
    let body = scenario_body(&state, state.store.scenario(id).await?).await?;
    Ok(Created::at(format!("/api/v1/scenarios/{id}"), body))
}

async fn get_scenario(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<ScenarioBody>> {
    Ok(Json(
        scenario_body(&state, state.store.scenario(id).await?).await?,
    ))
}

async fn delete_scenario(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<NoContent> {
    crate::app::scenarios::delete(&state.store, id, &Actor::from(&user)).await?;
    Ok(NoContent)
}

async fn recompute(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<ScenarioBody>> {
    crate::app::scenarios::recompute(&state.store, id, &Actor::from(&user)).await?;
    Ok(Json(
        scenario_body(&state, state.store.scenario(id).await?).await?,
    ))
}

async fn compare(
    State(state): State<AppState>,
    Id(round_id): Id,
    RawQuery(query): RawQuery,
) -> AppResult<Json<Comparison>> {
    Ok(Json(
        comparison_for(&state, round_id, query.as_deref()).await?,
    ))
}

async fn compare_xlsx(
    State(state): State<AppState>,
    Id(round_id): Id,
    RawQuery(query): RawQuery,
) -> AppResult<Download<Xlsx>> {
    let comparison = comparison_for(&state, round_id, query.as_deref()).await?;
    comparison_xlsx(&state, &comparison).await
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ProposeBody {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    #[serde(default)]
    comment: Option<String>,
}

async fn propose(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(scenario_id): Id,
    OptionalJson(body): OptionalJson<ProposeBody>,
) -> AppResult<Created<DecisionBody>> {
    let id = crate::app::decisions::propose(
        &state.store,
        scenario_id,
        body.reason.as_deref(),
        &Actor::from(&user),
    )
    .await?;
    let decision = DecisionBody::new(&state.store.decision(id).await?);
    Ok(Created::at(format!("/api/v1/decisions/{id}"), decision))
}

async fn approve(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    OptionalJson(body): OptionalJson<ReviewBody>,
) -> AppResult<Json<DecisionBody>> {
    crate::app::decisions::approve(
        &state.store,
        id,
        body.comment.as_deref(),
        &Actor::from(&user),
    )
    .await?;
    Ok(Json(DecisionBody::new(&state.store.decision(id).await?)))
}

async fn return_decision(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    OptionalJson(body): OptionalJson<ReviewBody>,
) -> AppResult<Json<DecisionBody>> {
    crate::app::decisions::return_decision(
        &state.store,
        id,
        body.comment.as_deref().unwrap_or(""),
        &Actor::from(&user),
    )
    .await?;
    Ok(Json(DecisionBody::new(&state.store.decision(id).await?)))
}

async fn list_decisions(
    State(state): State<AppState>,
    Id(round_id): Id,
) -> AppResult<Json<Vec<DecisionBody>>> {
    state.store.round(round_id).await?;
    Ok(Json(
        state
            .store
            .round_decisions(round_id)
            .await?
            .iter()
            .map(DecisionBody::new)
            .collect(),
    ))
}

async fn get_decision(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<DecisionBody>> {
    Ok(Json(DecisionBody::new(&state.store.decision(id).await?)))
}

async fn list_snapshots(State(state): State<AppState>) -> AppResult<Json<Vec<SnapshotSummary>>> {
    Ok(Json(state.store.snapshots().await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct SnapshotBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
}

async fn create_snapshot(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    ApiJson(body): ApiJson<SnapshotBody>,
) -> AppResult<Created<SnapshotSummary>> {
    let id = crate::app::scenarios::create_snapshot(
        &state.store,
        &body.name,
        body.description.as_deref(),
        &Actor::from(&user),
    )
    .await?;
    Ok(Created::at(
        format!("/api/v1/statistics/snapshots/{id}"),
        state.store.snapshot(id).await?,
    ))
}

async fn get_snapshot(
    State(state): State<AppState>,
    Id(id): Id,
) -> AppResult<Json<SnapshotSummary>> {
    Ok(Json(state.store.snapshot(id).await?))
}
