//! Erasing one person (GDPR art. 17), in one transaction. The rule per table is in the
//! README ("Privacy (GDPR) and retention"): the customer row and everything only about
//! them is deleted; their answers stay as anonymous scores so the rollups, and every
//! report, are unchanged.

use super::export::{CASES_OF, ENGAGEMENTS_OF};
use super::messages::{messages_about, Needles, PersonMessage};
use super::person_in;
use crate::many_rows::placeholders;
use crate::Privacy;
use crate::{to_ts, Result};
use chrono::Utc;
use serde::Serialize;
use sqlx::AnyConnection;

/// What an erasure removed, by table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub external_id: String,
    /// Kept as anonymous scores: comment, customer link, attribute snapshot and ids removed.
    pub answers_anonymised: u64,
    pub cases_deleted: u64,
    pub case_notes_deleted: u64,
    /// Emails on their cases, and their mail waiting in the unmatched list.
    pub case_emails_deleted: u64,
    pub engagements_deleted: u64,
    /// Codes given to the person; deleted rather than freed, so none is given out twice.
    pub discount_codes_deleted: u64,
    pub invitations_deleted: u64,
    pub events_deleted: u64,
    pub orders_deleted: u64,
    /// Kept for the complaint and response-time figures, without the customer.
    pub contacts_detached: u64,
    pub lifecycle_spells_deleted: u64,
    pub loyalty_memberships_deleted: u64,
    /// Waiting or dead messages to or about them: never sent.
    pub messages_cancelled: u64,
    /// Delivered messages to or about them: target and content removed, the record kept.
    pub messages_scrubbed: u64,
}

/// Runs `sql` binding `binds`; returns the rows it changed.
async fn exec(conn: &mut AnyConnection, sql: &str, binds: &[i64]) -> Result<u64> {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

impl Privacy<'_> {
    /// Erases customer `external_id` of the workspace: all or nothing. `NotFound` when the
    /// workspace has no such customer (so erasing twice is a `NotFound` the second time).
    #[tracing::instrument(name = "privacy.erase_person", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn erase_person(&self, workspace_id: i64, external_id: &str) -> Result<Erasure> {
        let mut tx = self.store.begin_write().await?;
        let c = person_in(&mut tx, workspace_id, external_id).await?;
        let ids = [workspace_id, c.id];
        let case_ids: Vec<i64> = sqlx::query_scalar(CASES_OF)
            .bind(workspace_id)
            .bind(c.id)
            .fetch_all(&mut *tx)
            .await?;
        let engagement_ids: Vec<i64> = sqlx::query_scalar(ENGAGEMENTS_OF)
            .bind(workspace_id)
            .bind(c.id)
            .fetch_all(&mut *tx)
            .await?;
        let needles = Needles {
            customer: &c,
            case_ids: &case_ids,
            engagement_ids: &engagement_ids,
        };
        let messages = messages_about(&mut tx, workspace_id, &needles).await?;
        let mut done = Erasure {
            external_id: c.external_id.clone(),
            ..Erasure::default()
        };
        erase_messages(&mut tx, &messages, &mut done).await?;
        delete_conversations(
            &mut tx,
            workspace_id,
            c.email.as_deref(),
            &case_ids,
            &mut done,
        )
        .await?;
        delete_cases(&mut tx, &case_ids, &mut done).await?;
        // Their answers linked to someone else's case (cannot happen today; kept safe).
        exec(
            &mut tx,
            "DELETE FROM case_answers WHERE answer_id IN \
             (SELECT id FROM answers WHERE workspace_id = $1 AND customer_id = $2)",
            &ids,
        )
        .await?;
        // Their comments' themes go with the comments.
        exec(
            &mut tx,
            "DELETE FROM answer_themes WHERE answer_id IN \
             (SELECT id FROM answers WHERE workspace_id = $1 AND customer_id = $2)",
            &ids,
        )
        .await?;
        delete_engagements(&mut tx, &engagement_ids, &mut done).await?;
        delete_their_records(&mut tx, &ids, &mut done).await?;
        done.answers_anonymised = exec(
            &mut tx,
            &format!("{ANONYMISE} WHERE workspace_id = $2 AND customer_id = $3"),
            &[to_ts(Utc::now()), workspace_id, c.id],
        )
        .await?;
        exec(
            &mut tx,
            "DELETE FROM customers WHERE workspace_id = $1 AND id = $2",
            &ids,
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }
}

/// Turns answers into anonymous scores ($1 is the time); the caller adds the WHERE. The
/// rollup dimensions (survey, day, touchpoint, channel, language, score) are kept and the
/// rollups are not touched, so reports do not change.
pub(super) const ANONYMISE: &str = "UPDATE answers SET customer_id = NULL, comment = NULL, \
     attributes = '{}', external_id = NULL, idempotency_key = NULL, request_hash = NULL, \
     sentiment = NULL, themes_version = NULL, anonymised_at = $1";

/// Delivered messages to or about the person keep their record without target or
/// content; the others are cancelled (deleted with their attempts).
async fn erase_messages(
    conn: &mut AnyConnection,
    messages: &[PersonMessage],
    done: &mut Erasure,
) -> Result<()> {
    for m in messages {
        if m.status == "delivered" {
            done.messages_scrubbed += exec(
                conn,
                "UPDATE outbox SET target = 'erased', payload = '{\"erased\":true}', \
                 last_error = NULL WHERE id = $1",
                &[m.id],
            )
            .await?;
        } else {
            exec(
                conn,
                "DELETE FROM outbox_attempts WHERE outbox_id = $1",
                &[m.id],
            )
            .await?;
            done.messages_cancelled +=
                exec(conn, "DELETE FROM outbox WHERE id = $1", &[m.id]).await?;
        }
    }
    Ok(())
}

/// Deletes the emails on the person's cases, the inbound mail they became, and mail from
/// the person's address still waiting in the unmatched list.
async fn delete_conversations(
    conn: &mut AnyConnection,
    workspace_id: i64,
    email: Option<&str>,
    case_ids: &[i64],
    done: &mut Erasure,
) -> Result<()> {
    if !case_ids.is_empty() {
        let list = placeholders(1, case_ids.len());
        exec(
            conn,
            &format!(
                "DELETE FROM inbound_mail WHERE case_message_id IN \
                 (SELECT id FROM case_messages WHERE case_id IN ({list}))"
            ),
            case_ids,
        )
        .await?;
        done.case_emails_deleted = exec(
            conn,
            &format!("DELETE FROM case_messages WHERE case_id IN ({list})"),
            case_ids,
        )
        .await?;
    }
    if let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) {
        done.case_emails_deleted += sqlx::query(
            "DELETE FROM inbound_mail WHERE workspace_id = $1 AND case_message_id IS NULL \
             AND lower(from_address) = lower($2)",
        )
        .bind(workspace_id)
        .bind(email)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(())
}

/// Deletes the person's cases with their notes, checklists and linked answers.
async fn delete_cases(
    conn: &mut AnyConnection,
    case_ids: &[i64],
    done: &mut Erasure,
) -> Result<()> {
    if !case_ids.is_empty() {
        let list = placeholders(1, case_ids.len());
        done.case_notes_deleted = exec(
            conn,
            &format!("DELETE FROM case_notes WHERE case_id IN ({list})"),
            case_ids,
        )
        .await?;
        for table in ["case_steps", "case_answers"] {
            exec(
                conn,
                &format!("DELETE FROM {table} WHERE case_id IN ({list})"),
                case_ids,
            )
            .await?;
        }
        done.cases_deleted = exec(
            conn,
            &format!("DELETE FROM cases WHERE id IN ({list})"),
            case_ids,
        )
        .await?;
    }
    Ok(())
}

/// Deletes the engagements with the person and the discount codes they were given.
async fn delete_engagements(
    conn: &mut AnyConnection,
    engagement_ids: &[i64],
    done: &mut Erasure,
) -> Result<()> {
    if !engagement_ids.is_empty() {
        let list = placeholders(1, engagement_ids.len());
        done.discount_codes_deleted = exec(
            conn,
            &format!("DELETE FROM discount_codes WHERE engagement_id IN ({list})"),
            engagement_ids,
        )
        .await?;
        done.engagements_deleted = exec(
            conn,
            &format!("DELETE FROM engagements WHERE id IN ({list})"),
            engagement_ids,
        )
        .await?;
    }
    Ok(())
}

/// Deletes what is only about the person (invitations, events, orders, spells,
/// memberships) and detaches their support contacts; `ids` is (workspace, customer).
async fn delete_their_records(
    conn: &mut AnyConnection,
    ids: &[i64],
    done: &mut Erasure,
) -> Result<()> {
    let owned = "WHERE workspace_id = $1 AND customer_id = $2";
    done.invitations_deleted = exec(conn, &format!("DELETE FROM invitations {owned}"), ids).await?;
    done.events_deleted = exec(conn, &format!("DELETE FROM events {owned}"), ids).await?;
    done.orders_deleted = exec(conn, &format!("DELETE FROM orders {owned}"), ids).await?;
    // The orders' monthly rollup (kept in each order's transaction) goes with them.
    exec(conn, &format!("DELETE FROM order_rollup {owned}"), ids).await?;
    done.contacts_detached = exec(
        conn,
        &format!("UPDATE contacts SET customer_id = NULL {owned}"),
        ids,
    )
    .await?;
    done.lifecycle_spells_deleted =
        exec(conn, &format!("DELETE FROM customer_spells {owned}"), ids).await?;
    done.loyalty_memberships_deleted = exec(
        conn,
        &format!("DELETE FROM loyalty_memberships {owned}"),
        ids,
    )
    .await?;
    Ok(())
}
