//! Orders: what customers bought, for revenue, purchase frequency and lifetime value.
//!
//! Amounts arrive as decimal strings and are kept in minor units. `amount_minor` is always
//! in the workspace's reporting currency; an order in another currency keeps its own
//! amount beside it and must say what it is worth in the reporting currency (Advocate does
//! not guess exchange rates).

use super::money::{format_amount, parse_amount};
use super::{
    check_id, check_size, customer_ids_in, list_name, missing_customer, not_future, page_bounds,
    settle, Checked, Mode, ProblemKind, Problems, Recorded, LOOKUP_CHUNK,
};
use crate::many_rows::placeholders;
use crate::tenancy::lookup::settings_in;
use crate::Orders;
use crate::{from_ts, to_ts, Result, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, HashMap};

/// An order as sent, before its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// Your id for the order; makes retries safe. Without it each call stores a new order.
    pub external_id: Option<String>,
    /// The customer's external id.
    pub customer: String,
    /// Decimal string, e.g. "19.90", in `currency`.
    pub amount: String,
    pub currency: String,
    /// Required when `currency` is not the reporting currency.
    pub amount_in_reporting_currency: Option<String>,
    pub ordered_at: DateTime<Utc>,
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Order {
    pub external_id: Option<String>,
    /// The customer's external id.
    pub customer: String,
    /// As sent, in `currency`, e.g. "19.90".
    pub amount: String,
    pub currency: String,
    /// In the workspace's reporting currency.
    pub amount_in_reporting_currency: String,
    pub reporting_currency: String,
    pub ordered_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// Which orders to list, newest first; every field narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderFilter {
    /// A customer's external id.
    pub customer: Option<String>,
    /// Ordered at or after.
    pub from: Option<DateTime<Utc>>,
    /// Ordered before.
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderPage {
    /// How many match the filter in all.
    pub total: i64,
    pub orders: Vec<Order>,
}

/// An order that passed its own checks, in stored form.
#[derive(Debug, Clone, PartialEq)]
struct Row_ {
    external_id: Option<String>,
    customer_id: i64,
    amount_minor: i64,
    original_amount_minor: i64,
    original_currency: String,
    ordered_at: i64,
}

impl Orders<'_> {
    /// Records one order (errors name the field only).
    #[tracing::instrument(name = "orders.record", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record(&self, workspace_id: i64, order: &NewOrder) -> Result<Recorded> {
        let checked = self
            .try_record_many(workspace_id, std::slice::from_ref(order), Mode::Store)
            .await?;
        settle(list_name("orders", true), checked)
    }

    /// Records up to [`super::MAX_BATCH`] orders, all or none; errors name each bad item
    /// as `orders[i]`.
    #[tracing::instrument(name = "orders.record_many", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_many(&self, workspace_id: i64, orders: &[NewOrder]) -> Result<Recorded> {
        check_size(orders.len(), "orders")?;
        let checked = self
            .try_record_many(workspace_id, orders, Mode::Store)
            .await?;
        settle(list_name("orders", false), checked)
    }

    /// Like [`Orders::record_many`], with the problems as data (for imports that report
    /// them by line) and no limit on their number. Nothing is stored unless there is no
    /// problem.
    #[tracing::instrument(name = "orders.try_record_many", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn try_record_many(
        &self,
        workspace_id: i64,
        orders: &[NewOrder],
        mode: Mode,
    ) -> Result<Checked> {
        if orders.is_empty() {
            return Ok(Ok(Recorded::default()));
        }
        let now = Utc::now();
        let mut tx = self.store.begin_write().await?;
        let reporting = settings_in(&mut tx, workspace_id).await?.currency;
        let customers: Vec<&str> = orders.iter().map(|o| o.customer.trim()).collect();
        let ids = customer_ids_in(&mut tx, workspace_id, &customers).await?;
        let mut problems = Problems::default();
        let mut rows: Vec<(usize, Row_)> = Vec::with_capacity(orders.len());
        for (i, order) in orders.iter().enumerate() {
            if let Some(row) = check_order(i, order, &reporting, &ids, now, &mut problems) {
                rows.push((i, row));
            }
        }
        let stored = stored_orders(&mut tx, workspace_id, &rows).await?;
        let mut seen: HashMap<&str, &Row_> = HashMap::new();
        let mut recorded = Recorded::default();
        let mut new_rows = Vec::new();
        for (i, row) in &rows {
            let Some(ext) = row.external_id.as_deref() else {
                new_rows.push(row);
                continue;
            };
            let earlier = seen.get(ext).copied().or_else(|| stored.get(ext));
            match earlier {
                Some(same) if same == row => recorded.unchanged += 1,
                Some(_) if stored.contains_key(ext) => problems.add(
                    *i,
                    ProblemKind::Conflict,
                    format!(
                        "external_id {ext:?} is already stored for an order with other content \
                         (customer, amount, currency or ordered_at); an order cannot be changed"
                    ),
                ),
                Some(_) => problems.invalid(
                    *i,
                    format!("external_id {ext:?} is used by an earlier item with other content"),
                ),
                None => {
                    seen.insert(ext, row);
                    new_rows.push(row);
                }
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems.into_sorted()));
        }
        let mut months: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
        for row in new_rows {
            insert_order(&mut tx, workspace_id, row, to_ts(now)).await?;
            let m = months
                .entry((row.customer_id, month_start(row.ordered_at)))
                .or_default();
            m.0 += 1;
            m.1 += row.amount_minor;
            recorded.stored += 1;
        }
        add_to_rollup(&mut tx, workspace_id, &months).await?;
        mode.end(tx).await?;
        Ok(Ok(recorded))
    }

    /// A page of orders, newest first. An unknown customer is `NotFound`.
    #[tracing::instrument(name = "orders.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64, filter: &OrderFilter) -> Result<OrderPage> {
        let mut conn = self.store.pool.acquire().await?;
        let reporting = settings_in(&mut conn, workspace_id).await?.currency;
        let customer_id = match &filter.customer {
            None => None,
            Some(c) => Some(
                *customer_ids_in(&mut conn, workspace_id, &[c.as_str()])
                    .await?
                    .get(c.as_str())
                    .ok_or_else(|| StoreError::NotFound(missing_customer(c)))?,
            ),
        };
        // Absent filters are bound as values that match everything, so the SQL is fixed.
        let conditions = "o.workspace_id = $1 AND ($2 < 0 OR o.customer_id = $2) \
                          AND o.ordered_at >= $3 AND o.ordered_at < $4";
        let (customer_id, from, to) = (
            customer_id.unwrap_or(-1),
            filter.from.map_or(i64::MIN, to_ts),
            filter.to.map_or(i64::MAX, to_ts),
        );
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM orders o WHERE {conditions}"))
                .bind(workspace_id)
                .bind(customer_id)
                .bind(from)
                .bind(to)
                .fetch_one(&mut *conn)
                .await?;
        let (limit, offset) = page_bounds(filter.limit, filter.offset);
        let rows = sqlx::query(&format!(
            "SELECT o.external_id, c.external_id AS customer, o.amount_minor, \
             o.original_amount_minor, o.original_currency, o.ordered_at, o.created_at \
             FROM orders o JOIN customers c ON c.id = o.customer_id WHERE {conditions} \
             ORDER BY o.ordered_at DESC, o.id DESC LIMIT $5 OFFSET $6"
        ))
        .bind(workspace_id)
        .bind(customer_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
        let orders = rows
            .iter()
            .map(|row| {
                let currency: String = row.try_get("original_currency")?;
                Ok(Order {
                    external_id: row.try_get("external_id")?,
                    customer: row.try_get("customer")?,
                    amount: format_amount(row.try_get("original_amount_minor")?, &currency),
                    currency,
                    amount_in_reporting_currency: format_amount(
                        row.try_get("amount_minor")?,
                        &reporting,
                    ),
                    reporting_currency: reporting.clone(),
                    ordered_at: from_ts(row.try_get("ordered_at")?),
                    created_at: from_ts(row.try_get("created_at")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(OrderPage { total, orders })
    }
}

/// Checks one order on its own and against the known customers.
fn check_order(
    i: usize,
    order: &NewOrder,
    reporting: &str,
    customers: &HashMap<String, i64>,
    now: DateTime<Utc>,
    problems: &mut Problems,
) -> Option<Row_> {
    let before = problems.0.len();
    let external_id = match order
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
    let currency = order.currency.trim();
    let mut original = None;
    match advocate_core::currency::check("currency", currency) {
        Err(m) => problems.invalid(i, m),
        Ok(()) => match parse_amount("amount", &order.amount, currency) {
            Err(m) => problems.invalid(i, m),
            Ok(a) => original = Some(a),
        },
    }
    let mut reported = None;
    match (order.amount_in_reporting_currency.as_deref(), original) {
        (_, None) => {}
        (None, Some(a)) if currency == reporting => reported = Some(a),
        (None, Some(_)) => problems.invalid(
            i,
            format!(
                "amount_in_reporting_currency is required: the order is in {currency} but the \
             workspace reports in {reporting} (settings.currency); send what the order is \
             worth in {reporting}"
            ),
        ),
        (Some(raw), Some(a)) => {
            match parse_amount("amount_in_reporting_currency", raw, reporting) {
                Err(m) => problems.invalid(i, m),
                Ok(r) if currency == reporting && r != a => problems.invalid(
                    i,
                    format!(
                        "amount_in_reporting_currency must equal amount when the order is in the \
                 reporting currency {reporting}; got {} and {}",
                        raw.trim(),
                        order.amount.trim()
                    ),
                ),
                Ok(r) => reported = Some(r),
            }
        }
    }
    if let Err(m) = not_future("ordered_at", order.ordered_at, now) {
        problems.invalid(i, m);
    }
    let customer = order.customer.trim();
    let customer_id = if customer.is_empty() {
        problems.invalid(i, "customer must not be empty");
        None
    } else {
        let id = customers.get(customer).copied();
        if id.is_none() {
            problems.add(i, ProblemKind::NotFound, super::missing_customer(customer));
        }
        id
    };
    if problems.0.len() > before {
        return None;
    }
    Some(Row_ {
        external_id,
        customer_id: customer_id?,
        amount_minor: reported?,
        original_amount_minor: original?,
        original_currency: currency.to_owned(),
        ordered_at: to_ts(order.ordered_at),
    })
}

/// The stored orders with the external ids of `rows`, in the same form.
async fn stored_orders(
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
            "SELECT external_id, customer_id, amount_minor, original_amount_minor, \
             original_currency, ordered_at FROM orders WHERE workspace_id = $1 \
             AND external_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(workspace_id);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let ext: String = row.try_get("external_id")?;
            found.insert(
                ext.clone(),
                Row_ {
                    external_id: Some(ext),
                    customer_id: row.try_get("customer_id")?,
                    amount_minor: row.try_get("amount_minor")?,
                    original_amount_minor: row.try_get("original_amount_minor")?,
                    original_currency: row.try_get("original_currency")?,
                    ordered_at: row.try_get("ordered_at")?,
                },
            );
        }
    }
    Ok(found)
}

async fn insert_order(
    conn: &mut AnyConnection,
    workspace_id: i64,
    row: &Row_,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO orders (workspace_id, customer_id, external_id, amount_minor, \
         original_amount_minor, original_currency, ordered_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(workspace_id)
    .bind(row.customer_id)
    .bind(row.external_id.clone())
    .bind(row.amount_minor)
    .bind(row.original_amount_minor)
    .bind(row.original_currency.clone())
    .bind(row.ordered_at)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if StoreError::is_unique_violation(&e) {
            StoreError::Conflict(format!(
                "order {:?} was stored by another request meanwhile; send it again",
                row.external_id.as_deref().unwrap_or_default()
            ))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// The unix time of the first second (UTC) of the calendar month holding `ts`: the month
/// key of `order_rollup`.
pub(crate) fn month_start(ts: i64) -> i64 {
    use chrono::Datelike;
    match DateTime::from_timestamp(ts, 0) {
        Some(t) => t
            .date_naive()
            .with_day(1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp())
            .unwrap_or(ts),
        None => ts,
    }
}

/// Adds the new orders, counted per (customer, month) as (orders, amount), to
/// `order_rollup` in the orders' transaction (the retention KPIs read it).
pub(crate) async fn add_to_rollup(
    conn: &mut AnyConnection,
    workspace_id: i64,
    months: &BTreeMap<(i64, i64), (i64, i64)>,
) -> Result<()> {
    for ((customer_id, month), (orders, amount)) in months {
        sqlx::query(
            "INSERT INTO order_rollup (workspace_id, customer_id, month, orders, amount_minor) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, customer_id, month) \
             DO UPDATE SET orders = order_rollup.orders + excluded.orders, \
             amount_minor = order_rollup.amount_minor + excluded.amount_minor",
        )
        .bind(workspace_id)
        .bind(*customer_id)
        .bind(*month)
        .bind(*orders)
        .bind(*amount)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
