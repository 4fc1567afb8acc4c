//! Two-factor sign-in on the server: checking a code (TOTP or recovery code) with its
//! rate limit, the signed cookie that carries a person from their password to their code,
//! "remember this device", and the workspace rule that sends members without a second
//! factor to set one up. The codes themselves are `advocate_core::totp`'s.

use crate::auth::{cookie, set_cookie};
use crate::limit::Refused;
use crate::state::AppState;
use advocate_core::{token, totp};
use advocate_store::tenancy::two_factor::TwoFactorState;
use advocate_store::StoreError;
use axum::http::HeaderMap;
use chrono::Utc;
use std::time::Duration;

/// Carries the person between their password and their code.
pub const PENDING_COOKIE: &str = "advocate_2fa";
/// How long the code page waits for the code after the password.
const PENDING_SECS: i64 = 5 * 60;
/// A device on which the person asked not to be asked again.
pub const DEVICE_COOKIE: &str = "advocate_device";
/// How long a remembered device skips the code.
pub const REMEMBER_DAYS: i64 = 30;
/// The enrolment page, the one page a member without a required second factor may open.
pub const SETUP_PATH: &str = "/account/two-factor";

/// What checking a code came to.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// A TOTP code (its step now used) or a recovery code (now used up).
    Accepted,
    Wrong,
    /// Too many wrong codes lately: try again after this long.
    TooMany(Duration),
}

/// Checks `input` as the person's TOTP code (for sign-in: a new step only) or, when it is
/// not six digits, as one of their recovery codes. Wrong codes count against the person's
/// limit; a right one is given back.
pub async fn check_code(
    state: &AppState,
    user_id: i64,
    two_factor: &TwoFactorState,
    input: &str,
) -> Result<CodeCheck, StoreError> {
    let key = format!("user:{user_id}");
    match state.limits.two_factor_codes.check(&key).await {
        Ok(()) => {}
        Err(Refused::TooMany(wait)) => {
            tracing::warn!(user_id, "two-factor code refused: too many wrong codes");
            return Ok(CodeCheck::TooMany(wait));
        }
        Err(Refused::Unavailable(e)) => return Err(e),
    }
    let accepted = if totp::looks_like_code(input) {
        let at = Utc::now().timestamp();
        match totp::verify(&two_factor.secret, input, at, two_factor.last_step) {
            Some(step) => state.store.two_factor().accept_step(user_id, step).await?,
            None => false,
        }
    } else {
        match totp::normalize_recovery_code(input) {
            Some(code) => {
                let used = state
                    .store
                    .two_factor()
                    .use_recovery_code(user_id, &code, Utc::now())
                    .await?;
                if used {
                    tracing::info!(user_id, "recovery code used");
                }
                used
            }
            None => false,
        }
    };
    if accepted {
        state.limits.two_factor_codes.refund(&key).await;
        Ok(CodeCheck::Accepted)
    } else {
        Ok(CodeCheck::Wrong)
    }
}

/// The cookie that lets `user_id` (whose password was right) enter a code.
pub fn pending_set_cookie(state: &AppState, user_id: i64) -> String {
    let expires = Utc::now().timestamp() + PENDING_SECS;
    let value = token::sign(&state.signing_key, &format!("2fa:{user_id}"), expires);
    set_cookie(state, PENDING_COOKIE, &value, PENDING_SECS)
}

pub fn pending_clear_cookie(state: &AppState) -> String {
    set_cookie(state, PENDING_COOKIE, "", 0)
}

/// The person whose password was right a moment ago in this browser.
pub fn pending_user(state: &AppState, headers: &HeaderMap) -> Option<i64> {
    let value = cookie(headers, PENDING_COOKIE)?;
    token::verify(&state.signing_key, value, Utc::now().timestamp())?
        .strip_prefix("2fa:")?
        .parse()
        .ok()
}

/// What a remembered device's cookie says: this person, since this enrolment. Turning
/// two-factor off (or setting it up again) changes the enrolment, which forgets every
/// remembered device.
fn device_payload(user_id: i64, two_factor: &TwoFactorState) -> Option<String> {
    let since = two_factor.confirmed_at?.timestamp();
    Some(format!("device:{user_id}:{since}"))
}

pub fn device_set_cookie(state: &AppState, user_id: i64, two_factor: &TwoFactorState) -> String {
    let secs = REMEMBER_DAYS * 86_400;
    let payload = device_payload(user_id, two_factor).unwrap_or_default();
    let value = token::sign(&state.signing_key, &payload, Utc::now().timestamp() + secs);
    set_cookie(state, DEVICE_COOKIE, &value, secs)
}

/// Whether this browser is one the person asked not to be asked a code on again.
pub fn remembered(
    state: &AppState,
    headers: &HeaderMap,
    user_id: i64,
    two_factor: &TwoFactorState,
) -> bool {
    let (Some(value), Some(expected)) = (
        cookie(headers, DEVICE_COOKIE),
        device_payload(user_id, two_factor),
    ) else {
        return false;
    };
    token::verify(&state.signing_key, value, Utc::now().timestamp())
        .is_some_and(|payload| payload == expected)
}

/// Whether a signed-in member must set up a second factor before `path`: their
/// workspace requires one and they have none. The enrolment pages and signing out stay
/// open.
pub async fn enrolment_needed(
    state: &AppState,
    user_id: i64,
    workspace_id: i64,
    path: &str,
) -> Result<bool, StoreError> {
    if path.starts_with(SETUP_PATH) || path == "/signout" {
        return Ok(false);
    }
    if !state
        .store
        .settings()
        .get(workspace_id)
        .await?
        .require_two_factor
    {
        return Ok(false);
    }
    let two_factor = state.store.two_factor().state(user_id).await?;
    Ok(!two_factor.is_some_and(|t| t.is_on()))
}
