//! The audit log (hendelseslogg).

use super::StoreResult;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Store, Tx, sql};
use crate::domain::audit::NewAuditEvent;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
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

/// The most events one INSERT carries; a transaction with more writes several.
const EVENTS_PER_INSERT: usize = 8;

/// `INSERT … VALUES (…), (…)` for `rows` events (1 ..= EVENTS_PER_INSERT), made once:
/// statements are prepared and cached by their text, which must live as long as the pool.
fn insert_text(rows: usize) -> &'static str {
    static TEXTS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        (1..=EVENTS_PER_INSERT)
            .map(|n| {
                let values: Vec<String> = (0..n)
                    .map(|row| {
                        let first = row * 10;
                        let params: Vec<String> =
                            (1..=10).map(|i| format!("${}", first + i)).collect();
                        format!("({})", params.join(", "))
                    })
                    .collect();
                let text = format!(
                    "INSERT INTO audit_events (occurred_at, actor, actor_user_id, action, round_id, \
                     application_id, field, old_value, new_value, summary) VALUES {}",
                    values.join(", ")
                );
                &*Box::leak(text.into_boxed_str())
            })
            .collect()
    });
    texts[rows - 1]
}

/// Writes a transaction's events, in the order they were recorded, with as few
/// statements as fit: each statement is a hand-off to the database, and a write's
/// statements run one after another under the round's lock.
pub(super) async fn insert_all(
    tx: &mut Tx,
    events: Vec<(DateTime<Utc>, NewAuditEvent)>,
) -> StoreResult<()> {
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        let chunk: Vec<_> = events.by_ref().take(EVENTS_PER_INSERT).collect();
        let mut statement = sql(insert_text(chunk.len()));
        for (occurred_at, event) in chunk {
            statement = statement
                .bind(occurred_at)
                .bind(event.actor.name)
                .bind(event.actor.user_id)
                .bind(event.action)
                .bind(event.round_id)
                .bind(event.application_id)
                .bind(event.field)
                .bind(event.old_value)
                .bind(event.new_value)
                .bind(event.summary);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}

/// Which events to show; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_user_id: Option<i64>,
    pub round_id: Option<i64>,
    pub application_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
    /// Only events older than this one (the next page, newest first).
    pub before_id: Option<i64>,
    /// Leave out logins (succeeded, failed, throttled).
    pub without_logins: bool,
}

/// The most events one page shows.
pub const AUDIT_PAGE_LIMIT: i64 = 1000;

impl Store {
    /// Events matching the filter, newest first.
    pub async fn audit_events(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let far_past = DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default();
        let far_future = DateTime::<Utc>::from_timestamp(253_402_300_000, 0).unwrap_or_default();
        // 0 stands for "any": ids start at 1.
        self.fetch_all(
            sql("SELECT id, occurred_at, actor, action, round_id, application_id, field, old_value, new_value, summary \
                 FROM audit_events \
                 WHERE ($1 = 0 OR actor_user_id = $1) AND ($2 = 0 OR round_id = $2) AND ($3 = 0 OR application_id = $3) \
                 AND occurred_at >= $4 AND occurred_at < $5 AND id < $7 AND ($8 = 0 OR action NOT LIKE 'login.%') \
                 ORDER BY id DESC LIMIT $6")
            .bind(filter.actor_user_id.unwrap_or(0))
            .bind(filter.round_id.unwrap_or(0))
            .bind(filter.application_id.unwrap_or(0))
            .bind(filter.from.unwrap_or(far_past))
            .bind(filter.until.unwrap_or(far_future))
            .bind(filter.limit.unwrap_or(AUDIT_PAGE_LIMIT).clamp(1, AUDIT_PAGE_LIMIT))
            .bind(filter.before_id.unwrap_or(i64::MAX))
            .bind(i64::from(filter.without_logins)),
        )
        .await
    }

    /// Every event of an application, oldest first (its history).
    pub async fn application_audit(&self, application_id: i64) -> StoreResult<Vec<AuditEvent>> {
        self.fetch_all(
            sql("SELECT id, occurred_at, actor, action, round_id, application_id, field, old_value, new_value, summary \
                 FROM audit_events WHERE application_id = $1 ORDER BY id")
            .bind(application_id),
        )
        .await
    }
}
