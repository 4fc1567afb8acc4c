//! Closed-loop history: cases that were followed up before they were recorded here (in
//! another tool, or in a generated data set), loaded with the times they really happened.
//!
//! Live work goes through [`Cases::update`] and [`Cases::add_note`], which
//! check every transition, stamp the current time and queue webhook events. Loading
//! history is different: the answers behind the cases were loaded after the fact, so
//! their reactions (cases, automatic notes, thank-yous) carry the time of the load, and
//! what followed is already known. A load writes what it is given, in one transaction,
//! and sends nothing.

use crate::models::FollowUp;
use crate::History;
use crate::{to_ts, Result, StoreError};
use advocate_core::case::{CaseStatus, Outcome};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// A note as it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricNote {
    pub author: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// A checklist step as it was ticked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricStep {
    /// 0-based, in playbook order.
    pub position: i64,
    pub at: DateTime<Utc>,
    /// A user's email or name.
    pub by: String,
}

/// What became of one stored case, with its times.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseHistory {
    pub case_id: i64,
    pub status: CaseStatus,
    /// When the case opened: its answer's time, for a case opened by loading answers.
    pub created_at: DateTime<Utc>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub compensation: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Notes already on the case (by id), with the time each was really written.
    pub note_times: Vec<(i64, DateTime<Utc>)>,
    /// Notes to add, in the order they were written.
    pub notes: Vec<HistoricNote>,
    pub steps_done: Vec<HistoricStep>,
    /// The customer's "follow up at next contact" flag after this case (`None` clears
    /// it); nothing for an anonymous case. Cases are loaded in order, so a customer's
    /// last case decides.
    pub follow_up: Option<FollowUp>,
}

impl History<'_> {
    /// Loads the follow-up of stored cases as it happened (see the module comment), all
    /// in one transaction. A resolved case of a known customer gets the customer's first
    /// NPS answer after the resolution as its "after", as a live re-survey would. Refuses
    /// a case or note the workspace does not have, and then stores nothing.
    #[tracing::instrument(name = "history.load_cases", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn load_cases(&self, workspace_id: i64, cases: &[CaseHistory]) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        for case in cases {
            load_one(&mut tx, workspace_id, case).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Dates every engagement of the workspace (thank-yous, review requests) by its
    /// answer, for answers loaded after the fact: their engagements were made at loading
    /// time. For loading history only; live engagements keep their own times.
    #[tracing::instrument(name = "history.date_engagements_by_answers", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn date_engagements_by_answers(&self, workspace_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE engagements SET created_at = (SELECT a.answered_at FROM answers a \
             WHERE a.id = engagements.answer_id), updated_at = (SELECT a.answered_at \
             FROM answers a WHERE a.id = engagements.answer_id) WHERE workspace_id = $1",
        )
        .bind(workspace_id)
        .execute(&self.store.writer)
        .await?;
        Ok(())
    }
}

async fn load_one(conn: &mut AnyConnection, ws: i64, case: &CaseHistory) -> Result<()> {
    let unknown = || StoreError::NotFound(format!("case {} not found", case.case_id));
    for (note, at) in &case.note_times {
        let done = sqlx::query(
            "UPDATE case_notes SET created_at = $1 WHERE id = $2 AND case_id = $3 \
             AND workspace_id = $4",
        )
        .bind(to_ts(*at))
        .bind(note)
        .bind(case.case_id)
        .bind(ws)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "note {note} of case {} not found",
                case.case_id
            )));
        }
    }
    for note in &case.notes {
        let done = sqlx::query(
            "INSERT INTO case_notes (workspace_id, case_id, author, body, created_at) \
             SELECT workspace_id, id, $1, $2, $3 FROM cases WHERE id = $4 AND workspace_id = $5",
        )
        .bind(&note.author)
        .bind(&note.body)
        .bind(to_ts(note.at))
        .bind(case.case_id)
        .bind(ws)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(unknown());
        }
    }
    let done = sqlx::query(
        "UPDATE cases SET status = $1, first_contact_at = $2, resolved_at = $3, closed_at = $4, \
         outcome = $5, compensation = $6, escalated_at = $7, created_at = $8, updated_at = $9 \
         WHERE id = $10 AND workspace_id = $11",
    )
    .bind(case.status.as_str())
    .bind(case.first_contact_at.map(to_ts))
    .bind(case.resolved_at.map(to_ts))
    .bind(case.closed_at.map(to_ts))
    .bind(case.outcome.map(Outcome::as_str))
    .bind(case.compensation.as_deref())
    .bind(case.escalated_at.map(to_ts))
    .bind(to_ts(case.created_at))
    .bind(to_ts(case.updated_at))
    .bind(case.case_id)
    .bind(ws)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(unknown());
    }
    for step in &case.steps_done {
        sqlx::query(
            "UPDATE case_steps SET done_at = $1, done_by = $2 WHERE case_id = $3 AND position = $4",
        )
        .bind(to_ts(step.at))
        .bind(&step.by)
        .bind(case.case_id)
        .bind(step.position)
        .execute(&mut *conn)
        .await?;
    }
    if let Some(resolved) = case.resolved_at {
        sqlx::query(
            "UPDATE cases SET resurvey_answer_id = (SELECT a.id FROM answers a \
             JOIN surveys s ON s.id = a.survey_id WHERE a.customer_id = cases.customer_id \
             AND s.kind = 'nps' AND a.answered_at > $1 ORDER BY a.answered_at, a.id LIMIT 1) \
             WHERE id = $2 AND customer_id IS NOT NULL",
        )
        .bind(to_ts(resolved))
        .bind(case.case_id)
        .execute(&mut *conn)
        .await?;
    }
    let (note, at) = match &case.follow_up {
        Some(flag) => (Some(flag.note.as_str()), Some(to_ts(flag.set_at))),
        None => (None, None),
    };
    sqlx::query(
        "UPDATE customers SET follow_up_note = $1, follow_up_set_at = $2 \
         WHERE id = (SELECT customer_id FROM cases WHERE id = $3)",
    )
    .bind(note)
    .bind(at)
    .bind(case.case_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
