//! Themes: `GET /api/v1/themes` (the workspace's effective taxonomy), `POST
//! /api/v1/themes/edits` (one taxonomy edit; re-tagging starts in the background),
//! `GET /api/v1/themes/retag` (its progress) and `GET /api/v1/themes/report` (per theme:
//! mentions, NPS of mentioners and others, difference and impact with 95 % intervals,
//! sentiment, monthly trend, concentration; ranked by impact), `GET /api/v1/themes/rising`
//! (themes a significantly larger share of commenters mention than in the period before),
//! `GET /api/v1/themes/emerging` (recurring phrases no theme covers) and `POST
//! /api/v1/themes/emerging/promote` (one of them made a theme).

use super::json::ApiJson;
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::themes::TaxonomyEdit;
use advocate_core::Permission::{Configure, Dashboards};
use advocate_store::themes::report::ThemeQuery;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(taxonomy, edit, retag, report, rising, emerging, promote),
    components(schemas(Promote)),
    tags((name = "themes", description = "What customers write about: the themes comments are \
        tagged with (built-in, edited per workspace), and what each does to NPS."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/themes", Key(Dashboards), taxonomy)
        .post("/api/v1/themes/edits", Key(Configure), edit)
        .get("/api/v1/themes/retag", Key(Dashboards), retag)
        .get("/api/v1/themes/report", Key(Dashboards), report)
        .get("/api/v1/themes/rising", Key(Dashboards), rising)
        .get("/api/v1/themes/emerging", Key(Dashboards), emerging)
        .post("/api/v1/themes/emerging/promote", Key(Configure), promote)
}

#[utoipa::path(get, path = "/api/v1/themes", operation_id = "getThemes", tag = "themes",
    security(("api_key" = [])),
    responses((status = 200, description = "`version` (the latest edit's id, 0 for the built-in \
        taxonomy) and `taxonomy`: themes with names and keywords per language, hidden flag, \
        merged keys", body = Value)))]
pub async fn taxonomy(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Json<Value>> {
    let t = state.store.themes().taxonomy(caller.workspace_id).await?;
    Ok(Json(json!(t)))
}

#[utoipa::path(post, path = "/api/v1/themes/edits", operation_id = "editThemes", tag = "themes",
    security(("api_key" = [])),
    request_body(description = "One edit, by `op`: `add` {key, names, keywords}, `rename` {key, \
        lang, name}, `add_keywords`/`remove_keywords` {key, lang, keywords}, `merge` {from, \
        into}, `hide`/`show` {key}. Languages: en nb sv da fi de nl.", content = Value),
    responses((status = 201, description = "the new `version`; re-tagging has started", body = Value),
        (status = 400, description = "not an edit", body = Problem),
        (status = 422, description = "the edit is refused (unknown theme, bad keyword…); nothing changed", body = Problem)))]
pub async fn edit(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let edit: TaxonomyEdit = serde_json::from_value(body.value)
        .map_err(|e| ApiError::bad_request(format!("not a theme edit: {e}")))?;
    let version = state
        .store
        .themes()
        .edit(caller.workspace_id, &edit, &caller.actor(), Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "version": version }))))
}

#[utoipa::path(get, path = "/api/v1/themes/retag", operation_id = "getThemeRetag", tag = "themes",
    security(("api_key" = [])),
    responses((status = 200, description = "`version`, `total`, `done`, `started_at`, \
        `finished_at` of the latest re-tagging; null if the taxonomy was never edited", body = Value)))]
pub async fn retag(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Json<Value>> {
    let p = state
        .store
        .themes()
        .retag_progress(caller.workspace_id)
        .await?;
    Ok(Json(json!(p)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// First day, inclusive (YYYY-MM-DD, UTC); 89 days before `to` when left out.
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC); today when left out.
    pub to: Option<String>,
    /// A survey's slug; every NPS survey when left out. An eNPS survey's figures obey the
    /// workspace's anonymity minimum.
    pub survey: Option<String>,
}

fn day(name: &str, value: Option<&str>, default: NaiveDate) -> ApiResult<NaiveDate> {
    value.map_or(Ok(default), |v| {
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request(format!("{name} must be YYYY-MM-DD; got {v:?}")))
    })
}

#[utoipa::path(get, path = "/api/v1/themes/report", operation_id = "getThemeReport", tag = "themes",
    params(ReportParams), security(("api_key" = [])),
    responses((status = 200, description = "`answers`, `commenters`, `nps`, `suppressed_below` \
        and `drivers`: per theme (`key`) its figures and `driver` (mentioners, others, \
        nps_mentioners, nps_others, difference with ci95, impact with ci95, significant, \
        small_group), `rank` by |impact| (null for small groups), and `concentrated_in`: its top \
        touchpoints, channels and segment values with `share` of its mentions beside \
        `share_of_all` answers; `segments`: segment attribute values (`attribute`, `value`, \
        `answers`) ranked by the same impact rule (at most 100)", body = Value),
        (status = 400, description = "bad parameter", body = Problem),
        (status = 404, description = "no such survey", body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let q = theme_query(&state, &caller, params).await?;
    Ok(Json(json!(state.store.themes().report(&q).await?)))
}

#[utoipa::path(get, path = "/api/v1/themes/rising", operation_id = "getRisingThemes", tag = "themes",
    params(ReportParams), security(("api_key" = [])),
    responses((status = 200, description = "the themes a significantly larger share of \
        commenters mention in the period than in the period of the same length just before \
        (two-proportion z-test at 95 %, at least 5 mentions now), largest rise first: `theme`, \
        `mentions`, `commenters`, `previous_mentions`, `previous_commenters`, \
        `previous_share` and `share` (percent of commenters), `change` (points), `z`, \
        `p_value`, `significant`, `rising`", body = Value),
        (status = 400, description = "bad parameter", body = Problem),
        (status = 404, description = "no such survey", body = Problem)))]
pub async fn rising(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let q = theme_query(&state, &caller, params).await?;
    Ok(Json(json!(state.store.themes().rising(&q).await?)))
}

/// The report's parameters read into a query: 90 days up to today by default, the survey
/// by slug (another workspace's is not found).
async fn theme_query(
    state: &AppState,
    caller: &ApiCaller,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> ApiResult<ThemeQuery> {
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let to = day("to", p.to.as_deref(), Utc::now().date_naive())?;
    let from = day("from", p.from.as_deref(), to - Duration::days(89))?;
    if from > to {
        return Err(ApiError::bad_request("from must not be after to"));
    }
    let survey_id = match p.survey.as_deref() {
        None => None,
        Some(slug) => Some(
            state
                .store
                .surveys()
                .by_slug(caller.workspace_id, slug)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no survey {slug:?}")))?
                .id,
        ),
    };
    Ok(ThemeQuery {
        workspace_id: caller.workspace_id,
        from: from.and_time(chrono::NaiveTime::MIN).and_utc(),
        to: (to + Duration::days(1))
            .and_time(chrono::NaiveTime::MIN)
            .and_utc(),
        survey_id,
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// First day, inclusive (YYYY-MM-DD, UTC); 29 days before `to` when left out.
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC); today when left out.
    pub to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/themes/emerging", operation_id = "getEmergingThemes", tag = "themes",
    params(PeriodParams), security(("api_key" = [])),
    responses((status = 200, description = "phrases recurring in comments no theme tagged: \
        `language`, `phrase`, `count`, `previous_count` (the period of the same length \
        before), `examples` ([answer id, comment])", body = Value),
        (status = 400, description = "bad parameter", body = Problem)))]
pub async fn emerging(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<PeriodParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let to = day("to", p.to.as_deref(), Utc::now().date_naive())?;
    let from = day("from", p.from.as_deref(), to - Duration::days(29))?;
    if from > to {
        return Err(ApiError::bad_request("from must not be after to"));
    }
    let found = state
        .store
        .themes()
        .emerging(
            caller.workspace_id,
            from.and_time(chrono::NaiveTime::MIN).and_utc(),
            (to + Duration::days(1))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
        )
        .await?;
    Ok(Json(json!(found)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Promote {
    /// The phrase's language code.
    pub language: String,
    pub phrase: String,
}

#[utoipa::path(post, path = "/api/v1/themes/emerging/promote", operation_id = "promoteEmergingTheme",
    tag = "themes", request_body = Promote, security(("api_key" = [])),
    responses((status = 201, description = "the new `version` and the theme's `key`", body = Value),
        (status = 422, description = "refused (a theme with that key exists…); nothing changed", body = Problem)))]
pub async fn promote(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<Promote>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let p = body.value;
    let version = state
        .store
        .themes()
        .promote(
            caller.workspace_id,
            &p.language,
            &p.phrase,
            &caller.actor(),
            Utc::now(),
        )
        .await?;
    let key = advocate_store::themes::emerging::key_of(p.phrase.trim());
    Ok((
        StatusCode::CREATED,
        Json(json!({ "version": version, "key": key })),
    ))
}
