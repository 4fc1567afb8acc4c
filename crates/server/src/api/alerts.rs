//! People's alert subscriptions: `GET/POST /api/v1/alert-subscriptions`,
//! `GET/PATCH/DELETE /api/v1/alert-subscriptions/{id}`. An API key speaks for the
//! workspace, so it sees everyone's subscriptions and names whose a new one is
//! (`user_id`); a person manages their own on their account page (`/account`).

use super::json::{from_body, ApiJson};
use super::replace::{audited, changes};
use super::values::{AlertChannel, SurveyKind};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::outbound;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::alerts::SubscriptionFilter;
use advocate_core::Permission::Configure;
use advocate_store::closed_loop::alerts::{Owner, Subscription};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, update, remove),
    components(schemas(AlertSubscription, NewAlertSubscription, AlertFilter, AlertChannel)),
    tags((name = "alerts", description = "Each person's alerts: the answers they want to hear \
        about (kind of survey — NPS, CSAT or eNPS, the last only gathered and anonymous — score \
        range, survey, touchpoint, segment, only with a comment), on one channel \
        (email to their own address, Slack, Microsoft Teams, a webhook), at once or gathered \
        every `batch_minutes`."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/alert-subscriptions", Key(Configure), list)
        .post("/api/v1/alert-subscriptions", Key(Configure), create)
        .get("/api/v1/alert-subscriptions/{id}", Key(Configure), show)
        .patch("/api/v1/alert-subscriptions/{id}", Key(Configure), update)
        .delete("/api/v1/alert-subscriptions/{id}", Key(Configure), remove)
}

/// What a subscription wants; every filter but the channel may be left out. (Unknown
/// fields are refused by [`known_fields_only`], not by serde: a `deny_unknown_fields`
/// schema cannot be combined with `user_id` in [`NewAlertSubscription`]'s document.)
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertFilter {
    /// The kind of survey whose answers it watches (default `nps`): `csat` scores run
    /// 1–5; `enps` answers are anonymous, so an eNPS subscription must gather them
    /// (`batch_minutes` 5–1440) and its message leaves only once it holds at least the
    /// workspace's `enps_min_group_size` answers, naming nobody.
    #[serde(default = "nps")]
    pub survey_kind: SurveyKind,
    pub channel: AlertChannel,
    /// The incoming webhook URL of slack, teams and webhook; empty for email (alerts go
    /// to the person's own address). It must reach a public address unless the operator
    /// allows the host (`--allow-webhook-hosts`).
    #[serde(default)]
    pub target: Option<String>,
    /// Score range on the kind's scale (0–10, CSAT 1–5), both ends included; left out,
    /// the scale's lowest and highest score.
    #[serde(default)]
    pub min_score: Option<u8>,
    #[serde(default)]
    pub max_score: Option<u8>,
    #[serde(default)]
    pub survey_id: Option<i64>,
    #[serde(default)]
    pub touchpoint: Option<String>,
    /// A customer segment attribute, and the value it must have.
    #[serde(default)]
    pub segment_key: Option<String>,
    #[serde(default)]
    pub segment_value: Option<String>,
    #[serde(default)]
    pub only_with_comment: bool,
    /// 0 (the default) sends each answer at once; 5–1440 gathers them into one message
    /// every that many minutes.
    #[serde(default)]
    pub batch_minutes: u32,
}

fn nps() -> SurveyKind {
    SurveyKind::Nps
}

/// The fields of [`AlertFilter`], the only ones a body may name besides `user_id`.
const FILTER_FIELDS: [&str; 11] = [
    "survey_kind",
    "channel",
    "target",
    "min_score",
    "max_score",
    "survey_id",
    "touchpoint",
    "segment_key",
    "segment_value",
    "only_with_comment",
    "batch_minutes",
];

/// Refuses a body that names a field no subscription has (a typo must not be ignored).
fn known_fields_only(fields: &serde_json::Map<String, Value>) -> ApiResult<()> {
    match fields.keys().find(|k| !FILTER_FIELDS.contains(&k.as_str())) {
        Some(k) => Err(ApiError::unprocessable(format!(
            "unknown field {k:?}; a subscription has {}",
            FILTER_FIELDS.join(", ")
        ))),
        None => Ok(()),
    }
}

impl From<AlertFilter> for SubscriptionFilter {
    fn from(x: AlertFilter) -> Self {
        let text = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let kind: advocate_core::SurveyKind = x.survey_kind.into();
        let (low, high) = kind.scale();
        Self {
            kind,
            channel: x.channel.into(),
            target: text(x.target),
            min_score: x.min_score.unwrap_or(low),
            max_score: x.max_score.unwrap_or(high),
            survey_id: x.survey_id,
            touchpoint: text(x.touchpoint),
            segment_key: text(x.segment_key),
            segment_value: text(x.segment_value),
            only_with_comment: x.only_with_comment,
            batch_minutes: x.batch_minutes,
        }
    }
}

impl From<SubscriptionFilter> for AlertFilter {
    fn from(x: SubscriptionFilter) -> Self {
        Self {
            survey_kind: x.kind.into(),
            channel: x.channel.into(),
            target: x.target,
            min_score: Some(x.min_score),
            max_score: Some(x.max_score),
            survey_id: x.survey_id,
            touchpoint: x.touchpoint,
            segment_key: x.segment_key,
            segment_value: x.segment_value,
            only_with_comment: x.only_with_comment,
            batch_minutes: x.batch_minutes,
        }
    }
}

/// The body of a new subscription: whose it is, and its filter's fields beside it. (Read
/// by hand in [`create`], which takes `user_id` out and the filter from the rest.)
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAlertSubscription {
    /// Whose alerts these are: a member of the workspace.
    pub user_id: i64,
    #[serde(flatten)]
    pub filter: AlertFilter,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertSubscription {
    pub id: i64,
    pub user_id: i64,
    #[serde(flatten)]
    pub filter: AlertFilter,
    pub created_at: DateTime<Utc>,
}

impl From<Subscription> for AlertSubscription {
    fn from(x: Subscription) -> Self {
        Self {
            id: x.id,
            user_id: x.user_id,
            filter: x.filter.into(),
            created_at: x.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this person's subscriptions.
    pub user_id: Option<i64>,
}

fn subscription_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no alert subscription {raw:?}")))
}

/// A webhook target must pass the same outbound rules as a workspace's webhooks.
async fn check_target(state: &AppState, filter: &SubscriptionFilter) -> ApiResult<()> {
    if let Some(url) = &filter.target {
        filter
            .check()
            .map_err(|e| ApiError::unprocessable(e.to_string()))?;
        outbound::check_registration(&state.config.allowed_hosts, "target", url)
            .await
            .map_err(ApiError::unprocessable)?;
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/alert-subscriptions", operation_id = "listAlertSubscriptions", tag = "alerts",
    params(ListQuery), security(("api_key" = [])),
    responses((status = 200, body = Vec<AlertSubscription>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<AlertSubscription>>> {
    let owner = query.user_id.map_or(Owner::Anyone, Owner::User);
    list_of(&state, &caller, owner).await
}

pub(super) async fn list_of(
    state: &AppState,
    caller: &ApiCaller,
    owner: Owner,
) -> ApiResult<Json<Vec<AlertSubscription>>> {
    let found = state
        .store
        .alerts()
        .list(caller.workspace_id, owner)
        .await?;
    Ok(Json(found.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/alert-subscriptions", operation_id = "createAlertSubscription", tag = "alerts",
    request_body = NewAlertSubscription, security(("api_key" = [])),
    responses((status = 201, body = AlertSubscription),
              (status = 422, description = "a filter that is not valid (the message names the field), \
                  a user who is not a member, or a target that points to a non-public address; \
                  nothing is stored", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<AlertSubscription>)> {
    let Value::Object(mut fields) = body.value else {
        return Err(ApiError::unprocessable(
            "request body must be a JSON object with user_id and the filter's fields",
        ));
    };
    let user_id = match fields.remove("user_id") {
        Some(v) => v.as_i64().ok_or_else(|| {
            ApiError::unprocessable(format!("user_id must be a user's id (a number); got {v}"))
        })?,
        None => {
            return Err(ApiError::unprocessable(
                "user_id is required: whose alerts these are",
            ))
        }
    };
    create_for(&state, &caller, user_id, fields).await
}

/// Creates `user_id`'s subscription from the filter's fields (checked, nothing stored
/// when one is wrong).
pub(super) async fn create_for(
    state: &AppState,
    caller: &ApiCaller,
    user_id: i64,
    fields: serde_json::Map<String, Value>,
) -> ApiResult<(StatusCode, Json<AlertSubscription>)> {
    known_fields_only(&fields)?;
    let filter = SubscriptionFilter::from(from_body::<AlertFilter>(Value::Object(fields))?);
    check_target(state, &filter).await?;
    let created = state
        .store
        .alerts()
        .create(caller.workspace_id, user_id, &filter)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(get, path = "/api/v1/alert-subscriptions/{id}", operation_id = "getAlertSubscription", tag = "alerts",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = AlertSubscription), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertSubscription>> {
    show_of(&state, &caller, Owner::Anyone, &id).await
}

pub(super) async fn show_of(
    state: &AppState,
    caller: &ApiCaller,
    owner: Owner,
    raw: &str,
) -> ApiResult<Json<AlertSubscription>> {
    let id = subscription_id(raw)?;
    state
        .store
        .alerts()
        .get(caller.workspace_id, owner, id)
        .await?
        .map(|x| Json(x.into()))
        .ok_or_else(|| ApiError::not_found(format!("no alert subscription {id}")))
}

/// Changes only the filters the body names (JSON merge patch): `null` clears an optional
/// filter or puts a score bound back to its default.
#[utoipa::path(patch, path = "/api/v1/alert-subscriptions/{id}", operation_id = "updateAlertSubscription", tag = "alerts",
    request_body(content = AlertFilter, content_type = "application/merge-patch+json",
        description = "any subset of the filter's fields"),
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = AlertSubscription), (status = 404, body = Problem),
              (status = 422, description = "a filter that is not valid; nothing is changed", body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<Value>,
) -> ApiResult<Response> {
    update_of(&state, &caller, Owner::Anyone, &id, body.value).await
}

/// Changes what the patch names of a subscription `owner` may reach.
pub(super) async fn update_of(
    state: &AppState,
    caller: &ApiCaller,
    owner: Owner,
    raw: &str,
    body: Value,
) -> ApiResult<Response> {
    let id = subscription_id(raw)?;
    let Value::Object(patch) = body else {
        return Err(ApiError::unprocessable(
            "request body must be a JSON object of the filters to change",
        ));
    };
    known_fields_only(&patch)?;
    let alerts = state.store.alerts();
    let before = alerts
        .get(caller.workspace_id, owner, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no alert subscription {id}")))?;
    let mut merged =
        serde_json::to_value(AlertFilter::from(before.filter.clone())).expect("filter serialises");
    if let Value::Object(fields) = &mut merged {
        for (k, v) in patch {
            match v {
                Value::Null => fields.remove(&k),
                v => fields.insert(k, v),
            };
        }
    }
    let filter = SubscriptionFilter::from(from_body::<AlertFilter>(merged)?);
    check_target(state, &filter).await?;
    let after = alerts
        .update(caller.workspace_id, owner, id, &filter)
        .await?;
    Ok(audited(
        changes(
            &AlertFilter::from(before.filter),
            &AlertFilter::from(after.filter.clone()),
        ),
        Json(AlertSubscription::from(after)),
    ))
}

#[utoipa::path(delete, path = "/api/v1/alert-subscriptions/{id}", operation_id = "deleteAlertSubscription", tag = "alerts",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 204, description = "deleted, with the answers it had gathered"),
              (status = 404, body = Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    remove_of(&state, &caller, Owner::Anyone, &id).await
}

pub(super) async fn remove_of(
    state: &AppState,
    caller: &ApiCaller,
    owner: Owner,
    raw: &str,
) -> ApiResult<StatusCode> {
    let id = subscription_id(raw)?;
    state
        .store
        .alerts()
        .delete(caller.workspace_id, owner, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
