//! Cases: the follow-up of a detractor, from open to resolved, with its checklist, notes,
//! SLA and escalation. Cases are opened by `reactions` in the answer's own transaction
//! (or by hand, `by_hand.rs`); here they are read, worked on and escalated.
//!
//! The lifecycle and what a change does are decided by [`advocate_core::case`]; here the
//! decision is written.
//!
//! Every change is one transaction that also queues a `case.updated` webhook event.
//! Follow-up that happened before it was recorded here is loaded by [`history`].
//!
//! The list and its filter are in `list.rs`, a change and notes in `update.rs`, the
//! escalation of overdue cases in `escalation.rs`, closed-loop health in `health.rs`, a
//! case opened by hand for an answer that has none in `by_hand.rs`.

mod by_hand;
mod escalation;
mod health;
mod history;
mod list;
mod update;

pub(crate) use by_hand::CASE_OF_ANSWER;
pub use by_hand::{AnswerToFollowUp, HandOpened};
pub use health::{AssigneeLoad, ClosedLoopHealth};
pub use history::{CaseHistory, HistoricNote, HistoricStep};
pub use list::{CaseFilter, CasePage};
pub(crate) use update::{add_note_in, move_case_in};

use crate::Cases;
use crate::{from_ts, Result, StoreError};
use advocate_core::case::{CaseStatus, Outcome};
use advocate_core::Priority;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A case as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// One checklist item of a case (a playbook step).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseStep {
    /// 0-based, in playbook order.
    pub position: i64,
    pub text: String,
    pub done_at: Option<DateTime<Utc>>,
    /// Who ticked it: a user's email or an API key's name.
    pub done_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseNote {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// An answer tied to the case.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// A case with its checklist, notes and answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub steps: Vec<CaseStep>,
    /// Oldest first.
    pub notes: Vec<CaseNote>,
    /// Oldest first.
    pub answers: Vec<LinkedAnswer>,
    /// How to reach the customer; `None` for an anonymous respondent.
    pub contact: Option<crate::closed_loop::conversation::CaseContact>,
    /// The emails to and from the customer, oldest first.
    pub messages: Vec<crate::closed_loop::conversation::CaseMessage>,
}

const CASE_SELECT: &str = "SELECT k.id, k.answer_id, k.score, k.priority, k.status, k.assignee, \
     k.language, k.sla_due_at, k.first_contact_at, k.resolved_at, k.closed_at, k.outcome, \
     k.compensation, k.escalated_at, k.created_at, k.updated_at, k.customer_id, \
     cu.external_id AS customer_external_id, cu.name AS customer_name, a.comment, s.slug, \
     r.score AS after_score \
     FROM cases k JOIN answers a ON a.id = k.answer_id JOIN surveys s ON s.id = k.survey_id \
     LEFT JOIN customers cu ON cu.id = k.customer_id \
     LEFT JOIN answers r ON r.id = k.resurvey_answer_id";

fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_ts))
}

fn score_u8(v: i64) -> Result<u8> {
    u8::try_from(v).map_err(|_| StoreError::Invalid("stored score out of range".into()))
}

fn case_from(row: &AnyRow, now: DateTime<Utc>) -> Result<Case> {
    let status: String = row.try_get("status")?;
    let status = CaseStatus::parse(&status)
        .ok_or_else(|| StoreError::Invalid(format!("stored case status {status:?} is unknown")))?;
    let priority: String = row.try_get("priority")?;
    let created_at = from_ts(row.try_get("created_at")?);
    let sla_due_at = from_ts(row.try_get("sla_due_at")?);
    let first_contact_at = opt_ts(row, "first_contact_at")?;
    let score = score_u8(row.try_get("score")?)?;
    Ok(Case {
        id: row.try_get("id")?,
        customer_external_id: row.try_get("customer_external_id")?,
        customer_name: row.try_get("customer_name")?,
        answer_id: row.try_get("answer_id")?,
        survey_slug: row.try_get("slug")?,
        score,
        comment: row.try_get("comment")?,
        priority: Priority::parse(&priority).unwrap_or(Priority::Normal),
        status,
        assignee: row.try_get("assignee")?,
        language: row.try_get("language")?,
        sla_due_at,
        overdue: status == CaseStatus::Open && first_contact_at.is_none() && sla_due_at < now,
        time_to_first_contact_secs: first_contact_at.map(|f| (f - created_at).num_seconds()),
        first_contact_at,
        resolved_at: opt_ts(row, "resolved_at")?,
        closed_at: opt_ts(row, "closed_at")?,
        outcome: row
            .try_get::<Option<String>, _>("outcome")?
            .as_deref()
            .and_then(Outcome::stored),
        compensation: row.try_get("compensation")?,
        escalated_at: opt_ts(row, "escalated_at")?,
        before_score: score,
        after_score: row
            .try_get::<Option<i64>, _>("after_score")?
            .map(score_u8)
            .transpose()?,
        created_at,
        updated_at: from_ts(row.try_get("updated_at")?),
    })
}

impl Cases<'_> {
    /// One case with its checklist, notes and answers; `None` when the workspace has no
    /// such case.
    #[tracing::instrument(name = "cases.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64, id: i64) -> Result<Option<CaseDetail>> {
        let mut conn = self.store.pool.acquire().await?;
        case_detail_in(&mut conn, workspace_id, id).await
    }
}

pub(crate) async fn case_detail_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<CaseDetail>> {
    let now = Utc::now();
    let row = sqlx::query(&format!(
        "{CASE_SELECT} WHERE k.workspace_id = $1 AND k.id = $2"
    ))
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let case = case_from(&row, now)?;
    let steps = sqlx::query(
        "SELECT position, text, done_at, done_by FROM case_steps WHERE case_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(CaseStep {
            position: r.try_get("position")?,
            text: r.try_get("text")?,
            done_at: opt_ts(r, "done_at")?,
            done_by: r.try_get("done_by")?,
        })
    })
    .collect::<Result<_>>()?;
    let notes = sqlx::query(
        "SELECT id, author, body, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(CaseNote {
            id: r.try_get("id")?,
            author: r.try_get("author")?,
            body: r.try_get("body")?,
            created_at: from_ts(r.try_get("created_at")?),
        })
    })
    .collect::<Result<_>>()?;
    let answers = sqlx::query(
        "SELECT a.id, a.score, a.comment, a.answered_at, s.slug, 'trigger' AS role FROM cases k \
         JOIN answers a ON a.id = k.answer_id JOIN surveys s ON s.id = a.survey_id WHERE k.id = $1 \
         UNION ALL SELECT a.id, a.score, a.comment, a.answered_at, s.slug, 'linked' AS role \
         FROM case_answers l JOIN answers a ON a.id = l.answer_id JOIN surveys s ON s.id = a.survey_id \
         WHERE l.case_id = $1 \
         UNION ALL SELECT a.id, a.score, a.comment, a.answered_at, s.slug, 'resurvey' AS role FROM cases k \
         JOIN answers a ON a.id = k.resurvey_answer_id JOIN surveys s ON s.id = a.survey_id WHERE k.id = $1 \
         ORDER BY 4, 1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(LinkedAnswer {
            answer_id: r.try_get("id")?,
            role: r.try_get("role")?,
            score: score_u8(r.try_get("score")?)?,
            comment: r.try_get("comment")?,
            survey_slug: r.try_get("slug")?,
            answered_at: from_ts(r.try_get("answered_at")?),
        })
    })
    .collect::<Result<_>>()?;
    let contact = crate::closed_loop::conversation::contact_in(conn, workspace_id, id).await?;
    let messages = crate::closed_loop::conversation::messages_in(conn, workspace_id, id).await?;
    Ok(Some(CaseDetail {
        case,
        steps,
        notes,
        answers,
        contact,
        messages,
    }))
}
