//! How a survey is sent (`/surveys/{id}/sending`): its schedules (recurring relationship
//! surveys, each customer asked once per cycle) and event triggers (transactional
//! surveys, sent a while after an event such as `order_delivered`), with each schedule's
//! last and next run; creating, editing, pausing, resuming and deleting a schedule;
//! creating and deleting a trigger. A form is turned into the API's body and checked by
//! the API's own functions, so the page refuses what `/api/v1/schedules` and
//! `/api/v1/event-triggers` refuse, in the same words; a refused form changes nothing and
//! comes back (422) with what was typed and the message by its field. Changes are in the
//! audit log, field by field where a schedule changed.

use super::editor::Choice;
use super::{status_text, survey_of};
use crate::api::invitations::{schedule_input, trigger_input, ScheduleBody, TriggerBody};
use crate::api::replace::{audited, changes};
use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, when, workspace_of, PageError};
use crate::state::AppState;
use advocate_core::period::{date_of_day, day_of};
use advocate_core::Permission::Configure;
use advocate_core::SurveyStatus;
use advocate_store::invitations::{EventTrigger, Schedule, MAX_DELAY_MINUTES};
use advocate_store::models::Survey;
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// Channels a schedule may send on, and a trigger (a trigger may also hand out a web link).
const SCHEDULE_CHANNELS: [(&str, &str); 2] = [("email", "Email"), ("sms", "SMS")];
const TRIGGER_CHANNELS: [(&str, &str); 3] = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("web", "Web link (in the event's answer, for your own page)"),
];
/// Units of a trigger's delay, in minutes.
const UNITS: [(&str, &str, i64); 3] = [
    ("minutes", "minutes", 1),
    ("hours", "hours", 60),
    ("days", "days", 24 * 60),
];

/// A schedule's form (the new one, or one schedule's edit form): what it shows, and the
/// message of a refused field by the field's name.
pub struct ScheduleForm {
    /// Prefix of its inputs' ids: `new-schedule` or `schedule-7`.
    pub prefix: String,
    pub action: String,
    pub channels: Vec<Choice>,
    pub every_days: String,
    pub sample_percent: String,
    pub errors: BTreeMap<&'static str, String>,
}

/// The new-trigger form.
pub struct TriggerForm {
    pub event: String,
    pub channels: Vec<Choice>,
    pub delay: String,
    pub units: Vec<Choice>,
    pub sample_percent: String,
    pub errors: BTreeMap<&'static str, String>,
}

impl ScheduleForm {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
    pub fn refused(&self) -> bool {
        !self.errors.is_empty()
    }
}

impl TriggerForm {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
    pub fn refused(&self) -> bool {
        !self.errors.is_empty()
    }
}

pub struct ScheduleView {
    pub id: i64,
    pub channel: String,
    pub every_days: u32,
    pub sample_percent: u8,
    pub active: bool,
    pub last_run: String,
    pub next_run: String,
    pub created: String,
    pub form: ScheduleForm,
}

pub struct TriggerView {
    pub id: i64,
    pub event: String,
    pub channel: String,
    pub delay: String,
    pub sample_percent: u8,
    pub active: bool,
    pub created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey_sending.html")]
pub struct SendingPage {
    pub workspace: String,
    pub user: String,
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub closed: bool,
    pub can_edit: bool,
    pub notice: String,
    pub schedules: Vec<ScheduleView>,
    pub new_schedule: ScheduleForm,
    pub triggers: Vec<TriggerView>,
    pub new_trigger: TriggerForm,
    /// How a developer sends an event, with the first trigger's name (or an example).
    pub event_example: String,
}

impl SendingPage {
    /// Whether any form on the page was refused (the page says so at its top).
    pub fn refused(&self) -> bool {
        self.new_schedule.refused()
            || self.new_trigger.refused()
            || self.schedules.iter().any(|s| s.form.refused())
    }
}

fn choices(all: &[(&'static str, &'static str)], selected: &str) -> Vec<Choice> {
    all.iter()
        .map(|&(value, label)| Choice {
            value,
            label,
            selected: value == selected,
        })
        .collect()
}

fn unit_choices(selected: &str) -> Vec<Choice> {
    UNITS
        .iter()
        .map(|&(value, label, _)| Choice {
            value,
            label,
            selected: value == selected,
        })
        .collect()
}

/// A posted value, trimmed.
fn posted<'f>(form: &'f HashMap<String, String>, key: &str) -> &'f str {
    form.get(key).map_or("", |v| v.trim())
}

/// A refused form: which one, what was typed, and the message by its field.
struct Refusal<'a> {
    /// `new-schedule`, `schedule-{id}` or `new-trigger`.
    form: String,
    typed: &'a HashMap<String, String>,
    field: &'static str,
    message: String,
}

/// The field a refusal from the API's checks is about: the checks name it first
/// (`every_days must be …`, `channel: …`, `event "x" already triggers …`).
fn field_of(message: &str) -> &'static str {
    for (key, field) in [
        ("every_days", "every_days"),
        ("sample_percent", "sample_percent"),
        ("delay", "delay"),
        ("event", "event"),
        ("channel", "channel"),
    ] {
        if message.starts_with(key) {
            return field;
        }
    }
    if message.contains("channel") {
        "channel"
    } else {
        "form"
    }
}

/// A schedule as its `PUT` body would describe it.
fn body_of(s: &Schedule, survey: &Survey) -> ScheduleBody {
    ScheduleBody {
        survey: survey.slug.clone(),
        channel: s.channel.as_str().to_owned(),
        every_days: s.every_days,
        sample_percent: Some(s.sample_percent),
        active: Some(s.active),
    }
}

/// When a schedule runs next: the worker runs each active schedule once a UTC day (within
/// seconds of midnight, or of its creation).
fn next_run(s: &Schedule, today: chrono::NaiveDate) -> String {
    if !s.active {
        return "Paused".into();
    }
    match s.last_run_on {
        Some(last) if last >= today => format!("{} (UTC)", today + Duration::days(1)),
        _ => "Today, within a minute".into(),
    }
}

/// A delay in the largest unit it is a whole number of.
fn delay_text(minutes: u32) -> String {
    let m = i64::from(minutes);
    if m == 0 {
        return "At once".into();
    }
    let (n, unit) = UNITS
        .iter()
        .rev()
        .find(|(_, _, size)| m % size == 0)
        .map_or((m, "minutes"), |&(_, unit, size)| (m / size, unit));
    if n == 1 {
        format!("1 {}", unit.trim_end_matches('s'))
    } else {
        format!("{n} {unit}")
    }
}

fn schedule_form(
    prefix: String,
    action: String,
    channel: &str,
    every: &str,
    sample: &str,
) -> ScheduleForm {
    ScheduleForm {
        prefix,
        action,
        channels: choices(&SCHEDULE_CHANNELS, channel),
        every_days: every.to_owned(),
        sample_percent: sample.to_owned(),
        errors: BTreeMap::new(),
    }
}

/// A refused schedule form: the typed values over the form, the message by its field.
fn refuse_schedule(form: &mut ScheduleForm, r: &Refusal<'_>) {
    if r.form != form.prefix {
        return;
    }
    let t = |k: &str| posted(r.typed, k).to_owned();
    form.channels = choices(&SCHEDULE_CHANNELS, &t("channel"));
    form.every_days = t("every_days");
    form.sample_percent = t("sample_percent");
    form.errors.insert(r.field, r.message.clone());
}

async fn page(
    state: &AppState,
    who: &SignedIn,
    survey: &Survey,
    refusal: Option<Refusal<'_>>,
    notice: String,
) -> Result<SendingPage, PageError> {
    let ws = who.workspace_id;
    let today = date_of_day(day_of(Utc::now()));
    let base = format!("/surveys/{}", survey.id);
    let mut schedules: Vec<ScheduleView> = state
        .store
        .schedules()
        .list(ws)
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|s| s.survey_id == survey.id)
        .map(|s| {
            let mut form = schedule_form(
                format!("schedule-{}", s.id),
                format!("{base}/schedules/{}", s.id),
                s.channel.as_str(),
                &s.every_days.to_string(),
                &s.sample_percent.to_string(),
            );
            if let Some(r) = &refusal {
                refuse_schedule(&mut form, r);
            }
            ScheduleView {
                id: s.id,
                channel: s.channel.as_str().to_uppercase(),
                every_days: s.every_days,
                sample_percent: s.sample_percent,
                active: s.active,
                last_run: s
                    .last_run_on
                    .map_or_else(|| "Not yet".to_owned(), |d| format!("{d} (UTC)")),
                next_run: next_run(&s, today),
                created: when(s.created_at),
                form,
            }
        })
        .collect();
    schedules.sort_by_key(|s| s.id);
    let triggers: Vec<TriggerView> = state
        .store
        .triggers()
        .list(ws)
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|t| t.survey_id == survey.id)
        .map(|t| TriggerView {
            id: t.id,
            event: t.event.as_str().to_owned(),
            channel: t.channel.as_str().to_uppercase(),
            delay: delay_text(t.delay_minutes),
            sample_percent: t.sample_percent,
            active: t.active,
            created: when(t.created_at),
        })
        .collect();
    let mut new_schedule = schedule_form(
        "new-schedule".into(),
        format!("{base}/schedules"),
        "email",
        "90",
        "100",
    );
    let mut new_trigger = TriggerForm {
        event: String::new(),
        channels: choices(&TRIGGER_CHANNELS, "email"),
        delay: "0".into(),
        units: unit_choices("hours"),
        sample_percent: "100".into(),
        errors: BTreeMap::new(),
    };
    if let Some(r) = &refusal {
        refuse_schedule(&mut new_schedule, r);
        if r.form == "new-trigger" {
            let t = |k: &str| posted(r.typed, k).to_owned();
            new_trigger.event = t("event");
            new_trigger.channels = choices(&TRIGGER_CHANNELS, &t("channel"));
            new_trigger.delay = t("delay");
            new_trigger.units = unit_choices(&t("delay_unit"));
            new_trigger.sample_percent = t("sample_percent");
            new_trigger.errors.insert(r.field, r.message.clone());
        }
    }
    let event = triggers
        .first()
        .map_or("order_delivered", |t| t.event.as_str());
    let event_example = format!(
        "curl -X POST {}/api/v1/events \\\n  -H \"Authorization: Bearer $ADVOCATE_API_KEY\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{{\"name\": \"{event}\", \"customer\": {{\"external_id\": \"c-1001\", \"email\": \"ada@example.com\"}}}}'",
        state.store.public_url().trim_end_matches('/')
    );
    Ok(SendingPage {
        workspace: workspace_of(state, ws).await?.name,
        user: who.email.clone(),
        id: survey.id,
        name: survey.name.clone(),
        status: status_text(survey.status),
        status_class: survey.status.as_str(),
        closed: survey.status != SurveyStatus::Active,
        can_edit: who.role.grants(Configure),
        notice,
        schedules,
        new_schedule,
        triggers,
        new_trigger,
        event_example,
    })
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn notice_text(done: Option<&str>) -> String {
    match done {
        Some("schedule-created") => "Schedule created: it asks today's share of customers within a minute, and each day after.",
        Some("schedule-saved") => "Schedule saved.",
        Some("schedule-paused") => "Schedule paused: nobody is asked by it until you resume it.",
        Some("schedule-resumed") => "Schedule resumed.",
        Some("schedule-deleted") => "Schedule deleted. Invitations it already made are kept.",
        Some("trigger-created") => "Trigger created: the next event of that name invites its customer.",
        Some("trigger-deleted") => "Trigger deleted. Invitations it already made are kept.",
        _ => "",
    }
    .to_owned()
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> Result<SendingPage, PageError> {
    let survey = survey_of(&state, &who, &id).await?;
    page(&state, &who, &survey, None, notice_text(q.done.as_deref())).await
}

/// The page again, 422, with the refused form as typed and its message.
async fn refused(state: &AppState, who: &SignedIn, survey: &Survey, r: Refusal<'_>) -> Response {
    match page(state, who, survey, Some(r), String::new()).await {
        Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A refusal of the API's checks (422, 409 or a survey that is gone) as the page's, else
/// the failure it is.
fn refusal_of<'a>(
    e: ApiError,
    form: &str,
    typed: &'a HashMap<String, String>,
) -> Result<Refusal<'a>, PageError> {
    if e.status.is_client_error() {
        Ok(Refusal {
            form: form.to_owned(),
            typed,
            field: field_of(&e.detail),
            message: e.detail,
        })
    } else {
        Err(PageError::api(e))
    }
}

fn refusal<'a>(
    form: &str,
    typed: &'a HashMap<String, String>,
    field: &'static str,
    message: String,
) -> Refusal<'a> {
    Refusal {
        form: form.to_owned(),
        typed,
        field,
        message,
    }
}

/// A whole number typed in a form, in `lo..=hi`; else the store's words for it.
fn number(
    typed: &str,
    field: &'static str,
    lo: i64,
    hi: i64,
) -> Result<i64, (&'static str, String)> {
    match typed.parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        Ok(n) => Err((
            field,
            format!("{field} must be between {lo} and {hi}; got {n}"),
        )),
        Err(_) => Err((
            field,
            format!("{field} must be a whole number between {lo} and {hi}; got {typed:?}"),
        )),
    }
}

/// The schedule form as the API's body (the survey is the page's; `active` is kept).
fn schedule_body(
    form: &HashMap<String, String>,
    survey: &Survey,
    active: bool,
) -> Result<ScheduleBody, (&'static str, String)> {
    let every_days = number(posted(form, "every_days"), "every_days", 1, 3650)?;
    let sample_percent = match posted(form, "sample_percent") {
        "" => None,
        s => Some(number(s, "sample_percent", 1, 100)?),
    };
    Ok(ScheduleBody {
        survey: survey.slug.clone(),
        channel: posted(form, "channel").to_owned(),
        every_days: u32::try_from(every_days).unwrap_or_default(),
        sample_percent: sample_percent.map(|n| u8::try_from(n).unwrap_or_default()),
        active: Some(active),
    })
}

/// What the audit log says of a schedule.
fn describe(b: &ScheduleBody) -> String {
    format!(
        "survey {}, {} every {} days, {}% of those due, {}",
        b.survey,
        b.channel,
        b.every_days,
        b.sample_percent.unwrap_or(100),
        if b.active == Some(false) {
            "paused"
        } else {
            "active"
        }
    )
}

pub async fn create_schedule(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let survey = match survey_of(&state, &who, &id).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    const FORM: &str = "new-schedule";
    let body = match schedule_body(&form, &survey, true) {
        Ok(b) => b,
        Err((field, message)) => {
            return refused(&state, &who, &survey, refusal(FORM, &form, field, message)).await
        }
    };
    let input = match schedule_input(&state, who.workspace_id, body.clone()).await {
        Ok(i) => i,
        Err(e) => {
            return match refusal_of(e, FORM, &form) {
                Ok(r) => refused(&state, &who, &survey, r).await,
                Err(e) => e.into_response(),
            }
        }
    };
    match state
        .store
        .schedules()
        .create(who.workspace_id, &input)
        .await
    {
        Ok(s) => audited(
            format!(
                "created schedule {}: {}",
                s.id,
                describe(&body_of(&s, &survey))
            ),
            Redirect::to(&format!(
                "/surveys/{}/sending?done=schedule-created",
                survey.id
            )),
        ),
        Err(StoreError::Invalid(message)) => {
            let r = refusal(FORM, &form, field_of(&message), message);
            refused(&state, &who, &survey, r).await
        }
        Err(e) => internal(e).into_response(),
    }
}

const NO_SCHEDULE: PageError = PageError(
    StatusCode::NOT_FOUND,
    "There is no such schedule for this survey.",
);

/// The survey of the path and its schedule; another survey's or workspace's is not found.
async fn survey_and_schedule(
    state: &AppState,
    who: &SignedIn,
    survey: &str,
    schedule: &str,
) -> Result<(Survey, Schedule), PageError> {
    let survey = survey_of(state, who, survey).await?;
    let schedule = schedule_of(state, who, &survey, schedule).await?;
    Ok((survey, schedule))
}

/// A schedule of this survey; another survey's or workspace's is not found.
async fn schedule_of(
    state: &AppState,
    who: &SignedIn,
    survey: &Survey,
    raw: &str,
) -> Result<Schedule, PageError> {
    let id: i64 = raw.parse().map_err(|_| NO_SCHEDULE)?;
    state
        .store
        .schedules()
        .list(who.workspace_id)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|s| s.id == id && s.survey_id == survey.id)
        .ok_or(NO_SCHEDULE)
}

/// Replaces a schedule with `body`, audited as its changes; a refusal comes back as the
/// page with the form's message.
async fn save_schedule(
    state: &AppState,
    who: &SignedIn,
    survey: &Survey,
    before: &Schedule,
    body: ScheduleBody,
    (form_id, typed): (&str, &HashMap<String, String>),
    done: &str,
) -> Response {
    let input = match schedule_input(state, who.workspace_id, body).await {
        Ok(i) => i,
        Err(e) => {
            return match refusal_of(e, form_id, typed) {
                Ok(r) => refused(state, who, survey, r).await,
                Err(e) => e.into_response(),
            }
        }
    };
    match state
        .store
        .schedules()
        .update(who.workspace_id, before.id, &input)
        .await
    {
        Ok(after) => audited(
            changes(&body_of(before, survey), &body_of(&after, survey)),
            Redirect::to(&format!("/surveys/{}/sending?done={done}", survey.id)),
        ),
        Err(StoreError::Invalid(message)) => {
            let r = refusal(form_id, typed, field_of(&message), message);
            refused(state, who, survey, r).await
        }
        Err(StoreError::NotFound(_)) => NO_SCHEDULE.into_response(),
        Err(e) => internal(e).into_response(),
    }
}

/// Edits a schedule's channel, cycle and sample; whether it is paused stays as it is.
pub async fn save(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path((id, schedule)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (survey, before) = match survey_and_schedule(&state, &who, &id, &schedule).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let form_id = format!("schedule-{}", before.id);
    let body = match schedule_body(&form, &survey, before.active) {
        Ok(b) => b,
        Err((field, message)) => {
            let r = refusal(&form_id, &form, field, message);
            return refused(&state, &who, &survey, r).await;
        }
    };
    save_schedule(
        &state,
        &who,
        &survey,
        &before,
        body,
        (&form_id, &form),
        "schedule-saved",
    )
    .await
}

/// Pauses (`active=0`) or resumes (`active=1`) a schedule; nothing else changes.
pub async fn set_active(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path((id, schedule)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (survey, before) = match survey_and_schedule(&state, &who, &id, &schedule).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let active = match posted(&form, "active") {
        "1" => true,
        "0" => false,
        _ => {
            return PageError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Say whether the schedule is active: 1 or 0. Nothing was changed.",
            )
            .into_response()
        }
    };
    let body = ScheduleBody {
        active: Some(active),
        ..body_of(&before, &survey)
    };
    let done = if active {
        "schedule-resumed"
    } else {
        "schedule-paused"
    };
    let empty = HashMap::new();
    let form_id = format!("schedule-{}", before.id);
    save_schedule(
        &state,
        &who,
        &survey,
        &before,
        body,
        (&form_id, &empty),
        done,
    )
    .await
}

pub async fn delete_schedule(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path((id, schedule)): Path<(String, String)>,
) -> Response {
    let (survey, before) = match survey_and_schedule(&state, &who, &id, &schedule).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    match state
        .store
        .schedules()
        .delete(who.workspace_id, before.id)
        .await
    {
        Ok(()) => audited(
            format!(
                "deleted schedule {}: {}",
                before.id,
                describe(&body_of(&before, &survey))
            ),
            Redirect::to(&format!(
                "/surveys/{}/sending?done=schedule-deleted",
                survey.id
            )),
        ),
        Err(StoreError::NotFound(_)) => NO_SCHEDULE.into_response(),
        Err(e) => internal(e).into_response(),
    }
}

/// The trigger form as the API's body; the delay in its unit, turned into minutes.
fn trigger_body(
    form: &HashMap<String, String>,
    survey: &Survey,
) -> Result<TriggerBody, (&'static str, String)> {
    let delay = posted(form, "delay");
    let unit = posted(form, "delay_unit");
    let Some(&(_, unit_name, size)) = UNITS.iter().find(|(v, _, _)| *v == unit) else {
        return Err((
            "delay",
            format!("the delay's unit must be minutes, hours or days; got {unit:?}"),
        ));
    };
    let amount = match delay {
        "" => 0,
        d => match d.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                return Err((
                    "delay",
                    format!("delay must be a whole number of {unit_name}, 0 or more; got {d:?}"),
                ))
            }
        },
    };
    let minutes = amount.saturating_mul(size);
    let delay_minutes = match u32::try_from(minutes) {
        Ok(m) => m,
        Err(_) => {
            return Err((
                "delay",
                format!(
                    "delay_minutes must be at most {MAX_DELAY_MINUTES} (90 days); got {minutes}"
                ),
            ))
        }
    };
    let sample_percent = match posted(form, "sample_percent") {
        "" => None,
        s => Some(number(s, "sample_percent", 1, 100)?),
    };
    Ok(TriggerBody {
        event: posted(form, "event").to_owned(),
        survey: survey.slug.clone(),
        channel: posted(form, "channel").to_owned(),
        delay_minutes: Some(delay_minutes),
        sample_percent: sample_percent.map(|n| u8::try_from(n).unwrap_or_default()),
        active: Some(true),
    })
}

fn describe_trigger(t: &EventTrigger, survey: &Survey) -> String {
    format!(
        "event {} → survey {} by {}, {} after, {}% of events",
        t.event.as_str(),
        survey.slug,
        t.channel.as_str(),
        delay_text(t.delay_minutes).to_lowercase(),
        t.sample_percent
    )
}

pub async fn create_trigger(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let survey = match survey_of(&state, &who, &id).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    const FORM: &str = "new-trigger";
    let body = match trigger_body(&form, &survey) {
        Ok(b) => b,
        Err((field, message)) => {
            return refused(&state, &who, &survey, refusal(FORM, &form, field, message)).await
        }
    };
    let made = match trigger_input(&state, who.workspace_id, body).await {
        Ok(input) => state
            .store
            .triggers()
            .create(who.workspace_id, &input)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match made {
        Ok(t) => audited(
            format!(
                "created event trigger {}: {}",
                t.id,
                describe_trigger(&t, &survey)
            ),
            Redirect::to(&format!(
                "/surveys/{}/sending?done=trigger-created",
                survey.id
            )),
        ),
        Err(e) => match refusal_of(e, FORM, &form) {
            Ok(r) => refused(&state, &who, &survey, r).await,
            Err(e) => e.into_response(),
        },
    }
}

const NO_TRIGGER: PageError = PageError(
    StatusCode::NOT_FOUND,
    "There is no such event trigger for this survey.",
);

pub async fn delete_trigger(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path((id, trigger)): Path<(String, String)>,
) -> Response {
    let survey = match survey_of(&state, &who, &id).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let Ok(trigger) = trigger.parse::<i64>() else {
        return NO_TRIGGER.into_response();
    };
    let found = match state.store.triggers().list(who.workspace_id).await {
        Ok(all) => all
            .into_iter()
            .find(|t| t.id == trigger && t.survey_id == survey.id),
        Err(e) => return internal(e).into_response(),
    };
    let Some(before) = found else {
        return NO_TRIGGER.into_response();
    };
    match state
        .store
        .triggers()
        .delete(who.workspace_id, before.id)
        .await
    {
        Ok(()) => audited(
            format!(
                "deleted event trigger {}: {}",
                before.id,
                describe_trigger(&before, &survey)
            ),
            Redirect::to(&format!(
                "/surveys/{}/sending?done=trigger-deleted",
                survey.id
            )),
        ),
        Err(StoreError::NotFound(_)) => NO_TRIGGER.into_response(),
        Err(e) => internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_shown_by_the_field_it_names() {
        assert_eq!(
            field_of("every_days must be between 1 and 3650; got 0"),
            "every_days"
        );
        assert_eq!(field_of("channel: unknown channel fax"), "channel");
        assert_eq!(
            field_of("a schedule sends invitations, so its channel must be email or sms"),
            "channel"
        );
        assert_eq!(
            field_of(
                "an event trigger sends invitations, so its channel must be email, sms or web"
            ),
            "channel"
        );
        assert_eq!(field_of("event \"x\" already triggers survey 3"), "event");
        assert_eq!(
            field_of("delay_minutes must be at most 129600 (90 days); got 200000"),
            "delay"
        );
        assert_eq!(field_of("no survey with slug \"x\""), "form");
    }

    #[test]
    fn a_delay_reads_in_its_largest_whole_unit() {
        assert_eq!(delay_text(0), "At once");
        assert_eq!(delay_text(45), "45 minutes");
        assert_eq!(delay_text(60), "1 hour");
        assert_eq!(delay_text(90), "90 minutes");
        assert_eq!(delay_text(3 * 24 * 60), "3 days");
    }
}
