//! Single sign-on: logins under way (their state, nonce and PKCE verifier, kept in the
//! database so that any instance can take the provider's answer), subjects bound to
//! accounts, and the sessions opened through a provider.

use chrono::{DateTime, Duration, Utc};

use super::{Store, StoreResult, sql};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::sso::Found;

/// How long a user may spend at the provider before the login must start again.
pub const LOGIN_VALID_MINUTES: i64 = 15;

/// A login sent to a provider, as it is taken back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingLogin {
    pub issuer: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub created_at: DateTime<Utc>,
}

/// A session's provider, for logging out there too.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SsoSession {
    pub sso_issuer: String,
    pub sso_id_token: String,
}

impl Store {
    /// Records a login sent to a provider (and forgets those left unfinished).
    pub async fn begin_sso_login(
        &self,
        state_hash: &str,
        issuer: &str,
        nonce: &str,
        pkce_verifier: &str,
        next_path: &str,
    ) -> StoreResult<()> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        tx.execute(
            sql("DELETE FROM sso_logins WHERE created_at < $1")
                .bind(now - Duration::minutes(LOGIN_VALID_MINUTES)),
        )
        .await?;
        tx.execute(
            sql("INSERT INTO sso_logins (state_hash, issuer, nonce, pkce_verifier, next_path, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(state_hash)
                .bind(issuer)
                .bind(nonce)
                .bind(pkce_verifier)
                .bind(next_path)
                .bind(now),
        )
        .await?;
        tx.commit().await
    }

    /// Takes a login back by its state: once only (the row is deleted as it is read), and
    /// only within [`LOGIN_VALID_MINUTES`].
    pub async fn take_sso_login(&self, state_hash: &str) -> StoreResult<Option<PendingLogin>> {
        let mut tx = self.begin().await?;
        let taken: Option<PendingLogin> = tx
            .fetch_optional(
                sql("DELETE FROM sso_logins WHERE state_hash = $1 \
                     RETURNING issuer, nonce, pkce_verifier, next_path, created_at")
                .bind(state_hash),
            )
            .await?;
        tx.commit().await?;
        let oldest = Utc::now() - Duration::minutes(LOGIN_VALID_MINUTES);
        Ok(taken.filter(|login| login.created_at >= oldest))
    }

    /// What the accounts say about a provider's person: the account bound to the
    /// subject, else the one with the e-mail address or national identity number.
    pub async fn sso_found(
        &self,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
        national_id_hash: Option<&str>,
    ) -> StoreResult<Found> {
        let bound: Option<(i64, bool)> = self
            .fetch_optional(
                sql(
                    "SELECT u.id, u.active FROM sso_identities i JOIN users u ON u.id = i.user_id \
                     WHERE i.issuer = $1 AND i.subject = $2",
                )
                .bind(issuer)
                .bind(subject),
            )
            .await?;
        if let Some((user_id, active)) = bound {
            return Ok(Found::Bound { user_id, active });
        }
        let candidate: Option<(i64, bool)> = match (email, national_id_hash) {
            (_, Some(hash)) => {
                self.fetch_optional(
                    sql("SELECT id, active FROM users WHERE national_id_hash = $1").bind(hash),
                )
                .await?
            }
            (Some(email), None) => {
                self.fetch_optional(
                    sql("SELECT id, active FROM users WHERE lower(email) = $1")
                        .bind(email.trim().to_lowercase()),
                )
                .await?
            }
            (None, None) => None,
        };
        let Some((user_id, active)) = candidate else {
            return Ok(Found::Nobody);
        };
        let bound_subject: Option<String> = self
            .fetch_optional(
                sql("SELECT subject FROM sso_identities WHERE user_id = $1 AND issuer = $2")
                    .bind(user_id)
                    .bind(issuer),
            )
            .await?
            .map(|(subject,): (String,)| subject);
        Ok(Found::Candidate {
            user_id,
            active,
            bound_subject,
        })
    }

    /// Opens a session for a person the provider vouched for, binding the subject to the
    /// account at the first login; audited in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn open_sso_session(
        &self,
        actor: &Actor,
        issuer: &str,
        provider_label: &str,
        subject: &str,
        bind: bool,
        token_hash: &str,
        id_token: &str,
    ) -> StoreResult<()> {
        let user_id = actor.user_id.unwrap_or_default();
        let now = Utc::now();
        let mut tx = self.begin().await?;
        if bind {
            tx.execute(
                sql("INSERT INTO sso_identities (issuer, subject, user_id, bound_at) VALUES ($1, $2, $3, $4)")
                    .bind(issuer)
                    .bind(subject)
                    .bind(user_id)
                    .bind(now),
            )
            .await?;
            tx.audit(NewAuditEvent::new(
                actor,
                "sso.bound",
                format!(
                    "{} logget inn med {provider_label} for første gang; identiteten hos {provider_label} er knyttet til brukeren",
                    actor.name
                ),
            ))
            .await?;
        }
        // The one-time password an admin gave was for the first login, which the provider
        // has now done: it stops working rather than stay usable unchanged.
        let one_time_ended = tx
            .execute(
                sql(
                    "UPDATE users SET must_change_password = FALSE, password_hash = $1, \
                     version = version + 1, updated_at = $2 WHERE id = $3 AND must_change_password",
                )
                .bind(crate::security::NO_PASSWORD_HASH)
                .bind(now)
                .bind(user_id),
            )
            .await?;
        if one_time_ended > 0 {
            tx.audit(NewAuditEvent::new(
                actor,
                "sso.one_time_password_ended",
                format!(
                    "Engangspassordet til {} gjelder ikke lenger: brukeren logget inn med {provider_label}",
                    actor.name
                ),
            ))
            .await?;
        }
        tx.execute(
            sql("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, sso_issuer, sso_id_token) \
                 VALUES ($1, $2, $3, $3, $4, $5)")
                .bind(token_hash)
                .bind(user_id)
                .bind(now)
                .bind(issuer)
                .bind(id_token),
        )
        .await?;
        tx.audit(NewAuditEvent::new(
            actor,
            "login.sso",
            format!("{} logget inn med {provider_label}", actor.name),
        ))
        .await?;
        tx.commit().await
    }

    /// The provider a session came through, if it did.
    pub async fn sso_session(&self, token_hash: &str) -> StoreResult<Option<SsoSession>> {
        self.fetch_optional(
            sql("SELECT sso_issuer, sso_id_token FROM sessions \
                 WHERE token_hash = $1 AND sso_issuer IS NOT NULL AND sso_id_token IS NOT NULL")
            .bind(token_hash),
        )
        .await
    }
}
