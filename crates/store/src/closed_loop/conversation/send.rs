//! Writing to the customer of a case: threaded, queued in the outbox with the message's
//! record, and the first message marks the case contacted.

use super::{message_from, CaseMessage, MESSAGE_SELECT};
use crate::closed_loop::cases::move_case_in;
use crate::delivery::outbox::{enqueue_email, enqueue_event, EmailMessage};
use crate::tenancy::lookup::{sender, settings_in};
use crate::{to_ts, Result, StoreError};
use advocate_core::case::CaseStatus;
use advocate_core::conversation::templates::{check, MessageTemplate};
use advocate_core::conversation::{thread_after, Threading};
use advocate_core::messages::escape_html;
use chrono::Utc;
use serde_json::json;
use sqlx::AnyConnection;

/// An email an agent writes on a case. The server makes the Message-ID and the Reply-To
/// (the case's own reply address, when a reply route is configured); the store threads
/// it after the case's earlier messages.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub subject: String,
    pub body: String,
    pub reply_to: Option<String>,
    /// Without angle brackets.
    pub message_id: String,
}

impl crate::Conversations<'_> {
    /// Emails the customer of case `case_id` on behalf of `author`: in one transaction the
    /// email is queued (from the workspace's sender, threaded after the case's earlier
    /// messages), recorded on the case, and an open case becomes contacted (its time to
    /// first contact counts this message). `Invalid` when the text is not acceptable or
    /// the customer has no email address; `NotFound` when there is no such case.
    #[tracing::instrument(name = "conversations.send", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn send(
        &self,
        workspace_id: i64,
        case_id: i64,
        author: &str,
        msg: &Outgoing,
    ) -> Result<CaseMessage> {
        check(&MessageTemplate {
            subject: msg.subject.clone(),
            body: msg.body.clone(),
        })
        .map_err(StoreError::Invalid)?;
        let mut tx = self.store.begin_write().await?;
        let (state, _) = self
            .store
            .cases()
            .case_state_in(&mut tx, workspace_id, case_id)
            .await?;
        let to = super::contact_in(&mut tx, workspace_id, case_id)
            .await?
            .and_then(|c| c.email)
            .filter(|e| !e.trim().is_empty())
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "the customer of case {case_id} has no email address to write to; add one \
                     to the customer record"
                ))
            })?;
        let from = sender(&settings_in(&mut tx, workspace_id).await?);
        let Threading {
            in_reply_to,
            references,
        } = thread_after(&thread_ids(&mut tx, case_id).await?);
        let email = EmailMessage {
            from: from.clone(),
            to: to.clone(),
            subject: msg.subject.clone(),
            text: msg.body.clone(),
            html: format!(
                "<div style=\"font-family:sans-serif;white-space:pre-wrap\">{}</div>",
                escape_html(&msg.body)
            ),
            reply_to: msg.reply_to.clone(),
            message_id: Some(msg.message_id.clone()),
            in_reply_to: in_reply_to.clone(),
            references,
            ..EmailMessage::default()
        };
        let key = enqueue_email(&mut tx, workspace_id, "case.message", &email).await?;
        let now = Utc::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO case_messages (workspace_id, case_id, direction, nature, author, \
             from_address, to_address, subject, body, message_id, in_reply_to, attachments, \
             outbox_key, created_at) \
             VALUES ($1, $2, 'out', 'message', $3, $4, $5, $6, $7, $8, $9, '[]', $10, $11) RETURNING id",
        )
        .bind(workspace_id)
        .bind(case_id)
        .bind(author)
        .bind(&from)
        .bind(&to)
        .bind(&msg.subject)
        .bind(&msg.body)
        .bind(&msg.message_id)
        .bind(&in_reply_to)
        .bind(&key)
        .bind(to_ts(now))
        .fetch_one(&mut *tx)
        .await?;
        let mut changes = vec!["message sent to the customer".to_owned()];
        if state.lifecycle.status == CaseStatus::Open {
            changes.extend(
                move_case_in(
                    &mut tx,
                    workspace_id,
                    &state,
                    CaseStatus::Contacted,
                    author,
                    now,
                )
                .await?,
            );
        }
        enqueue_event(
            &mut tx,
            workspace_id,
            "case.updated",
            json!({"case_id": case_id, "changes": changes, "by": author, "message_id": id}),
        )
        .await?;
        let row = sqlx::query(&format!("{MESSAGE_SELECT} WHERE m.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let message = message_from(&row)?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(message)
    }
}

/// The Message-IDs of the case's emails, oldest first.
async fn thread_ids(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT message_id FROM case_messages WHERE case_id = $1 ORDER BY created_at, id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?)
}
