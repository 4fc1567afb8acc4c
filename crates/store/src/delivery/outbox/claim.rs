//! Delivery: claiming due messages, recording each attempt, retrying and dead-lettering.

use super::queue::enqueue_event;
use super::{message_for_delivery, EmailMessage, MessageKind, OutboxMessage, MESSAGE_COLUMNS};
use crate::Outbox;
use crate::{to_ts, Backend, Result, StoreError};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;

/// When to give up and how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Failed attempts after which a message is dead-lettered.
    pub max_attempts: u32,
    /// Upper bound on the wait between attempts (tests use a small one).
    pub max_backoff_secs: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: advocate_core::delivery::MAX_ATTEMPTS,
            max_backoff_secs: 3600,
        }
    }
}

/// How a failed attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Will be tried again at this time.
    Retry(DateTime<Utc>),
    Dead,
}

/// Errors can be long (an HTML error page): keep what helps, bounded.
fn clip(error: &str) -> String {
    const MAX: usize = 1000;
    if error.len() <= MAX {
        return error.to_owned();
    }
    let mut end = MAX;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &error[..end])
}

impl Outbox<'_> {
    /// Claims up to `limit` due messages of the given kinds for delivery, leasing them for
    /// `lease_secs`: nobody else claims them until the lease runs out, after which a
    /// message whose worker crashed is claimed again. Delivered and dead messages are
    /// never claimed. Safe with several instances on one PostgreSQL (`SKIP LOCKED` lets
    /// concurrent claimers pass each other's rows); on SQLite the single writer
    /// connection and the one-statement claim serialise claimers.
    #[tracing::instrument(name = "outbox.claim", level = "debug", skip_all)]
    pub async fn claim(
        &self,
        kinds: &[MessageKind],
        limit: usize,
        lease_secs: i64,
    ) -> Result<Vec<OutboxMessage>> {
        self.claim_at(Utc::now(), kinds, limit, lease_secs).await
    }

    /// [`Outbox::claim`] as if the time were `now` (tests move the clock).
    #[tracing::instrument(name = "outbox.claim_at", level = "debug", skip_all)]
    pub async fn claim_at(
        &self,
        now: DateTime<Utc>,
        kinds: &[MessageKind],
        limit: usize,
        lease_secs: i64,
    ) -> Result<Vec<OutboxMessage>> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let now = to_ts(now);
        if self.store.backend == Backend::Sqlite {
            // Look with a reader first: SQLite's one writer is what every answer waits
            // for, and the delivery workers also look every second, mostly for nothing.
            let due: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                 AND (locked_until IS NULL OR locked_until <= $1) LIMIT 1",
            )
            .bind(now)
            .fetch_optional(&self.store.pool)
            .await?;
            if due.is_none() {
                return Ok(Vec::new());
            }
        }
        // One placeholder per kind: still fully parameterised.
        let kind_params: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 4)).collect();
        let lock = match self.store.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET locked_until = $1 WHERE id IN (SELECT id FROM outbox \
             WHERE status = 'pending' AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until <= $2) AND kind IN ({}) \
             ORDER BY next_attempt_at, id LIMIT $3{lock}) RETURNING {MESSAGE_COLUMNS}",
            kind_params.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(now + lease_secs.max(1))
            .bind(now)
            .bind(limit as i64);
        for kind in kinds {
            query = query.bind(kind.as_str());
        }
        let rows = query.fetch_all(&self.store.writer).await?;
        let mut messages = rows
            .iter()
            .map(message_for_delivery)
            .collect::<Result<Vec<_>>>()?;
        messages.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(messages)
    }

    /// Records a successful attempt: the message is delivered. An email that carries
    /// promoter engagements marks them `sent` (if still `queued`) and announces each as
    /// `engagement.updated`, in the same transaction.
    #[tracing::instrument(name = "outbox.delivered", level = "debug", skip_all)]
    pub async fn delivered(&self, id: i64, duration_ms: i64) -> Result<()> {
        let now = to_ts(Utc::now());
        let mut tx = self.store.begin_write().await?;
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "UPDATE outbox SET status = 'delivered', delivered_at = $1, locked_until = NULL \
             WHERE id = $2 AND status <> 'delivered' RETURNING workspace_id, kind, payload",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        insert_attempt(&mut tx, id, now, None, duration_ms).await?;
        let mut queued_more = false;
        if let Some((ws, kind, payload)) = row {
            if kind == MessageKind::Email.as_str() {
                let email: Option<EmailMessage> = serde_json::from_str(&payload).ok();
                if let Some(invitation) = email.as_ref().and_then(|e| e.invitation_id) {
                    sqlx::query(
                        "UPDATE invitations SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL",
                    )
                    .bind(now)
                    .bind(invitation)
                    .execute(&mut *tx)
                    .await?;
                }
                for engagement in email.map(|e| e.engagement_ids).unwrap_or_default() {
                    queued_more |= mark_engagement_sent(&mut tx, ws, engagement, now).await?;
                }
            }
        }
        tx.commit().await?;
        if queued_more {
            self.store.wake_outbox();
        }
        Ok(())
    }

    /// Records a failed attempt: retried after an exponential, jittered wait, or
    /// dead-lettered after `policy.max_attempts` failures (at once when `permanent`: a
    /// message that can never succeed, such as an invalid address).
    #[tracing::instrument(name = "outbox.failed", level = "debug", skip_all)]
    pub async fn failed(
        &self,
        id: i64,
        error: &str,
        duration_ms: i64,
        permanent: bool,
        policy: &RetryPolicy,
    ) -> Result<FailureOutcome> {
        let now = Utc::now();
        let error = clip(error);
        let mut tx = self.store.begin_write().await?;
        let attempts: Option<i64> = sqlx::query_scalar("SELECT attempts FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let attempts = attempts.ok_or_else(|| StoreError::NotFound(format!("no message {id}")))?;
        let failed = attempts + 1;
        let outcome = if permanent || failed >= i64::from(policy.max_attempts) {
            FailureOutcome::Dead
        } else {
            let wait =
                advocate_core::delivery::backoff_secs(attempts as u32, rand::random::<f64>())
                    .min(policy.max_backoff_secs.max(1));
            FailureOutcome::Retry(now + chrono::Duration::seconds(wait))
        };
        let (status, next) = match outcome {
            FailureOutcome::Dead => ("dead", to_ts(now)),
            FailureOutcome::Retry(at) => ("pending", to_ts(at)),
        };
        // A message delivered meanwhile by another worker (expired lease) stays delivered.
        sqlx::query(
            "UPDATE outbox SET attempts = $1, last_error = $2, next_attempt_at = $3, status = $4, \
             locked_until = NULL WHERE id = $5 AND status = 'pending'",
        )
        .bind(failed)
        .bind(&error)
        .bind(next)
        .bind(status)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        insert_attempt(&mut tx, id, to_ts(now), Some(&error), duration_ms).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

async fn insert_attempt(
    conn: &mut AnyConnection,
    outbox_id: i64,
    at: i64,
    error: Option<&str>,
    duration_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox_attempts (outbox_id, attempted_at, ok, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(outbox_id)
    .bind(at)
    .bind(i64::from(error.is_none()))
    .bind(error)
    .bind(duration_ms.max(0))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a queued engagement `sent` and announces it; false when it had moved on already.
async fn mark_engagement_sent(
    conn: &mut AnyConnection,
    workspace_id: i64,
    engagement_id: i64,
    now: i64,
) -> Result<bool> {
    // The same shape as the engagement module's own announcements.
    let row: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "UPDATE engagements SET status = 'sent', updated_at = $1 WHERE id = $2 \
         AND workspace_id = $3 AND status = 'queued' RETURNING kind, \
         (SELECT external_id FROM customers WHERE customers.id = engagements.customer_id), \
         discount_code",
    )
    .bind(now)
    .bind(engagement_id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((kind, customer, discount_code)) = row else {
        return Ok(false);
    };
    enqueue_event(
        conn,
        workspace_id,
        "engagement.updated",
        json!({
            "engagement_id": engagement_id,
            "kind": kind,
            "status": "sent",
            "previous_status": "queued",
            "customer": customer,
            "discount_code": discount_code,
        }),
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::outbox::enqueue_email;
    use crate::models::{NewAnswer, NewSurvey, Respondent};
    use crate::testing::TestDb;
    use advocate_core::{Channel, Label, Language, Rating, SurveyKind};
    use serde_json::Value;

    /// An email that carries engagements marks them `sent` when delivered, announces
    /// each once, and leaves an engagement that already moved on alone.
    #[tokio::test]
    async fn delivering_an_email_marks_its_engagements_sent() {
        for db in TestDb::all().await {
            let store = db.store().await;
            let ws = store
                .workspaces()
                .create("acme", "Acme", &Language::english())
                .await
                .unwrap()
                .id;
            store
                .webhooks()
                .create(ws, "http://127.0.0.1:9/h", &["engagement.updated".into()])
                .await
                .unwrap();
            let survey = store
                .surveys()
                .create(
                    ws,
                    &NewSurvey {
                        slug: Label::new("rel").unwrap(),
                        kind: SurveyKind::Nps,
                        name: "rel".into(),
                        touchpoint: None,
                        default_language: Language::english(),
                        texts: Default::default(),
                    },
                )
                .await
                .unwrap();
            let answer = store
                .answers()
                .record(&NewAnswer {
                    workspace_id: ws,
                    survey_id: survey.id,
                    respondent: Respondent::Anonymous,
                    score: Rating::new(SurveyKind::Nps, 10).unwrap(),
                    comment: None,
                    channel: Channel::Api,
                    touchpoint: None,
                    language: None,
                    answered_at: Utc::now(),
                    external_id: None,
                    idempotency_key: None,
                    request_hash: None,
                })
                .await
                .unwrap()
                .answer;
            let mut ids = Vec::new();
            for status in ["queued", "accepted"] {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO engagements (workspace_id, answer_id, kind, status, created_at, updated_at) \
                     VALUES ($1, $2, 'thank_you', $3, 0, 0) RETURNING id",
                )
                .bind(ws)
                .bind(answer.id)
                .bind(status)
                .fetch_one(&store.writer)
                .await
                .unwrap();
                ids.push(id);
            }
            let mut tx = store.begin_write().await.unwrap();
            let email = EmailMessage {
                from: "a@example.com".into(),
                to: "b@example.com".into(),
                subject: "Thanks".into(),
                text: "t".into(),
                html: "<p>t</p>".into(),
                engagement_ids: ids.clone(),
                ..Default::default()
            };
            enqueue_email(&mut tx, ws, "engagement.thank_you", &email)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let claimed = store
                .outbox()
                .claim(&[MessageKind::Email], 10, 60)
                .await
                .unwrap();
            assert_eq!(claimed.len(), 1, "{:?}", db.backend);
            store.outbox().delivered(claimed[0].id, 1).await.unwrap();
            store.outbox().delivered(claimed[0].id, 1).await.unwrap();
            let statuses: Vec<String> = sqlx::query_scalar(
                "SELECT status FROM engagements WHERE workspace_id = $1 ORDER BY id",
            )
            .bind(ws)
            .fetch_all(&store.pool)
            .await
            .unwrap();
            assert_eq!(statuses, ["sent", "accepted"], "{:?}", db.backend);
            let events = store
                .outbox()
                .claim(&[MessageKind::Webhook], 10, 60)
                .await
                .unwrap();
            assert_eq!(events.len(), 1, "announced once: {:?}", db.backend);
            assert_eq!(events[0].event, "engagement.updated");
            let body: Value = serde_json::from_str(&events[0].payload).unwrap();
            assert_eq!(body["data"]["engagement_id"], ids[0]);
            assert_eq!(body["data"]["status"], "sent");
        }
    }
}
