//! The outbox: messages that must be delivered because of a write, stored in the same
//! transaction as that write, then claimed, delivered, retried and dead-lettered by the
//! workers (see advocate-server's `worker`).

use crate::{random_token, to_ts, Result};
use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::AnyConnection;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Email,
    Slack,
    Webhook,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slack => "slack",
            Self::Webhook => "webhook",
        }
    }
}

/// An email ready to send: the worker only hands it to SMTP.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EmailMessage {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Engagements this email carries; marked `sent` when it is delivered.
    #[serde(default)]
    pub engagement_ids: Vec<i64>,
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
    Ok(key)
}

pub(crate) async fn enqueue_email(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    email: &EmailMessage,
) -> Result<()> {
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
    .await?;
    Ok(())
}

/// Queues `event` for every active webhook endpoint of the workspace subscribed to it.
/// The stored payload is the exact body that will be signed and sent.
pub(crate) async fn enqueue_event(
    conn: &mut AnyConnection,
    workspace_id: i64,
    event: &str,
    data: Value,
) -> Result<()> {
    let endpoints: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, url, events FROM webhook_endpoints WHERE workspace_id = $1 AND active = 1 ORDER BY id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
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
                &url,
                Some(id),
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
