//! Agent logins (cookie sessions): the store keeps only a SHA-256 digest of each login token,
//! so a copy of the database does not let anyone log in.

use sha2::{Digest, Sha256};

use crate::StoreError;

/// The digest under which a login token is stored: lowercase hex SHA-256 (64 characters).
pub fn login_token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that a value is a digest from `login_token_hash`, not a token stored by mistake.
pub(crate) fn validate_token_hash(token_hash: &str) -> Result<(), StoreError> {
    let ok = token_hash.len() == 64
        && token_hash.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "a login is stored by the lowercase hex SHA-256 of its token (64 characters); \
             use store::login_token_hash, never the token itself"
                .to_owned(),
        ))
    }
}

pub(crate) fn token_taken() -> StoreError {
    StoreError::Conflict("this login token is already in use".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hashes_are_hex_sha256() {
        assert_eq!(
            login_token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(validate_token_hash(&login_token_hash(&model::random_token())).is_ok());
        assert!(validate_token_hash(&model::random_token()).is_err());
        assert!(validate_token_hash(&login_token_hash("x").to_uppercase()).is_err());
    }
}
