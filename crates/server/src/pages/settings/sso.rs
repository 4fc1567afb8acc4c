//! Single sign-on in the app (`/settings/sso`): the provider (issuer, client id, secret),
//! who may sign in (email domains, a group), the role of people who join by signing in,
//! whether password sign-in stays on, and turning it off. Saved by the same code as
//! `PUT /api/v1/sso`, with the same checks and audit entries; the secret is write-only
//! (its last four characters are shown) and an empty secret field keeps the saved one.

use crate::api::sso::{configure, turn_off, SsoBody};
use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::pages::signin::RequireSignIn;
use crate::pages::views::encode;
use crate::pages::{internal, workspace_of, PageError};
use crate::state::AppState;
use advocate_core::Role;
use advocate_store::tenancy::sso::SsoConfig;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// The form as typed (shown again on a refusal).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SsoForm {
    pub issuer: String,
    pub client_id: String,
    /// Empty keeps the saved secret.
    pub client_secret: String,
    /// One domain per line (commas work too).
    pub allowed_domains: String,
    pub required_group: String,
    pub default_role: String,
    /// A checkbox: sent only when ticked.
    pub password_sign_in: Option<String>,
}

impl SsoForm {
    fn of(c: &SsoConfig) -> Self {
        Self {
            issuer: c.issuer.clone(),
            client_id: c.client_id.clone(),
            client_secret: String::new(),
            allowed_domains: c.allowed_domains.join("\n"),
            required_group: c.required_group.clone().unwrap_or_default(),
            default_role: c.default_role.as_str().to_owned(),
            password_sign_in: c.password_sign_in.then(|| "1".into()),
        }
    }

    fn body(&self) -> Result<SsoBody, String> {
        let role = Role::parse(self.default_role.trim())
            .map_err(|_| format!("default_role: {:?} is not a role", self.default_role))?;
        Ok(SsoBody {
            issuer: self.issuer.trim().to_owned(),
            client_id: self.client_id.trim().to_owned(),
            client_secret: Some(self.client_secret.trim().to_owned()).filter(|s| !s.is_empty()),
            allowed_domains: self
                .allowed_domains
                .split([',', '\n'])
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
            required_group: Some(self.required_group.trim().to_owned()).filter(|g| !g.is_empty()),
            default_role: role.into(),
            password_sign_in: self.password_sign_in.is_some(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_sso.html")]
pub struct SsoPage {
    pub workspace: String,
    pub user: String,
    /// The workspace's short name, which members type to sign in with the provider.
    pub slug: String,
    /// Where members start signing in with the provider.
    pub start_href: String,
    /// The address to register at the provider.
    pub redirect_uri: String,
    pub form: SsoForm,
    /// The saved secret's last characters; empty when nothing is saved.
    pub secret_hint: String,
    pub configured: bool,
    pub roles: Vec<&'static str>,
    /// A refusal of the form, shown beside it.
    pub error: String,
    /// "saved" or "off" after a change.
    pub done: String,
}

impl SsoPage {
    fn password_on(&self) -> bool {
        self.form.password_sign_in.is_some()
    }
}

async fn page(state: &AppState, user: &SignedIn) -> Result<SsoPage, PageError> {
    let ws = workspace_of(state, user.workspace_id).await?;
    let saved = state
        .store
        .sso()
        .get(user.workspace_id)
        .await
        .map_err(internal)?;
    let form = saved.as_ref().map(SsoForm::of).unwrap_or_else(|| SsoForm {
        default_role: Role::Viewer.as_str().to_owned(),
        password_sign_in: Some("1".into()),
        ..Default::default()
    });
    Ok(SsoPage {
        workspace: ws.name,
        user: user.email.clone(),
        start_href: format!("/signin/sso?workspace={}", encode(&ws.slug)),
        slug: ws.slug,
        redirect_uri: format!("{}/signin/sso/callback", state.store.public_url()),
        form,
        secret_hint: saved
            .as_ref()
            .map(SsoConfig::secret_hint)
            .unwrap_or_default(),
        configured: saved.is_some(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        error: String::new(),
        done: String::new(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<SsoPage, PageError> {
    let mut p = page(&state, &user).await?;
    p.done = q
        .done
        .filter(|d| d == "saved" || d == "off")
        .unwrap_or_default();
    Ok(p)
}

/// A refusal as the page again (422, what was typed kept, the secret never echoed); an
/// internal error as the error page.
async fn refused(state: &AppState, user: &SignedIn, form: SsoForm, e: ApiError) -> Response {
    if e.status.is_server_error() {
        return PageError(
            e.status,
            "Single sign-on could not be saved now. Try again.",
        )
        .into_response();
    }
    match page(state, user).await {
        Ok(mut p) => {
            p.form = SsoForm {
                client_secret: String::new(),
                ..form
            };
            p.error = e.detail;
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                [(header::CACHE_CONTROL, "no-store")],
                p,
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub async fn save(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Form(form): Form<SsoForm>,
) -> Response {
    let body = match form.body() {
        Ok(body) => body,
        Err(msg) => return refused(&state, &user, form, ApiError::unprocessable(msg)).await,
    };
    match configure(&state, user.workspace_id, &user.actor(), body).await {
        Ok(_) => Redirect::to("/settings/sso?done=saved").into_response(),
        Err(e) => refused(&state, &user, form, e).await,
    }
}

pub async fn remove(State(state): State<AppState>, RequireSignIn(user): RequireSignIn) -> Response {
    match turn_off(&state, user.workspace_id, &user.actor()).await {
        Ok(()) => Redirect::to("/settings/sso?done=off").into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            Redirect::to("/settings/sso?done=off").into_response()
        }
        Err(e) => PageError(
            e.status,
            "Single sign-on could not be turned off now. Try again.",
        )
        .into_response(),
    }
}
