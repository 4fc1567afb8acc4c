//! `POST /api/v1/answers`: one answer in, durably, exactly once. `POST /api/v1/responses`
//! is the same operation under the API's old name, kept for existing clients.

use super::json::ApiJson;
use super::values::Category;
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::customer::CustomerFields;
use advocate_core::field::{label, language, optional_text, text, IdempotencyKey};
use advocate_core::Channel;
use advocate_core::Permission::Ingest;
use advocate_store::models::{Answer, NewAnswer, Respondent, Survey};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::Deprecated;
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(paths(create), modifiers(&OldPath), tags((name = "answers")))]
pub struct Doc;

/// Where answers are posted.
pub const PATH: &str = "/api/v1/answers";
/// The path's old name, from when the API called answers responses: the same handler.
pub const OLD_PATH: &str = "/api/v1/responses";

pub fn routes() -> Routes {
    Routes::new()
        .post(PATH, Key(Ingest), create)
        .post(OLD_PATH, Key(Ingest), create)
}

/// Documents [`OLD_PATH`] as what it is: the very operation of [`PATH`], deprecated, under
/// its old operationId, so a client generated from an older document keeps its method.
struct OldPath;

impl Modify for OldPath {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let Some(mut item) = doc.paths.paths.get(PATH).cloned() else {
            return;
        };
        if let Some(op) = item.post.as_mut() {
            op.operation_id = Some("createResponse".to_owned());
            op.deprecated = Some(Deprecated::True);
            op.description = Some(format!("Deprecated: the old name of `POST {PATH}`."));
        }
        doc.paths.paths.insert(OLD_PATH.to_owned(), item);
    }
}

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAnswerBody {
    /// Slug of the survey answered.
    pub survey: String,
    /// An integer on the survey's scale: 0–10 for nps and enps, 1–5 for csat.
    #[schema(value_type = i64, example = 9)]
    pub score: serde_json::Value,
    /// The answer to the follow-up question.
    pub comment: Option<String>,
    /// Who answered; leave out for an anonymous answer. Only `external_id` refers to an
    /// existing customer; more fields create or update the customer.
    #[schema(value_type = Option<super::customers::CustomerFieldsSchema>)]
    pub customer: Option<CustomerFields>,
    /// email, sms, web, widget, kiosk, api (default) or import.
    pub channel: Option<String>,
    /// Overrides the survey's touchpoint.
    pub touchpoint: Option<String>,
    /// Language the question was asked in; defaults to the customer's.
    pub language: Option<String>,
    /// When the answer was given (RFC 3339, e.g. 2026-03-10T09:30:00Z); defaults to now.
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub answered_at: Option<String>,
    /// Your id for this answer; sending it again never creates a second answer.
    pub external_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerCreated {
    pub id: i64,
    pub survey: String,
    pub score: u8,
    /// promoter, passive or detractor (null for csat surveys).
    pub category: Option<Category>,
    /// A 10: the most enthusiastic promoters.
    pub ambassador: bool,
    pub customer: Option<String>,
    pub answered_at: DateTime<Utc>,
}

/// The `Idempotency-Key` header, if sent: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<IdempotencyKey>> {
    headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| IdempotencyKey::parse(v.as_bytes()))
        .transpose()
        .map_err(|e| ApiError::bad_request(e.into_message()))
}

/// When the answer was given: an RFC 3339 time, not in the future; now when left out.
fn answered_at(raw: Option<&str>, now: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    let answered_at = match raw {
        None => now,
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|t| t.to_utc())
            .map_err(|_| {
                ApiError::unprocessable(format!(
                    "answered_at must be a time such as 2026-03-10T09:30:00Z; got {t:?}"
                ))
            })?,
    };
    if answered_at > now + Duration::minutes(5) {
        return Err(ApiError::unprocessable(format!(
            "answered_at {answered_at} is in the future"
        )));
    }
    Ok(answered_at)
}

/// The body of a `201`: the answer as stored, its category (NPS and eNPS) and customer.
fn created(survey: Survey, answer: &Answer, new: &NewAnswer) -> AnswerCreated {
    let category = new.score.category();
    AnswerCreated {
        id: answer.id,
        survey: survey.slug,
        score: answer.score,
        category: category.map(Into::into),
        ambassador: category.is_some() && new.score.value() == 10,
        customer: match &new.respondent {
            Respondent::Anonymous => None,
            Respondent::Known(id) => Some(id.clone()),
            Respondent::Inline(c) => Some(c.external_id.clone()),
        },
        answered_at: answer.answered_at,
    }
}

#[utoipa::path(post, path = "/api/v1/answers", operation_id = "createAnswer", tag = "answers", request_body = NewAnswerBody,
    params(("Idempotency-Key" = Option<String>, Header,
            description = "any unique string; a retry with the same key returns the first answer")),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "stored durably (also for a retry, with header Idempotent-Replayed: true)",
         body = AnswerCreated),
        (status = 400, description = "malformed JSON", body = Problem),
        (status = 404, description = "unknown survey or customer", body = Problem),
        (status = 409, description = "the survey is paused or archived, or the idempotency key or external_id was reused for a different answer", body = Problem),
        (status = 413, description = "body too large", body = Problem),
        (status = 422, description = "invalid field", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    body: ApiJson<NewAnswerBody>,
) -> ApiResult<Response> {
    let req = body.value;
    let survey = state
        .store
        .surveys()
        .by_slug(caller.workspace_id, &req.survey)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no survey with slug {:?}", req.survey)))?;
    if !survey.status.is_open() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "survey {:?} is {}: it takes no answers until it is reactivated",
                survey.slug, survey.status
            ),
        ));
    }
    let score = advocate_core::field::score(survey.kind, &req.score)?;
    let idempotency_key = idempotency_key(&headers)?;
    let respondent = match &req.customer {
        None => Respondent::Anonymous,
        Some(c) if c.has_details() => Respondent::Inline(c.parse("customer.")?),
        Some(c) => Respondent::Known(text("customer.external_id", &c.external_id, 200)?),
    };
    let now = Utc::now();
    let answered_at = answered_at(req.answered_at.as_deref(), now)?;
    let new = NewAnswer {
        workspace_id: caller.workspace_id,
        survey_id: survey.id,
        respondent,
        score,
        comment: optional_text(
            "comment",
            req.comment.as_deref().filter(|c| !c.trim().is_empty()),
            5000,
        )?,
        channel: match req.channel.as_deref() {
            None => Channel::Api,
            Some(c) => advocate_core::field::channel("channel", c)?,
        },
        touchpoint: req
            .touchpoint
            .as_deref()
            .map(|t| label("touchpoint", t))
            .transpose()?,
        language: req
            .language
            .as_deref()
            .map(|l| language("language", l))
            .transpose()?,
        answered_at,
        external_id: optional_text("external_id", req.external_id.as_deref(), 200)?,
        idempotency_key,
        request_hash: Some(body.digest),
    };
    let recorded = state.store.answers().record(&new).await?;
    let answer = recorded.answer;
    let out = created(survey, &answer, &new);
    let mut response = (StatusCode::CREATED, Json(out)).into_response();
    if recorded.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}
