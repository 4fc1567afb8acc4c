//! Mail that named no case: listed for the workspace's admins, who assign it to a case
//! (it then counts as the customer's message there, as if it had matched) or dismiss it.
//! Mail that names no workspace either (an installation with several) waits for an
//! operator, who hands it to a workspace's list (`advocate mail`).

use super::receive::{record_on_case, Inbound};
use crate::{from_ts, to_ts, Backend, Result, StoreError};
use advocate_core::conversation::inbound::{Attachment, Nature};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// How many unmatched messages a list shows at most, newest first.
pub const UNMATCHED_LIMIT: i64 = 200;

/// One message waiting in the unmatched list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnmatchedMail {
    pub id: i64,
    /// `reply`, `auto_reply` or `bounce`.
    pub nature: String,
    /// Why it matched no case.
    pub reason: Option<String>,
    pub from_address: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub size_bytes: i64,
    pub received_at: DateTime<Utc>,
}

const UNMATCHED_SELECT: &str = "SELECT id, nature, reason, message_id, from_address, \
     to_address, subject, body, in_reply_to, attachments, size_bytes, received_at \
     FROM inbound_mail";

fn unmatched_from(row: &AnyRow) -> Result<UnmatchedMail> {
    let attachments: String = row.try_get("attachments")?;
    Ok(UnmatchedMail {
        id: row.try_get("id")?,
        nature: row.try_get("nature")?,
        reason: row.try_get("reason")?,
        from_address: row.try_get("from_address")?,
        to_address: row.try_get("to_address")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        attachments: serde_json::from_str(&attachments).unwrap_or_default(),
        size_bytes: row.try_get("size_bytes")?,
        received_at: from_ts(row.try_get("received_at")?),
    })
}

impl crate::Conversations<'_> {
    /// The workspace's unmatched mail, newest first (at most [`UNMATCHED_LIMIT`]).
    #[tracing::instrument(name = "conversations.unmatched", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn unmatched(&self, workspace_id: i64) -> Result<Vec<UnmatchedMail>> {
        let mut conn = self.store.pool.acquire().await?;
        sqlx::query(&format!(
            "{UNMATCHED_SELECT} WHERE workspace_id = $1 AND status = 'unmatched' \
             ORDER BY received_at DESC, id DESC LIMIT {UNMATCHED_LIMIT}"
        ))
        .bind(workspace_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(unmatched_from)
        .collect()
    }

    /// Unmatched mail that names no workspace, newest first (at most
    /// [`UNMATCHED_LIMIT`]): the operator's list.
    #[tracing::instrument(name = "conversations.unclaimed", level = "debug", skip_all)]
    pub async fn unclaimed(&self) -> Result<Vec<UnmatchedMail>> {
        let mut conn = self.store.pool.acquire().await?;
        sqlx::query(&format!(
            "{UNMATCHED_SELECT} WHERE workspace_id IS NULL AND status = 'unmatched' \
             ORDER BY received_at DESC, id DESC LIMIT {UNMATCHED_LIMIT}"
        ))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(unmatched_from)
        .collect()
    }

    /// Hands unmatched message `id`, which names no workspace, to `workspace_id`'s
    /// unmatched list, where its admins assign or dismiss it. `NotFound` when no such
    /// message waits without a workspace (already handed over, or never there).
    #[tracing::instrument(name = "conversations.hand_over", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn hand_over(&self, id: i64, workspace_id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("no workspace {workspace_id}")));
        }
        let n = sqlx::query(
            "UPDATE inbound_mail SET workspace_id = $1 \
             WHERE id = $2 AND workspace_id IS NULL AND status = 'unmatched'",
        )
        .bind(workspace_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "no unmatched message {id} without a workspace"
            )));
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many messages wait in the workspace's unmatched list.
    #[tracing::instrument(name = "conversations.unmatched_count", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn unmatched_count(&self, workspace_id: i64) -> Result<i64> {
        let mut conn = self.store.pool.acquire().await?;
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbound_mail WHERE workspace_id = $1 AND status = 'unmatched'",
        )
        .bind(workspace_id)
        .fetch_one(&mut *conn)
        .await?)
    }

    /// Assigns unmatched message `id` to case `case_id` on behalf of `actor`: it becomes
    /// the customer's message on the case, with what a reply does there. `NotFound` when
    /// the workspace has no such unmatched message or case.
    #[tracing::instrument(name = "conversations.assign", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn assign(
        &self,
        workspace_id: i64,
        id: i64,
        case_id: i64,
        actor: &str,
    ) -> Result<super::CaseMessage> {
        let mut tx = self.store.begin_write().await?;
        let lock = if self.store.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = sqlx::query(&format!(
            "{UNMATCHED_SELECT} WHERE workspace_id = $1 AND id = $2 AND status = 'unmatched'{lock}"
        ))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no unmatched message {id}")))?;
        let mail = unmatched_from(&row)?;
        let inbound = Inbound {
            nature: Nature::parse(&mail.nature).unwrap_or(Nature::Reply),
            from: mail.from_address,
            to: mail.to_address,
            subject: mail.subject,
            body: mail.body,
            message_id: row
                .try_get::<Option<String>, _>("message_id")?
                .unwrap_or_else(|| format!("unmatched-{id}@inbound.advocate")),
            in_reply_to: row.try_get("in_reply_to")?,
            attachments: row.try_get("attachments")?,
        };
        let now = Utc::now();
        let (message_id, _) =
            record_on_case(self.store, &mut tx, workspace_id, case_id, &inbound, now).await?;
        sqlx::query(
            "UPDATE inbound_mail SET status = 'assigned', case_message_id = $1, handled_at = $2, \
             handled_by = $3 WHERE id = $4",
        )
        .bind(message_id)
        .bind(to_ts(now))
        .bind(actor)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!("{} WHERE m.id = $1", super::MESSAGE_SELECT))
            .bind(message_id)
            .fetch_one(&mut *tx)
            .await?;
        let message = super::message_from(&row)?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(message)
    }

    /// Takes unmatched message `id` off the list without putting it on a case (spam, a
    /// newsletter); kept, with who dismissed it.
    #[tracing::instrument(name = "conversations.dismiss", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn dismiss(&self, workspace_id: i64, id: i64, actor: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "UPDATE inbound_mail SET status = 'dismissed', handled_at = $1, handled_by = $2 \
             WHERE workspace_id = $3 AND id = $4 AND status = 'unmatched'",
        )
        .bind(to_ts(Utc::now()))
        .bind(actor)
        .bind(workspace_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("no unmatched message {id}")));
        }
        tx.commit().await?;
        Ok(())
    }
}
