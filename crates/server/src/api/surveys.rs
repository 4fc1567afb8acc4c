//! `POST /api/v1/surveys`, `GET /api/v1/surveys`.

use super::json::ApiJson;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::field::{label, language, text};
use advocate_core::i18n::TextOverrides;
use advocate_core::SurveyKind;
use advocate_store::models::{NewSurvey, Survey};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

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

impl From<Survey> for SurveyOut {
    fn from(survey: Survey) -> Self {
        let link = format!("/s/{}", survey.public_id);
        Self { survey, link }
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
        .workspace(caller.workspace_id)
        .await?
        .ok_or_else(|| ApiError::internal("workspace of a valid key is missing"))?;
    let mut texts = BTreeMap::new();
    for (lang, overrides) in req.texts {
        texts.insert(language("texts key", &lang)?, overrides);
    }
    let new = NewSurvey {
        slug: label("slug", &req.slug)?,
        kind: match req.kind.as_deref() {
            None => SurveyKind::Nps,
            Some(k) => {
                SurveyKind::parse(k).map_err(|e| ApiError::unprocessable(format!("kind {e}")))?
            }
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
    let survey = state.store.create_survey(caller.workspace_id, &new).await?;
    Ok((StatusCode::CREATED, Json(survey.into())))
}

#[utoipa::path(get, path = "/api/v1/surveys", operation_id = "listSurveys", tag = "surveys", security(("api_key" = [])),
    responses((status = 200, body = Vec<SurveyOut>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<SurveyOut>>> {
    let surveys = state.store.surveys(caller.workspace_id).await?;
    Ok(Json(surveys.into_iter().map(Into::into).collect()))
}
