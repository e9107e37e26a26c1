//! Uploaded files (kept, also when rejected), and application versions.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::Kroner;
use crate::domain::application::ApplicationFields;
use crate::domain::audit::{Actor, NewAuditEvent};

/// An upload about to be stored.
pub struct NewUpload<'a> {
    /// `None` for statistics, which belong to no round.
    pub round_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub application_id: Option<i64>,
    /// The version of `application_id` the preview was made from.
    pub base_version: Option<i64>,
    /// The organisation the uploader acts for (a kommune user's own); `None` for officers.
    pub uploader_organisation_id: Option<i64>,
    pub kind: &'a str,
    pub filename: &'a str,
    pub format: Option<&'a str>,
    pub content: &'a [u8],
    pub rejected: bool,
    /// The preview as JSON: what would be stored, and every problem.
    pub result: &'a str,
    /// Where the file was fetched from (SSB's API), for the audit log.
    pub source_url: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct Upload {
    pub id: i64,
    pub round_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub application_id: Option<i64>,
    pub base_version: Option<i64>,
    pub uploader_organisation_id: Option<i64>,
    pub kind: String,
    pub filename: String,
    pub format: Option<String>,
    pub size_bytes: i64,
    pub sha256: String,
    pub status: String,
    pub result: String,
    pub uploaded_by_name: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl Upload {
    /// The status as the pages show it.
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "confirmed" => "lagret",
            "rejected" => "avvist",
            _ => "ikke bekreftet",
        }
    }
}

/// One stored version of an application.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct ApplicationVersion {
    pub version_no: i64,
    pub upload_id: Option<i64>,
    pub snapshot: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// One upload by id, with `$result` for the `result` column.
macro_rules! upload_query {
    ($result:literal) => {
        concat!(
            "SELECT id, round_id, organisation_id, application_id, base_version, uploader_organisation_id, \
             kind, filename, format, size_bytes, sha256, status, ",
            $result,
            ", uploaded_by_name, created_at, confirmed_at FROM uploads WHERE id = $1"
        )
    };
}

const UPLOAD_COLUMNS_QUERY: &str = upload_query!("result");

/// [`UPLOAD_COLUMNS_QUERY`] without the stored preview, which can be megabytes.
const UPLOAD_HEAD_QUERY: &str = upload_query!("'' AS result");

impl Store {
    /// An upload with `result` left empty, for a caller that has the preview at hand.
    pub async fn upload_head(&self, id: i64) -> StoreResult<Upload> {
        self.fetch_optional(sql(UPLOAD_HEAD_QUERY).bind(id))
            .await?
            .ok_or_else(|| StoreError::NotFound("opplastingen"))
    }

    /// Keeps the file and its preview; a rejected file is kept too.
    pub async fn create_upload(&self, upload: NewUpload<'_>, actor: &Actor) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let status = if upload.rejected {
            "rejected"
        } else {
            "preview"
        };
        let id = tx
            .insert(
                sql("INSERT INTO uploads (round_id, organisation_id, application_id, kind, filename, format, size_bytes, \
                     sha256, content, status, result, uploaded_by, uploaded_by_name, created_at, base_version, \
                     uploader_organisation_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id")
                .bind(upload.round_id)
                .bind(upload.organisation_id)
                .bind(upload.application_id)
                .bind(upload.kind)
                .bind(upload.filename)
                .bind(upload.format)
                .bind(upload.content.len() as i64)
                .bind(crate::security::token_hash_bytes(upload.content))
                .bind(upload.content.to_vec())
                .bind(status)
                .bind(upload.result)
                .bind(actor.user_id)
                .bind(&actor.name)
                .bind(Utc::now())
                .bind(upload.base_version)
                .bind(upload.uploader_organisation_id),
            )
            .await?;
        let fetched = upload
            .source_url
            .map(|url| format!(", hentet fra {url}"))
            .unwrap_or_default();
        let summary = if upload.rejected {
            format!("Filen «{}»{fetched} ble avvist", upload.filename)
        } else {
            format!(
                "Lastet opp «{}»{fetched} til forhåndsvisning",
                upload.filename
            )
        };
        let mut event = NewAuditEvent::new(
            actor,
            if upload.rejected {
                "upload.rejected"
            } else {
                "upload.received"
            },
            summary,
        );
        if let Some(round) = upload.round_id {
            event = event.round(round);
        }
        if let Some(app) = upload.application_id {
            event = event.application(app);
        }
        tx.audit(event).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn upload(&self, id: i64) -> StoreResult<Upload> {
        self.fetch_optional(sql(UPLOAD_COLUMNS_QUERY).bind(id))
            .await?
            .ok_or_else(|| StoreError::NotFound("opplastingen"))
    }

    /// The original file as uploaded.
    pub async fn upload_content(&self, id: i64) -> StoreResult<Vec<u8>> {
        let (content,): (Vec<u8>,) = self
            .fetch_optional(sql("SELECT content FROM uploads WHERE id = $1").bind(id))
            .await?
            .ok_or_else(|| StoreError::NotFound("opplastingen"))?;
        Ok(content)
    }

    pub async fn application_uploads(&self, application_id: i64) -> StoreResult<Vec<Upload>> {
        self.fetch_all(
            sql("SELECT id, round_id, organisation_id, application_id, base_version, uploader_organisation_id, \
                 kind, filename, format, size_bytes, sha256, status, result, uploaded_by_name, created_at, confirmed_at FROM uploads \
                 WHERE application_id = $1 ORDER BY id DESC")
            .bind(application_id),
        )
        .await
    }

    pub async fn application_versions(
        &self,
        application_id: i64,
    ) -> StoreResult<Vec<ApplicationVersion>> {
        self.fetch_all(
            sql("SELECT version_no, upload_id, snapshot, created_by, created_at FROM application_versions \
                 WHERE application_id = $1 ORDER BY version_no")
            .bind(application_id),
        )
        .await
    }
}

/// Ties a confirmed upload to the application it made or changed.
pub async fn write_upload_application(
    tx: &mut Tx,
    upload_id: i64,
    application_id: i64,
) -> StoreResult<()> {
    tx.execute(
        sql("UPDATE uploads SET application_id = $1 WHERE id = $2")
            .bind(application_id)
            .bind(upload_id),
    )
    .await?;
    Ok(())
}

/// Marks a preview confirmed. Answers false when it was no longer a preview (confirmed or
/// rejected, also by a concurrent confirm: the status is checked in the same statement).
pub async fn mark_confirmed(tx: &mut Tx, upload_id: i64) -> StoreResult<bool> {
    let updated = tx
        .execute(
            sql("UPDATE uploads SET status = 'confirmed', confirmed_at = $1 WHERE id = $2 AND status = 'preview'")
                .bind(Utc::now())
                .bind(upload_id),
        )
        .await?;
    Ok(updated == 1)
}

/// A snapshot of the application as it now is, numbered after the last one.
pub async fn insert_version(
    tx: &mut Tx,
    application_id: i64,
    upload_id: Option<i64>,
    actor: &Actor,
) -> StoreResult<i64> {
    let snapshot = content_snapshot(tx, application_id).await?;
    let (last,): (i64,) = tx
        .fetch_one(
            sql("SELECT CAST(COALESCE(MAX(version_no), 0) AS BIGINT) FROM application_versions WHERE application_id = $1")
                .bind(application_id),
        )
        .await?;
    tx.execute(
        sql("INSERT INTO application_versions (application_id, version_no, upload_id, snapshot, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(application_id)
        .bind(last + 1)
        .bind(upload_id)
        .bind(snapshot.to_string())
        .bind(&actor.name)
        .bind(Utc::now()),
    )
    .await?;
    Ok(last + 1)
}

/// The application's own content as a version stores it.
pub async fn content_snapshot(tx: &mut Tx, application_id: i64) -> StoreResult<serde_json::Value> {
    #[derive(sqlx::FromRow)]
    struct Fields {
        project_title: Option<String>,
        description: Option<String>,
        contact_person: Option<String>,
        email: Option<String>,
        requested_ore: Option<i64>,
    }
    let fields: Fields = tx
        .fetch_one(
            sql("SELECT project_title, description, contact_person, email, requested_ore FROM applications WHERE id = $1")
                .bind(application_id),
        )
        .await?;
    let lines: Vec<(String, String, i64, i64)> = tx
        .fetch_all(
            sql(
                "SELECT category, description, applied_ore, own_contribution_ore FROM budget_lines \
                 WHERE application_id = $1 ORDER BY position",
            )
            .bind(application_id),
        )
        .await?;
    Ok(serde_json::json!({
        "project_title": fields.project_title,
        "description": fields.description,
        "contact_person": fields.contact_person,
        "email": fields.email,
        "requested": fields.requested_ore.map(|o| Kroner::from_ore(o).to_api_string()),
        "budget_lines": lines.iter().map(|(c, d, a, o)| serde_json::json!({
            "category": c, "description": d,
            "applied": Kroner::from_ore(*a).to_api_string(),
            "own_contribution": Kroner::from_ore(*o).to_api_string(),
        })).collect::<Vec<_>>(),
    }))
}

/// The same snapshot for content about to be stored, to see whether it changes anything.
pub fn fields_snapshot(fields: &ApplicationFields) -> serde_json::Value {
    serde_json::json!({
        "project_title": fields.project_title,
        "description": fields.description,
        "contact_person": fields.contact_person,
        "email": fields.email,
        "requested": Some(fields.requested.to_api_string()),
        "budget_lines": fields.budget_lines.iter().map(|l| serde_json::json!({
            "category": l.category, "description": l.description,
            "applied": l.applied.to_api_string(),
            "own_contribution": l.own_contribution.to_api_string(),
        })).collect::<Vec<_>>(),
    })
}
