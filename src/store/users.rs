//! Users, sessions, API tokens and login attempts.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::cache::SEEN_PRECISION;
use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::user::{Principal, Role, UserFields};

/// A user as the admin pages and the API show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    /// The organisation's kommunenummer, when it is a municipality.
    pub organisation_kommunenummer: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
    pub version: i64,
    /// A national identity number is on file (for ID-porten); the number is never shown.
    pub has_national_id: bool,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    email: Option<String>,
    organisation_id: Option<i64>,
    organisation_name: Option<String>,
    organisation_kommunenummer: Option<String>,
    active: bool,
    must_change_password: bool,
    version: i64,
    has_national_id: bool,
}

/// What a login needs to check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginCandidate {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub active: bool,
    pub must_change_password: bool,
}

/// A personal API token, without its secret.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct ApiTokenSummary {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

async fn roles_of(store: &Store, user_id: i64) -> StoreResult<Vec<Role>> {
    let rows: Vec<(String,)> = store
        .fetch_all(
            sql("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role").bind(user_id),
        )
        .await?;
    let mut roles: Vec<Role> = rows
        .into_iter()
        .filter_map(|(r,)| Role::parse(&r))
        .collect();
    roles.sort();
    Ok(roles)
}

/// Who is asking, as found from a session or an API token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The sum of the `data_versions` counters when the request began: it changes with
    /// every state change, so what was computed at the same value is still current.
    pub data_version: i64,
}

/// One row per role (or one without a role) of the caller's user.
#[derive(sqlx::FromRow)]
struct CallerRow {
    #[sqlx(default)]
    token_id: i64,
    seen_at: Option<DateTime<Utc>>,
    id: i64,
    username: String,
    display_name: String,
    organisation_id: Option<i64>,
    active: bool,
    must_change_password: bool,
    role: Option<String>,
    data_version: i64,
}

impl Caller {
    /// `None` for a deactivated user.
    fn from_rows(rows: Vec<CallerRow>) -> Option<Caller> {
        let mut roles: Vec<Role> = rows
            .iter()
            .filter_map(|r| r.role.as_deref().and_then(Role::parse))
            .collect();
        roles.sort();
        roles.dedup();
        let first = rows.into_iter().next()?;
        first.active.then_some(Caller {
            principal: Principal {
                user_id: first.id,
                username: first.username,
                display_name: first.display_name,
                roles,
                organisation_id: first.organisation_id,
                must_change_password: first.must_change_password,
            },
            data_version: first.data_version,
        })
    }
}

impl Store {
    pub async fn list_users(&self) -> StoreResult<Vec<UserSummary>> {
        let rows: Vec<UserRow> = self
            .fetch_all(sql(
                "SELECT u.id, u.username, u.display_name, u.email, u.organisation_id, \
                 o.name AS organisation_name, o.kommunenummer AS organisation_kommunenummer, u.active, u.must_change_password, u.version, \
                 (u.national_id_hash IS NOT NULL) AS has_national_id \
                 FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id ORDER BY u.username",
            ))
            .await?;
        let roles: Vec<(i64, String)> = self
            .fetch_all(sql(
                "SELECT user_id, role FROM user_roles ORDER BY user_id, role",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut user_roles: Vec<Role> = roles
                    .iter()
                    .filter(|(id, _)| *id == r.id)
                    .filter_map(|(_, role)| Role::parse(role))
                    .collect();
                user_roles.sort();
                summary(r, user_roles)
            })
            .collect())
    }

    pub async fn user(&self, id: i64) -> StoreResult<UserSummary> {
        let row: UserRow = self
            .fetch_optional(
                sql("SELECT u.id, u.username, u.display_name, u.email, u.organisation_id, \
                     o.name AS organisation_name, o.kommunenummer AS organisation_kommunenummer, u.active, u.must_change_password, u.version, \
                 (u.national_id_hash IS NOT NULL) AS has_national_id \
                     FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1")
                .bind(id),
            )
            .await?
            .ok_or_else(|| StoreError::NotFound("brukeren"))?;
        let roles = roles_of(self, id).await?;
        Ok(summary(row, roles))
    }
}

/// Changes a user's name, e-mail, roles and organisation if nobody changed it since
/// `version` (the caller has checked the rules), in the caller's transaction.
pub async fn write_user(
    tx: &mut Tx,
    before: &UserSummary,
    fields: &UserFields,
    organisation_id: Option<i64>,
    version: i64,
    actor: &Actor,
) -> StoreResult<()> {
    let id = before.id;
    {
        let updated = tx
            .execute(
                sql(
                    "UPDATE users SET display_name = $1, email = $2, organisation_id = $3, \
                     national_id_hash = COALESCE($7, national_id_hash), \
                     version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6",
                )
                .bind(&fields.display_name)
                .bind(fields.email.clone())
                .bind(organisation_id)
                .bind(Utc::now())
                .bind(id)
                .bind(version)
                .bind(fields.national_id_hash.clone()),
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::StaleVersion {
                what: "brukeren",
                seen: version,
                current: before.version,
            });
        }
        tx.execute(sql("DELETE FROM user_roles WHERE user_id = $1").bind(id))
            .await?;
        for role in &fields.roles {
            tx.execute(
                sql("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                    .bind(id)
                    .bind(role.as_str()),
            )
            .await?;
        }
        let roles_text = |roles: &[Role]| {
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        tx.audit(
            NewAuditEvent::new(
                actor,
                "user.updated",
                format!("Endret brukeren {}", before.username),
            )
            .change(
                "roles",
                Some(roles_text(&before.roles)),
                Some(roles_text(&fields.roles)),
            ),
        )
        .await?;
        if !fields.roles.contains(&Role::Kommune) || before.organisation_id != organisation_id {
            // Access changed: the user logs in again.
            tx.execute(sql("DELETE FROM sessions WHERE user_id = $1").bind(id))
                .await?;
        }
        Ok(())
    }
}

impl Store {
    /// Activates or deactivates a user (the caller has checked the rules); deactivating
    /// ends the user's sessions and API tokens at once.
    pub async fn set_user_active(&self, id: i64, active: bool, actor: &Actor) -> StoreResult<()> {
        let user = self.user(id).await?;
        let mut tx = self.begin().await?;
        tx.execute(
            sql("UPDATE users SET active = $1, version = version + 1, updated_at = $2 WHERE id = $3")
                .bind(active)
                .bind(Utc::now())
                .bind(id),
        )
        .await?;
        if !active {
            tx.execute(sql("DELETE FROM sessions WHERE user_id = $1").bind(id))
                .await?;
            tx.execute(
                sql("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(Utc::now())
                    .bind(id),
            )
            .await?;
        }
        let (action, summary) = if active {
            (
                "user.activated",
                format!("Aktiverte brukeren {}", user.username),
            )
        } else {
            (
                "user.deactivated",
                format!("Deaktiverte brukeren {}", user.username),
            )
        };
        tx.audit(NewAuditEvent::new(actor, action, summary)).await?;
        tx.commit().await
    }

    /// Sets a new password; every other session of the user ends.
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        must_change_password: bool,
        keep_session: Option<&str>,
        revoke_tokens: bool,
        actor: &Actor,
    ) -> StoreResult<()> {
        let user = self.user(user_id).await?;
        let mut tx = self.begin().await?;
        tx.execute(
            sql("UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3 WHERE id = $4")
                .bind(password_hash)
                .bind(must_change_password)
                .bind(Utc::now())
                .bind(user_id),
        )
        .await?;
        tx.execute(
            sql("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(keep_session.unwrap_or("")),
        )
        .await?;
        let revoked = if revoke_tokens {
            tx.execute(
                sql("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(Utc::now())
                    .bind(user_id),
            )
            .await?
        } else {
            0
        };
        let tokens = if revoked > 0 {
            format!("; {revoked} API-nøkler trukket tilbake")
        } else {
            String::new()
        };
        tx.audit(NewAuditEvent::new(
            actor,
            "user.password_changed",
            format!("Nytt passord for {}{tokens}", user.username),
        ))
        .await?;
        tx.commit().await
    }

    /// The user that `login` (username or e-mail, any case) names.
    pub async fn login_candidate(&self, login: &str) -> StoreResult<Option<LoginCandidate>> {
        let login = login.trim().to_lowercase();
        self.fetch_optional(
            sql(
                "SELECT id, username, password_hash, active, must_change_password FROM users \
                 WHERE username = $1 OR lower(email) = $1",
            )
            .bind(login),
        )
        .await
    }

    pub async fn principal(&self, user_id: i64) -> StoreResult<Option<Principal>> {
        let row: Option<(i64, String, String, Option<i64>, bool, bool)> = self
            .fetch_optional(
                sql("SELECT id, username, display_name, organisation_id, active, must_change_password \
                     FROM users WHERE id = $1")
                    .bind(user_id),
            )
            .await?;
        let Some((id, username, display_name, organisation_id, active, must_change_password)) = row
        else {
            return Ok(None);
        };
        if !active {
            return Ok(None);
        }
        Ok(Some(Principal {
            user_id: id,
            username,
            display_name,
            roles: roles_of(self, id).await?,
            organisation_id,
            must_change_password,
        }))
    }

    /// Records a login attempt; a success or failure is an audit event in the same transaction.
    /// Records a login attempt as failed before its password is checked, and answers the
    /// failures within the window before this one, for the account and for the address.
    /// One atomic step per account and address, so parallel attempts cannot all pass the
    /// limit: each sees the ones before it.
    pub async fn claim_login_attempt(
        &self,
        account: &str,
        username: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<LoginClaim> {
        let mut tx = self.begin().await?;
        tx.lock_key(&format!("login {account}")).await?;
        tx.lock_key(&format!("address {address}")).await?;
        let id = tx
            .insert(
                sql("INSERT INTO login_attempts (username, address, succeeded, attempted_at, account) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(username.trim().to_lowercase())
                .bind(address)
                .bind(false)
                .bind(Utc::now())
                .bind(account),
            )
            .await?;
        let count = |column: &'static str| sql(column).bind(false).bind(since).bind(id);
        let (by_account,): (i64,) = tx
            .fetch_one(
                count(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM login_attempts \
                       WHERE succeeded = $1 AND attempted_at >= $2 AND id <> $3 AND account = $4",
                )
                .bind(account),
            )
            .await?;
        let (by_address,): (i64,) = tx
            .fetch_one(
                count(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM login_attempts \
                       WHERE succeeded = $1 AND attempted_at >= $2 AND id <> $3 AND address = $4",
                )
                .bind(address),
            )
            .await?;
        tx.commit().await?;
        Ok(LoginClaim {
            id,
            failures_for_account: by_account,
            failures_for_address: by_address,
        })
    }

    /// A claimed attempt that turned out not to be a guess stops counting as a failure.
    pub async fn clear_attempt(&self, claim: &LoginClaim) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx.execute(
            sql("UPDATE login_attempts SET succeeded = $1 WHERE id = $2")
                .bind(true)
                .bind(claim.id),
        )
        .await?;
        tx.commit().await
    }

    /// Settles a claimed attempt: a success stops counting as a failure. Every outcome is
    /// audited.
    pub async fn settle_login_attempt(
        &self,
        claim: &LoginClaim,
        username: &str,
        address: &str,
        outcome: LoginOutcome,
        user_id: Option<i64>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if outcome == LoginOutcome::Succeeded {
            tx.execute(
                sql("UPDATE login_attempts SET succeeded = $1 WHERE id = $2")
                    .bind(true)
                    .bind(claim.id),
            )
            .await?;
        }
        let actor = match user_id {
            Some(id) => Actor::user(id, username),
            None => Actor::system(&format!("anonym ({address})")),
        };
        let (action, summary) = match outcome {
            LoginOutcome::Succeeded => (
                "login.succeeded",
                format!("{username} logget inn fra {address}"),
            ),
            LoginOutcome::Failed => (
                "login.failed",
                format!("Mislykket innlogging som «{username}» fra {address}"),
            ),
            LoginOutcome::Throttled => (
                "login.throttled",
                format!(
                    "Innlogging som «{username}» fra {address} avvist: for mange mislykkede forsøk"
                ),
            ),
        };
        tx.audit(NewAuditEvent::new(&actor, action, summary))
            .await?;
        tx.commit().await
    }

    pub async fn create_session(&self, user_id: i64, token_hash: &str) -> StoreResult<()> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        tx.execute(
            sql("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)")
                .bind(token_hash)
                .bind(user_id)
                .bind(now),
        )
        .await?;
        tx.commit().await
    }

    /// The caller of a live session and the data version this request reads at, in one
    /// round trip (none while a known caller's data is unchanged, see
    /// [`Store::follow_changes`]); sessions idle longer than `idle` are ended.
    pub async fn session_caller(
        &self,
        token_hash: &str,
        idle: Duration,
    ) -> StoreResult<Option<Caller>> {
        let key = format!("session {token_hash}");
        let now = Utc::now();
        if let Some(caller) = self.known_caller(&key, now, idle) {
            return Ok(Some(caller));
        }
        let rows: Vec<CallerRow> = self
            .fetch_all(
                sql("SELECT s.last_seen_at AS seen_at, u.id, u.username, u.display_name, u.organisation_id, \
                     u.active, u.must_change_password, r.role, \
                     (SELECT CAST(SUM(version) AS BIGINT) FROM data_versions) AS data_version \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     LEFT JOIN user_roles r ON r.user_id = u.id WHERE s.token_hash = $1")
                    .bind(token_hash),
            )
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let Some(mut seen_at) = first.seen_at.filter(|seen| now - *seen <= idle) else {
            self.execute(sql("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash))
                .await?;
            return Ok(None);
        };
        // Writing on every request would serialise readers on SQLite; a minute is precise
        // enough. Not in a `Tx`: no page shows it, so kept answers stay current.
        if now - seen_at > SEEN_PRECISION {
            self.execute(
                sql("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash),
            )
            .await?;
            seen_at = now;
        }
        Ok(self.remember_caller(key, Caller::from_rows(rows), seen_at))
    }

    /// A caller answered from memory: only while this instance follows the data versions
    /// and nothing has changed since it was read.
    fn known_caller(&self, key: &str, now: DateTime<Utc>, idle: Duration) -> Option<Caller> {
        let data_version = self.cache.live.sum()?;
        let principal = self.cache.callers.get(key, data_version, now, idle)?;
        Some(Caller {
            principal,
            data_version,
        })
    }

    fn remember_caller(
        &self,
        key: String,
        caller: Option<Caller>,
        seen_at: DateTime<Utc>,
    ) -> Option<Caller> {
        if let Some(caller) = &caller
            && self.follows_changes()
        {
            self.cache
                .callers
                .put(key, caller.principal.clone(), seen_at, caller.data_version);
        }
        caller
    }

    pub async fn delete_session(&self, token_hash: &str, actor: &Actor) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx.execute(sql("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash))
            .await?;
        tx.audit(NewAuditEvent::new(
            actor,
            "logout",
            format!("{} logget ut", actor.name),
        ))
        .await?;
        tx.commit().await
    }

    pub async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        actor: &Actor,
    ) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let id = tx
            .insert(
                sql("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(user_id)
                    .bind(name)
                    .bind(token_hash)
                    .bind(Utc::now()),
            )
            .await?;
        tx.audit(NewAuditEvent::new(
            actor,
            "token.created",
            format!("Opprettet API-nøkkelen «{name}»"),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn api_tokens(&self, user_id: i64) -> StoreResult<Vec<ApiTokenSummary>> {
        self.fetch_all(
            sql(
                "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens \
                 WHERE user_id = $1 ORDER BY id DESC",
            )
            .bind(user_id),
        )
        .await
    }

    /// Revokes one of the user's own tokens; another user's token is "not found".
    pub async fn revoke_api_token(
        &self,
        user_id: i64,
        token_id: i64,
        actor: &Actor,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let name: Option<(String,)> = tx
            .fetch_optional(
                sql("SELECT name FROM api_tokens WHERE id = $1 AND user_id = $2")
                    .bind(token_id)
                    .bind(user_id),
            )
            .await?;
        let (name,) = name.ok_or_else(|| StoreError::NotFound("API-nøkkelen"))?;
        tx.execute(
            sql("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(Utc::now())
                .bind(token_id),
        )
        .await?;
        tx.audit(NewAuditEvent::new(
            actor,
            "token.revoked",
            format!("Trakk tilbake API-nøkkelen «{name}»"),
        ))
        .await?;
        tx.commit().await
    }

    /// The caller of a live API token and the data version this request reads at, in one
    /// round trip (none while a known caller's data is unchanged), noting the token's use.
    pub async fn api_token_caller(&self, token_hash: &str) -> StoreResult<Option<Caller>> {
        let key = format!("token {token_hash}");
        let now = Utc::now();
        // Tokens have no idle limit; their use is noted once a minute.
        if let Some(caller) = self.known_caller(&key, now, SEEN_PRECISION) {
            return Ok(Some(caller));
        }
        let rows: Vec<CallerRow> = self
            .fetch_all(
                sql("SELECT t.id AS token_id, t.last_used_at AS seen_at, u.id, u.username, u.display_name, \
                     u.organisation_id, u.active, u.must_change_password, r.role, \
                     (SELECT CAST(SUM(version) AS BIGINT) FROM data_versions) AS data_version \
                     FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     LEFT JOIN user_roles r ON r.user_id = u.id \
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL")
                    .bind(token_hash),
            )
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        // The token list shows when each was last used: a write that counts (see
        // `Tx::commit`), once a minute at most. What was read before it is not remembered:
        // its data version is already out of date.
        match first.seen_at.filter(|t| now - *t <= SEEN_PRECISION) {
            Some(seen_at) => Ok(self.remember_caller(key, Caller::from_rows(rows), seen_at)),
            None => {
                let mut tx = self.begin().await?;
                tx.execute(
                    sql("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(first.token_id),
                )
                .await?;
                tx.commit().await?;
                Ok(Caller::from_rows(rows))
            }
        }
    }

    pub async fn user_count(&self) -> StoreResult<i64> {
        Ok(self
            .fetch_one::<(i64,)>(sql("SELECT CAST(COUNT(*) AS BIGINT) FROM users"))
            .await?
            .0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Succeeded,
    Failed,
    Throttled,
}

fn summary(r: UserRow, roles: Vec<Role>) -> UserSummary {
    UserSummary {
        id: r.id,
        username: r.username,
        display_name: r.display_name,
        email: r.email,
        roles,
        organisation_id: r.organisation_id,
        organisation_name: r.organisation_name,
        organisation_kommunenummer: r.organisation_kommunenummer,
        active: r.active,
        must_change_password: r.must_change_password,
        version: r.version,
        has_national_id: r.has_national_id,
    }
}

/// Whether another user (not `except`) already has the username or e-mail address.
pub async fn login_taken(
    tx: &mut Tx,
    fields: &UserFields,
    except: Option<i64>,
) -> StoreResult<bool> {
    let taken: Option<(i64,)> = tx
        .fetch_optional(
            sql("SELECT id FROM users WHERE (username = $1 OR (email IS NOT NULL AND lower(email) = lower($2))) AND id <> $3")
                .bind(&fields.username)
                .bind(fields.email.clone().unwrap_or_default())
                .bind(except.unwrap_or(-1)),
        )
        .await?;
    Ok(taken.is_some())
}

pub async fn insert_user(
    tx: &mut Tx,
    fields: &UserFields,
    organisation_id: Option<i64>,
    password_hash: &str,
    must_change_password: bool,
    actor: &Actor,
) -> StoreResult<i64> {
    let now = Utc::now();
    let id = tx
        .insert(
            sql("INSERT INTO users (username, display_name, email, password_hash, must_change_password, \
                 organisation_id, active, version, created_at, updated_at, national_id_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8, $9) RETURNING id")
            .bind(&fields.username)
            .bind(&fields.display_name)
            .bind(fields.email.clone())
            .bind(password_hash)
            .bind(must_change_password)
            .bind(organisation_id)
            .bind(true)
            .bind(now)
            .bind(fields.national_id_hash.clone()),
        )
        .await?;
    for role in &fields.roles {
        tx.execute(
            sql("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(role.as_str()),
        )
        .await?;
    }
    let roles = fields
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    tx.audit(NewAuditEvent::new(
        actor,
        "user.created",
        format!("Opprettet brukeren {} med rollene {roles}", fields.username),
    ))
    .await?;
    Ok(id)
}

/// A login attempt recorded before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginClaim {
    pub id: i64,
    /// Failures within the window before this attempt.
    pub failures_for_account: i64,
    pub failures_for_address: i64,
}
