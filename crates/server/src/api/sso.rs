//! A workspace's single sign-on (OpenID Connect): `GET/PUT/DELETE /api/v1/sso`. The
//! client secret is write-only: `GET` shows its last four characters.

use super::json::ApiJson;
use super::values::Role;
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::outbound;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::Configure;
use advocate_store::tenancy::sso::SsoConfig;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(get_sso, put_sso, delete_sso),
    components(schemas(SsoBody, SsoView)),
    tags((name = "sso", description = "Single sign-on with an OpenID Connect provider: \
        who may sign in (email domains, a group), the role of people who join by signing \
        in, and whether password sign-in stays on."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/sso", Key(Configure), get_sso)
        .put("/api/v1/sso", Key(Configure), put_sso)
        .delete("/api/v1/sso", Key(Configure), delete_sso)
}

/// The configuration as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoBody {
    /// The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// Required the first time; `null` keeps the saved secret.
    pub client_secret: Option<String>,
    /// Emails must be in one of these domains; empty: any domain.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// When set, the ID token's `groups` claim must contain it.
    pub required_group: Option<String>,
    /// The role of a person who joins the workspace by signing in.
    pub default_role: Role,
    /// `false`: members cannot sign in with a password (only through the provider).
    pub password_sign_in: bool,
}

/// The configuration as shown: the secret only as a hint.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoView {
    pub issuer: String,
    pub client_id: String,
    /// The secret's last four characters, e.g. "…x9Qk".
    pub client_secret_hint: String,
    pub allowed_domains: Vec<String>,
    pub required_group: Option<String>,
    pub default_role: Role,
    pub password_sign_in: bool,
}

impl From<SsoConfig> for SsoView {
    fn from(c: SsoConfig) -> Self {
        Self {
            client_secret_hint: c.secret_hint(),
            issuer: c.issuer,
            client_id: c.client_id,
            allowed_domains: c.allowed_domains,
            required_group: c.required_group,
            default_role: c.default_role.into(),
            password_sign_in: c.password_sign_in,
        }
    }
}

fn not_configured() -> ApiError {
    ApiError::not_found("this workspace has no single sign-on configured")
}

#[utoipa::path(get, path = "/api/v1/sso", operation_id = "getSso", tag = "sso", security(("api_key" = [])),
    responses((status = 200, body = SsoView), (status = 404, description = "not configured", body = Problem)))]
pub async fn get_sso(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Json<SsoView>> {
    let c = state.store.sso().get(caller.workspace_id).await?;
    Ok(Json(c.ok_or_else(not_configured)?.into()))
}

#[utoipa::path(put, path = "/api/v1/sso", operation_id = "replaceSso", tag = "sso", request_body = SsoBody,
    security(("api_key" = [])),
    responses((status = 200, body = SsoView),
              (status = 422, description = "an issuer that is not an http(s) URL, an empty \
                  client id or secret, a domain that is not one, an issuer at an internal address the \
                  operator has not allowed; nothing is changed", body = Problem)))]
pub async fn put_sso(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<SsoBody>,
) -> ApiResult<Json<SsoView>> {
    let saved = configure(&state, caller.workspace_id, &caller.actor(), body.value).await?;
    Ok(Json(saved.into()))
}

/// Checks and saves a workspace's single sign-on (the saved secret kept when `body` has
/// none) and records it in the audit log; the API and the settings page both save here.
pub async fn configure(
    state: &AppState,
    ws: i64,
    actor: &str,
    body: SsoBody,
) -> ApiResult<SsoConfig> {
    let current = state.store.sso().get(ws).await?;
    let client_secret = match (body.client_secret, current) {
        (Some(s), _) => s,
        (None, Some(c)) => c.client_secret,
        (None, None) => {
            return Err(ApiError::unprocessable(
                "client_secret: required when single sign-on is first configured",
            ))
        }
    };
    let config = SsoConfig {
        issuer: body.issuer,
        client_id: body.client_id,
        client_secret,
        allowed_domains: body.allowed_domains,
        required_group: body.required_group,
        default_role: body.default_role.into(),
        password_sign_in: body.password_sign_in,
    };
    // Advocate will call the issuer: it must be somewhere webhooks may go.
    outbound::check_registration(&state.config.allowed_hosts, "issuer", &config.issuer)
        .await
        .map_err(ApiError::unprocessable)?;
    state.store.sso().save(ws, &config).await?;
    let saved = state
        .store
        .sso()
        .get(ws)
        .await?
        .ok_or_else(not_configured)?;
    let detail = format!(
        "issuer {}, client {}, domains [{}], group {}, default role {}, password sign-in {}",
        saved.issuer,
        saved.client_id,
        saved.allowed_domains.join(", "),
        saved.required_group.as_deref().unwrap_or("none"),
        saved.default_role.as_str(),
        if saved.password_sign_in { "on" } else { "off" },
    );
    state
        .store
        .audit()
        .record(ws, actor, "sso.configured", "sso", &detail)
        .await?;
    Ok(saved)
}

#[utoipa::path(delete, path = "/api/v1/sso", operation_id = "deleteSso", tag = "sso", security(("api_key" = [])),
    responses((status = 204, description = "single sign-on is off; password sign-in is on again"),
              (status = 404, description = "not configured", body = Problem)))]
pub async fn delete_sso(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<StatusCode> {
    turn_off(&state, caller.workspace_id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns a workspace's single sign-on off (audit-logged); password sign-in is on again.
pub async fn turn_off(state: &AppState, ws: i64, actor: &str) -> ApiResult<()> {
    if !state.store.sso().remove(ws).await? {
        return Err(not_configured());
    }
    state
        .store
        .audit()
        .record(ws, actor, "sso.removed", "sso", "single sign-on turned off")
        .await?;
    Ok(())
}
