//! Accounts: users made by an administrator with a one-time password, and a user changing
//! their own password. (Sessions, tokens and login throttling are in `web::auth`.)

use crate::domain::audit::Actor;
use crate::domain::user::{
    Principal, Role, UserFields, UserInput, check_activation, check_login_free, check_new_password,
};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::security::{hash_password, one_time_password, verify_password};
use crate::store::Store;
use crate::store::users::{insert_user, login_taken, write_user};

/// The organisation the form names, for a kommune user.
async fn organisation_for(
    store: &Store,
    fields: &UserFields,
    actor: &Actor,
) -> AppResult<Option<i64>> {
    match (&fields.organisation, fields.roles.contains(&Role::Kommune)) {
        (Some(text), true) => {
            let register = store.register().await?;
            Ok(Some(
                super::organisations::resolve_organisation(store, &register, text, actor)
                    .await?
                    .0,
            ))
        }
        _ => Ok(None),
    }
}

/// Creates a user with a one-time password that must be changed at first login.
pub async fn create_user_with_one_time_password(
    store: &Store,
    input: &UserInput,
    actor: &Actor,
) -> AppResult<(i64, String)> {
    let fields = input.validate()?;
    let organisation_id = organisation_for(store, &fields, actor).await?;
    let password = one_time_password()?;
    let hash = hash_on_blocking_thread(password.clone()).await?;
    let id = create_user(store, &fields, organisation_id, &hash, true, actor).await?;
    Ok((id, password))
}

/// Creates a user whose username and e-mail address are free. `password_hash` is an
/// argon2id PHC string.
pub async fn create_user(
    store: &Store,
    fields: &UserFields,
    organisation_id: Option<i64>,
    password_hash: &str,
    must_change_password: bool,
    actor: &Actor,
) -> AppResult<i64> {
    let mut tx = store.begin().await?;
    check_login_free(&fields.username, login_taken(&mut tx, fields, None).await?)?;
    let id = insert_user(
        &mut tx,
        fields,
        organisation_id,
        password_hash,
        must_change_password,
        actor,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Activates or deactivates a user; nobody deactivates themselves.
pub async fn set_active(store: &Store, user_id: i64, active: bool, actor: &Actor) -> AppResult<()> {
    check_activation(actor.user_id, user_id, active)?;
    Ok(store.set_user_active(user_id, active, actor).await?)
}

async fn hash_on_blocking_thread(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing task: {e}")))?
        .map_err(AppError::Internal)
}

/// Checks the current password and the new one; returns the new hash.
pub async fn new_password_hash(
    store: &Store,
    user: &Principal,
    current: &str,
    new: &str,
    repeated: &str,
) -> AppResult<String> {
    let mut errors = FieldErrors::new();
    let candidate = store
        .login_candidate(&user.username)
        .await?
        .ok_or_else(|| AppError::not_found("brukeren"))?;
    let current_owned = current.to_string();
    let hash = candidate.password_hash.clone();
    let current_ok = tokio::task::spawn_blocking(move || verify_password(&current_owned, &hash))
        .await
        .unwrap_or(false);
    if !current_ok {
        errors.add("current_password", "Nåværende passord er feil.");
    }
    if let Err(message) = check_new_password(&user.username, new) {
        errors.add("new_password", message);
    } else if new != repeated {
        errors.add("repeat_password", "Passordene er ikke like.");
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let new_owned = new.to_string();
    tokio::task::spawn_blocking(move || hash_password(&new_owned))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing task: {e}")))?
        .map_err(AppError::Internal)
}

/// Saves an administrator's changes to a user; the username stays (it names the user in
/// the audit log).
pub async fn update_user(
    store: &Store,
    user_id: i64,
    input: &UserInput,
    version: i64,
    actor: &Actor,
) -> AppResult<()> {
    let existing = store.user(user_id).await?;
    let mut input = input.clone();
    input.username = existing.username.clone();
    let fields = input.validate()?;
    let organisation_id = organisation_for(store, &fields, actor).await?;
    let mut tx = store.begin().await?;
    check_login_free(
        &fields.username,
        login_taken(&mut tx, &fields, Some(user_id)).await?,
    )?;
    write_user(&mut tx, &existing, &fields, organisation_id, version, actor).await?;
    Ok(tx.commit().await?)
}

/// Gives a user a new one-time password (to be changed at next login); answers it, to
/// be shown once.
pub async fn reset_password(store: &Store, user_id: i64, actor: &Actor) -> AppResult<String> {
    store.user(user_id).await?;
    let password = one_time_password()?;
    let hash = hash_on_blocking_thread(password.clone()).await?;
    // Everything the old password opened ends: sessions and API tokens.
    store
        .set_password(user_id, &hash, true, None, true, actor)
        .await?;
    Ok(password)
}

/// A user changes their own password: throttled like login (wrong current passwords
/// count), the new one checked, the other sessions ended, and the API tokens revoked
/// unless the user keeps them.
pub async fn change_own_password(
    store: &Store,
    user: &Principal,
    session: Option<&str>,
    change: &PasswordChange<'_>,
) -> AppResult<()> {
    use crate::domain::user::{THROTTLE_WINDOW_MINUTES, login_throttled};
    let since = chrono::Utc::now() - chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let account = format!("password:user:{}", user.user_id);
    // Counted per user: the address limit is the user's too.
    let claim = store
        .claim_login_attempt(&account, &user.username, &account, since)
        .await?;
    if login_throttled(claim.failures_for_account, claim.failures_for_address) {
        return Err(AppError::TooManyRequests(format!(
            "For mange feil med nåværende passord. Vent {THROTTLE_WINDOW_MINUTES} minutter og prøv igjen."
        )));
    }
    let hash =
        match new_password_hash(store, user, change.current, change.new, change.repeated).await {
            Ok(hash) => hash,
            Err(AppError::Invalid(errors)) if errors.for_field("current_password").is_some() => {
                return Err(AppError::Invalid(errors));
            }
            Err(other) => {
                store.clear_attempt(&claim).await?;
                return Err(other);
            }
        };
    store.clear_attempt(&claim).await?;
    store
        .set_password(
            user.user_id,
            &hash,
            false,
            session,
            change.revoke_tokens,
            &Actor::from(user),
        )
        .await?;
    Ok(())
}

/// What a user sends to change their own password.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub repeated: &'a str,
    /// Revoke the user's API tokens too (the default).
    pub revoke_tokens: bool,
}
