//! The signed tokens in invitation links. Each names what it grants and is signed with
//! the installation's key, so it can be neither guessed nor altered; the expiry is signed
//! with it.

use advocate_core::token;
use chrono::{DateTime, Duration, Utc};

/// Unsubscribe links keep working for years: an old email must still let people out.
const UNSUBSCRIBE_YEARS: i64 = 10;

/// The token of an invitation's links (`/i/{token}`), valid until the invitation expires.
pub fn invitation_token(key: &[u8], invitation_id: i64, expires_at: DateTime<Utc>) -> String {
    token::sign(key, &format!("inv:{invitation_id}"), expires_at.timestamp())
}

/// The invitation a token names, if the token is genuine and unexpired at `now`.
pub fn invitation_of_token(key: &[u8], tok: &str, now: DateTime<Utc>) -> Option<i64> {
    named(key, tok, now, "inv:")
}

/// The token of a customer's one-click unsubscribe link (`/u/{token}`).
pub fn unsubscribe_token(key: &[u8], customer_id: i64, now: DateTime<Utc>) -> String {
    let expires = now + Duration::days(365 * UNSUBSCRIBE_YEARS);
    token::sign(key, &format!("unsub:{customer_id}"), expires.timestamp())
}

pub fn unsubscribed_customer_of_token(key: &[u8], tok: &str, now: DateTime<Utc>) -> Option<i64> {
    named(key, tok, now, "unsub:")
}

/// The token of a member's one-click digest unsubscribe link
/// (`/digest/unsubscribe/{token}`): it names the person and the workspace.
pub fn digest_unsubscribe_token(
    key: &[u8],
    user_id: i64,
    workspace_id: i64,
    now: DateTime<Utc>,
) -> String {
    let expires = now + Duration::days(365 * UNSUBSCRIBE_YEARS);
    token::sign(
        key,
        &format!("digest:{user_id}:{workspace_id}"),
        expires.timestamp(),
    )
}

/// The (user, workspace) a digest unsubscribe token names, if genuine and unexpired.
pub fn digest_membership_of_token(key: &[u8], tok: &str, now: DateTime<Utc>) -> Option<(i64, i64)> {
    let payload = token::verify(key, tok, now.timestamp())?;
    let (user, workspace) = payload.strip_prefix("digest:")?.split_once(':')?;
    Some((user.parse().ok()?, workspace.parse().ok()?))
}

/// The token in an SMS provider's delivery-status callback URL for an invitation.
pub fn sms_status_token(key: &[u8], invitation_id: i64, expires_at: DateTime<Utc>) -> String {
    token::sign(key, &format!("sms:{invitation_id}"), expires_at.timestamp())
}

pub fn invitation_of_sms_status_token(key: &[u8], tok: &str, now: DateTime<Utc>) -> Option<i64> {
    named(key, tok, now, "sms:")
}

fn named(key: &[u8], tok: &str, now: DateTime<Utc>, prefix: &str) -> Option<i64> {
    token::verify(key, tok, now.timestamp())?
        .strip_prefix(prefix)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_only_what_they_grant() {
        let now = Utc::now();
        let inv = invitation_token(b"k", 42, now + Duration::days(1));
        assert_eq!(invitation_of_token(b"k", &inv, now), Some(42));
        assert_eq!(
            invitation_of_token(b"k", &inv, now + Duration::days(2)),
            None
        );
        assert_eq!(invitation_of_token(b"other", &inv, now), None);
        // An unsubscribe token is not an invitation token, and the other way round.
        let unsub = unsubscribe_token(b"k", 42, now);
        assert_eq!(invitation_of_token(b"k", &unsub, now), None);
        assert_eq!(unsubscribed_customer_of_token(b"k", &inv, now), None);
        assert_eq!(unsubscribed_customer_of_token(b"k", &unsub, now), Some(42));
        assert_eq!(
            unsubscribed_customer_of_token(b"k", &unsub, now + Duration::days(3000)),
            Some(42)
        );
        // A digest token names a membership and is no other kind of token.
        let digest = digest_unsubscribe_token(b"k", 7, 42, now);
        assert_eq!(
            digest_membership_of_token(b"k", &digest, now),
            Some((7, 42))
        );
        assert_eq!(digest_membership_of_token(b"other", &digest, now), None);
        assert_eq!(digest_membership_of_token(b"k", &unsub, now), None);
        assert_eq!(unsubscribed_customer_of_token(b"k", &digest, now), None);
    }
}
