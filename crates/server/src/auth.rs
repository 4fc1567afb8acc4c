//! Who is asking: API callers by bearer key, people by signed session cookie.

use crate::error::ApiError;
use crate::state::AppState;
use advocate_core::token;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use chrono::Utc;

pub const SESSION_COOKIE: &str = "advocate_session";

/// An API request authenticated by `Authorization: Bearer <api key>`.
#[derive(Debug, Clone, Copy)]
pub struct ApiCaller {
    pub workspace_id: i64,
    pub key_id: i64,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("missing header Authorization: Bearer <api key>")
        })?;
        let key = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("Authorization header must be: Bearer <api key>")
            })?;
        let key = state
            .store
            .authenticate_api_key(key)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the API key is not valid"))?;
        Ok(Self {
            workspace_id: key.workspace_id,
            key_id: key.id,
        })
    }
}

/// A signed-in person, from the session cookie. Pages turn its absence into a redirect
/// to the sign-in page (see `pages`).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: i64,
    pub workspace_id: i64,
    pub email: String,
}

impl SignedIn {
    /// The session in the request's cookie, if it is valid, unexpired and its user exists.
    pub async fn from_parts(parts: &Parts, state: &AppState) -> Option<Self> {
        let cookie = session_cookie(parts)?;
        let payload = token::verify(&state.signing_key, cookie, Utc::now().timestamp())?;
        let user_id = payload.strip_prefix("session:")?.parse().ok()?;
        let user = state.store.user(user_id).await.ok()??;
        Some(Self {
            user_id,
            workspace_id: user.workspace_id,
            email: user.email,
        })
    }
}

fn session_cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

/// The `Set-Cookie` value that signs `user_id` in.
pub fn session_set_cookie(state: &AppState, user_id: i64) -> String {
    let hours = state.config.session_hours;
    let expires = Utc::now().timestamp() + hours * 3600;
    let value = token::sign(&state.signing_key, &format!("session:{user_id}"), expires);
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        hours * 3600,
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

/// The `Set-Cookie` value that signs out.
pub fn session_clear_cookie(state: &AppState) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}
