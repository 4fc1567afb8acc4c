//! Invitations and what creates them: `POST /api/v1/invitations` (a list of customers),
//! `POST /api/v1/events` (transactional surveys), schedules, event triggers, the
//! workspace's invitation wording per language, and response rates.

use super::values::{InvitationStatus, SkipReason, Source};
use crate::access::Access::Key;
use crate::error::{ApiError, ApiResult};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Channel;
use advocate_core::Permission::{Configure, Dashboards, Ingest, ReadCustomers};
use advocate_store::business::parse_time;
use advocate_store::invitations::{self};
use advocate_store::models::Survey;
use chrono::{DateTime, Utc};
use utoipa::OpenApi;

mod automation;
mod body;
mod invite;
mod texts;

pub use automation::{
    create_schedule, create_trigger, delete_schedule, delete_trigger, event, patch_schedule,
    schedules, triggers, update_schedule, EventBody, ScheduleBody, TriggerBody,
};
pub(crate) use automation::{schedule_input, trigger_input};
pub use body::{
    EventOutcome, EventTrigger, Invitation, InvitationOutcome, InvitationTextOverrides,
    ResponseRate, Schedule,
};
pub use invite::{
    create, list, rates, show, CreateInvitations, InvitationLink, InvitationsCreated,
};
pub use texts::{get_texts, patch_texts, put_texts};

/// Most customers in one `POST /api/v1/invitations`.
pub const MAX_BATCH: usize = 1000;

#[derive(OpenApi)]
#[openapi(
    paths(invite::create, invite::list, invite::show, invite::rates, automation::event,
        automation::schedules, automation::create_schedule, automation::update_schedule,
        automation::patch_schedule, automation::delete_schedule, automation::triggers,
        automation::create_trigger, automation::delete_trigger, texts::get_texts,
        texts::put_texts, texts::patch_texts),
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
