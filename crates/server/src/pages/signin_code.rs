//! The second step of signing in for a person with two-factor sign-in: after their
//! password, a code from their authenticator app or one of their recovery codes
//! (`/signin/code`). Between the two steps a short-lived signed cookie says whose
//! password was right; only a right code starts the session.

use super::return_path::return_path;
use super::signin::{start_session, NextParam};
use super::{internal, same_origin, PageError};
use crate::auth::session_set_cookie;
use crate::ratelimit::retry_after_secs;
use crate::state::AppState;
use crate::two_factor::{self as tf, CodeCheck};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// The code form; posts `code`, `remember` and `next` to `/signin/code`.
#[derive(Debug, Clone, Default, Template, WebTemplate)]
#[template(path = "signin_code.html")]
pub struct SigninCodePage {
    pub error: Option<String>,
    pub next: String,
    pub remember_days: i64,
}

impl SigninCodePage {
    fn new(next: String, error: Option<String>) -> Self {
        Self {
            error,
            next,
            remember_days: tf::REMEMBER_DAYS,
        }
    }
}

/// After a right password: the way to the code page when the person has two-factor
/// sign-in on and this browser is not remembered; `None` when the session may start now.
pub(super) async fn second_step(
    state: &AppState,
    headers: &HeaderMap,
    user_id: i64,
    next: &str,
) -> advocate_store::Result<Option<Response>> {
    let Some(two_factor) = state.store.two_factor().state(user_id).await? else {
        return Ok(None);
    };
    if !two_factor.is_on() || tf::remembered(state, headers, user_id, &two_factor) {
        return Ok(None);
    }
    let to = format!("/signin/code?next={}", super::views::encode(next));
    Ok(Some(
        (
            [(header::SET_COOKIE, tf::pending_set_cookie(state, user_id))],
            Redirect::to(&to),
        )
            .into_response(),
    ))
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Response {
    let next = return_path(q.next.as_deref());
    if tf::pending_user(&state, &headers).is_none() {
        return back_to_signin(&next);
    }
    SigninCodePage::new(next, None).into_response()
}

/// Sign-in again: the cookie from the password step is missing or expired.
fn back_to_signin(next: &str) -> Response {
    Redirect::to(&format!("/signin?next={}", super::views::encode(next))).into_response()
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    remember: Option<String>,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Response {
    if let Err(refused) = same_origin(&headers) {
        return refused.into_response();
    }
    let next = return_path(f.next.as_deref());
    let Some(user_id) = tf::pending_user(&state, &headers) else {
        return back_to_signin(&next);
    };
    let found = async {
        let user = state.store.users().get(user_id).await?;
        let two_factor = state.store.two_factor().state(user_id).await?;
        Ok::<_, advocate_store::StoreError>(user.zip(two_factor.filter(|t| t.is_on())))
    };
    let (user, two_factor) = match found.await {
        Ok(Some(found)) => found,
        // Two-factor was turned off (or the person removed) since the password: start over.
        Ok(None) => return back_to_signin(&next),
        Err(e) => return internal(e).into_response(),
    };
    let refused = |status: StatusCode, message: String| {
        (status, SigninCodePage::new(next.clone(), Some(message))).into_response()
    };
    match tf::check_code(&state, user_id, &two_factor, &f.code).await {
        Ok(CodeCheck::Accepted) => {}
        Ok(CodeCheck::Wrong) => {
            tracing::info!(user_id, "wrong two-factor code");
            return refused(
                StatusCode::UNAUTHORIZED,
                "That code is not right (or was used already). Enter the current code from \
                 your authenticator app, or one of your recovery codes."
                    .into(),
            );
        }
        Ok(CodeCheck::TooMany(wait)) => {
            let secs = retry_after_secs(wait);
            let mut response = refused(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many wrong codes. Try again in {} minute(s).",
                    secs.div_ceil(60)
                ),
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                secs.to_string().parse().expect("digits"),
            );
            return response;
        }
        Err(e) => return internal(e).into_response(),
    }
    match start_session(&state, &user).await {
        Ok(Some(secret)) => {
            tracing::info!(user_id, "signed in with a second factor");
            let mut cookies = vec![
                (header::SET_COOKIE, session_set_cookie(&state, &secret)),
                (header::SET_COOKIE, tf::pending_clear_cookie(&state)),
            ];
            if f.remember.is_some() {
                cookies.push((
                    header::SET_COOKIE,
                    tf::device_set_cookie(&state, user_id, &two_factor),
                ));
            }
            (AppendHeaders(cookies), Redirect::to(&next)).into_response()
        }
        Ok(None) => PageError(
            StatusCode::FORBIDDEN,
            "Your account is not a member of any workspace any more. Ask an admin to invite you.",
        )
        .into_response(),
        Err(e) => internal(e).into_response(),
    }
}
