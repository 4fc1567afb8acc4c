//! Webhook endpoints: `GET/POST /api/v1/webhooks`, `GET/PATCH/DELETE
//! /api/v1/webhooks/{id}`, `POST /api/v1/webhooks/{id}/rotate-secret`. The secret that
//! signs deliveries is returned once, on create and on rotation.

use super::json::ApiJson;
use super::replace::{audited, changes};
use super::values::WebhookRemoval;
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::outbound;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::Configure;
use advocate_store::delivery::webhooks as store;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, update, remove, rotate_secret),
    components(schemas(WebhookEndpoint, WebhookCreated, NewWebhook, WebhookPatch, WebhookRemoved, WebhookSecret)),
    tags((name = "webhooks", description = "Signed webhooks: each POST carries \
        `Advocate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed \
        with the endpoint's secret>`, `Idempotency-Key` (the same on every retry) and \
        `Advocate-Event`."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/webhooks", Key(Configure), list)
        .post("/api/v1/webhooks", Key(Configure), create)
        .get("/api/v1/webhooks/{id}", Key(Configure), show)
        .patch("/api/v1/webhooks/{id}", Key(Configure), update)
        .delete("/api/v1/webhooks/{id}", Key(Configure), remove)
        .post(
            "/api/v1/webhooks/{id}/rotate-secret",
            Key(Configure),
            rotate_secret,
        )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// http:// or https:// URL that receives the POSTs. It must reach a public address
    /// unless the operator allows the host (`--allow-webhook-hosts`).
    pub url: String,
    /// Any of response.created, case.created, case.updated, case.overdue,
    /// engagement.updated; or ["*"] for all.
    pub events: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// Verifies the signatures; shown only now.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSecret {
    /// The new secret, shown only now; the old one stops working at once.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookRemoved {
    /// `deleted`, or `deactivated` when the endpoint already has messages (kept for history).
    pub result: WebhookRemoval,
}

/// An id from the path; anything that is not one names no endpoint.
fn endpoint_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no webhook endpoint {raw:?}")))
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("no webhook endpoint {id}"))
}

#[utoipa::path(get, path = "/api/v1/webhooks", operation_id = "listWebhooks", tag = "webhooks", security(("api_key" = [])),
    responses((status = 200, body = Vec<WebhookEndpoint>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<WebhookEndpoint>>> {
    let endpoints = state.store.webhooks().list(caller.workspace_id).await?;
    Ok(Json(endpoints.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/webhooks", operation_id = "createWebhook", tag = "webhooks", request_body = NewWebhook,
    security(("api_key" = [])),
    responses((status = 201, description = "created; the secret is shown only now", body = WebhookCreated),
              (status = 422, description = "invalid URL or event, or a URL that points to a \
                  non-public address (the message names the rule)", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookCreated>)> {
    outbound::check_registration(&state.config.allowed_hosts, "url", &body.value.url)
        .await
        .map_err(ApiError::unprocessable)?;
    let (endpoint, secret) = state
        .store
        .webhooks()
        .create(caller.workspace_id, &body.value.url, &body.value.events)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            endpoint: endpoint.into(),
            secret,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", operation_id = "getWebhook", tag = "webhooks",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookEndpoint>> {
    let id = endpoint_id(&id)?;
    state
        .store
        .webhooks()
        .get(caller.workspace_id, id)
        .await?
        .map(|x| Json(x.into()))
        .ok_or_else(|| not_found(id))
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", operation_id = "updateWebhook", tag = "webhooks", request_body = WebhookPatch,
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = Problem),
              (status = 422, description = "unknown event or nothing to change", body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<WebhookPatch>,
) -> ApiResult<Response> {
    let id = endpoint_id(&id)?;
    let patch = body.value;
    if patch.events.is_none() && patch.active.is_none() {
        return Err(ApiError::unprocessable(
            "nothing to change: give events and/or active",
        ));
    }
    let before = state
        .store
        .webhooks()
        .get(caller.workspace_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let after = state
        .store
        .webhooks()
        .update(
            caller.workspace_id,
            id,
            patch.events.as_deref(),
            patch.active,
        )
        .await?;
    Ok(audited(
        changes(&before, &after),
        Json(WebhookEndpoint::from(after)),
    ))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", operation_id = "deleteWebhook", tag = "webhooks",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = WebhookRemoved), (status = 404, body = Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookRemoved>> {
    let id = endpoint_id(&id)?;
    let result = state
        .store
        .webhooks()
        .delete(caller.workspace_id, id)
        .await?;
    Ok(Json(WebhookRemoved {
        result: result.into(),
    }))
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", operation_id = "rotateWebhookSecret", tag = "webhooks",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = WebhookSecret), (status = 404, body = Problem)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookSecret>> {
    let id = endpoint_id(&id)?;
    let secret = state
        .store
        .webhooks()
        .rotate_secret(caller.workspace_id, id)
        .await?;
    Ok(Json(WebhookSecret { secret }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub workspace_id: i64,
    pub url: String,
    /// Event names, or `["*"]` for every event.
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<store::WebhookEndpoint> for WebhookEndpoint {
    fn from(x: store::WebhookEndpoint) -> Self {
        Self {
            id: x.id,
            workspace_id: x.workspace_id,
            url: x.url,
            events: x.events,
            active: x.active,
            created_at: x.created_at,
        }
    }
}
