//! The workspace itself: `GET/PUT/PATCH /api/v1/workspace` (its name, and what it still
//! has to set up), `GET /api/v1/workspace/widget-secret` and `POST
//! /api/v1/workspace/widget-secret/rotate` (admin scope only).

use super::replace::{audited, changes, merged, FullJson, MergePatch};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::{Administer, Configure};
use advocate_store as store;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(show, put_workspace, patch_workspace, widget_secret, rotate_widget_secret),
    components(schemas(WorkspaceInfo, WorkspaceBody, SetupWarning, WidgetSecrets)),
    tags((name = "workspace", description = "The workspace's name (emails are sent in it), \
        what it still has to set up, and the widget secret (admin scope only)."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/workspace", Key(Configure), show)
        .put("/api/v1/workspace", Key(Configure), put_workspace)
        .patch("/api/v1/workspace", Key(Configure), patch_workspace)
        .get(
            "/api/v1/workspace/widget-secret",
            Key(Administer),
            widget_secret,
        )
        .post(
            "/api/v1/workspace/widget-secret/rotate",
            Key(Administer),
            rotate_widget_secret,
        )
}

/// What can be changed about a workspace.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceBody {
    /// 1–100 characters; invitation emails and pages say it (`{company}`).
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceInfo {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// What keeps messages from reaching people, while it holds (the dashboard and the
    /// settings page show the same).
    pub warnings: Vec<SetupWarning>,
}

async fn info(state: &AppState, ws: i64) -> ApiResult<WorkspaceInfo> {
    let w = state
        .store
        .workspaces()
        .get(ws)
        .await?
        .ok_or_else(|| ApiError::not_found("the workspace no longer exists"))?;
    Ok(WorkspaceInfo {
        id: w.id,
        slug: w.slug,
        name: w.name,
        warnings: (state.store.workspaces().setup_warnings(ws).await?)
            .into_iter()
            .map(Into::into)
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/workspace", operation_id = "getWorkspace", tag = "workspace", security(("api_key" = [])),
    responses((status = 200, body = WorkspaceInfo)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<WorkspaceInfo>> {
    Ok(Json(info(&state, caller.workspace_id).await?))
}

/// Renames the workspace (every field is required).
#[utoipa::path(put, path = "/api/v1/workspace", operation_id = "replaceWorkspace", tag = "workspace", request_body = WorkspaceBody,
    security(("api_key" = [])),
    responses((status = 200, body = WorkspaceInfo),
        (status = 422, description = "a field missing or a name that is not valid; nothing is \
            changed", body = Problem)))]
pub async fn put_workspace(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: FullJson<WorkspaceBody>,
) -> ApiResult<Response> {
    save(&state, &caller, body.value).await
}

/// Changes only what the body names (JSON merge patch).
#[utoipa::path(patch, path = "/api/v1/workspace", operation_id = "updateWorkspace", tag = "workspace",
    request_body(content = WorkspaceBody, content_type = "application/merge-patch+json"),
    security(("api_key" = [])),
    responses((status = 200, body = WorkspaceInfo), (status = 422, body = Problem)))]
pub async fn patch_workspace(
    State(state): State<AppState>,
    caller: ApiCaller,
    patch: MergePatch,
) -> ApiResult<Response> {
    let current = WorkspaceBody {
        name: info(&state, caller.workspace_id).await?.name,
    };
    let body = merged(&current, &patch, None)?;
    save(&state, &caller, body).await
}

async fn save(state: &AppState, caller: &ApiCaller, body: WorkspaceBody) -> ApiResult<Response> {
    let before = WorkspaceBody {
        name: info(state, caller.workspace_id).await?.name,
    };
    let w = state
        .store
        .workspaces()
        .rename(caller.workspace_id, &body.name)
        .await?;
    let after = WorkspaceBody { name: w.name };
    Ok(audited(
        changes(&before, &after),
        Json(info(state, caller.workspace_id).await?),
    ))
}

/// The secret a website signs visitor ids with for the in-app widget, and the one it
/// replaced while that is still accepted.
#[utoipa::path(get, path = "/api/v1/workspace/widget-secret", operation_id = "getWidgetSecret", tag = "workspace",
    security(("api_key" = [])),
    responses((status = 200, body = WidgetSecrets),
        (status = 403, description = "the key does not have the admin scope", body = Problem)))]
pub async fn widget_secret(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<WidgetSecrets>> {
    Ok(Json(
        state
            .store
            .workspaces()
            .widget_secrets(caller.workspace_id, Utc::now())
            .await?
            .into(),
    ))
}

/// Makes a new widget secret; the old one is still accepted for 7 days, time to deploy
/// the new one.
#[utoipa::path(post, path = "/api/v1/workspace/widget-secret/rotate", operation_id = "rotateWidgetSecret", tag = "workspace",
    security(("api_key" = [])),
    responses((status = 200, body = WidgetSecrets),
        (status = 403, description = "the key does not have the admin scope", body = Problem)))]
pub async fn rotate_widget_secret(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<WidgetSecrets>> {
    let secrets = state
        .store
        .workspaces()
        .rotate_widget_secret(caller.workspace_id, Utc::now())
        .await?;
    // The audit line says that it happened, never the secret.
    state
        .store
        .audit()
        .record(
            caller.workspace_id,
            &caller.actor(),
            "widget_secret.rotated",
            "workspace",
            &format!(
                "the previous secret is accepted for {} more days",
                advocate_store::tenancy::widget_secret::GRACE_DAYS
            ),
        )
        .await?;
    Ok(Json(secrets.into()))
}

/// One thing that keeps messages from reaching people.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetupWarning {
    /// `sender_not_set`, `alerts_to_admins` or `alerts_to_nobody`.
    pub code: &'static str,
    pub message: String,
}

impl From<store::tenancy::setup::SetupWarning> for SetupWarning {
    fn from(x: store::tenancy::setup::SetupWarning) -> Self {
        Self {
            code: x.code,
            message: x.message,
        }
    }
}

/// The secrets a signature may be made with now.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetSecrets {
    /// The secret to sign with (64 hex digits).
    pub secret: String,
    /// The secret it replaced, still accepted until `previous_valid_until`.
    pub previous_secret: Option<String>,
    pub previous_valid_until: Option<DateTime<Utc>>,
}

impl From<store::tenancy::widget_secret::WidgetSecrets> for WidgetSecrets {
    fn from(x: store::tenancy::widget_secret::WidgetSecrets) -> Self {
        Self {
            secret: x.secret,
            previous_secret: x.previous_secret,
            previous_valid_until: x.previous_valid_until,
        }
    }
}
