//! Uploaded files (kept, also when rejected), and application versions.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::applications::{NewApplication, insert_application, insert_budget_lines};
use super::rounds::{lock_round, round_in};
use super::{Store, Tx, sql};
use crate::domain::Kroner;
use crate::domain::application::ApplicationFields;
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::kommune::Register;
use crate::error::{AppError, AppResult};

/// An upload about to be stored.
pub struct NewUpload<'a> {
    /// `None` for statistics, which belong to no round.
    pub round_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub application_id: Option<i64>,
    pub kind: &'a str,
    pub filename: &'a str,
    pub format: Option<&'a str>,
    pub content: &'a [u8],
    pub rejected: bool,
    /// The preview as JSON: what would be stored, and every problem.
    pub result: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Upload {
    pub id: i64,
    pub round_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub application_id: Option<i64>,
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
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApplicationVersion {
    pub version_no: i64,
    pub upload_id: Option<i64>,
    pub snapshot: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const UPLOAD_COLUMNS_QUERY: &str = "SELECT id, round_id, organisation_id, application_id, kind, filename, format, size_bytes, sha256, \
     status, result, uploaded_by_name, created_at, confirmed_at FROM uploads WHERE id = $1";

impl Store {
    /// Keeps the file and its preview; a rejected file is kept too.
    pub async fn create_upload(&self, upload: NewUpload<'_>, actor: &Actor) -> AppResult<i64> {
        let mut tx = self.begin().await?;
        let status = if upload.rejected {
            "rejected"
        } else {
            "preview"
        };
        let id = tx
            .insert(
                sql("INSERT INTO uploads (round_id, organisation_id, application_id, kind, filename, format, size_bytes, \
                     sha256, content, status, result, uploaded_by, uploaded_by_name, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id")
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
                .bind(Utc::now()),
            )
            .await?;
        let summary = if upload.rejected {
            format!("Filen «{}» ble avvist", upload.filename)
        } else {
            format!("Lastet opp «{}» til forhåndsvisning", upload.filename)
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

    pub async fn upload(&self, id: i64) -> AppResult<Upload> {
        self.fetch_optional(sql(UPLOAD_COLUMNS_QUERY).bind(id))
            .await?
            .ok_or_else(|| AppError::not_found("opplastingen"))
    }

    /// The original file as uploaded.
    pub async fn upload_content(&self, id: i64) -> AppResult<Vec<u8>> {
        let (content,): (Vec<u8>,) = self
            .fetch_optional(sql("SELECT content FROM uploads WHERE id = $1").bind(id))
            .await?
            .ok_or_else(|| AppError::not_found("opplastingen"))?;
        Ok(content)
    }

    pub async fn application_uploads(&self, application_id: i64) -> AppResult<Vec<Upload>> {
        self.fetch_all(
            sql("SELECT id, round_id, organisation_id, application_id, kind, filename, format, size_bytes, sha256, \
                 status, result, uploaded_by_name, created_at, confirmed_at FROM uploads \
                 WHERE application_id = $1 ORDER BY id DESC")
            .bind(application_id),
        )
        .await
    }

    pub async fn application_versions(
        &self,
        application_id: i64,
    ) -> AppResult<Vec<ApplicationVersion>> {
        self.fetch_all(
            sql("SELECT version_no, upload_id, snapshot, created_by, created_at FROM application_versions \
                 WHERE application_id = $1 ORDER BY version_no")
            .bind(application_id),
        )
        .await
    }

    /// Stores an uploaded application: a new application, or a new version of
    /// `existing`. One transaction with the upload's confirmation and its audit event.
    pub async fn confirm_application_upload(
        &self,
        upload_id: i64,
        register: &Register,
        fields: &ApplicationFields,
        existing: Option<i64>,
        how: NewApplication,
        actor: &Actor,
    ) -> AppResult<i64> {
        let upload = self.upload(upload_id).await?;
        let round_id = round_of(&upload)?;
        let mut tx = self.begin().await?;
        mark_confirmed(&mut tx, &upload).await?;
        let application_id = match existing {
            Some(id) => {
                lock_round(&mut tx, round_id).await?;
                replace_content(&mut tx, id, fields).await?;
                id
            }
            None => insert_application(&mut tx, round_id, register, fields, how, actor).await?,
        };
        tx.execute(
            sql("UPDATE uploads SET application_id = $1 WHERE id = $2")
                .bind(application_id)
                .bind(upload_id),
        )
        .await?;
        let version = insert_version(&mut tx, application_id, Some(upload_id), actor).await?;
        tx.audit(
            NewAuditEvent::new(
                actor,
                "upload.confirmed",
                format!(
                    "Søknaden ble lagret fra «{}» (versjon {version})",
                    upload.filename
                ),
            )
            .round(round_id)
            .application(application_id),
        )
        .await?;
        tx.commit().await?;
        Ok(application_id)
    }

    /// Stores a table of allocated amounts: existing applications get the amount, new
    /// applicants get an application (requested not stated). Refused as a whole when the
    /// round's total would pass its pool.
    pub async fn confirm_allocations_upload(
        &self,
        upload_id: i64,
        register: &Register,
        rows: &[(String, Kroner)],
        actor: &Actor,
    ) -> AppResult<usize> {
        let upload = self.upload(upload_id).await?;
        let round_id = round_of(&upload)?;
        let mut tx = self.begin().await?;
        mark_confirmed(&mut tx, &upload).await?;
        lock_round(&mut tx, round_id).await?;
        let round = round_in(&mut tx, round_id).await?;
        if !round.status.allows_allocation() {
            return Err(AppError::Conflict(format!(
                "Runden «{}» er avgjort; tildelinger kan ikke endres.",
                round.name
            )));
        }
        for (applicant, amount) in rows {
            let resolved = super::organisations::resolve_applicant(
                &mut tx, register, applicant, round.year, actor,
            )
            .await?;
            let existing: Option<(i64, Option<i64>, i64)> = tx
                .fetch_optional(
                    sql("SELECT id, allocated_ore, version FROM applications WHERE round_id = $1 AND organisation_id = $2 \
                         AND status <> 'draft' ORDER BY id LIMIT 1")
                    .bind(round.id)
                    .bind(resolved.organisation_id),
                )
                .await?;
            match existing {
                Some((id, old, _)) => {
                    tx.execute(
                        sql("UPDATE applications SET allocated_ore = $1, status = 'in_review', version = version + 1, \
                             updated_at = $2 WHERE id = $3")
                        .bind(amount.ore())
                        .bind(Utc::now())
                        .bind(id),
                    )
                    .await?;
                    tx.audit(
                        NewAuditEvent::new(
                            actor,
                            "application.allocation_set",
                            format!("Tildeling til {} satt til {amount} (import)", resolved.name),
                        )
                        .round(round.id)
                        .application(id)
                        .change(
                            "allocated",
                            old.map(|o| Kroner::from_ore(o).to_string()),
                            Some(amount.to_string()),
                        ),
                    )
                    .await?;
                }
                None => {
                    let fields = ApplicationFields {
                        applicant: format!("org:{}", resolved.organisation_id),
                        project_title: None,
                        description: None,
                        contact_person: None,
                        email: None,
                        requested: Kroner::ZERO,
                        budget_lines: Vec::new(),
                    };
                    let how = NewApplication {
                        status: crate::domain::application::ApplicationStatus::InReview,
                        requested_known: false,
                        allocated: Some(*amount),
                        demo: false,
                    };
                    insert_application(&mut tx, round.id, register, &fields, how, actor).await?;
                }
            }
        }
        let (total,): (i64,) = tx
            .fetch_one(
                sql("SELECT CAST(COALESCE(SUM(allocated_ore), 0) AS BIGINT) FROM applications WHERE round_id = $1")
                    .bind(round.id),
            )
            .await?;
        let total = Kroner::from_ore(total);
        if total > round.pool {
            return Err(AppError::invalid(
                "file",
                format!(
                    "Importen ville gitt {total} tildelt i runden, mer enn rammen på {}. Ingenting er lagret.",
                    round.pool
                ),
            ));
        }
        tx.audit(
            NewAuditEvent::new(
                actor,
                "upload.confirmed",
                format!(
                    "Importerte {} tildelinger fra «{}»",
                    rows.len(),
                    upload.filename
                ),
            )
            .round(round.id),
        )
        .await?;
        tx.commit().await?;
        Ok(rows.len())
    }
}

/// The round of an application or allocations upload (statistics have none).
fn round_of(upload: &Upload) -> AppResult<i64> {
    upload
        .round_id
        .ok_or_else(|| AppError::Conflict("Opplastingen hører ikke til en runde.".into()))
}

pub(super) async fn mark_confirmed(tx: &mut Tx, upload: &Upload) -> AppResult<()> {
    let updated = tx
        .execute(
            sql("UPDATE uploads SET status = 'confirmed', confirmed_at = $1 WHERE id = $2 AND status = 'preview'")
                .bind(Utc::now())
                .bind(upload.id),
        )
        .await?;
    if updated == 0 {
        return Err(AppError::Conflict(match upload.status.as_str() {
            "confirmed" => "Opplastingen er allerede bekreftet.".into(),
            _ => "Opplastingen ble avvist og kan ikke bekreftes. Rett feilene og last opp på nytt."
                .into(),
        }));
    }
    Ok(())
}

/// Replaces an application's fields and budget lines (a re-upload).
async fn replace_content(
    tx: &mut Tx,
    application_id: i64,
    fields: &ApplicationFields,
) -> AppResult<()> {
    tx.execute(
        sql("UPDATE applications SET project_title = $1, description = $2, contact_person = $3, email = $4, \
             requested_ore = $5, version = version + 1, updated_at = $6 WHERE id = $7")
        .bind(fields.project_title.clone())
        .bind(fields.description.clone())
        .bind(fields.contact_person.clone())
        .bind(fields.email.clone())
        .bind(fields.requested.ore())
        .bind(Utc::now())
        .bind(application_id),
    )
    .await?;
    tx.execute(sql("DELETE FROM budget_lines WHERE application_id = $1").bind(application_id))
        .await?;
    insert_budget_lines(tx, application_id, &fields.budget_lines).await
}

/// A snapshot of the application as it now is, numbered after the last one.
pub async fn insert_version(
    tx: &mut Tx,
    application_id: i64,
    upload_id: Option<i64>,
    actor: &Actor,
) -> AppResult<i64> {
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
    let snapshot = serde_json::json!({
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
    });
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
