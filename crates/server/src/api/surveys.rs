//! `POST /api/v1/surveys`, `GET /api/v1/surveys`, `GET` and `PATCH /api/v1/surveys/{id}`.

use super::json::ApiJson;
use super::replace::{audited, changes, merged, MergePatch};
use super::values::{Language, SurveyKind, SurveyStatus};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core as core;
use advocate_core::field::{label, language, line, text};
use advocate_core::Permission::{Configure, Dashboards};
use advocate_store::models::{self as store, NewSurvey, SurveyChange};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(paths(create, list, show, update), components(schemas(SurveyBody)), tags((name = "surveys")))]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .post("/api/v1/surveys", Key(Configure), create)
        .get("/api/v1/surveys", Key(Dashboards), list)
        .get("/api/v1/surveys/{id}", Key(Dashboards), show)
        .patch("/api/v1/surveys/{id}", Key(Configure), update)
}

/// Most characters of a survey's name, and of each of its texts.
pub(crate) const NAME_MAX: usize = 200;
pub(crate) const TEXT_MAX: usize = 1000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSurvey {
    /// Short id, unique in the workspace, used in the API and reports, e.g. "relationship".
    pub slug: String,
    pub name: String,
    /// "nps" (default), "enps" or "csat".
    pub kind: Option<String>,
    /// Stage of the customer journey, e.g. "onboarding", "delivery", "renewal".
    pub touchpoint: Option<String>,
    /// Language used when the respondent's is unknown; defaults to the workspace's.
    pub default_language: Option<String>,
    /// Texts to use instead of the built-in ones, per language.
    #[serde(default)]
    pub texts: BTreeMap<String, TextOverrides>,
}

/// A survey and its public link.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyOut {
    #[serde(flatten)]
    pub survey: Survey,
    /// Path of the public survey page; share it as `<your Advocate URL><link>`.
    pub link: String,
}

impl From<store::Survey> for SurveyOut {
    fn from(survey: store::Survey) -> Self {
        let link = format!("/s/{}", survey.public_id);
        Self {
            survey: survey.into(),
            link,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Survey {
    pub id: i64,
    pub workspace_id: i64,
    pub slug: String,
    /// The unguessable id in the survey's public link, `/s/{public_id}`.
    pub public_id: String,
    pub kind: SurveyKind,
    pub name: String,
    pub touchpoint: Option<String>,
    pub default_language: Language,
    #[schema(value_type = BTreeMap<String, TextOverrides>)]
    pub texts: BTreeMap<Language, TextOverrides>,
    pub status: SurveyStatus,
    pub created_at: DateTime<Utc>,
}

impl From<store::Survey> for Survey {
    fn from(x: store::Survey) -> Self {
        Self {
            id: x.id,
            workspace_id: x.workspace_id,
            slug: x.slug,
            public_id: x.public_id,
            kind: x.kind.into(),
            name: x.name,
            touchpoint: x.touchpoint,
            default_language: x.default_language.into(),
            texts: x
                .texts
                .into_iter()
                .map(|(l, t)| (l.into(), t.into()))
                .collect(),
            status: x.status.into(),
            created_at: x.created_at,
        }
    }
}

/// A workspace's overrides for one language: any text left out keeps the built-in one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextOverrides {
    pub question: Option<String>,
    pub follow_up_promoter: Option<String>,
    pub follow_up_passive: Option<String>,
    pub follow_up_detractor: Option<String>,
    pub thanks_title: Option<String>,
    pub thanks_body: Option<String>,
}

impl From<core::i18n::TextOverrides> for TextOverrides {
    fn from(x: core::i18n::TextOverrides) -> Self {
        Self {
            question: x.question,
            follow_up_promoter: x.follow_up_promoter,
            follow_up_passive: x.follow_up_passive,
            follow_up_detractor: x.follow_up_detractor,
            thanks_title: x.thanks_title,
            thanks_body: x.thanks_body,
        }
    }
}

impl From<TextOverrides> for core::i18n::TextOverrides {
    fn from(x: TextOverrides) -> Self {
        Self {
            question: x.question,
            follow_up_promoter: x.follow_up_promoter,
            follow_up_passive: x.follow_up_passive,
            follow_up_detractor: x.follow_up_detractor,
            thanks_title: x.thanks_title,
            thanks_body: x.thanks_body,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/surveys", operation_id = "createSurvey", tag = "surveys", request_body = CreateSurvey,
    security(("api_key" = [])),
    responses((status = 201, body = SurveyOut), (status = 409, description = "slug taken", body = Problem),
              (status = 422, description = "invalid field", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateSurvey>,
) -> ApiResult<(StatusCode, Json<SurveyOut>)> {
    let req = body.value;
    let workspace = state
        .store
        .workspaces()
        .get(caller.workspace_id)
        .await?
        .ok_or_else(|| ApiError::internal("workspace of a valid key is missing"))?;
    let mut texts = BTreeMap::new();
    for (lang, overrides) in req.texts {
        texts.insert(language("texts key", &lang)?, overrides.into());
    }
    let new = NewSurvey {
        slug: label("slug", &req.slug)?,
        kind: match req.kind.as_deref() {
            None => core::SurveyKind::Nps,
            Some(k) => core::SurveyKind::parse(k)
                .map_err(|e| ApiError::unprocessable(format!("kind {e}")))?,
        },
        name: text("name", &req.name, NAME_MAX)?,
        touchpoint: req
            .touchpoint
            .as_deref()
            .map(|t| label("touchpoint", t))
            .transpose()?,
        default_language: match req.default_language.as_deref() {
            Some(l) => language("default_language", l)?,
            None => workspace.default_language,
        },
        texts,
    };
    let survey = state
        .store
        .surveys()
        .create(caller.workspace_id, &new)
        .await?;
    Ok((StatusCode::CREATED, Json(survey.into())))
}

#[utoipa::path(get, path = "/api/v1/surveys", operation_id = "listSurveys", tag = "surveys", security(("api_key" = [])),
    responses((status = 200, body = Vec<SurveyOut>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<SurveyOut>>> {
    let surveys = state.store.surveys().list(caller.workspace_id).await?;
    Ok(Json(surveys.into_iter().map(Into::into).collect()))
}

/// The fields of a survey that can change; the slug and public link never do (reports
/// and printed QR codes name them). `PATCH` sends any subset (JSON merge patch): in
/// `texts`, a language sent as `null` is removed, a text sent as `null` goes back to the
/// built-in one, and languages and texts left out are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyBody {
    pub name: String,
    /// Can change only while the survey has no answers (409 after).
    pub kind: SurveyKind,
    pub touchpoint: Option<String>,
    pub default_language: String,
    pub texts: BTreeMap<String, TextOverrides>,
    /// `paused` or `archived` closes the survey: its page answers 410, the answer API 409,
    /// and invitations to it are skipped (`survey_closed`).
    pub status: SurveyStatus,
}

impl From<&store::Survey> for SurveyBody {
    fn from(s: &store::Survey) -> Self {
        Self {
            name: s.name.clone(),
            kind: s.kind.into(),
            touchpoint: s.touchpoint.clone(),
            default_language: s.default_language.to_string(),
            texts: s
                .texts
                .iter()
                .map(|(l, t)| (l.to_string(), t.clone().into()))
                .collect(),
            status: s.status.into(),
        }
    }
}

/// A field of a survey that was refused, and why (the message names the field too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// `name`, `touchpoint`, `default_language`, `texts`, or `texts.nb.question`.
    pub field: String,
    pub message: String,
}

impl From<FieldProblem> for ApiError {
    fn from(p: FieldProblem) -> Self {
        ApiError::unprocessable(format!("{}; nothing was changed", p.message))
    }
}

fn problem(field: impl Into<String>) -> impl FnOnce(core::field::Invalid) -> FieldProblem {
    let field = field.into();
    move |e| FieldProblem {
        field,
        message: e.into_message(),
    }
}

/// What to change to turn `before` into `after`: each field checked, and only the fields
/// that differ named, so saving an unchanged form (or a patch of one field) changes
/// nothing else. Shared by `PATCH` and the survey editor's page.
pub(crate) fn change_from(
    before: &store::Survey,
    after: &SurveyBody,
) -> Result<SurveyChange, FieldProblem> {
    let was = SurveyBody::from(before);
    let mut change = SurveyChange::default();
    if after.name != was.name {
        change.name = Some(line("name", &after.name, NAME_MAX).map_err(problem("name"))?);
    }
    if after.kind != was.kind {
        change.kind = Some(after.kind.into());
    }
    if after.touchpoint != was.touchpoint {
        change.touchpoint = Some(
            after
                .touchpoint
                .as_deref()
                .map(|t| label("touchpoint", t))
                .transpose()
                .map_err(problem("touchpoint"))?,
        );
    }
    if after.default_language != was.default_language {
        change.default_language = Some(
            language("default_language", &after.default_language)
                .map_err(problem("default_language"))?,
        );
    }
    for (raw, texts) in &after.texts {
        let lang = language("texts key", raw).map_err(problem("texts"))?;
        let checked = checked_texts(lang.as_str(), texts)?;
        if before.texts.get(&lang) != Some(&checked) {
            change.texts.insert(lang, Some(checked));
        }
    }
    for lang in before.texts.keys() {
        if !after.texts.contains_key(lang.as_str()) {
            change.texts.insert(lang.clone(), None);
        }
    }
    if after.status != was.status {
        change.status = Some(after.status.into());
    }
    Ok(change)
}

/// One language's texts, each trimmed and checked, named `texts.{lang}.{text}`.
fn checked_texts(lang: &str, t: &TextOverrides) -> Result<core::i18n::TextOverrides, FieldProblem> {
    let one = |name: &str, v: &Option<String>| -> Result<Option<String>, FieldProblem> {
        let field = format!("texts.{lang}.{name}");
        v.as_deref()
            .map(|v| text(&field, v, TEXT_MAX))
            .transpose()
            .map_err(problem(field))
    };
    Ok(core::i18n::TextOverrides {
        question: one("question", &t.question)?,
        follow_up_promoter: one("follow_up_promoter", &t.follow_up_promoter)?,
        follow_up_passive: one("follow_up_passive", &t.follow_up_passive)?,
        follow_up_detractor: one("follow_up_detractor", &t.follow_up_detractor)?,
        thanks_title: one("thanks_title", &t.thanks_title)?,
        thanks_body: one("thanks_body", &t.thanks_body)?,
    })
}

/// A survey id from the path; anything else is a 404 like a survey that does not exist.
fn survey_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no survey with id {raw:?}")))
}

async fn survey_of(state: &AppState, workspace_id: i64, raw: &str) -> ApiResult<store::Survey> {
    let id = survey_id(raw)?;
    state
        .store
        .surveys()
        .get(workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no survey with id {id}")))
}

#[utoipa::path(get, path = "/api/v1/surveys/{id}", operation_id = "getSurvey", tag = "surveys",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = SurveyOut), (status = 404, description = "no such survey in this workspace", body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<SurveyOut>> {
    Ok(Json(
        survey_of(&state, caller.workspace_id, &id).await?.into(),
    ))
}

/// Changes only the fields the body names (JSON merge patch); a refused field changes
/// nothing at all.
#[utoipa::path(patch, path = "/api/v1/surveys/{id}", operation_id = "updateSurvey", tag = "surveys",
    request_body(content = SurveyBody, content_type = "application/merge-patch+json",
        description = "any subset of the survey's changeable fields"),
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = SurveyOut),
              (status = 404, description = "no such survey in this workspace", body = Problem),
              (status = 409, description = "a new kind for a survey that has answers", body = Problem),
              (status = 422, description = "a field that is not valid, named; nothing is changed", body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    patch: MergePatch,
) -> ApiResult<Response> {
    let before = survey_of(&state, caller.workspace_id, &id).await?;
    let body = merged(&SurveyBody::from(&before), &patch, None)?;
    let change = change_from(&before, &body)?;
    let after = state
        .store
        .surveys()
        .update(caller.workspace_id, before.id, &change)
        .await?;
    Ok(audited(
        changes(&SurveyBody::from(&before), &SurveyBody::from(&after)),
        Json(SurveyOut::from(after)),
    ))
}
