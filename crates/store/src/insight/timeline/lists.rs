//! The record's lists, one query each: NPS counts, answers, score changes, cases with
//! their notes, engagements.

use super::{
    opt_ts, TimelineAnswer, TimelineCase, TimelineEmail, TimelineEngagement, TimelineNote,
};
use super::{TIMELINE_ANSWERS, TIMELINE_CASES, TIMELINE_ENGAGEMENTS, TIMELINE_NOTES};
use crate::closed_loop::cases::CASE_OF_ANSWER;
use crate::{from_ts, Result, StoreError};
use advocate_core::{Category, NpsCounts, Score, SurveyKind};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

fn score_of(row: &AnyRow, col: &str) -> Result<u8> {
    u8::try_from(row.try_get::<i64, _>(col)?)
        .map_err(|_| StoreError::Invalid("stored score out of range".into()))
}

fn category_of(kind: SurveyKind, score: u8) -> Option<Category> {
    match kind {
        SurveyKind::Csat => None,
        SurveyKind::Nps | SurveyKind::Enps => {
            Score::new(i64::from(score)).ok().map(|s| s.category())
        }
    }
}

/// Counts over every NPS answer of the customer, and their latest NPS score.
pub(super) async fn nps_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<(NpsCounts, Option<u8>)> {
    let row = sqlx::query(
        "SELECT COUNT(CASE WHEN a.score >= 9 THEN 1 END) AS p, \
         COUNT(CASE WHEN a.score IN (7, 8) THEN 1 END) AS m, \
         COUNT(CASE WHEN a.score <= 6 THEN 1 END) AS d \
         FROM answers a JOIN surveys s ON s.id = a.survey_id \
         WHERE a.workspace_id = $1 AND a.customer_id = $2 AND s.kind = 'nps'",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .fetch_one(&mut *conn)
    .await?;
    let n = |c: &str| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(c)?).unwrap_or(0)) };
    let counts = NpsCounts::new(n("p")?, n("m")?, n("d")?);
    let latest: Option<i64> = sqlx::query_scalar(
        "SELECT a.score FROM answers a JOIN surveys s ON s.id = a.survey_id \
         WHERE a.workspace_id = $1 AND a.customer_id = $2 AND s.kind = 'nps' \
         ORDER BY a.answered_at DESC, a.id DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok((counts, latest.and_then(|s| u8::try_from(s).ok())))
}

/// A change of one of the customer's scores: (when, answer, from, to, survey name).
pub(super) type ScoreChange = (DateTime<Utc>, i64, u8, u8, String);

pub(super) async fn score_changes_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<ScoreChange>> {
    let rows: Vec<(i64, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT c.changed_at, c.answer_id, c.from_score, c.to_score, s.name \
         FROM score_changes c JOIN answers a ON a.id = c.answer_id \
         JOIN surveys s ON s.id = a.survey_id \
         WHERE c.workspace_id = $1 AND a.customer_id = $2 ORDER BY c.changed_at DESC, c.id DESC \
         LIMIT $3",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_ANSWERS)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, id, from, to, name)| {
            let score = |v: i64| u8::try_from(v).unwrap_or_default();
            (from_ts(at), id, score(from), score(to), name)
        })
        .collect())
}

pub(super) async fn answers_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<TimelineAnswer>> {
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.answered_at, a.score, a.comment, a.channel, s.slug, s.name, s.kind, \
         {CASE_OF_ANSWER} AS case_id \
         FROM answers a JOIN surveys s ON s.id = a.survey_id \
         WHERE a.workspace_id = $1 AND a.customer_id = $2 \
         ORDER BY a.answered_at DESC, a.id DESC LIMIT $3"
    ))
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_ANSWERS)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind = SurveyKind::parse(&r.try_get::<String, _>("kind")?)
                .map_err(|_| StoreError::Invalid("stored survey kind is not valid".into()))?;
            let score = score_of(r, "score")?;
            Ok(TimelineAnswer {
                id: r.try_get("id")?,
                answered_at: from_ts(r.try_get("answered_at")?),
                survey_slug: r.try_get("slug")?,
                survey_name: r.try_get("name")?,
                survey_kind: kind,
                score,
                category: category_of(kind, score),
                comment: r.try_get("comment")?,
                channel: r.try_get("channel")?,
                case_id: r.try_get("case_id")?,
            })
        })
        .collect()
}

pub(super) async fn cases_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<TimelineCase>> {
    let rows = sqlx::query(
        "SELECT k.id, k.score, k.priority, k.status, k.assignee, k.created_at, k.sla_due_at, \
         k.first_contact_at, k.resolved_at, k.closed_at, k.escalated_at, k.outcome, \
         k.compensation, r.score AS resurvey_score \
         FROM cases k LEFT JOIN answers r ON r.id = k.resurvey_answer_id \
         WHERE k.workspace_id = $1 AND k.customer_id = $2 ORDER BY k.id DESC LIMIT $3",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_CASES)
    .fetch_all(&mut *conn)
    .await?;
    let now = Utc::now();
    let mut cases = rows
        .iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            let sla_due_at = from_ts(r.try_get("sla_due_at")?);
            let first_contact_at = opt_ts(r, "first_contact_at")?;
            Ok(TimelineCase {
                id: r.try_get("id")?,
                score: score_of(r, "score")?,
                priority: r.try_get("priority")?,
                overdue: status == "open" && first_contact_at.is_none() && sla_due_at < now,
                status,
                assignee: r.try_get("assignee")?,
                created_at: from_ts(r.try_get("created_at")?),
                sla_due_at,
                first_contact_at,
                resolved_at: opt_ts(r, "resolved_at")?,
                closed_at: opt_ts(r, "closed_at")?,
                escalated_at: opt_ts(r, "escalated_at")?,
                outcome: r.try_get("outcome")?,
                compensation: r.try_get("compensation")?,
                resurvey_score: r
                    .try_get::<Option<i64>, _>("resurvey_score")?
                    .and_then(|s| u8::try_from(s).ok()),
                notes: Vec::new(),
                emails: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let notes = sqlx::query(
        "SELECT n.id, n.case_id, n.author, n.body, n.created_at FROM case_notes n \
         WHERE n.workspace_id = $1 AND n.case_id IN (SELECT k.id FROM cases k \
         WHERE k.workspace_id = $1 AND k.customer_id = $2 ORDER BY k.id DESC LIMIT $3) \
         ORDER BY n.created_at DESC, n.id DESC LIMIT $4",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_CASES)
    .bind(TIMELINE_NOTES)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_case: BTreeMap<i64, Vec<TimelineNote>> = BTreeMap::new();
    for r in &notes {
        let note = TimelineNote {
            id: r.try_get("id")?,
            case_id: r.try_get("case_id")?,
            author: r.try_get("author")?,
            body: r.try_get("body")?,
            created_at: from_ts(r.try_get("created_at")?),
        };
        by_case.entry(note.case_id).or_default().push(note);
    }
    let emails = sqlx::query(
        "SELECT m.id, m.case_id, m.direction, m.nature, m.author, m.subject, m.created_at \
         FROM case_messages m WHERE m.workspace_id = $1 AND m.case_id IN (SELECT k.id FROM cases k \
         WHERE k.workspace_id = $1 AND k.customer_id = $2 ORDER BY k.id DESC LIMIT $3) \
         ORDER BY m.created_at DESC, m.id DESC LIMIT $4",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_CASES)
    .bind(TIMELINE_NOTES)
    .fetch_all(&mut *conn)
    .await?;
    let mut emails_by_case: BTreeMap<i64, Vec<TimelineEmail>> = BTreeMap::new();
    for r in &emails {
        let email = TimelineEmail {
            id: r.try_get("id")?,
            case_id: r.try_get("case_id")?,
            direction: r.try_get("direction")?,
            nature: r.try_get("nature")?,
            author: r.try_get("author")?,
            subject: r.try_get("subject")?,
            created_at: from_ts(r.try_get("created_at")?),
        };
        emails_by_case.entry(email.case_id).or_default().push(email);
    }
    for case in &mut cases {
        case.notes = by_case.remove(&case.id).unwrap_or_default();
        case.emails = emails_by_case.remove(&case.id).unwrap_or_default();
    }
    Ok(cases)
}

pub(super) async fn engagements_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<TimelineEngagement>> {
    let rows = sqlx::query(
        "SELECT id, answer_id, kind, status, discount_code, created_at, updated_at \
         FROM engagements WHERE workspace_id = $1 AND customer_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_ENGAGEMENTS)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TimelineEngagement {
                id: r.try_get("id")?,
                answer_id: r.try_get("answer_id")?,
                kind: r.try_get("kind")?,
                status: r.try_get("status")?,
                discount_code: r.try_get("discount_code")?,
                created_at: from_ts(r.try_get("created_at")?),
                updated_at: from_ts(r.try_get("updated_at")?),
            })
        })
        .collect()
}
