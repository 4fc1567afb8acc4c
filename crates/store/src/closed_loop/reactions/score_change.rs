//! A changed score: recorded, then what has happened since (the case, the engagements)
//! decides what to do, and it is done.

use super::on_detractor;
use super::open_case::{sla_start, CasePlan};
use crate::closed_loop::cases::add_note_in;
use crate::closed_loop::context::{Context, SYSTEM_AUTHOR};
use crate::closed_loop::engagements;
use crate::models::{Answer, Customer, WorkspaceSettings};
use crate::{to_ts, Result, StoreError};
use advocate_core::rescore::{self, Action, CaseFacts, CaseStage, EngagementStage, Since};
use advocate_core::{EngagementKind, Priority, Score, SurveyKind};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Reacts to an answer whose score changed from `before.score` to `after.score`, in the
/// transaction that changed it: records the change (for the customer's timeline), works
/// out what to do with [`advocate_core::rescore::rescore`] from what has happened since
/// (the case and whether a person worked it, the engagements queued or sent), and does it.
/// Every change to a case is noted on it and announced as `case.updated`.
pub(crate) async fn on_score_change(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    before: &Answer,
    after: &Answer,
    kind: SurveyKind,
) -> Result<()> {
    let ws = after.workspace_id;
    let now = Utc::now();
    if kind == SurveyKind::Enps {
        // eNPS is anonymous: not even when an answer changed is kept.
        return Ok(());
    }
    record_score_change(conn, before, after, now).await?;
    if kind != SurveyKind::Nps {
        return Ok(());
    }
    let invalid = |e: advocate_core::ScoreError| StoreError::Invalid(e.to_string());
    let previous = Score::new(i64::from(before.score)).map_err(invalid)?;
    let score = Score::new(i64::from(after.score)).map_err(invalid)?;
    ctx.write_new_cases(conn).await?;
    let customer = match after.customer_id {
        Some(id) => crate::feedback::customers::customer_by_id_in(conn, ws, id).await?,
        None => None,
    };

    let (facts, case_row) = case_since(conn, ws, after.id).await?;
    let since = Since {
        case: facts,
        engagements: engagement_stages(conn, ws, after.id).await?,
    };
    let actions = rescore::rescore(previous, score, &since);
    if actions.is_empty() {
        return Ok(());
    }
    let change = Rescore {
        ctx,
        settings: ctx.settings(conn, ws).await?,
        after,
        previous,
        score,
        customer: customer.as_ref(),
        now,
    };
    let mut changes: Vec<String> = Vec::new();
    for action in &actions {
        let case_id = case_row.as_ref().map(|(id, _)| *id);
        let language = case_row.as_ref().map(|(_, l)| l.as_str());
        if let Some(done) = change.apply(conn, action, case_id, language).await? {
            changes.push(done);
        }
    }
    if let (Some((id, _)), false) = (&case_row, changes.is_empty()) {
        let withdrawn = actions.contains(&Action::WithdrawCase);
        change.announce(conn, *id, &changes, withdrawn).await?;
    }
    Ok(())
}

/// What every action of one score change works from.
struct Rescore<'a, 'c> {
    ctx: &'a Context<'c>,
    settings: WorkspaceSettings,
    /// The answer with its new score.
    after: &'a Answer,
    previous: Score,
    score: Score,
    customer: Option<&'a Customer>,
    now: DateTime<Utc>,
}

impl Rescore<'_, '_> {
    /// Does one action on the answer's case (`case_id`, in `language`) or its engagements;
    /// returns what it changed on the case, to note in `case.updated`.
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        action: &Action,
        case_id: Option<i64>,
        language: Option<&str>,
    ) -> Result<Option<String>> {
        let (ctx, ws, after, score) = (self.ctx, self.after.workspace_id, self.after, self.score);
        let ts = to_ts(self.now);
        match (action, case_id) {
            (Action::ShowScore, Some(id)) => {
                sqlx::query("UPDATE cases SET score = $1 WHERE id = $2")
                    .bind(i64::from(score.value()))
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(Some(format!(
                    "score: {} → {}",
                    self.previous.value(),
                    score.value()
                )))
            }
            (Action::WithdrawCase, Some(id)) => {
                withdraw_case(conn, ws, id, ts, score, self.customer).await?;
                Ok(Some("status: withdrawn (closed)".into()))
            }
            (Action::ApplyPlaybook, Some(id)) => {
                let language = language.unwrap_or_default();
                let playbook = ctx.playbook(conn, ws, score, language).await?;
                let CasePlan {
                    priority,
                    steps,
                    due,
                } = CasePlan::of(
                    &playbook,
                    self.customer.is_some(),
                    &self.settings,
                    sla_start(after, self.now),
                );
                replan_case(conn, id, &steps, priority, due).await?;
                Ok(Some(format!(
                    "playbook of {}: priority {}",
                    score.value(),
                    priority.as_str()
                )))
            }
            (Action::Note(text), Some(id)) => {
                add_note_in(conn, ws, id, SYSTEM_AUTHOR, text).await?;
                Ok(Some("note added".into()))
            }
            (Action::OpenCase, _) => {
                on_detractor(conn, ctx, &self.settings, after, score, self.customer).await?;
                ctx.write_new_cases(conn).await?;
                Ok(None)
            }
            (Action::CancelQueuedEngagements, _) => {
                engagements::cancel_queued(conn, ws, after.id).await?;
                Ok(None)
            }
            (Action::QueueEngagements(kinds), _) => {
                engagements::queue_engagements(
                    conn,
                    ctx,
                    &self.settings,
                    after,
                    score,
                    self.customer,
                    kinds,
                )
                .await?;
                Ok(None)
            }
            (_, None) => Ok(None),
        }
    }

    /// Stamps the changed case and announces the `changes` as `case.updated`.
    async fn announce(
        &self,
        conn: &mut AnyConnection,
        id: i64,
        changes: &[String],
        withdrawn: bool,
    ) -> Result<()> {
        let ws = self.after.workspace_id;
        let status = touch_case(conn, id, to_ts(self.now)).await?;
        self.ctx
            .event(
                conn,
                ws,
                "case.updated",
                json!({
                    "case_id": id,
                    "change": "score_changed",
                    "changes": changes,
                    "by": SYSTEM_AUTHOR,
                    "answer_id": self.after.id,
                    "previous_score": self.previous.value(),
                    "score": self.score.value(),
                    "status": status,
                    "outcome": withdrawn.then_some("withdrawn"),
                }),
            )
            .await
    }
}

/// Keeps that an answer's score changed (not for eNPS, which keeps nothing of the kind).
async fn record_score_change(
    conn: &mut AnyConnection,
    before: &Answer,
    after: &Answer,
    now: DateTime<Utc>,
) -> Result<()> {
    let ws = after.workspace_id;
    sqlx::query(
        "INSERT INTO score_changes (workspace_id, answer_id, from_score, to_score, changed_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ws)
    .bind(after.id)
    .bind(i64::from(before.score))
    .bind(i64::from(after.score))
    .bind(to_ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The case an answer opened, else the one it joined: what the rescoring rules need to
/// know of it, and its id and language.
async fn case_since(
    conn: &mut AnyConnection,
    ws: i64,
    answer_id: i64,
) -> Result<(Option<CaseFacts>, Option<(i64, String)>)> {
    let case = sqlx::query(
        "SELECT k.id, k.status, k.answer_id, k.first_contact_at, k.language, k.created_at, \
         (SELECT COUNT(*) FROM case_steps s WHERE s.case_id = k.id AND s.done_at IS NOT NULL) \
         AS ticked, \
         (SELECT COUNT(*) FROM case_notes n WHERE n.case_id = k.id AND n.author <> $3) \
         AS by_people \
         FROM cases k WHERE k.workspace_id = $1 AND (k.answer_id = $2 OR k.id IN \
         (SELECT case_id FROM case_answers WHERE answer_id = $2)) \
         ORDER BY CASE WHEN k.answer_id = $2 THEN 0 ELSE 1 END, k.id DESC LIMIT 1",
    )
    .bind(ws)
    .bind(answer_id)
    .bind(SYSTEM_AUTHOR)
    .fetch_optional(&mut *conn)
    .await?;
    let mut facts = None;
    let mut case_row = None;
    if let Some(row) = &case {
        let status: String = row.try_get("status")?;
        let stage = match status.as_str() {
            "open" => CaseStage::Open,
            "contacted" => CaseStage::Contacted,
            "resolved" => CaseStage::Resolved,
            _ => CaseStage::Closed,
        };
        let ticked: i64 = row.try_get("ticked")?;
        let by_people: i64 = row.try_get("by_people")?;
        let first_contact: Option<i64> = row.try_get("first_contact_at")?;
        facts = Some(CaseFacts {
            stage,
            opened_by_answer: row.try_get::<i64, _>("answer_id")? == answer_id,
            step_ticked: ticked > 0,
            // Status changes and reassignments leave a note by the person who made them.
            work_started: ticked > 0
                || by_people > 0
                || first_contact.is_some()
                || stage != CaseStage::Open,
        });
        case_row = Some((
            row.try_get::<i64, _>("id")?,
            row.try_get::<String, _>("language")?,
        ));
    }
    Ok((facts, case_row))
}

/// Where each engagement of an answer is, as the rescoring rules see it.
async fn engagement_stages(
    conn: &mut AnyConnection,
    ws: i64,
    answer_id: i64,
) -> Result<Vec<(EngagementKind, EngagementStage)>> {
    let engagements: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, status FROM engagements WHERE workspace_id = $1 AND answer_id = $2",
    )
    .bind(ws)
    .bind(answer_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(engagements
        .iter()
        .filter_map(|(k, st)| {
            let stage = match st.as_str() {
                "queued" => EngagementStage::Queued,
                "cancelled" => EngagementStage::Cancelled,
                _ => EngagementStage::Sent,
            };
            Some((EngagementKind::parse(k)?, stage))
        })
        .collect())
}

/// Closes a case as withdrawn (the detractor is one no more), with a note, and clears the
/// follow-up flag it set on the customer.
async fn withdraw_case(
    conn: &mut AnyConnection,
    ws: i64,
    id: i64,
    ts: i64,
    score: Score,
    customer: Option<&Customer>,
) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET status = 'closed', closed_at = $1, outcome = 'withdrawn' \
         WHERE id = $2",
    )
    .bind(ts)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    add_note_in(conn, ws, id, SYSTEM_AUTHOR, &rescore::withdrawn_note(score)).await?;
    if let Some(c) = customer {
        // The "follow up at next contact" flag this case set no longer applies.
        sqlx::query(
            "UPDATE customers SET follow_up_note = NULL, follow_up_set_at = NULL \
             WHERE id = $1 AND follow_up_note LIKE $2",
        )
        .bind(c.id)
        .bind(format!("Detractor (%) — case #{id}"))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replaces a case's checklist, priority and SLA with those of a new playbook.
async fn replan_case(
    conn: &mut AnyConnection,
    id: i64,
    steps: &[String],
    priority: Priority,
    due: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("DELETE FROM case_steps WHERE case_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (position, text) in steps.iter().enumerate() {
        sqlx::query("INSERT INTO case_steps (case_id, position, text) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(position as i64)
            .bind(text)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE cases SET priority = $1, sla_due_at = $2 WHERE id = $3")
        .bind(priority.as_str())
        .bind(to_ts(due))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stamps a changed case's `updated_at` and returns its status.
async fn touch_case(conn: &mut AnyConnection, id: i64, ts: i64) -> Result<String> {
    sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
        .bind(ts)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(status)
}
