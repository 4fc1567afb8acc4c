//! A detractor's new case: its playbook's plan, who it goes to, the alerts to them and
//! the `case.created` event. [`start_case`] is what every new case shares, the one a
//! person opens by hand included (`cases::by_hand`).

use crate::closed_loop::context::{customer_label, format_due, respondent_language, Context};
use crate::closed_loop::new_cases::NewCase;
use crate::delivery::outbox::{enqueue_chat, enqueue_email, EmailMessage, MessageKind};
use crate::models::{Answer, Customer, RoutingRule, WorkspaceSettings};
use crate::tenancy::lookup::{admin_emails, alert_address, sender};
use crate::tenancy::users::staff_language_in;
use crate::{to_ts, Result};
use advocate_core::messages::{self, AlertFacts};
use advocate_core::{Playbook, Priority, Score};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::AnyConnection;

/// Who a new case goes to: the account manager, else the first matching rule, else the
/// default queue.
pub(crate) fn assignee(
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
async fn alert_recipients(
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

/// What a score's playbook makes of a case, when it is opened or its score changes.
pub(crate) struct CasePlan {
    pub(crate) priority: Priority,
    pub(crate) steps: Vec<String>,
    /// First contact is due by then.
    pub(crate) due: DateTime<Utc>,
}

/// When the first-contact SLA of a case an answer opens starts: when the customer
/// answered, no further back than a year.
pub(super) fn sla_start(answer: &Answer, now: DateTime<Utc>) -> DateTime<Utc> {
    answer.answered_at.max(now - Duration::days(365))
}

impl CasePlan {
    /// The plan of `playbook`, its SLA counted from `sla_from`.
    pub(crate) fn of(
        playbook: &Playbook,
        known_customer: bool,
        settings: &WorkspaceSettings,
        sla_from: DateTime<Utc>,
    ) -> Self {
        // A workspace may have edited a detractor playbook without a priority: keep a case.
        let priority = playbook.priority.unwrap_or(Priority::Normal);
        let steps = match known_customer {
            true => playbook.steps.clone(),
            // Nobody to contact: the case is about learning from the answer.
            false => advocate_core::rescore::anonymous_case_steps(&playbook.steps),
        };
        let due = sla_from + Duration::hours(i64::from(settings.sla_hours.for_priority(priority)));
        Self {
            priority,
            steps,
            due,
        }
    }
}

/// A case just opened: its id and plan, its row waiting in the context (see
/// `new_cases`).
pub(crate) struct Started {
    pub(crate) id: i64,
    pub(crate) plan: CasePlan,
}

impl Started {
    /// The `case.created` event's data.
    pub(crate) fn event_data(
        &self,
        answer: &Answer,
        score: Score,
        assignee: &str,
        customer: Option<&Customer>,
        case_url: &str,
    ) -> serde_json::Value {
        json!({
            "case_id": self.id,
            "answer_id": answer.id,
            "score": score.value(),
            "priority": self.plan.priority.as_str(),
            "assignee": assignee,
            "sla_due_at": self.plan.due.to_rfc3339(),
            "customer": customer.map(|c| c.external_id.clone()),
            "comment": answer.comment,
            "url": case_url,
        })
    }
}

/// Opens a case for `answer` with the playbook of `score` in the respondent's language,
/// assigned to `assignee`, its first contact due `sla_from` plus the SLA: what every new
/// case shares. Nothing is announced here.
pub(crate) async fn start_case(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
    assignee: &str,
    sla_from: DateTime<Utc>,
) -> Result<Started> {
    let ws = answer.workspace_id;
    let settings = ctx.settings(conn, ws).await?;
    let (_, default_lang) = ctx.company(conn, ws).await?;
    let lang = respondent_language(answer, customer, &default_lang);
    let playbook = ctx.playbook(conn, ws, score, lang.as_str()).await?;
    let plan = CasePlan::of(&playbook, customer.is_some(), &settings, sla_from);
    let id = ctx.new_case_id(conn).await?;
    ctx.cases().add(NewCase {
        id,
        workspace_id: ws,
        customer_id: customer.map(|c| c.id),
        answer_id: answer.id,
        survey_id: answer.survey_id,
        score: i64::from(score.value()),
        priority: plan.priority.as_str(),
        assignee: assignee.to_owned(),
        language: lang.as_str().to_owned(),
        sla_due_at: to_ts(plan.due),
        created_at: to_ts(Utc::now()),
        steps: plan.steps.clone(),
    });
    Ok(Started { id, plan })
}

pub(super) async fn open_case(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    settings: &WorkspaceSettings,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
) -> Result<i64> {
    let ws = answer.workspace_id;
    let (company, default_lang) = ctx.company(conn, ws).await?;
    let rules = ctx.routing_rules(conn, ws).await?;
    let assignee = assignee(customer, &rules, answer, settings);
    let now = Utc::now();
    let started = start_case(
        conn,
        ctx,
        answer,
        score,
        customer,
        &assignee,
        sla_start(answer, now),
    )
    .await?;
    let (case_id, priority, due) = (started.id, started.plan.priority, started.plan.due);
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
        // Alerts go to staff: in the recipient's language when they have an account.
        let lang = staff_language_in(conn, &to, &default_lang).await?;
        let content = messages::detractor_alert(&lang, &facts);
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
        let blocks = messages::slack_blocks(&default_lang, &facts);
        enqueue_chat(conn, ws, MessageKind::Slack, "case.created", url, &blocks).await?;
    }
    if let Some(url) = &settings.teams_webhook_url {
        let card = messages::teams_card(&default_lang, &facts);
        enqueue_chat(conn, ws, MessageKind::Teams, "case.created", url, &card).await?;
    }
    let data = started.event_data(answer, score, &assignee, customer, &case_url);
    ctx.event(conn, ws, "case.created", data).await?;
    Ok(case_id)
}
