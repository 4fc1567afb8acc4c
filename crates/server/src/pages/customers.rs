//! The customer list (`/customers`) and the customer record (`/customers/{external_id}`):
//! NPS history, cases, engagements, what happened, and the "follow up at next contact"
//! banner with forms to set and clear it. Everything shown comes from
//! `Timelines::of_customer` and `Timelines::customers_page`.

use super::signin::RequireSignIn;
use super::views::encode;
use super::{internal, opt_when, score_class, when, PageError};
use crate::access::Access::Person;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::{Administer, Export, ReadCustomers, WorkCases};
use advocate_core::{EngagementKind, SurveyKind};
use advocate_store::closed_loop::engagements::EngagementStatus;
use advocate_store::insight::timeline::CustomerRow;
use advocate_store::insight::timeline::Timeline;
use advocate_store::insight::timeline::{TimelineAnswer, TimelineCase};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Customers per list page.
const PAGE_SIZE: u32 = 50;

pub fn routes() -> Routes {
    Routes::new()
        .get("/customers", Person(ReadCustomers), list)
        .get("/customers/{external_id}", Person(ReadCustomers), show)
        .post(
            "/customers/{external_id}/follow-up",
            Person(WorkCases),
            set_follow_up,
        )
        .post(
            "/customers/{external_id}/follow-up/clear",
            Person(WorkCases),
            clear_follow_up,
        )
        .get(
            "/customers/{external_id}/export.json",
            Person(Export),
            export,
        )
        .post("/customers/{external_id}/erase", Person(Administer), erase)
        .post(
            "/customers/{external_id}/engagements",
            Person(WorkCases),
            grant_engagement,
        )
        .post(
            "/customers/{external_id}/engagements/{id}",
            Person(WorkCases),
            record_outcome,
        )
}

/// Where a customer's record is.
pub(crate) fn record_href(external_id: &str) -> String {
    format!("/customers/{}", encode(external_id))
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// "not_recovered" → "not recovered".
fn words(s: &str) -> String {
    s.replace('_', " ")
}

// ---------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    flagged: Option<String>,
    page: Option<String>,
}

pub struct ListRow {
    pub href: String,
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub account_manager: String,
    pub follow_up: String,
    pub latest_score: String,
    pub score_class: &'static str,
    pub open_cases: u64,
}

impl From<CustomerRow> for ListRow {
    fn from(r: CustomerRow) -> Self {
        Self {
            href: record_href(&r.external_id),
            name: r.name.unwrap_or_default(),
            email: r.email.unwrap_or_default(),
            account_manager: r.account_manager.unwrap_or_default(),
            follow_up: r.follow_up_note.unwrap_or_default(),
            latest_score: r.latest_score.map(|s| s.to_string()).unwrap_or_default(),
            score_class: r.latest_score.map_or("", score_class),
            open_cases: r.open_cases,
            external_id: r.external_id,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "customers.html")]
pub struct CustomersPage {
    pub workspace: String,
    pub user: String,
    pub q: String,
    pub flagged: bool,
    pub total: u64,
    pub rows: Vec<ListRow>,
    /// "Showing 51–100 of 6000".
    pub range: String,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

fn list_href(q: &str, flagged: bool, page: u32) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", encode(q)));
    }
    if flagged {
        parts.push("flagged=1".to_owned());
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/customers".to_owned()
    } else {
        format!("/customers?{}", parts.join("&"))
    }
}

pub async fn list(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(query): Query<ListQuery>,
) -> Result<CustomersPage, PageError> {
    let store = &state.store;
    let ws = store
        .workspaces()
        .get(user.workspace_id)
        .await
        .map_err(internal)?
        .ok_or(PageError(
            StatusCode::NOT_FOUND,
            "Your workspace no longer exists.",
        ))?;
    let q = query.q.unwrap_or_default().trim().to_owned();
    let flagged = query.flagged.is_some_and(|f| !f.is_empty() && f != "0");
    // A page number that is not one shows the first page.
    let page = query
        .page
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let offset = (page - 1) * PAGE_SIZE;
    let found = store
        .timelines()
        .customers_page(
            ws.id,
            Some(&q),
            flagged,
            user.sees_only_own().then_some(user.email.as_str()),
            PAGE_SIZE,
            offset,
        )
        .await
        .map_err(internal)?;
    let shown = found.rows.len() as u64;
    let range = if shown == 0 {
        String::new()
    } else {
        let first = u64::from(offset) + 1;
        format!("Showing {first}–{} of {}", first + shown - 1, found.total)
    };
    Ok(CustomersPage {
        workspace: ws.name,
        user: user.email,
        prev_href: (page > 1).then(|| list_href(&q, flagged, page - 1)),
        next_href: (u64::from(offset) + shown < found.total)
            .then(|| list_href(&q, flagged, page + 1)),
        rows: found.rows.into_iter().map(ListRow::from).collect(),
        total: found.total,
        range,
        q,
        flagged,
    })
}

// ---------------------------------------------------------------------------------------
// The record

pub struct AnswerRow {
    pub date: String,
    pub survey: String,
    pub score: u8,
    pub score_class: &'static str,
    pub comment: String,
    pub channel: String,
    pub follow_up: AnswerFollowUp,
}

/// What the record offers to follow an answer up.
pub enum AnswerFollowUp {
    /// The answer's case (id).
    Case(i64),
    /// Write to the customer about it: the composer, which opens a case.
    Write(String),
    /// It could be written about, but the customer has no email address.
    NoAddress,
    /// Nothing: not an NPS answer, or the person may not work cases.
    Nothing,
}

impl AnswerFollowUp {
    fn of(a: &TimelineAnswer, can_work: bool, has_email: bool) -> Self {
        match a.case_id {
            Some(id) => Self::Case(id),
            None if !can_work || a.survey_kind != SurveyKind::Nps => Self::Nothing,
            None if has_email => Self::Write(format!("/answers/{}/email", a.id)),
            None => Self::NoAddress,
        }
    }
}

pub struct NoteRow {
    pub when: String,
    pub author: String,
    pub body: String,
}

pub struct CaseRow {
    pub id: i64,
    pub href: String,
    pub score: u8,
    pub score_class: &'static str,
    pub priority: String,
    pub status: String,
    pub overdue: bool,
    pub assignee: String,
    pub created: String,
    pub sla_due: String,
    pub first_contact: String,
    pub outcome: String,
    pub compensation: String,
    /// "3 → 9" when the customer was asked again after resolution.
    pub before_after: String,
    pub notes: Vec<NoteRow>,
}

impl From<&TimelineCase> for CaseRow {
    fn from(k: &TimelineCase) -> Self {
        Self {
            id: k.id,
            href: format!("/cases/{}", k.id),
            score: k.score,
            score_class: score_class(k.score),
            priority: k.priority.clone(),
            status: k.status.clone(),
            overdue: k.overdue,
            assignee: k.assignee.clone(),
            created: when(k.created_at),
            sla_due: when(k.sla_due_at),
            first_contact: opt_when(k.first_contact_at),
            outcome: k.outcome.as_deref().map(words).unwrap_or_default(),
            compensation: k.compensation.clone().unwrap_or_default(),
            before_after: k
                .resurvey_score
                .map(|after| format!("{} → {after}", k.score))
                .unwrap_or_default(),
            notes: k
                .notes
                .iter()
                .map(|n| NoteRow {
                    when: when(n.created_at),
                    author: n.author.clone(),
                    body: n.body.clone(),
                })
                .collect(),
        }
    }
}

pub struct EngagementRow {
    pub kind: String,
    pub status: String,
    pub code: String,
    pub created: String,
    pub updated: String,
    /// Where its outcome is posted, and the outcomes one can record now: (status, button).
    pub action: String,
    pub outcomes: Vec<(&'static str, &'static str)>,
}

/// What can be recorded by hand about an engagement that has no outcome yet: a review
/// left, a panel invitation or reward taken up, or turned down. Thank-yous have no outcome
/// and discount codes are redeemed through the API when used.
fn outcomes(kind: &str, status: &str) -> Vec<(&'static str, &'static str)> {
    use EngagementStatus::*;
    let open = EngagementStatus::parse(status).is_some_and(|s| matches!(s, Queued | Sent));
    let taken = match EngagementKind::parse(kind) {
        _ if !open => return Vec::new(),
        Some(EngagementKind::ReviewRequest) => (ReviewLeft, "Review left"),
        Some(EngagementKind::PanelInvitation) => (Accepted, "Panel accepted"),
        Some(EngagementKind::Reward) => (Accepted, "Reward claimed"),
        Some(EngagementKind::VipMembership) => (Accepted, "VIP accepted"),
        _ => return Vec::new(),
    };
    vec![(taken.0.as_str(), taken.1), (Declined.as_str(), "Declined")]
}

/// The kinds granted by hand from the record: (kind, label).
pub const GRANTS: [(&str, &str); 3] = [
    ("vip_membership", "VIP membership"),
    ("reward", "Reward"),
    ("panel_invitation", "Panel invitation"),
];

pub struct EventRow {
    pub when: String,
    /// The event's kind (`case_opened`, …), as a class name.
    pub kind: String,
    pub summary: String,
    /// The case the event belongs to, to link to.
    pub case_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "customer.html")]
pub struct CustomerPage {
    pub workspace: String,
    pub user: String,
    pub title: String,
    pub external_id: String,
    pub email: String,
    pub phone: String,
    pub language: String,
    pub account_manager: String,
    pub attributes: Vec<(String, String)>,
    /// The note and when it was set, while the flag is up.
    pub follow_up: Option<(String, String)>,
    pub follow_up_action: String,
    pub clear_action: String,
    pub export_href: String,
    pub erase_action: String,
    pub nps: String,
    pub nps_answers: u64,
    pub latest_score: String,
    pub latest_class: &'static str,
    pub answers: Vec<AnswerRow>,
    /// The person may work cases: write to the customer, flag them.
    pub can_work: bool,
    pub cases: Vec<CaseRow>,
    pub engagements: Vec<EngagementRow>,
    /// Where a hand grant (VIP membership, reward, panel invitation) is posted.
    pub grant_action: String,
    pub grants: &'static [(&'static str, &'static str)],
    pub events: Vec<EventRow>,
}

impl CustomerPage {
    /// `can_work`: the person may work cases (and so write to the customer).
    fn new(workspace: String, user: String, can_work: bool, t: Timeline) -> Self {
        let c = t.customer;
        let has_email = c.email.as_deref().is_some_and(|e| !e.trim().is_empty());
        let base = record_href(&c.external_id);
        Self {
            workspace,
            user,
            title: c.name.clone().unwrap_or_else(|| c.external_id.clone()),
            email: c.email.unwrap_or_default(),
            phone: c.phone.unwrap_or_default(),
            language: c
                .language
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            account_manager: c.account_manager.unwrap_or_default(),
            attributes: c
                .attributes
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect(),
            follow_up: t.follow_up.map(|f| (f.note, when(f.set_at))),
            follow_up_action: format!("{base}/follow-up"),
            clear_action: format!("{base}/follow-up/clear"),
            export_href: format!("{base}/export.json"),
            erase_action: format!("{base}/erase"),
            grant_action: format!("{base}/engagements"),
            grants: &GRANTS,
            nps: t.nps.map(|n| format!("{n:+.0}")).unwrap_or_default(),
            nps_answers: t.nps_answers,
            latest_score: t.latest_score.map(|s| s.to_string()).unwrap_or_default(),
            latest_class: t.latest_score.map_or("", score_class),
            answers: t
                .answers
                .iter()
                .map(|a| AnswerRow {
                    date: day(a.answered_at),
                    survey: a.survey_name.clone(),
                    score: a.score,
                    score_class: a.category.map_or("", |c| c.as_str()),
                    comment: a.comment.clone().unwrap_or_default(),
                    channel: a.channel.clone(),
                    follow_up: AnswerFollowUp::of(a, can_work, has_email),
                })
                .collect(),
            can_work,
            cases: t.cases.iter().map(CaseRow::from).collect(),
            engagements: t
                .engagements
                .iter()
                .map(|e| EngagementRow {
                    kind: words(&e.kind),
                    status: words(&e.status),
                    code: e.discount_code.clone().unwrap_or_default(),
                    created: when(e.created_at),
                    updated: when(e.updated_at),
                    action: format!("{base}/engagements/{}", e.id),
                    outcomes: outcomes(&e.kind, &e.status),
                })
                .collect(),
            events: t
                .events
                .iter()
                .map(|e| EventRow {
                    when: when(e.at),
                    kind: e.kind.clone(),
                    summary: e.summary.clone(),
                    case_href: e.case_id.map(|id| format!("/cases/{id}")),
                })
                .collect(),
            external_id: c.external_id,
        }
    }
}

const NO_SUCH_CUSTOMER: PageError = PageError(
    StatusCode::NOT_FOUND,
    "There is no customer with this id in your workspace.",
);

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(external_id): Path<String>,
) -> Result<CustomerPage, PageError> {
    let store = &state.store;
    let ws = store
        .workspaces()
        .get(user.workspace_id)
        .await
        .map_err(internal)?
        .ok_or(PageError(
            StatusCode::NOT_FOUND,
            "Your workspace no longer exists.",
        ))?;
    own_customer(&state, &user, &external_id).await?;
    let timeline = store
        .timelines()
        .of_customer(ws.id, &external_id)
        .await
        .map_err(internal)?
        .ok_or(NO_SUCH_CUSTOMER)?;
    let can_work = user.role.grants(WorkCases);
    Ok(CustomerPage::new(ws.name, user.email, can_work, timeline))
}

#[derive(Debug, Deserialize)]
pub struct FollowUpForm {
    note: String,
}

/// Agents reach only their own customers; anyone else's is answered as if it did not exist.
async fn own_customer(
    state: &AppState,
    user: &crate::auth::SignedIn,
    external_id: &str,
) -> Result<(), PageError> {
    if !user.sees_only_own() {
        return Ok(());
    }
    match state
        .store
        .timelines()
        .customer_owned_by(user.workspace_id, external_id, &user.email)
        .await
        .map_err(internal)?
    {
        true => Ok(()),
        false => Err(NO_SUCH_CUSTOMER),
    }
}

/// Store errors of the follow-up forms, as a page error.
fn form_error(err: StoreError) -> PageError {
    match err {
        StoreError::NotFound(_) => NO_SUCH_CUSTOMER,
        StoreError::Invalid(_) => PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The follow-up note must say something and be at most 1000 characters long.",
        ),
        other => internal(other),
    }
}

pub async fn set_follow_up(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(external_id): Path<String>,
    Form(form): Form<FollowUpForm>,
) -> Result<Response, PageError> {
    own_customer(&state, &user, &external_id).await?;
    state
        .store
        .timelines()
        .set_follow_up(user.workspace_id, &external_id, &form.note)
        .await
        .map_err(form_error)?;
    Ok(Redirect::to(&record_href(&external_id)).into_response())
}

pub async fn clear_follow_up(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(external_id): Path<String>,
) -> Result<Response, PageError> {
    own_customer(&state, &user, &external_id).await?;
    state
        .store
        .timelines()
        .clear_follow_up(user.workspace_id, &external_id)
        .await
        .map_err(form_error)?;
    Ok(Redirect::to(&record_href(&external_id)).into_response())
}

/// "Download this person's data": the same document as the API's export.
pub async fn export(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(external_id): Path<String>,
) -> Result<Response, PageError> {
    let store = &state.store;
    let doc = store
        .privacy()
        .export_person(user.workspace_id, &external_id)
        .await
        .map_err(form_error)?;
    store
        .audit()
        .record(
            user.workspace_id,
            &user.actor(),
            "person.exported",
            &external_id,
            "",
        )
        .await
        .map_err(internal)?;
    let slug = store
        .workspaces()
        .get(user.workspace_id)
        .await
        .map_err(internal)?
        .map(|w| w.slug)
        .unwrap_or_default();
    Ok(crate::api::privacy::export_response(
        &slug,
        &external_id,
        &doc,
    ))
}

#[derive(Debug, Deserialize)]
pub struct EraseForm {
    /// Must repeat the external id: erasing cannot be undone.
    confirm: String,
}

/// "Erase this person", confirmed by typing their external id; then back to the list.
pub async fn erase(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(external_id): Path<String>,
    Form(form): Form<EraseForm>,
) -> Result<Response, PageError> {
    if form.confirm.trim() != external_id {
        return Err(PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nothing was erased: type the customer's id exactly to confirm.",
        ));
    }
    let done = state
        .store
        .privacy()
        .erase_person(user.workspace_id, &external_id)
        .await
        .map_err(form_error)?;
    tracing::info!(
        workspace = user.workspace_id,
        answers = done.answers_anonymised,
        "a person was erased"
    );
    state
        .store
        .audit()
        .record(
            user.workspace_id,
            &user.actor(),
            "person.erased",
            &external_id,
            &format!("{} answers anonymised", done.answers_anonymised),
        )
        .await
        .map_err(form_error)?;
    Ok(Redirect::to("/customers").into_response())
}

const NO_SUCH_ENGAGEMENT: PageError = PageError(
    StatusCode::NOT_FOUND,
    "This customer has no such engagement in your workspace.",
);

#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    status: String,
}

/// Records what became of one of the customer's engagements (a review left, a panel
/// invitation accepted, …): the same change as `PATCH /api/v1/engagements/{id}`, with its
/// `engagement.updated` webhook. An engagement of another customer is not found here.
pub async fn record_outcome(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path((external_id, id)): Path<(String, String)>,
    Form(form): Form<OutcomeForm>,
) -> Result<Response, PageError> {
    own_customer(&state, &user, &external_id).await?;
    let id: i64 = id.parse().map_err(|_| NO_SUCH_ENGAGEMENT)?;
    let status = EngagementStatus::parse(form.status.trim()).ok_or(PageError(
        StatusCode::UNPROCESSABLE_ENTITY,
        "That is not an engagement status: use accepted, declined or review_left.",
    ))?;
    let engagements = state.store.engagements();
    engagements
        .get(user.workspace_id, id)
        .await
        .map_err(internal)?
        .filter(|e| e.customer.as_deref() == Some(external_id.as_str()))
        .ok_or(NO_SUCH_ENGAGEMENT)?;
    engagements
        .set_status(user.workspace_id, id, status)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) | StoreError::Invalid(_) => PageError(
                StatusCode::CONFLICT,
                "That engagement cannot reach this status: it already has an outcome, or its \
                 kind does not have this one (see Promoters in the README).",
            ),
            StoreError::NotFound(_) => NO_SUCH_ENGAGEMENT,
            other => internal(other),
        })?;
    Ok(Redirect::to(&format!("{}#h-engagements", record_href(&external_id))).into_response())
}

#[derive(Debug, Deserialize)]
pub struct GrantForm {
    kind: String,
}

/// Grants the customer a VIP membership, reward or panel invitation by hand, as
/// `POST /api/v1/engagements` does.
pub async fn grant_engagement(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(external_id): Path<String>,
    Form(form): Form<GrantForm>,
) -> Result<Response, PageError> {
    own_customer(&state, &user, &external_id).await?;
    const NOT_GRANTED: PageError = PageError(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Only a VIP membership, a reward or a panel invitation is granted by hand, and only \
         to a customer who has answered a survey.",
    );
    let kind = EngagementKind::parse(form.kind.trim())
        .filter(|k| GRANTS.iter().any(|(code, _)| *code == k.as_str()))
        .ok_or(NOT_GRANTED)?;
    state
        .store
        .engagements()
        .grant(
            user.workspace_id,
            &external_id,
            kind,
            EngagementStatus::Queued,
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => NO_SUCH_CUSTOMER,
            StoreError::Invalid(_) => NOT_GRANTED,
            other => internal(other),
        })?;
    Ok(Redirect::to(&format!("{}#h-engagements", record_href(&external_id))).into_response())
}
