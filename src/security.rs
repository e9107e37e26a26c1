//! Secrets: password hashes (argon2id) and random tokens for sessions and API access.
//! Only hashes are stored; a token is shown to its owner once.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
/// The stored "hash" of an account without a password (one that logs in through single
/// sign-on): not a PHC string, so no password matches it.
pub const NO_PASSWORD_HASH: &str = "!ingen-passord";

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends about as long as a password check, so that an unknown username cannot be told
/// apart from a wrong password by timing.
pub fn burn_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("ingen-bruker-har-dette").unwrap_or_default());
    let _ = verify_password(password, hash);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random token (256 bits, hex) and the hash to store for it.
pub fn new_token(prefix: &str) -> anyhow::Result<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let token = format!("{prefix}{}", hex(&bytes));
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a token: SHA-256, hex. Tokens are random, so no salt is needed.
pub fn token_hash(token: &str) -> String {
    token_hash_bytes(token.as_bytes())
}

/// SHA-256 of any bytes, hex.
pub fn token_hash_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A one-time password for a new user: readable, 20 characters from an unambiguous set.
pub fn one_time_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // Bytes at or above the largest multiple of the alphabet's length are skipped, so
    // every character is equally likely.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut password = String::with_capacity(20);
    while password.len() < 20 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        for b in bytes.into_iter().filter(|b| *b < limit) {
            if password.len() < 20 {
                password.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("et langt passord").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("et langt passord", &hash));
        assert!(!verify_password("et annet passord", &hash));
        assert!(!verify_password("x", "ikke en hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token("tsk_").unwrap();
        let (b, _) = new_token("tsk_").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("tsk_"));
        assert_eq!(token_hash(&a), ha);
        assert_eq!(ha.len(), 64);
        assert_eq!(one_time_password().unwrap().len(), 20);
    }
}
