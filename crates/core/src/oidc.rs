//! OpenID Connect sign-in, the pure parts: PKCE (S256), random state and nonce, the
//! ID token's RS256 signature against the provider's JWKS, its claims, and the
//! workspace's rule for who may come in (email domains, a group).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rand::RngCore;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Clock difference tolerated between us and the provider, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// 32 random bytes, base64url: a PKCE verifier, a state or a nonce (RFC 7636 §4.1 wants
/// 43–128 characters; this is 43).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    B64.encode(bytes)
}

/// The S256 code challenge of a PKCE verifier: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

/// Why an ID token is refused. The messages name the check, never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the ID token is not a signed JWT")]
    Malformed,
    #[error("the ID token is signed with {0}, not RS256")]
    Algorithm(String),
    #[error("the provider's keys have no RSA key matching the ID token")]
    UnknownKey,
    #[error("the ID token's signature is not valid")]
    Signature,
    #[error("the ID token was issued by {0}, not the configured issuer")]
    Issuer(String),
    #[error("the ID token is not meant for this client (audience)")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token is issued in the future")]
    NotYetValid,
    #[error("the ID token's nonce does not match this sign-in")]
    Nonce,
    #[error("the ID token has no email, or the provider has not verified it")]
    Email,
}

/// One key of a JWKS document; only RSA keys are used.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// `aud` is a string or an array of strings (OIDC Core §2).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn all(&self) -> Vec<&str> {
        match self {
            Self::One(a) => vec![a.as_str()],
            Self::Many(a) => a.iter().map(String::as_str).collect(),
        }
    }
}

/// The claims of an ID token that sign-in looks at.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    #[serde(default)]
    pub azp: Option<String>,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Absent counts as verified only when the provider omits it altogether; `false` refuses.
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub name: Option<String>,
    /// Group claims come as a list (or, from some providers, one string).
    #[serde(default)]
    pub groups: Option<serde_json::Value>,
}

impl IdClaims {
    pub fn group_names(&self) -> Vec<String> {
        match &self.groups {
            Some(serde_json::Value::String(g)) => vec![g.clone()],
            Some(serde_json::Value::Array(gs)) => gs
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The claims of `token` if its RS256 signature verifies with a key of `jwks` (the one
/// its `kid` names, or any RSA key when it names none). Claims are not checked here.
pub fn verify_signature(token: &str, jwks: &Jwks) -> Result<IdClaims, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Header = B64
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)?;
    // Only RS256: "none" and HMAC algorithms (keyed with a public key) are the classic forgeries.
    if header.alg != "RS256" {
        return Err(TokenError::Algorithm(header.alg));
    }
    let signature = B64.decode(s).map_err(|_| TokenError::Malformed)?;
    let digest = Sha256::digest(format!("{h}.{p}").as_bytes());
    let candidates: Vec<RsaPublicKey> = jwks
        .keys
        .iter()
        .filter(|k| k.kty == "RSA" && k.use_.as_deref().unwrap_or("sig") == "sig")
        .filter(|k| header.kid.is_none() || k.kid == header.kid)
        .filter_map(rsa_key)
        .collect();
    if candidates.is_empty() {
        return Err(TokenError::UnknownKey);
    }
    let verified = candidates.iter().any(|key| {
        key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &signature)
            .is_ok()
    });
    if !verified {
        return Err(TokenError::Signature);
    }
    B64.decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)
}

fn rsa_key(k: &Jwk) -> Option<RsaPublicKey> {
    let n = B64.decode(k.n.as_deref()?).ok()?;
    let e = B64.decode(k.e.as_deref()?).ok()?;
    RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).ok()
}

/// What this sign-in expects of the ID token.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// The checks of OIDC Core §3.1.3.7 on verified claims; returns the verified email
/// (lower-cased).
pub fn check_claims(claims: &IdClaims, expected: &Expected) -> Result<String, TokenError> {
    if claims.iss.trim_end_matches('/') != expected.issuer.trim_end_matches('/') {
        return Err(TokenError::Issuer(claims.iss.clone()));
    }
    let audiences = claims.aud.all();
    if !audiences.contains(&expected.client_id) {
        return Err(TokenError::Audience);
    }
    // With several audiences the authorized party must be us.
    if (audiences.len() > 1 || claims.azp.is_some())
        && claims.azp.as_deref() != Some(expected.client_id)
    {
        return Err(TokenError::Audience);
    }
    if claims.exp + CLOCK_SKEW_SECS <= expected.now {
        return Err(TokenError::Expired);
    }
    if claims.iat - CLOCK_SKEW_SECS > expected.now {
        return Err(TokenError::NotYetValid);
    }
    if claims.nonce.as_deref() != Some(expected.nonce) {
        return Err(TokenError::Nonce);
    }
    match (&claims.email, claims.email_verified) {
        (Some(email), None | Some(true)) if email.contains('@') => Ok(email.trim().to_lowercase()),
        _ => Err(TokenError::Email),
    }
}

/// Who a workspace lets in by single sign-on: an email in one of `domains` (none listed:
/// any domain) and, when `group` is set, membership of that group.
pub fn admits(domains: &[String], group: Option<&str>, email: &str, groups: &[String]) -> bool {
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    let domain_ok = domains.is_empty()
        || domains.iter().any(|d| {
            d.trim()
                .trim_start_matches('@')
                .eq_ignore_ascii_case(domain)
        });
    let group_ok = group.is_none_or(|g| groups.iter().any(|have| have == g));
    domain_ok && group_ok
}

#[cfg(test)]
mod tests;
