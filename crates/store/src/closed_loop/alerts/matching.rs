//! Matching a new answer against the workspace's subscriptions, in the answer's
//! transaction: an at-once subscription queues its message now, a batched one gathers the
//! answer for `flush.rs`. The subscriptions (with their owners' address, language and
//! role) are read in one indexed query per workspace per group of answers (the reaction
//! context keeps them); a workspace without subscriptions costs that query and nothing more.

use super::watchers::Watcher;
use crate::closed_loop::context::{customer_label, Context};
use crate::delivery::outbox::{enqueue, enqueue_email, EmailMessage, MessageKind};
use crate::models::{Answer, Customer};
use crate::{to_ts, Result};
use advocate_core::alerts::{AlertChannel, AnswerFacts};
use advocate_core::messages::{self, AnswerAlert};
use advocate_core::{Language, SurveyKind};
use chrono::Utc;
use serde_json::{json, Value};
use sqlx::AnyConnection;

/// Matches a new answer to a `kind` survey against the workspace's subscriptions.
/// `case_id` is the case it opened or joined, which the alert links to.
pub(crate) async fn on_answer(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    sender: &str,
    answer: &Answer,
    kind: SurveyKind,
    customer: Option<&Customer>,
    case_id: Option<i64>,
) -> Result<()> {
    let watchers = ctx.alert_watchers(conn, answer.workspace_id).await?;
    if watchers.is_empty() {
        return Ok(());
    }
    let facts = AnswerFacts {
        kind,
        score: answer.score,
        survey_id: answer.survey_id,
        touchpoint: answer.touchpoint.as_deref(),
        comment: answer.comment.as_deref(),
        attributes: &answer.attributes,
    };
    let now = to_ts(Utc::now());
    for w in watchers.iter().filter(|w| w.filter.matches(&facts)) {
        if w.agent && !owned_by(conn, ctx, &w.email, answer, customer).await? {
            continue;
        }
        // eNPS is only ever gathered (core refuses an at-once eNPS subscription).
        if w.filter.batch_minutes > 0 || kind == SurveyKind::Enps {
            sqlx::query(
                "INSERT INTO alert_batch_items (subscription_id, answer_id, queued_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (subscription_id, answer_id) DO NOTHING",
            )
            .bind(w.id)
            .bind(answer.id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            continue;
        }
        let alerted = Alerted::new(answer, kind, customer, case_id, ctx.public_url, &w.language);
        send(conn, w, sender, std::slice::from_ref(&alerted)).await?;
    }
    Ok(())
}

/// Whether the answer's customer is the agent's: they manage the account, or a case
/// about the customer is assigned to them (the one this answer just opened included).
async fn owned_by(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    email: &str,
    answer: &Answer,
    customer: Option<&Customer>,
) -> Result<bool> {
    let Some(customer) = customer else {
        return Ok(false);
    };
    if customer
        .account_manager
        .as_deref()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(email))
    {
        return Ok(true);
    }
    // The case this answer opened may still be waiting to be written with its group.
    ctx.write_new_cases(conn).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases WHERE workspace_id = $1 AND customer_id = $2 \
         AND LOWER(assignee) = $3",
    )
    .bind(answer.workspace_id)
    .bind(customer.id)
    .bind(email.to_lowercase())
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Where an alert links to: the answer's case, else its customer's page, else the dashboard.
pub(super) fn answer_url(public_url: &str, case_id: Option<i64>, customer: Option<&str>) -> String {
    let base = public_url.trim_end_matches('/');
    match (case_id, customer) {
        (Some(id), _) => format!("{base}/cases/{id}"),
        (None, Some(external_id)) => format!("{base}/customers/{}", encode(external_id)),
        (None, None) => format!("{base}/dashboard"),
    }
}

/// Percent-encodes a path segment.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One answer as an alert tells of it.
pub(super) struct Alerted<'a> {
    pub(super) answer: &'a Answer,
    pub(super) kind: SurveyKind,
    /// The customer's external id.
    pub(super) customer_id: Option<String>,
    /// How the alert names the customer.
    pub(super) customer: String,
    pub(super) url: String,
}

impl<'a> Alerted<'a> {
    /// An eNPS answer is told of as anonymous (it has no customer anyway) and links to
    /// the dashboard, never to the answer.
    pub(super) fn new(
        answer: &'a Answer,
        kind: SurveyKind,
        customer: Option<&Customer>,
        case_id: Option<i64>,
        public_url: &str,
        language: &Language,
    ) -> Self {
        let customer = customer.filter(|_| kind != SurveyKind::Enps);
        let case_id = case_id.filter(|_| kind != SurveyKind::Enps);
        Self {
            answer,
            kind,
            customer_id: customer.map(|c| c.external_id.clone()),
            customer: customer_label(customer, language),
            url: answer_url(
                public_url,
                case_id,
                customer.map(|c| c.external_id.as_str()),
            ),
        }
    }

    fn alert(&self) -> AnswerAlert<'_> {
        AnswerAlert {
            kind: self.kind,
            score: self.answer.score,
            customer: &self.customer,
            comment: self.answer.comment.as_deref(),
            url: &self.url,
        }
    }

    fn json(&self) -> Value {
        let a = self.answer;
        if self.kind == SurveyKind::Enps {
            // No id or time that could be matched to who answered when.
            return json!({
                "kind": self.kind.as_str(),
                "survey_id": a.survey_id,
                "score": a.score,
                "comment": a.comment,
                "url": self.url,
            });
        }
        json!({
            "kind": self.kind.as_str(),
            "answer_id": a.id,
            "survey_id": a.survey_id,
            "score": a.score,
            "comment": a.comment,
            "touchpoint": a.touchpoint,
            "customer": self.customer_id,
            "answered_at": a.answered_at.to_rfc3339(),
            "url": self.url,
        })
    }
}

/// Queues the subscription's message about `answers` (one, or a gathered batch), on its
/// channel, in its owner's language.
pub(super) async fn send(
    conn: &mut AnyConnection,
    w: &Watcher,
    sender: &str,
    answers: &[Alerted<'_>],
) -> Result<()> {
    const EVENT: &str = "alert";
    let alerts: Vec<AnswerAlert> = answers.iter().map(Alerted::alert).collect();
    let lang = &w.language;
    let ws = w.workspace_id;
    let target = w.filter.target.clone().unwrap_or_default();
    let (kind, payload) = match (w.filter.channel, alerts.as_slice()) {
        (AlertChannel::Email, _) => {
            let content = match alerts.as_slice() {
                [one] => messages::answer_alert_email(lang, one),
                many => messages::answer_digest_email(lang, many),
            };
            let msg = EmailMessage {
                from: sender.to_owned(),
                to: w.email.clone(),
                subject: content.subject,
                text: content.text,
                html: content.html,
                ..Default::default()
            };
            enqueue_email(conn, ws, EVENT, &msg).await?;
            return Ok(());
        }
        (AlertChannel::Slack, [one]) => {
            (MessageKind::Slack, messages::answer_alert_slack(lang, one))
        }
        (AlertChannel::Slack, many) => (
            MessageKind::Slack,
            messages::answer_digest_slack(lang, many),
        ),
        (AlertChannel::Teams, [one]) => {
            (MessageKind::Teams, messages::answer_alert_teams(lang, one))
        }
        (AlertChannel::Teams, many) => (
            MessageKind::Teams,
            messages::answer_digest_teams(lang, many),
        ),
        (AlertChannel::Webhook, _) => (
            MessageKind::Webhook,
            json!({
                "event": EVENT,
                "created_at": Utc::now().to_rfc3339(),
                "data": {
                    "subscription_id": w.id,
                    "answers": answers.iter().map(Alerted::json).collect::<Vec<_>>(),
                },
            }),
        ),
    };
    enqueue(conn, ws, kind, EVENT, &target, None, &payload).await?;
    Ok(())
}
