//! Invitations and what creates them: `POST /api/v1/invitations` (a list of customers),
//! `POST /api/v1/events` (transactional surveys), schedules, event triggers, the
//! workspace's invitation wording per language, and response rates.

use super::json::ApiJson;
use super::replace::{audited, changes, merged, FullJson, MergePatch};
use super::values::{InvitationStatus, SkipReason, Source};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::customer::CustomerFields;
use advocate_core::field::{label, language};
use advocate_core::Channel;
use advocate_core::Permission::{Configure, Dashboards, Ingest, ReadCustomers};
use advocate_store::business::parse_time;
use advocate_store::invitations::{
    self, InvitationFilter, InviteRequest, NewEvent, ScheduleInput, TriggerInput,
};
use advocate_store::models::Survey;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, OpenApi, ToSchema};

mod body;
pub use body::{
    EventOutcome, EventTrigger, Invitation, InvitationOutcome, InvitationTextOverrides,
    ResponseRate, Schedule,
};

/// Most customers in one `POST /api/v1/invitations`.
pub const MAX_BATCH: usize = 1000;

#[derive(OpenApi)]
#[openapi(
    paths(create, list, show, rates, event, schedules, create_schedule, update_schedule,
        patch_schedule, delete_schedule, triggers, create_trigger, delete_trigger, get_texts,
        put_texts, patch_texts),
    components(schemas(CreateInvitations, InvitationsCreated, InvitationLink, Invitation,
        InvitationStatus, SkipReason, Source, ResponseRate, EventBody, EventOutcome,
        InvitationOutcome, ScheduleBody, Schedule, TriggerBody, EventTrigger,
        InvitationTextOverrides)),
    tags((name = "invitations", description = "Asking customers on every channel: email with \
        the scale inside, SMS with a short link, identified web links; schedules, events, \
        quiet period, sampling, reminders and response rates."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/invitations", Key(ReadCustomers), list)
        .post("/api/v1/invitations", Key(Ingest), create)
        .get("/api/v1/invitations/response-rates", Key(Dashboards), rates)
        .get("/api/v1/invitations/{id}", Key(ReadCustomers), show)
        .post("/api/v1/events", Key(Ingest), event)
        .get("/api/v1/schedules", Key(Configure), schedules)
        .post("/api/v1/schedules", Key(Configure), create_schedule)
        .put("/api/v1/schedules/{id}", Key(Configure), update_schedule)
        .patch("/api/v1/schedules/{id}", Key(Configure), patch_schedule)
        .delete("/api/v1/schedules/{id}", Key(Configure), delete_schedule)
        .get("/api/v1/event-triggers", Key(Configure), triggers)
        .post("/api/v1/event-triggers", Key(Configure), create_trigger)
        .delete(
            "/api/v1/event-triggers/{id}",
            Key(Configure),
            delete_trigger,
        )
        .get(
            "/api/v1/invitation-texts/{language}",
            Key(Configure),
            get_texts,
        )
        .put(
            "/api/v1/invitation-texts/{language}",
            Key(Configure),
            put_texts,
        )
        .patch(
            "/api/v1/invitation-texts/{language}",
            Key(Configure),
            patch_texts,
        )
}

async fn survey(state: &AppState, workspace_id: i64, slug: &str) -> ApiResult<Survey> {
    state
        .store
        .surveys()
        .by_slug(workspace_id, slug)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no survey with slug {slug:?}")))
}

fn channel(field: &str, raw: &str) -> ApiResult<Channel> {
    let c = Channel::parse(raw).map_err(|e| ApiError::unprocessable(format!("{field}: {e}")))?;
    invitations::check_invitation_channel(c)
        .map_err(|e| ApiError::unprocessable(format!("{field}: {e}")))?;
    Ok(c)
}

fn time(field: &str, raw: Option<&str>) -> ApiResult<Option<DateTime<Utc>>> {
    raw.map(|r| parse_time(field, r).map_err(ApiError::unprocessable))
        .transpose()
}

fn id_in_path(raw: &str, what: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no {what} {raw:?}")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitations {
    /// Slug of the survey to ask.
    pub survey: String,
    /// email, sms or web (a personal link returned here for you to hand out).
    pub channel: String,
    /// When to send (RFC 3339); now when left out.
    pub send_at: Option<String>,
    /// Invite only this share of the eligible customers (1–100, default 100).
    pub sample_percent: Option<u8>,
    /// 1 to 1000 customers; fields other than external_id create or update them.
    #[schema(value_type = Vec<super::customers::CustomerFieldsSchema>)]
    pub customers: Vec<CustomerFields>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationLink {
    #[serde(flatten)]
    pub outcome: InvitationOutcome,
    /// The personal survey link (every invitation that was created has one).
    pub url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationsCreated {
    pub invited: usize,
    pub skipped: usize,
    pub invitations: Vec<InvitationLink>,
}

fn link(state: &AppState, outcome: invitations::InvitationOutcome) -> InvitationLink {
    let url = outcome
        .invitation_id
        .zip(outcome.expires_at)
        .map(|(id, expires)| {
            format!(
                "{}/i/{}",
                state.store.public_url(),
                invitations::invitation_token(&state.signing_key, id, expires)
            )
        });
    InvitationLink {
        outcome: outcome.into(),
        url,
    }
}

#[utoipa::path(post, path = "/api/v1/invitations", operation_id = "createInvitations", tag = "invitations",
    request_body = CreateInvitations, security(("api_key" = [])),
    responses((status = 201, description = "every customer with its outcome: scheduled, sent \
        (web links) or skipped with the reason", body = InvitationsCreated),
        (status = 404, description = "unknown survey", body = Problem),
        (status = 422, description = "invalid field (nothing was stored)", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateInvitations>,
) -> ApiResult<(StatusCode, Json<InvitationsCreated>)> {
    let req = body.value;
    if req.customers.is_empty() || req.customers.len() > MAX_BATCH {
        return Err(ApiError::unprocessable(format!(
            "customers must hold 1 to {MAX_BATCH} customers; got {}",
            req.customers.len()
        )));
    }
    let survey = survey(&state, caller.workspace_id, &req.survey).await?;
    let channel = channel("channel", &req.channel)?;
    if channel == Channel::Widget {
        return Err(ApiError::unprocessable(
            "channel widget cannot be invited through the API: the widget asks visitors itself",
        ));
    }
    let now = Utc::now();
    let send_at = time("send_at", req.send_at.as_deref())?.unwrap_or(now);
    if send_at > now + Duration::days(365) {
        return Err(ApiError::unprocessable(
            "send_at must be within a year from now",
        ));
    }
    let customers = req
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| c.parse(&format!("customers[{i}].")))
        .collect::<Result<Vec<_>, _>>()?;
    let invite = InviteRequest {
        survey_id: survey.id,
        channel,
        source: invitations::Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at: send_at.max(now),
        sample_percent: req.sample_percent.unwrap_or(100),
    };
    let outcomes = state
        .store
        .invitations()
        .invite(caller.workspace_id, &invite, &customers, now)
        .await?;
    let invited = outcomes
        .iter()
        .filter(|o| o.invitation_id.is_some())
        .count();
    Ok((
        StatusCode::CREATED,
        Json(InvitationsCreated {
            invited,
            skipped: outcomes.len() - invited,
            invitations: outcomes.into_iter().map(|o| link(&state, o)).collect(),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only this survey (slug).
    pub survey: Option<String>,
    /// Only this customer (external id).
    pub customer: Option<String>,
    /// scheduled, sent, skipped or cancelled.
    pub status: Option<String>,
    /// 1–500, default 100.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/invitations", operation_id = "listInvitations", tag = "invitations", params(ListParams),
    security(("api_key" = [])),
    responses((status = 200, body = Vec<Invitation>), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<Vec<Invitation>>> {
    let mut filter = InvitationFilter {
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
        ..InvitationFilter::default()
    };
    if !(1..=500).contains(&filter.limit) {
        return Err(ApiError::unprocessable("limit must be between 1 and 500"));
    }
    if let Some(slug) = &q.survey {
        filter.survey_id = Some(survey(&state, caller.workspace_id, slug).await?.id);
    }
    if let Some(ext) = &q.customer {
        let customer = state
            .store
            .customers()
            .by_external_id(caller.workspace_id, ext)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no customer with external_id {ext:?}")))?;
        filter.customer_id = Some(customer.id);
    }
    if let Some(s) = &q.status {
        filter.status = Some(invitations::InvitationStatus::parse(s).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "status must be scheduled, sent, skipped or cancelled; got {s:?}"
            ))
        })?);
    }
    let found = state
        .store
        .invitations()
        .list(caller.workspace_id, &filter)
        .await?;
    Ok(Json(found.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/invitations/{id}", operation_id = "getInvitation", tag = "invitations",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = Invitation), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Invitation>> {
    let id = id_in_path(&id, "invitation")?;
    state
        .store
        .invitations()
        .get(caller.workspace_id, id)
        .await?
        .map(|x| Json(x.into()))
        .ok_or_else(|| ApiError::not_found(format!("no invitation {id}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RateParams {
    /// Start of the period (RFC 3339 or YYYY-MM-DD); 30 days ago when left out.
    pub from: Option<String>,
    /// End of the period (exclusive); now when left out.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateRow {
    /// The survey's slug.
    pub survey: String,
    #[serde(flatten)]
    pub rate: ResponseRate,
}

/// Sent, delivered, opened and answered invitations per survey and channel, counted over
/// the invitations sent in the period.
#[utoipa::path(get, path = "/api/v1/invitations/response-rates", operation_id = "getResponseRates", tag = "invitations",
    params(RateParams), security(("api_key" = [])),
    responses((status = 200, body = Vec<ResponseRate>), (status = 422, body = Problem)))]
pub async fn rates(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<RateParams>,
) -> ApiResult<Json<Vec<RateRow>>> {
    let to = time("to", q.to.as_deref())?;
    let from = time("from", q.from.as_deref())?
        .unwrap_or(to.unwrap_or_else(Utc::now) - Duration::days(30));
    if to.is_some_and(|to| from >= to) {
        return Err(ApiError::unprocessable("from must be before to"));
    }
    let slugs: BTreeMap<i64, String> = state
        .store
        .surveys()
        .list(caller.workspace_id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.slug))
        .collect();
    let rows = state
        .store
        .invitations()
        .response_rates(caller.workspace_id, from, to)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|rate| RateRow {
                survey: slugs.get(&rate.survey_id).cloned().unwrap_or_default(),
                rate: rate.into(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// What happened, e.g. order_delivered or ticket_closed (letters, digits, _ . -).
    pub name: String,
    /// Who it happened to; fields other than external_id create or update the customer.
    #[schema(value_type = super::customers::CustomerFieldsSchema)]
    pub customer: CustomerFields,
    /// Facts about the event, kept with it.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// When it happened (RFC 3339); now when left out. Triggers wait their delay from it.
    pub occurred_at: Option<String>,
    /// Your id for the event: sending it again changes nothing.
    pub external_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/events", operation_id = "recordEvent", tag = "invitations", request_body = EventBody,
    security(("api_key" = [])),
    responses((status = 201, description = "recorded; invitations scheduled by its triggers",
        body = EventOutcome),
        (status = 200, description = "already received (same external_id)", body = EventOutcome),
        (status = 422, body = Problem)))]
pub async fn event(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<EventBody>,
) -> ApiResult<(StatusCode, Json<EventOutcome>)> {
    let b = body.value;
    let now = Utc::now();
    let occurred_at = time("occurred_at", b.occurred_at.as_deref())?.unwrap_or(now);
    if occurred_at > now + Duration::minutes(5) {
        return Err(ApiError::unprocessable(format!(
            "occurred_at {occurred_at} is in the future"
        )));
    }
    let attributes = b
        .attributes
        .iter()
        .map(|(k, v)| {
            Ok((
                label(&format!("attributes.{k}"), k)?,
                advocate_core::field::text(&format!("attributes.{k}"), v, 500)?,
            ))
        })
        .collect::<ApiResult<_>>()?;
    let external_id = b
        .external_id
        .as_deref()
        .map(|e| advocate_core::field::text("external_id", e, 200))
        .transpose()?;
    let new = NewEvent {
        name: label("name", &b.name)?,
        customer: b.customer.parse("customer.")?,
        attributes,
        occurred_at,
        external_id,
    };
    let outcome = state
        .store
        .triggers()
        .record_event(caller.workspace_id, &new, now)
        .await?;
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(outcome.into())))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// Slug of the survey.
    pub survey: String,
    /// email or sms.
    pub channel: String,
    /// Each customer is asked at most once per this many days; the cycle's sends are
    /// spread evenly over its days.
    pub every_days: u32,
    /// Share of the customers due each day to ask (1–100; null or absent on create: 100).
    pub sample_percent: Option<u8>,
    /// null or absent on create: true.
    pub active: Option<bool>,
}

async fn schedule_input(state: &AppState, ws: i64, b: ScheduleBody) -> ApiResult<ScheduleInput> {
    Ok(ScheduleInput {
        survey_id: survey(state, ws, &b.survey).await?.id,
        channel: channel("channel", &b.channel)?,
        every_days: b.every_days,
        sample_percent: b.sample_percent.unwrap_or(100),
        active: b.active.unwrap_or(true),
    })
}

#[utoipa::path(get, path = "/api/v1/schedules", operation_id = "listSchedules", tag = "invitations",
    security(("api_key" = [])), responses((status = 200, body = Vec<Schedule>)))]
pub async fn schedules(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<Schedule>>> {
    let schedules = state.store.schedules().list(caller.workspace_id).await?;
    Ok(Json(schedules.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/schedules", operation_id = "createSchedule", tag = "invitations", request_body = ScheduleBody,
    security(("api_key" = [])),
    responses((status = 201, body = Schedule), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_schedule(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<ScheduleBody>,
) -> ApiResult<(StatusCode, Json<Schedule>)> {
    let input = schedule_input(&state, caller.workspace_id, body.value).await?;
    let schedule = state
        .store
        .schedules()
        .create(caller.workspace_id, &input)
        .await?;
    Ok((StatusCode::CREATED, Json(schedule.into())))
}

/// Replaces a schedule: every field is required.
#[utoipa::path(put, path = "/api/v1/schedules/{id}", operation_id = "replaceSchedule", tag = "invitations",
    params(("id" = i64, Path)), request_body = ScheduleBody, security(("api_key" = [])),
    responses((status = 200, body = Schedule), (status = 404, body = Problem),
        (status = 422, description = "a field missing (each is named; nothing is changed), or \
            a value that is not valid", body = Problem)))]
pub async fn update_schedule(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: FullJson<ScheduleBody>,
) -> ApiResult<Response> {
    let id = id_in_path(&id, "schedule")?;
    save_schedule(&state, &caller, id, body.value).await
}

/// Changes only the fields the body names (JSON merge patch).
#[utoipa::path(patch, path = "/api/v1/schedules/{id}", operation_id = "updateSchedule", tag = "invitations",
    params(("id" = i64, Path)),
    request_body(content = ScheduleBody, content_type = "application/merge-patch+json",
        description = "any subset of the schedule's fields"),
    security(("api_key" = [])),
    responses((status = 200, body = Schedule), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn patch_schedule(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    patch: MergePatch,
) -> ApiResult<Response> {
    let id = id_in_path(&id, "schedule")?;
    let current = current_schedule(&state, caller.workspace_id, id).await?;
    let defaults = ScheduleBody {
        sample_percent: Some(100),
        active: Some(true),
        ..current.clone()
    };
    let body = merged(&current, &patch, Some(&defaults))?;
    save_schedule(&state, &caller, id, body).await
}

/// A schedule as its `PUT` body would describe it.
async fn current_schedule(state: &AppState, ws: i64, id: i64) -> ApiResult<ScheduleBody> {
    let s = state
        .store
        .schedules()
        .list(ws)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no schedule {id}")))?;
    let survey = state
        .store
        .surveys()
        .get(ws, s.survey_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no schedule {id}")))?;
    Ok(ScheduleBody {
        survey: survey.slug.as_str().to_owned(),
        channel: s.channel.as_str().to_owned(),
        every_days: s.every_days,
        sample_percent: Some(s.sample_percent),
        active: Some(s.active),
    })
}

async fn save_schedule(
    state: &AppState,
    caller: &ApiCaller,
    id: i64,
    body: ScheduleBody,
) -> ApiResult<Response> {
    let before = current_schedule(state, caller.workspace_id, id).await?;
    let input = schedule_input(state, caller.workspace_id, body).await?;
    let schedule = state
        .store
        .schedules()
        .update(caller.workspace_id, id, &input)
        .await?;
    let after = current_schedule(state, caller.workspace_id, id).await?;
    Ok(audited(
        changes(&before, &after),
        Json(Schedule::from(schedule)),
    ))
}

#[utoipa::path(delete, path = "/api/v1/schedules/{id}", operation_id = "deleteSchedule", tag = "invitations",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_schedule(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = id_in_path(&id, "schedule")?;
    state
        .store
        .schedules()
        .delete(caller.workspace_id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerBody {
    /// The event name, e.g. order_delivered.
    pub event: String,
    /// Slug of the survey to ask.
    pub survey: String,
    /// email, sms or web.
    pub channel: String,
    /// How long after the event to ask (minutes, at most 90 days; default 0).
    pub delay_minutes: Option<u32>,
    /// Share of events that invite (1–100, default 100).
    pub sample_percent: Option<u8>,
    pub active: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/event-triggers", operation_id = "listEventTriggers", tag = "invitations",
    security(("api_key" = [])), responses((status = 200, body = Vec<EventTrigger>)))]
pub async fn triggers(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<EventTrigger>>> {
    let triggers = state.store.triggers().list(caller.workspace_id).await?;
    Ok(Json(triggers.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/event-triggers", operation_id = "createEventTrigger", tag = "invitations",
    request_body = TriggerBody, security(("api_key" = [])),
    responses((status = 201, body = EventTrigger), (status = 404, body = Problem),
        (status = 409, description = "the event already triggers this survey", body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_trigger(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<TriggerBody>,
) -> ApiResult<(StatusCode, Json<EventTrigger>)> {
    let b = body.value;
    let input = TriggerInput {
        event: label("event", &b.event)?,
        survey_id: survey(&state, caller.workspace_id, &b.survey).await?.id,
        channel: channel("channel", &b.channel)?,
        delay_minutes: b.delay_minutes.unwrap_or(0),
        sample_percent: b.sample_percent.unwrap_or(100),
        active: b.active.unwrap_or(true),
    };
    let trigger = state
        .store
        .triggers()
        .create(caller.workspace_id, &input)
        .await?;
    Ok((StatusCode::CREATED, Json(trigger.into())))
}

#[utoipa::path(delete, path = "/api/v1/event-triggers/{id}", operation_id = "deleteEventTrigger", tag = "invitations",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_trigger(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = id_in_path(&id, "event trigger")?;
    state
        .store
        .triggers()
        .delete(caller.workspace_id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The workspace's invitation wording in a language: only the texts it changed (others
/// are the built-in ones).
#[utoipa::path(get, path = "/api/v1/invitation-texts/{language}", operation_id = "getInvitationTexts", tag = "invitations",
    params(("language" = String, Path, description = "en, nb, sv, da, fi, de or nl")),
    security(("api_key" = [])),
    responses((status = 200, body = InvitationTextOverrides), (status = 422, body = Problem)))]
pub async fn get_texts(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(lang): Path<String>,
) -> ApiResult<Json<InvitationTextOverrides>> {
    let lang = supported(&lang)?;
    Ok(Json(
        state
            .store
            .invitations()
            .text_overrides(caller.workspace_id, &lang)
            .await?
            .into(),
    ))
}

/// Replaces the workspace's invitation wording in a language: every text is required
/// (`null` for the built-in one). `{company}`, `{name}` and (in SMS texts, required)
/// `{link}` are filled in when sending.
#[utoipa::path(put, path = "/api/v1/invitation-texts/{language}", operation_id = "replaceInvitationTexts", tag = "invitations",
    params(("language" = String, Path, description = "en, nb, sv, da, fi, de or nl")),
    request_body = InvitationTextOverrides, security(("api_key" = [])),
    responses((status = 200, body = InvitationTextOverrides),
        (status = 422, description = "a text missing (each is named; nothing is changed), or a \
            text that is not valid", body = Problem)))]
pub async fn put_texts(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(lang): Path<String>,
    body: FullJson<InvitationTextOverrides>,
) -> ApiResult<Response> {
    let lang = supported(&lang)?;
    save_texts(&state, &caller, &lang, body.value.into()).await
}

/// Changes only the texts the body names (JSON merge patch; `null` puts a text back to
/// the built-in one).
#[utoipa::path(patch, path = "/api/v1/invitation-texts/{language}", operation_id = "updateInvitationTexts", tag = "invitations",
    params(("language" = String, Path, description = "en, nb, sv, da, fi, de or nl")),
    request_body(content = InvitationTextOverrides, content_type = "application/merge-patch+json",
        description = "any subset of the texts"),
    security(("api_key" = [])),
    responses((status = 200, body = InvitationTextOverrides), (status = 422, body = Problem)))]
pub async fn patch_texts(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(lang): Path<String>,
    patch: MergePatch,
) -> ApiResult<Response> {
    let lang = supported(&lang)?;
    let current = state
        .store
        .invitations()
        .text_overrides(caller.workspace_id, &lang)
        .await?;
    let texts = merged(&InvitationTextOverrides::from(current), &patch, None)?;
    save_texts(&state, &caller, &lang, texts.into()).await
}

async fn save_texts(
    state: &AppState,
    caller: &ApiCaller,
    lang: &advocate_core::Language,
    texts: advocate_core::invitation::InvitationTextOverrides,
) -> ApiResult<Response> {
    let before = state
        .store
        .invitations()
        .text_overrides(caller.workspace_id, lang)
        .await?;
    state
        .store
        .invitations()
        .set_texts(caller.workspace_id, lang, &texts)
        .await?;
    Ok(audited(
        changes(&before, &texts),
        Json(InvitationTextOverrides::from(texts)),
    ))
}

fn supported(raw: &str) -> ApiResult<advocate_core::Language> {
    let lang = language("language", raw)?;
    if advocate_core::i18n::is_supported(&lang) {
        Ok(lang)
    } else {
        Err(ApiError::unprocessable(format!(
            "language must be one of {}; got {raw:?}",
            advocate_core::i18n::SUPPORTED.join(", ")
        )))
    }
}
