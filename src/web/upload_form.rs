//! Reading an upload form (multipart `file`, `kind`, `indicator`, `historical_source`),
//! shared by the pages and the API; what happens to the file is `app::uploads`.

use crate::app::uploads::{RoundFile, UploadKind, receive_statistics};
use crate::domain::audit::Actor;
use crate::domain::user::Principal;
use crate::error::{AppError, AppResult};

use super::AppState;

/// The content type of an original file, by what it was recognised as.
pub fn content_type(format: Option<&str>) -> &'static str {
    match format {
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("xls") => "application/vnd.ms-excel",
        Some("ods") => "application/vnd.oasis.opendocument.spreadsheet",
        Some("csv") => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The fields of an upload form.
pub struct UploadForm {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub kind: UploadKind,
    /// The indicator chosen for a statistics file (empty: read from the headings).
    pub indicator: Option<String>,
    /// For an allocation table: the decision was made and published elsewhere (where).
    pub historical_source: Option<String>,
}

impl UploadForm {
    /// The file as sent to a round.
    pub fn round_file(&self) -> RoundFile<'_> {
        RoundFile {
            kind: self.kind,
            filename: &self.filename,
            bytes: &self.bytes,
            historical_source: self.historical_source.as_deref(),
        }
    }
}

/// The `file`, `kind` and `indicator` fields of a multipart upload.
pub async fn read_upload_form(mut multipart: axum::extract::Multipart) -> AppResult<UploadForm> {
    let mut file = None;
    let mut kind = UploadKind::Application;
    let mut indicator = None;
    let mut historical_source = None;
    loop {
        let field = multipart.next_field().await.map_err(|e| {
            AppError::BadRequest(format!(
                "Opplastingen kunne ikke leses ({}). Filen kan være for stor.",
                e.body_text()
            ))
        })?;
        let Some(field) = field else { break };
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("opplasting").to_string();
                let bytes = field.bytes().await.map_err(|_| {
                    AppError::BadRequest(
                        "Filen kunne ikke tas imot (avbrutt eller for stor).".into(),
                    )
                })?;
                file = Some((name, bytes.to_vec()));
            }
            Some("kind") => {
                let text = field.text().await.unwrap_or_default();
                kind = UploadKind::parse(&text)?;
            }
            Some("indicator") => {
                let text = field.text().await.unwrap_or_default();
                indicator = Some(text.trim().to_string()).filter(|t| !t.is_empty());
            }
            Some("historical_source") => {
                let text = field.text().await.unwrap_or_default();
                historical_source = Some(text.trim().to_string()).filter(|t| !t.is_empty());
            }
            _ => {}
        }
    }
    for (field, text) in [
        ("indicator", &indicator),
        ("historical_source", &historical_source),
    ] {
        super::extract::refuse_nul_text(text.as_deref().unwrap_or_default(), field)?;
    }
    let (filename, bytes) =
        file.ok_or_else(|| AppError::invalid("file", "Velg en fil å laste opp (feltet «file»)."))?;
    Ok(UploadForm {
        filename,
        bytes,
        kind,
        indicator,
        historical_source,
    })
}

/// A statistics file posted as a multipart form (`file`, optional `indicator`), by the
/// page or the API: received as by `app::uploads::receive_statistics`. Returns the upload's id.
pub async fn receive_statistics_form(
    state: &AppState,
    user: &Principal,
    multipart: axum::extract::Multipart,
) -> AppResult<i64> {
    let form = read_upload_form(multipart).await?;
    receive_statistics(
        &state.store,
        &state.uploads,
        user,
        &Actor::from(user),
        form.indicator.as_deref(),
        &form.filename,
        &form.bytes,
    )
    .await
}
