//! People and keys: the team page (`/team`: members, roles, invitations, API keys), the
//! audit log (`/audit`), the workspace switcher (your account page is `account.rs`), and the public
//! pages behind emailed links (`/invite/{token}`, `/password-reset`).

use super::signin::RequireSignIn;
use super::{internal, PageError};
use crate::access::Access::{Person, Public};
use crate::auth::{session_cookie, session_limits, session_set_cookie};
use crate::error::ApiError;
use crate::limit::Refused;
use crate::ratelimit::ClientKey;
use crate::ratelimit::TooManyRequests;
use crate::routes::Routes;
use crate::state::AppState;
use crate::team::{self, MIN_PASSWORD};
use advocate_core::Permission::{Administer, Dashboards};
use advocate_core::{Role, Scope};
use advocate_store::tenancy::accounts::{Member, TokenPurpose};
use advocate_store::tenancy::audit::AuditEntry;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .get("/team", Person(Administer), show)
        .post("/team/invitations", Person(Administer), invite)
        .post("/team/{user_id}/role", Person(Administer), change_role)
        .post("/team/{user_id}/remove", Person(Administer), remove)
        .post("/team/api-keys", Person(Administer), create_key)
        .post("/team/api-keys/{id}/rotate", Person(Administer), rotate_key)
        .post("/team/api-keys/{id}/revoke", Person(Administer), revoke_key)
        .get("/audit", Person(Administer), audit)
        .post("/workspace", Person(Dashboards), switch_workspace)
        // Reached from an emailed link, before anyone is signed in.
        .get("/invite/{token}", Public, invitation)
        .post("/invite/{token}", Public, accept)
        .get("/password-reset", Public, reset_request)
        .post("/password-reset", Public, send_reset)
        .get("/password-reset/{token}", Public, reset_form)
        .post("/password-reset/{token}", Public, reset)
}

/// An API key as a row of the team page.
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created: String,
    pub last_used: String,
    /// Empty while the key works.
    pub revoked: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team.html")]
pub struct TeamPage {
    pub workspace: String,
    pub user: String,
    pub members: Vec<Member>,
    pub roles: Vec<&'static str>,
    pub keys: Vec<KeyRow>,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// A key just made, shown once.
    pub new_key: Option<String>,
    /// Languages an invitation can be written in, and the workspace's (the default).
    pub languages: &'static [(&'static str, &'static str)],
    pub workspace_language: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub workspace: String,
    pub user: String,
    pub entries: Vec<AuditEntry>,
    pub older: Option<i64>,
}

/// The small public forms behind emailed links.
#[derive(Template, WebTemplate, Default)]
#[template(path = "password_form.html")]
pub struct PasswordForm {
    pub title: String,
    pub message: Option<String>,
    pub error: Option<String>,
    pub show_form: bool,
    pub ask_email: bool,
    pub action: String,
    pub button: String,
    pub min_password: usize,
    /// Asks for the password the person has (accepting an invitation), not a new one.
    pub current_password: bool,
}

async fn team_page(
    state: &AppState,
    who: &crate::auth::SignedIn,
    notice: Option<String>,
    error: Option<String>,
    new_key: Option<String>,
) -> Result<TeamPage, PageError> {
    let members = state
        .store
        .accounts()
        .members(who.workspace_id)
        .await
        .map_err(internal)?;
    let keys = state
        .store
        .api_keys()
        .list(who.workspace_id)
        .await
        .map_err(internal)?;
    let date = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let workspace = super::workspace_of(state, who.workspace_id).await?;
    Ok(TeamPage {
        languages: &advocate_core::staff::LANGUAGE_NAMES,
        workspace_language: workspace.default_language.as_str().to_owned(),
        workspace: workspace.name,
        user: who.email.clone(),
        members,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        keys: keys
            .into_iter()
            .map(|k| KeyRow {
                id: k.id,
                scopes: advocate_core::access::format_scopes(&k.scopes),
                name: k.name,
                prefix: k.prefix,
                created: date(k.created_at),
                last_used: k.last_used_at.map(date).unwrap_or_else(|| "never".into()),
                revoked: k.revoked_at.map(date).unwrap_or_default(),
            })
            .collect(),
        notice,
        error,
        new_key,
    })
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
) -> Result<TeamPage, PageError> {
    team_page(&state, &who, None, None, None).await
}

/// The team page again with the outcome of a form: a notice, or the error with 422.
async fn after(
    state: &AppState,
    who: &crate::auth::SignedIn,
    outcome: Result<String, ApiError>,
) -> Response {
    let (status, notice, error) = match outcome {
        Ok(n) => (StatusCode::OK, Some(n), None),
        Err(e) if e.status.is_server_error() => return PageError::api(e).into_response(),
        Err(e) => (e.status, None, Some(e.detail)),
    };
    match team_page(state, who, notice, error, None).await {
        Ok(page) => (status, page).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    role: String,
    /// Empty: the workspace's language.
    #[serde(default)]
    language: Option<String>,
}

pub async fn invite(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<InviteForm>,
) -> Response {
    let outcome = async {
        let role = Role::parse(&f.role).map_err(|e| ApiError::unprocessable(e.0))?;
        let team::InviteOutcome::Invited { email, .. } = team::invite(
            &state,
            who.workspace_id,
            &f.email,
            role,
            f.language.as_deref(),
            &who.actor(),
        )
        .await?;
        Ok(format!(
            "An invitation was sent to {email}; they are a member once they accept it."
        ))
    }
    .await;
    after(&state, &who, outcome).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(user_id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> Response {
    let outcome = async {
        let role = Role::parse(&f.role).map_err(|e| ApiError::unprocessable(e.0))?;
        team::change_role(&state, who.workspace_id, user_id, role, &who.actor()).await?;
        Ok(format!("Role changed to {role}."))
    }
    .await;
    after(&state, &who, outcome).await
}

pub async fn remove(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(user_id): Path<i64>,
) -> Response {
    let outcome = async {
        team::remove_member(&state, who.workspace_id, user_id, &who.actor()).await?;
        Ok("Removed from the workspace; their sessions here have ended.".to_owned())
    }
    .await;
    after(&state, &who, outcome).await
}

#[derive(Deserialize)]
pub struct KeyForm {
    name: String,
    ingest: Option<String>,
    read: Option<String>,
    admin: Option<String>,
}

pub async fn create_key(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<KeyForm>,
) -> Response {
    let scopes: Vec<Scope> = [
        (f.ingest.is_some(), Scope::Ingest),
        (f.read.is_some(), Scope::Read),
        (f.admin.is_some(), Scope::Admin),
    ]
    .into_iter()
    .filter_map(|(on, s)| on.then_some(s))
    .collect();
    let made = state
        .store
        .api_keys()
        .create_scoped(who.workspace_id, &f.name, &scopes)
        .await;
    key_made(&state, &who, made, "api_key.created").await
}

pub async fn rotate_key(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<i64>,
) -> Response {
    let made = state.store.api_keys().rotate(who.workspace_id, id).await;
    key_made(&state, &who, made, "api_key.rotated").await
}

/// Shows a key just made (once) and records it in the audit log.
async fn key_made(
    state: &AppState,
    who: &crate::auth::SignedIn,
    made: advocate_store::Result<(advocate_store::models::ApiKey, String)>,
    action: &str,
) -> Response {
    let (key, secret) = match made {
        Ok(made) => made,
        Err(e) => return after(state, who, Err(e.into())).await,
    };
    let scopes = advocate_core::access::format_scopes(&key.scopes);
    let target = format!("key {} ({})", key.prefix, key.name);
    if let Err(e) = state
        .store
        .audit()
        .record(
            who.workspace_id,
            &who.actor(),
            action,
            &target,
            &format!("scopes {scopes}"),
        )
        .await
    {
        return internal(e).into_response();
    }
    match team_page(state, who, None, None, Some(secret)).await {
        Ok(page) => (StatusCode::CREATED, page).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn revoke_key(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<i64>,
) -> Response {
    let outcome = async {
        let key = state.store.api_keys().revoke(who.workspace_id, id).await?;
        let target = format!("key {} ({})", key.prefix, key.name);
        state
            .store
            .audit()
            .record(
                who.workspace_id,
                &who.actor(),
                "api_key.revoked",
                &target,
                "",
            )
            .await?;
        Ok(format!(
            "Key {} revoked; it stops working at once.",
            key.prefix
        ))
    }
    .await;
    after(&state, &who, outcome).await
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

const AUDIT_PAGE: u32 = 100;

pub async fn audit(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, PageError> {
    let entries = state
        .store
        .audit()
        .log(who.workspace_id, AUDIT_PAGE, q.before)
        .await
        .map_err(internal)?;
    let older = (entries.len() == AUDIT_PAGE as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(AuditPage {
        workspace: super::workspace_of(&state, who.workspace_id).await?.name,
        user: who.email,
        entries,
        older,
    })
}

#[derive(Deserialize)]
pub struct SwitchForm {
    workspace: i64,
}

/// Moves the session to another workspace of the person, in the audit log of each of
/// their workspaces (an entry into a workspace is never unseen there).
pub async fn switch_workspace(
    State(state): State<AppState>,
    headers: HeaderMap,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<SwitchForm>,
) -> Response {
    let Some(secret) = session_cookie(&headers) else {
        return Redirect::to("/signin").into_response();
    };
    let switched = match state
        .store
        .accounts()
        .switch_workspace(secret, f.workspace)
        .await
    {
        Ok(()) => {
            state
                .store
                .audit()
                .record_person(
                    who.user_id,
                    Some(f.workspace),
                    &who.actor(),
                    "session.switched",
                    "switched into this workspace",
                )
                .await
        }
        Err(e) => Err(e),
    };
    match switched {
        Ok(()) => Redirect::to("/dashboard").into_response(),
        Err(advocate_store::StoreError::NotFound(_)) => PageError(
            StatusCode::NOT_FOUND,
            "You are not a member of that workspace.",
        )
        .into_response(),
        Err(e) => internal(e).into_response(),
    }
}

fn password_form(title: &str, action: String, button: &str) -> PasswordForm {
    PasswordForm {
        title: title.into(),
        show_form: true,
        action,
        button: button.into(),
        min_password: MIN_PASSWORD,
        ..Default::default()
    }
}

/// A link that is unknown, used or expired.
fn dead_link(title: &str, what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        PasswordForm {
            title: title.into(),
            error: Some(format!("This {what} is unknown, used or expired.")),
            ..Default::default()
        },
    )
        .into_response()
}

/// The form behind an invitation link: a newcomer chooses a password, someone with an
/// account confirms with theirs (the page is for whoever holds the link: its recipient).
fn invitation_form(token: &str, invited: &team::InvitationFor) -> PasswordForm {
    let mut form = password_form("Join the team", format!("/invite/{token}"), "Join");
    form.message = Some(if invited.has_account {
        format!(
            "Enter the password of your Advocate account {} to join as {}.",
            invited.email, invited.role
        )
    } else {
        format!(
            "Choose a password for {} to join as {}.",
            invited.email, invited.role
        )
    });
    form.current_password = invited.has_account;
    form
}

pub async fn invitation(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match team::invitation_for(&state, &token).await {
        Ok(Some(invited)) => invitation_form(&token, &invited).into_response(),
        Ok(None) => dead_link("Join the team", "invitation"),
        Err(e) => PageError::api(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct PasswordFormData {
    password: String,
}

pub async fn accept(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
    Form(f): Form<PasswordFormData>,
) -> Response {
    match team::accept_invitation(&state, &token, &f.password).await {
        Ok((user_id, workspace_id)) => {
            // Someone who already has two-factor sign-in enters a code before a session.
            match super::signin_code::second_step(&state, &headers, user_id, "/dashboard").await {
                Ok(None) => {}
                Ok(Some(to_code_page)) => return to_code_page,
                Err(e) => return internal(e).into_response(),
            }
            match state
                .store
                .accounts()
                .create_session(user_id, workspace_id, session_limits(&state), Utc::now())
                .await
            {
                Ok(secret) => (
                    [(header::SET_COOKIE, session_set_cookie(&state, &secret))],
                    Redirect::to("/dashboard"),
                )
                    .into_response(),
                Err(e) => internal(e).into_response(),
            }
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => dead_link("Join the team", "invitation"),
        Err(e) if e.status.is_client_error() => match team::invitation_for(&state, &token).await {
            Ok(Some(invited)) => {
                let mut form = invitation_form(&token, &invited);
                form.error = Some(e.detail);
                (StatusCode::UNPROCESSABLE_ENTITY, form).into_response()
            }
            Ok(None) => dead_link("Join the team", "invitation"),
            Err(e) => PageError::api(e).into_response(),
        },
        Err(e) => PageError::api(e).into_response(),
    }
}

pub async fn reset_request() -> PasswordForm {
    let mut form = password_form(
        "Reset your password",
        "/password-reset".into(),
        "Email me a link",
    );
    form.ask_email = true;
    form
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

pub async fn send_reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientKey(client): ClientKey,
    Form(f): Form<EmailForm>,
) -> Response {
    if let Err(refused) = super::same_origin(&headers) {
        return refused.into_response();
    }
    // Per client and per address: nobody can flood an inbox with reset emails.
    let email_key = format!("email:{}", f.email.trim().to_lowercase());
    for key in [&client, &email_key] {
        match state.limits.password_reset.check(key).await {
            Ok(()) => {}
            Err(Refused::TooMany(wait)) => return TooManyRequests(wait).into_response(),
            Err(Refused::Unavailable(e)) => return super::internal(e).into_response(),
        }
    }
    if let Err(e) = team::request_password_reset(&state, &f.email).await {
        return PageError::api(e).into_response();
    }
    PasswordForm {
        title: "Reset your password".into(),
        message: Some(
            "If that address has an account, an email with a link is on its way. The link works for an hour."
                .into(),
        ),
        ..Default::default()
    }
    .into_response()
}

pub async fn reset_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state
        .store
        .accounts()
        .user_token(TokenPurpose::PasswordReset, &token, Utc::now())
        .await
    {
        Ok(Some(_)) => password_form(
            "Choose a new password",
            format!("/password-reset/{token}"),
            "Save password",
        )
        .into_response(),
        Ok(None) => dead_link("Choose a new password", "reset link"),
        Err(e) => internal(e).into_response(),
    }
}

pub async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(f): Form<PasswordFormData>,
) -> Response {
    match team::reset_password(&state, &token, &f.password).await {
        Ok(()) => Redirect::to("/signin").into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            dead_link("Choose a new password", "reset link")
        }
        Err(e) if e.status.is_client_error() => {
            let mut form = password_form(
                "Choose a new password",
                format!("/password-reset/{token}"),
                "Save password",
            );
            form.error = Some(e.detail);
            (StatusCode::UNPROCESSABLE_ENTITY, form).into_response()
        }
        Err(e) => PageError::api(e).into_response(),
    }
}
