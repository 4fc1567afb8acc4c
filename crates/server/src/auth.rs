//! Who is asking: API callers by bearer key, people by a server-side session whose
//! random secret is the cookie.

use crate::error::ApiError;
use crate::state::AppState;
use advocate_core::{Role, Scope};
use advocate_store::tenancy::accounts::SessionLimits;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use chrono::{Duration, Utc};

pub const SESSION_COOKIE: &str = "advocate_session";

/// An API request authenticated by `Authorization: Bearer <api key>`; the [`access`]
/// middleware puts it in the request after checking the key's scopes.
///
/// [`access`]: crate::access
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub workspace_id: i64,
    pub key_id: i64,
    /// The key's visible prefix, which names it in the audit log.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    /// The person a personal key speaks for; `None` for a workspace key.
    pub person: Option<KeyPerson>,
}

/// The member behind a personal API key, with their role now.
#[derive(Debug, Clone)]
pub struct KeyPerson {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
}

impl ApiCaller {
    /// How the audit log names this caller: the person for a personal key.
    pub fn actor(&self) -> String {
        match &self.person {
            Some(p) => format!("user:{}", p.email),
            None => format!("key:{}", self.prefix),
        }
    }

    /// The address an agent's personal key is held to: only the cases assigned to them
    /// and the customers they manage. `None`: the key sees the whole workspace.
    pub fn only_own(&self) -> Option<&str> {
        self.person
            .as_ref()
            .filter(|p| p.role.sees_only_own())
            .map(|p| p.email.as_str())
    }
}

/// The token of an `Authorization: Bearer <token>` header; `None` when malformed or empty.
pub fn bearer_token(header: &HeaderValue) -> Option<&str> {
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// The key behind the request's `Authorization` header.
pub async fn authenticate_key(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<ApiCaller, ApiError> {
    let header = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing header Authorization: Bearer <api key>"))?;
    let key = bearer_token(header)
        .ok_or_else(|| ApiError::unauthorized("Authorization header must be: Bearer <api key>"))?;
    let key = state
        .store
        .api_keys()
        .authenticate(key)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the API key is not valid (unknown or revoked)"))?;
    // The store authenticates a personal key only while its person is a member.
    let person = key.owner.and_then(|o| {
        Some(KeyPerson {
            user_id: o.user_id,
            email: o.email,
            role: o.role?,
        })
    });
    Ok(ApiCaller {
        workspace_id: key.workspace_id,
        key_id: key.id,
        prefix: key.prefix,
        scopes: key.scopes,
        person,
    })
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or_else(|| ApiError::internal("an API handler ran without the access middleware"))
    }
}

/// A signed-in person, from the session cookie, with their role in the session's
/// workspace. The [`access`] middleware puts it in the request; pages take it with
/// [`RequireSignIn`](crate::pages::RequireSignIn).
///
/// [`access`]: crate::access
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub role: Role,
    /// Every state-changing form must send this back.
    pub csrf_token: String,
}

impl SignedIn {
    /// The session in the request's cookie, if it is live and its person still a member.
    pub async fn from_headers(headers: &HeaderMap, state: &AppState) -> Option<Self> {
        let secret = session_cookie(headers)?;
        let session = state
            .store
            .accounts()
            .session(secret, session_limits(state), Utc::now())
            .await
            .inspect_err(|e| tracing::error!(error = %e, "session lookup failed"))
            .ok()??;
        Some(Self {
            user_id: session.user_id,
            workspace_id: session.workspace_id,
            email: session.email,
            role: session.role,
            csrf_token: session.csrf_token,
        })
    }

    /// How the audit log names this person.
    pub fn actor(&self) -> String {
        format!("user:{}", self.email)
    }

    /// Whether this person sees only their own customers and cases (agents).
    pub fn sees_only_own(&self) -> bool {
        self.role.sees_only_own()
    }
}

/// How long sessions live, from the configuration.
pub fn session_limits(state: &AppState) -> SessionLimits {
    SessionLimits {
        absolute: Duration::hours(state.config.session_hours),
        idle: Duration::minutes(state.config.session_idle_minutes),
    }
}

/// The session secret in the request's cookie.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}

/// The value of the request's cookie `name`.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

/// A `Set-Cookie` value for a cookie of this site, living `max_age_secs` (0 deletes it).
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        secure(state)
    )
}

/// The `Set-Cookie` value that carries a new session's secret.
pub fn session_set_cookie(state: &AppState, secret: &str) -> String {
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        state.config.session_hours * 3600,
        secure(state)
    )
}

/// The `Set-Cookie` value that signs out.
pub fn session_clear_cookie(state: &AppState) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(state)
    )
}

fn secure(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    }
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
