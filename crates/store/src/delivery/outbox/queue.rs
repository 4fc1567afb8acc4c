//! Queueing: a message stored in the transaction of the write that causes it.

use super::{EmailMessage, MessageKind, SmsMessage};
use crate::Outbox;
use crate::{random_token, to_ts, Result};
use chrono::Utc;
use serde_json::{json, Value};
use sqlx::AnyConnection;

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
/// view shows it redacted (see `message_for_view` in `browse.rs`); only delivery reads
/// its body.
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

/// Queues a one-line Slack message (`{"text": …}`).
pub(crate) async fn enqueue_slack(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    url: &str,
    text: &str,
) -> Result<()> {
    let payload = json!({ "text": text });
    enqueue_chat(conn, workspace_id, MessageKind::Slack, event, url, &payload).await
}

/// Queues a chat message (`kind` Slack or Teams) whose JSON body is `payload`, as sent.
pub(crate) async fn enqueue_chat(
    conn: &mut AnyConnection,
    workspace_id: i64,
    kind: MessageKind,
    event: &str,
    url: &str,
    payload: &Value,
) -> Result<()> {
    enqueue(conn, workspace_id, kind, event, url, None, payload).await?;
    Ok(())
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
}
