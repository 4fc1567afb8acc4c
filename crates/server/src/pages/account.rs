//! Your account (`/account`): your workspaces, the language and time zone of the emails
//! Advocate sends you, your digest in this workspace and your password; and the public
//! page behind a digest's one-click unsubscribe link (`/digest/unsubscribe/{token}`).

use super::signin::RequireSignIn;
use super::{internal, PageError};
use crate::access::Access::{Person, Public};
use crate::auth::{session_cookie, SignedIn};
use crate::error::ApiError;
use crate::ratelimit::ClientKey;
use crate::routes::Routes;
use crate::state::AppState;
use crate::team::PasswordChange;
use advocate_core::staff::{self, DigestFrequency};
use advocate_core::Permission::Dashboards;
use advocate_core::{Role, Scope};
use advocate_store::digests::{digest_membership_of_token, DigestSettings};
use advocate_store::tenancy::accounts::Membership;
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .get("/account", Person(Dashboards), show)
        .post("/account/preferences", Person(Dashboards), save_preferences)
        .post("/account/digest", Person(Dashboards), save_digest)
        .post("/account/password", Person(Dashboards), change_password)
        .post("/account/api-keys", Person(Dashboards), create_key)
        .post(
            "/account/api-keys/{id}/revoke",
            Person(Dashboards),
            revoke_key,
        )
        // Reached from a digest (and its List-Unsubscribe header), without signing in.
        .get("/digest/unsubscribe/{token}", Public, unsubscribe_page)
        .post("/digest/unsubscribe/{token}", Public, unsubscribe)
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub workspace: String,
    pub user: String,
    pub role: Role,
    pub current: i64,
    pub memberships: Vec<Membership>,
    pub languages: &'static [(&'static str, &'static str)],
    pub language: String,
    pub time_zone: String,
    pub frequencies: [&'static str; 3],
    pub digest: &'static str,
    pub digest_hour: u8,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The person's own alert subscriptions (none for viewers, who cannot have any).
    pub alerts: Vec<super::alerts::AlertRow>,
    /// The "Add an alert" form's survey picker.
    pub alert_surveys: Vec<super::alerts::SurveyChoice>,
    pub can_alert: bool,
    /// Why the alert just sent was not added.
    pub alert_error: Option<String>,
    /// The person's own API keys in this workspace.
    pub keys: Vec<advocate_store::models::ApiKey>,
    /// A key just created, shown this once.
    pub new_secret: Option<String>,
    /// Why the password was not changed, shown next to its form.
    pub password_error: Option<String>,
    /// Whether sign-in asks this person for a code.
    pub two_factor_on: bool,
}

/// The account page of `who`, with a form's outcome: a notice, an error, or why an alert
/// was not added.
pub(super) async fn account_page(
    state: &AppState,
    who: &SignedIn,
    notice: Option<String>,
    error: Option<String>,
    alert_error: Option<String>,
) -> Result<AccountPage, PageError> {
    let can_alert = who.role.grants(advocate_core::Permission::ReadCases);
    let (alerts, surveys) = match can_alert {
        true => super::alerts::rows(state, who.workspace_id, who.user_id).await?,
        false => Default::default(),
    };
    let memberships = state
        .store
        .accounts()
        .memberships(who.user_id)
        .await
        .map_err(internal)?;
    let preferences = state
        .store
        .users()
        .preferences(who.user_id)
        .await
        .map_err(internal)?;
    let digest = state
        .store
        .digests()
        .settings(who.user_id, who.workspace_id)
        .await
        .map_err(internal)?;
    let keys = state
        .store
        .api_keys()
        .list_personal(who.workspace_id, who.user_id)
        .await
        .map_err(internal)?;
    let two_factor_on = state
        .store
        .two_factor()
        .state(who.user_id)
        .await
        .map_err(internal)?
        .is_some_and(|t| t.is_on());
    Ok(AccountPage {
        two_factor_on,
        workspace: super::workspace_of(state, who.workspace_id).await?.name,
        user: who.email.clone(),
        role: who.role,
        current: who.workspace_id,
        memberships,
        languages: &staff::LANGUAGE_NAMES,
        language: preferences.language,
        time_zone: preferences.time_zone,
        frequencies: DigestFrequency::ALL.map(DigestFrequency::as_str),
        digest: digest.frequency.as_str(),
        digest_hour: digest.hour,
        notice,
        error,
        alerts,
        alert_surveys: super::alerts::survey_choices(&surveys),
        can_alert,
        alert_error,
        keys,
        new_secret: None,
        password_error: None,
    })
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
) -> Result<AccountPage, PageError> {
    account_page(&state, &who, None, None, None).await
}

/// The account page again with the outcome of a form: a notice, or the error with 422.
async fn after(state: &AppState, who: &SignedIn, outcome: Result<String, ApiError>) -> Response {
    let (status, notice, error) = match outcome {
        Ok(n) => (StatusCode::OK, Some(n), None),
        Err(e) if e.status.is_server_error() => return PageError::api(e).into_response(),
        Err(e) => (e.status, None, Some(e.detail)),
    };
    match account_page(state, who, notice, error, None).await {
        Ok(page) => (status, page).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    language: String,
    time_zone: String,
}

pub async fn save_preferences(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<PreferencesForm>,
) -> Response {
    let outcome = async {
        state
            .store
            .users()
            .set_preferences(who.user_id, Some(&f.language), Some(&f.time_zone))
            .await?;
        Ok("Saved: Advocate writes to you in this language and time zone.".to_owned())
    }
    .await;
    after(&state, &who, outcome).await
}

#[derive(Deserialize)]
pub struct DigestForm {
    digest: String,
    hour: String,
}

/// A digest form or body: how often, and the hour 0–23.
pub fn digest_settings(digest: &str, hour: i64) -> Result<DigestSettings, ApiError> {
    Ok(DigestSettings {
        frequency: DigestFrequency::parse(digest).map_err(ApiError::unprocessable)?,
        hour: staff::check_digest_hour(hour).map_err(ApiError::unprocessable)?,
    })
}

pub async fn save_digest(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<DigestForm>,
) -> Response {
    let outcome = async {
        let hour = f.hour.trim().parse::<i64>().map_err(|_| {
            ApiError::unprocessable(format!("hour must be 0 to 23; got {:?}", f.hour))
        })?;
        let settings = digest_settings(&f.digest, hour)?;
        state
            .store
            .digests()
            .set(who.user_id, who.workspace_id, settings)
            .await?;
        Ok(match settings.frequency {
            DigestFrequency::Off => "Your digest is off.".to_owned(),
            f => format!(
                "Your {f} digest comes at {:02}:00 in your time zone.",
                settings.hour
            ),
        })
    }
    .await;
    after(&state, &who, outcome).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    repeat_password: String,
}

/// Changes the person's own password; this session stays signed in, every other ends.
pub async fn change_password(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    ClientKey(client): ClientKey,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    // The access middleware has checked the session, the origin and the CSRF token.
    let session = session_cookie(&headers).unwrap_or_default();
    let change = PasswordChange {
        current: &f.current_password,
        new: &f.new_password,
        repeat: &f.repeat_password,
    };
    let outcome = crate::team::change_password(&state, &who, session, &client, &change).await;
    let error = match outcome {
        Ok(()) => {
            let done = "Password changed. Every other place you were signed in is signed out.";
            return after(&state, &who, Ok(done.to_owned())).await;
        }
        Err(e) if e.status.is_server_error() => return PageError::api(e).into_response(),
        Err(e) => e,
    };
    match account_page(&state, &who, None, None, None).await {
        Ok(mut page) => {
            page.password_error = Some(error.detail);
            let retry_after = error
                .retry_after
                .map(|s| [(header::RETRY_AFTER, s.to_string())]);
            (error.status, retry_after, page).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct KeyForm {
    name: String,
    #[serde(default)]
    read: Option<String>,
    #[serde(default)]
    ingest: Option<String>,
    #[serde(default)]
    admin: Option<String>,
}

/// Creates a personal API key and shows its secret once.
pub async fn create_key(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<KeyForm>,
) -> Response {
    let scopes: Vec<Scope> = [
        (&f.read, Scope::Read),
        (&f.ingest, Scope::Ingest),
        (&f.admin, Scope::Admin),
    ]
    .into_iter()
    .filter(|(ticked, _)| ticked.is_some())
    .map(|(_, scope)| scope)
    .collect();
    let created = async {
        if scopes.is_empty() {
            return Err(ApiError::unprocessable(
                "tick at least one of read, ingest or admin",
            ));
        }
        let (key, secret) = state
            .store
            .api_keys()
            .create_personal(who.workspace_id, who.user_id, &f.name, &scopes)
            .await?;
        crate::api::accounts::audit_key(
            &state,
            who.workspace_id,
            &who.actor(),
            "api_key.created",
            &key,
        )
        .await?;
        Ok(secret)
    }
    .await;
    match created {
        Ok(secret) => match account_page(
            &state,
            &who,
            Some(format!(
                "Key “{}” created. Copy it now: it is shown only this once.",
                f.name.trim()
            )),
            None,
            None,
        )
        .await
        {
            Ok(mut page) => {
                page.new_secret = Some(secret);
                (StatusCode::CREATED, page).into_response()
            }
            Err(e) => e.into_response(),
        },
        Err(e) => after(&state, &who, Err(e)).await,
    }
}

/// Revokes one of the person's own keys; anyone else's is not found.
pub async fn revoke_key(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let id: i64 = id
            .parse()
            .map_err(|_| ApiError::not_found(format!("no API key {id:?}")))?;
        let key = state
            .store
            .api_keys()
            .revoke_personal(who.workspace_id, who.user_id, id)
            .await?;
        crate::api::accounts::audit_key(
            &state,
            who.workspace_id,
            &who.actor(),
            "api_key.revoked",
            &key,
        )
        .await?;
        Ok(format!("Key “{}” revoked: it works no more.", key.name))
    }
    .await;
    after(&state, &who, outcome).await
}

/// The small public page behind a digest's unsubscribe link.
#[derive(Template, WebTemplate)]
#[template(path = "digest_unsubscribe.html")]
pub struct UnsubscribePage {
    /// The page's words in the person's language.
    pub words: advocate_core::messages::staff::UnsubscribeWords,
    /// The form that turns the digest off; `None` once it is off.
    pub action: Option<String>,
    pub done: bool,
}

impl UnsubscribePage {
    /// The page for a membership, in its person's language.
    async fn of(
        state: &AppState,
        user_id: i64,
        workspace: &str,
        email: &str,
        action: Option<String>,
    ) -> Result<Self, PageError> {
        let preferences = state
            .store
            .users()
            .preferences(user_id)
            .await
            .map_err(internal)?;
        let lang = advocate_core::Language::new(&preferences.language)
            .unwrap_or_else(|_| advocate_core::Language::english());
        Ok(Self {
            words: advocate_core::messages::staff::unsubscribe_words(&lang, workspace, email),
            done: action.is_none(),
            action,
        })
    }
}

const BAD_LINK: &str = "This unsubscribe link is not valid.";

/// The membership a token names, with its workspace's name and the person's address:
/// a forged or expired token, or a membership that is gone, is not found.
async fn membership_of(
    state: &AppState,
    token: &str,
) -> Result<(i64, i64, String, String), PageError> {
    let (user_id, workspace_id) = digest_membership_of_token(&state.signing_key, token, Utc::now())
        .ok_or(PageError(StatusCode::NOT_FOUND, BAD_LINK))?;
    let role = state
        .store
        .accounts()
        .role_of(user_id, workspace_id)
        .await
        .map_err(internal)?;
    let user = state.store.users().get(user_id).await.map_err(internal)?;
    let workspace = state
        .store
        .workspaces()
        .get(workspace_id)
        .await
        .map_err(internal)?;
    match (role, user, workspace) {
        (Some(_), Some(user), Some(ws)) => Ok((user_id, workspace_id, ws.name, user.email)),
        _ => Err(PageError(StatusCode::NOT_FOUND, BAD_LINK)),
    }
}

/// Shows what the link would do, with a button: opening a link (as mail scanners do)
/// changes nothing.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<UnsubscribePage, PageError> {
    let (user_id, workspace_id, workspace, email) = membership_of(&state, &token).await?;
    let settings = state
        .store
        .digests()
        .settings(user_id, workspace_id)
        .await
        .map_err(internal)?;
    let on = settings.frequency != DigestFrequency::Off;
    let action = on.then(|| format!("/digest/unsubscribe/{token}"));
    UnsubscribePage::of(&state, user_id, &workspace, &email, action).await
}

/// Turns the digest off: the page's button, and the one-click POST of RFC 8058 that
/// mail clients send from the List-Unsubscribe header. Repeating it is harmless.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<UnsubscribePage, PageError> {
    let (user_id, workspace_id, workspace, email) = membership_of(&state, &token).await?;
    match state
        .store
        .digests()
        .unsubscribe(user_id, workspace_id)
        .await
    {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => return Err(PageError(StatusCode::NOT_FOUND, BAD_LINK)),
        Err(e) => return Err(internal(e)),
    }
    UnsubscribePage::of(&state, user_id, &workspace, &email, None).await
}
