//! After the decision in the JSON API: terms and letter texts, letters (JSON, PDF, ZIP),
//! sending them, acceptance, payments and requests, final reports, repayment, the
//! follow-up overview, the payment file for the accounting system, and the outbox.

use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::followup::{
    self, FollowupOverview, GrantDetail, LetterView, LettersOutcome, MovementInput, ReportSource,
    RequestInput, TemplatesInput, TermsView,
};
use crate::app::visibility as scope;
use crate::domain::followup::{FinalReportInput, FollowupTermsInput};
use crate::error::{AppError, AppResult};
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, roles};
use crate::web::extract::{ApiJson, Id, JsonOrForm, QueryParams};
use crate::web::followup_files;
use crate::web::openapi::{AnyFile, ApiRoutes, Created, Csv, Download, NoContent, Pdf, Xlsx, Zip};

pub fn routes() -> ApiRoutes {
    let read = Access::Roles(roles::ALL);
    let office = Access::Roles(roles::OFFICE);
    let officer = Access::Roles(roles::OFFICER);
    let applicant = Access::Roles(roles::APPLICANT);
    let either = Access::Roles(roles::APPLICANT_OR_OFFICER);
    ApiRoutes::default()
        .get("/rounds/{id}/followup", read, overview)
        .describe("Oppfølgingen av rundens tilskudd, med summer")
        .get("/rounds/{id}/followup-terms", office, get_terms)
        .describe("Vilkår for oppfølging og brevtekster")
        .put("/rounds/{id}/followup-terms", officer, put_terms)
        .describe("Sett vilkårene for oppfølging")
        .put("/rounds/{id}/letter-template", officer, put_templates)
        .describe("Sett brevmalene")
        .post(
            "/rounds/{id}/letters/issue",
            officer,
            |s: State<AppState>, u: CurrentUser, id: Id| issue(s, u, id, false),
        )
        .describe("Utsted (frys) vedtaksbrevene")
        .post(
            "/rounds/{id}/letters/send",
            officer,
            |s: State<AppState>, u: CurrentUser, id: Id| issue(s, u, id, true),
        )
        .describe("Utsted brevene og send dem på e-post")
        .get("/rounds/{id}/letters.zip", office, letters_zip)
        .describe("Alle utstedte brev som PDF i en ZIP")
        .get("/rounds/{id}/payments.csv", office, payments_csv)
        .describe("Utbetalingsfilen for regnskapssystemet")
        .post("/rounds/{id}/complete", officer, complete)
        .describe("Avslutt en oppgjort runde")
        .get("/applications/{id}/followup", read, grant_detail)
        .describe("Ett tilskudd med utbetalinger, anmodninger og rapport")
        .get("/applications/{id}/letter", read, get_letter)
        .describe("Søknadens brev (utkast eller utstedt)")
        .put("/applications/{id}/letter", officer, put_letter_note)
        .describe("Sett merknaden i brevet")
        .get("/applications/{id}/letter.pdf", read, letter_pdf)
        .describe("Brevet som PDF/A-2")
        .post("/applications/{id}/acceptance", either, acceptance)
        .describe("Svar på tilskuddet (aksepter eller avslå)")
        .post("/applications/{id}/payments", officer, payment)
        .describe("Registrer en utbetaling")
        .post(
            "/applications/{id}/payment-requests",
            applicant,
            payment_request,
        )
        .describe("Be om utbetaling (med prosjektregnskap som vedlegg)")
        .post(
            "/payment-requests/{id}/approve",
            officer,
            |s: State<AppState>, u: CurrentUser, id: Id, b: ApiJson<CommentBody>| {
                decide_request(s, u, id, b, true)
            },
        )
        .describe("Godkjenn en anmodning om utbetaling")
        .post(
            "/payment-requests/{id}/reject",
            officer,
            |s: State<AppState>, u: CurrentUser, id: Id, b: ApiJson<CommentBody>| {
                decide_request(s, u, id, b, false)
            },
        )
        .describe("Avslå en anmodning om utbetaling")
        .post("/applications/{id}/final-report", either, final_report)
        .describe("Send sluttrapporten")
        .get(
            "/applications/{id}/report-template.xlsx",
            read,
            report_template,
        )
        .describe("Sluttrapportskjemaet for tilskuddet")
        .post(
            "/applications/{id}/final-report/approve",
            officer,
            approve_report,
        )
        .describe("Godkjenn sluttrapporten")
        .post(
            "/applications/{id}/final-report/return",
            officer,
            return_report,
        )
        .describe("Send sluttrapporten tilbake (med kommentar)")
        .post("/applications/{id}/repayments", officer, repayment)
        .describe("Registrer en tilbakebetaling")
        .get("/followup-documents/{id}", read, document)
        .describe("Et vedlegg slik det ble sendt")
        .get("/outbox", office, outbox)
        .describe("Utboksen for e-post")
        .post("/outbox/{id}/retry", officer, retry_mail)
        .describe("Prøv å sende en feilet e-post igjen")
}

/// `GET /api/v1/rounds/{id}/followup`: per decided application and totals that
/// reconcile; overdue first. A municipality sees its own grant only.
async fn overview(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<FollowupOverview>> {
    let round = scope::round(&state.store, &user, id).await?.round;
    Ok(Json(followup::overview(&state.store, &user, &round).await?))
}

async fn get_terms(State(state): State<AppState>, Id(id): Id) -> AppResult<Json<TermsView>> {
    state.store.round(id).await?;
    Ok(Json(TermsView::of(state.store.followup_terms(id).await?)))
}

async fn put_terms(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(input): ApiJson<FollowupTermsInput>,
) -> AppResult<Json<TermsView>> {
    Ok(Json(
        followup::set_terms(&state.store, &user, id, &input).await?,
    ))
}

async fn put_templates(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(input): ApiJson<TemplatesInput>,
) -> AppResult<Json<TermsView>> {
    Ok(Json(
        followup::set_templates(&state.store, &user, id, &input).await?,
    ))
}

async fn issue(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    send: bool,
) -> AppResult<Json<LettersOutcome>> {
    let outcome = followup::issue_letters(&state.store, &user, id, send).await?;
    state.wake_outbox();
    Ok(Json(outcome))
}

async fn letters_zip(State(state): State<AppState>, Id(id): Id) -> AppResult<Download<Zip>> {
    let round = state.store.round(id).await?;
    let letters = state.store.issued_letters(id).await?;
    if letters.is_empty() {
        return Err(AppError::NotFound(
            "Ingen brev er utstedt i runden ennå.".into(),
        ));
    }
    followup_files::letters_zip(&round, &letters)
}

async fn payments_csv(State(state): State<AppState>, Id(id): Id) -> AppResult<Download<Csv>> {
    let round = state.store.round(id).await?;
    let payments = state.store.round_payments(id).await?;
    Ok(followup_files::payments_csv(&round, &payments))
}

async fn complete(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<Completed>> {
    followup::complete(&state.store, &user, id).await?;
    Ok(Json(Completed {
        round_id: id,
        phase: crate::domain::round::RoundPhase::Completed,
    }))
}

/// The round is completed.
#[derive(Serialize, JsonSchema)]
struct Completed {
    round_id: i64,
    phase: crate::domain::round::RoundPhase,
}

async fn grant_detail(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<GrantDetail>> {
    Ok(Json(followup::grant_detail(&state.store, &user, id).await?))
}

async fn get_letter(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<LetterView>> {
    Ok(Json(followup::letter(&state.store, &user, id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct NoteBody {
    #[serde(default)]
    note: Option<String>,
}

async fn put_letter_note(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(body): ApiJson<NoteBody>,
) -> AppResult<Json<LetterView>> {
    followup::set_letter_note(&state.store, &user, id, body.note.as_deref()).await?;
    Ok(Json(followup::letter(&state.store, &user, id).await?))
}

/// `GET /api/v1/applications/{id}/letter.pdf`: the issued letter as PDF/A-2 (officers
/// also get the draft, marked as such).
async fn letter_pdf(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Download<Pdf>> {
    let view = followup::letter(&state.store, &user, id).await?;
    followup_files::letter_pdf_response(&view)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct AcceptanceBody {
    accepted: bool,
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /api/v1/applications/{id}/acceptance` `{"accepted": true}`.
async fn acceptance(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(body): ApiJson<AcceptanceBody>,
) -> AppResult<Created<GrantDetail>> {
    followup::answer(
        &state.store,
        &user,
        id,
        body.accepted,
        body.comment.as_deref(),
    )
    .await?;
    let detail = followup::grant_detail(&state.store, &user, id).await?;
    Ok(Created::at(
        format!("/api/v1/applications/{id}/followup"),
        detail,
    ))
}

/// `POST /api/v1/applications/{id}/payments` `{"date","amount","reference"}`.
async fn payment(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(input): ApiJson<MovementInput>,
) -> AppResult<Created<GrantDetail>> {
    let payment_id = followup::record_payment(&state.store, &user, id, &input).await?;
    let detail = followup::grant_detail(&state.store, &user, id).await?;
    Ok(Created::at(
        format!("/api/v1/applications/{id}/followup#payment-{payment_id}"),
        detail,
    ))
}

/// `POST /api/v1/applications/{id}/payment-requests`: JSON `{"amount","final","note"}`,
/// or a multipart form with the same fields and the project accounts as `file`.
async fn payment_request(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: JsonOrForm<RequestInput>,
) -> AppResult<Created<GrantDetail>> {
    let request_id = followup::request_payment(
        &state.store,
        &user,
        id,
        &form.value,
        form.file.map(Into::into),
    )
    .await?;
    let detail = followup::grant_detail(&state.store, &user, id).await?;
    Ok(Created::at(
        format!("/api/v1/applications/{id}/followup#request-{request_id}"),
        detail,
    ))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct CommentBody {
    #[serde(default)]
    comment: Option<String>,
}

async fn decide_request(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(body): ApiJson<CommentBody>,
    approve: bool,
) -> AppResult<NoContent> {
    followup::decide_request(&state.store, &user, id, approve, body.comment.as_deref()).await?;
    Ok(NoContent)
}

/// `POST /api/v1/applications/{id}/final-report`: JSON `{"spent","narrative",
/// "auditor_confirmed"}` (`spent` one amount or a list of `{"category","spent"}`), or a
/// multipart form with the same fields and the accounts as `file`, or a multipart form
/// with only the filled-in report workbook as `file` (read back like an application).
async fn final_report(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: JsonOrForm<serde_json::Value>,
) -> AppResult<Created<GrantDetail>> {
    let source = report_source(form)?;
    let report_id =
        followup::submit_report(&state.store, &state.uploads, &user, id, source).await?;
    let detail = followup::grant_detail(&state.store, &user, id).await?;
    Ok(Created::at(
        format!("/api/v1/applications/{id}/followup#report-{report_id}"),
        detail,
    ))
}

/// A report form: typed fields, or a workbook alone (no `spent` field).
pub(super) fn report_source(form: JsonOrForm<serde_json::Value>) -> AppResult<ReportSource> {
    let typed = form.value.get("spent").is_some_and(|v| match v {
        serde_json::Value::String(s) => !s.trim().is_empty(),
        serde_json::Value::Null => false,
        _ => true,
    });
    match (typed, form.file.map(Into::into)) {
        (false, Some(file)) => Ok(ReportSource::Workbook(file)),
        (_, file) => {
            let input: FinalReportInput = crate::web::extract::from_json_value(form.value)?;
            Ok(ReportSource::Typed(input, file))
        }
    }
}

/// `GET /api/v1/applications/{id}/report-template.xlsx`: the report workbook for a grant.
async fn report_template(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Download<Xlsx>> {
    let (name, bytes) = followup::report_template(&state.store, &user, id).await?;
    Ok(Download::new(bytes, name))
}

async fn approve_report(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Json<GrantDetail>> {
    followup::approve_report(&state.store, &user, id).await?;
    Ok(Json(followup::grant_detail(&state.store, &user, id).await?))
}

async fn return_report(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(body): ApiJson<CommentBody>,
) -> AppResult<Json<GrantDetail>> {
    followup::return_report(
        &state.store,
        &user,
        id,
        body.comment.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(Json(followup::grant_detail(&state.store, &user, id).await?))
}

/// `POST /api/v1/applications/{id}/repayments` `{"date","amount","reference"}`: money
/// paid back against the claim.
async fn repayment(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    ApiJson(input): ApiJson<MovementInput>,
) -> AppResult<Created<GrantDetail>> {
    let repayment_id = followup::record_repayment(&state.store, &user, id, &input).await?;
    let detail = followup::grant_detail(&state.store, &user, id).await?;
    Ok(Created::at(
        format!("/api/v1/applications/{id}/followup#repayment-{repayment_id}"),
        detail,
    ))
}

async fn document(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Download<AnyFile>> {
    let document = followup::document(&state.store, &user, id).await?;
    Ok(followup_files::document_response(document))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct OutboxQuery {
    #[serde(default)]
    round: Option<i64>,
}

/// The outbox: whether mail can be sent, what waits, and the latest messages.
#[derive(Serialize, JsonSchema)]
struct OutboxBody {
    smtp_configured: bool,
    /// Messages waiting to be sent.
    pending: i64,
    messages: Vec<crate::store::outbox::OutboxMessage>,
}

async fn outbox(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<OutboxQuery>,
) -> AppResult<Json<OutboxBody>> {
    let messages = state.store.outbox(query.round, 500).await?;
    let backlog = state.store.outbox_backlog().await?;
    Ok(Json(OutboxBody {
        smtp_configured: state.mail_configured(),
        pending: backlog,
        messages,
    }))
}

async fn retry_mail(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<NoContent> {
    crate::app::outbox::retry(&state.store, &user, id).await?;
    state.wake_outbox();
    Ok(NoContent)
}
