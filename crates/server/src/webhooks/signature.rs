//! The `Beside-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! The time is signed with the body, so a receiver can refuse an old delivery replayed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's value for `body` sent at unix time `t`.
pub(crate) fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC-SHA256 takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Worked out with `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret`.
        assert_eq!(
            sign("s3cret", 1_700_000_000, "{\"a\":1}"),
            "t=1700000000,v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"
        );
    }
}
