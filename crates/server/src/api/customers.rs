//! `POST /api/v1/customers` (upsert by external id), `GET /api/v1/customers/{external_id}`,
//! its timeline (the customer record) and its "follow up at next contact" flag.

use super::json::ApiJson;
use super::values::{Category, Language, SurveyKind};
use crate::access::Access::{Key, Own};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::customer::CustomerFields;
use advocate_core::Permission::{Ingest, ReadCustomers, WorkCases};
use advocate_store as store;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(upsert, get, timeline, set_follow_up, clear_follow_up),
    tags((name = "customers"))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .post("/api/v1/customers", Key(Ingest), upsert)
        .get("/api/v1/customers/{external_id}", Own(ReadCustomers), get)
        .get(
            "/api/v1/customers/{external_id}/timeline",
            Own(ReadCustomers),
            timeline,
        )
        .put(
            "/api/v1/customers/{external_id}/follow-up",
            Own(WorkCases),
            set_follow_up,
        )
        .delete(
            "/api/v1/customers/{external_id}/follow-up",
            Own(WorkCases),
            clear_follow_up,
        )
}

#[utoipa::path(post, path = "/api/v1/customers", operation_id = "upsertCustomer", tag = "customers", request_body = CustomerFieldsSchema,
    security(("api_key" = [])),
    responses((status = 200, description = "created or updated", body = Customer),
              (status = 422, description = "invalid field", body = Problem)))]
pub async fn upsert(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<CustomerFields>,
) -> ApiResult<Json<Customer>> {
    let input = body.value.parse("")?;
    let customer = state
        .store
        .customers()
        .upsert(caller.workspace_id, &input)
        .await?;
    Ok(Json(customer.into()))
}

#[utoipa::path(get, path = "/api/v1/customers/{external_id}", operation_id = "getCustomer", tag = "customers",
    params(("external_id" = String, Path, description = "your id for the customer")),
    security(("api_key" = [])),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<Customer>> {
    reachable_customer(&state, &caller, &external_id).await?;
    state
        .store
        .customers()
        .by_external_id(caller.workspace_id, &external_id)
        .await?
        .map(|c| Json(c.into()))
        .ok_or_else(|| ApiError::not_found(format!("no customer with external_id {external_id:?}")))
}

/// `PUT /api/v1/customers/{external_id}/follow-up`'s body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    /// What to raise at the next contact (1–1000 characters).
    pub note: String,
}

/// The customer record: NPS history, cases with notes, engagements, the follow-up flag and
/// one merged event list (newest first; bounded, see the schema).
#[utoipa::path(get, path = "/api/v1/customers/{external_id}/timeline", operation_id = "getCustomerTimeline", tag = "customers",
    params(("external_id" = String, Path, description = "your id for the customer")),
    security(("api_key" = [])),
    responses((status = 200, body = Timeline), (status = 404, body = Problem)))]
pub async fn timeline(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<Timeline>> {
    reachable_customer(&state, &caller, &external_id).await?;
    state
        .store
        .timelines()
        .of_customer(caller.workspace_id, &external_id)
        .await?
        .map(|t| Json(t.into()))
        .ok_or_else(|| ApiError::not_found(format!("no customer with external_id {external_id:?}")))
}

/// Flags the customer "follow up at next contact" (replacing any earlier note).
#[utoipa::path(put, path = "/api/v1/customers/{external_id}/follow-up", operation_id = "setCustomerFollowUp", tag = "customers",
    params(("external_id" = String, Path, description = "your id for the customer")),
    request_body = FollowUpBody, security(("api_key" = [])),
    responses((status = 200, body = FollowUp), (status = 404, body = Problem),
              (status = 422, description = "empty or too long note", body = Problem)))]
pub async fn set_follow_up(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
    body: super::replace::FullJson<FollowUpBody>,
) -> ApiResult<Json<FollowUp>> {
    reachable_customer(&state, &caller, &external_id).await?;
    let flag = state
        .store
        .timelines()
        .set_follow_up(caller.workspace_id, &external_id, &body.value.note)
        .await?;
    Ok(Json(flag.into()))
}

/// Clears the flag (also when it was not set).
#[utoipa::path(delete, path = "/api/v1/customers/{external_id}/follow-up", operation_id = "clearCustomerFollowUp", tag = "customers",
    params(("external_id" = String, Path, description = "your id for the customer")),
    security(("api_key" = [])),
    responses((status = 204, description = "cleared"), (status = 404, body = Problem)))]
pub async fn clear_follow_up(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<StatusCode> {
    reachable_customer(&state, &caller, &external_id).await?;
    state
        .store
        .timelines()
        .clear_follow_up(caller.workspace_id, &external_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub id: i64,
    pub workspace_id: i64,
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<Language>,
    pub attributes: BTreeMap<String, String>,
    pub account_manager: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the customer unsubscribed; from then on nothing is sent to them.
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

impl From<store::models::Customer> for Customer {
    fn from(x: store::models::Customer) -> Self {
        Self {
            id: x.id,
            workspace_id: x.workspace_id,
            external_id: x.external_id,
            name: x.name,
            email: x.email,
            phone: x.phone,
            language: x.language.map(Into::into),
            attributes: x
                .attributes
                .into_iter()
                .map(|(k, v)| (k.into(), v))
                .collect(),
            account_manager: x.account_manager,
            created_at: x.created_at,
            updated_at: x.updated_at,
            unsubscribed_at: x.unsubscribed_at,
        }
    }
}

/// Everything about one customer. Lists are newest first and bounded: the newest
/// [`TIMELINE_ANSWERS`] answers, [`TIMELINE_CASES`] cases with up to [`TIMELINE_NOTES`]
/// notes between them, and [`TIMELINE_ENGAGEMENTS`] engagements; `events` merges those.
/// `nps` and `nps_answers` count every NPS answer the customer ever gave.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub customer: Customer,
    pub follow_up: Option<FollowUp>,
    /// The customer's NPS over all their NPS answers (−100 to 100).
    pub nps: Option<f64>,
    pub nps_answers: u64,
    /// Their latest NPS score.
    pub latest_score: Option<u8>,
    pub answers: Vec<TimelineAnswer>,
    pub cases: Vec<TimelineCase>,
    pub engagements: Vec<TimelineEngagement>,
    pub events: Vec<TimelineEvent>,
}

impl From<store::insight::timeline::Timeline> for Timeline {
    fn from(x: store::insight::timeline::Timeline) -> Self {
        Self {
            customer: x.customer.into(),
            follow_up: x.follow_up.map(Into::into),
            nps: x.nps,
            nps_answers: x.nps_answers,
            latest_score: x.latest_score,
            answers: x.answers.into_iter().map(Into::into).collect(),
            cases: x.cases.into_iter().map(Into::into).collect(),
            engagements: x.engagements.into_iter().map(Into::into).collect(),
            events: x.events.into_iter().map(Into::into).collect(),
        }
    }
}

/// One answer of the customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineAnswer {
    pub id: i64,
    pub answered_at: DateTime<Utc>,
    pub survey_slug: String,
    pub survey_name: String,
    pub survey_kind: SurveyKind,
    pub score: u8,
    /// Promoter, passive or detractor; `None` for CSAT answers (a 1–5 scale).
    pub category: Option<Category>,
    pub comment: Option<String>,
    pub channel: String,
    /// The case it opened, else the one it joined; without one, `POST
    /// /api/v1/answers/{id}/messages` opens one to write to the customer.
    pub case_id: Option<i64>,
}

impl From<store::insight::timeline::TimelineAnswer> for TimelineAnswer {
    fn from(x: store::insight::timeline::TimelineAnswer) -> Self {
        Self {
            id: x.id,
            answered_at: x.answered_at,
            survey_slug: x.survey_slug,
            survey_name: x.survey_name,
            survey_kind: x.survey_kind.into(),
            score: x.score,
            category: x.category.map(Into::into),
            comment: x.comment,
            channel: x.channel,
            case_id: x.case_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineNote {
    pub id: i64,
    pub case_id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<store::insight::timeline::TimelineNote> for TimelineNote {
    fn from(x: store::insight::timeline::TimelineNote) -> Self {
        Self {
            id: x.id,
            case_id: x.case_id,
            author: x.author,
            body: x.body,
            created_at: x.created_at,
        }
    }
}

/// One case of the customer, with its notes (newest first).
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineCase {
    pub id: i64,
    /// The score that opened the case (the "before").
    pub score: u8,
    pub priority: String,
    /// open, contacted, resolved or closed.
    pub status: String,
    pub assignee: String,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: DateTime<Utc>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    /// recovered, not_recovered or unreachable, once known.
    pub outcome: Option<String>,
    pub compensation: Option<String>,
    /// The score of the re-survey after resolution (the "after"), when there was one.
    pub resurvey_score: Option<u8>,
    /// Still waiting for a first contact after its SLA ran out.
    pub overdue: bool,
    pub notes: Vec<TimelineNote>,
}

impl From<store::insight::timeline::TimelineCase> for TimelineCase {
    fn from(x: store::insight::timeline::TimelineCase) -> Self {
        Self {
            id: x.id,
            score: x.score,
            priority: x.priority,
            status: x.status,
            assignee: x.assignee,
            created_at: x.created_at,
            sla_due_at: x.sla_due_at,
            first_contact_at: x.first_contact_at,
            resolved_at: x.resolved_at,
            closed_at: x.closed_at,
            escalated_at: x.escalated_at,
            outcome: x.outcome,
            compensation: x.compensation,
            resurvey_score: x.resurvey_score,
            overdue: x.overdue,
            notes: x.notes.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEngagement {
    pub id: i64,
    pub answer_id: i64,
    /// thank_you, discount_code, review_request, panel_invitation, reward, vip_membership.
    pub kind: String,
    /// queued, sent, accepted, …
    pub status: String,
    pub discount_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::insight::timeline::TimelineEngagement> for TimelineEngagement {
    fn from(x: store::insight::timeline::TimelineEngagement) -> Self {
        Self {
            id: x.id,
            answer_id: x.answer_id,
            kind: x.kind,
            status: x.status,
            discount_code: x.discount_code,
            created_at: x.created_at,
            updated_at: x.updated_at,
        }
    }
}

/// One thing that happened, for a merged "what happened" list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    /// answered, score_changed, case_opened, note_added, case_contacted, case_escalated, case_resolved,
    /// case_closed, engagement_queued, engagement_{status} (e.g. engagement_sent),
    /// follow_up_set.
    pub kind: String,
    /// One line in English, e.g. "Answered 3 to Onboarding".
    pub summary: String,
    pub answer_id: Option<i64>,
    pub case_id: Option<i64>,
    pub engagement_id: Option<i64>,
}

impl From<store::insight::timeline::TimelineEvent> for TimelineEvent {
    fn from(x: store::insight::timeline::TimelineEvent) -> Self {
        Self {
            at: x.at,
            kind: x.kind,
            summary: x.summary,
            answer_id: x.answer_id,
            case_id: x.case_id,
            engagement_id: x.engagement_id,
        }
    }
}

/// "Follow up at next contact": shown to anyone who talks to the customer until cleared.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUp {
    pub note: String,
    pub set_at: DateTime<Utc>,
}

impl From<store::insight::timeline::FollowUp> for FollowUp {
    fn from(x: store::insight::timeline::FollowUp) -> Self {
        Self {
            note: x.note,
            set_at: x.set_at,
        }
    }
}

/// The documented shape of `advocate_core::customer::CustomerFields`, which the handlers
/// parse (core holds the one parser the API and the CLI share; the schema is the API's).
#[derive(ToSchema)]
#[schema(as = CustomerFields)]
#[allow(dead_code)]
pub struct CustomerFieldsSchema {
    /// Your id for this customer (CRM id, account number); unique in the workspace.
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Preferred language, e.g. "nb" or "de-AT".
    pub language: Option<String>,
    /// Segment attributes to break NPS down by, e.g. {"plan": "premium"}; merged into
    /// the stored ones.
    #[schema(required = false)]
    pub attributes: BTreeMap<String, String>,
    /// Who follows this customer up.
    pub account_manager: Option<String>,
}

/// An agent's personal key reaches only the customers they manage or have a case of;
/// anyone else's is answered as if they did not exist, as the pages do.
async fn reachable_customer(
    state: &AppState,
    caller: &ApiCaller,
    external_id: &str,
) -> ApiResult<()> {
    let Some(me) = caller.only_own() else {
        return Ok(());
    };
    if state
        .store
        .timelines()
        .customer_owned_by(caller.workspace_id, external_id, me)
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "no customer with external_id {external_id:?}"
        )))
    }
}
