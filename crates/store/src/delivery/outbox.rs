//! The outbox: messages that must be delivered because of a write, stored in the same
//! transaction as that write, then claimed, delivered, retried and dead-lettered by the
//! workers (see advocate-server's `worker`).

use crate::Outbox;
use crate::{from_ts, random_token, to_ts, Backend, Result, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Email,
    Slack,
    Webhook,
    Sms,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slack => "slack",
            Self::Webhook => "webhook",
            Self::Sms => "sms",
        }
    }
}

/// An email ready to send: the worker only hands it to SMTP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct EmailMessage {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Engagements this email carries; marked `sent` when it is delivered.
    #[serde(default)]
    pub engagement_ids: Vec<i64>,
    /// The invitation this email carries; marked delivered when SMTP accepts it.
    #[serde(default)]
    pub invitation_id: Option<i64>,
    /// One-click unsubscribe (sent as List-Unsubscribe with List-Unsubscribe-Post).
    #[serde(default)]
    pub unsubscribe_url: Option<String>,
}

/// A text message ready to send through the SMS provider (see advocate-server's
/// `worker::senders::send_sms`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct SmsMessage {
    /// Sender: a phone number or an alphanumeric sender id, as the provider allows.
    pub from: String,
    /// Recipient phone number (E.164, e.g. +4791234567).
    pub to: String,
    pub body: String,
    /// The invitation this SMS carries.
    #[serde(default)]
    pub invitation_id: Option<i64>,
    /// Where the provider reports delivery (`{public_url}/hooks/sms/{token}`); decided
    /// when queueing, because only the store knows the invitation and its expiry.
    #[serde(default)]
    pub status_callback: Option<String>,
}

/// Messages this process has queued so far (committed or not). A writer that compares it
/// before and after its transaction knows whether delivery needs waking: the group
/// committer would otherwise wake a worker, and make it look, after every group.
static QUEUED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) fn queued_so_far() -> u64 {
    QUEUED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Queues one message inside the caller's transaction. Returns its idempotency key, which
/// receivers get with every attempt so they can drop repeats.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    workspace_id: i64,
    kind: MessageKind,
    event: &str,
    target: &str,
    endpoint_id: Option<i64>,
    payload: &Value,
) -> Result<String> {
    let key = format!("msg_{}", random_token(24));
    let now = to_ts(Utc::now());
    sqlx::query(
        "INSERT INTO outbox (workspace_id, kind, event, target, endpoint_id, payload, idempotency_key, \
         status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8)",
    )
    .bind(workspace_id)
    .bind(kind.as_str())
    .bind(event)
    .bind(target)
    .bind(endpoint_id)
    .bind(payload.to_string())
    .bind(&key)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    QUEUED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(key)
}

/// Queues an email; returns its idempotency key.
pub(crate) async fn enqueue_email(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    email: &EmailMessage,
) -> Result<String> {
    let payload = serde_json::to_value(email).expect("email serialises");
    enqueue(
        conn,
        workspace_id,
        MessageKind::Email,
        event,
        &email.to,
        None,
        &payload,
    )
    .await
}

/// Queues an email that carries a secret link (a password reset, an invitation to join a
/// workspace): marked in the same transaction, so no view ever sees it unmarked, and every
/// view shows it redacted (see [`message_for_view`]); only delivery reads its body.
pub(crate) async fn enqueue_secret_email(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    email: &EmailMessage,
) -> Result<()> {
    let key = enqueue_email(conn, workspace_id, event, email).await?;
    sqlx::query("UPDATE outbox SET secret = 1 WHERE idempotency_key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) async fn enqueue_sms(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    sms: &SmsMessage,
) -> Result<()> {
    let payload = serde_json::to_value(sms).expect("SMS serialises");
    enqueue(
        conn,
        workspace_id,
        MessageKind::Sms,
        event,
        &sms.to,
        None,
        &payload,
    )
    .await?;
    Ok(())
}

/// Queues `event` for every active webhook endpoint of the workspace subscribed to it.
/// The stored payload is the exact body that will be signed and sent.
/// A webhook endpoint as events are queued for it: id, URL, subscribed events.
pub(crate) type Endpoint = (i64, String, String);

/// The workspace's active webhook endpoints.
pub(crate) async fn active_endpoints(
    conn: &mut AnyConnection,
    workspace_id: i64,
) -> Result<Vec<Endpoint>> {
    Ok(sqlx::query_as(
        "SELECT id, url, events FROM webhook_endpoints WHERE workspace_id = $1 AND active = 1 ORDER BY id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Queues `event` for every active endpoint of the workspace subscribed to it.
pub(crate) async fn enqueue_event(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    data: Value,
) -> Result<()> {
    let endpoints = active_endpoints(conn, workspace_id).await?;
    enqueue_event_to(conn, workspace_id, event, data, &endpoints).await
}

/// Queues `event` for those of `endpoints` subscribed to it.
pub(crate) async fn enqueue_event_to(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    data: Value,
    endpoints: &[Endpoint],
) -> Result<()> {
    for (id, url, events) in endpoints {
        let subscribed = events == "*" || events.split(',').any(|e| e.trim() == event);
        if subscribed {
            let body = json!({
                "event": event,
                "created_at": Utc::now().to_rfc3339(),
                "data": data,
            });
            enqueue(
                conn,
                workspace_id,
                MessageKind::Webhook,
                event,
                url,
                Some(*id),
                &body,
            )
            .await?;
        }
    }
    Ok(())
}

pub(crate) async fn enqueue_slack(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    url: &str,
    text: &str,
) -> Result<()> {
    enqueue(
        conn,
        workspace_id,
        MessageKind::Slack,
        event,
        url,
        None,
        &json!({ "text": text }),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Delivery side: claiming, recording attempts, retrying, dead-lettering and re-driving.
// ---------------------------------------------------------------------------------------

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Failed too often; kept, visible and re-drivable.
    Dead,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

impl MessageKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "slack" => Some(Self::Slack),
            "webhook" => Some(Self::Webhook),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }
}

/// What every view of the outbox shows instead of the body of a secret message.
pub const REDACTED: &str =
    "redacted: this message carries a sign-in link only its recipient may read";

/// One queued message, as workers, the API and the outbox page see it.
#[derive(Clone, PartialEq, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub workspace_id: i64,
    pub kind: MessageKind,
    /// What caused it, e.g. `case.created`.
    pub event: String,
    /// Email address or URL it goes to.
    pub target: String,
    pub endpoint_id: Option<i64>,
    /// The exact body that is sent (and, for webhooks, signed); for a `secret` message,
    /// only its sender, recipient and subject, the text replaced by a redaction notice.
    pub payload: String,
    /// Carries a sign-in link (password reset, invitation to join) that only its
    /// recipient may read: never shown, only delivered.
    pub secret: bool,
    /// Sent with every attempt, the same on every retry, so receivers can drop repeats.
    pub idempotency_key: String,
    pub status: OutboxStatus,
    /// Failed attempts so far (reset by a re-drive).
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for OutboxMessage {
    // A message being delivered holds its secret link: a debug print must not show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let payload = if self.secret { REDACTED } else { &self.payload };
        f.debug_struct("OutboxMessage")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("kind", &self.kind)
            .field("event", &self.event)
            .field("target", &self.target)
            .field("endpoint_id", &self.endpoint_id)
            .field("payload", &payload)
            .field("secret", &self.secret)
            .field("idempotency_key", &self.idempotency_key)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .field("next_attempt_at", &self.next_attempt_at)
            .field("last_error", &self.last_error)
            .field("created_at", &self.created_at)
            .field("delivered_at", &self.delivered_at)
            .finish()
    }
}

/// One delivery attempt, successful or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxAttempt {
    pub id: i64,
    pub attempted_at: DateTime<Utc>,
    pub ok: bool,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// How many messages of a workspace are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    /// Pending messages that have failed at least once (retrying).
    pub retrying: i64,
    pub delivered: i64,
    pub dead: i64,
}

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

const MESSAGE_COLUMNS: &str = "id, workspace_id, kind, event, target, endpoint_id, payload, \
     secret, idempotency_key, status, attempts, next_attempt_at, last_error, created_at, \
     delivered_at";

/// A message as every view of the outbox (API, pages, anything to come) reads it: a secret
/// one redacted. Only [`message_for_delivery`] reads a secret body, and only the claim
/// path, whose messages go to the sender and nowhere else, uses it.
fn message_for_view(row: &AnyRow) -> Result<OutboxMessage> {
    let mut message = message_for_delivery(row)?;
    if message.secret {
        message.payload = redacted(&message.payload);
    }
    Ok(message)
}

/// A secret email's sender, recipient and subject, with the text and HTML replaced by
/// [`REDACTED`]; anything that is not an email becomes the notice alone.
fn redacted(payload: &str) -> String {
    match serde_json::from_str::<EmailMessage>(payload) {
        Ok(email) => serde_json::to_string(&EmailMessage {
            from: email.from,
            to: email.to,
            subject: email.subject,
            text: REDACTED.into(),
            html: REDACTED.into(),
            ..Default::default()
        })
        .expect("email serialises"),
        Err(_) => REDACTED.into(),
    }
}

fn message_for_delivery(row: &AnyRow) -> Result<OutboxMessage> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(OutboxMessage {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        kind: MessageKind::parse(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("stored message kind {kind:?}")))?,
        event: row.try_get("event")?,
        target: row.try_get("target")?,
        endpoint_id: row.try_get("endpoint_id")?,
        payload: row.try_get("payload")?,
        secret: row.try_get::<i64, _>("secret")? != 0,
        idempotency_key: row.try_get("idempotency_key")?,
        status: OutboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("stored message status {status:?}")))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: from_ts(row.try_get("next_attempt_at")?),
        last_error: row.try_get("last_error")?,
        created_at: from_ts(row.try_get("created_at")?),
        delivered_at: row.try_get::<Option<i64>, _>("delivered_at")?.map(from_ts),
    })
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
    /// Queues one SMS on its own (event `sms`) and wakes the delivery worker. Code that
    /// sends an SMS because of another write queues it in that write's transaction
    /// instead (`enqueue_sms`), so both happen or neither.
    #[tracing::instrument(name = "outbox.queue_sms", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn queue_sms(&self, workspace_id: i64, sms: &SmsMessage) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        enqueue_sms(&mut tx, workspace_id, "sms", sms).await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(())
    }

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

    /// How many messages of a workspace are in each status.
    #[tracing::instrument(name = "outbox.counts", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn counts(&self, workspace_id: i64) -> Result<OutboxCounts> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*), SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) FROM outbox \
             WHERE workspace_id = $1 GROUP BY status",
        )
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut counts = OutboxCounts::default();
        for (status, n, failing) in rows {
            match OutboxStatus::parse(&status) {
                Some(OutboxStatus::Pending) => {
                    counts.pending = n;
                    counts.retrying = failing;
                }
                Some(OutboxStatus::Delivered) => counts.delivered = n,
                Some(OutboxStatus::Dead) => counts.dead = n,
                None => {}
            }
        }
        Ok(counts)
    }

    /// A page of a workspace's messages in one status, newest first; `before` is the id
    /// the previous page ended at. With `failed_only`, only messages with an error.
    #[tracing::instrument(name = "outbox.messages", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn messages(
        &self,
        workspace_id: i64,
        status: OutboxStatus,
        failed_only: bool,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE workspace_id = $1 AND status = $2 \
             AND id < $3 AND ($4 = 0 OR last_error IS NOT NULL) ORDER BY id DESC LIMIT $5"
        ))
        .bind(workspace_id)
        .bind(status.as_str())
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(failed_only))
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(message_for_view).collect()
    }

    /// One message of a workspace with every attempt, oldest first.
    #[tracing::instrument(name = "outbox.message", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn message(
        &self,
        workspace_id: i64,
        id: i64,
    ) -> Result<Option<(OutboxMessage, Vec<OutboxAttempt>)>> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let message = message_for_view(&row)?;
        let attempts = sqlx::query(
            "SELECT id, attempted_at, ok, error, duration_ms FROM outbox_attempts \
             WHERE outbox_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(OutboxAttempt {
                id: r.try_get("id")?,
                attempted_at: from_ts(r.try_get("attempted_at")?),
                ok: r.try_get::<i64, _>("ok")? != 0,
                error: r.try_get("error")?,
                duration_ms: r.try_get("duration_ms")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Some((message, attempts)))
    }

    /// Sends a dead (or pending) message again now, with a fresh attempt budget. A
    /// delivered message is not sent twice: that is a conflict.
    #[tracing::instrument(name = "outbox.redrive", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn redrive(&self, workspace_id: i64, id: i64) -> Result<OutboxMessage> {
        let row = sqlx::query(&format!(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, \
             locked_until = NULL WHERE workspace_id = $2 AND id = $3 AND status <> 'delivered' \
             RETURNING {MESSAGE_COLUMNS}"
        ))
        .bind(to_ts(Utc::now()))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&self.store.writer)
        .await?;
        match row {
            Some(row) => {
                self.store.wake_outbox();
                message_for_view(&row)
            }
            None => match self.message(workspace_id, id).await? {
                Some(_) => Err(StoreError::Conflict(format!(
                    "message {id} was already delivered; it is not sent twice"
                ))),
                None => Err(StoreError::NotFound(format!("no message {id}"))),
            },
        }
    }

    /// Re-drives every dead message of a workspace; returns how many.
    #[tracing::instrument(name = "outbox.redrive_dead", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn redrive_dead(&self, workspace_id: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, \
             locked_until = NULL WHERE workspace_id = $2 AND status = 'dead'",
        )
        .bind(to_ts(Utc::now()))
        .bind(workspace_id)
        .execute(&self.store.writer)
        .await?
        .rows_affected();
        if done > 0 {
            self.store.wake_outbox();
        }
        Ok(done)
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
    use crate::models::{NewAnswer, NewSurvey, Respondent};
    use crate::testing::TestDb;
    use advocate_core::{Channel, Label, Language, SurveyKind};

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
                    score: 10,
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
