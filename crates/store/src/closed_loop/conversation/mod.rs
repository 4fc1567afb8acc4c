//! The conversation on a case: what agents write to the customer (sent through the
//! outbox from the workspace's sender, with a Reply-To unique to the case and threading
//! headers) and what comes back (matched to its case by the reply address's token or by
//! In-Reply-To/References, or kept in the unmatched list until an admin assigns it).
//!
//! Writing is in `send.rs`, receiving in `receive.rs`, the unmatched list in
//! `unmatched.rs`, the templates agents start from in `templates.rs`.

mod receive;
mod send;
mod templates;
mod unmatched;

pub use receive::{InboundSource, Receipt, Received};
pub use send::Outgoing;
pub use templates::{Step, TemplateRow, TemplateSource, MAX_TEMPLATE_STEP};
pub use unmatched::UnmatchedMail;

use crate::{from_ts, Result, StoreError};
use advocate_core::conversation::inbound::Attachment;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Written by an agent to the customer.
    Out,
    /// From the customer (or their mail system).
    In,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Out => "out",
            Self::In => "in",
        }
    }
}

/// One message on a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseMessage {
    pub id: i64,
    pub case_id: i64,
    pub direction: Direction,
    /// `message` (an agent's), `reply` (a person's), `auto_reply` or `bounce`: only a
    /// person's reply counts as the customer answering.
    pub nature: String,
    /// The agent who wrote it, or the address it came from.
    pub author: String,
    pub from_address: String,
    pub to_address: String,
    pub subject: String,
    /// The text; for a reply, without the quoted earlier message.
    pub body: String,
    /// RFC 5322 Message-ID, without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// Listed only: attachments are not kept.
    pub attachments: Vec<Attachment>,
    /// For a message written here: its outbox status (`pending`, `delivered`, `dead`).
    pub delivery: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// How to reach the customer of a case, as its page shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaseContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub account_manager: Option<String>,
}

const MESSAGE_SELECT: &str = "SELECT m.id, m.case_id, m.direction, m.nature, m.author, \
     m.from_address, m.to_address, m.subject, m.body, m.message_id, m.in_reply_to, \
     m.attachments, m.created_at, o.status AS delivery FROM case_messages m \
     LEFT JOIN outbox o ON o.idempotency_key = m.outbox_key";

fn message_from(row: &AnyRow) -> Result<CaseMessage> {
    let direction = match row.try_get::<String, _>("direction")?.as_str() {
        "out" => Direction::Out,
        "in" => Direction::In,
        other => {
            return Err(StoreError::Invalid(format!(
                "stored message direction {other:?}"
            )))
        }
    };
    let attachments: String = row.try_get("attachments")?;
    Ok(CaseMessage {
        id: row.try_get("id")?,
        case_id: row.try_get("case_id")?,
        direction,
        nature: row.try_get("nature")?,
        author: row.try_get("author")?,
        from_address: row.try_get("from_address")?,
        to_address: row.try_get("to_address")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        message_id: row.try_get("message_id")?,
        in_reply_to: row.try_get("in_reply_to")?,
        attachments: serde_json::from_str(&attachments).unwrap_or_default(),
        delivery: row.try_get("delivery")?,
        created_at: from_ts(row.try_get("created_at")?),
    })
}

/// A case's messages, oldest first.
pub(crate) async fn messages_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    case_id: i64,
) -> Result<Vec<CaseMessage>> {
    sqlx::query(&format!(
        "{MESSAGE_SELECT} WHERE m.workspace_id = $1 AND m.case_id = $2 ORDER BY m.created_at, m.id"
    ))
    .bind(workspace_id)
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(message_from)
    .collect()
}

/// The customer of a case and how to reach them; `None` for an anonymous respondent.
pub(crate) async fn contact_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    case_id: i64,
) -> Result<Option<CaseContact>> {
    let row = sqlx::query(
        "SELECT c.name, c.email, c.phone, c.language, c.account_manager FROM cases k \
         JOIN customers c ON c.id = k.customer_id WHERE k.workspace_id = $1 AND k.id = $2",
    )
    .bind(workspace_id)
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(CaseContact {
            name: r.try_get("name")?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            language: r.try_get("language")?,
            account_manager: r.try_get("account_manager")?,
        })
    })
    .transpose()
}

impl crate::Conversations<'_> {
    /// The messages of a case, oldest first (`NotFound` when the workspace has no such
    /// case).
    #[tracing::instrument(name = "conversations.messages", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn messages(&self, workspace_id: i64, case_id: i64) -> Result<Vec<CaseMessage>> {
        let mut conn = self.store.pool.acquire().await?;
        case_exists(&mut conn, workspace_id, case_id).await?;
        messages_in(&mut conn, workspace_id, case_id).await
    }

    /// How to reach the customer of a case.
    #[tracing::instrument(name = "conversations.contact", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn contact(&self, workspace_id: i64, case_id: i64) -> Result<Option<CaseContact>> {
        let mut conn = self.store.pool.acquire().await?;
        contact_in(&mut conn, workspace_id, case_id).await
    }
}

async fn case_exists(conn: &mut AnyConnection, workspace_id: i64, case_id: i64) -> Result<()> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM cases WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
    found
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("no case {case_id}")))
}
