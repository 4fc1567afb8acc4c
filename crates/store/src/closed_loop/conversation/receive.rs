//! Mail that comes back: taken once (by its digest), matched to its case, recorded as the
//! customer's message, and what a person's reply does to the case.

use crate::closed_loop::cases::{add_note_in, move_case_in};
use crate::delivery::outbox::{enqueue_email, enqueue_event, EmailMessage};
use crate::many_rows::placeholders;
use crate::tenancy::lookup::{admin_emails, alert_address, company_in, sender, settings_in};
use crate::tenancy::users::staff_language_in;
use crate::{to_ts, Result};
use advocate_core::case::CaseStatus;
use advocate_core::conversation::address::CaseRef;
use advocate_core::conversation::inbound::{InboundMail, Nature, MAX_INBOUND_BYTES};
use advocate_core::messages;
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

/// How many of a message's In-Reply-To and References ids are looked up.
const MAX_THREAD_IDS: usize = 50;

/// The author recorded for what the customer's reply does to a case.
const CUSTOMER_REPLY: &str = "customer reply";

/// Where an inbound message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundSource {
    /// The installation's mailbox (`--imap-url`).
    Imap,
    /// A workspace's inbound endpoint (`POST /api/v1/inbound/email`).
    Api,
}

impl InboundSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Imap => "imap",
            Self::Api => "api",
        }
    }
}

/// What the server knows about an inbound message besides its content.
#[derive(Debug, Clone, Copy)]
pub struct Receipt<'a> {
    pub source: InboundSource,
    /// The workspace it was posted to; `None` for the installation's mailbox, where only
    /// the message itself names a workspace. A posted message is matched only within its
    /// workspace, so one workspace cannot write into another's cases.
    pub scope: Option<i64>,
    /// The case a recipient's reply token names (the token verified by the server).
    pub token: Option<CaseRef>,
    /// A recipient looked like a reply address but its token did not verify.
    pub forged_token: bool,
    /// The bytes received (only the headers of a message too large to fetch): hashed to
    /// know it again when it has no Message-ID.
    pub raw: &'a [u8],
}

/// What became of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Taken before (read twice, or by two instances): nothing done.
    Duplicate,
    Matched {
        case_id: i64,
        message_id: i64,
        /// A person's reply reopened the resolved case.
        reopened: bool,
    },
    /// Kept in the unmatched list (of `workspace_id`, when something named one).
    Unmatched {
        inbound_id: i64,
        workspace_id: Option<i64>,
        reason: String,
    },
}

/// An inbound message as it is stored, for its case or the unmatched list.
pub(super) struct Inbound {
    pub nature: Nature,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub attachments: String,
}

impl Inbound {
    fn of(mail: &InboundMail, digest: &str) -> Self {
        let body = if mail.size > MAX_INBOUND_BYTES {
            format!(
                "(This message was {:.1} MB, over the {} MB limit: only its sender and subject \
                 were kept.)",
                mail.size as f64 / 1_048_576.0,
                MAX_INBOUND_BYTES / 1_048_576
            )
        } else if mail.reply.trim().is_empty() {
            mail.text.trim().to_owned()
        } else {
            mail.reply.clone()
        };
        Self {
            nature: mail.nature,
            from: mail.from.clone(),
            to: mail.recipients.first().cloned().unwrap_or_default(),
            subject: mail.subject.clone(),
            body,
            // A message without one still needs an id on the case; made from the digest.
            message_id: mail
                .message_id
                .clone()
                .unwrap_or_else(|| format!("{}@inbound.advocate", &digest[..24])),
            in_reply_to: mail.in_reply_to.first().cloned(),
            attachments: serde_json::to_string(&mail.attachments).expect("attachments serialise"),
        }
    }
}

/// Identifies a message across deliveries: its Message-ID within where it came in, or its
/// bytes when it has none.
fn digest_of(mail: &InboundMail, receipt: &Receipt<'_>) -> String {
    let mut h = Sha256::new();
    match &mail.message_id {
        Some(id) => {
            let scope = receipt
                .scope
                .map_or("mailbox".to_owned(), |w| w.to_string());
            h.update(format!("{scope}|{id}").as_bytes());
        }
        None => h.update(receipt.raw),
    }
    format!("{:x}", h.finalize())
}

impl crate::Conversations<'_> {
    /// Takes an inbound message once: matched to its case by the reply token, else by
    /// In-Reply-To/References naming a message of a case, it becomes the customer's
    /// message there (see [`record_on_case`] for what a reply does); otherwise it waits in
    /// the unmatched list. Everything in one transaction: once this returns, the message
    /// is kept, so the mailbox may delete it.
    #[tracing::instrument(name = "conversations.receive", level = "debug", skip_all, fields(workspace = receipt.scope))]
    pub async fn receive(&self, mail: &InboundMail, receipt: &Receipt<'_>) -> Result<Received> {
        let digest = digest_of(mail, receipt);
        let inbound = Inbound::of(mail, &digest);
        let mut tx = self.store.begin_write().await?;
        let now = Utc::now();
        let inbound_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO inbound_mail (workspace_id, digest, source, status, nature, message_id, \
             from_address, to_address, subject, body, in_reply_to, attachments, size_bytes, \
             received_at) VALUES ($1, $2, $3, 'unmatched', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (digest) DO NOTHING RETURNING id",
        )
        .bind(receipt.scope)
        .bind(&digest)
        .bind(receipt.source.as_str())
        .bind(inbound.nature.as_str())
        .bind(&mail.message_id)
        .bind(&inbound.from)
        .bind(&inbound.to)
        .bind(&inbound.subject)
        .bind(&inbound.body)
        .bind(&inbound.in_reply_to)
        .bind(&inbound.attachments)
        .bind(i64::try_from(mail.size).unwrap_or(i64::MAX))
        .bind(to_ts(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(inbound_id) = inbound_id else {
            return Ok(Received::Duplicate);
        };
        let received = match find_case(&mut tx, mail, receipt).await? {
            Ok((workspace_id, case_id)) => {
                let (message_id, reopened) =
                    record_on_case(self.store, &mut tx, workspace_id, case_id, &inbound, now)
                        .await?;
                sqlx::query(
                    "UPDATE inbound_mail SET status = 'matched', workspace_id = $1, \
                     case_message_id = $2, handled_at = $3 WHERE id = $4",
                )
                .bind(workspace_id)
                .bind(message_id)
                .bind(to_ts(now))
                .bind(inbound_id)
                .execute(&mut *tx)
                .await?;
                Received::Matched {
                    case_id,
                    message_id,
                    reopened,
                }
            }
            Err((workspace_id, reason)) => {
                sqlx::query("UPDATE inbound_mail SET workspace_id = $1, reason = $2 WHERE id = $3")
                    .bind(workspace_id)
                    .bind(&reason)
                    .bind(inbound_id)
                    .execute(&mut *tx)
                    .await?;
                Received::Unmatched {
                    inbound_id,
                    workspace_id,
                    reason,
                }
            }
        };
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(received)
    }
}

/// The (workspace, case) an inbound message answers, or the workspace it belongs to (if
/// known) and why it matched none.
async fn find_case(
    conn: &mut AnyConnection,
    mail: &InboundMail,
    receipt: &Receipt<'_>,
) -> Result<std::result::Result<(i64, i64), (Option<i64>, String)>> {
    if let Some(t) = receipt.token {
        if receipt.scope.is_some_and(|s| s != t.workspace_id) {
            return Ok(Err((
                receipt.scope,
                "its reply address belongs to another workspace".into(),
            )));
        }
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM cases WHERE workspace_id = $1 AND id = $2")
                .bind(t.workspace_id)
                .bind(t.case_id)
                .fetch_optional(&mut *conn)
                .await?;
        return Ok(match exists {
            Some(_) => Ok((t.workspace_id, t.case_id)),
            None => Err((
                Some(t.workspace_id),
                format!(
                    "its reply address names case {}, which no longer exists",
                    t.case_id
                ),
            )),
        });
    }
    // The thread: the newest of our messages it answers or refers to, in one lookup.
    let mut ids: Vec<&str> = mail.in_reply_to.iter().map(String::as_str).collect();
    ids.extend(mail.references.iter().rev().map(String::as_str));
    ids.truncate(MAX_THREAD_IDS);
    if !ids.is_empty() {
        let sql = format!(
            "SELECT workspace_id, case_id FROM case_messages WHERE message_id IN ({}) \
             AND ($1 IS NULL OR workspace_id = $1) ORDER BY id DESC LIMIT 1",
            placeholders(2, ids.len())
        );
        let mut query = sqlx::query(&sql).bind(receipt.scope);
        for id in &ids {
            query = query.bind(*id);
        }
        if let Some(r) = query.fetch_optional(&mut *conn).await? {
            return Ok(Ok((r.try_get("workspace_id")?, r.try_get("case_id")?)));
        }
    }
    let reason = if receipt.forged_token {
        "its reply address carries a token that does not verify (forged or damaged)"
    } else {
        "nothing in it names a case (no reply address token, no known message in its thread)"
    };
    let workspace = match receipt.scope {
        Some(w) => Some(w),
        None => only_workspace(conn).await?,
    };
    Ok(Err((workspace, reason.into())))
}

/// The installation's workspace when it has exactly one: mail that names none is then
/// surely its. With several it stays with no workspace, for an operator to hand over
/// (`advocate mail unmatched`).
async fn only_workspace(conn: &mut AnyConnection) -> Result<Option<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id LIMIT 2")
        .fetch_all(&mut *conn)
        .await?;
    Ok(match ids.as_slice() {
        [only] => Some(*only),
        _ => None,
    })
}

/// Records an inbound message on a case (locked here). A person's reply is the customer
/// answering: a resolved case is reopened, a closed one stays closed (closing is final)
/// with a note saying the customer wrote after it, and the assignee is emailed. Automatic
/// replies and bounces are only recorded. Returns the message's id and whether the case
/// was reopened.
pub(super) async fn record_on_case(
    store: &crate::Store,
    conn: &mut AnyConnection,
    workspace_id: i64,
    case_id: i64,
    m: &Inbound,
    now: DateTime<Utc>,
) -> Result<(i64, bool)> {
    let (state, _) = store
        .cases()
        .case_state_in(conn, workspace_id, case_id)
        .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO case_messages (workspace_id, case_id, direction, nature, author, \
         from_address, to_address, subject, body, message_id, in_reply_to, attachments, \
         created_at) VALUES ($1, $2, 'in', $3, $4, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(workspace_id)
    .bind(case_id)
    .bind(m.nature.as_str())
    .bind(&m.from)
    .bind(&m.to)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(&m.message_id)
    .bind(&m.in_reply_to)
    .bind(&m.attachments)
    .bind(to_ts(now))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
        .bind(to_ts(now))
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    if m.nature != Nature::Reply {
        return Ok((id, false));
    }
    let mut changes = vec!["the customer replied".to_owned()];
    let reopened = state.lifecycle.status == CaseStatus::Resolved;
    if reopened {
        changes.extend(
            move_case_in(
                conn,
                workspace_id,
                &state,
                CaseStatus::Open,
                CUSTOMER_REPLY,
                now,
            )
            .await?,
        );
    } else if state.lifecycle.status == CaseStatus::Closed {
        add_note_in(
            conn,
            workspace_id,
            case_id,
            CUSTOMER_REPLY,
            "The customer replied after the case was closed; it stays closed (closing is final). \
             Read the reply in the conversation and write back from here if it needs an answer.",
        )
        .await?;
    }
    enqueue_event(
        conn,
        workspace_id,
        "case.updated",
        json!({"case_id": case_id, "changes": changes, "by": CUSTOMER_REPLY, "message_id": id}),
    )
    .await?;
    notify_assignee(
        store,
        conn,
        workspace_id,
        case_id,
        &state.assignee,
        m,
        reopened,
    )
    .await?;
    Ok((id, reopened))
}

/// Emails the case's assignee (or the team inbox, or the admins) that the customer replied.
async fn notify_assignee(
    store: &crate::Store,
    conn: &mut AnyConnection,
    workspace_id: i64,
    case_id: i64,
    assignee: &str,
    m: &Inbound,
    reopened: bool,
) -> Result<()> {
    let settings = settings_in(conn, workspace_id).await?;
    let recipients = match alert_address(assignee, &settings) {
        Some(to) => vec![to],
        None => admin_emails(conn, workspace_id).await?,
    };
    let (_, workspace_language) = company_in(conn, workspace_id).await?;
    let url = format!("{}/cases/{case_id}", store.public_url());
    let facts = messages::ReplyFacts {
        case_id,
        from: &m.from,
        excerpt: &m.body,
        case_url: &url,
        reopened,
    };
    for to in recipients {
        let lang = staff_language_in(conn, &to, &workspace_language).await?;
        let content = messages::customer_replied(&lang, &facts);
        let email = EmailMessage {
            from: sender(&settings),
            to,
            subject: content.subject,
            text: content.text,
            html: content.html,
            ..EmailMessage::default()
        };
        enqueue_email(conn, workspace_id, "case.replied", &email).await?;
    }
    Ok(())
}
