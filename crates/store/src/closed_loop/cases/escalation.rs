//! Escalation: open cases past their first-contact SLA, each claimed once, and their alerts.

use super::{case_detail_in, Case};
use crate::closed_loop::context::format_due;
use crate::delivery::outbox::{
    enqueue_chat, enqueue_email, enqueue_event, enqueue_slack, EmailMessage, MessageKind,
};
use crate::models::WorkspaceSettings;
use crate::tenancy::lookup::{company_in, sender, settings_in};
use crate::tenancy::users::staff_language_in;
use crate::Cases;
use crate::{to_ts, Backend, Result};
use advocate_core::messages::{self, AlertFacts};
use advocate_core::Language;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Most cases one escalation pass handles per transaction.
const ESCALATION_BATCH: i64 = 100;

impl Cases<'_> {
    /// Marks every open case whose first-contact SLA has passed (and that was not
    /// escalated yet) as escalated, and in the same transaction queues `case.overdue`, the
    /// escalation email to the workspace's manager and a chat alert. Each case is
    /// escalated exactly once, however many instances run this at the same time: the
    /// `UPDATE … WHERE escalated_at IS NULL … RETURNING` claims it atomically. Returns how
    /// many cases were escalated.
    #[tracing::instrument(name = "cases.escalate_overdue", level = "debug", skip_all)]
    pub async fn escalate_overdue(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.escalate_batch(now).await?;
            total += n;
            if (n as i64) < ESCALATION_BATCH {
                break;
            }
        }
        if total > 0 {
            self.store.wake_outbox();
        }
        Ok(total)
    }

    async fn escalate_batch(&self, now: DateTime<Utc>) -> Result<usize> {
        // On PostgreSQL, rows another instance is escalating right now are skipped rather
        // than waited for; the outer `escalated_at IS NULL` is re-checked after any wait.
        let skip = if self.store.backend == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let ts = to_ts(now);
        let mut tx = self.store.begin_write().await?;
        let claimed: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "UPDATE cases SET escalated_at = $1, updated_at = $1 WHERE escalated_at IS NULL \
             AND id IN (SELECT id FROM cases WHERE status = 'open' AND first_contact_at IS NULL \
             AND escalated_at IS NULL AND sla_due_at < $1 ORDER BY sla_due_at, id LIMIT $2{skip}) \
             RETURNING id, workspace_id"
        ))
        .bind(ts)
        .bind(ESCALATION_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let mut settings: BTreeMap<i64, (WorkspaceSettings, String, Language)> = BTreeMap::new();
        for (id, ws) in &claimed {
            if !settings.contains_key(ws) {
                let s = settings_in(&mut tx, *ws).await?;
                let (company, lang) = company_in(&mut tx, *ws).await?;
                settings.insert(*ws, (s, company, lang));
            }
            let (s, company, lang) = &settings[ws];
            let case = case_detail_in(&mut tx, *ws, *id)
                .await?
                .expect("claimed case exists")
                .case;
            queue_escalation(
                &mut tx,
                self.store.public_url(),
                *ws,
                s,
                company,
                lang,
                &case,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(claimed.len())
    }
}

async fn queue_escalation(
    conn: &mut AnyConnection,
    public_url: &str,
    ws: i64,
    settings: &WorkspaceSettings,
    company: &str,
    lang: &Language,
    case: &Case,
) -> Result<()> {
    let ws_cases_url = format!("{}/cases/{}", public_url.trim_end_matches('/'), case.id);
    let customer = case
        .customer_name
        .clone()
        .or_else(|| case.customer_external_id.clone())
        .unwrap_or_else(|| messages::anonymous_respondent(lang).to_owned());
    let due = format_due(case.sla_due_at);
    let facts = AlertFacts {
        company,
        case_id: case.id,
        score: case.score,
        customer: &customer,
        comment: case.comment.as_deref(),
        priority: case.priority,
        assignee: &case.assignee,
        due: &due,
        case_url: &ws_cases_url,
    };
    enqueue_event(
        conn,
        ws,
        "case.overdue",
        json!({
            "case_id": case.id,
            "score": case.score,
            "priority": case.priority,
            "assignee": case.assignee,
            "sla_due_at": case.sla_due_at.to_rfc3339(),
            "customer": case.customer_external_id,
            "url": ws_cases_url,
        }),
    )
    .await?;
    if let Some(to) = &settings.manager_email {
        let lang = staff_language_in(conn, to, lang).await?;
        let content = messages::escalation(&lang, &facts);
        let msg = EmailMessage {
            from: sender(settings),
            to: to.clone(),
            subject: content.subject,
            text: content.text,
            html: content.html,
            engagement_ids: Vec::new(),
            ..Default::default()
        };
        enqueue_email(conn, ws, "case.overdue", &msg).await?;
    }
    if let Some(url) = &settings.slack_webhook_url {
        enqueue_slack(
            conn,
            ws,
            "case.overdue",
            url,
            &messages::slack_overdue(lang, &facts),
        )
        .await?;
    }
    if let Some(url) = &settings.teams_webhook_url {
        let card = messages::teams_overdue_card(lang, &facts);
        enqueue_chat(conn, ws, MessageKind::Teams, "case.overdue", url, &card).await?;
    }
    Ok(())
}
