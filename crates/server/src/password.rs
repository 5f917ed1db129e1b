//! Agent passwords: Argon2id hashes in PHC string format.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted for an agent account.
pub const MIN_LENGTH: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("a password may have at most 1024 characters")]
    TooLong,
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// Hashes a new password with Argon2id and a random salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let n_chars = password.chars().count();
    if n_chars < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if n_chars > 1024 {
        return Err(PasswordError::TooLong);
    }
    let salt = SaltString::encode_b64(&model::random_bytes::<16>())
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("x", "not a hash"));
        assert!(matches!(hash("short"), Err(PasswordError::TooShort)));
    }
}
