//! The outbox as people see it: counts, pages of messages, one message, re-driving.

use super::{
    message_for_delivery, EmailMessage, OutboxMessage, OutboxStatus, MESSAGE_COLUMNS, REDACTED,
};
use crate::Outbox;
use crate::{from_ts, to_ts, Result, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

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

impl Outbox<'_> {
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

    /// The newest messages to one webhook endpoint of the workspace, whatever their status:
    /// its delivery log.
    #[tracing::instrument(name = "outbox.endpoint_messages", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn endpoint_messages(
        &self,
        workspace_id: i64,
        endpoint_id: i64,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE workspace_id = $1 AND endpoint_id = $2 \
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(workspace_id)
        .bind(endpoint_id)
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
