//! The case inbox (`/cases`) and the case page (`/cases/{id}`): the triggering answer, the
//! checklist, notes, and the form that moves a case along. Changes are signed with the
//! signed-in user's email; every form posts, passes `same_origin`, and redirects (303)
//! after success, or shows the page again with the refusal and status 422.

use super::signin::RequireSignIn;
use super::views::encode;
use super::{internal, when, PageError};
use crate::access::Access::Person;
use crate::auth::SignedIn;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::case::{CaseStatus, CaseUpdate, Outcome};
use advocate_core::Category;
use advocate_core::Permission::{ReadCases, WorkCases};
use advocate_store::closed_loop::cases::{Case, CaseDetail, CaseFilter};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;

const PAGE_SIZE: u32 = 50;

pub fn routes() -> Routes {
    Routes::new()
        .get("/cases", Person(ReadCases), inbox)
        .get("/cases/{id}", Person(ReadCases), show)
        .post("/cases/{id}", Person(WorkCases), update)
        .post("/cases/{id}/steps", Person(WorkCases), tick)
        .post("/cases/{id}/notes", Person(WorkCases), note)
}

const NO_SUCH_CASE: PageError = PageError(StatusCode::NOT_FOUND, "There is no such case.");

fn opt_when(at: Option<DateTime<Utc>>) -> String {
    at.map(when).unwrap_or_default()
}

fn score_class(score: u8) -> &'static str {
    match advocate_core::Score::new(i64::from(score)).map(|s| s.category()) {
        Ok(Category::Promoter) => "promoter",
        Ok(Category::Passive) => "passive",
        _ => "detractor",
    }
}

/// "2 h 5 min", "3 d 4 h": a duration a person reads at a glance.
pub fn duration_text(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

// ---------------------------------------------------------------------------------------
// The inbox

/// The inbox's tabs: `(code for ?view=, label)`.
pub const VIEWS: [(&str, &str); 5] = [
    ("mine", "Mine"),
    ("all", "All"),
    ("open", "Open"),
    ("overdue", "Overdue"),
    ("resolved", "Resolved"),
];

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    view: Option<String>,
    page: Option<String>,
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

pub struct CaseRow {
    pub href: String,
    pub id: i64,
    pub priority: &'static str,
    pub score: u8,
    pub score_class: &'static str,
    pub customer: String,
    pub customer_href: String,
    pub status: &'static str,
    pub due: String,
    pub overdue: bool,
    pub assignee: String,
    pub comment: String,
}

impl From<Case> for CaseRow {
    fn from(c: Case) -> Self {
        Self {
            href: format!("/cases/{}", c.id),
            id: c.id,
            priority: c.priority.as_str(),
            score: c.score,
            score_class: score_class(c.score),
            customer: c
                .customer_name
                .clone()
                .or_else(|| c.customer_external_id.clone())
                .unwrap_or_else(|| "Anonymous".into()),
            customer_href: c
                .customer_external_id
                .as_deref()
                .map(|e| format!("/customers/{}", encode(e)))
                .unwrap_or_default(),
            status: c.status.as_str(),
            due: when(c.sla_due_at),
            overdue: c.overdue,
            assignee: c.assignee,
            comment: c.comment.unwrap_or_default(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
pub struct InboxPage {
    pub workspace: String,
    pub user: String,
    pub tabs: Vec<Tab>,
    pub view_label: &'static str,
    pub rows: Vec<CaseRow>,
    pub total: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

fn inbox_href(view: &str, page: u32) -> String {
    if page > 1 {
        format!("/cases?view={view}&page={page}")
    } else {
        format!("/cases?view={view}")
    }
}

/// The filter behind each tab; "Mine" is the signed-in user's cases still being worked on.
fn view_filter(view: &str, email: &str) -> CaseFilter {
    let active = vec![CaseStatus::Open, CaseStatus::Contacted];
    match view {
        "all" => CaseFilter::default(),
        "open" => CaseFilter {
            statuses: active,
            ..Default::default()
        },
        "overdue" => CaseFilter {
            overdue: Some(true),
            ..Default::default()
        },
        "resolved" => CaseFilter {
            statuses: vec![CaseStatus::Resolved, CaseStatus::Closed],
            ..Default::default()
        },
        _ => CaseFilter {
            statuses: active,
            assignee: Some(email.to_owned()),
            ..Default::default()
        },
    }
}

pub async fn inbox(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(q): Query<InboxQuery>,
) -> Result<InboxPage, PageError> {
    let workspace = super::workspace_of(&state, user.workspace_id).await?.name;
    let view = q
        .view
        .filter(|v| VIEWS.iter().any(|(c, _)| c == v))
        .unwrap_or_else(|| "mine".into());
    let page = q
        .page
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let offset = (page - 1) * PAGE_SIZE;
    let mut filter = CaseFilter {
        limit: PAGE_SIZE,
        offset,
        ..view_filter(&view, &user.email)
    };
    if user.sees_only_own() {
        // Agents see their own cases on every tab.
        filter.assignee = Some(user.email.clone());
    }
    let found = state
        .store
        .cases()
        .list(user.workspace_id, &filter)
        .await
        .map_err(internal)?;
    let shown = found.cases.len() as u64;
    Ok(InboxPage {
        workspace,
        user: user.email,
        tabs: VIEWS
            .iter()
            .map(|(code, label)| Tab {
                href: inbox_href(code, 1),
                label,
                current: *code == view,
            })
            .collect(),
        view_label: VIEWS
            .iter()
            .find(|(c, _)| *c == view)
            .map_or("", |(_, l)| l),
        prev_href: (page > 1).then(|| inbox_href(&view, page - 1)),
        next_href: (u64::from(offset) + shown < found.total).then(|| inbox_href(&view, page + 1)),
        rows: found.cases.into_iter().map(CaseRow::from).collect(),
        total: found.total,
    })
}

// ---------------------------------------------------------------------------------------
// One case

pub struct StepRow {
    pub position: i64,
    pub text: String,
    pub done: bool,
    pub done_text: String,
}

pub struct NoteRow {
    pub author: String,
    pub body: String,
    pub at: String,
}

pub struct AnswerRow {
    pub role: String,
    pub score: u8,
    pub score_class: &'static str,
    pub comment: String,
    pub survey: String,
    pub at: String,
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases_detail.html")]
pub struct CasePage {
    pub workspace: String,
    pub user: String,
    pub error: Option<String>,
    pub id: i64,
    pub action: String,
    pub customer: String,
    pub customer_href: String,
    pub score: u8,
    pub score_class: &'static str,
    pub comment: String,
    pub survey: String,
    pub priority: &'static str,
    pub status: &'static str,
    pub closed: bool,
    pub assignee: String,
    pub due: String,
    pub overdue: bool,
    pub escalated: String,
    pub first_contact: String,
    pub time_to_first_contact: String,
    pub resolved: String,
    pub outcome: String,
    pub compensation: String,
    pub after_score: Option<u8>,
    pub after_class: &'static str,
    pub statuses: Vec<Choice>,
    pub outcomes: Vec<Choice>,
    pub steps: Vec<StepRow>,
    pub notes: Vec<NoteRow>,
    pub answers: Vec<AnswerRow>,
}

fn case_page(workspace: String, user: &SignedIn, d: CaseDetail, error: Option<String>) -> CasePage {
    let c = d.case;
    let status = c.status;
    let mut statuses = vec![Choice {
        value: status.as_str(),
        label: status.as_str(),
        selected: true,
    }];
    statuses.extend(
        CaseStatus::ALL
            .into_iter()
            .filter(|to| status.can_become(*to))
            .map(|to| Choice {
                value: to.as_str(),
                label: if status == CaseStatus::Resolved && to == CaseStatus::Open {
                    "open (reopen)"
                } else {
                    to.as_str()
                },
                selected: false,
            }),
    );
    let mut outcomes = vec![Choice {
        value: "",
        label: "—",
        selected: c.outcome.is_none(),
    }];
    outcomes.extend(Outcome::ALL.into_iter().map(|o| Choice {
        value: o.as_str(),
        label: match o {
            Outcome::Recovered => "recovered",
            Outcome::NotRecovered => "not recovered",
            Outcome::Unreachable => "unreachable",
            // Not in `ALL`: only a changed score withdraws a case.
            Outcome::Withdrawn => "withdrawn",
        },
        selected: c.outcome == Some(o),
    }));
    CasePage {
        workspace,
        user: user.email.clone(),
        error,
        id: c.id,
        action: format!("/cases/{}", c.id),
        customer: c
            .customer_name
            .clone()
            .or_else(|| c.customer_external_id.clone())
            .unwrap_or_else(|| "Anonymous respondent".into()),
        customer_href: c
            .customer_external_id
            .as_deref()
            .map(|e| format!("/customers/{}", encode(e)))
            .unwrap_or_default(),
        score: c.score,
        score_class: score_class(c.score),
        comment: c.comment.unwrap_or_default(),
        survey: c.survey_slug,
        priority: c.priority.as_str(),
        status: status.as_str(),
        closed: status == CaseStatus::Closed,
        assignee: c.assignee,
        due: when(c.sla_due_at),
        overdue: c.overdue,
        escalated: opt_when(c.escalated_at),
        first_contact: opt_when(c.first_contact_at),
        time_to_first_contact: c
            .time_to_first_contact_secs
            .map(duration_text)
            .unwrap_or_default(),
        resolved: opt_when(c.resolved_at),
        outcome: c
            .outcome
            .map(|o| match o {
                Outcome::Withdrawn => format!("withdrawn — score changed to {}", c.score),
                o => o.as_str().replace('_', " "),
            })
            .unwrap_or_default(),
        compensation: c.compensation.unwrap_or_default(),
        after_score: c.after_score,
        after_class: c.after_score.map_or("", score_class),
        statuses,
        outcomes,
        steps: d
            .steps
            .into_iter()
            .map(|s| StepRow {
                position: s.position,
                done: s.done_at.is_some(),
                done_text: match (s.done_at, s.done_by) {
                    (Some(at), Some(by)) => format!("done {} by {by}", when(at)),
                    (Some(at), None) => format!("done {}", when(at)),
                    _ => String::new(),
                },
                text: s.text,
            })
            .collect(),
        notes: d
            .notes
            .into_iter()
            .map(|n| NoteRow {
                author: n.author,
                body: n.body,
                at: when(n.created_at),
            })
            .collect(),
        answers: d
            .answers
            .into_iter()
            .map(|a| AnswerRow {
                role: a.role,
                score: a.score,
                score_class: score_class(a.score),
                comment: a.comment.unwrap_or_default(),
                survey: a.survey_slug,
                at: when(a.answered_at),
            })
            .collect(),
    }
}

fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| NO_SUCH_CASE)
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
) -> Result<CasePage, PageError> {
    let id = parse_id(&raw)?;
    let workspace = super::workspace_of(&state, user.workspace_id).await?.name;
    let detail = state
        .store
        .cases()
        .get(user.workspace_id, id)
        .await
        .map_err(internal)?
        .filter(|d| visible(&user, &d.case))
        .ok_or(NO_SUCH_CASE)?;
    Ok(case_page(workspace, &user, detail, None))
}

/// Whether the person may see the case: everyone but agents, and agents their own.
fn visible(user: &SignedIn, case: &advocate_store::closed_loop::cases::Case) -> bool {
    !user.sees_only_own() || case.assignee.eq_ignore_ascii_case(&user.email)
}

/// Refuses an agent's change to a case that is not theirs, as if it did not exist.
async fn own_case(state: &AppState, user: &SignedIn, id: i64) -> Result<(), PageError> {
    if !user.sees_only_own() {
        return Ok(());
    }
    match state
        .store
        .cases()
        .get(user.workspace_id, id)
        .await
        .map_err(internal)?
    {
        Some(d) if visible(user, &d.case) => Ok(()),
        _ => Err(NO_SUCH_CASE),
    }
}

/// After a change: back to the case (303), or the case again with what was refused.
async fn answer(
    state: &AppState,
    user: &SignedIn,
    id: i64,
    result: Result<(), StoreError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(StoreError::NotFound(_)) => NO_SUCH_CASE.into_response(),
        Err(StoreError::Invalid(msg) | StoreError::Conflict(msg)) => {
            let workspace = match super::workspace_of(state, user.workspace_id).await {
                Ok(w) => w.name,
                Err(e) => return e.into_response(),
            };
            match state.store.cases().get(user.workspace_id, id).await {
                Ok(Some(d)) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    case_page(workspace, user, d, Some(msg)),
                )
                    .into_response(),
                Ok(None) => NO_SUCH_CASE.into_response(),
                Err(e) => internal(e).into_response(),
            }
        }
        Err(e) => internal(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct UpdateForm {
    status: Option<String>,
    outcome: Option<String>,
    compensation: Option<String>,
    assignee: Option<String>,
}

/// The case form: only what differs from the case as stored is sent on as a change, so
/// saving an untouched form is harmless.
pub async fn update(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<UpdateForm>,
) -> Response {
    let id = match parse_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = own_case(&state, &user, id).await {
        return e.into_response();
    }
    let current = match state.store.cases().get(user.workspace_id, id).await {
        Ok(Some(d)) => d.case,
        Ok(None) => return NO_SUCH_CASE.into_response(),
        Err(e) => return internal(e).into_response(),
    };
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match CaseStatus::parse(s) {
            Some(s) => Some(s).filter(|s| *s != current.status),
            None => {
                let err = StoreError::Invalid(format!("unknown status {s:?}"));
                return answer(&state, &user, id, Err(err)).await;
            }
        },
    };
    let outcome = match f.outcome.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(o) => match Outcome::parse(o) {
            Some(o) => Some(o).filter(|o| Some(*o) != current.outcome || status.is_some()),
            None => {
                let err = StoreError::Invalid(format!("unknown outcome {o:?}"));
                return answer(&state, &user, id, Err(err)).await;
            }
        },
    };
    // Leaving an outcome chosen while moving away from resolved is not a change of it.
    let outcome = outcome.filter(|_| status.unwrap_or(current.status) == CaseStatus::Resolved);
    let compensation = f
        .compensation
        .map(|c| c.trim().to_owned())
        .filter(|c| *c != current.compensation.clone().unwrap_or_default());
    let assignee = f
        .assignee
        .map(|a| a.trim().to_owned())
        .filter(|a| *a != current.assignee);
    let change = CaseUpdate {
        status,
        outcome,
        compensation,
        assignee,
        steps: Vec::new(),
    };
    if change.is_empty() {
        return Redirect::to(&format!("/cases/{id}")).into_response();
    }
    let result = state
        .store
        .cases()
        .update(user.workspace_id, id, &change, &user.email)
        .await
        .map(|_| ());
    answer(&state, &user, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct StepForm {
    position: String,
    done: String,
}

pub async fn tick(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let id = match parse_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = own_case(&state, &user, id).await {
        return e.into_response();
    }
    let result = match f.position.parse::<i64>() {
        Ok(position) => {
            let change = CaseUpdate {
                steps: vec![(position, f.done == "1")],
                ..Default::default()
            };
            state
                .store
                .cases()
                .update(user.workspace_id, id, &change, &user.email)
                .await
                .map(|_| ())
        }
        Err(_) => Err(StoreError::Invalid(format!(
            "step position must be a number; got {:?}",
            f.position
        ))),
    };
    answer(&state, &user, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    body: String,
}

pub async fn note(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let id = match parse_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = own_case(&state, &user, id).await {
        return e.into_response();
    }
    let result = state
        .store
        .cases()
        .add_note(user.workspace_id, id, &user.email, &f.body)
        .await
        .map(|_| ());
    answer(&state, &user, id, result).await
}
