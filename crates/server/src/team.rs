//! People joining a workspace, changing roles, leaving it, resetting and changing their
//! password: the rules both the API and the pages follow, the emails that carry the
//! one-time links (secret: only their recipient reads them), and the audit lines every
//! workspace of the person gets.

use crate::error::ApiError;
use crate::state::AppState;
use advocate_core::Role;
use advocate_store::delivery::outbox::EmailMessage;
use advocate_store::tenancy::accounts::{TokenPurpose, UserToken};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// How long an invitation to join a workspace can be accepted.
pub const INVITATION_DAYS: i64 = 7;
/// How long a password-reset link works.
pub const RESET_MINUTES: i64 = 60;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// The audit log's actor for what anyone can do without signing in (asking for a reset).
pub const PUBLIC_ACTOR: &str = "public";

/// What inviting someone did: the same whether or not the address already has an
/// account (in this or another workspace), so inviting reveals no accounts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum InviteOutcome {
    /// An email with a link to join was queued; they are a member once they accept it.
    Invited {
        email: String,
        role: crate::api::values::Role,
        expires_at: DateTime<Utc>,
    },
}

/// A new random secret for a link.
fn secret() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 43)
}

/// A plausible email address (see `looks_like_email`), lower-cased.
pub fn check_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    if email.len() <= 254 && advocate_core::customer::looks_like_email(&email) {
        Ok(email)
    } else {
        Err(ApiError::unprocessable(format!(
            "email must be an email address; got {email:?}"
        )))
    }
}

pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::unprocessable(format!(
            "a password needs at least {MIN_PASSWORD} characters"
        )));
    }
    Ok(())
}

/// The language of a staff email: the inviter's choice (checked: one Advocate speaks),
/// else the workspace's.
pub fn check_staff_language(
    chosen: Option<&str>,
    workspace_language: &advocate_core::Language,
) -> Result<advocate_core::Language, ApiError> {
    let tag = match chosen.map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) => advocate_core::staff::check_language(l).map_err(ApiError::unprocessable)?,
        None => advocate_core::staff::check_language(workspace_language.as_str()).unwrap_or("en"),
    };
    Ok(advocate_core::Language::new(tag).expect("supported languages are valid tags"))
}

/// Emails a link to join the workspace. Someone who already has an account accepts it
/// with their password (nobody joins a workspace without saying so, and no admin learns
/// who has an account elsewhere) and reads it in their own language; a newcomer chooses
/// a password and reads it in `language` (the inviter's choice, default the workspace's).
/// A current member is a conflict: the members list shows them already.
pub async fn invite(
    state: &AppState,
    workspace_id: i64,
    email: &str,
    role: Role,
    language: Option<&str>,
    actor: &str,
) -> Result<InviteOutcome, ApiError> {
    let email = check_email(email)?;
    let account = state.store.users().by_email(&email).await?;
    if let Some(user) = &account {
        if state
            .store
            .accounts()
            .role_of(user.id, workspace_id)
            .await?
            .is_some()
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("{email} is already a member; change their role instead"),
            ));
        }
    }
    let workspace = state
        .store
        .workspaces()
        .get(workspace_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such workspace"))?;
    let mut lang = check_staff_language(language, &workspace.default_language)?;
    if let Some(user) = &account {
        lang = staff_language(state, user.id, lang).await?;
    }
    let expires_at = Utc::now() + Duration::days(INVITATION_DAYS);
    let secret = secret();
    let link = format!("{}/invite/{secret}", state.store.public_url());
    let content = advocate_core::messages::staff::team_invitation(
        &lang,
        &advocate_core::messages::staff::TeamInvitation {
            inviter: actor.trim_start_matches("user:"),
            workspace: &workspace.name,
            role,
            has_account: account.is_some(),
            days: INVITATION_DAYS,
            link: &link,
        },
    );
    let mail = EmailMessage {
        from: state.store.accounts().email_sender(workspace_id).await?,
        to: email.clone(),
        subject: content.subject,
        text: content.text,
        html: content.html,
        ..Default::default()
    };
    let token = UserToken {
        email: email.clone(),
        workspace_id: Some(workspace_id),
        role: Some(role),
        created_by: Some(actor.to_owned()),
        expires_at,
    };
    state
        .store
        .accounts()
        .issue_user_token(
            TokenPurpose::Invitation,
            &secret,
            &token,
            Some((workspace_id, &mail)),
            Utc::now(),
        )
        .await?;
    state
        .store
        .audit()
        .record(
            workspace_id,
            actor,
            "member.invited",
            &email,
            &format!("role {role}"),
        )
        .await?;
    Ok(InviteOutcome::Invited {
        email,
        role: role.into(),
        expires_at,
    })
}

/// Changes a member's role, in the audit log of every workspace they belong to.
pub async fn change_role(
    state: &AppState,
    workspace_id: i64,
    user_id: i64,
    role: Role,
    actor: &str,
) -> Result<(), ApiError> {
    state
        .store
        .accounts()
        .set_role(workspace_id, user_id, role)
        .await?;
    state
        .store
        .audit()
        .record_person(
            user_id,
            Some(workspace_id),
            actor,
            "role.changed",
            &format!("role {role}"),
        )
        .await?;
    Ok(())
}

/// Removes a member (ending their sessions here), in the audit log of this workspace and
/// of every other they belong to.
pub async fn remove_member(
    state: &AppState,
    workspace_id: i64,
    user_id: i64,
    actor: &str,
) -> Result<(), ApiError> {
    state
        .store
        .accounts()
        .remove_member(workspace_id, user_id)
        .await?;
    state
        .store
        .audit()
        .record_person(user_id, Some(workspace_id), actor, "member.removed", "")
        .await?;
    Ok(())
}

/// Emails a password-reset link when the address belongs to someone; says nothing either
/// way, so the form reveals no accounts.
pub async fn request_password_reset(state: &AppState, email: &str) -> Result<(), ApiError> {
    let Ok(email) = check_email(email) else {
        return Ok(());
    };
    let Some(user) = state.store.users().by_email(&email).await? else {
        return Ok(());
    };
    let secret = secret();
    let link = format!("{}/password-reset/{secret}", state.store.public_url());
    let lang = staff_language(state, user.id, advocate_core::Language::english()).await?;
    let content =
        advocate_core::messages::staff::password_reset(&lang, &user.email, RESET_MINUTES, &link);
    let mail = EmailMessage {
        from: state
            .store
            .accounts()
            .email_sender(user.workspace_id)
            .await?,
        to: user.email.clone(),
        subject: content.subject,
        text: content.text,
        html: content.html,
        ..Default::default()
    };
    let token = UserToken {
        email: user.email.clone(),
        workspace_id: None,
        role: None,
        created_by: None,
        expires_at: Utc::now() + Duration::minutes(RESET_MINUTES),
    };
    state
        .store
        .accounts()
        .issue_user_token(
            TokenPurpose::PasswordReset,
            &secret,
            &token,
            Some((user.workspace_id, &mail)),
            Utc::now(),
        )
        .await?;
    state
        .store
        .audit()
        .record_person(
            user.id,
            None,
            PUBLIC_ACTOR,
            "password.reset_requested",
            "a reset link was emailed to them",
        )
        .await?;
    Ok(())
}

/// Whom an invitation is for, as its page greets them: someone with an account confirms
/// with their password, a newcomer chooses one. Shown only to whoever holds the link.
pub struct InvitationFor {
    pub email: String,
    pub role: Role,
    pub has_account: bool,
}

/// The invitation behind a link, if it is unused and unexpired.
pub async fn invitation_for(
    state: &AppState,
    secret: &str,
) -> Result<Option<InvitationFor>, ApiError> {
    let Some(token) = state
        .store
        .accounts()
        .user_token(TokenPurpose::Invitation, secret, Utc::now())
        .await?
    else {
        return Ok(None);
    };
    let has_account = state.store.users().by_email(&token.email).await?.is_some();
    Ok(Some(InvitationFor {
        email: token.email,
        role: token.role.unwrap_or(Role::Viewer),
        has_account,
    }))
}

/// Uses an invitation: someone with an account proves it with their current password
/// (a wrong one leaves the link usable), a newcomer's account is created with
/// `password`. Returns the user id and workspace to start a session in.
pub async fn accept_invitation(
    state: &AppState,
    secret: &str,
    password: &str,
) -> Result<(i64, i64), ApiError> {
    let gone = || ApiError::not_found("this invitation is unknown, used or expired");
    let token = state
        .store
        .accounts()
        .user_token(TokenPurpose::Invitation, secret, Utc::now())
        .await?
        .ok_or_else(gone)?;
    let (Some(workspace_id), Some(role)) = (token.workspace_id, token.role) else {
        return Err(ApiError::internal(
            "an invitation without workspace or role",
        ));
    };
    let account = state.store.users().by_email(&token.email).await?;
    match &account {
        Some(user) if !verify(password, &user.password_hash).await => {
            return Err(ApiError::unprocessable(format!(
                "that is not the password of {}; forgot it? Reset it from the sign-in page, \
                 then open this link again",
                token.email
            )));
        }
        Some(_) => {}
        None => check_password(password)?,
    }
    state
        .store
        .accounts()
        .redeem_user_token(TokenPurpose::Invitation, secret, Utc::now())
        .await?
        .ok_or_else(gone)?;
    let user_id = match account {
        Some(user) => {
            state
                .store
                .accounts()
                .add_member(workspace_id, user.id, role)
                .await?;
            user.id
        }
        None => {
            let hash = hash(password).await;
            state
                .store
                .users()
                .create_member(workspace_id, &token.email, &hash, role)
                .await?
                .id
        }
    };
    state
        .store
        .audit()
        .record_person(
            user_id,
            Some(workspace_id),
            &format!("user:{}", token.email),
            "member.joined",
            &format!("role {role}"),
        )
        .await?;
    Ok((user_id, workspace_id))
}

/// Uses a reset link: sets the new password and signs the person out everywhere.
pub async fn reset_password(
    state: &AppState,
    secret: &str,
    password: &str,
) -> Result<(), ApiError> {
    check_password(password)?;
    let token = state
        .store
        .accounts()
        .redeem_user_token(TokenPurpose::PasswordReset, secret, Utc::now())
        .await?
        .ok_or_else(|| ApiError::not_found("this reset link is unknown, used or expired"))?;
    let user = state
        .store
        .users()
        .by_email(&token.email)
        .await?
        .ok_or_else(|| ApiError::not_found("this account no longer exists"))?;
    let hash = hash(password).await;
    state
        .store
        .users()
        .set_password_hash(user.id, &hash)
        .await?;
    state.store.accounts().end_sessions_of(user.id).await?;
    state
        .store
        .audit()
        .record_person(
            user.id,
            None,
            &format!("user:{}", user.email),
            "password.reset",
            "signed out everywhere",
        )
        .await?;
    Ok(())
}

/// What the "Change password" form sends.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub repeat: &'a str,
}

/// A signed-in person changes their own password: the new one by the rule of every
/// password, and the current one proved — each wrong guess charged to the same limits
/// as a failed sign-in (per client and per email), so the form is no way round them.
/// Signs out every other session (`session` stays), emails them about it in their
/// language, and logs it in every workspace of theirs.
pub async fn change_password(
    state: &AppState,
    who: &crate::auth::SignedIn,
    session: &str,
    client: &str,
    change: &PasswordChange<'_>,
) -> Result<(), ApiError> {
    check_password(change.new)?;
    if change.new != change.repeat {
        return Err(ApiError::unprocessable(
            "the new password and its repeat differ; type the same one twice",
        ));
    }
    if change.new == change.current {
        return Err(ApiError::unprocessable(
            "the new password is the current one; choose another",
        ));
    }
    let limits = &state.limits;
    let email_key = who.email.to_lowercase();
    let refused = |r: crate::limit::Refused| {
        r.with_detail("too many wrong passwords for this account or from your network")
    };
    limits
        .sign_in_clients
        .check(client)
        .await
        .map_err(refused)?;
    if let Err(r) = limits.sign_in_emails.check(&email_key).await {
        limits.sign_in_clients.refund(client).await;
        return Err(refused(r));
    }
    let user = state
        .store
        .users()
        .get(who.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("this account no longer exists"))?;
    if !verify(change.current, &user.password_hash).await {
        return Err(ApiError::unprocessable(
            "that is not your current password; forgot it? Sign out and use \
             “Forgot your password?”",
        ));
    }
    limits.sign_in_clients.refund(client).await;
    limits.sign_in_emails.refund(&email_key).await;
    let lang = staff_language(state, user.id, advocate_core::Language::english()).await?;
    let content = advocate_core::messages::staff::password_changed(&lang, &user.email);
    let notice = EmailMessage {
        from: state
            .store
            .accounts()
            .email_sender(who.workspace_id)
            .await?,
        to: user.email.clone(),
        subject: content.subject,
        text: content.text,
        html: content.html,
        ..Default::default()
    };
    let hash = hash(change.new).await;
    let ended = state
        .store
        .accounts()
        .change_password(user.id, &hash, session, who.workspace_id, &notice)
        .await?;
    state
        .store
        .audit()
        .record_person(
            user.id,
            Some(who.workspace_id),
            &who.actor(),
            "password.changed",
            &format!("password changed; other sessions signed out: {ended}"),
        )
        .await?;
    Ok(())
}

/// The language a person chose for Advocate's emails (`fallback` if it is not one
/// Advocate speaks).
async fn staff_language(
    state: &AppState,
    user_id: i64,
    fallback: advocate_core::Language,
) -> Result<advocate_core::Language, ApiError> {
    let preferences = state.store.users().preferences(user_id).await?;
    Ok(advocate_core::Language::new(&preferences.language).unwrap_or(fallback))
}

/// argon2 is slow on purpose; keep it off the async threads.
async fn hash(password: &str) -> String {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .expect("hashing does not panic")
}

async fn verify(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || crate::auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}
