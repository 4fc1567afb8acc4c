//! The customer record: everything that happened with one customer — their answers,
//! cases with notes, promoter engagements and the "follow up at next contact" flag — read
//! in one place, plus the customer list that leads to it.
//!
//! Cases and engagements are written by their own modules; this one only reads their
//! tables, so the record shows whatever those modules (or an import) stored.
//!
//! Here are the record and how it is put together; its lists are read in `lists.rs` and
//! merged into events in `events.rs`; the follow-up flag is in `follow_up.rs`, the
//! customer list in `customers.rs`.

mod customers;
mod events;
mod follow_up;
mod lists;

pub(crate) use customers::owned_by;
pub use customers::{CustomerRow, CustomersPage, CUSTOMERS_PAGE_MAX};
pub use events::TimelineEvent;
pub use follow_up::{FollowUp, FOLLOW_UP_MAX_CHARS};

use crate::feedback::customers::customer_in;
use crate::from_ts;
use crate::models::Customer;
use crate::Result;
use crate::Timelines;
use advocate_core::{Category, SurveyKind};
use chrono::{DateTime, Utc};
use events::events;
use follow_up::follow_up_in;
use lists::{answers_of, cases_of, engagements_of, nps_of, score_changes_of};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// The newest answers a record shows (the NPS over all answers still counts every one).
pub const TIMELINE_ANSWERS: i64 = 200;
/// The newest cases a record shows, and the newest notes over those cases.
pub const TIMELINE_CASES: i64 = 50;
pub const TIMELINE_NOTES: i64 = 500;
/// The newest engagements a record shows.
pub const TIMELINE_ENGAGEMENTS: i64 = 100;

/// One answer of the customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// The case it opened, else the one it joined.
    pub case_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineNote {
    pub id: i64,
    pub case_id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// An email to or from the customer on one of their cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEmail {
    pub id: i64,
    pub case_id: i64,
    /// `out` (an agent's) or `in` (from the customer's side).
    pub direction: String,
    /// `message`, `reply`, `auto_reply` or `bounce`.
    pub nature: String,
    pub author: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

/// One case of the customer, with its notes and emails (newest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub emails: Vec<TimelineEmail>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// Everything about one customer. Lists are newest first and bounded: the newest
/// [`TIMELINE_ANSWERS`] answers, [`TIMELINE_CASES`] cases with up to [`TIMELINE_NOTES`]
/// notes between them, and [`TIMELINE_ENGAGEMENTS`] engagements; `events` merges those.
/// `nps` and `nps_answers` count every NPS answer the customer ever gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_ts))
}

impl Timelines<'_> {
    /// The customer's record, or `None` when the workspace has no such customer. See
    /// [`Timeline`] for what it holds and its bounds.
    #[tracing::instrument(name = "timelines.of_customer", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn of_customer(
        &self,
        workspace_id: i64,
        external_id: &str,
    ) -> Result<Option<Timeline>> {
        let mut conn = self.store.pool.acquire().await?;
        let Some(customer) = customer_in(&mut conn, workspace_id, external_id).await? else {
            return Ok(None);
        };
        let follow_up = follow_up_in(&mut conn, customer.id).await?;
        let (counts, latest_score) = nps_of(&mut conn, workspace_id, customer.id).await?;
        let answers = answers_of(&mut conn, workspace_id, customer.id).await?;
        let cases = cases_of(&mut conn, workspace_id, customer.id).await?;
        let engagements = engagements_of(&mut conn, workspace_id, customer.id).await?;
        let changes = score_changes_of(&mut conn, workspace_id, customer.id).await?;
        let events = events(&answers, &cases, &engagements, follow_up.as_ref(), &changes);
        Ok(Some(Timeline {
            customer,
            follow_up,
            nps: counts.nps(),
            nps_answers: counts.n(),
            latest_score,
            answers,
            cases,
            engagements,
            events,
        }))
    }
}
