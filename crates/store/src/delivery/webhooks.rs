//! Webhook endpoints a workspace subscribes to events with. Each has a secret that signs
//! every delivery (see `advocate_core::delivery`); it is shown once, when created or
//! rotated, and looked up again at each delivery so a rotation applies to retries too.

use crate::Webhooks;
use crate::{from_ts, random_token, to_ts, Result, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Events an endpoint can subscribe to (or `*` for all of them).
pub const WEBHOOK_EVENTS: &[&str] = &[
    "response.created",
    "case.created",
    "case.updated",
    "case.overdue",
    "engagement.updated",
];

/// Prefix of every webhook secret, so a leaked one is easy to recognise.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub workspace_id: i64,
    pub url: String,
    /// Event names, or `["*"]` for every event.
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// What deleting an endpoint did: an endpoint with messages keeps its row (the outbox
/// refers to it, and its history stays readable) and is only deactivated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookRemoval {
    Deleted,
    Deactivated,
}

/// Checks a delivery URL (a webhook receiver, a Slack incoming webhook): absolute http(s)
/// with a host, read as the HTTP client will read it. Whether its address may be reached
/// depends on the operator's allow-list, so the server checks that (at registration and
/// again at every connection), with `advocate_core::outbound`.
pub fn check_delivery_url(field: &str, url: &str) -> Result<String> {
    let url = url.trim();
    advocate_core::outbound::parse_url(url)
        .map_err(|problem| StoreError::Invalid(format!("{field} {problem}; got {url:?}")))?;
    Ok(url.to_owned())
}

/// Checks an event list: known names, or `*` alone; at least one.
pub fn check_webhook_events(events: &[String]) -> Result<Vec<String>> {
    if events.is_empty() {
        return Err(StoreError::Invalid(format!(
            "events must name at least one of {} or \"*\"",
            WEBHOOK_EVENTS.join(", ")
        )));
    }
    if events.iter().any(|e| e == "*") {
        return if events.len() == 1 {
            Ok(vec!["*".into()])
        } else {
            Err(StoreError::Invalid(
                "events: \"*\" already means every event; give it alone".into(),
            ))
        };
    }
    let mut out: Vec<String> = Vec::new();
    for e in events {
        if !WEBHOOK_EVENTS.contains(&e.as_str()) {
            return Err(StoreError::Invalid(format!(
                "unknown event {e:?}; events are {} or \"*\"",
                WEBHOOK_EVENTS.join(", ")
            )));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

fn new_secret() -> String {
    format!("{WEBHOOK_SECRET_PREFIX}{}", random_token(40))
}

const COLUMNS: &str = "id, workspace_id, url, events, active, created_at";

fn endpoint_from(row: &AnyRow) -> Result<WebhookEndpoint> {
    let events: String = row.try_get("events")?;
    Ok(WebhookEndpoint {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        url: row.try_get("url")?,
        events: events.split(',').map(|e| e.trim().to_owned()).collect(),
        active: row.try_get::<i64, _>("active")? != 0,
        created_at: from_ts(row.try_get("created_at")?),
    })
}

impl Webhooks<'_> {
    /// Creates an active endpoint; returns it with its secret, which is not shown again.
    #[tracing::instrument(name = "webhooks.create", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create(
        &self,
        workspace_id: i64,
        url: &str,
        events: &[String],
    ) -> Result<(WebhookEndpoint, String)> {
        let url = check_delivery_url("url", url)?;
        let events = check_webhook_events(events)?;
        let secret = new_secret();
        let row = sqlx::query(&format!(
            "INSERT INTO webhook_endpoints (workspace_id, url, secret, events, active, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5) RETURNING {COLUMNS}"
        ))
        .bind(workspace_id)
        .bind(&url)
        .bind(&secret)
        .bind(events.join(","))
        .bind(to_ts(Utc::now()))
        .fetch_one(&self.store.writer)
        .await?;
        Ok((endpoint_from(&row)?, secret))
    }

    #[tracing::instrument(name = "webhooks.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64) -> Result<Vec<WebhookEndpoint>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY id"
        ))
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(endpoint_from)
        .collect()
    }

    #[tracing::instrument(name = "webhooks.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64, id: i64) -> Result<Option<WebhookEndpoint>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .as_ref()
        .map(endpoint_from)
        .transpose()
    }

    /// Changes the events and/or the active flag; `None` keeps a value.
    #[tracing::instrument(name = "webhooks.update", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn update(
        &self,
        workspace_id: i64,
        id: i64,
        events: Option<&[String]>,
        active: Option<bool>,
    ) -> Result<WebhookEndpoint> {
        let events = events.map(check_webhook_events).transpose()?;
        let row = sqlx::query(&format!(
            "UPDATE webhook_endpoints SET events = COALESCE($1, events), active = COALESCE($2, active) \
             WHERE workspace_id = $3 AND id = $4 RETURNING {COLUMNS}"
        ))
        .bind(events.map(|e| e.join(",")))
        .bind(active.map(i64::from))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&self.store.writer)
        .await?;
        row.as_ref()
            .map(endpoint_from)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("no webhook endpoint {id}")))
    }

    /// Deletes an endpoint that never had a message; deactivates one that has.
    #[tracing::instrument(name = "webhooks.delete", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn delete(&self, workspace_id: i64, id: i64) -> Result<WebhookRemoval> {
        let mut tx = self.store.begin_write().await?;
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE endpoint_id = w.id) FROM webhook_endpoints w \
             WHERE w.workspace_id = $1 AND w.id = $2",
        )
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let removal = match used {
            None => return Err(StoreError::NotFound(format!("no webhook endpoint {id}"))),
            Some(0) => {
                sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                WebhookRemoval::Deleted
            }
            Some(_) => {
                sqlx::query("UPDATE webhook_endpoints SET active = 0 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                WebhookRemoval::Deactivated
            }
        };
        tx.commit().await?;
        Ok(removal)
    }

    /// Replaces an endpoint's secret; returns the new one (shown once). Messages not yet
    /// delivered are signed with it from now on.
    #[tracing::instrument(name = "webhooks.rotate_secret", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn rotate_secret(&self, workspace_id: i64, id: i64) -> Result<String> {
        let secret = new_secret();
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET secret = $1 WHERE workspace_id = $2 AND id = $3",
        )
        .bind(&secret)
        .bind(workspace_id)
        .bind(id)
        .execute(&self.store.writer)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound(format!("no webhook endpoint {id}")));
        }
        Ok(secret)
    }

    /// The current secret of an endpoint, for the worker that signs a delivery.
    #[tracing::instrument(name = "webhooks.secret", level = "debug", skip_all)]
    pub async fn secret(&self, endpoint_id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT secret FROM webhook_endpoints WHERE id = $1")
                .bind(endpoint_id)
                .fetch_optional(&self.store.pool)
                .await?,
        )
    }
}
