//! How a workspace closes the loop: `GET/PUT /api/v1/settings`, `GET /api/v1/playbooks`,
//! `PUT/DELETE /api/v1/playbooks/{score}`, `GET/POST /api/v1/routing-rules`,
//! `PUT/DELETE /api/v1/routing-rules/{id}`. The store checks every value, so the settings
//! page refuses exactly what this API refuses.

use super::json::ApiJson;
use super::validate;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::outbound;
use crate::state::AppState;
use advocate_core::{Language, Priority, Score, SlaHours};
use advocate_store::models::{AnonymousDetractors, ReviewLink, RoutingRule, WorkspaceSettings};
use advocate_store::settings::{EffectivePlaybook, RoutingRuleInput};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(get_settings, put_settings, list_playbooks, put_playbook, reset_playbook, list_rules,
        create_rule, update_rule, delete_rule),
    components(schemas(WorkspaceSettings, ReviewLink, SlaHours, EffectivePlaybook, PlaybookBody,
        RoutingRule, RuleBody, Priority, AnonymousDetractors)),
    tags((name = "settings", description = "Workspace settings, the playbook of every score \
        (per language), and the routing rules that assign cases when the customer has no \
        account manager: the first matching rule by position, else the default queue."))
)]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/settings", get(get_settings).put(put_settings))
        .route("/api/v1/playbooks", get(list_playbooks))
        .route(
            "/api/v1/playbooks/{score}",
            put(put_playbook).delete(reset_playbook),
        )
        .route("/api/v1/routing-rules", get(list_rules).post(create_rule))
        .route(
            "/api/v1/routing-rules/{id}",
            put(update_rule).delete(delete_rule),
        )
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LanguageQuery {
    /// A language such as "nb"; without it, the playbooks for every language without its own.
    pub language: Option<String>,
}

/// A playbook as written: one step per checklist item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaybookBody {
    /// 1–30 steps, each 1–300 characters.
    pub steps: Vec<String>,
    /// Required for 0–6 (critical, high, medium, normal); must be absent for 7–10.
    pub priority: Option<String>,
    /// Only for this language (e.g. "nb"); absent: every language without its own.
    pub language: Option<String>,
}

/// A routing rule: every condition given must match; at least one is needed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// Segment attribute the answer carries, e.g. "plan".
    pub attribute: Option<String>,
    /// The attribute's value, e.g. "business"; absent: any value.
    pub value: Option<String>,
    pub touchpoint: Option<String>,
    pub language: Option<String>,
    /// Who gets the case: an email address (alerted directly) or a queue name.
    pub assignee: String,
    /// 1-based place in the order; absent: last (create) or unchanged (update).
    pub position: Option<i64>,
}

impl RuleBody {
    fn input(&self) -> RoutingRuleInput {
        let clean = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_owned());
        RoutingRuleInput {
            attribute: clean(&self.attribute),
            value: clean(&self.value),
            touchpoint: clean(&self.touchpoint),
            language: clean(&self.language),
            assignee: self.assignee.clone(),
            position: self.position,
        }
    }
}

/// A score from the path; anything else names no playbook.
fn score(raw: &str) -> ApiResult<Score> {
    raw.parse::<i64>()
        .ok()
        .and_then(|s| Score::new(s).ok())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no playbook for score {raw:?}: scores are whole numbers from 0 to 10"
            ))
        })
}

fn language(field: &str, raw: Option<&str>) -> ApiResult<Option<Language>> {
    raw.filter(|l| !l.is_empty())
        .map(|l| validate::language(field, l))
        .transpose()
}

pub fn priority(raw: Option<&str>) -> ApiResult<Option<Priority>> {
    raw.map(|p| {
        Priority::parse(p).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "priority must be critical, high, medium or normal; got {p:?}"
            ))
        })
    })
    .transpose()
}

fn rule_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no routing rule {raw:?}")))
}

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("api_key" = [])),
    responses((status = 200, body = WorkspaceSettings)))]
pub async fn get_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<WorkspaceSettings>> {
    Ok(Json(
        state.store.workspace_settings(caller.workspace_id).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = WorkspaceSettings,
    security(("api_key" = [])),
    responses((status = 200, description = "saved; fields not sent take their defaults", body = WorkspaceSettings),
              (status = 422, description = "an email, URL or SLA that is not valid, or a Slack URL \
                  that points to a non-public address (the message names the rule)", body = Problem)))]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<WorkspaceSettings>,
) -> ApiResult<Json<WorkspaceSettings>> {
    let mut settings = body.value;
    // Empty strings mean "not set", as on the settings page.
    for field in [
        &mut settings.sender_email,
        &mut settings.sender_name,
        &mut settings.alerts_email,
        &mut settings.manager_email,
        &mut settings.slack_webhook_url,
    ] {
        if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *field = None;
        }
    }
    outbound::check_settings(&state.config.allowed_hosts, &settings)
        .await
        .map_err(ApiError::unprocessable)?;
    state
        .store
        .save_workspace_settings(caller.workspace_id, &settings)
        .await?;
    Ok(Json(settings))
}

#[utoipa::path(get, path = "/api/v1/playbooks", tag = "settings", params(LanguageQuery),
    security(("api_key" = [])),
    responses((status = 200, description = "the playbook of every score 0–10", body = Vec<EffectivePlaybook>),
              (status = 422, body = Problem)))]
pub async fn list_playbooks(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<LanguageQuery>,
) -> ApiResult<Json<Vec<EffectivePlaybook>>> {
    let lang = language("language", q.language.as_deref())?;
    Ok(Json(
        state
            .store
            .playbooks(caller.workspace_id, lang.as_ref())
            .await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/playbooks/{score}", tag = "settings",
    params(("score" = u8, Path, description = "0–10")), request_body = PlaybookBody,
    security(("api_key" = [])),
    responses((status = 200, body = EffectivePlaybook), (status = 404, body = Problem),
              (status = 422, description = "steps or priority not valid", body = Problem)))]
pub async fn put_playbook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    body: ApiJson<PlaybookBody>,
) -> ApiResult<Json<EffectivePlaybook>> {
    let score = score(&raw)?;
    let b = body.value;
    let lang = language("language", b.language.as_deref())?;
    let priority = priority(b.priority.as_deref())?;
    Ok(Json(
        state
            .store
            .set_playbook(
                caller.workspace_id,
                score,
                lang.as_ref(),
                &b.steps,
                priority,
            )
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/playbooks/{score}", tag = "settings",
    params(("score" = u8, Path, description = "0–10"), LanguageQuery), security(("api_key" = [])),
    responses((status = 200, description = "the playbook that applies now", body = EffectivePlaybook),
              (status = 404, body = Problem)))]
pub async fn reset_playbook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    Query(q): Query<LanguageQuery>,
) -> ApiResult<Json<EffectivePlaybook>> {
    let score = score(&raw)?;
    let lang = language("language", q.language.as_deref())?;
    Ok(Json(
        state
            .store
            .reset_playbook(caller.workspace_id, score, lang.as_ref())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "settings", security(("api_key" = [])),
    responses((status = 200, description = "in the order they are tried", body = Vec<RoutingRule>)))]
pub async fn list_rules(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<RoutingRule>>> {
    Ok(Json(state.store.routing_rules(caller.workspace_id).await?))
}

#[utoipa::path(post, path = "/api/v1/routing-rules", tag = "settings", request_body = RuleBody,
    security(("api_key" = [])),
    responses((status = 201, body = RoutingRule),
              (status = 422, description = "no condition, or a value that is not valid", body = Problem)))]
pub async fn create_rule(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<RuleBody>,
) -> ApiResult<(StatusCode, Json<RoutingRule>)> {
    let rule = state
        .store
        .create_routing_rule(caller.workspace_id, &body.value.input())
        .await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

#[utoipa::path(put, path = "/api/v1/routing-rules/{id}", tag = "settings",
    params(("id" = i64, Path)), request_body = RuleBody, security(("api_key" = [])),
    responses((status = 200, body = RoutingRule), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn update_rule(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    body: ApiJson<RuleBody>,
) -> ApiResult<Json<RoutingRule>> {
    let id = rule_id(&raw)?;
    Ok(Json(
        state
            .store
            .update_routing_rule(caller.workspace_id, id, &body.value.input())
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/routing-rules/{id}", tag = "settings",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 204, description = "deleted; the others keep their order"),
              (status = 404, body = Problem)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    let id = rule_id(&raw)?;
    state
        .store
        .delete_routing_rule(caller.workspace_id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
