//! Oppfølging: the round's follow-up (overdue first), its terms and letter texts, one
//! grant's page (letter, acceptance, payments, requests, report, repayment), the letter
//! as a printable page, the workbook of it all, and the outbox.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, render};
use crate::app::followup::{
    self, FollowupOverview, GrantDetail, LetterView, MovementInput, ReportSource, RequestInput,
    TemplatesInput, TermsView,
};
use crate::app::visibility as scope;
use crate::domain::date::format_date;
use crate::domain::followup::{
    FinalReportInput, FollowupTermsInput, PaymentPlan, ReportStatus, SpentInput,
};
use crate::domain::letter::{FIELDS, LetterBlock};
use crate::domain::round::{Round, RoundPhase};
use crate::domain::user::Principal;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::sheets::followup_export::{
    FollowupExport, GrantLine, PaymentLine, RepaymentLine, ReportLine, followup_workbook,
};
use crate::store::outbox::OutboxMessage;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::{FormFields, Id, JsonOrForm};
use crate::web::responses::xlsx_response;

pub fn routes() -> Routes {
    let read = Access::Roles(roles::ALL);
    let office = Access::Roles(roles::OFFICE);
    let officer = Access::Roles(roles::OFFICER);
    let applicant = Access::Roles(roles::APPLICANT);
    let either = Access::Roles(roles::APPLICANT_OR_OFFICER);
    Routes::default()
        .get("/rounds/{id}/followup", read, overview)
        .get("/rounds/{id}/followup.xlsx", office, workbook)
        .get("/rounds/{id}/followup/terms", officer, terms_form)
        .post("/rounds/{id}/followup/terms", officer, save_terms)
        .post(
            "/rounds/{id}/letters/issue",
            officer,
            |s: State<AppState>, u: CurrentUser, id: Id| issue(s, u, id, false),
        )
        .post(
            "/rounds/{id}/letters/send",
            officer,
            |s: State<AppState>, u: CurrentUser, id: Id| issue(s, u, id, true),
        )
        .post("/rounds/{id}/complete", officer, complete)
        .get("/applications/{id}/followup", read, grant_page)
        .get("/applications/{id}/letter", read, letter_page)
        .post("/applications/{id}/letter", officer, save_note)
        .post("/applications/{id}/acceptance", either, acceptance)
        .post("/applications/{id}/payments", officer, payment)
        .post(
            "/applications/{id}/payment-requests",
            applicant,
            payment_request,
        )
        .post("/payment-requests/{id}/decide", officer, decide_request)
        .post("/applications/{id}/final-report", either, final_report)
        .post(
            "/applications/{id}/final-report/review",
            officer,
            review_report,
        )
        .post("/applications/{id}/repayments", officer, repayment)
        .get("/outbox", office, outbox_page)
        .post("/outbox/{id}/retry", officer, retry_mail)
}

fn date_text(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "ikke satt".to_string(), format_date)
}

// ---- the round's follow-up ----

#[derive(Template)]
#[template(path = "followup/overview.html")]
struct OverviewPage {
    layout: Layout,
    round: Round,
    followup: FollowupOverview,
    alert: Option<String>,
    notice: Option<String>,
}

impl OverviewPage {
    fn acceptance_deadline(&self) -> String {
        date_text(self.followup.terms.acceptance_deadline)
    }

    fn report_deadline(&self) -> String {
        date_text(self.followup.terms.report_deadline)
    }

    fn can_issue(&self) -> bool {
        matches!(self.round.phase, RoundPhase::Decided | RoundPhase::FollowUp)
    }

    fn unsettled(&self) -> usize {
        self.followup
            .applications
            .iter()
            .filter(|r| !r.settled)
            .count()
    }
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct Notice {
    #[serde(default)]
    melding: Option<String>,
}

async fn overview(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let page = overview_page(&state, &user, id, None, notice.melding).await?;
    Ok(render(&page))
}

async fn overview_page(
    state: &AppState,
    user: &Principal,
    id: i64,
    alert: Option<String>,
    notice: Option<String>,
) -> AppResult<OverviewPage> {
    let round = scope::round(&state.store, user, id).await?.round;
    if !round.phase.is_decided() {
        return Err(AppError::Conflict(format!(
            "Runden «{}» er {}; oppfølgingen begynner når vedtaket er fattet.",
            round.name,
            round.phase.label().to_lowercase()
        )));
    }
    let followup = followup::overview(&state.store, user, &round).await?;
    Ok(OverviewPage {
        layout: Layout::new(state, user, "runder"),
        round,
        followup,
        alert,
        notice: notice.map(|n| notice_text(&n)),
    })
}

/// The confirmations a redirect names (kept short in the URL).
fn notice_text(key: &str) -> String {
    match key {
        "utstedt" => "Brevene er utstedt.".into(),
        "sendt" => "Brevene er lagt i utboksen og sendes til søkerne.".into(),
        "avsluttet" => "Runden er avsluttet.".into(),
        "lagret" => "Lagret.".into(),
        _ => String::new(),
    }
}

/// Renders a refused change back on the page it came from, with the message.
async fn overview_with_error(
    state: &AppState,
    user: &Principal,
    id: i64,
    err: AppError,
) -> AppResult<Response> {
    let status = err.status();
    let message = match err {
        AppError::Invalid(errors) => errors.to_string(),
        AppError::Conflict(message) | AppError::Forbidden(message) => message,
        other => return Err(other),
    };
    let page = overview_page(state, user, id, Some(message), None).await?;
    Ok((status, render(&page)).into_response())
}

async fn issue(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    send: bool,
) -> AppResult<Response> {
    match followup::issue_letters(&state.store, &user, id, send).await {
        Ok(outcome) => {
            state.wake_outbox();
            let key = if send { "sendt" } else { "utstedt" };
            let mut url = format!("/rounds/{id}/followup?melding={key}");
            if !outcome.without_address.is_empty() {
                url.push_str("#uten-adresse");
            }
            Ok(Redirect::to(&url).into_response())
        }
        Err(err) => overview_with_error(&state, &user, id, err).await,
    }
}

async fn complete(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    match followup::complete(&state.store, &user, id).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/rounds/{id}/followup?melding=avsluttet")).into_response())
        }
        Err(err) => overview_with_error(&state, &user, id, err).await,
    }
}

async fn workbook(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let round = scope::round(&state.store, &user, id).await?.round;
    let overview = followup::overview(&state.store, &user, &round).await?;
    let mut export = FollowupExport {
        round: &round,
        grants: Vec::with_capacity(overview.applications.len()),
        payments: Vec::new(),
        reports: Vec::new(),
        repayments: Vec::new(),
    };
    for row in &overview.applications {
        let detail = followup::grant_detail(&state.store, &user, row.application_id).await?;
        export.grants.push(GrantLine {
            applicant: row.applicant.clone(),
            kommunenummer: row.kommunenummer.clone(),
            letter: if row.letter_sent {
                "Sendt"
            } else if row.letter_issued {
                "Utstedt"
            } else {
                "Ikke utstedt"
            }
            .into(),
            accepted: match row.accepted {
                None => "Ikke svart",
                Some(true) => "Akseptert",
                Some(false) => "Avslått",
            }
            .into(),
            report: row.report_status.label().into(),
            overdue: row
                .overdue
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            line: row.line,
        });
        export
            .payments
            .extend(detail.payments.iter().map(|p| PaymentLine {
                date: p.date,
                applicant: row.applicant.clone(),
                amount: p.amount,
                reference: p.reference.clone(),
                recorded_by: p.recorded_by.clone(),
            }));
        if let Some(report) = detail.reports.first() {
            export.reports.push(ReportLine {
                applicant: row.applicant.clone(),
                status: report.status.label().into(),
                spent: report.spent,
                auditor_confirmed: report.auditor_confirmed,
                submitted_by: report.submitted_by.clone(),
                submitted_at: report
                    .submitted_at
                    .with_timezone(&chrono_tz::Europe::Oslo)
                    .format("%d.%m.%Y")
                    .to_string(),
                review_comment: report.review_comment.clone(),
            });
        }
        if !row.line.repayment.is_zero() {
            export.repayments.push(RepaymentLine {
                applicant: row.applicant.clone(),
                claimed: row.line.repayment,
                due: row.repayment_due,
                repaid: row.line.repaid,
            });
        }
    }
    export.payments.sort_by_key(|p| p.date);
    let bytes = followup_workbook(&export)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("oppfølgingen som Excel: {e}")))?;
    Ok(xlsx_response(
        bytes,
        &format!("oppfolging-{}-{}.xlsx", round.year, round.id),
    ))
}

// ---- terms and letter texts ----

#[derive(Template)]
#[template(path = "followup/terms.html")]
struct TermsPage {
    layout: Layout,
    round: Round,
    input: FollowupTermsInput,
    grant_template: String,
    rejection_template: String,
    plans: Vec<(&'static str, &'static str)>,
    fields: &'static [(&'static str, &'static str)],
    errors: FieldErrors,
}

impl TermsPage {
    fn plan_selected(&self, plan: &str) -> bool {
        self.input.payment_plan.as_deref() == Some(plan)
    }

    fn appeal(&self) -> bool {
        self.input.appeal_allowed.unwrap_or(true)
    }
}

fn terms_page(
    state: &AppState,
    user: &Principal,
    round: Round,
    input: FollowupTermsInput,
    view: &TermsView,
    errors: FieldErrors,
) -> TermsPage {
    TermsPage {
        layout: Layout::new(state, user, "runder"),
        round,
        input,
        grant_template: view.grant_template.clone(),
        rejection_template: view.rejection_template.clone(),
        plans: PaymentPlan::ALL
            .iter()
            .map(|p| (p.as_str(), p.label()))
            .collect(),
        fields: &FIELDS,
        errors,
    }
}

async fn terms_form(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let round = state.store.round(id).await?;
    let view = TermsView::of(state.store.followup_terms(id).await?);
    let input = FollowupTermsInput::from_terms(&view.terms);
    Ok(render(&terms_page(
        &state,
        &user,
        round,
        input,
        &view,
        FieldErrors::new(),
    )))
}

async fn save_terms(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let input = FollowupTermsInput {
        acceptance_deadline: form.optional("acceptance_deadline"),
        report_deadline: form.optional("report_deadline"),
        payment_plan: form.optional("payment_plan"),
        auditor_threshold: form.text("auditor_threshold"),
        repayment_days: form.text("repayment_days"),
        appeal_allowed: Some(form.get("appeal_allowed").is_some()),
        purpose: form.optional("purpose"),
        conditions: form.optional("conditions"),
    };
    let templates = TemplatesInput {
        grant: form.optional("grant_template"),
        rejection: form.optional("rejection_template"),
    };
    let saved = match followup::set_terms(&state.store, &user, id, &input).await {
        Ok(_) => followup::set_templates(&state.store, &user, id, &templates).await,
        Err(err) => Err(err),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/rounds/{id}/followup?melding=lagret")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let round = state.store.round(id).await?;
            // What was typed is shown back, texts included.
            let view = TermsView {
                grant_template: templates.grant.clone().unwrap_or_default(),
                rejection_template: templates.rejection.clone().unwrap_or_default(),
                ..TermsView::of(state.store.followup_terms(id).await?)
            };
            let page = terms_page(&state, &user, round, input, &view, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => overview_with_error(&state, &user, id, err).await,
    }
}

// ---- one grant ----

#[derive(Template)]
#[template(path = "followup/grant.html")]
struct GrantPage {
    layout: Layout,
    round: Round,
    detail: GrantDetail,
    plan: PaymentPlan,
    auditor_threshold: String,
    letter_issued: bool,
    errors: FieldErrors,
    alert: Option<String>,
    /// The report form's values as typed (after a refusal).
    typed: FormFields,
}

impl GrantPage {
    fn is_own(&self) -> bool {
        self.layout.is_applicant()
    }

    fn in_followup(&self) -> bool {
        self.round.phase.in_followup()
    }

    fn may_report(&self) -> bool {
        self.detail.row.accepted == Some(true)
            && matches!(
                self.detail.row.report_status,
                ReportStatus::NotSubmitted | ReportStatus::Returned
            )
    }

    fn report_pending(&self) -> bool {
        self.detail.row.report_status == ReportStatus::Submitted
    }

    fn requests_allowed(&self) -> bool {
        self.plan == PaymentPlan::OnRequest && self.detail.row.accepted == Some(true)
    }

    fn typed(&self, name: &str) -> String {
        self.typed.text(name)
    }

    fn accepted_text(&self) -> &'static str {
        match self.detail.row.accepted {
            None => "Ikke svart",
            Some(true) => "Akseptert",
            Some(false) => "Avslått av mottakeren",
        }
    }

    fn repayment_due(&self) -> String {
        date_text(self.detail.row.repayment_due)
    }
}

async fn grant_page_for(
    state: &AppState,
    user: &Principal,
    id: i64,
    errors: FieldErrors,
    alert: Option<String>,
    typed: FormFields,
) -> AppResult<GrantPage> {
    let detail = followup::grant_detail(&state.store, user, id).await?;
    let grant = state.store.grant(id).await?;
    let round = state.store.round(grant.round_id).await?;
    let terms = state.store.followup_terms(round.id).await?.terms;
    Ok(GrantPage {
        layout: Layout::new(state, user, "runder"),
        round,
        letter_issued: grant.state.letter_issued,
        plan: terms.payment_plan,
        auditor_threshold: terms.auditor_threshold.to_string(),
        detail,
        errors,
        alert,
        typed,
    })
}

async fn grant_page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    Ok(render(
        &grant_page_for(
            &state,
            &user,
            id,
            FieldErrors::new(),
            None,
            FormFields(Vec::new()),
        )
        .await?,
    ))
}

/// After a change on the grant page: back to it, or the page again with the refusal.
async fn after(
    state: &AppState,
    user: &Principal,
    id: i64,
    result: AppResult<()>,
    typed: FormFields,
) -> AppResult<Response> {
    let err = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/applications/{id}/followup")).into_response()),
        Err(err) => err,
    };
    let status = err.status();
    let (errors, alert) = match err {
        AppError::Invalid(errors) => (errors, None),
        AppError::Conflict(message) | AppError::Forbidden(message) => {
            (FieldErrors::new(), Some(message))
        }
        other => return Err(other),
    };
    let page = grant_page_for(state, user, id, errors, alert, typed).await?;
    Ok((status, render(&page)).into_response())
}

async fn acceptance(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let accepted = form.get("accepted") == Some("true");
    let result = followup::answer(
        &state.store,
        &user,
        id,
        accepted,
        form.get("comment").filter(|c| !c.trim().is_empty()),
    )
    .await;
    after(&state, &user, id, result, form).await
}

fn movement_input(form: &FormFields) -> MovementInput {
    MovementInput {
        date: form.optional("date"),
        amount: form.text("amount"),
        reference: form.text("reference"),
        request_id: form.get("request_id").and_then(|r| r.parse().ok()),
    }
}

async fn payment(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let result = followup::record_payment(&state.store, &user, id, &movement_input(&form))
        .await
        .map(|_| ());
    after(&state, &user, id, result, form).await
}

async fn repayment(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let result = followup::record_repayment(&state.store, &user, id, &movement_input(&form))
        .await
        .map(|_| ());
    after(&state, &user, id, result, form).await
}

/// The text fields of a multipart form, to show them back after a refusal.
fn typed_of(value: &serde_json::Value) -> FormFields {
    FormFields(
        value
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

async fn payment_request(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: JsonOrForm<serde_json::Value>,
) -> AppResult<Response> {
    let typed = typed_of(&form.value);
    let result = match serde_json::from_value::<RequestInput>(form.value) {
        Ok(input) => {
            followup::request_payment(&state.store, &user, id, &input, form.file.map(Into::into))
                .await
                .map(|_| ())
        }
        Err(e) => Err(AppError::invalid(
            "amount",
            format!("Skjemaet kunne ikke leses: {e}"),
        )),
    };
    after(&state, &user, id, result, typed).await
}

async fn decide_request(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(request_id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let application_id: i64 = form
        .get("application_id")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| AppError::BadRequest("Skjemaet mangler søknaden.".into()))?;
    let approve = form.get("decision") == Some("approve");
    let result = followup::decide_request(
        &state.store,
        &user,
        request_id,
        approve,
        form.get("comment").filter(|c| !c.trim().is_empty()),
    )
    .await;
    after(&state, &user, application_id, result, form).await
}

async fn final_report(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: JsonOrForm<serde_json::Value>,
) -> AppResult<Response> {
    let mut typed = typed_of(&form.value);
    // A checkbox sends `true`; the page's form has a workbook field and typed fields.
    let auditor_confirmed = form.value["auditor_confirmed"] == serde_json::Value::Bool(true);
    let file = form.file.map(Into::into);
    let source = match file {
        Some(file) if typed.text("spent").trim().is_empty() => ReportSource::Workbook(file),
        file => ReportSource::Typed(
            FinalReportInput {
                spent: SpentInput::Total(typed.text("spent")),
                narrative: typed.text("narrative"),
                auditor_confirmed,
            },
            file,
        ),
    };
    let result = followup::submit_report(&state.store, &state.uploads, &user, id, source)
        .await
        .map(|_| ());
    typed.0.retain(|(k, _)| k != "_csrf");
    after(&state, &user, id, result, typed).await
}

async fn review_report(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let result = if form.get("decision") == Some("approve") {
        followup::approve_report(&state.store, &user, id)
            .await
            .map(|_| ())
    } else {
        followup::return_report(&state.store, &user, id, &form.text("comment")).await
    };
    after(&state, &user, id, result, form).await
}

// ---- the letter as a page ----

#[derive(Template)]
#[template(path = "followup/letter.html")]
struct LetterPage {
    layout: Layout,
    view: LetterView,
    round_id: i64,
    errors: FieldErrors,
    alert: Option<String>,
}

impl LetterPage {
    fn date(&self) -> String {
        format_date(self.view.letter.date)
    }

    fn blocks(&self) -> &[LetterBlock] {
        &self.view.letter.body
    }
}

async fn letter_page_for(
    state: &AppState,
    user: &Principal,
    id: i64,
    errors: FieldErrors,
    alert: Option<String>,
) -> AppResult<LetterPage> {
    let view = followup::letter(&state.store, user, id).await?;
    let grant = state.store.grant(id).await?;
    Ok(LetterPage {
        layout: Layout::new(state, user, "runder"),
        view,
        round_id: grant.round_id,
        errors,
        alert,
    })
}

async fn letter_page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    Ok(render(
        &letter_page_for(&state, &user, id, FieldErrors::new(), None).await?,
    ))
}

async fn save_note(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let note = form.get("note").filter(|n| !n.trim().is_empty());
    match followup::set_letter_note(&state.store, &user, id, note).await {
        Ok(()) => Ok(Redirect::to(&format!("/applications/{id}/letter")).into_response()),
        Err(err) => {
            let status = err.status();
            let (errors, alert) = match err {
                AppError::Invalid(errors) => (errors, None),
                AppError::Conflict(m) => (FieldErrors::new(), Some(m)),
                other => return Err(other),
            };
            let page = letter_page_for(&state, &user, id, errors, alert).await?;
            Ok((status, render(&page)).into_response())
        }
    }
}

// ---- the outbox ----

#[derive(Template)]
#[template(path = "followup/outbox.html")]
struct OutboxPage {
    layout: Layout,
    messages: Vec<OutboxMessage>,
    pending: i64,
    smtp_configured: bool,
}

impl OutboxPage {
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&chrono_tz::Europe::Oslo)
            .format("%d.%m.%Y %H:%M")
            .to_string()
    }

    fn status_label(&self, status: &str) -> &'static str {
        match status {
            "pending" => "Venter",
            "sent" => "Sendt",
            "recorded" => "Registrert (ikke sendt)",
            "failed" => "Kan ikke sendes",
            _ => "Ukjent",
        }
    }
}

async fn outbox_page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
) -> AppResult<Response> {
    Ok(render(&OutboxPage {
        layout: Layout::new(&state, &user, "utboks"),
        messages: state.store.outbox(None, 500).await?,
        pending: state.store.outbox_backlog().await?,
        smtp_configured: state.mail_configured(),
    }))
}

async fn retry_mail(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    crate::app::outbox::retry(&state.store, &user, id).await?;
    state.wake_outbox();
    Ok(Redirect::to("/outbox").into_response())
}
