//! The JSON API under `/api/v1`: the same operations, access rules and validation as the
//! pages. Amounts are decimal strings in kroner (`"13914871"`, `"125000.50"`).

mod account;
mod allocation;

mod assessment;
mod followup;
mod report;

use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::operation::OperationOutput;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Access, CurrentUser, roles};
use super::extract::{ApiJson, FileForm, Id, QueryParams};
use super::openapi::{AnyFile, ApiRoutes, BinaryFile, Created, Download, Xlsx};
use super::views::AuditQuery;
use super::views::{ApplicationBody, ApplicationRow, RoundBody};
use crate::app;
use crate::app::visibility as scope;
use crate::domain::application::{AllocationInput, ApplicationInput};
use crate::domain::audit::Actor;
use crate::domain::round::RoundInput;
use crate::domain::round::RoundPhase;
use crate::domain::user::Principal;
use crate::error::{AppError, AppResult};
use crate::store::AuditFilter;
use crate::web::views::search_municipalities;

pub fn routes() -> ApiRoutes {
    let read = Access::Roles(roles::ALL);
    let officer = Access::Roles(roles::OFFICER);
    let applicant = Access::Roles(roles::APPLICANT);
    let audit = Access::Roles(roles::AUDIT);
    ApiRoutes::default()
        .get("/rounds", read, list_rounds)
        .describe("Rundene du ser, med summer")
        .post("/rounds", officer, create_round)
        .describe("Opprett en runde")
        .get("/rounds/{id}", read, get_round)
        .describe("En runde med søknadene")
        .put("/rounds/{id}", officer, update_round)
        .describe("Endre en runde (med versjonen du leste)")
        .post(
            "/rounds/{id}/open",
            officer,
            |State(s): State<AppState>, CurrentUser(u, _): CurrentUser, Id(id): Id| {
                change_phase(s, u, id, None, app::rounds::PhaseChange::Open)
            },
        )
        .describe("Kunngjør en runde (åpne for søknader)")
        .post(
            "/rounds/{id}/close",
            officer,
            |State(s): State<AppState>,
             CurrentUser(u, _): CurrentUser,
             Id(id): Id,
             ApiJson(b): ApiJson<ReasonBody>| {
                change_phase(s, u, id, b.reason, app::rounds::PhaseChange::Close)
            },
        )
        .describe("Lukk en runde før fristen (med begrunnelse)")
        .post(
            "/rounds/{id}/reopen",
            officer,
            |State(s): State<AppState>,
             CurrentUser(u, _): CurrentUser,
             Id(id): Id,
             ApiJson(b): ApiJson<ReasonBody>| {
                change_phase(s, u, id, b.reason, app::rounds::PhaseChange::Reopen)
            },
        )
        .describe("Gjenåpne en lukket runde (med begrunnelse)")
        .post(
            "/rounds/{id}/applications",
            Access::Roles(roles::APPLICANT_OR_OFFICER),
            create_application,
        )
        .describe("Registrer en søknad")
        .get("/rounds/{id}/audit", audit, round_audit)
        .describe("Rundens revisjonslogg")
        .get("/applications/{id}", read, get_application)
        .describe("En søknad med budsjettlinjer")
        .put("/applications/{id}", applicant, update_application)
        .describe("Endre et utkast (kommunen, med versjon)")
        .post(
            "/applications/{id}/submit",
            applicant,
            |State(s): State<AppState>,
             CurrentUser(u, _): CurrentUser,
             Id(id): Id,
             ApiJson(b): ApiJson<VersionBody>| {
                change_status(s, u, id, b, app::applications::Move::Submit)
            },
        )
        .describe("Send inn et utkast (kommunen)")
        .post(
            "/applications/{id}/withdraw",
            applicant,
            |State(s): State<AppState>,
             CurrentUser(u, _): CurrentUser,
             Id(id): Id,
             ApiJson(b): ApiJson<VersionBody>| {
                change_status(s, u, id, b, app::applications::Move::Withdraw)
            },
        )
        .describe("Trekk en søknad (kommunen, mens runden er åpen)")
        .put("/applications/{id}/allocation", officer, set_allocation)
        .describe("Foreslå beløp for søknaden")
        .get("/audit", audit, audit_log)
        .describe("Revisjonsloggen, filtrert")
        .get("/municipalities", read, municipalities)
        .describe("Søk i kommuneregisteret (med historikk)")
        .get("/statistics/national", read, national_statistics)
        .describe("Nasjonale KPR-tall")
        .get("/statistics/municipalities", read, municipal_statistics)
        .describe("Tall per kommune")
        .post("/statistics/uploads", officer, statistics_upload)
        .describe("Last opp en statistikkfil (forhåndsvisning)")
        .post("/uploads/{id}/variables", officer, choose_variables)
        .describe("Velg indikatorer for ukjente variabler (ny forhåndsvisning)")
        .post("/uploads/{id}/applicants", officer, choose_applicants)
        .describe("Velg søker for rader forhåndsvisningen spør om (ny forhåndsvisning)")
        .post("/statistics/ssb", officer, statistics_from_ssb)
        .describe("Hent en tabell fra SSB (forhåndsvisning)")
        .get(
            "/rounds/{id}/template.xlsx",
            Access::Roles(roles::APPLICANT_OR_OFFICER),
            template,
        )
        .describe("Søknadsskjemaet for runden (utfylt for en kommune)")
        .post(
            "/rounds/{id}/uploads",
            Access::Roles(roles::APPLICANT_OR_OFFICER),
            upload,
        )
        .describe("Last opp en søknad eller tildelingstabell (forhåndsvisning)")
        .get(
            "/uploads/{id}",
            Access::Roles(roles::APPLICANT_OR_OFFICER),
            get_upload,
        )
        .describe("En opplasting og forhåndsvisningen")
        .post(
            "/uploads/{id}/confirm",
            Access::Roles(roles::APPLICANT_OR_OFFICER),
            confirm_upload,
        )
        .describe("Lagre forhåndsvisningen")
        .get(
            "/uploads/{id}/file",
            Access::Roles(roles::APPLICANT_OR_OFFICER),
            upload_file,
        )
        .describe("Originalfilen slik den ble lastet opp")
        .merge(account::routes())
        .merge(allocation::routes())
        .merge(assessment::routes())
        .merge(report::routes())
        .merge(followup::routes())
}

pub async fn not_found() -> AppError {
    AppError::NotFound("Fant ikke adressen i API-et.".into())
}

async fn list_rounds(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
) -> AppResult<Json<Vec<RoundBody>>> {
    let rounds = scope::rounds(&state.store, &user).await?;
    let totals = user.sees_everything();
    Ok(Json(
        rounds
            .into_iter()
            .map(|r| RoundBody::new(r, None, totals))
            .collect(),
    ))
}

pub(super) async fn round_body(
    state: &AppState,
    user: &Principal,
    id: i64,
) -> AppResult<RoundBody> {
    let overview = scope::round(&state.store, user, id).await?;
    let register = state.store.register().await?;
    let rows = scope::round_applications(&state.store, user, &overview.round)
        .await?
        .iter()
        .map(|s| ApplicationRow::new(&register, s, overview.round.year))
        .collect();
    Ok(RoundBody::new(overview, Some(rows), user.sees_everything()))
}

async fn get_round(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<RoundBody>> {
    Ok(Json(round_body(&state, &user, id).await?))
}

/// The phase a new round starts in, as sent.
pub(super) fn new_round_phase(text: Option<&str>) -> AppResult<RoundPhase> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(RoundPhase::Open),
        Some(t) => RoundPhase::parse(t)
            .filter(|p| matches!(p, RoundPhase::Draft | RoundPhase::Open))
            .ok_or_else(|| {
                AppError::invalid(
                    "phase",
                    format!("«{t}» er ikke en fase en ny runde kan ha (draft eller open)."),
                )
            }),
    }
}

async fn create_round(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    ApiJson(input): ApiJson<RoundInput>,
) -> AppResult<Created<RoundBody>> {
    let phase = new_round_phase(input.phase.as_deref())?;
    let fields = input.validate()?;
    let id = app::rounds::create(&state.store, &fields, phase, &Actor::from(&user)).await?;
    let body = round_body(&state, &user, id).await?;
    Ok(Created::at(format!("/api/v1/rounds/{id}"), body))
}

/// A round's fields and the version they were read at.
#[derive(Deserialize, schemars::JsonSchema)]
struct RoundUpdate {
    #[serde(flatten)]
    input: RoundInput,
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::text_or_integer"
    )]
    version: String,
}

pub(super) fn parse_version(text: &str) -> AppResult<i64> {
    text.trim().parse::<i64>().map_err(|_| {
        AppError::invalid(
            "version",
            "Feltet «version» mangler eller er ikke et heltall; hent objektet og send versjonen du endret.",
        )
    })
}

async fn update_round(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(update): ApiJson<RoundUpdate>,
) -> AppResult<Json<RoundBody>> {
    let version = parse_version(&update.version)?;
    let fields = update.input.validate()?;
    app::rounds::update(&state.store, id, &fields, version, &Actor::from(&user)).await?;
    Ok(Json(round_body(&state, &user, id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ReasonBody {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/rounds/{id}/open`, `/close` and `/reopen` (`{"reason"}` for the last two).
async fn change_phase(
    state: AppState,
    user: Principal,
    id: i64,
    reason: Option<String>,
    change: app::rounds::PhaseChange,
) -> AppResult<Json<RoundBody>> {
    let reason = reason.unwrap_or_default();
    app::rounds::change(&state.store, id, change, &reason, &Actor::from(&user)).await?;
    Ok(Json(round_body(&state, &user, id).await?))
}

pub(super) async fn application_body(
    state: &AppState,
    user: &Principal,
    id: i64,
) -> AppResult<ApplicationBody> {
    let (application, round) = scope::application(&state.store, user, id).await?;
    let register = state.store.register().await?;
    Ok(ApplicationBody::new(&register, application, round.year))
}

async fn create_application(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    ApiJson(mut input): ApiJson<ApplicationInput>,
) -> AppResult<Created<ApplicationBody>> {
    // The round must be visible before the body's problems are worth reporting.
    scope::round(&state.store, &user, round_id).await?;
    input.applicant = app::applications::applicant_for(&user, &input.applicant);
    let fields = input.validate()?;
    let register = state.store.register().await?;
    let id = app::applications::create(&state.store, &register, &user, round_id, &fields).await?;
    let body = application_body(&state, &user, id).await?;
    Ok(Created::at(format!("/api/v1/applications/{id}"), body))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ApplicationUpdate {
    #[serde(flatten)]
    input: ApplicationInput,
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::text_or_integer"
    )]
    version: String,
}

async fn update_application(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(mut update): ApiJson<ApplicationUpdate>,
) -> AppResult<Json<ApplicationBody>> {
    let (application, _) = scope::application(&state.store, &user, id).await?;
    update.input.applicant = format!("org:{}", application.summary.organisation_id);
    let version = parse_version(&update.version)?;
    let fields = update.input.validate()?;
    app::applications::update(&state.store, id, &fields, version, &Actor::from(&user)).await?;
    Ok(Json(application_body(&state, &user, id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct VersionBody {
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::text_or_integer"
    )]
    version: String,
}

/// `POST /api/v1/applications/{id}/submit` and `/withdraw` (`{"version"}`).
async fn change_status(
    state: AppState,
    user: Principal,
    id: i64,
    body: VersionBody,
    how: app::applications::Move,
) -> AppResult<Json<ApplicationBody>> {
    scope::application(&state.store, &user, id).await?;
    let version = parse_version(&body.version)?;
    app::applications::change_status(&state.store, id, version, how, &Actor::from(&user)).await?;
    Ok(Json(application_body(&state, &user, id).await?))
}

async fn get_application(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<ApplicationBody>> {
    Ok(Json(application_body(&state, &user, id).await?))
}

async fn set_allocation(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(input): ApiJson<AllocationInput>,
) -> AppResult<Json<ApplicationBody>> {
    let (seen, _) = scope::application(&state.store, &user, id).await?;
    let proposed =
        app::applications::propose_amount(&state.store, id, &input, &Actor::from(&user)).await?;
    // Built from what was read before and written since, unless the application changed
    // in between: a write's answer costs no second reading.
    match scope::after_proposal(&user, seen, proposed) {
        Some((application, round)) => {
            let register = state.store.register().await?;
            Ok(Json(ApplicationBody::new(
                &register,
                application,
                round.year,
            )))
        }
        None => Ok(Json(application_body(&state, &user, id).await?)),
    }
}

/// A round's audit events, oldest first.
#[derive(Serialize, JsonSchema)]
struct RoundAudit {
    round_id: i64,
    events: Vec<crate::store::AuditEvent>,
}

/// Audit events matching a filter.
#[derive(Serialize, JsonSchema)]
struct AuditEvents {
    events: Vec<crate::store::AuditEvent>,
}

async fn round_audit(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<RoundAudit>> {
    state.store.round(id).await?;
    let filter = AuditFilter {
        round_id: Some(id),
        ..Default::default()
    };
    let events = state.store.audit_events(&filter).await?;
    Ok(Json(RoundAudit {
        round_id: id,
        events,
    }))
}

async fn audit_log(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<AuditQuery>,
) -> AppResult<Json<AuditEvents>> {
    let filter = query.to_filter()?;
    let events = state.store.audit_events(&filter).await?;
    Ok(Json(AuditEvents { events }))
}

/// `q`: part of a name or a number.
#[derive(Deserialize, schemars::JsonSchema)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Municipalities matching a search.
#[derive(Serialize, JsonSchema)]
struct MunicipalitySearch {
    query: String,
    municipalities: Vec<crate::web::views::MunicipalityEntry>,
}

async fn municipalities(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<SearchQuery>,
) -> AppResult<Json<MunicipalitySearch>> {
    let register = state.store.register().await?;
    let municipalities = search_municipalities(&register, &query.q);
    Ok(Json(MunicipalitySearch {
        query: query.q,
        municipalities,
    }))
}

/// The national figures (region `0000`).
#[derive(Serialize, JsonSchema)]
struct NationalStatistics {
    region: &'static str,
    observations: Vec<crate::store::ObservationRow>,
}

async fn national_statistics(State(state): State<AppState>) -> AppResult<Json<NationalStatistics>> {
    let observations = state.store.observations_for_region("0000").await?;
    Ok(Json(NationalStatistics {
        region: "0000",
        observations,
    }))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct MunicipalStatisticsQuery {
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    kommunenummer: Option<String>,
}

/// An observation as the API gives it: synthetic figures carry `"note": "syntetiske demotall"`.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct MunicipalObservation {
    #[serde(flatten)]
    row: crate::store::ObservationRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

/// `GET /api/v1/statistics/municipalities?year=&kommunenummer=`: observations for
/// municipalities (both filters optional). Synthetic demonstration figures have
/// `synthetic: true` and `note: "syntetiske demotall"`.
async fn municipal_statistics(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<MunicipalStatisticsQuery>,
) -> AppResult<Json<MunicipalStatistics>> {
    let mut errors = crate::domain::validation::FieldErrors::new();
    let year = match query
        .year
        .as_deref()
        .map(str::trim)
        .filter(|y| !y.is_empty())
    {
        None => None,
        Some(text) => match text.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => {
                errors.add("year", format!("«{text}» er ikke et årstall."));
                None
            }
        },
    };
    let region = match query
        .kommunenummer
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        None => None,
        Some(text) => match crate::domain::kommune::Kommunenummer::parse(text) {
            Ok(k) => Some(k),
            Err(e) => {
                errors.add("kommunenummer", e.to_string());
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let observations: Vec<MunicipalObservation> = state
        .store
        .municipal_observations(year, region.as_ref().map(|k| k.as_str()))
        .await?
        .into_iter()
        .map(|row| MunicipalObservation {
            note: row
                .synthetic
                .then_some(crate::domain::statistics::SYNTHETIC_LABEL),
            row,
        })
        .collect();
    let any_synthetic = observations.iter().any(|o| o.row.synthetic);
    Ok(Json(MunicipalStatistics {
        year,
        kommunenummer: region.as_ref().map(|k| k.as_str().to_string()),
        synthetic: any_synthetic,
        note: any_synthetic.then_some(
            "Tall merket syntetiske demotall er oppdiktet for demonstrasjon; kildene gir bare nasjonale tall."
        ),
        observations,
    }))
}

/// Observations for municipalities, as filtered.
#[derive(Serialize, JsonSchema)]
struct MunicipalStatistics {
    year: Option<i32>,
    kommunenummer: Option<String>,
    /// Some of the figures are synthetic demonstration figures.
    synthetic: bool,
    note: Option<&'static str>,
    observations: Vec<MunicipalObservation>,
}

async fn template(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Download<Xlsx>> {
    let round = scope::round(&state.store, &user, id).await?.round;
    let bytes = app::uploads::template_for(&state.store, &user, &round).await?;
    Ok(Download::new(
        bytes,
        super::responses::template_filename(&round),
    ))
}

/// The fields of an upload to a round.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct RoundUploadFields {
    /// The file: .xlsx, .xls, .ods or .csv.
    file: BinaryFile,
    /// `application` (default) or `allocations` (an allocation table).
    kind: Option<String>,
    /// For an allocation table decided elsewhere: where it was decided and published.
    historical_source: Option<String>,
}

/// The fields of a statistics upload.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct StatisticsUploadFields {
    /// The file: .xlsx, .xls, .ods, .csv or SSB's PX/CSV.
    file: BinaryFile,
    /// The indicator the figures are (empty: read from the headings).
    indicator: Option<String>,
}

/// `POST /api/v1/rounds/{id}/uploads` (multipart `file`, `kind`): the preview. A file
/// that cannot be read at all is kept and answered with 422 and its `message`.
async fn upload(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    FileForm(multipart, _): FileForm<RoundUploadFields>,
) -> AppResult<UploadPreview> {
    let round = scope::round(&state.store, &user, round_id).await?.round;
    let form = super::upload_form::read_upload_form(multipart).await?;
    let received = app::uploads::receive_upload(
        &state.store,
        &state.uploads,
        &user,
        &Actor::from(&user),
        &round,
        &form.round_file(),
    )
    .await?;
    let id = received.id;
    if !received.readable {
        let body = app::uploads::UploadBody::new(&state.store.upload(id).await?)?;
        return Ok(UploadPreview::new(id, body, false));
    }
    // The preview as just stored, not read back, parsed and written again: it is most
    // of the body.
    let upload = state.store.upload_head(id).await?;
    let json = app::uploads::UploadBody::fresh_json(&upload, &received.preview_json)?;
    Ok(UploadPreview::Written { id, json })
}

/// `POST /api/v1/statistics/uploads` (multipart `file`, optional `indicator`): the
/// preview of a statistics file, confirmed with `POST /api/v1/uploads/{id}/confirm`. A
/// file that cannot be read at all is kept and answered with 422 and its `message`.
async fn statistics_upload(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    FileForm(multipart, _): FileForm<StatisticsUploadFields>,
) -> AppResult<UploadPreview> {
    let id = super::upload_form::receive_statistics_form(&state, &user, multipart).await?;
    let body = app::uploads::UploadBody::new(&state.store.upload(id).await?)?;
    let readable = body.preview.statistics.is_some();
    Ok(UploadPreview::new(id, body, readable))
}

/// What a preview asked, answered: variable text → indicator code, or a question's cell
/// → kommunenummer or `org:ID`.
/// What a preview asked, answered.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ChoicesBody {
    choices: std::collections::BTreeMap<String, String>,
}

/// `POST /api/v1/uploads/{id}/variables` `{"choices": {"<variable text>": "<indicator>"}}`:
/// the statistics file read again with those indicators for the texts it did not know;
/// a new preview (201), the earlier one kept.
async fn choose_variables(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(body): ApiJson<ChoicesBody>,
) -> AppResult<UploadPreview> {
    let new_id = app::uploads::choose_variables(
        &state.store,
        &state.uploads,
        &user,
        &Actor::from(&user),
        id,
        &body.choices,
    )
    .await?;
    let body = app::uploads::UploadBody::new(&state.store.upload(new_id).await?)?;
    let readable = body.preview.statistics.is_some();
    Ok(UploadPreview::new(new_id, body, readable))
}

/// `POST /api/v1/uploads/{id}/applicants` `{"choices": {"Søknad!B4": "5026"}}`: the
/// file read again with those applicants for the rows its preview asked about
/// (`questions`); a new preview (201), the earlier one kept.
async fn choose_applicants(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(body): ApiJson<ChoicesBody>,
) -> AppResult<UploadPreview> {
    let new_id = app::uploads::choose_applicants(
        &state.store,
        &state.uploads,
        &user,
        &Actor::from(&user),
        id,
        &body.choices,
    )
    .await?;
    let body = app::uploads::UploadBody::new(&state.store.upload(new_id).await?)?;
    let readable = body.preview.application.is_some() || body.preview.allocations.is_some();
    Ok(UploadPreview::new(new_id, body, readable))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct SsbBody {
    table: String,
    from_year: i64,
    to_year: i64,
}

/// `POST /api/v1/statistics/ssb` `{"table": "12617", "from_year": 2022, "to_year": 2023}`:
/// fetches the table from SSB's API for the register's municipalities and those years,
/// and answers the same preview as a file upload, with `source_url`. SSB's refusals are
/// 502, 503 (its rate limit) or 504 (no answer in time) with a `message`.
async fn statistics_from_ssb(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    ApiJson(body): ApiJson<SsbBody>,
) -> AppResult<UploadPreview> {
    let query = app::ssb::SsbQuery::new(&body.table, body.from_year, body.to_year)?;
    let id = app::ssb::fetch_statistics(
        &state.store,
        &state.uploads,
        &state.ssb,
        &user,
        &Actor::from(&user),
        &query,
    )
    .await?;
    let body = app::uploads::UploadBody::new(&state.store.upload(id).await?)?;
    let readable = body.preview.statistics.is_some();
    Ok(UploadPreview::new(id, body, readable))
}

/// A new upload's preview: 201, or 422 with the first error as `message` when the file
/// could not be read at all (it is kept all the same).
enum UploadPreview {
    /// The preview's JSON as just written (see `UploadBody::fresh_json`).
    Written {
        id: i64,
        json: Vec<u8>,
    },
    Readable {
        id: i64,
        body: app::uploads::UploadBody,
    },
    Unreadable(UnreadableUpload),
}

/// An upload that could not be read at all: kept, with the first error as `message`.
#[derive(Serialize, JsonSchema)]
struct UnreadableUpload {
    message: String,
    #[serde(flatten)]
    upload: app::uploads::UploadBody,
}

impl UploadPreview {
    fn new(id: i64, body: app::uploads::UploadBody, readable: bool) -> Self {
        if readable {
            return UploadPreview::Readable { id, body };
        }
        let message = body
            .preview
            .errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_else(|| "Filen kunne ikke leses.".into());
        UploadPreview::Unreadable(UnreadableUpload {
            message,
            upload: body,
        })
    }
}

impl IntoResponse for UploadPreview {
    fn into_response(self) -> Response {
        match self {
            UploadPreview::Written { id, json } => (
                StatusCode::CREATED,
                [
                    (header::LOCATION, format!("/api/v1/uploads/{id}")),
                    (header::CONTENT_TYPE, "application/json".to_string()),
                ],
                json,
            )
                .into_response(),
            UploadPreview::Readable { id, body } => {
                Created::at(format!("/api/v1/uploads/{id}"), body).into_response()
            }
            UploadPreview::Unreadable(body) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
        }
    }
}

impl OperationOutput for UploadPreview {
    type Inner = app::uploads::UploadBody;

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, aide::openapi::Response)> {
        let mut answers = Created::<app::uploads::UploadBody>::inferred_responses(ctx, operation);
        let unreadable = ctx.schema.subschema_for::<UnreadableUpload>();
        let invalid = ctx.schema.subschema_for::<crate::error::ErrorBody>();
        answers.push((
            Some(422),
            super::openapi::json_response(
                "Filen kunne ikke leses (den er tatt vare på, og `message` sier hvorfor), \
                 eller et felt i skjemaet er ugyldig.",
                schemars::json_schema!({"anyOf": [unreadable, invalid]}),
            ),
        ));
        answers
    }
}

async fn get_upload(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<app::uploads::UploadBody>> {
    let upload = app::uploads::visible_upload(&state.store, &user, id).await?;
    Ok(Json(app::uploads::UploadBody::new(&upload)?))
}

async fn confirm_upload(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<ConfirmedUpload>> {
    let upload = app::uploads::visible_upload(&state.store, &user, id).await?;
    let stored = app::uploads::confirm(&state.store, &user, &Actor::from(&user), &upload).await?;
    let upload = app::uploads::UploadBody::new(&state.store.upload(id).await?)?;
    let mut confirmed = ConfirmedUpload {
        upload,
        application: None,
        imported: None,
    };
    match stored {
        app::uploads::Confirmed::Application(app) => {
            confirmed.application = Some(application_body(&state, &user, app).await?);
        }
        app::uploads::Confirmed::Allocations(n) => {
            confirmed.imported = Some(Imported::Allocations(n));
        }
        app::uploads::Confirmed::Statistics(counts) => {
            confirmed.imported = Some(Imported::Statistics(counts));
        }
    }
    Ok(Json(confirmed))
}

/// A confirmed upload: the application it stored, or what it imported.
#[derive(Serialize, JsonSchema)]
struct ConfirmedUpload {
    #[serde(flatten)]
    upload: app::uploads::UploadBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    application: Option<ApplicationBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    imported: Option<Imported>,
}

/// How many allocations, or the statistics' counts.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
enum Imported {
    Allocations(usize),
    Statistics(crate::store::ImportCounts),
}

async fn upload_file(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Download<AnyFile>> {
    let upload = app::uploads::visible_upload(&state.store, &user, id).await?;
    let bytes = state.store.upload_content(id).await?;
    let mut file = Download::new(bytes, upload.filename);
    file.content_type = Some(super::upload_form::content_type(upload.format.as_deref()).into());
    Ok(file)
}
