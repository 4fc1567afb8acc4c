//! What an answer sets off, in the same transaction as the answer itself (PRODUCT.md §3):
//! a detractor opens a case (or joins the customer's open one) with the playbook's
//! checklist, priority, SLA and assignee, and alerts go out; a passive may be nudged; a
//! promoter is thanked and engaged; a resolved case learns its re-survey score; and every
//! subscribed webhook hears about it. Nothing here sends anything: it writes outbox rows.
//!
//! Opening a detractor's case, with its alerts, is in `open_case.rs`; what a changed score
//! does in `score_change.rs`.

mod open_case;
mod score_change;

pub(crate) use open_case::{assignee, start_case};
pub(crate) use score_change::on_score_change;

use crate::closed_loop::alerts::matching as alerts;
use crate::closed_loop::cases::add_note_in;
use crate::closed_loop::context::{customer_email, respondent_language, Context, SYSTEM_AUTHOR};
use crate::closed_loop::engagements;
use crate::delivery::outbox::{enqueue_email, enqueue_event};
use crate::models::{AnonymousDetractors, Answer, Customer, WorkspaceSettings};
use crate::tenancy::lookup::sender;
use crate::{to_ts, Result, StoreError};
use advocate_core::messages;
use advocate_core::{Category, Score, SurveyKind};
use chrono::Utc;
use open_case::open_case;
use serde_json::json;
use sqlx::AnyConnection;

/// Reacts to a freshly inserted answer. `kind` is its survey's kind.
pub(crate) async fn on_answer(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    answer: &Answer,
    kind: SurveyKind,
    customer: Option<&Customer>,
) -> Result<()> {
    let ws = answer.workspace_id;
    if customer.is_some() {
        // What follows may read the customer's cases: the group's new ones first.
        ctx.write_new_cases(conn).await?;
    }
    ctx.event(conn, ws, "response.created", answer_json(answer, customer))
        .await?;
    // eNPS is anonymous and CSAT has its own scale: only customer NPS closes the loop.
    // People may still subscribe to their answers (eNPS ones only gathered, anonymous).
    if kind != SurveyKind::Nps {
        let settings = ctx.settings(conn, ws).await?;
        return alerts::on_answer(conn, ctx, &sender(&settings), answer, kind, customer, None)
            .await;
    }
    let score =
        Score::new(i64::from(answer.score)).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if let Some(c) = customer {
        record_resurvey(conn, ws, c.id, answer).await?;
    }
    let settings = ctx.settings(conn, ws).await?;
    let case_id = match score.category() {
        Category::Detractor => on_detractor(conn, ctx, &settings, answer, score, customer).await?,
        Category::Passive => {
            if settings.passive_nudge {
                if let Some(customer) = customer {
                    let (company, default_lang) = ctx.company(conn, ws).await?;
                    let lang = respondent_language(answer, Some(customer), &default_lang);
                    let content =
                        messages::passive_nudge(&lang, &company, customer.name.as_deref());
                    if let Some(msg) = customer_email(ctx, &settings, customer, &lang, content) {
                        enqueue_email(conn, ws, "passive.nudge", &msg).await?;
                    }
                }
            }
            None
        }
        Category::Promoter => {
            engagements::on_promoter(conn, ctx, &settings, answer, score, customer).await?;
            None
        }
    };
    // People's own alerts, linking to the case the answer opened or joined.
    alerts::on_answer(
        conn,
        ctx,
        &sender(&settings),
        answer,
        kind,
        customer,
        case_id,
    )
    .await
}

/// A detractor answer (new, or changed to a detractor score): it joins the customer's
/// open case, else opens one. An anonymous detractor (no one to contact) opens a case
/// without contact steps only when the workspace asks for that; by default it opens none
/// and is flagged for review instead (see `Cases::anonymous_for_review`). Returns the
/// case it opened or joined.
async fn on_detractor(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    settings: &WorkspaceSettings,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
) -> Result<Option<i64>> {
    let ws = answer.workspace_id;
    let open = match customer {
        Some(c) => open_case_of(conn, ws, c.id).await?,
        None if settings.anonymous_detractors == AnonymousDetractors::Review => return Ok(None),
        None => None,
    };
    Ok(Some(match open {
        Some(case_id) => {
            link_to_case(conn, ws, case_id, answer).await?;
            case_id
        }
        None => open_case(conn, ctx, settings, answer, score, customer).await?,
    }))
}

fn answer_json(answer: &Answer, customer: Option<&Customer>) -> serde_json::Value {
    json!({
        "answer_id": answer.id,
        "survey_id": answer.survey_id,
        "score": answer.score,
        "comment": answer.comment,
        "channel": answer.channel,
        "touchpoint": answer.touchpoint,
        "language": answer.language,
        "answered_at": answer.answered_at.to_rfc3339(),
        "customer": customer.map(|c| c.external_id.clone()),
    })
}

async fn open_case_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM cases WHERE workspace_id = $1 AND customer_id = $2 \
         AND status IN ('open', 'contacted') ORDER BY id DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A later answer joins the open case: linked, noted, and announced as an update.
async fn link_to_case(
    conn: &mut AnyConnection,
    ws: i64,
    case_id: i64,
    answer: &Answer,
) -> Result<()> {
    let now = to_ts(Utc::now());
    sqlx::query(
        "INSERT INTO case_answers (case_id, answer_id) VALUES ($1, $2) \
         ON CONFLICT (case_id, answer_id) DO NOTHING",
    )
    .bind(case_id)
    .bind(answer.id)
    .execute(&mut *conn)
    .await?;
    let note = match &answer.comment {
        Some(c) => format!("New answer: {} — “{c}”", answer.score),
        None => format!("New answer: {}", answer.score),
    };
    add_note_in(conn, ws, case_id, SYSTEM_AUTHOR, &note).await?;
    sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    enqueue_event(
        conn,
        ws,
        "case.updated",
        json!({"case_id": case_id, "change": "answer_linked", "answer_id": answer.id}),
    )
    .await
}

/// Records this answer as the re-survey score of the customer's latest resolved case that
/// does not have one yet, so its before/after can be shown.
async fn record_resurvey(
    conn: &mut AnyConnection,
    ws: i64,
    customer_id: i64,
    answer: &Answer,
) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET resurvey_answer_id = $1 WHERE id = (SELECT id FROM cases WHERE workspace_id = $2 \
         AND customer_id = $3 AND status IN ('resolved', 'closed') AND resurvey_answer_id IS NULL \
         AND resolved_at IS NOT NULL AND resolved_at <= $4 ORDER BY resolved_at DESC LIMIT 1)",
    )
    .bind(answer.id)
    .bind(ws)
    .bind(customer_id)
    .bind(to_ts(answer.answered_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
