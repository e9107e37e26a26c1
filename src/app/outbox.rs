//! Sending the outbox: a background worker takes due messages, attaches the letter PDF
//! where the message carries one, and hands them to the SMTP server. A refused or
//! unreachable server leaves the message queued with a later attempt time (backoff); a
//! permanent refusal marks it failed for an officer to see. Without an SMTP server the
//! messages are only recorded. Delivery is recorded with an audit event.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::clock::today_oslo;
use crate::documents::pdf::letter_pdf;
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::user::Principal;
use crate::error::{AppError, AppResult};
use crate::mail::{Attachment, Mailer, OutgoingMail};
use crate::store::Store;
use crate::store::outbox::{self, Delivery, OutboxMessage, record_delivery};

/// How the worker sends.
#[derive(Clone)]
pub struct MailSettings {
    /// `None`: no SMTP server; messages are recorded, not sent.
    pub mailer: Option<Arc<Mailer>>,
    /// The first retry waits this long; each later one twice as long, up to an hour.
    pub retry_base: Duration,
    /// How often the worker looks for due messages when nothing wakes it.
    pub poll: Duration,
    /// Wakes the worker when a request has queued mail, so it goes out at once.
    pub wake: Arc<tokio::sync::Notify>,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings::new(None)
    }
}

impl MailSettings {
    pub fn new(mailer: Option<Mailer>) -> Self {
        MailSettings {
            mailer: mailer.map(Arc::new),
            retry_base: Duration::from_secs(30),
            poll: Duration::from_secs(5),
            wake: Arc::default(),
        }
    }
}

/// How long to wait before attempt number `attempts + 1`.
pub fn retry_delay(attempts: i64, base: Duration) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    base.saturating_mul(2u32.saturating_pow(doublings))
        .min(Duration::from_secs(3600))
}

/// A claim lasts this long; a worker that dies mid-send frees its messages after it.
const LEASE: Duration = Duration::from_secs(300);

/// Sends what is due now; answers how many messages were handled.
pub async fn deliver_due(store: &Store, settings: &MailSettings) -> AppResult<usize> {
    let now = Utc::now();
    let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let due = store.claim_due_mail(now, lease, 20).await?;
    let count = due.len();
    for message in due {
        let delivery = attempt(store, settings, &message).await;
        let mut tx = store.begin().await?;
        record_delivery(&mut tx, message.id, &delivery).await?;
        let (action, summary) = match &delivery {
            Delivery::Sent => (
                "mail.sent",
                format!(
                    "E-post «{}» sendt til {}",
                    message.subject, message.recipient
                ),
            ),
            Delivery::Recorded => (
                "mail.recorded",
                format!(
                    "E-post «{}» til {} registrert (ingen e-posttjener er satt opp)",
                    message.subject, message.recipient
                ),
            ),
            Delivery::Retry { at, error } => (
                "mail.retry",
                format!(
                    "E-post «{}» til {} ble ikke sendt ({error}); nytt forsøk {}",
                    message.subject,
                    message.recipient,
                    at.with_timezone(&chrono_tz::Europe::Oslo)
                        .format("%d.%m.%Y %H:%M")
                ),
            ),
            Delivery::Failed { error } => (
                "mail.failed",
                format!(
                    "E-post «{}» til {} kan ikke sendes: {error}",
                    message.subject, message.recipient
                ),
            ),
        };
        let mut event = NewAuditEvent::new(&Actor::system("utboks"), action, summary);
        if let Some(round_id) = message.round_id {
            event = event.round(round_id);
        }
        if let Some(application_id) = message.application_id {
            event = event.application(application_id);
        }
        tx.audit(event).await?;
        tx.commit().await?;
    }
    Ok(count)
}

async fn attempt(store: &Store, settings: &MailSettings, message: &OutboxMessage) -> Delivery {
    let Some(mailer) = &settings.mailer else {
        return Delivery::Recorded;
    };
    let mut attachments = Vec::new();
    if let Some(application_id) = message.letter_application_id {
        match store.issued_letter(application_id).await {
            Ok(Some(issued)) => match letter_pdf(&issued.letter, issued.issued_at) {
                Ok(bytes) => attachments.push(Attachment {
                    filename: format!("{}-{application_id}.pdf", issued.kind.as_str()),
                    content_type: "application/pdf".into(),
                    bytes,
                }),
                Err(e) => {
                    return Delivery::Failed {
                        error: format!("brevet kunne ikke lages som PDF: {e}"),
                    };
                }
            },
            Ok(None) => {
                return Delivery::Failed {
                    error: "brevet som skal være vedlagt, er ikke utstedt".into(),
                };
            }
            Err(e) => return later(settings, message, format!("databasefeil: {e}")),
        }
    }
    let mail = OutgoingMail {
        to: message.recipient.clone(),
        subject: message.subject.clone(),
        text: message.body.clone(),
        attachments,
        message_key: Some(format!("tilskudd-utboks-{}", message.id)),
    };
    match mailer.send(&mail).await {
        Ok(()) => Delivery::Sent,
        Err(e) if e.is_permanent() => Delivery::Failed {
            error: e.to_string(),
        },
        Err(e) => later(settings, message, e.to_string()),
    }
}

fn later(settings: &MailSettings, message: &OutboxMessage, error: String) -> Delivery {
    let wait = retry_delay(message.attempts, settings.retry_base);
    Delivery::Retry {
        at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
        error,
    }
}

/// Runs the worker until the process ends: sends due mail, and once an hour queues the
/// report reminders that have fallen due.
pub fn spawn(store: Store, settings: MailSettings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut reminders_on = None;
        loop {
            let today = today_oslo();
            if reminders_on != Some(today) {
                match super::followup::queue_reminders(&store, today).await {
                    Ok(n) => {
                        reminders_on = Some(today);
                        if n > 0 {
                            tracing::info!(
                                queued = n,
                                "påminnelser om sluttrapport lagt i utboksen"
                            );
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "påminnelser kunne ikke legges i utboksen")
                    }
                }
            }
            match deliver_due(&store, &settings).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "utboksen kunne ikke sendes"),
            }
            tokio::select! {
                () = tokio::time::sleep(settings.poll) => {}
                () = settings.wake.notified() => {}
            }
        }
    })
}

/// An officer puts a failed message back in the queue.
pub async fn retry(store: &Store, user: &Principal, id: i64) -> AppResult<()> {
    user.check_saksbehandler("sende e-post på nytt")?;
    let mut tx = store.begin().await?;
    if !outbox::retry_failed(&mut tx, id).await? {
        return Err(AppError::Conflict(
            "Bare e-post som ikke kunne sendes, kan sendes på nytt.".into(),
        ));
    }
    tx.audit(NewAuditEvent::new(
        &Actor::from(user),
        "mail.requeued",
        format!("E-post {id} lagt i utboksen på nytt"),
    ))
    .await?;
    Ok(tx.commit().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_delay(1, base), Duration::from_secs(30));
        assert_eq!(retry_delay(2, base), Duration::from_secs(60));
        assert_eq!(retry_delay(5, base), Duration::from_secs(480));
        assert_eq!(retry_delay(50, base), Duration::from_secs(3600));
        assert_eq!(retry_delay(0, base), Duration::from_secs(30));
    }
}
