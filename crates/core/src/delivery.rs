//! Rules for delivering messages: retry timing and webhook signatures.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// After this many failed attempts a message is dead-lettered (visible, re-drivable).
pub const MAX_ATTEMPTS: u32 = 12;

/// Seconds to wait before attempt `attempt + 1` after `attempt` failures: exponential
/// from 2 s, capped at one hour, with "full jitter" in the upper half (`jitter` in 0..1)
/// so that many failed messages do not retry in lockstep.
pub fn backoff_secs(attempt: u32, jitter: f64) -> i64 {
    let base = 2f64.powi(attempt.min(20) as i32).min(3600.0);
    let jitter = jitter.clamp(0.0, 1.0);
    (base * (0.5 + 0.5 * jitter)).ceil() as i64
}

/// The header a webhook receiver verifies: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" keyed with the endpoint's secret>`. Signing the timestamp with the body
/// lets receivers refuse old replays.
pub const SIGNATURE_HEADER: &str = "Advocate-Signature";
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
pub const EVENT_HEADER: &str = "Advocate-Event";

pub fn webhook_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

/// Checks a signature header as a receiver would: right secret, body unchanged, and the
/// timestamp within `tolerance_secs` of `now`.
pub fn verify_webhook(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    let expected = webhook_signature(secret, t, body);
    let expected = expected
        .rsplit_once("v1=")
        .map(|(_, h)| h)
        .unwrap_or_default();
    crate::token::same_secret(v1, expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        assert_eq!(backoff_secs(0, 1.0), 1);
        assert_eq!(backoff_secs(3, 1.0), 8);
        assert_eq!(backoff_secs(3, 0.0), 4);
        assert_eq!(backoff_secs(30, 1.0), 3600);
        assert!((0..=20).all(|a| backoff_secs(a, 0.3) <= backoff_secs(a + 1, 0.3)));
    }

    #[test]
    fn signatures_verify_and_detect_tampering_and_replays() {
        let body = br#"{"event":"case.created"}"#;
        let h = webhook_signature("s3cret", 1_700_000_000, body);
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify_webhook("s3cret", &h, body, 1_700_000_100, 300));
        assert!(
            !verify_webhook("other", &h, body, 1_700_000_100, 300),
            "wrong secret"
        );
        assert!(
            !verify_webhook("s3cret", &h, b"{}", 1_700_000_100, 300),
            "body changed"
        );
        assert!(
            !verify_webhook("s3cret", &h, body, 1_700_001_000, 300),
            "too old"
        );
        assert!(!verify_webhook(
            "s3cret",
            "garbage",
            body,
            1_700_000_000,
            300
        ));
    }
}
