use super::*;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::json;

fn key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(include_str!("test_key.pem")).unwrap()
}

fn jwks(key: &RsaPrivateKey, kid: &str) -> Jwks {
    let public = key.to_public_key();
    serde_json::from_value(json!({"keys": [{
        "kty": "RSA", "kid": kid, "use": "sig",
        "n": B64.encode(public.n().to_bytes_be()),
        "e": B64.encode(public.e().to_bytes_be()),
    }]}))
    .unwrap()
}

fn sign(key: &RsaPrivateKey, header: serde_json::Value, claims: serde_json::Value) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let digest = Sha256::digest(input.as_bytes());
    let sig = key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest).unwrap();
    format!("{input}.{}", B64.encode(sig))
}

const NOW: i64 = 1_800_000_000;

fn claims() -> serde_json::Value {
    json!({"iss": "http://127.0.0.1:9400", "sub": "s1", "aud": "advocate",
           "exp": NOW + 300, "iat": NOW, "nonce": "n1", "email": "Ann@Example.com",
           "email_verified": true, "groups": ["staff"]})
}

fn expected() -> Expected<'static> {
    Expected {
        issuer: "http://127.0.0.1:9400/",
        client_id: "advocate",
        nonce: "n1",
        now: NOW,
    }
}

fn check(c: serde_json::Value) -> Result<String, TokenError> {
    check_claims(&serde_json::from_value(c).unwrap(), &expected())
}

#[test]
fn pkce_challenge_matches_rfc_7636_appendix_b() {
    assert_eq!(
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn random_tokens_are_43_url_safe_characters_and_differ() {
    let (a, b) = (random_token(), random_token());
    assert_eq!(a.len(), 43);
    assert!(a
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    assert_ne!(a, b);
}

#[test]
fn a_token_signed_by_the_providers_key_verifies() {
    let k = key();
    let token = sign(&k, json!({"alg": "RS256", "kid": "k1"}), claims());
    let c = verify_signature(&token, &jwks(&k, "k1")).unwrap();
    assert_eq!(c.sub, "s1");
    assert_eq!(check_claims(&c, &expected()).unwrap(), "ann@example.com");
    assert_eq!(c.group_names(), vec!["staff".to_owned()]);
}

#[test]
fn an_altered_payload_or_signature_is_refused() {
    let k = key();
    let keys = jwks(&k, "k1");
    let token = sign(&k, json!({"alg": "RS256", "kid": "k1"}), claims());
    let (input, sig) = token.rsplit_once('.').unwrap();
    let (h, _) = input.split_once('.').unwrap();
    let mut forged = claims();
    forged["email"] = json!("mallory@example.com");
    let swapped = format!("{h}.{}.{sig}", B64.encode(forged.to_string()));
    assert_eq!(
        verify_signature(&swapped, &keys).unwrap_err(),
        TokenError::Signature
    );
    let mut bytes = B64.decode(sig).unwrap();
    bytes[10] ^= 1;
    let flipped = format!("{input}.{}", B64.encode(bytes));
    assert_eq!(
        verify_signature(&flipped, &keys).unwrap_err(),
        TokenError::Signature
    );
}

#[test]
fn none_and_hmac_algorithms_unknown_keys_and_garbage_are_refused() {
    let k = key();
    let keys = jwks(&k, "k1");
    let unsigned = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none"}).to_string()),
        B64.encode(claims().to_string())
    );
    assert_eq!(
        verify_signature(&unsigned, &keys).unwrap_err(),
        TokenError::Algorithm("none".into())
    );
    let hs = sign(&k, json!({"alg": "HS256", "kid": "k1"}), claims());
    assert!(matches!(
        verify_signature(&hs, &keys),
        Err(TokenError::Algorithm(_))
    ));
    let other_kid = sign(&k, json!({"alg": "RS256", "kid": "k2"}), claims());
    assert_eq!(
        verify_signature(&other_kid, &keys).unwrap_err(),
        TokenError::UnknownKey
    );
    assert_eq!(
        verify_signature("a.b", &keys).unwrap_err(),
        TokenError::Malformed
    );
}

#[test]
fn issuer_audience_and_azp_are_checked() {
    let mut c = claims();
    c["iss"] = json!("http://127.0.0.1:9401");
    assert!(matches!(check(c), Err(TokenError::Issuer(_))));
    let mut c = claims();
    c["aud"] = json!("someone-else");
    assert_eq!(check(c).unwrap_err(), TokenError::Audience);
    let mut c = claims();
    c["aud"] = json!(["someone-else", "advocate"]);
    assert_eq!(
        check(c.clone()).unwrap_err(),
        TokenError::Audience,
        "no azp"
    );
    c["azp"] = json!("advocate");
    assert!(check(c).is_ok());
    let mut c = claims();
    c["azp"] = json!("someone-else");
    assert_eq!(check(c).unwrap_err(), TokenError::Audience);
}

#[test]
fn expiry_and_issue_time_allow_a_minute_of_skew() {
    let mut c = claims();
    c["exp"] = json!(NOW - CLOCK_SKEW_SECS + 1);
    assert!(check(c.clone()).is_ok());
    c["exp"] = json!(NOW - CLOCK_SKEW_SECS);
    assert_eq!(check(c).unwrap_err(), TokenError::Expired);
    let mut c = claims();
    c["iat"] = json!(NOW + CLOCK_SKEW_SECS + 1);
    assert_eq!(check(c).unwrap_err(), TokenError::NotYetValid);
}

#[test]
fn nonce_and_verified_email_are_required() {
    let mut c = claims();
    c["nonce"] = json!("other");
    assert_eq!(check(c).unwrap_err(), TokenError::Nonce);
    let mut c = claims();
    c.as_object_mut().unwrap().remove("nonce");
    assert_eq!(check(c).unwrap_err(), TokenError::Nonce);
    let mut c = claims();
    c["email_verified"] = json!(false);
    assert_eq!(check(c).unwrap_err(), TokenError::Email);
    let mut c = claims();
    c.as_object_mut().unwrap().remove("email");
    assert_eq!(check(c).unwrap_err(), TokenError::Email);
}

#[test]
fn the_workspace_rule_checks_domain_and_group() {
    let domains = vec!["example.com".to_owned(), "@corp.example".to_owned()];
    let staff = vec!["staff".to_owned()];
    assert!(admits(&domains, None, "ann@example.com", &[]));
    assert!(admits(&domains, None, "bo@CORP.example", &[]));
    assert!(!admits(&domains, None, "eve@example.com.evil", &[]));
    assert!(!admits(&domains, None, "eve@sub.example.com", &[]));
    assert!(admits(&[], None, "anyone@anywhere.test", &[]));
    assert!(admits(&domains, Some("staff"), "ann@example.com", &staff));
    assert!(!admits(&domains, Some("admins"), "ann@example.com", &staff));
    assert!(!admits(&[], Some("staff"), "ann@example.com", &[]));
}
