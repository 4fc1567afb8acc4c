//! `POST /api/v1/surveys`, `GET /api/v1/surveys`.

use super::json::ApiJson;
use super::values::{Language, SurveyKind};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core as core;
use advocate_core::field::{label, language, text};
use advocate_core::Permission::{Configure, Dashboards};
use advocate_store::models::{self as store, NewSurvey};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(paths(create, list), tags((name = "surveys")))]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .post("/api/v1/surveys", Key(Configure), create)
        .get("/api/v1/surveys", Key(Dashboards), list)
}

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
            created_at: x.created_at,
        }
    }
}

/// A workspace's overrides for one language: any text left out keeps the built-in one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
        name: text("name", &req.name, 200)?,
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
