//! Signed, expiring tokens: `base64url(payload).base64url(HMAC-SHA256(key, payload))`.
//!
//! The payload is readable by whoever holds the token, so it must carry nothing secret;
//! the signature makes it unforgeable. The expiry is part of the signed payload.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs `payload`, valid until `expires_at` (Unix seconds).
pub fn sign(key: &[u8], payload: &str, expires_at: i64) -> String {
    let body = format!("{expires_at}|{payload}");
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body.as_bytes());
    format!(
        "{}.{}",
        B64.encode(body),
        B64.encode(mac.finalize().into_bytes())
    )
}

/// The payload of a token signed with `key` that has not expired at `now` (Unix seconds).
pub fn verify(key: &[u8], token: &str, now: i64) -> Option<String> {
    let (body, sig) = token.split_once('.')?;
    let body = B64.decode(body).ok()?;
    let sig = B64.decode(sig).ok()?;
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&body);
    mac.verify_slice(&sig).ok()?; // constant-time comparison
    let body = String::from_utf8(body).ok()?;
    let (expires_at, payload) = body.split_once('|')?;
    (expires_at.parse::<i64>().ok()? > now).then(|| payload.to_owned())
}

/// Whether a presented secret (a bearer token) equals the configured one, in time that
/// depends on neither: their SHA-256 digests are compared byte by byte without stopping
/// early, so neither the matching prefix nor the length leaks.
pub fn same_secret(presented: &str, expected: &str) -> bool {
    use sha2::Digest;
    let (a, b) = (Sha256::digest(presented), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_secret_only_for_the_same_bytes() {
        assert!(same_secret("s3cret-token", "s3cret-token"));
        assert!(!same_secret("s3cret-tokem", "s3cret-token"));
        assert!(!same_secret("s3cret", "s3cret-token"));
        assert!(!same_secret("", "s3cret-token"));
    }

    #[test]
    fn round_trips_until_expiry() {
        let t = sign(b"key", "user:7", 1000);
        assert_eq!(verify(b"key", &t, 999).as_deref(), Some("user:7"));
        assert_eq!(verify(b"key", &t, 1000), None, "expired");
        assert_eq!(verify(b"other", &t, 10), None, "wrong key");
    }

    #[test]
    fn tampering_is_detected() {
        let t = sign(b"key", "user:7", 1000);
        let (body, sig) = t.split_once('.').unwrap();
        let forged_body = B64.encode("999999|user:1");
        assert_eq!(verify(b"key", &format!("{forged_body}.{sig}"), 10), None);
        assert_eq!(verify(b"key", &format!("{body}.AAAA"), 10), None);
        assert_eq!(verify(b"key", "garbage", 10), None);
        assert_eq!(verify(b"key", "", 10), None);
    }
}
