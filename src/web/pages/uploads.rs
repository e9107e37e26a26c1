//! Opplasting: the application workbook to download, the upload form's target, the
//! preview with every problem by sheet and cell, confirming, and the original file.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, render};
use crate::app::uploads::{Confirmed, UploadBody, confirm, receive, template_for, visible_upload};
use crate::app::visibility as scope;
use crate::domain::audit::Actor;
use crate::domain::round::Round;
use crate::error::AppResult;
use crate::store::ApplicantChoice;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::{FormFields, Id};
use crate::web::responses::{attachment, template_filename, xlsx_response};
use crate::web::upload_form::{content_type, read_upload_form};

pub fn routes() -> Routes {
    let who = Access::Roles(roles::APPLICANT_OR_OFFICER);
    Routes::default()
        .get("/rounds/{id}/soknadsskjema.xlsx", who, template)
        .post("/rounds/{id}/uploads", who, upload)
        .get("/uploads/{id}", who, show)
        .post("/uploads/{id}/confirm", who, confirm_upload)
        .post(
            "/uploads/{id}/variables",
            Access::Roles(roles::OFFICER),
            choose_variables,
        )
        .post(
            "/uploads/{id}/applicants",
            Access::Roles(roles::OFFICER),
            choose_applicants,
        )
        .get("/uploads/{id}/file", who, original)
}

async fn template(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let round = scope::round(&state.store, &user, id).await?.round;
    let bytes = template_for(&state.store, &user, &round).await?;
    Ok(xlsx_response(bytes, &template_filename(&round)))
}

async fn upload(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    multipart: Multipart,
) -> AppResult<Response> {
    let round = scope::round(&state.store, &user, round_id).await?.round;
    let form = read_upload_form(multipart).await?;
    let id = receive(
        &state.store,
        &state.uploads,
        &user,
        &Actor::from(&user),
        &round,
        &form.round_file(),
    )
    .await?;
    Ok(Redirect::to(&format!("/uploads/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "uploads/show.html")]
struct ShowPage {
    layout: Layout,
    /// `None` for statistics, which belong to no round.
    round: Option<Round>,
    upload: UploadBody,
    /// Every applicant of the round's year, for the preview's questions.
    applicants: Vec<ApplicantChoice>,
}

impl ShowPage {
    /// Where a corrected file goes: the statistics import, or the round's uploads.
    fn upload_again_action(&self) -> Option<String> {
        match (self.upload.preview.kind, &self.round) {
            (crate::app::uploads::UploadKind::Statistics, _) => Some("/statistikk/import".into()),
            (_, Some(round)) => Some(format!("/rounds/{}/uploads", round.id)),
            (_, None) => None,
        }
    }

    /// The value columns of the statistics preview: the indicator's name.
    fn indicator_name(&self, code: &str) -> &'static str {
        crate::domain::statistics::indicator(code)
            .map(|i| i.name)
            .unwrap_or("ukjent indikator")
    }

    /// The indicators to choose from for a variable the file names otherwise.
    fn indicators(&self) -> &'static [crate::domain::statistics::Indicator] {
        &crate::domain::statistics::INDICATORS
    }
}

/// How many observations the preview page lists (the API gives them all).
pub const PREVIEW_ROWS: usize = 500;

async fn show(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let upload = visible_upload(&state.store, &user, id).await?;
    let round = match upload.round_id {
        Some(round) => Some(state.store.round(round).await?),
        None => None,
    };
    let section = if round.is_some() {
        "runder"
    } else {
        "statistikk"
    };
    let upload = UploadBody::new(&upload)?;
    let applicants = match &round {
        Some(round) if !upload.preview.questions.is_empty() => {
            let register = state.store.register().await?;
            state
                .store
                .applicant_choices(&register, round.year, round.region.as_deref())
                .await?
        }
        _ => Vec::new(),
    };
    Ok(render(&ShowPage {
        layout: Layout::new(&state, &user, section),
        round,
        upload,
        applicants,
    }))
}

async fn confirm_upload(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let upload = visible_upload(&state.store, &user, id).await?;
    Ok(
        match confirm(&state.store, &user, &Actor::from(&user), &upload).await? {
            Confirmed::Application(app) => Redirect::to(&format!("/applications/{app}?lagret=1")),
            Confirmed::Allocations(_) => match upload.round_id {
                Some(round) => Redirect::to(&format!("/rounds/{round}")),
                None => Redirect::to(&format!("/uploads/{id}")),
            },
            Confirmed::Statistics(_) => Redirect::to(&format!("/uploads/{id}")),
        }
        .into_response(),
    )
}

/// The preview's form: `variabel` and `indikator` in pairs, one per unknown variable.
async fn choose_variables(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let choices = form.pairs("variabel", "indikator");
    let new_id = crate::app::uploads::choose_variables(
        &state.store,
        &state.uploads,
        &user,
        &Actor::from(&user),
        id,
        &choices,
    )
    .await?;
    Ok(Redirect::to(&format!("/uploads/{new_id}")).into_response())
}

/// The preview's questions: `celle` and `soker` in pairs, one per row asked about.
async fn choose_applicants(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
    form: FormFields,
) -> AppResult<Response> {
    let choices = form.pairs("celle", "soker");
    let new_id = crate::app::uploads::choose_applicants(
        &state.store,
        &state.uploads,
        &user,
        &Actor::from(&user),
        id,
        &choices,
    )
    .await?;
    Ok(Redirect::to(&format!("/uploads/{new_id}")).into_response())
}

async fn original(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let upload = visible_upload(&state.store, &user, id).await?;
    let bytes = state.store.upload_content(id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                content_type(upload.format.as_deref()).to_string(),
            ),
            (header::CONTENT_DISPOSITION, attachment(&upload.filename)),
        ],
        bytes,
    )
        .into_response())
}
