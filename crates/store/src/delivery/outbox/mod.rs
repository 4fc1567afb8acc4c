//! The outbox: messages that must be delivered because of a write, stored in the same
//! transaction as that write, then claimed, delivered, retried and dead-lettered by the
//! workers (see advocate-server's `worker`).
//!
//! Queueing, in the caller's transaction, is in `queue.rs`; claiming, recording attempts
//! and retrying in `claim.rs`; counts, pages of messages and re-driving in `browse.rs`.

mod browse;
mod claim;
mod queue;

pub use browse::{OutboxAttempt, OutboxCounts};
pub use claim::{FailureOutcome, RetryPolicy};
pub(crate) use queue::{
    active_endpoints, enqueue, enqueue_chat, enqueue_email, enqueue_event, enqueue_event_to,
    enqueue_secret_email, enqueue_slack, enqueue_sms, queued_so_far, Endpoint,
};

use crate::{from_ts, Result, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Email,
    Slack,
    /// A Microsoft Teams incoming webhook (an Adaptive Card message).
    Teams,
    Webhook,
    Sms,
}

impl MessageKind {
    pub const ALL: &'static [MessageKind] = &[
        Self::Email,
        Self::Slack,
        Self::Teams,
        Self::Webhook,
        Self::Sms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slack => "slack",
            Self::Teams => "teams",
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
    /// Where replies go: a message on a case carries that case's own reply address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The Message-ID (without angle brackets) when the message is part of a thread;
    /// otherwise the worker makes one from the idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
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
            "teams" => Some(Self::Teams),
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

const MESSAGE_COLUMNS: &str = "id, workspace_id, kind, event, target, endpoint_id, payload, \
     secret, idempotency_key, status, attempts, next_attempt_at, last_error, created_at, \
     delivered_at";

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
