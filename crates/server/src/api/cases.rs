//! Cases: `GET /api/v1/cases`, `GET/PATCH /api/v1/cases/{id}`, `POST
//! /api/v1/cases/{id}/notes`. Changes made through the API are recorded as made by the API
//! key (by its name), on the case's checklist, notes and `case.updated` webhook.

use super::json::ApiJson;
use super::values::{CaseStatus, Outcome, Priority};
use crate::access::Access::Own;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::case::CaseUpdate;
use advocate_core::Permission::{ReadCases, WorkCases};
use advocate_store::closed_loop::cases::{self as store, CaseFilter};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list, show, update, add_note),
    components(schemas(Case, CaseDetail, CaseContact, CasePage, CaseStep, CaseNote, LinkedAnswer, CaseStatus,
        Outcome, CasePatch, StepPatch, NewNote, AssigneeLoad)),
    tags((name = "cases", description = "A detractor's follow-up. Lifecycle: open → contacted → \
        resolved → closed; open → resolved (nobody reached); resolved → open (reopen). Resolving \
        needs an outcome (recovered, not_recovered, unreachable). A closed case only takes notes. \
        A case is overdue while open, without first contact, past its SLA due time."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/cases", Own(ReadCases), list)
        .get("/api/v1/cases/{id}", Own(ReadCases), show)
        .patch("/api/v1/cases/{id}", Own(WorkCases), update)
        .post("/api/v1/cases/{id}/notes", Own(WorkCases), add_note)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// Comma-separated statuses: open, contacted, resolved, closed. Default: all.
    pub status: Option<String>,
    /// Exact assignee (case-insensitive), e.g. an account manager's email.
    pub assignee: Option<String>,
    /// critical, high, medium or normal.
    pub priority: Option<String>,
    /// true: only overdue cases; false: only the others.
    pub overdue: Option<String>,
    /// A customer's external id.
    pub customer: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<String>,
    /// Cases to skip (default 0).
    pub offset: Option<String>,
}

/// Changes to a case; give only what changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePatch {
    /// open, contacted, resolved or closed.
    pub status: Option<String>,
    /// recovered, not_recovered or unreachable; required to resolve.
    pub outcome: Option<String>,
    /// What the customer was given; "" clears it.
    pub compensation: Option<String>,
    pub assignee: Option<String>,
    /// Tick or untick checklist steps.
    pub steps: Option<Vec<StepPatch>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepPatch {
    /// The step's position, as in the case's `steps`.
    pub position: i64,
    pub done: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub body: String,
}

/// Parses the list filters, naming the parameter that is wrong.
pub fn parse_filter(q: &CaseQuery) -> ApiResult<CaseFilter> {
    let statuses = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| {
                advocate_core::case::CaseStatus::parse(s.trim()).ok_or_else(|| {
                    ApiError::unprocessable(format!(
                        "status must be open, contacted, resolved or closed (comma-separated); got {s:?}"
                    ))
                })
            })
            .collect::<ApiResult<_>>()?,
    };
    let priority = q
        .priority
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|p| {
            advocate_core::Priority::parse(p).ok_or_else(|| {
                ApiError::unprocessable(format!(
                    "priority must be critical, high, medium or normal; got {p:?}"
                ))
            })
        })
        .transpose()?;
    let overdue = match q.overdue.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(o) => {
            return Err(ApiError::unprocessable(format!(
                "overdue must be true or false; got {o:?}"
            )))
        }
    };
    let number = |name: &str, v: Option<&str>, default: u32, max: u32| -> ApiResult<u32> {
        match v.filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= max && (name != "limit" || *n >= 1))
                .ok_or_else(|| {
                    ApiError::unprocessable(format!(
                        "{name} must be a whole number from {} to {max}; got {s:?}",
                        u32::from(name == "limit")
                    ))
                }),
        }
    };
    Ok(CaseFilter {
        statuses,
        assignee: q.assignee.clone().filter(|s| !s.is_empty()),
        priority,
        overdue,
        customer: q.customer.clone().filter(|s| !s.is_empty()),
        limit: number("limit", q.limit.as_deref(), 50, 500)?,
        offset: number("offset", q.offset.as_deref(), 0, 1_000_000)?,
    })
}

/// A case id from the path; anything that is not one names no case.
pub fn case_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no case {raw:?}")))
}

/// How changes made with an API key are signed: "API key <name>".
pub(super) async fn actor(state: &AppState, caller: &ApiCaller) -> ApiResult<String> {
    // A personal key acts as its person, as the pages record them.
    if let Some(person) = &caller.person {
        return Ok(person.email.clone());
    }
    let name = state
        .store
        .api_keys()
        .list(caller.workspace_id)
        .await?
        .into_iter()
        .find(|k| k.id == caller.key_id)
        .map_or_else(|| format!("#{}", caller.key_id), |k| k.name);
    Ok(format!("API key {name}"))
}

/// Turns a patch into a store update, naming the field that is wrong.
pub fn parse_patch(p: &CasePatch) -> ApiResult<CaseUpdate> {
    let status = p
        .status
        .as_deref()
        .map(|s| {
            advocate_core::case::CaseStatus::parse(s).ok_or_else(|| {
                ApiError::unprocessable(format!(
                    "status must be open, contacted, resolved or closed; got {s:?}"
                ))
            })
        })
        .transpose()?;
    let outcome = p
        .outcome
        .as_deref()
        .map(|o| {
            advocate_core::case::Outcome::parse(o).ok_or_else(|| {
                ApiError::unprocessable(format!(
                    "outcome must be recovered, not_recovered or unreachable; got {o:?}"
                ))
            })
        })
        .transpose()?;
    Ok(CaseUpdate {
        status,
        outcome,
        compensation: p.compensation.clone(),
        assignee: p.assignee.clone(),
        steps: p
            .steps
            .iter()
            .flatten()
            .map(|s| (s.position, s.done))
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/cases", operation_id = "listCases", tag = "cases", params(CaseQuery),
    security(("api_key" = [])),
    responses((status = 200, description = "soonest SLA due first", body = CasePage),
              (status = 422, description = "a filter is not valid", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<CaseQuery>,
) -> ApiResult<Json<CasePage>> {
    let mut filter = parse_filter(&q)?;
    if let Some(me) = caller.only_own() {
        if filter
            .assignee
            .as_deref()
            .is_some_and(|a| !a.eq_ignore_ascii_case(me))
        {
            return Ok(Json(CasePage {
                cases: Vec::new(),
                total: 0,
            }));
        }
        filter.assignee = Some(me.to_owned());
    }
    Ok(Json(
        state
            .store
            .cases()
            .list(caller.workspace_id, &filter)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", operation_id = "getCase", tag = "cases", params(("id" = i64, Path)),
    security(("api_key" = [])),
    responses((status = 200, body = CaseDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseDetail>> {
    let id = case_id(&id)?;
    state
        .store
        .cases()
        .get(caller.workspace_id, id)
        .await?
        .filter(|c| is_theirs(&caller, &c.case))
        .map(|c| Json(c.into()))
        .ok_or_else(|| ApiError::not_found(format!("no case {id}")))
}

/// Whether the caller reaches this case: an agent's personal key only their own.
fn is_theirs(caller: &ApiCaller, case: &store::Case) -> bool {
    caller
        .only_own()
        .is_none_or(|me| case.assignee.eq_ignore_ascii_case(me))
}

/// The case a request names, once the caller may reach it: an agent's key asking about
/// someone else's case is told it does not exist, as the pages do.
pub(super) async fn reachable_case(
    state: &AppState,
    caller: &ApiCaller,
    raw: &str,
) -> ApiResult<i64> {
    let id = case_id(raw)?;
    if caller.only_own().is_some() {
        match state.store.cases().get(caller.workspace_id, id).await? {
            Some(d) if is_theirs(caller, &d.case) => {}
            _ => return Err(ApiError::not_found(format!("no case {id}"))),
        }
    }
    Ok(id)
}

#[utoipa::path(patch, path = "/api/v1/cases/{id}", operation_id = "updateCase", tag = "cases", params(("id" = i64, Path)),
    request_body = CasePatch, security(("api_key" = [])),
    responses((status = 200, body = CaseDetail), (status = 404, body = Problem),
              (status = 409, description = "the case is closed", body = Problem),
              (status = 422, description = "a transition or value that is not allowed", body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<CasePatch>,
) -> ApiResult<Json<CaseDetail>> {
    let id = reachable_case(&state, &caller, &id).await?;
    let update = parse_patch(&body.value)?;
    let by = actor(&state, &caller).await?;
    let case = state
        .store
        .cases()
        .update(caller.workspace_id, id, &update, &by)
        .await?;
    Ok(Json(case.into()))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", operation_id = "addCaseNote", tag = "cases", params(("id" = i64, Path)),
    request_body = NewNote, security(("api_key" = [])),
    responses((status = 201, body = CaseNote), (status = 404, body = Problem),
              (status = 422, description = "empty or too long", body = Problem)))]
pub async fn add_note(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<NewNote>,
) -> ApiResult<(StatusCode, Json<CaseNote>)> {
    let id = reachable_case(&state, &caller, &id).await?;
    let by = actor(&state, &caller).await?;
    let note = state
        .store
        .cases()
        .add_note(caller.workspace_id, id, &by, &body.value.body)
        .await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}

/// One page of cases, soonest SLA due first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub cases: Vec<Case>,
    /// How many cases match the filter in all.
    pub total: u64,
}

impl From<store::CasePage> for CasePage {
    fn from(x: store::CasePage) -> Self {
        Self {
            cases: x.cases.into_iter().map(Into::into).collect(),
            total: x.total,
        }
    }
}

/// A case as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Case {
    pub id: i64,
    /// `None` for an anonymous respondent.
    pub customer_external_id: Option<String>,
    pub customer_name: Option<String>,
    /// The answer that opened the case.
    pub answer_id: i64,
    pub survey_slug: String,
    pub score: u8,
    /// The comment of the answer that opened the case.
    pub comment: Option<String>,
    pub priority: Priority,
    pub status: CaseStatus,
    pub assignee: String,
    pub language: String,
    /// First contact is due by then: answered at + the priority's SLA hours.
    pub sla_due_at: DateTime<Utc>,
    /// Open, not contacted yet, and past its SLA due time.
    pub overdue: bool,
    pub first_contact_at: Option<DateTime<Utc>>,
    /// Seconds from the case's opening to the first contact.
    pub time_to_first_contact_secs: Option<i64>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub compensation: Option<String>,
    /// When the manager was alerted that the SLA was missed.
    pub escalated_at: Option<DateTime<Utc>>,
    /// The score that opened the case.
    pub before_score: u8,
    /// The first answer of the customer after the case was resolved, if any.
    pub after_score: Option<u8>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Case> for Case {
    fn from(x: store::Case) -> Self {
        Self {
            id: x.id,
            customer_external_id: x.customer_external_id,
            customer_name: x.customer_name,
            answer_id: x.answer_id,
            survey_slug: x.survey_slug,
            score: x.score,
            comment: x.comment,
            priority: x.priority.into(),
            status: x.status.into(),
            assignee: x.assignee,
            language: x.language,
            sla_due_at: x.sla_due_at,
            overdue: x.overdue,
            first_contact_at: x.first_contact_at,
            time_to_first_contact_secs: x.time_to_first_contact_secs,
            resolved_at: x.resolved_at,
            closed_at: x.closed_at,
            outcome: x.outcome.map(Into::into),
            compensation: x.compensation,
            escalated_at: x.escalated_at,
            before_score: x.before_score,
            after_score: x.after_score,
            created_at: x.created_at,
            updated_at: x.updated_at,
        }
    }
}

/// A case with its checklist, notes and answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub steps: Vec<CaseStep>,
    /// Oldest first.
    pub notes: Vec<CaseNote>,
    /// Oldest first.
    pub answers: Vec<LinkedAnswer>,
    /// How to reach the customer; null for an anonymous respondent.
    pub contact: Option<CaseContact>,
    /// The emails to and from the customer, oldest first.
    pub messages: Vec<super::conversations::CaseMessage>,
}

impl From<store::CaseDetail> for CaseDetail {
    fn from(x: store::CaseDetail) -> Self {
        Self {
            case: x.case.into(),
            steps: x.steps.into_iter().map(Into::into).collect(),
            notes: x.notes.into_iter().map(Into::into).collect(),
            answers: x.answers.into_iter().map(Into::into).collect(),
            contact: x.contact.map(|c| CaseContact {
                name: c.name,
                email: c.email,
                phone: c.phone,
                language: c.language,
                account_manager: c.account_manager,
            }),
            messages: x.messages.into_iter().map(Into::into).collect(),
        }
    }
}

/// The customer of a case and how to reach them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub account_manager: Option<String>,
}

/// One checklist item of a case (a playbook step).
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseStep {
    /// 0-based, in playbook order.
    pub position: i64,
    pub text: String,
    pub done_at: Option<DateTime<Utc>>,
    /// Who ticked it: a user's email or an API key's name.
    pub done_by: Option<String>,
}

impl From<store::CaseStep> for CaseStep {
    fn from(x: store::CaseStep) -> Self {
        Self {
            position: x.position,
            text: x.text,
            done_at: x.done_at,
            done_by: x.done_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseNote {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<store::CaseNote> for CaseNote {
    fn from(x: store::CaseNote) -> Self {
        Self {
            id: x.id,
            author: x.author,
            body: x.body,
            created_at: x.created_at,
        }
    }
}

/// An answer tied to the case.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedAnswer {
    pub answer_id: i64,
    /// `trigger` (opened the case), `linked` (a later answer while it was open) or
    /// `resurvey` (the first answer after it was resolved).
    pub role: String,
    pub score: u8,
    pub comment: Option<String>,
    pub survey_slug: String,
    pub answered_at: DateTime<Utc>,
}

impl From<store::LinkedAnswer> for LinkedAnswer {
    fn from(x: store::LinkedAnswer) -> Self {
        Self {
            answer_id: x.answer_id,
            role: x.role,
            score: x.score,
            comment: x.comment,
            survey_slug: x.survey_slug,
            answered_at: x.answered_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssigneeLoad {
    pub assignee: String,
    pub open: u64,
    pub overdue: u64,
}

impl From<store::AssigneeLoad> for AssigneeLoad {
    fn from(x: store::AssigneeLoad) -> Self {
        Self {
            assignee: x.assignee,
            open: x.open,
            overdue: x.overdue,
        }
    }
}
