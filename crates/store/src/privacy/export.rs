//! Everything stored about one person, as one JSON document (GDPR art. 15 and 20).

use super::messages::{messages_about, Needles};
use super::person_in;
use crate::Privacy;
use crate::{from_ts, Result};
use chrono::Utc;
use serde_json::{json, Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// How a column is read into JSON.
#[derive(Clone, Copy)]
enum Col {
    Int,
    Text,
    /// Unix seconds, written as RFC 3339.
    Time,
    /// 0/1, written as true/false.
    Bool,
    /// JSON stored as text (attributes).
    Json,
}
use Col::*;

fn value(row: &AnyRow, name: &str, col: Col) -> Result<Value> {
    Ok(match col {
        Int => json!(row.try_get::<Option<i64>, _>(name)?),
        Text => json!(row.try_get::<Option<String>, _>(name)?),
        Time => json!(row
            .try_get::<Option<i64>, _>(name)?
            .map(|t| from_ts(t).to_rfc3339())),
        Bool => json!(row.try_get::<Option<i64>, _>(name)?.map(|b| b != 0)),
        Json => row
            .try_get::<Option<String>, _>(name)?
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null),
    })
}

/// Runs `sql` (binding `binds` as $1, $2, …) and writes each row as an object of `cols`.
async fn rows(
    conn: &mut AnyConnection,
    sql: &str,
    binds: &[i64],
    cols: &[(&str, Col)],
) -> Result<Vec<Value>> {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    let mut out = Vec::new();
    for row in query.fetch_all(&mut *conn).await? {
        let mut obj = Map::new();
        for (name, col) in cols {
            obj.insert((*name).to_owned(), value(&row, name, *col)?);
        }
        out.push(Value::Object(obj));
    }
    Ok(out)
}

const ANSWER_COLS: &[(&str, Col)] = &[
    ("id", Int),
    ("survey", Text),
    ("score", Int),
    ("comment", Text),
    ("channel", Text),
    ("touchpoint", Text),
    ("language", Text),
    ("answered_at", Time),
    ("attributes", Json),
    ("external_id", Text),
];

const CASE_COLS: &[(&str, Col)] = &[
    ("id", Int),
    ("answer_id", Int),
    ("score", Int),
    ("priority", Text),
    ("status", Text),
    ("assignee", Text),
    ("language", Text),
    ("sla_due_at", Time),
    ("first_contact_at", Time),
    ("resolved_at", Time),
    ("closed_at", Time),
    ("outcome", Text),
    ("compensation", Text),
    ("resurvey_answer_id", Int),
    ("created_at", Time),
    ("updated_at", Time),
];

/// The cases about the person: theirs, or opened by one of their answers.
pub(super) const CASES_OF: &str =
    "SELECT id FROM cases WHERE workspace_id = $1 AND (customer_id = $2 \
     OR answer_id IN (SELECT id FROM answers WHERE workspace_id = $1 AND customer_id = $2))";
pub(super) const ENGAGEMENTS_OF: &str =
    "SELECT id FROM engagements WHERE workspace_id = $1 AND (customer_id = $2 \
     OR answer_id IN (SELECT id FROM answers WHERE workspace_id = $1 AND customer_id = $2))";

impl Privacy<'_> {
    /// Everything stored about customer `external_id` of the workspace, as one JSON
    /// document; `NotFound` when the workspace has no such customer.
    #[tracing::instrument(name = "privacy.export_person", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn export_person(&self, workspace_id: i64, external_id: &str) -> Result<Value> {
        // One read transaction: a consistent picture even while answers arrive.
        let mut tx = self.store.pool.begin().await?;
        let c = person_in(&mut tx, workspace_id, external_id).await?;
        let ids = [workspace_id, c.id];
        let customer = customer_of(&mut tx, &ids).await?;
        let answers = answers_of(&mut tx, &ids).await?;
        let invitations = invitations_of(&mut tx, &ids).await?;
        let events = events_of(&mut tx, &ids).await?;
        let cases = self.cases_of(&mut tx, &ids).await?;
        let engagements = engagements_of(&mut tx, &ids).await?;
        let orders = orders_of(&mut tx, &ids).await?;
        let contacts = contacts_of(&mut tx, &ids).await?;
        let spells = spells_of(&mut tx, &ids).await?;
        let memberships = memberships_of(&mut tx, &ids).await?;
        let case_ids = ids_of(&cases);
        let engagement_ids = ids_of(&engagements);
        let needles = Needles {
            customer: &c,
            case_ids: &case_ids,
            engagement_ids: &engagement_ids,
        };
        let messages = messages_about(&mut tx, workspace_id, &needles).await?;
        tx.commit().await?;
        Ok(json!({
            "exported_at": Utc::now().to_rfc3339(),
            "customer": customer,
            "answers": answers,
            "invitations": invitations,
            "events": events,
            "cases": cases,
            "engagements": engagements,
            "orders": orders,
            "contacts": contacts,
            "lifecycle_spells": spells,
            "loyalty_memberships": memberships,
            "messages": messages,
        }))
    }

    /// The person's cases, each with its checklist, notes and emails.
    async fn cases_of(&self, conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
        let cols: Vec<String> = CASE_COLS.iter().map(|(c, _)| (*c).to_owned()).collect();
        let mut cases = rows(
            conn,
            &format!(
                "SELECT {} FROM cases WHERE id IN ({CASES_OF}) ORDER BY id",
                cols.join(", ")
            ),
            ids,
            CASE_COLS,
        )
        .await?;
        for case in &mut cases {
            let id = case["id"].as_i64().unwrap_or_default();
            let steps = rows(
                conn,
                "SELECT position, text, done_at, done_by FROM case_steps WHERE case_id = $1 ORDER BY position",
                &[id],
                &[("position", Int), ("text", Text), ("done_at", Time), ("done_by", Text)],
            )
            .await?;
            let notes = rows(
                conn,
                "SELECT author, body, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at, id",
                &[id],
                &[("author", Text), ("body", Text), ("created_at", Time)],
            )
            .await?;
            let emails = rows(
                conn,
                "SELECT direction, nature, author, from_address, to_address, subject, body, \
                 attachments, created_at FROM case_messages WHERE case_id = $1 ORDER BY created_at, id",
                &[id],
                &[
                    ("direction", Text),
                    ("nature", Text),
                    ("author", Text),
                    ("from_address", Text),
                    ("to_address", Text),
                    ("subject", Text),
                    ("body", Text),
                    ("attachments", Text),
                    ("created_at", Time),
                ],
            )
            .await?;
            case["steps"] = Value::Array(steps);
            case["notes"] = Value::Array(notes);
            case["emails"] = Value::Array(emails);
        }
        Ok(cases)
    }
}

fn ids_of(items: &[Value]) -> Vec<i64> {
    items.iter().filter_map(|v| v["id"].as_i64()).collect()
}

/// The customer's own row.
async fn customer_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Value> {
    Ok(rows(
        conn,
        "SELECT external_id, name, email, phone, language, attributes, account_manager, \
         follow_up_note, follow_up_set_at, unsubscribed_at, created_at, updated_at \
         FROM customers WHERE workspace_id = $1 AND id = $2",
        ids,
        &[
            ("external_id", Text),
            ("name", Text),
            ("email", Text),
            ("phone", Text),
            ("language", Text),
            ("attributes", Json),
            ("account_manager", Text),
            ("follow_up_note", Text),
            ("follow_up_set_at", Time),
            ("unsubscribed_at", Time),
            ("created_at", Time),
            ("updated_at", Time),
        ],
    )
    .await?
    .pop()
    .unwrap_or_default())
}

/// The person's answers, oldest first.
async fn answers_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    rows(
        conn,
        "SELECT a.id, s.slug AS survey, a.score, a.comment, a.channel, a.touchpoint, a.language, \
         a.answered_at, a.attributes, a.external_id FROM answers a JOIN surveys s ON s.id = a.survey_id \
         WHERE a.workspace_id = $1 AND a.customer_id = $2 ORDER BY a.answered_at, a.id",
        ids,
        ANSWER_COLS,
    )
    .await
}

/// The invitations sent to the person.
async fn invitations_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    rows(
        conn,
        "SELECT i.id, s.slug AS survey, i.channel, i.language, i.source, i.status, i.skip_reason, \
         i.send_at, i.sent_at, i.delivered_at, i.opened_at, i.answered_at, i.reminded_at, \
         i.answer_id, i.expires_at, i.created_at FROM invitations i JOIN surveys s ON s.id = i.survey_id \
         WHERE i.workspace_id = $1 AND i.customer_id = $2 ORDER BY i.id",
        ids,
        &[
            ("id", Int),
            ("survey", Text),
            ("channel", Text),
            ("language", Text),
            ("source", Text),
            ("status", Text),
            ("skip_reason", Text),
            ("send_at", Time),
            ("sent_at", Time),
            ("delivered_at", Time),
            ("opened_at", Time),
            ("answered_at", Time),
            ("reminded_at", Time),
            ("answer_id", Int),
            ("expires_at", Time),
            ("created_at", Time),
        ],
    )
    .await
}

/// The events recorded about the person (the ones that trigger invitations).
async fn events_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    rows(
        conn,
        "SELECT id, name, attributes, occurred_at, external_id, created_at FROM events \
         WHERE workspace_id = $1 AND customer_id = $2 ORDER BY occurred_at, id",
        ids,
        &[
            ("id", Int),
            ("name", Text),
            ("attributes", Json),
            ("occurred_at", Time),
            ("external_id", Text),
            ("created_at", Time),
        ],
    )
    .await
}

/// The engagements with the person: theirs, or set off by one of their answers.
async fn engagements_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    rows(
        conn,
        &format!(
            "SELECT id, answer_id, kind, status, discount_code, created_at, updated_at \
             FROM engagements WHERE id IN ({ENGAGEMENTS_OF}) ORDER BY id"
        ),
        ids,
        &[
            ("id", Int),
            ("answer_id", Int),
            ("kind", Text),
            ("status", Text),
            ("discount_code", Text),
            ("created_at", Time),
            ("updated_at", Time),
        ],
    )
    .await
}

/// The person's orders.
async fn orders_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    rows(
        conn,
        "SELECT external_id, amount_minor, original_amount_minor, original_currency, ordered_at, \
         created_at FROM orders WHERE workspace_id = $1 AND customer_id = $2 ORDER BY ordered_at, id",
        ids,
        &[
            ("external_id", Text),
            ("amount_minor", Int),
            ("original_amount_minor", Int),
            ("original_currency", Text),
            ("ordered_at", Time),
            ("created_at", Time),
        ],
    )
    .await
}

/// The person's support contacts.
async fn contacts_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    rows(
        conn,
        "SELECT external_id, channel, is_complaint, opened_at, first_reply_at, resolved_at, \
         created_at FROM contacts WHERE workspace_id = $1 AND customer_id = $2 ORDER BY opened_at, id",
        ids,
        &[
            ("external_id", Text),
            ("channel", Text),
            ("is_complaint", Bool),
            ("opened_at", Time),
            ("first_reply_at", Time),
            ("resolved_at", Time),
            ("created_at", Time),
        ],
    )
    .await
}

/// The person's lifecycle spells (acquired, churned).
async fn spells_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    rows(
        conn,
        "SELECT started_at, ended_at FROM customer_spells WHERE workspace_id = $1 \
         AND customer_id = $2 ORDER BY started_at",
        ids,
        &[("started_at", Time), ("ended_at", Time)],
    )
    .await
}

/// The person's loyalty-programme memberships.
async fn memberships_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    rows(
        conn,
        "SELECT joined_at, left_at FROM loyalty_memberships WHERE workspace_id = $1 \
         AND customer_id = $2 ORDER BY joined_at",
        ids,
        &[("joined_at", Time), ("left_at", Time)],
    )
    .await
}
