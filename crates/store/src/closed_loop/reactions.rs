//! What an answer sets off, in the same transaction as the answer itself (PRODUCT.md §3):
//! a detractor opens a case (or joins the customer's open one) with the playbook's
//! checklist, priority, SLA and assignee, and alerts go out; a passive may be nudged; a
//! promoter is thanked and engaged; a resolved case learns its re-survey score; and every
//! subscribed webhook hears about it. Nothing here sends anything: it writes outbox rows.

use crate::closed_loop::cases::add_note_in;
use crate::closed_loop::context::{
    customer_email, customer_label, format_due, respondent_language, Context, SYSTEM_AUTHOR,
};
use crate::closed_loop::engagements;
use crate::closed_loop::new_cases::NewCase;
use crate::delivery::outbox::{enqueue_email, enqueue_event, enqueue_slack, EmailMessage};
use crate::models::{AnonymousDetractors, Answer, Customer, RoutingRule, WorkspaceSettings};
use crate::tenancy::lookup::{admin_emails, alert_address, sender};
use crate::{to_ts, Result, StoreError};
use advocate_core::messages::{self, AlertFacts};
use advocate_core::rescore::{self, Action, CaseFacts, CaseStage, EngagementStage, Since};
use advocate_core::{Category, EngagementKind, Playbook, Priority, Score, SurveyKind};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Who a new case goes to: the account manager, else the first matching rule, else the
/// default queue.
fn assignee(
    customer: Option<&Customer>,
    rules: &[RoutingRule],
    answer: &Answer,
    settings: &WorkspaceSettings,
) -> String {
    customer
        .and_then(|c| c.account_manager.clone())
        .or_else(|| {
            rules
                .iter()
                .find(|r| r.matches(answer))
                .map(|r| r.assignee.clone())
        })
        .unwrap_or_else(|| settings.default_queue.clone())
}

/// Who is emailed about a new case for `assignee`: the assignee when it is an address,
/// else the team inbox, else — so that a workspace that configured neither still hears of
/// its detractors — every admin of the workspace.
pub(crate) async fn alert_recipients(
    conn: &mut AnyConnection,
    workspace_id: i64,
    assignee: &str,
    settings: &WorkspaceSettings,
) -> Result<Vec<String>> {
    if let Some(to) = alert_address(assignee, settings) {
        return Ok(vec![to]);
    }
    admin_emails(conn, workspace_id).await
}

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
    if kind != SurveyKind::Nps {
        return Ok(());
    }
    let score =
        Score::new(i64::from(answer.score)).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if let Some(c) = customer {
        record_resurvey(conn, ws, c.id, answer).await?;
    }
    let settings = ctx.settings(conn, ws).await?;
    match score.category() {
        Category::Detractor => on_detractor(conn, ctx, &settings, answer, score, customer).await,
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
            Ok(())
        }
        Category::Promoter => {
            engagements::on_promoter(conn, ctx, &settings, answer, score, customer).await
        }
    }
}

/// A detractor answer (new, or changed to a detractor score): it joins the customer's
/// open case, else opens one. An anonymous detractor (no one to contact) opens a case
/// without contact steps only when the workspace asks for that; by default it opens none
/// and is flagged for review instead (see `Cases::anonymous_for_review`).
async fn on_detractor(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    settings: &WorkspaceSettings,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
) -> Result<()> {
    let ws = answer.workspace_id;
    let open = match customer {
        Some(c) => open_case_of(conn, ws, c.id).await?,
        None if settings.anonymous_detractors == AnonymousDetractors::Review => return Ok(()),
        None => None,
    };
    match open {
        Some(case_id) => link_to_case(conn, ws, case_id, answer).await,
        None => open_case(conn, ctx, settings, answer, score, customer).await,
    }
}

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
    let settings = ctx.settings(conn, ws).await?;
    let ts = to_ts(now);
    let mut changes: Vec<String> = Vec::new();
    for action in &actions {
        let case_id = case_row.as_ref().map(|(id, _)| *id);
        match (action, case_id) {
            (Action::ShowScore, Some(id)) => {
                sqlx::query("UPDATE cases SET score = $1 WHERE id = $2")
                    .bind(i64::from(score.value()))
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                changes.push(format!("score: {} → {}", previous.value(), score.value()));
            }
            (Action::WithdrawCase, Some(id)) => {
                withdraw_case(conn, ws, id, ts, score, customer.as_ref()).await?;
                changes.push("status: withdrawn (closed)".into());
            }
            (Action::ApplyPlaybook, Some(id)) => {
                let language = case_row
                    .as_ref()
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default();
                let playbook = ctx.playbook(conn, ws, score, &language).await?;
                let CasePlan {
                    priority,
                    steps,
                    due,
                } = CasePlan::of(&playbook, after, customer.is_some(), &settings, now);
                replan_case(conn, id, &steps, priority, due).await?;
                changes.push(format!(
                    "playbook of {}: priority {}",
                    score.value(),
                    priority.as_str()
                ));
            }
            (Action::Note(text), Some(id)) => {
                add_note_in(conn, ws, id, SYSTEM_AUTHOR, text).await?;
                changes.push("note added".into());
            }
            (Action::OpenCase, _) => {
                on_detractor(conn, ctx, &settings, after, score, customer.as_ref()).await?;
                ctx.write_new_cases(conn).await?;
            }
            (Action::CancelQueuedEngagements, _) => {
                engagements::cancel_queued(conn, ws, after.id).await?;
            }
            (Action::QueueEngagements(kinds), _) => {
                engagements::queue_engagements(
                    conn,
                    ctx,
                    &settings,
                    after,
                    score,
                    customer.as_ref(),
                    kinds,
                )
                .await?;
            }
            (_, None) => {}
        }
    }
    if let (Some((id, _)), false) = (&case_row, changes.is_empty()) {
        let status = touch_case(conn, *id, ts).await?;
        ctx.event(
            conn,
            ws,
            "case.updated",
            json!({
                "case_id": id,
                "change": "score_changed",
                "changes": changes,
                "by": SYSTEM_AUTHOR,
                "answer_id": after.id,
                "previous_score": previous.value(),
                "score": score.value(),
                "status": status,
                "outcome": actions.contains(&Action::WithdrawCase).then_some("withdrawn"),
            }),
        )
        .await?;
    }
    Ok(())
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

/// What a score's playbook makes of a case, when it is opened or its score changes.
struct CasePlan {
    priority: Priority,
    steps: Vec<String>,
    /// First contact is due by then.
    due: DateTime<Utc>,
}

impl CasePlan {
    fn of(
        playbook: &Playbook,
        answer: &Answer,
        known_customer: bool,
        settings: &WorkspaceSettings,
        now: DateTime<Utc>,
    ) -> Self {
        // A workspace may have edited a detractor playbook without a priority: keep a case.
        let priority = playbook.priority.unwrap_or(Priority::Normal);
        let steps = match known_customer {
            true => playbook.steps.clone(),
            // Nobody to contact: the case is about learning from the answer.
            false => advocate_core::rescore::anonymous_case_steps(&playbook.steps),
        };
        let due = answer.answered_at.max(now - Duration::days(365))
            + Duration::hours(i64::from(settings.sla_hours.for_priority(priority)));
        Self {
            priority,
            steps,
            due,
        }
    }
}

async fn open_case(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    settings: &WorkspaceSettings,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
) -> Result<()> {
    let ws = answer.workspace_id;
    let (company, default_lang) = ctx.company(conn, ws).await?;
    let lang = respondent_language(answer, customer, &default_lang);
    let playbook = ctx.playbook(conn, ws, score, lang.as_str()).await?;
    let rules = ctx.routing_rules(conn, ws).await?;
    let assignee = assignee(customer, &rules, answer, settings);
    let now = Utc::now();
    let CasePlan {
        priority,
        steps,
        due,
    } = CasePlan::of(&playbook, answer, customer.is_some(), settings, now);
    let case_id = ctx.new_case_id(conn).await?;
    ctx.cases().add(NewCase {
        id: case_id,
        workspace_id: ws,
        customer_id: customer.map(|c| c.id),
        answer_id: answer.id,
        survey_id: answer.survey_id,
        score: i64::from(score.value()),
        priority: priority.as_str(),
        assignee: assignee.clone(),
        language: lang.as_str().to_owned(),
        sla_due_at: to_ts(due),
        created_at: to_ts(now),
        steps,
    });
    if let Some(c) = customer {
        sqlx::query(
            "UPDATE customers SET follow_up_note = $1, follow_up_set_at = $2 WHERE id = $3",
        )
        .bind(format!("Detractor ({}) — case #{case_id}", score.value()))
        .bind(to_ts(now))
        .bind(c.id)
        .execute(&mut *conn)
        .await?;
    }

    let customer_name = customer_label(customer, &default_lang);
    let case_url = format!("{}/cases/{case_id}", ctx.public_url.trim_end_matches('/'));
    let due_text = format_due(due);
    let facts = AlertFacts {
        company: &company,
        case_id,
        score: score.value(),
        customer: &customer_name,
        comment: answer.comment.as_deref(),
        priority,
        assignee: &assignee,
        due: &due_text,
        case_url: &case_url,
    };
    for to in alert_recipients(conn, ws, &assignee, settings).await? {
        // Alerts go to staff: the workspace's language.
        let content = messages::detractor_alert(&default_lang, &facts);
        let msg = EmailMessage {
            from: sender(settings),
            to,
            subject: content.subject,
            text: content.text,
            html: content.html,
            engagement_ids: Vec::new(),
            ..Default::default()
        };
        enqueue_email(conn, ws, "case.created", &msg).await?;
    }
    if let Some(url) = &settings.slack_webhook_url {
        enqueue_slack(
            conn,
            ws,
            "case.created",
            url,
            &messages::slack_alert(&default_lang, &facts),
        )
        .await?;
    }
    let data = json!({
        "case_id": case_id,
        "answer_id": answer.id,
        "score": score.value(),
        "priority": priority.as_str(),
        "assignee": assignee,
        "sla_due_at": due.to_rfc3339(),
        "customer": customer.map(|c| c.external_id.clone()),
        "comment": answer.comment,
        "url": case_url,
    });
    ctx.event(conn, ws, "case.created", data).await?;
    Ok(())
}
