//! Business data: customer lifecycle spells, orders, contacts and loyalty membership, the
//! facts the retention KPIs are computed from.
//!
//! Every write takes a batch (a single item is a batch of one) and is all or nothing:
//! each item is checked against the rules and the stored data, every problem is reported
//! with the item's index, and nothing is stored unless there is none. Customers are named
//! by their external id and must exist in the workspace.
//!
//! Retries are safe: an order or contact with a stored external id and the same content,
//! or a lifecycle or loyalty event that a stored spell already records, changes nothing.

mod contacts;
mod history;
mod money;
mod orders;
mod spells;

pub use contacts::{Contact, ContactFilter, ContactPage, NewContact};
pub use history::{
    BusinessHistory, HistoricContact, HistoricMembership, HistoricOrder, HistoricSpell,
};
pub use money::{format_amount, minor_digits, parse_amount};
pub use orders::{NewOrder, Order, OrderFilter, OrderPage};
pub use spells::{LifecycleEvent, LifecycleKind, LoyaltyEvent, LoyaltyKind, Spell};

use crate::many_rows::placeholders;
use crate::StoreError;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Most items one call may carry.
pub const MAX_BATCH: usize = 10_000;
/// Times a little in the future are accepted (clock skew between systems).
const FUTURE_SLACK_MINUTES: i64 = 5;
/// Keys per `IN (…)` list, well below both backends' bound-parameter limits.
const LOOKUP_CHUNK: usize = 500;

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// Items that changed something: a new row, a spell closed, a contact completed.
    pub stored: u64,
    /// Items already recorded exactly so (retries).
    pub unchanged: u64,
}

/// Which kind of refusal a problem is; a batch's error takes the most serious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    /// No such customer (404).
    NotFound,
    /// Disagrees with what is stored (409).
    Conflict,
    /// Breaks a rule on its own (422).
    Invalid,
}

/// One refused item: its 0-based index in the batch and a message that starts with the
/// field it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemProblem {
    pub index: usize,
    pub kind: ProblemKind,
    pub message: String,
}

/// Problems gathered while a batch is checked.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<ItemProblem>);

impl Problems {
    pub(crate) fn add(&mut self, index: usize, kind: ProblemKind, message: impl Into<String>) {
        self.0.push(ItemProblem {
            index,
            kind,
            message: message.into(),
        });
    }

    pub(crate) fn invalid(&mut self, index: usize, message: impl Into<String>) {
        self.add(index, ProblemKind::Invalid, message);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn into_sorted(mut self) -> Vec<ItemProblem> {
        self.0.sort_by_key(|p| p.index);
        self.0
    }
}

/// A batch's problems as one store error. `list` names the batch (`orders`) so that each
/// problem reads `orders[3]: amount …`; `None` for a single item, which needs no index.
pub fn rejection(list: Option<&str>, problems: &[ItemProblem]) -> StoreError {
    let kind = problems
        .iter()
        .map(|p| p.kind)
        .max()
        .unwrap_or(ProblemKind::Invalid);
    let message = problems
        .iter()
        .map(|p| match list {
            Some(name) => format!("{name}[{}]: {}", p.index, p.message),
            None => p.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    match kind {
        ProblemKind::NotFound => StoreError::NotFound(message),
        ProblemKind::Conflict => StoreError::Conflict(message),
        ProblemKind::Invalid => StoreError::Invalid(message),
    }
}

/// The result of a checked batch: what it did, or every problem (nothing stored).
pub type Checked = std::result::Result<Recorded, Vec<ItemProblem>>;

/// Whether a checked batch is stored or only checked: an import whose other rows have
/// problems still learns, in the same run, what the store would refuse, and stores nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Store,
    CheckOnly,
}

impl Mode {
    /// Store only when nothing outside the batch has a problem.
    pub fn store_unless(problems_elsewhere: bool) -> Self {
        if problems_elsewhere {
            Self::CheckOnly
        } else {
            Self::Store
        }
    }

    /// Ends a batch's transaction: committed when storing, rolled back when checking.
    pub(crate) async fn end(self, tx: sqlx::Transaction<'_, sqlx::Any>) -> crate::Result<()> {
        match self {
            Self::Store => tx.commit().await?,
            Self::CheckOnly => tx.rollback().await?,
        }
        Ok(())
    }
}

/// Turns a checked batch into the store's error form.
pub(crate) fn settle(list: Option<&str>, checked: Checked) -> crate::Result<Recorded> {
    checked.map_err(|problems| rejection(list, &problems))
}

/// The list name for a batch, or `None` for a single item.
pub(crate) fn list_name(name: &'static str, single: bool) -> Option<&'static str> {
    (!single).then_some(name)
}

pub(crate) fn check_size(len: usize, what: &str) -> crate::Result<()> {
    if len == 0 || len > MAX_BATCH {
        return Err(StoreError::Invalid(format!(
            "{what} must hold 1 to {MAX_BATCH} items; got {len}"
        )));
    }
    Ok(())
}

/// A time as RFC 3339 (`2026-03-10T09:30:00Z`) or a date (`2026-03-10`, midnight UTC).
pub fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, String> {
    let v = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.to_utc());
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            format!(
                "{field} must be a time such as 2026-03-10T09:30:00Z or a date such as \
                 2026-03-10; got {v:?}"
            )
        })
}

/// Refuses a time in the future (beyond a few minutes of clock skew).
pub(crate) fn not_future(field: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
    if at > now + Duration::minutes(FUTURE_SLACK_MINUTES) {
        Err(format!("{field} {} is in the future", at.to_rfc3339()))
    } else {
        Ok(())
    }
}

/// An external id: trimmed, 1–200 characters, one line (the text rule).
pub(crate) fn check_id(field: &str, value: &str) -> Result<String, String> {
    advocate_core::field::line(field, value, 200).map_err(|e| e.into_message())
}

pub(crate) fn missing_customer(external_id: &str) -> String {
    format!("customer {external_id:?} does not exist in this workspace; create it first (POST /api/v1/customers)")
}

/// Internal ids of the workspace's customers among `external_ids`.
pub(crate) async fn customer_ids_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    external_ids: &[&str],
) -> crate::Result<HashMap<String, i64>> {
    let mut unique: Vec<&str> = external_ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut found = HashMap::new();
    for chunk in unique.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT id, external_id FROM customers WHERE workspace_id = $1 AND external_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(workspace_id);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.insert(row.try_get("external_id")?, row.try_get("id")?);
        }
    }
    Ok(found)
}

/// The page bounds every listing takes.
pub(crate) fn page_bounds(limit: u32, offset: u32) -> (i64, i64) {
    (i64::from(limit.clamp(1, 1000)), i64::from(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_error_takes_the_most_serious_kind_and_names_each_item() {
        let p = |index, kind, m: &str| ItemProblem {
            index,
            kind,
            message: m.into(),
        };
        let problems = [
            p(0, ProblemKind::NotFound, "customer \"x\" does not exist"),
            p(4, ProblemKind::Invalid, "amount must not be negative"),
        ];
        match rejection(Some("orders"), &problems) {
            StoreError::Invalid(m) => assert_eq!(
                m,
                "orders[0]: customer \"x\" does not exist; orders[4]: amount must not be negative"
            ),
            other => panic!("{other:?}"),
        }
        match rejection(None, &problems[..1]) {
            StoreError::NotFound(m) => assert_eq!(m, "customer \"x\" does not exist"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(
            parse_time("at", "2025-02-03").unwrap().to_rfc3339(),
            "2025-02-03T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("at", "2025-02-03T10:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2025-02-03T09:00:00+00:00"
        );
        assert!(parse_time("at", "03/02/2025")
            .unwrap_err()
            .starts_with("at must be a time"));
    }
}
