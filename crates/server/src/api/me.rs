//! The person behind a personal API key: `GET /api/v1/me`, their language and time zone
//! (`/api/v1/me/preferences`), their digest (`/api/v1/me/digest`) and their own keys
//! (`/api/v1/me/api-keys`). A workspace key is refused here: it speaks for nobody.

use super::accounts::{
    audit_key, change_preferences_of, preferences_of, set_digest_of, ApiKey, Digest, Preferences,
    PreferencesChange,
};
use super::alerts::{self, AlertFilter, AlertSubscription};
use super::json::ApiJson;
use super::values::Role;
use crate::access::Access::Me;
use crate::auth::{ApiCaller, KeyPerson};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_store as store;
use advocate_store::closed_loop::alerts::Owner;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(me, my_preferences, change_my_preferences, my_digest, set_my_digest, my_keys,
        revoke_my_key, my_alerts, create_my_alert, my_alert, update_my_alert, remove_my_alert),
    components(schemas(Myself)),
    tags((name = "me", description = "What a person manages for themselves, with a personal \
        API key (created on their account page, or by an admin with `user_id`). A personal key \
        does no more than its person's role allows: an agent's key reaches only the cases \
        assigned to them and the customers they manage."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/me", Me, me)
        .get("/api/v1/me/preferences", Me, my_preferences)
        .patch("/api/v1/me/preferences", Me, change_my_preferences)
        .get("/api/v1/me/digest", Me, my_digest)
        .put("/api/v1/me/digest", Me, set_my_digest)
        .get("/api/v1/me/api-keys", Me, my_keys)
        .delete("/api/v1/me/api-keys/{id}", Me, revoke_my_key)
        .get("/api/v1/me/alert-subscriptions", Me, my_alerts)
        .post("/api/v1/me/alert-subscriptions", Me, create_my_alert)
        .get("/api/v1/me/alert-subscriptions/{id}", Me, my_alert)
        .patch("/api/v1/me/alert-subscriptions/{id}", Me, update_my_alert)
        .delete("/api/v1/me/alert-subscriptions/{id}", Me, remove_my_alert)
}

/// Who a personal key speaks for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Myself {
    pub user_id: i64,
    pub email: String,
    pub workspace_id: i64,
    /// Their role in the key's workspace now.
    pub role: Role,
    pub language: String,
    pub time_zone: String,
}

/// The person behind the key; the access rule let in only personal keys.
fn person(caller: &ApiCaller) -> ApiResult<&KeyPerson> {
    caller
        .person
        .as_ref()
        .ok_or_else(|| ApiError::internal("a /me route ran with a workspace key"))
}

async fn user(state: &AppState, caller: &ApiCaller) -> ApiResult<store::models::User> {
    let id = person(caller)?.user_id;
    state
        .store
        .users()
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found("this key's person no longer exists"))
}

#[utoipa::path(get, path = "/api/v1/me", operation_id = "getMe", tag = "me", security(("api_key" = [])),
    responses((status = 200, body = Myself),
              (status = 403, description = "a workspace key, not a personal one", body = Problem)))]
pub async fn me(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Json<Myself>> {
    let p = preferences_of(&state, &user(&state, &caller).await?).await?;
    Ok(Json(Myself {
        user_id: p.user_id,
        email: p.email,
        workspace_id: caller.workspace_id,
        role: person(&caller)?.role.into(),
        language: p.language,
        time_zone: p.time_zone,
    }))
}

#[utoipa::path(get, path = "/api/v1/me/preferences", operation_id = "getMyPreferences", tag = "me",
    security(("api_key" = [])), responses((status = 200, body = Preferences)))]
pub async fn my_preferences(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Preferences>> {
    Ok(Json(
        preferences_of(&state, &user(&state, &caller).await?).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/me/preferences", operation_id = "changeMyPreferences", tag = "me",
    request_body = PreferencesChange, security(("api_key" = [])),
    responses((status = 200, body = Preferences),
              (status = 400, description = "a language Advocate does not speak, or no such time zone; nothing changed", body = Problem)))]
pub async fn change_my_preferences(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<PreferencesChange>,
) -> ApiResult<Json<Preferences>> {
    let user = user(&state, &caller).await?;
    Ok(Json(
        change_preferences_of(&state, &caller, &user, body.value).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/me/digest", operation_id = "getMyDigest", tag = "me",
    security(("api_key" = [])), responses((status = 200, body = Digest)))]
pub async fn my_digest(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Digest>> {
    let settings = state
        .store
        .digests()
        .settings(person(&caller)?.user_id, caller.workspace_id)
        .await?;
    Ok(Json(settings.into()))
}

#[utoipa::path(put, path = "/api/v1/me/digest", operation_id = "setMyDigest", tag = "me",
    request_body = Digest, security(("api_key" = [])),
    responses((status = 200, body = Digest),
              (status = 422, description = "hour outside 0–23", body = Problem)))]
pub async fn set_my_digest(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: super::replace::FullJson<Digest>,
) -> ApiResult<Json<Digest>> {
    let user = user(&state, &caller).await?;
    Ok(Json(
        set_digest_of(&state, &caller, &user, body.value).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/me/api-keys", operation_id = "listMyApiKeys", tag = "me",
    security(("api_key" = [])),
    responses((status = 200, description = "the person's own keys here, revoked ones too; never the secret", body = Vec<ApiKey>)))]
pub async fn my_keys(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<ApiKey>>> {
    let keys = state
        .store
        .api_keys()
        .list_personal(caller.workspace_id, person(&caller)?.user_id)
        .await?;
    Ok(Json(keys.into_iter().map(Into::into).collect()))
}

#[utoipa::path(delete, path = "/api/v1/me/api-keys/{id}", operation_id = "revokeMyApiKey", tag = "me",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, description = "revoked at once", body = ApiKey),
              (status = 404, description = "no such key of this person", body = Problem)))]
pub async fn revoke_my_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKey>> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("no API key {id:?}")))?;
    let user_id = person(&caller)?.user_id;
    let key = state
        .store
        .api_keys()
        .revoke_personal(caller.workspace_id, user_id, id)
        .await?;
    audit_key(
        &state,
        caller.workspace_id,
        &caller.actor(),
        "api_key.revoked",
        &key,
    )
    .await?;
    Ok(Json(key.into()))
}

/// The person's own alerts, for someone whose role may have alerts (as on the account
/// page: whoever reads cases).
fn alerting(caller: &ApiCaller) -> ApiResult<Owner> {
    let p = person(caller)?;
    if p.role.grants(advocate_core::Permission::ReadCases) {
        Ok(Owner::User(p.user_id))
    } else {
        Err(ApiError::forbidden(format!(
            "alerts are about answers and cases, which a {} does not read",
            p.role
        )))
    }
}

#[utoipa::path(get, path = "/api/v1/me/alert-subscriptions", operation_id = "listMyAlertSubscriptions", tag = "me",
    security(("api_key" = [])),
    responses((status = 200, body = Vec<AlertSubscription>), (status = 403, body = Problem)))]
pub async fn my_alerts(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<AlertSubscription>>> {
    let owner = alerting(&caller)?;
    alerts::list_of(&state, &caller, owner).await
}

#[utoipa::path(post, path = "/api/v1/me/alert-subscriptions", operation_id = "createMyAlertSubscription", tag = "me",
    request_body = AlertFilter, security(("api_key" = [])),
    responses((status = 201, body = AlertSubscription),
              (status = 422, description = "a filter that is not valid (the message names the field); nothing is stored", body = Problem)))]
pub async fn create_my_alert(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<AlertSubscription>)> {
    let Owner::User(me) = alerting(&caller)? else {
        return Err(ApiError::internal("a person's alerts have an owner"));
    };
    let Value::Object(fields) = body.value else {
        return Err(ApiError::unprocessable(
            "request body must be a JSON object of the filter's fields",
        ));
    };
    alerts::create_for(&state, &caller, me, fields).await
}

#[utoipa::path(get, path = "/api/v1/me/alert-subscriptions/{id}", operation_id = "getMyAlertSubscription", tag = "me",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = AlertSubscription), (status = 404, description = "no such subscription of this person", body = Problem)))]
pub async fn my_alert(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertSubscription>> {
    let owner = alerting(&caller)?;
    alerts::show_of(&state, &caller, owner, &id).await
}

#[utoipa::path(patch, path = "/api/v1/me/alert-subscriptions/{id}", operation_id = "updateMyAlertSubscription", tag = "me",
    request_body(content = AlertFilter, content_type = "application/merge-patch+json",
        description = "any subset of the filter's fields"),
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = AlertSubscription), (status = 404, body = Problem),
              (status = 422, description = "a filter that is not valid; nothing is changed", body = Problem)))]
pub async fn update_my_alert(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<Value>,
) -> ApiResult<Response> {
    let owner = alerting(&caller)?;
    alerts::update_of(&state, &caller, owner, &id, body.value).await
}

#[utoipa::path(delete, path = "/api/v1/me/alert-subscriptions/{id}", operation_id = "deleteMyAlertSubscription", tag = "me",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 204, description = "deleted, with the answers it had gathered"),
              (status = 404, body = Problem)))]
pub async fn remove_my_alert(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let owner = alerting(&caller)?;
    alerts::remove_of(&state, &caller, owner, &id).await
}
