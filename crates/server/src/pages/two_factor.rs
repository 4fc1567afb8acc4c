//! Two-factor sign-in on your account (`/account/two-factor`): set it up (a QR code for
//! the authenticator app, the secret in text too, confirmed by a first code), see the ten
//! recovery codes once, replace them, turn it off. Replacing the codes and turning it off
//! ask for the password or a current code, so a session left open is not enough.

use super::signin::RequireSignIn;
use super::{internal, PageError};
use crate::access::Access::Person;
use crate::auth::{verify_password, SignedIn};
use crate::limit::Refused;
use crate::qr::Matrix;
use crate::ratelimit::retry_after_secs;
use crate::routes::Routes;
use crate::state::AppState;
use crate::two_factor::{check_code, CodeCheck};
use advocate_core::totp;
use advocate_core::Permission::Dashboards;
use advocate_store::tenancy::two_factor::TwoFactorState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .get("/account/two-factor", Person(Dashboards), show)
        .post("/account/two-factor/setup", Person(Dashboards), set_up)
        .post("/account/two-factor/confirm", Person(Dashboards), confirm)
        .post(
            "/account/two-factor/recovery-codes",
            Person(Dashboards),
            replace_codes,
        )
        .post("/account/two-factor/off", Person(Dashboards), turn_off)
}

/// Who the authenticator app says the codes are for.
const ISSUER: &str = "Advocate";

#[derive(Template, WebTemplate)]
#[template(path = "two_factor.html")]
pub struct TwoFactorPage {
    pub workspace: String,
    pub user: String,
    /// The workspace requires a second factor (and this person has none yet).
    pub required: bool,
    pub on: bool,
    /// While set-up waits for its first code: the secret, in text and as a QR code (SVG).
    pub pending_secret: Option<String>,
    pub qr_svg: Option<String>,
    pub otpauth_uri: Option<String>,
    pub recovery_codes_left: i64,
    /// Recovery codes just made, shown this once.
    pub new_codes: Vec<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

async fn page(
    state: &AppState,
    who: &SignedIn,
    notice: Option<String>,
    error: Option<String>,
    new_codes: Vec<String>,
) -> Result<TwoFactorPage, PageError> {
    let two_factor = state
        .store
        .two_factor()
        .state(who.user_id)
        .await
        .map_err(internal)?;
    let settings = state
        .store
        .settings()
        .get(who.workspace_id)
        .await
        .map_err(internal)?;
    let on = two_factor.as_ref().is_some_and(TwoFactorState::is_on);
    let pending = two_factor.as_ref().filter(|t| !t.is_on());
    let uri = pending.map(|t| totp::otpauth_uri(&t.secret, ISSUER, &who.email));
    let qr_svg = match &uri {
        Some(u) => Some(
            Matrix::encode(u)
                .map_err(|_| PageError(StatusCode::INTERNAL_SERVER_ERROR, "No QR code."))?
                .svg()
                // Inline in the page: without the XML declaration of a file.
                .split_once("?>")
                .map_or_else(String::new, |(_, svg)| svg.trim().to_owned()),
        ),
        None => None,
    };
    let recovery_codes_left = two_factor.as_ref().map_or(0, |t| t.recovery_codes_left);
    Ok(TwoFactorPage {
        workspace: super::workspace_of(state, who.workspace_id).await?.name,
        user: who.email.clone(),
        required: settings.require_two_factor && !on,
        on,
        pending_secret: pending.map(|t| spaced(&t.secret)),
        qr_svg,
        otpauth_uri: uri,
        recovery_codes_left,
        new_codes,
        notice,
        error,
    })
}

/// The secret in groups of four, as it is easier to type.
fn spaced(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The page with an outcome: a notice (200) or an error with its status.
async fn respond(
    state: &AppState,
    who: &SignedIn,
    outcome: Result<String, (StatusCode, String)>,
    new_codes: Vec<String>,
) -> Response {
    let (status, notice, error) = match outcome {
        Ok(n) => (StatusCode::OK, Some(n), None),
        Err((s, e)) => (s, None, Some(e)),
    };
    match page(state, who, notice, error, new_codes).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
) -> Result<TwoFactorPage, PageError> {
    page(&state, &who, None, None, Vec::new()).await
}

/// Starts set-up with a new secret (again, if set-up was started before).
pub async fn set_up(State(state): State<AppState>, RequireSignIn(who): RequireSignIn) -> Response {
    let secret = totp::new_secret();
    match state
        .store
        .two_factor()
        .begin(who.user_id, &secret, Utc::now())
        .await
    {
        Ok(()) => Redirect::to("/account/two-factor").into_response(),
        Err(advocate_store::StoreError::Conflict(m)) => {
            respond(&state, &who, Err((StatusCode::CONFLICT, m)), Vec::new()).await
        }
        Err(e) => internal(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// A wrong-code answer, or 429 with `Retry-After` when there were too many.
fn wrong_code(check: CodeCheck, what: &str) -> (StatusCode, String, Option<u64>) {
    match check {
        CodeCheck::TooMany(wait) => {
            let secs = retry_after_secs(wait);
            (
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many wrong codes. Try again in {} minute(s).",
                    secs.div_ceil(60)
                ),
                Some(secs),
            )
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, what.to_owned(), None),
    }
}

async fn refuse(
    state: &AppState,
    who: &SignedIn,
    (status, message, retry): (StatusCode, String, Option<u64>),
) -> Response {
    let mut response = respond(state, who, Err((status, message)), Vec::new()).await;
    if let Some(secs) = retry {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            secs.to_string().parse().expect("digits"),
        );
    }
    response
}

/// Confirms set-up with the first code from the app, and shows the recovery codes once.
pub async fn confirm(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<CodeForm>,
) -> Response {
    let pending = match state.store.two_factor().state(who.user_id).await {
        Ok(Some(t)) if !t.is_on() => t,
        Ok(_) => {
            let m = "There is no set-up waiting for a code; start the set-up first.";
            return respond(
                &state,
                &who,
                Err((StatusCode::CONFLICT, m.into())),
                Vec::new(),
            )
            .await;
        }
        Err(e) => return internal(e).into_response(),
    };
    let key = format!("user:{}", who.user_id);
    match state.limits.two_factor_codes.check(&key).await {
        Ok(()) => {}
        Err(Refused::TooMany(wait)) => {
            return refuse(&state, &who, wrong_code(CodeCheck::TooMany(wait), "")).await;
        }
        Err(Refused::Unavailable(e)) => return internal(e).into_response(),
    }
    let Some(step) = totp::verify(&pending.secret, &f.code, Utc::now().timestamp(), None) else {
        let m = "That code is not right. Enter the six digits your authenticator app shows \
                 now for Advocate (check that the phone's clock is set automatically).";
        return refuse(&state, &who, wrong_code(CodeCheck::Wrong, m)).await;
    };
    state.limits.two_factor_codes.refund(&key).await;
    let codes = totp::new_recovery_codes();
    let stored: Vec<String> = codes
        .iter()
        .filter_map(|c| totp::normalize_recovery_code(c))
        .collect();
    if let Err(e) = state
        .store
        .two_factor()
        .confirm(who.user_id, step, &stored, Utc::now())
        .await
    {
        return internal(e).into_response();
    }
    audit(
        &state,
        &who,
        "two_factor.on",
        "turned two-factor sign-in on",
    )
    .await;
    let done = "Two-factor sign-in is on. Save your recovery codes now: they are shown only \
                this once.";
    respond(&state, &who, Ok(done.into()), codes).await
}

#[derive(Deserialize)]
pub struct ProofForm {
    /// The person's password, or a current code (or a recovery code).
    proof: String,
}

/// Whether the person proved it is them: a right code, else their password. Every try
/// counts against the code limit, so this form cannot be used to guess either.
async fn proven(
    state: &AppState,
    who: &SignedIn,
    two_factor: &TwoFactorState,
    proof: &str,
) -> Result<(), Response> {
    let check = check_code(state, who.user_id, two_factor, proof)
        .await
        .map_err(|e| internal(e).into_response())?;
    match check {
        CodeCheck::Accepted => return Ok(()),
        CodeCheck::TooMany(_) => return Err(refuse(state, who, wrong_code(check, "")).await),
        CodeCheck::Wrong => {}
    }
    let user = match state.store.users().get(who.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return Err(PageError(StatusCode::NOT_FOUND, "No such person.").into_response()),
        Err(e) => return Err(internal(e).into_response()),
    };
    let (password, hash) = (proof.to_owned(), user.password_hash);
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    if ok {
        state
            .limits
            .two_factor_codes
            .refund(&format!("user:{}", who.user_id))
            .await;
        return Ok(());
    }
    let m = "That is neither your password nor a current code; nothing was changed.";
    Err(refuse(state, who, wrong_code(CodeCheck::Wrong, m)).await)
}

/// The person's two-factor state when it is on, else the page saying it is off.
async fn on_state(state: &AppState, who: &SignedIn) -> Result<TwoFactorState, Response> {
    match state.store.two_factor().state(who.user_id).await {
        Ok(Some(t)) if t.is_on() => Ok(t),
        Ok(_) => {
            let m = "Two-factor sign-in is off for your account.";
            Err(respond(
                state,
                who,
                Err((StatusCode::CONFLICT, m.into())),
                Vec::new(),
            )
            .await)
        }
        Err(e) => Err(internal(e).into_response()),
    }
}

/// Replaces the recovery codes (the old ones stop working) and shows the new ones once.
pub async fn replace_codes(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<ProofForm>,
) -> Response {
    let two_factor = match on_state(&state, &who).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Err(refused) = proven(&state, &who, &two_factor, &f.proof).await {
        return refused;
    }
    let codes = totp::new_recovery_codes();
    let stored: Vec<String> = codes
        .iter()
        .filter_map(|c| totp::normalize_recovery_code(c))
        .collect();
    if let Err(e) = state
        .store
        .two_factor()
        .replace_recovery_codes(who.user_id, &stored, Utc::now())
        .await
    {
        return internal(e).into_response();
    }
    audit(
        &state,
        &who,
        "two_factor.recovery_codes",
        "replaced the recovery codes",
    )
    .await;
    let done = "New recovery codes: the old ones no longer work. Save these now.";
    respond(&state, &who, Ok(done.into()), codes).await
}

/// Turns two-factor sign-in off: the secret, the recovery codes and every remembered
/// device are forgotten.
pub async fn turn_off(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<ProofForm>,
) -> Response {
    let two_factor = match on_state(&state, &who).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Err(refused) = proven(&state, &who, &two_factor, &f.proof).await {
        return refused;
    }
    if let Err(e) = state.store.two_factor().remove(who.user_id).await {
        return internal(e).into_response();
    }
    audit(
        &state,
        &who,
        "two_factor.off",
        "turned two-factor sign-in off",
    )
    .await;
    respond(
        &state,
        &who,
        Ok("Two-factor sign-in is off.".into()),
        Vec::new(),
    )
    .await
}

async fn audit(state: &AppState, who: &SignedIn, action: &str, detail: &str) {
    if let Err(e) = state
        .store
        .audit()
        .record_person(
            who.user_id,
            Some(who.workspace_id),
            &who.actor(),
            action,
            detail,
        )
        .await
    {
        tracing::error!(error = %e, "could not write the audit log");
    }
}
