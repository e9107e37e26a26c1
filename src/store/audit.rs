//! The audit log (hendelseslogg).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Store, Tx, sql};
use crate::domain::audit::NewAuditEvent;
use crate::error::AppResult;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub round_id: Option<i64>,
    pub application_id: Option<i64>,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub summary: String,
}

pub(super) async fn insert(tx: &mut Tx, event: NewAuditEvent) -> AppResult<()> {
    tx.execute(
        sql("INSERT INTO audit_events (occurred_at, actor, action, round_id, application_id, field, old_value, new_value, summary) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(Utc::now())
        .bind(event.actor)
        .bind(event.action)
        .bind(event.round_id)
        .bind(event.application_id)
        .bind(event.field)
        .bind(event.old_value)
        .bind(event.new_value)
        .bind(event.summary),
    )
    .await?;
    Ok(())
}

impl Store {
    /// Every event of a round, newest first.
    pub async fn round_audit(&self, round_id: i64) -> AppResult<Vec<AuditEvent>> {
        self.fetch_all(
            sql("SELECT id, occurred_at, actor, action, round_id, application_id, field, old_value, new_value, summary \
                 FROM audit_events WHERE round_id = $1 ORDER BY id DESC")
            .bind(round_id),
        )
        .await
    }

    /// Every event of an application, oldest first (its history).
    pub async fn application_audit(&self, application_id: i64) -> AppResult<Vec<AuditEvent>> {
        self.fetch_all(
            sql("SELECT id, occurred_at, actor, action, round_id, application_id, field, old_value, new_value, summary \
                 FROM audit_events WHERE application_id = $1 ORDER BY id")
            .bind(application_id),
        )
        .await
    }
}
