//! Business history in bulk: customer spells, orders, contacts and loyalty memberships
//! from a trusted source (a migration from another system, a generated data set), loaded
//! straight into the tables. Rows are not checked one by one as the recording API
//! (`record_orders` and the rest) checks them — only that their customers exist; they go
//! in as multi-row `INSERT`s, many rows per statement and many statements per
//! transaction, so hundreds of thousands of orders load in seconds. Data sent by other
//! systems day to day goes through the recording API, which checks every item.

use super::orders::{add_to_rollup, month_start};
use crate::History;
use crate::{to_ts, Result, StoreError};
use advocate_core::ContactChannel;
use chrono::{DateTime, Utc};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Transaction};
use std::collections::{BTreeMap, HashMap};

/// Rows per `INSERT` statement: at most 9 parameters a row keeps each statement well
/// below the bound-parameter limits of both backends (SQLite 32,766; PostgreSQL 65,535).
const ROWS_PER_STATEMENT: usize = 500;
/// Rows per transaction: large enough that SQLite's durable commits are rare, small enough
/// that the progress bar moves.
const ROWS_PER_TRANSACTION: usize = 20_000;

/// A customer's relationship from acquisition (or return) to churn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricSpell {
    pub customer_external_id: String,
    pub started_at: DateTime<Utc>,
    /// `None` while the customer is still a customer.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A purchase: `amount_minor` in the reporting currency, the original alongside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricOrder {
    pub customer_external_id: String,
    pub external_id: String,
    pub amount_minor: i64,
    pub original_amount_minor: i64,
    pub original_currency: String,
    pub ordered_at: DateTime<Utc>,
}

/// A support contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricContact {
    pub customer_external_id: String,
    pub external_id: String,
    pub channel: ContactChannel,
    pub is_complaint: bool,
    pub opened_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A loyalty-programme membership; `left_at` is `None` while it lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricMembership {
    pub customer_external_id: String,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

/// Everything [`History::load_business`] loads, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct BusinessHistory<'a> {
    pub spells: &'a [HistoricSpell],
    pub orders: &'a [HistoricOrder],
    pub contacts: &'a [HistoricContact],
    pub loyalty: &'a [HistoricMembership],
}

impl BusinessHistory<'_> {
    /// How many rows there are in all, for a progress bar.
    pub fn rows(&self) -> usize {
        self.spells.len() + self.orders.len() + self.contacts.len() + self.loyalty.len()
    }
}

type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// One table's rows: its column list (after `workspace_id, customer_id, created_at`) and
/// how to bind the rest of a row.
trait HistoricRow {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    fn customer(&self) -> &str;
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q>;
    /// An order's (ordered_at, amount_minor), which `order_rollup` counts; None for the
    /// other rows.
    fn order_amount(&self) -> Option<(i64, i64)> {
        None
    }
}

impl HistoricRow for HistoricSpell {
    const TABLE: &'static str = "customer_spells";
    const COLUMNS: &'static [&'static str] = &["started_at", "ended_at"];
    fn customer(&self) -> &str {
        &self.customer_external_id
    }
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(to_ts(self.started_at))
            .bind(self.ended_at.map(to_ts))
    }
}

impl HistoricRow for HistoricOrder {
    const TABLE: &'static str = "orders";
    const COLUMNS: &'static [&'static str] = &[
        "external_id",
        "amount_minor",
        "original_amount_minor",
        "original_currency",
        "ordered_at",
    ];
    fn customer(&self) -> &str {
        &self.customer_external_id
    }
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.external_id.as_str())
            .bind(self.amount_minor)
            .bind(self.original_amount_minor)
            .bind(self.original_currency.as_str())
            .bind(to_ts(self.ordered_at))
    }
    fn order_amount(&self) -> Option<(i64, i64)> {
        Some((to_ts(self.ordered_at), self.amount_minor))
    }
}

impl HistoricRow for HistoricContact {
    const TABLE: &'static str = "contacts";
    const COLUMNS: &'static [&'static str] = &[
        "external_id",
        "channel",
        "is_complaint",
        "opened_at",
        "first_reply_at",
        "resolved_at",
    ];
    fn customer(&self) -> &str {
        &self.customer_external_id
    }
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.external_id.as_str())
            .bind(self.channel.as_str())
            .bind(i64::from(self.is_complaint))
            .bind(to_ts(self.opened_at))
            .bind(self.first_reply_at.map(to_ts))
            .bind(self.resolved_at.map(to_ts))
    }
}

impl HistoricRow for HistoricMembership {
    const TABLE: &'static str = "loyalty_memberships";
    const COLUMNS: &'static [&'static str] = &["joined_at", "left_at"];
    fn customer(&self) -> &str {
        &self.customer_external_id
    }
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(to_ts(self.joined_at))
            .bind(self.left_at.map(to_ts))
    }
}

impl History<'_> {
    /// Loads business history from a trusted source (see the module comment) for
    /// customers already stored in the workspace, in transactions of up to 20,000 rows;
    /// calls `progress` with the number of rows after each commit. Refuses rows naming a
    /// customer the workspace does not have, before writing anything. Returns the rows
    /// written.
    #[tracing::instrument(name = "history.load_business", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn load_business(
        &self,
        workspace_id: i64,
        rows: BusinessHistory<'_>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64> {
        let ids = self.customer_ids(workspace_id).await?;
        check_customers(&ids, rows.spells)?;
        check_customers(&ids, rows.orders)?;
        check_customers(&ids, rows.contacts)?;
        check_customers(&ids, rows.loyalty)?;
        let created = to_ts(Utc::now());
        let mut written = 0;
        let cx = Insert {
            workspace_id,
            created,
            ids: &ids,
        };
        written += self.insert_history(&cx, rows.spells, &mut progress).await?;
        written += self.insert_history(&cx, rows.orders, &mut progress).await?;
        written += self
            .insert_history(&cx, rows.contacts, &mut progress)
            .await?;
        written += self
            .insert_history(&cx, rows.loyalty, &mut progress)
            .await?;
        Ok(written)
    }

    /// Every customer's id in the workspace, by external id.
    async fn customer_ids(&self, workspace_id: i64) -> Result<HashMap<String, i64>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, external_id FROM customers WHERE workspace_id = $1")
                .bind(workspace_id)
                .fetch_all(&self.store.pool)
                .await?;
        Ok(rows.into_iter().map(|(id, ext)| (ext, id)).collect())
    }

    async fn insert_history<R: HistoricRow>(
        &self,
        cx: &Insert<'_>,
        rows: &[R],
        progress: &mut impl FnMut(u64),
    ) -> Result<u64> {
        for batch in rows.chunks(ROWS_PER_TRANSACTION) {
            let mut tx = self.store.begin_write().await?;
            for statement in batch.chunks(ROWS_PER_STATEMENT) {
                insert_rows(&mut tx, cx, statement).await?;
            }
            // Orders are counted in their monthly rollup in the same transaction.
            let mut months: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
            for row in batch {
                if let Some((at, amount)) = row.order_amount() {
                    let m = months
                        .entry((cx.ids[row.customer()], month_start(at)))
                        .or_default();
                    m.0 += 1;
                    m.1 += amount;
                }
            }
            add_to_rollup(&mut tx, cx.workspace_id, &months).await?;
            tx.commit().await?;
            progress(batch.len() as u64);
        }
        Ok(rows.len() as u64)
    }
}

struct Insert<'a> {
    workspace_id: i64,
    created: i64,
    ids: &'a HashMap<String, i64>,
}

fn check_customers<R: HistoricRow>(ids: &HashMap<String, i64>, rows: &[R]) -> Result<()> {
    match rows.iter().find(|r| !ids.contains_key(r.customer())) {
        Some(row) => Err(StoreError::Invalid(format!(
            "{} row names customer {:?}, who is not in the workspace",
            R::TABLE,
            row.customer()
        ))),
        None => Ok(()),
    }
}

/// One multi-row `INSERT` of `rows` (table and column names are constants, never input).
async fn insert_rows<R: HistoricRow>(
    tx: &mut Transaction<'static, Any>,
    cx: &Insert<'_>,
    rows: &[R],
) -> Result<()> {
    let width = 3 + R::COLUMNS.len();
    let tuples: Vec<String> = (0..rows.len())
        .map(|r| {
            let cells: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} (workspace_id, customer_id, created_at, {}) VALUES {}",
        R::TABLE,
        R::COLUMNS.join(", "),
        tuples.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for row in rows {
        query = row.bind(
            query
                .bind(cx.workspace_id)
                .bind(cx.ids[row.customer()])
                .bind(cx.created),
        );
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
