//! Sign-in, sign-out, and the wall in front of everything that needs it.

use super::return_path::return_path;
use super::views::SigninPage;
use super::{same_origin, PageError};
use crate::auth::{
    session_clear_cookie, session_cookie, session_limits, session_set_cookie, verify_password,
    SignedIn,
};
use crate::limit::Refused;
use crate::ratelimit::{retry_after_secs, ClientKey};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;
use std::sync::LazyLock;

/// A signed-in person; without a valid session the request is sent to the sign-in page.
pub struct RequireSignIn(pub SignedIn);

impl FromRequestParts<AppState> for RequireSignIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        // The access middleware has checked the session and the role already.
        match parts.extensions.get::<SignedIn>() {
            Some(s) => Ok(Self(s.clone())),
            None => {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let to = format!("/signin?next={}", super::views::encode(next));
                Err(Redirect::to(&to).into_response())
            }
        }
    }
}

#[derive(Deserialize)]
pub struct NextParam {
    pub(super) next: Option<String>,
}

#[derive(Deserialize)]
pub struct SigninForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn form(Query(q): Query<NextParam>) -> SigninPage {
    SigninPage {
        next: return_path(q.next.as_deref()),
        ..Default::default()
    }
}

/// A hash of a password nobody has, verified for unknown emails so that a wrong email
/// takes as long as a wrong password (no account discovery by timing).
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| crate::auth::hash_password("no such user"));

pub async fn submit(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    headers: HeaderMap,
    Form(f): Form<SigninForm>,
) -> Response {
    if let Err(refused) = same_origin(&headers) {
        return refused.into_response();
    }
    let next = return_path(f.next.as_deref());
    // Brute force: every attempt is charged to the client and to the email tried (known or
    // not, so a lock reveals nothing), and given back when it succeeds.
    let limits = &state.limits;
    let email_key = f.email.trim().to_lowercase();
    if let Err(refused) = limits.sign_in_clients.check(&client).await {
        return too_many(
            refused,
            "Too many failed sign-ins for this email or from your network.",
            f.email,
            next,
        );
    }
    if let Err(refused) = limits.sign_in_emails.check(&email_key).await {
        limits.sign_in_clients.refund(&client).await;
        return too_many(
            refused,
            "Too many failed sign-ins for this email or from your network.",
            f.email,
            next,
        );
    }
    let user = match state.store.users().by_email(&f.email).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "sign-in lookup failed");
            return PageError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in is unavailable; try again shortly.",
            )
            .into_response();
        }
    };
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str())
        .to_owned();
    let password = f.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let user = user.filter(|_| ok);
    if let Some(user) = &user {
        // A workspace that signs in through its provider only: the right password does
        // not open a session (the system admin's CLI still can reset things).
        match state.store.sso().password_refused(user.id).await {
            Ok(false) => {}
            Ok(true) => {
                limits.sign_in_clients.refund(&client).await;
                limits.sign_in_emails.refund(&email_key).await;
                tracing::info!(
                    user_id = user.id,
                    "password sign-in refused: single sign-on only"
                );
                let page = SigninPage {
                    error: Some(
                        "Your workspace signs in with single sign-on only: use \"Sign in with \
                         single sign-on\" below with your workspace's name."
                            .into(),
                    ),
                    email: f.email,
                    next,
                };
                return (StatusCode::FORBIDDEN, page).into_response();
            }
            Err(e) => return super::internal(e).into_response(),
        }
        // The password was right: a person with a second factor enters a code next
        // (unless this browser is one they asked to remember).
        match super::signin_code::second_step(&state, &headers, user.id, &next).await {
            Ok(None) => {}
            Ok(Some(to_code_page)) => {
                limits.sign_in_clients.refund(&client).await;
                limits.sign_in_emails.refund(&email_key).await;
                return to_code_page;
            }
            Err(e) => return super::internal(e).into_response(),
        }
    }
    match user {
        Some(user) => match start_session(&state, &user).await {
            Ok(Some(secret)) => {
                limits.sign_in_clients.refund(&client).await;
                limits.sign_in_emails.refund(&email_key).await;
                tracing::info!(user_id = user.id, "signed in");
                (
                    [(header::SET_COOKIE, session_set_cookie(&state, &secret))],
                    Redirect::to(&next),
                )
                    .into_response()
            }
            Ok(None) => PageError(
                StatusCode::FORBIDDEN,
                "Your account is not a member of any workspace any more. Ask an admin to invite you.",
            )
            .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "starting a session failed");
                PageError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sign-in is unavailable; try again shortly.",
                )
                .into_response()
            }
        },
        None => {
            let page = SigninPage {
                error: Some("Wrong email or password.".into()),
                email: f.email,
                next,
            };
            (StatusCode::UNAUTHORIZED, page).into_response()
        }
    }
}

/// A session in the person's home workspace if they are still in it, else in the first
/// workspace they belong to; `None` when they belong to none. Every workspace of the
/// person sees the sign-in in its audit log (one of them is where it happened).
pub(super) async fn start_session(
    state: &AppState,
    user: &advocate_store::models::User,
) -> advocate_store::Result<Option<String>> {
    start_session_in(state, user, user.workspace_id).await
}

/// A session in `prefer` if the person is a member there, else as [`start_session`].
pub(super) async fn start_session_in(
    state: &AppState,
    user: &advocate_store::models::User,
    prefer: i64,
) -> advocate_store::Result<Option<String>> {
    let memberships = state.store.accounts().memberships(user.id).await?;
    let workspace = memberships
        .iter()
        .find(|m| m.workspace_id == prefer)
        .or_else(|| {
            memberships
                .iter()
                .find(|m| m.workspace_id == user.workspace_id)
        })
        .or(memberships.first());
    let Some(workspace) = workspace else {
        return Ok(None);
    };
    let secret = state
        .store
        .accounts()
        .create_session(
            user.id,
            workspace.workspace_id,
            session_limits(state),
            Utc::now(),
        )
        .await?;
    state
        .store
        .audit()
        .record_person(
            user.id,
            Some(workspace.workspace_id),
            &format!("user:{}", user.email),
            "session.signed_in",
            "signed in",
        )
        .await?;
    Ok(Some(secret))
}

/// 429 with `Retry-After`: the sign-in page saying when to try again.
/// The sign-in page saying `what` was refused and when to try again (`429`), or `503` when
/// the limit could not be checked.
pub(super) fn too_many(refused: Refused, what: &str, email: String, next: String) -> Response {
    let wait = match refused {
        Refused::TooMany(wait) => wait,
        Refused::Unavailable(e) => return super::internal(e).into_response(),
    };
    let secs = retry_after_secs(wait);
    let when = if secs < 60 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", secs.div_ceil(60))
    };
    tracing::warn!("sign-in refused: too many attempts");
    let page = SigninPage {
        error: Some(format!("{what} Try again in {when}.")),
        email,
        next,
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, secs.to_string())],
        page,
    )
        .into_response()
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    // The access middleware has checked the origin and the CSRF token.
    if let Some(secret) = session_cookie(&headers) {
        if let Err(e) = state.store.accounts().end_session(secret).await {
            tracing::error!(error = %e, "ending a session failed");
        }
    }
    (
        [(header::SET_COOKIE, session_clear_cookie(&state))],
        Redirect::to("/signin"),
    )
        .into_response()
}
