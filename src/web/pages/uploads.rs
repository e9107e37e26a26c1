//! Opplasting: the application workbook to download, the upload form's target, the
//! preview with every problem by sheet and cell, confirming, and the original file.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, render};
use crate::domain::audit::Actor;
use crate::domain::round::Round;
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::Id;
use crate::web::scope;
use crate::web::uploads::{
    Confirmed, UploadBody, confirm, content_type, read_multipart, receive, template_for,
    visible_upload,
};

pub fn routes() -> Routes {
    let who = Access::Roles(roles::APPLICANT_OR_OFFICER);
    Routes::default()
        .get("/rounds/{id}/soknadsskjema.xlsx", who, template)
        .post("/rounds/{id}/uploads", who, upload)
        .get("/uploads/{id}", who, show)
        .post("/uploads/{id}/confirm", who, confirm_upload)
        .get("/uploads/{id}/file", who, original)
}

/// `Content-Disposition` with a plain-ASCII fallback and the real name (RFC 6266).
pub fn attachment(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub fn xlsx_response(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, attachment(filename)),
        ],
        bytes,
    )
        .into_response()
}

/// A CSV download (the text already has its byte order mark).
pub fn csv_response(text: String, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, attachment(filename)),
        ],
        text,
    )
        .into_response()
}

pub fn template_filename(round: &Round) -> String {
    format!("soknadsskjema-{}.xlsx", round.name.replace(' ', "-"))
}

async fn template(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let round = scope::round(&state, &user, id).await?.round;
    let bytes = template_for(&state, &user, &round).await?;
    Ok(xlsx_response(bytes, &template_filename(&round)))
}

async fn upload(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    multipart: Multipart,
) -> AppResult<Response> {
    let round = scope::round(&state, &user, round_id).await?.round;
    let (filename, bytes, kind) = read_multipart(multipart).await?;
    let id = receive(
        &state,
        &user,
        &Actor::from(&user),
        &round,
        kind,
        &filename,
        &bytes,
    )
    .await?;
    Ok(Redirect::to(&format!("/uploads/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "uploads/show.html")]
struct ShowPage {
    layout: Layout,
    round: Round,
    upload: UploadBody,
}

async fn show(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let upload = visible_upload(&state, &user, id).await?;
    let round = state.store.round(upload.round_id).await?;
    Ok(render(&ShowPage {
        layout: Layout::new(&state, &user, "runder"),
        round,
        upload: UploadBody::new(&upload)?,
    }))
}

async fn confirm_upload(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let upload = visible_upload(&state, &user, id).await?;
    Ok(
        match confirm(&state, &user, &Actor::from(&user), &upload).await? {
            Confirmed::Application(app) => Redirect::to(&format!("/applications/{app}?lagret=1")),
            Confirmed::Allocations(_) => Redirect::to(&format!("/rounds/{}", upload.round_id)),
        }
        .into_response(),
    )
}

async fn original(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(id): Id,
) -> AppResult<Response> {
    let upload = visible_upload(&state, &user, id).await?;
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
