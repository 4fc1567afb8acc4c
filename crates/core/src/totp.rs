//! Two-factor sign-in: time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, the
//! codes every authenticator app shows) and one-time recovery codes.
//!
//! The parameters are the ones apps assume when an `otpauth://` URI leaves them out:
//! HMAC-SHA1, 6 digits, a 30-second step. A code is accepted one step early or late, so
//! a phone whose clock is a little off still signs in; the step it matched is returned so
//! the caller can refuse the same code twice.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one.
pub const SKEW: i64 = 1;
/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// How many recovery codes a person gets.
pub const RECOVERY_CODES: usize = 10;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: how secrets are shown and stored.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Base32 as people type it: any case, spaces, dashes and `=` padding ignored. `None` for
/// any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !matches!(c, ' ' | '-' | '=')) {
        let c = c.to_ascii_uppercase() as u8;
        let value = BASE32.iter().position(|&b| b == c)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    Some(out)
}

/// A new random secret, base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    base32_encode(&bytes)
}

/// The step a Unix time falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// HOTP (RFC 4226): the `DIGITS`-digit code of `secret` for `counter`.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    binary % 10u32.pow(DIGITS)
}

/// The code of `secret` at a Unix time, zero-padded as apps show it.
pub fn code_at(secret: &[u8], unix_secs: i64) -> String {
    format_code(hotp(secret, step_at(unix_secs) as u64))
}

fn format_code(code: u32) -> String {
    format!("{code:0width$}", width = DIGITS as usize)
}

/// Whether `input` looks like a TOTP code (six digits, spaces allowed) rather than a
/// recovery code.
pub fn looks_like_code(input: &str) -> bool {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == DIGITS as usize && digits.chars().all(|c| c.is_ascii_digit())
}

/// The step whose code `input` is, within `SKEW` steps of `unix_secs` and later than
/// `last_step` (a code already used, or an older one, is refused: no replay). `None` when
/// it matches none.
pub fn verify(
    secret_b32: &str,
    input: &str,
    unix_secs: i64,
    last_step: Option<i64>,
) -> Option<i64> {
    if !looks_like_code(input) {
        return None;
    }
    let input: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let secret = base32_decode(secret_b32)?;
    let now = step_at(unix_secs);
    // Every candidate is computed and compared in full, so timing says nothing; the
    // latest step that matches wins.
    let mut matched = None;
    for step in now - SKEW..=now + SKEW {
        let fresh = step >= 0 && last_step.is_none_or(|last| step > last);
        let same = crate::token::same_secret(&format_code(hotp(&secret, step as u64)), &input);
        if fresh && same {
            matched = Some(step);
        }
    }
    matched
}

/// The `otpauth://` URI an authenticator app scans from the QR code; the label and the
/// issuer name the account in the app ("Advocate (Acme): ana@example.com").
pub fn otpauth_uri(secret_b32: &str, issuer: &str, account: &str) -> String {
    let enc = |s: &str| {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// Ten new recovery codes, `xxxx-xxxx-xxxx` in lowercase letters and digits without the
/// easily confused `0 o 1 l i`: 60 bits each, typed once in an emergency.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = (0..12)
                .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// A recovery code as typed (any case, with or without dashes and spaces) in the one form
/// it is hashed in; `None` when it cannot be one.
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let chars: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (chars.len() == 12 && chars.chars().all(|c| c.is_ascii_alphanumeric())).then_some(chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 seed and its 8-digit codes; the last 6 digits are
    /// the 6-digit code.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code8) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at(secret, time), code8[2..], "at {time}");
        }
    }

    /// RFC 4226 appendix D.
    #[test]
    fn rfc_4226_hotp_vectors() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.into_iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", counter as u64), want);
        }
    }

    #[test]
    fn base32_round_trips_and_reads_what_people_type() {
        assert_eq!(
            base32_encode(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw 6ytb-oi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW1"), None, "1 is not base32");
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert_eq!(base32_decode(&s).unwrap().len(), SECRET_BYTES);
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_twice() {
        let secret = base32_encode(b"12345678901234567890");
        let t = 1111111111;
        let now = step_at(t);
        assert_eq!(verify(&secret, "050471", t, None), Some(now));
        assert_eq!(verify(&secret, "050 471", t, None), Some(now), "spaces");
        assert_eq!(
            verify(&secret, "050471", t + 30, None),
            Some(now),
            "a step late"
        );
        assert_eq!(
            verify(&secret, "050471", t - 30, None),
            Some(now),
            "a step early"
        );
        assert_eq!(
            verify(&secret, "050471", t + 60, None),
            None,
            "two steps late"
        );
        assert_eq!(verify(&secret, "050471", t, Some(now)), None, "replayed");
        assert_eq!(verify(&secret, "050472", t, None), None, "wrong");
        assert_eq!(verify(&secret, "05047", t, None), None, "too short");
        assert_eq!(verify(&secret, "abcdef", t, None), None);
    }

    #[test]
    fn otpauth_uri_names_issuer_and_account() {
        assert_eq!(
            otpauth_uri(
                "JBSWY3DPEHPK3PXP",
                "Advocate (Acme & Co)",
                "ana@example.com"
            ),
            "otpauth://totp/Advocate%20%28Acme%20%26%20Co%29:ana%40example.com?\
             secret=JBSWY3DPEHPK3PXP&issuer=Advocate%20%28Acme%20%26%20Co%29\
             &algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_normalise_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let c = &codes[0];
        assert_eq!(c.len(), 14);
        let plain = c.replace('-', "");
        assert_eq!(normalize_recovery_code(c).as_deref(), Some(plain.as_str()));
        assert_eq!(
            normalize_recovery_code(&format!(" {} ", c.to_uppercase().replace('-', " ")))
                .as_deref(),
            Some(plain.as_str())
        );
        assert_eq!(normalize_recovery_code("abcd-efgh"), None);
        assert_eq!(normalize_recovery_code("abcd-efgh-ij!k"), None);
        assert!(looks_like_code("123 456") && !looks_like_code(c));
    }
}
