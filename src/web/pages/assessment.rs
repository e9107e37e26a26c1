//! Vurdering: the round's criteria (list and forms), and on the application page the
//! impartiality declaration and the scoring form. The API shares the bodies built here.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, render};
use crate::app::visibility as scope;
use crate::domain::assessment::{AssessmentInput, CriterionInput, DeclarationInput, ScoreInput};
use crate::domain::audit::Actor;
use crate::domain::round::Round;
use crate::domain::user::{Principal, Role};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::store::{Declaration, decimal_text};
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::{FormFields, Id};

pub fn routes() -> Routes {
    let office = Access::Roles(roles::OFFICE);
    let officer = Access::Roles(roles::OFFICER);
    Routes::default()
        .get("/rounds/{id}/criteria", office, criteria_page)
        .post("/rounds/{id}/criteria", officer, add_criterion)
        .post("/criteria/{id}", officer, update_criterion)
        .post("/criteria/{id}/delete", officer, delete_criterion)
        .post(
            "/applications/{id}/impartiality",
            Access::Roles(roles::DECLARES_IMPARTIALITY),
            declare,
        )
        .post(
            "/applications/{id}/impartiality/{user_id}/lift",
            Access::Roles(roles::DECLARES_IMPARTIALITY),
            lift,
        )
        .post("/applications/{id}/assessment", officer, save)
}

fn oslo_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Oslo)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

/// Errors with their field names prefixed, so two forms on one page keep their own.
fn prefixed(errors: FieldErrors, prefix: &str) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|e| FieldError::new(format!("{prefix}{}", e.field), e.message))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------
// Criteria

/// One criterion as a row of the list and its edit form.
struct CriterionLine {
    id: i64,
    name: String,
    weight: String,
    /// Share of the total weight, `40 %`.
    share: String,
    name_input: String,
    weight_input: String,
    name_error: Option<String>,
    weight_error: Option<String>,
}

#[derive(Template)]
#[template(path = "assessment/criteria.html")]
struct CriteriaPage {
    layout: Layout,
    round: Round,
    lines: Vec<CriterionLine>,
    total_weight: String,
    /// Officer and the round is open.
    editable: bool,
    new_input: CriterionInput,
    errors: FieldErrors,
    alert: Option<String>,
    notice: Option<&'static str>,
}

/// What the user typed into an edit form that failed, to show it again.
struct FailedEdit {
    id: i64,
    input: CriterionInput,
    errors: FieldErrors,
}

async fn criteria_view(
    state: &AppState,
    user: &Principal,
    round_id: i64,
    new_input: CriterionInput,
    failed: Option<FailedEdit>,
) -> AppResult<CriteriaPage> {
    let round = scope::round(&state.store, user, round_id).await?.round;
    let criteria = state.store.criteria(round_id).await?;
    let total: rust_decimal::Decimal = criteria.iter().map(|c| c.weight).sum();
    let lines = criteria
        .into_iter()
        .map(|c| {
            let share = if total.is_zero() {
                String::new()
            } else {
                format!(
                    "{} %",
                    decimal_text(
                        (c.weight * rust_decimal::Decimal::ONE_HUNDRED / total).round_dp(1)
                    )
                )
            };
            let mut line = CriterionLine {
                id: c.id,
                weight: decimal_text(c.weight),
                share,
                name_input: c.name.clone(),
                weight_input: decimal_text(c.weight),
                name: c.name,
                name_error: None,
                weight_error: None,
            };
            if let Some(f) = failed.as_ref().filter(|f| f.id == line.id) {
                line.name_input = f.input.name.clone();
                line.weight_input = f.input.weight.clone();
                line.name_error = f.errors.for_field("name").map(str::to_string);
                line.weight_error = f.errors.for_field("weight").map(str::to_string);
            }
            line
        })
        .collect();
    let editable = user.has(Role::Saksbehandler) && round.phase.allows_assessment();
    Ok(CriteriaPage {
        layout: Layout::new(state, user, "runder"),
        round,
        lines,
        total_weight: decimal_text(total),
        editable,
        new_input,
        errors: FieldErrors::new(),
        alert: None,
        notice: None,
    })
}

#[derive(Deserialize, schemars::JsonSchema)]
struct CriteriaQuery {
    lagret: Option<String>,
    slettet: Option<String>,
}

async fn criteria_page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    Query(query): Query<CriteriaQuery>,
) -> AppResult<Response> {
    let mut page = criteria_view(&state, &user, round_id, CriterionInput::default(), None).await?;
    page.notice = if query.lagret.is_some() {
        Some("Kriteriet er lagret.")
    } else if query.slettet.is_some() {
        Some("Kriteriet er slettet.")
    } else {
        None
    };
    Ok(render(&page))
}

fn criterion_input(form: &FormFields) -> CriterionInput {
    CriterionInput {
        name: form.text("name"),
        weight: form.text("weight"),
    }
}

/// The criteria page again with the problem shown; other errors pass through.
async fn criteria_with_error(
    state: &AppState,
    user: &Principal,
    round_id: i64,
    new_input: CriterionInput,
    edit: Option<(i64, CriterionInput)>,
    err: AppError,
) -> AppResult<Response> {
    let status = err.status();
    let (errors, alert) = match err {
        AppError::Invalid(errors) => (errors, None),
        AppError::Conflict(message) => (FieldErrors::new(), Some(message)),
        other => return Err(other),
    };
    let failed = edit.map(|(id, input)| FailedEdit {
        id,
        input,
        errors: errors.clone(),
    });
    let summary = match &failed {
        Some(f) => prefixed(errors, &format!("{}-", f.id)),
        None => errors,
    };
    let mut page = criteria_view(state, user, round_id, new_input, failed).await?;
    page.errors = summary;
    page.alert = alert;
    Ok((status, render(&page)).into_response())
}

async fn add_criterion(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    form: FormFields,
) -> AppResult<Response> {
    scope::round(&state.store, &user, round_id).await?;
    let input = criterion_input(&form);
    let result = match input.validate() {
        Ok(fields) => {
            crate::app::assessment::add_criterion(
                &state.store,
                round_id,
                &fields,
                &Actor::from(&user),
            )
            .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/rounds/{round_id}/criteria?lagret=1")).into_response()),
        Err(err) => criteria_with_error(&state, &user, round_id, input, None, err).await,
    }
}

async fn update_criterion(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let (round_id, _) = state.store.criterion(id).await?;
    let input = criterion_input(&form);
    let result = match input.validate() {
        Ok(fields) => {
            crate::app::assessment::update_criterion(&state.store, id, &fields, &Actor::from(&user))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/rounds/{round_id}/criteria?lagret=1")).into_response())
        }
        Err(err) => {
            criteria_with_error(
                &state,
                &user,
                round_id,
                CriterionInput::default(),
                Some((id, input)),
                err,
            )
            .await
        }
    }
}

async fn delete_criterion(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let (round_id, _) = state.store.criterion(id).await?;
    match crate::app::assessment::delete_criterion(&state.store, id, &Actor::from(&user)).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/rounds/{round_id}/criteria?slettet=1")).into_response())
        }
        Err(err) => {
            criteria_with_error(
                &state,
                &user,
                round_id,
                CriterionInput::default(),
                None,
                err,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// The «Vurdering» section of the application page

/// One criterion in the scoring form: what is saved, and what is in the field.
pub struct ScoreLine {
    pub criterion_id: i64,
    pub name: String,
    pub weight: String,
    pub saved_score: Option<String>,
    pub saved_comment: Option<String>,
    /// «Siri Saksbehandler, 12.03.2026 14:05».
    pub saved_by: Option<String>,
    pub score: String,
    pub comment: String,
    pub score_error: Option<String>,
    pub comment_error: Option<String>,
}

pub struct DeclarationLine {
    pub user_id: i64,
    pub user_name: String,
    pub reason: String,
    pub when: String,
    /// «opphevet av Geir Godkjenner 12.03.2026 14:05: Ikke nær slekt likevel».
    pub lifted: Option<String>,
}

impl DeclarationLine {
    fn new(d: &Declaration) -> Self {
        DeclarationLine {
            user_id: d.user_id,
            user_name: d.user_name.clone(),
            reason: d.reason.clone().unwrap_or_default(),
            when: oslo_time(d.declared_at),
            lifted: d.lifted_at.map(|at| {
                format!(
                    "inhabilitet opphevet av {} {}: {}",
                    d.lifted_by.as_deref().unwrap_or("?"),
                    oslo_time(at),
                    d.lifted_reason.as_deref().unwrap_or("")
                )
            }),
        }
    }
}

/// Everything the application page's «Vurdering» section shows (office roles only).
pub struct AssessmentSection {
    pub application_id: i64,
    /// The viewer, who may lift others' declared conflicts but not their own.
    pub user_id: i64,
    pub round_open: bool,
    pub may_declare: bool,
    pub may_score: bool,
    /// None: not declared; Some(true): declared a conflict.
    pub my_conflict: Option<bool>,
    pub my_reason: String,
    pub conflicts: Vec<DeclarationLine>,
    pub impartial: Vec<DeclarationLine>,
    pub lines: Vec<ScoreLine>,
    pub weighted_total: Option<String>,
    pub recommended_saved: Option<String>,
    pub comment_saved: Option<String>,
    pub saved_by: Option<String>,
    pub recommended: String,
    pub comment: String,
    pub reason: String,
    pub errors: FieldErrors,
    pub alert: Option<String>,
}

impl AssessmentSection {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.for_field(field)
    }

    /// Impartial and allowed to score on an open round.
    pub fn shows_scoring_form(&self) -> bool {
        self.may_score && self.round_open && self.my_conflict == Some(false)
    }
}

pub async fn section(
    state: &AppState,
    user: &Principal,
    application_id: i64,
    round: &Round,
) -> AppResult<AssessmentSection> {
    let assessment = state.store.application_assessment(application_id).await?;
    let declarations = state.store.declarations(application_id).await?;
    let mine = declarations.iter().find(|d| d.user_id == user.user_id);
    let lines = assessment
        .criteria
        .iter()
        .map(|c| ScoreLine {
            criterion_id: c.criterion.id,
            name: c.criterion.name.clone(),
            weight: decimal_text(c.criterion.weight),
            saved_score: c.score.map(decimal_text),
            saved_comment: c.comment.clone(),
            saved_by: c
                .assessed_by
                .as_ref()
                .zip(c.assessed_at)
                .map(|(by, at)| format!("{by}, {}", oslo_time(at))),
            score: c.score.map(decimal_text).unwrap_or_default(),
            comment: c.comment.clone().unwrap_or_default(),
            score_error: None,
            comment_error: None,
        })
        .collect();
    Ok(AssessmentSection {
        application_id,
        user_id: user.user_id,
        round_open: round.phase.allows_assessment(),
        may_declare: user.has_any(roles::DECLARES_IMPARTIALITY),
        may_score: user.has(Role::Saksbehandler),
        my_conflict: mine.map(|d| d.conflict),
        my_reason: mine.and_then(|d| d.reason.clone()).unwrap_or_default(),
        conflicts: declarations
            .iter()
            .filter(|d| d.conflict)
            .map(DeclarationLine::new)
            .collect(),
        impartial: declarations
            .iter()
            .filter(|d| !d.conflict)
            .map(DeclarationLine::new)
            .collect(),
        lines,
        weighted_total: assessment.weighted_total.map(decimal_text),
        recommended_saved: assessment.recommended_amount.map(|a| a.to_string()),
        comment_saved: assessment.comment.clone(),
        saved_by: assessment
            .assessed_by
            .as_ref()
            .zip(assessment.assessed_at)
            .map(|(by, at)| format!("{by}, {}", oslo_time(at))),
        recommended: assessment
            .recommended_amount
            .map(|a| a.to_input_string())
            .unwrap_or_default(),
        comment: assessment.comment.clone().unwrap_or_default(),
        reason: String::new(),
        errors: FieldErrors::new(),
        alert: None,
    })
}

/// The application page again with the section's problem; other errors pass through.
async fn page_with_error(
    state: &AppState,
    user: &Principal,
    id: i64,
    err: AppError,
    fill: impl FnOnce(&mut AssessmentSection, &FieldErrors),
) -> AppResult<Response> {
    let status = err.status();
    let mut page = super::applications::show_page(state, user, id, None).await?;
    let Some(section) = page.assessment.as_mut() else {
        return Err(err);
    };
    match err {
        AppError::Invalid(errors) => {
            fill(section, &errors);
            section.errors = errors;
        }
        AppError::Conflict(message) | AppError::Forbidden(message) => {
            fill(section, &FieldErrors::new());
            section.alert = Some(message);
        }
        other => return Err(other),
    }
    Ok((status, render(&page)).into_response())
}

async fn declare(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    scope::application(&state.store, &user, id).await?;
    let input = DeclarationInput {
        conflict: match form.get("conflict") {
            Some("ja") => Some(true),
            Some("nei") => Some(false),
            _ => None,
        },
        reason: form.optional("reason"),
    };
    let result = match input.validate() {
        Ok(fields) => crate::app::assessment::declare(&state.store, id, &user, &fields).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/applications/{id}?lagret=1#vurdering")).into_response())
        }
        Err(err) => {
            // The allocation form on the same page has its own `reason`.
            let err = match err {
                AppError::Invalid(errors) => AppError::Invalid(prefixed(errors, "declaration_")),
                other => other,
            };
            let typed = input.reason.unwrap_or_default();
            page_with_error(&state, &user, id, err, |s, _| s.reason = typed).await
        }
    }
}

/// Another officer lifts a declared conflict of interest, with a reason.
async fn lift(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    crate::web::extract::IdAndUser(id, declarer): crate::web::extract::IdAndUser,
    form: FormFields,
) -> AppResult<Response> {
    scope::application(&state.store, &user, id).await?;
    let reason = form.text("reason");
    match crate::app::assessment::lift_conflict(
        &state.store,
        id,
        declarer,
        &reason,
        &Actor::from(&user),
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/applications/{id}?lagret=1#vurdering")).into_response())
        }
        Err(err) => {
            let err = match err {
                AppError::Invalid(errors) => AppError::Invalid(prefixed(errors, "lift_")),
                other => other,
            };
            page_with_error(&state, &user, id, err, |_, _| {}).await
        }
    }
}

/// The scoring form's fields: `criterion_{i}`, `score_{i}`, `comment_{i}` per row.
fn assessment_input(form: &FormFields) -> AssessmentInput {
    let mut scores = Vec::new();
    for i in 0.. {
        let Some(id) = form.get(&format!("criterion_{i}")) else {
            break;
        };
        scores.push(ScoreInput {
            // A tampered id becomes 0, which no criterion has: "finnes ikke".
            criterion_id: id.trim().parse().unwrap_or(0),
            score: form.text(&format!("score_{i}")),
            comment: form.optional(&format!("comment_{i}")),
        });
    }
    AssessmentInput {
        scores,
        recommended_amount: form.optional("recommended_amount"),
        comment: form.optional("comment"),
    }
}

async fn save(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    scope::application(&state.store, &user, id).await?;
    let input = assessment_input(&form);
    match crate::app::assessment::save(&state.store, id, &input, &user).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/applications/{id}?lagret=1#vurdering")).into_response())
        }
        Err(err) => {
            page_with_error(&state, &user, id, err, |section, errors| {
                // What the user typed goes back into the form, errors beside their field.
                for (i, typed) in input.scores.iter().enumerate() {
                    if let Some(line) = section
                        .lines
                        .iter_mut()
                        .find(|l| l.criterion_id == typed.criterion_id)
                    {
                        line.score = typed.score.clone();
                        line.comment = typed.comment.clone().unwrap_or_default();
                        line.score_error = errors
                            .for_field(&format!("scores[{i}].score"))
                            .map(str::to_string);
                        line.comment_error = errors
                            .for_field(&format!("scores[{i}].comment"))
                            .map(str::to_string);
                    }
                }
                section.recommended = input.recommended_amount.clone().unwrap_or_default();
                section.comment = input.comment.clone().unwrap_or_default();
            })
            .await
        }
    }
}
