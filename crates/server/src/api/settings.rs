//! How a workspace closes the loop: `GET/PUT/PATCH /api/v1/settings`, `GET
//! /api/v1/playbooks`, `PUT/PATCH/DELETE /api/v1/playbooks/{score}`, `GET/POST
//! /api/v1/routing-rules`, `PUT/PATCH/DELETE /api/v1/routing-rules/{id}`. `PUT` replaces and
//! needs every field, `PATCH` changes what it names (see [`super::replace`]). The store checks every value, so the settings
//! page refuses exactly what this API refuses.

use super::json::ApiJson;
use super::replace::{audited, changes, merged, FullJson, MergePatch};
use super::values::{AnonymousDetractors, Priority};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::outbound;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::Configure;
use advocate_core::{Language, Score};
use advocate_store::models as store;
use advocate_store::tenancy::settings::RoutingRuleInput;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

mod body;
pub use body::{EffectivePlaybook, ReviewLink, RoutingRule, SlaHours, WorkspaceSettings};

#[derive(OpenApi)]
#[openapi(
    paths(get_settings, put_settings, patch_settings, list_playbooks, put_playbook, patch_playbook, reset_playbook,
        list_rules, create_rule, update_rule, patch_rule, delete_rule),
    components(schemas(WorkspaceSettings, ReviewLink, SlaHours, EffectivePlaybook, PlaybookBody,
        RoutingRule, RuleBody, Priority, AnonymousDetractors)),
    tags((name = "settings", description = "Workspace settings, the playbook of every score \
        (per language), and the routing rules that assign cases when the customer has no \
        account manager: the first matching rule by position, else the default queue."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/settings", Key(Configure), get_settings)
        .put("/api/v1/settings", Key(Configure), put_settings)
        .patch("/api/v1/settings", Key(Configure), patch_settings)
        .get("/api/v1/playbooks", Key(Configure), list_playbooks)
        .put("/api/v1/playbooks/{score}", Key(Configure), put_playbook)
        .patch("/api/v1/playbooks/{score}", Key(Configure), patch_playbook)
        .delete("/api/v1/playbooks/{score}", Key(Configure), reset_playbook)
        .get("/api/v1/routing-rules", Key(Configure), list_rules)
        .post("/api/v1/routing-rules", Key(Configure), create_rule)
        .put("/api/v1/routing-rules/{id}", Key(Configure), update_rule)
        .patch("/api/v1/routing-rules/{id}", Key(Configure), patch_rule)
        .delete("/api/v1/routing-rules/{id}", Key(Configure), delete_rule)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LanguageQuery {
    /// A language such as "nb"; without it, the playbooks for every language without its own.
    pub language: Option<String>,
}

/// A playbook as written: one step per checklist item.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaybookBody {
    /// 1–30 steps, each 1–300 characters.
    pub steps: Vec<String>,
    /// Required for 0–6 (critical, high, medium, normal); null for 7–10.
    pub priority: Option<String>,
    /// Only for this language (e.g. "nb"); null: every language without its own.
    pub language: Option<String>,
}

/// A routing rule: every condition given must match; at least one is needed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
    /// 1-based place in the order; null: last (create) or unchanged (update).
    pub position: Option<i64>,
}

impl From<store::RoutingRule> for RuleBody {
    fn from(r: store::RoutingRule) -> Self {
        Self {
            attribute: r.attribute,
            value: r.value,
            touchpoint: r.touchpoint,
            language: r.language,
            assignee: r.assignee,
            position: Some(r.position),
        }
    }
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
    Ok(raw
        .filter(|l| !l.is_empty())
        .map(|l| advocate_core::field::language(field, l))
        .transpose()?)
}

pub fn priority(raw: Option<&str>) -> ApiResult<Option<advocate_core::Priority>> {
    raw.map(|p| {
        advocate_core::Priority::parse(p).ok_or_else(|| {
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

#[utoipa::path(get, path = "/api/v1/settings", operation_id = "getSettings", tag = "settings", security(("api_key" = [])),
    responses((status = 200, body = WorkspaceSettings)))]
pub async fn get_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<WorkspaceSettings>> {
    let settings = state.store.settings().get(caller.workspace_id).await?;
    Ok(Json(settings.into()))
}

#[utoipa::path(put, path = "/api/v1/settings", operation_id = "replaceSettings", tag = "settings", request_body = WorkspaceSettings,
    security(("api_key" = [])),
    responses((status = 200, description = "saved: the settings are exactly the body", body = WorkspaceSettings),
              (status = 422, description = "a field missing (every missing field is named; \
                  nothing is changed: use PATCH to change some fields), or an email, URL or SLA \
                  that is not valid, or a Slack URL that points to a non-public address (the \
                  message names the rule)", body = Problem)))]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: FullJson<WorkspaceSettings>,
) -> ApiResult<Response> {
    save_settings(&state, &caller, body.value.into()).await
}

/// Changes only the fields the body names (JSON merge patch, RFC 7396): `null` clears an
/// optional field (an email, the Slack URL, the reminder) or puts a required one back to
/// its default.
#[utoipa::path(patch, path = "/api/v1/settings", operation_id = "updateSettings", tag = "settings",
    request_body(content = WorkspaceSettings, content_type = "application/merge-patch+json",
        description = "any subset of the settings' fields"),
    security(("api_key" = [])),
    responses((status = 200, description = "saved; the whole settings after the change", body = WorkspaceSettings),
              (status = 422, description = "an unknown field or a value that is not valid; \
                  nothing is changed", body = Problem)))]
pub async fn patch_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    patch: MergePatch,
) -> ApiResult<Response> {
    let current = state.store.settings().get(caller.workspace_id).await?;
    let defaults = WorkspaceSettings::from(store::WorkspaceSettings::default());
    let settings = merged(&WorkspaceSettings::from(current), &patch, Some(&defaults))?;
    save_settings(&state, &caller, settings.into()).await
}

/// Checks and saves a whole settings document; the audit log gets the fields it changed.
async fn save_settings(
    state: &AppState,
    caller: &ApiCaller,
    mut settings: store::WorkspaceSettings,
) -> ApiResult<Response> {
    // Empty strings mean "not set", as on the settings page.
    for field in [
        &mut settings.sender_email,
        &mut settings.sender_name,
        &mut settings.alerts_email,
        &mut settings.manager_email,
        &mut settings.slack_webhook_url,
        &mut settings.teams_webhook_url,
    ] {
        if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *field = None;
        }
    }
    outbound::check_settings(&state.config.allowed_hosts, &settings)
        .await
        .map_err(ApiError::unprocessable)?;
    let before = state.store.settings().get(caller.workspace_id).await?;
    state
        .store
        .settings()
        .save(caller.workspace_id, &settings)
        .await?;
    Ok(audited(
        changes(&before, &settings),
        Json(WorkspaceSettings::from(settings)),
    ))
}

#[utoipa::path(get, path = "/api/v1/playbooks", operation_id = "listPlaybooks", tag = "settings", params(LanguageQuery),
    security(("api_key" = [])),
    responses((status = 200, description = "the playbook of every score 0–10", body = Vec<EffectivePlaybook>),
              (status = 422, body = Problem)))]
pub async fn list_playbooks(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<LanguageQuery>,
) -> ApiResult<Json<Vec<EffectivePlaybook>>> {
    let lang = language("language", q.language.as_deref())?;
    let playbooks = state
        .store
        .settings()
        .playbooks(caller.workspace_id, lang.as_ref())
        .await?;
    Ok(Json(playbooks.into_iter().map(Into::into).collect()))
}

/// Replaces the playbook of a score (for one language, or with `"language": null` for
/// every language without its own): every field is required.
#[utoipa::path(put, path = "/api/v1/playbooks/{score}", operation_id = "replacePlaybook", tag = "settings",
    params(("score" = u8, Path, description = "0–10")), request_body = PlaybookBody,
    security(("api_key" = [])),
    responses((status = 200, body = EffectivePlaybook), (status = 404, body = Problem),
              (status = 422, description = "a field missing (each is named; nothing is changed), \
                  or steps or priority not valid", body = Problem)))]
pub async fn put_playbook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    body: FullJson<PlaybookBody>,
) -> ApiResult<Response> {
    let score = score(&raw)?;
    save_playbook(&state, &caller, score, body.value).await
}

/// Changes only what the body names of the playbook that applies now (JSON merge patch);
/// `?language=` or `language` in the body picks the playbook (neither, or null: the one
/// for every language), as `GET` and `DELETE` do.
#[utoipa::path(patch, path = "/api/v1/playbooks/{score}", operation_id = "updatePlaybook", tag = "settings",
    params(("score" = u8, Path, description = "0–10"), LanguageQuery),
    request_body(content = PlaybookBody, content_type = "application/merge-patch+json",
        description = "any of steps and priority, and the language to change"),
    security(("api_key" = [])),
    responses((status = 200, body = EffectivePlaybook), (status = 404, body = Problem),
              (status = 422, description = "steps or priority not valid; nothing is changed", body = Problem)))]
pub async fn patch_playbook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    Query(q): Query<LanguageQuery>,
    patch: MergePatch,
) -> ApiResult<Response> {
    let score = score(&raw)?;
    let in_query = language("language", q.language.as_deref())?;
    let in_body = match patch.0.get("language") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(l)) => language("language", Some(l))?,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "language must be a string such as \"nb\"",
            ))
        }
    };
    let lang = match (in_query, in_body) {
        (Some(q), Some(b)) if q != b => {
            return Err(ApiError::unprocessable(
                "language: the query says one language and the body another; name it once",
            ))
        }
        (q, b) => b.or(q),
    };
    let current = current_playbook(&state, caller.workspace_id, score, lang.as_ref()).await?;
    let body = merged(&current, &patch, None)?;
    save_playbook(&state, &caller, score, body).await
}

async fn current_playbook(
    state: &AppState,
    ws: i64,
    score: Score,
    lang: Option<&Language>,
) -> ApiResult<PlaybookBody> {
    let p = state
        .store
        .settings()
        .playbooks(ws, lang)
        .await?
        .into_iter()
        .find(|p| p.score == score.value())
        .ok_or_else(|| ApiError::internal("a score without a playbook"))?;
    Ok(PlaybookBody {
        steps: p.steps,
        priority: p.priority.map(|x| x.as_str().to_owned()),
        language: p.language,
    })
}

async fn save_playbook(
    state: &AppState,
    caller: &ApiCaller,
    score: Score,
    b: PlaybookBody,
) -> ApiResult<Response> {
    let lang = language("language", b.language.as_deref())?;
    let priority = priority(b.priority.as_deref())?;
    let before = current_playbook(state, caller.workspace_id, score, lang.as_ref()).await?;
    let saved = state
        .store
        .settings()
        .set_playbook(
            caller.workspace_id,
            score,
            lang.as_ref(),
            &b.steps,
            priority,
        )
        .await?;
    let after = current_playbook(state, caller.workspace_id, score, lang.as_ref()).await?;
    Ok(audited(
        changes(&before, &after),
        Json(EffectivePlaybook::from(saved)),
    ))
}

#[utoipa::path(delete, path = "/api/v1/playbooks/{score}", operation_id = "resetPlaybook", tag = "settings",
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
    let playbook = state
        .store
        .settings()
        .reset_playbook(caller.workspace_id, score, lang.as_ref())
        .await?;
    Ok(Json(playbook.into()))
}

#[utoipa::path(get, path = "/api/v1/routing-rules", operation_id = "listRoutingRules", tag = "settings", security(("api_key" = [])),
    responses((status = 200, description = "in the order they are tried", body = Vec<RoutingRule>)))]
pub async fn list_rules(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<RoutingRule>>> {
    let rules = state
        .store
        .settings()
        .routing_rules(caller.workspace_id)
        .await?;
    Ok(Json(rules.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/routing-rules", operation_id = "createRoutingRule", tag = "settings", request_body = RuleBody,
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
        .settings()
        .create_routing_rule(caller.workspace_id, &body.value.input())
        .await?;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

/// Replaces a rule: every field is required (`null` for a condition not used, and for
/// `position` to keep its place).
#[utoipa::path(put, path = "/api/v1/routing-rules/{id}", operation_id = "replaceRoutingRule", tag = "settings",
    params(("id" = i64, Path)), request_body = RuleBody, security(("api_key" = [])),
    responses((status = 200, body = RoutingRule), (status = 404, body = Problem),
              (status = 422, description = "a field missing (each is named; nothing is changed), \
                  no condition, or a value that is not valid", body = Problem)))]
pub async fn update_rule(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    body: FullJson<RuleBody>,
) -> ApiResult<Response> {
    let id = rule_id(&raw)?;
    save_rule(&state, &caller, id, body.value).await
}

/// Changes only the fields the body names (JSON merge patch; `null` drops a condition).
#[utoipa::path(patch, path = "/api/v1/routing-rules/{id}", operation_id = "updateRoutingRule", tag = "settings",
    params(("id" = i64, Path)),
    request_body(content = RuleBody, content_type = "application/merge-patch+json",
        description = "any subset of the rule's fields"),
    security(("api_key" = [])),
    responses((status = 200, body = RoutingRule), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn patch_rule(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    patch: MergePatch,
) -> ApiResult<Response> {
    let id = rule_id(&raw)?;
    let current = current_rule(&state, caller.workspace_id, id).await?;
    let body = merged(&RuleBody::from(current), &patch, None)?;
    save_rule(&state, &caller, id, body).await
}

async fn current_rule(state: &AppState, ws: i64, id: i64) -> ApiResult<store::RoutingRule> {
    state
        .store
        .settings()
        .routing_rules(ws)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no routing rule {id}")))
}

async fn save_rule(
    state: &AppState,
    caller: &ApiCaller,
    id: i64,
    b: RuleBody,
) -> ApiResult<Response> {
    let before = current_rule(state, caller.workspace_id, id).await?;
    let rule = state
        .store
        .settings()
        .update_routing_rule(caller.workspace_id, id, &b.input())
        .await?;
    Ok(audited(
        changes(&before, &rule),
        Json(RoutingRule::from(rule)),
    ))
}

#[utoipa::path(delete, path = "/api/v1/routing-rules/{id}", operation_id = "deleteRoutingRule", tag = "settings",
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
        .settings()
        .delete_routing_rule(caller.workspace_id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
