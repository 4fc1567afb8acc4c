//! Invitations that create themselves: events (`POST /api/v1/events`) and the triggers
//! that answer them, and schedules.

use super::{channel, id_in_path, survey, time};
use super::{EventOutcome, EventTrigger, Schedule};
use crate::api::json::ApiJson;
use crate::api::replace::{audited, changes, merged, FullJson, MergePatch};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::customer::CustomerFields;
use advocate_core::field::label;
use advocate_store::invitations::{NewEvent, ScheduleInput, TriggerInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// What happened, e.g. order_delivered or ticket_closed (letters, digits, _ . -).
    pub name: String,
    /// Who it happened to; fields other than external_id create or update the customer.
    #[schema(value_type = crate::api::customers::CustomerFieldsSchema)]
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

/// A schedule's body checked into the store's input (the app's page checks its form with
/// it too, so both refuse the same things in the same words).
pub(crate) async fn schedule_input(
    state: &AppState,
    ws: i64,
    b: ScheduleBody,
) -> ApiResult<ScheduleInput> {
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

/// A trigger's body checked into the store's input (shared with the app's page).
pub(crate) async fn trigger_input(
    state: &AppState,
    ws: i64,
    b: TriggerBody,
) -> ApiResult<TriggerInput> {
    Ok(TriggerInput {
        event: label("event", &b.event)?,
        survey_id: survey(state, ws, &b.survey).await?.id,
        channel: channel("channel", &b.channel)?,
        delay_minutes: b.delay_minutes.unwrap_or(0),
        sample_percent: b.sample_percent.unwrap_or(100),
        active: b.active.unwrap_or(true),
    })
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
    let input = trigger_input(&state, caller.workspace_id, body.value).await?;
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
