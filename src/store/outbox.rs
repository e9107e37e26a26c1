//! The e-mail outbox: messages written in the transaction of the event that causes them,
//! claimed and sent afterwards by a worker. A claim is a lease (`claimed_until`), taken by
//! a conditional UPDATE, so two instances never send the same message at once, and a
//! worker that dies mid-send leaves the message to be taken again when the lease ends.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Store, StoreResult, Tx, sql};

/// A message to queue.
pub struct NewMail<'a> {
    pub kind: &'static str,
    pub round_id: Option<i64>,
    pub application_id: Option<i64>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Attach this application's issued letter (as PDF) when sending.
    pub letter_application_id: Option<i64>,
    /// A message that must be queued only once (a reminder) names itself here.
    pub dedupe_key: Option<&'a str>,
}

/// Queues a message in the caller's transaction. Answers false when a message with the
/// same `dedupe_key` is queued already.
pub async fn enqueue(tx: &mut Tx, mail: &NewMail<'_>) -> StoreResult<bool> {
    let now = Utc::now();
    let written = tx
        .execute(
            sql("INSERT INTO outbox (created_at, kind, round_id, application_id, recipient, subject, body, \
                 letter_application_id, dedupe_key, status, attempts, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10) \
                 ON CONFLICT (dedupe_key) DO NOTHING")
            .bind(now)
            .bind(mail.kind)
            .bind(mail.round_id)
            .bind(mail.application_id)
            .bind(mail.recipient)
            .bind(mail.subject)
            .bind(mail.body)
            .bind(mail.letter_application_id)
            .bind(mail.dedupe_key)
            .bind(now),
        )
        .await?;
    Ok(written == 1)
}

/// A message as the outbox holds it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct OutboxMessage {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub kind: String,
    pub round_id: Option<i64>,
    pub application_id: Option<i64>,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub letter_application_id: Option<i64>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The columns of [`OutboxMessage`].
macro_rules! outbox_query {
    ($rest:literal) => {
        concat!(
            "SELECT id, created_at, kind, round_id, application_id, recipient, subject, body, \
             letter_application_id, status, attempts, next_attempt_at, last_error, sent_at FROM outbox ",
            $rest
        )
    };
}

/// How a sending attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// No SMTP server is configured: the message is only recorded.
    Recorded,
    /// Try again at the given time.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// The server refused the message for good.
    Failed {
        error: String,
    },
}

impl Store {
    /// Takes up to `limit` due messages for sending until `lease_until`; each taken by
    /// exactly one caller.
    pub async fn claim_due_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let due: Vec<(i64,)> = self
            .fetch_all(
                sql("SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                     AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT $2")
                .bind(now)
                .bind(limit),
            )
            .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for (id,) in due {
            // Bookkeeping, not a change anyone's answer shows: no data version bump.
            let taken = self
                .execute(
                    sql("UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 WHERE id = $2 \
                         AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < $3)")
                    .bind(lease_until)
                    .bind(id)
                    .bind(now),
                )
                .await?;
            if taken == 1
                && let Some(message) = self
                    .fetch_optional::<OutboxMessage>(sql(outbox_query!("WHERE id = $1")).bind(id))
                    .await?
            {
                claimed.push(message);
            }
        }
        Ok(claimed)
    }

    /// The outbox, newest first, for the officers' page; one round's or all.
    pub async fn outbox(
        &self,
        round_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        match round_id {
            Some(round_id) => {
                self.fetch_all(
                    sql(outbox_query!(
                        "WHERE round_id = $1 ORDER BY id DESC LIMIT $2"
                    ))
                    .bind(round_id)
                    .bind(limit),
                )
                .await
            }
            None => {
                self.fetch_all(sql(outbox_query!("ORDER BY id DESC LIMIT $1")).bind(limit))
                    .await
            }
        }
    }

    /// How many messages wait to be sent.
    pub async fn outbox_backlog(&self) -> StoreResult<i64> {
        let (count,): (i64,) = self
            .fetch_one(sql(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE status = 'pending'",
            ))
            .await?;
        Ok(count)
    }

    /// How many messages failed for good and wait for an officer (for `/metrics`).
    pub async fn outbox_failed(&self) -> StoreResult<i64> {
        let (count,): (i64,) = self
            .fetch_one(sql(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE status = 'failed'",
            ))
            .await?;
        Ok(count)
    }

    /// The earliest time a pending message is due, for the worker's sleep.
    pub async fn next_mail_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let row: Option<(DateTime<Utc>,)> = self
            .fetch_optional(sql(
                "SELECT next_attempt_at FROM outbox WHERE status = 'pending' ORDER BY next_attempt_at LIMIT 1",
            ))
            .await?;
        Ok(row.map(|(at,)| at))
    }
}

/// Records how an attempt ended, in the caller's transaction (with its audit event).
pub async fn record_delivery(tx: &mut Tx, id: i64, delivery: &Delivery) -> StoreResult<()> {
    let now = Utc::now();
    let q = match delivery {
        Delivery::Sent | Delivery::Recorded => sql(
            "UPDATE outbox SET status = $1, sent_at = $2, claimed_until = NULL, last_error = NULL WHERE id = $3",
        )
        .bind(if *delivery == Delivery::Sent { "sent" } else { "recorded" })
        .bind(now)
        .bind(id),
        Delivery::Retry { at, error } => sql(
            "UPDATE outbox SET next_attempt_at = $1, last_error = $2, claimed_until = NULL WHERE id = $3",
        )
        .bind(*at)
        .bind(error.as_str())
        .bind(id),
        Delivery::Failed { error } => sql(
            "UPDATE outbox SET status = 'failed', last_error = $1, claimed_until = NULL WHERE id = $2",
        )
        .bind(error.as_str())
        .bind(id),
    };
    tx.execute(q).await?;
    Ok(())
}

/// Puts a failed message back in the queue (an officer fixed the address or the server).
pub async fn retry_failed(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    let n = tx
        .execute(
            sql(
                "UPDATE outbox SET status = 'pending', next_attempt_at = $1, claimed_until = NULL \
                 WHERE id = $2 AND status = 'failed'",
            )
            .bind(Utc::now())
            .bind(id),
        )
        .await?;
    Ok(n == 1)
}
