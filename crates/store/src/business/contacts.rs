//! Contacts: complaints and other conversations with customers, by channel, with the
//! times support took to reply and to resolve.
//!
//! A contact with an external id may be sent again as it progresses: a later call may
//! fill in `first_reply_at` or `resolved_at` where they were empty, but never change what
//! is stored (that is a conflict).

use super::{
    check_id, check_size, customer_ids_in, list_name, missing_customer, not_future, page_bounds,
    settle, Checked, Mode, ProblemKind, Problems, Recorded, LOOKUP_CHUNK,
};
use crate::many_rows::placeholders;
use crate::Contacts;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::ContactChannel;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// A contact as sent, before its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    /// Your id for it (ticket number); makes retries and later updates possible.
    pub external_id: Option<String>,
    /// The customer's external id, when known.
    pub customer: Option<String>,
    pub channel: ContactChannel,
    pub is_complaint: bool,
    pub opened_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub external_id: Option<String>,
    /// The customer's external id.
    pub customer: Option<String>,
    pub channel: ContactChannel,
    pub is_complaint: bool,
    pub opened_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Which contacts to list, newest first; every field narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactFilter {
    /// A customer's external id.
    pub customer: Option<String>,
    /// Opened at or after.
    pub from: Option<DateTime<Utc>>,
    /// Opened before.
    pub to: Option<DateTime<Utc>>,
    pub channel: Option<ContactChannel>,
    pub complaint: Option<bool>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactPage {
    /// How many match the filter in all.
    pub total: i64,
    pub contacts: Vec<Contact>,
}

/// A contact that passed its own checks, in stored form.
#[derive(Debug, Clone, PartialEq)]
struct Row_ {
    external_id: Option<String>,
    customer_id: Option<i64>,
    channel: ContactChannel,
    is_complaint: bool,
    opened_at: i64,
    first_reply_at: Option<i64>,
    resolved_at: Option<i64>,
}

/// What a resend does to a stored contact.
enum Resend {
    Same,
    /// Fills in empty times: (first_reply_at, resolved_at) as they will be.
    Complete(Option<i64>, Option<i64>),
    /// The field that differs.
    Differs(&'static str),
}

fn resend(stored: &Row_, new: &Row_) -> Resend {
    let fixed = [
        ("customer", stored.customer_id == new.customer_id),
        ("channel", stored.channel == new.channel),
        ("is_complaint", stored.is_complaint == new.is_complaint),
        ("opened_at", stored.opened_at == new.opened_at),
    ];
    if let Some((field, _)) = fixed.iter().find(|(_, same)| !same) {
        return Resend::Differs(field);
    }
    // A time may be filled in where it was empty, and left out where it is stored.
    let merge = |field, old: Option<i64>, new: Option<i64>| match (old, new) {
        (Some(o), Some(n)) if o != n => Err(field),
        (o, n) => Ok(o.or(n)),
    };
    let first = merge("first_reply_at", stored.first_reply_at, new.first_reply_at);
    let resolved = merge("resolved_at", stored.resolved_at, new.resolved_at);
    match (first, resolved) {
        (Err(f), _) | (_, Err(f)) => Resend::Differs(f),
        (Ok(f), Ok(r)) if f == stored.first_reply_at && r == stored.resolved_at => Resend::Same,
        (Ok(f), Ok(r)) => Resend::Complete(f, r),
    }
}

impl Contacts<'_> {
    /// Records one contact (errors name the field only).
    #[tracing::instrument(name = "contacts.record", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record(&self, workspace_id: i64, contact: &NewContact) -> Result<Recorded> {
        let checked = self
            .try_record_many(workspace_id, std::slice::from_ref(contact), Mode::Store)
            .await?;
        settle(list_name("contacts", true), checked)
    }

    /// Records up to [`super::MAX_BATCH`] contacts, all or none; errors name each bad
    /// item as `contacts[i]`.
    #[tracing::instrument(name = "contacts.record_many", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_many(
        &self,
        workspace_id: i64,
        contacts: &[NewContact],
    ) -> Result<Recorded> {
        check_size(contacts.len(), "contacts")?;
        let checked = self
            .try_record_many(workspace_id, contacts, Mode::Store)
            .await?;
        settle(list_name("contacts", false), checked)
    }

    /// Like [`Contacts::record_many`], with the problems as data and no limit on their
    /// number.
    #[tracing::instrument(name = "contacts.try_record_many", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn try_record_many(
        &self,
        workspace_id: i64,
        contacts: &[NewContact],
        mode: Mode,
    ) -> Result<Checked> {
        if contacts.is_empty() {
            return Ok(Ok(Recorded::default()));
        }
        let now = Utc::now();
        let mut tx = self.store.begin_write().await?;
        let customers: Vec<&str> = contacts
            .iter()
            .filter_map(|c| c.customer.as_deref().map(str::trim))
            .collect();
        let ids = customer_ids_in(&mut tx, workspace_id, &customers).await?;
        let mut problems = Problems::default();
        let mut rows = Vec::with_capacity(contacts.len());
        for (i, contact) in contacts.iter().enumerate() {
            if let Some(row) = check_contact(i, contact, &ids, now, &mut problems) {
                rows.push((i, row));
            }
        }
        let stored = stored_contacts(&mut tx, workspace_id, &rows).await?;
        let mut seen: HashMap<&str, &Row_> = HashMap::new();
        let mut recorded = Recorded::default();
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for (i, row) in &rows {
            let Some(ext) = row.external_id.as_deref() else {
                inserts.push(row);
                continue;
            };
            if let Some(earlier) = seen.get(ext) {
                if *earlier == row {
                    recorded.unchanged += 1;
                } else {
                    problems.invalid(
                        *i,
                        format!(
                            "external_id {ext:?} is used by an earlier item with other content"
                        ),
                    );
                }
                continue;
            }
            seen.insert(ext, row);
            match stored.get(ext).map(|s| resend(s, row)) {
                None => inserts.push(row),
                Some(Resend::Same) => recorded.unchanged += 1,
                Some(Resend::Complete(first, resolved)) => updates.push((ext, first, resolved)),
                Some(Resend::Differs(field)) => problems.add(
                    *i,
                    ProblemKind::Conflict,
                    format!(
                        "external_id {ext:?} is already stored with another {field}; a stored \
                         contact can only have first_reply_at or resolved_at filled in"
                    ),
                ),
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems.into_sorted()));
        }
        for row in inserts {
            insert_contact(&mut tx, workspace_id, row, to_ts(now)).await?;
            recorded.stored += 1;
        }
        for (ext, first, resolved) in updates {
            sqlx::query(
                "UPDATE contacts SET first_reply_at = $1, resolved_at = $2 \
                 WHERE workspace_id = $3 AND external_id = $4",
            )
            .bind(first)
            .bind(resolved)
            .bind(workspace_id)
            .bind(ext.to_owned())
            .execute(&mut *tx)
            .await?;
            recorded.stored += 1;
        }
        mode.end(tx).await?;
        Ok(Ok(recorded))
    }

    /// A page of contacts, newest first. An unknown customer is `NotFound`.
    #[tracing::instrument(name = "contacts.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64, filter: &ContactFilter) -> Result<ContactPage> {
        let mut conn = self.store.pool.acquire().await?;
        let customer_id = match &filter.customer {
            None => -1,
            Some(c) => *customer_ids_in(&mut conn, workspace_id, &[c.as_str()])
                .await?
                .get(c.as_str())
                .ok_or_else(|| StoreError::NotFound(missing_customer(c)))?,
        };
        // Absent filters are bound as values that match everything, so the SQL is fixed.
        let conditions = "k.workspace_id = $1 AND ($2 < 0 OR k.customer_id = $2) \
             AND k.opened_at >= $3 AND k.opened_at < $4 AND ($5 = '' OR k.channel = $5) \
             AND ($6 < 0 OR k.is_complaint = $6)";
        let from = filter.from.map_or(i64::MIN, to_ts);
        let to = filter.to.map_or(i64::MAX, to_ts);
        let channel = filter.channel.map_or("", |c| c.as_str());
        let complaint = filter.complaint.map_or(-1, i64::from);
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM contacts k WHERE {conditions}"
        ))
        .bind(workspace_id)
        .bind(customer_id)
        .bind(from)
        .bind(to)
        .bind(channel)
        .bind(complaint)
        .fetch_one(&mut *conn)
        .await?;
        let (limit, offset) = page_bounds(filter.limit, filter.offset);
        let rows = sqlx::query(&format!(
            "SELECT k.external_id, c.external_id AS customer, k.channel, k.is_complaint, \
             k.opened_at, k.first_reply_at, k.resolved_at, k.created_at \
             FROM contacts k LEFT JOIN customers c ON c.id = k.customer_id WHERE {conditions} \
             ORDER BY k.opened_at DESC, k.id DESC LIMIT $7 OFFSET $8"
        ))
        .bind(workspace_id)
        .bind(customer_id)
        .bind(from)
        .bind(to)
        .bind(channel)
        .bind(complaint)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
        let contacts = rows.iter().map(contact_from).collect::<Result<Vec<_>>>()?;
        Ok(ContactPage { total, contacts })
    }
}

fn contact_from(row: &AnyRow) -> Result<Contact> {
    let channel: String = row.try_get("channel")?;
    Ok(Contact {
        external_id: row.try_get("external_id")?,
        customer: row.try_get("customer")?,
        channel: ContactChannel::parse(&channel)
            .map_err(|_| StoreError::Invalid(format!("stored contact channel {channel:?}")))?,
        is_complaint: row.try_get::<i64, _>("is_complaint")? != 0,
        opened_at: from_ts(row.try_get("opened_at")?),
        first_reply_at: row
            .try_get::<Option<i64>, _>("first_reply_at")?
            .map(from_ts),
        resolved_at: row.try_get::<Option<i64>, _>("resolved_at")?.map(from_ts),
        created_at: from_ts(row.try_get("created_at")?),
    })
}

fn check_contact(
    i: usize,
    contact: &NewContact,
    customers: &HashMap<String, i64>,
    now: DateTime<Utc>,
    problems: &mut Problems,
) -> Option<Row_> {
    let before = problems.0.len();
    let external_id = match contact
        .external_id
        .as_deref()
        .map(|e| check_id("external_id", e))
    {
        Some(Err(m)) => {
            problems.invalid(i, m);
            None
        }
        Some(Ok(e)) => Some(e),
        None => None,
    };
    for (field, at) in [
        ("opened_at", Some(contact.opened_at)),
        ("first_reply_at", contact.first_reply_at),
        ("resolved_at", contact.resolved_at),
    ] {
        if let Some(Err(m)) = at.map(|t| not_future(field, t, now)) {
            problems.invalid(i, m);
        }
    }
    for (field, at) in [
        ("first_reply_at", contact.first_reply_at),
        ("resolved_at", contact.resolved_at),
    ] {
        if let Some(t) = at.filter(|t| *t < contact.opened_at) {
            problems.invalid(
                i,
                format!(
                    "{field} {} is before opened_at {}",
                    t.to_rfc3339(),
                    contact.opened_at.to_rfc3339()
                ),
            );
        }
    }
    let customer_id = match contact.customer.as_deref().map(str::trim) {
        None => None,
        Some("") => {
            problems.invalid(
                i,
                "customer must not be empty (leave it out for an unknown customer)",
            );
            None
        }
        Some(c) => match customers.get(c) {
            Some(id) => Some(*id),
            None => {
                problems.add(i, ProblemKind::NotFound, missing_customer(c));
                None
            }
        },
    };
    if problems.0.len() > before {
        return None;
    }
    Some(Row_ {
        external_id,
        customer_id,
        channel: contact.channel,
        is_complaint: contact.is_complaint,
        opened_at: to_ts(contact.opened_at),
        first_reply_at: contact.first_reply_at.map(to_ts),
        resolved_at: contact.resolved_at.map(to_ts),
    })
}

/// The stored contacts with the external ids of `rows`, in the same form.
async fn stored_contacts(
    conn: &mut AnyConnection,
    workspace_id: i64,
    rows: &[(usize, Row_)],
) -> Result<HashMap<String, Row_>> {
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|(_, r)| r.external_id.as_deref())
        .collect();
    let mut found = HashMap::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT external_id, customer_id, channel, is_complaint, opened_at, first_reply_at, \
             resolved_at FROM contacts WHERE workspace_id = $1 AND external_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(workspace_id);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let ext: String = row.try_get("external_id")?;
            let channel: String = row.try_get("channel")?;
            found.insert(
                ext.clone(),
                Row_ {
                    external_id: Some(ext),
                    customer_id: row.try_get("customer_id")?,
                    channel: ContactChannel::parse(&channel).map_err(|_| {
                        StoreError::Invalid(format!("stored contact channel {channel:?}"))
                    })?,
                    is_complaint: row.try_get::<i64, _>("is_complaint")? != 0,
                    opened_at: row.try_get("opened_at")?,
                    first_reply_at: row.try_get("first_reply_at")?,
                    resolved_at: row.try_get("resolved_at")?,
                },
            );
        }
    }
    Ok(found)
}

async fn insert_contact(
    conn: &mut AnyConnection,
    workspace_id: i64,
    row: &Row_,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO contacts (workspace_id, customer_id, external_id, channel, is_complaint, \
         opened_at, first_reply_at, resolved_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(workspace_id)
    .bind(row.customer_id)
    .bind(row.external_id.clone())
    .bind(row.channel.as_str())
    .bind(i64::from(row.is_complaint))
    .bind(row.opened_at)
    .bind(row.first_reply_at)
    .bind(row.resolved_at)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if StoreError::is_unique_violation(&e) {
            StoreError::Conflict(format!(
                "contact {:?} was stored by another request meanwhile; send it again",
                row.external_id.as_deref().unwrap_or_default()
            ))
        } else {
            e.into()
        }
    })?;
    Ok(())
}
