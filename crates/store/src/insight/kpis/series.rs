//! The monthly series of a period: churn, NPS, revenue and complaints per month.

use super::{u, KpiQuery, MonthPoint, Span, Sql};
use crate::Kpis;
use crate::Result;
use advocate_core::kpi;
use chrono::{Datelike, Months};
use sqlx::Row;

impl Kpis<'_> {
    /// Per calendar month of the period (clipped to it): churn, NPS, revenue, complaints.
    pub(super) async fn series(
        &self,
        q: &KpiQuery,
        span: Span,
        scale: f64,
    ) -> Result<Vec<MonthPoint>> {
        let months = months_of(span);
        let churn = self.churn_by_month(q, span, &months).await?;
        let (revenue, complaints) = self.revenue_and_complaints_by_month(q, &months).await?;
        let mut out = Vec::with_capacity(months.len());
        for (i, m) in months.iter().enumerate() {
            out.push(MonthPoint {
                month: format!("{:04}-{:02}", m.from.year(), m.from.month()),
                from: m.from,
                to: m.to,
                churn_rate: kpi::churn_rate(churn[i].1, churn[i].0),
                nps: self.nps_figure(q, m.from, m.to).await?.value,
                revenue: revenue[i] as f64 / scale,
                complaints: complaints[i],
            });
        }
        Ok(out)
    }

    /// Churn per month in one pass over the spells: per customer, whether they were
    /// there at each month's start and whether a spell of theirs ended in it (distinct
    /// customers, as the headline), then summed: (at start, lost) per month.
    async fn churn_by_month(
        &self,
        q: &KpiQuery,
        span: Span,
        months: &[Span],
    ) -> Result<Vec<(u64, u64)>> {
        let mut sql = Sql::new();
        let mut flags = Vec::new();
        let mut sums = Vec::new();
        for (i, m) in months.iter().enumerate() {
            let (s, e) = (sql.i(m.start), sql.i(m.end));
            flags.push(format!(
                "MAX(CASE WHEN sp.started_at < {s} AND (sp.ended_at IS NULL OR sp.ended_at >= {s}) \
                 THEN 1 ELSE 0 END) AS a{i}, \
                 MAX(CASE WHEN sp.ended_at >= {s} AND sp.ended_at < {e} THEN 1 ELSE 0 END) AS l{i}"
            ));
            sums.push(format!(
                "CAST(COALESCE(SUM(a{i}), 0) AS BIGINT) AS a{i}, CAST(COALESCE(SUM(l{i}), 0) AS BIGINT) AS l{i}"
            ));
        }
        let seg = self.segment_join(&mut sql, q, "sp.customer_id");
        let text = format!(
            "SELECT {} FROM (SELECT sp.customer_id, {} FROM customer_spells sp{seg} \
             WHERE sp.workspace_id = {} AND sp.started_at < {} GROUP BY sp.customer_id) per",
            sums.join(", "),
            flags.join(", "),
            sql.i(q.workspace_id),
            sql.i(span.end)
        );
        sql.push(&text);
        let row = sql.fetch(&self.store.pool).await?.remove(0);
        (0..months.len())
            .map(|i| Ok((u(&row, &format!("a{i}"))?, u(&row, &format!("l{i}"))?)))
            .collect::<Result<Vec<(u64, u64)>>>()
    }

    /// Revenue (minor units) and complaints per month, each summed in one statement over a
    /// VALUES table of the months.
    async fn revenue_and_complaints_by_month(
        &self,
        q: &KpiQuery,
        months: &[Span],
    ) -> Result<(Vec<i64>, Vec<u64>)> {
        let sums = |table: &str, alias: &str, time: &str, value: &str, extra: &str| {
            let mut sql = Sql::new();
            let cte = months_values(&mut sql, months);
            let seg = self.segment_join(&mut sql, q, &format!("{alias}.customer_id"));
            let text = format!(
                "WITH {cte} SELECT m.k AS k, CAST(COALESCE(SUM({value}), 0) AS BIGINT) AS v \
                 FROM months m JOIN {table} {alias} ON {alias}.{time} >= m.s AND {alias}.{time} < m.e{seg} \
                 WHERE {alias}.workspace_id = {}{extra} GROUP BY m.k",
                sql.i(q.workspace_id)
            );
            sql.push(&text);
            sql
        };
        let revenue_sql = sums("orders", "o", "ordered_at", "o.amount_minor", "");
        let complaints_sql = sums("contacts", "x", "opened_at", "1", " AND x.is_complaint = 1");
        let mut revenue = vec![0i64; months.len()];
        for row in revenue_sql.fetch(&self.store.pool).await? {
            if let Some(slot) = revenue.get_mut(row.try_get::<i64, _>("k")? as usize) {
                *slot = row.try_get("v")?;
            }
        }
        let mut complaints = vec![0u64; months.len()];
        for row in complaints_sql.fetch(&self.store.pool).await? {
            if let Some(slot) = complaints.get_mut(row.try_get::<i64, _>("k")? as usize) {
                *slot = u(&row, "v")?;
            }
        }
        Ok((revenue, complaints))
    }
}

/// The calendar months of a span, the first and last clipped to it.
fn months_of(span: Span) -> Vec<Span> {
    let mut months = Vec::new();
    let mut first = span.from.with_day(1).unwrap_or(span.from);
    while first <= span.to {
        let next = first + Months::new(1);
        let from = first.max(span.from);
        let to = next.pred_opt().unwrap_or(next).min(span.to);
        months.push(Span::new(from, to));
        first = next;
    }
    months
}

/// A VALUES table of the months, joined to each fact table in one statement.
fn months_values(sql: &mut Sql, months: &[Span]) -> String {
    let rows: Vec<String> = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            format!(
                "({}, {}, {})",
                sql.i(i as i64),
                sql.i(m.start),
                sql.i(m.end)
            )
        })
        .collect();
    format!("months (k, s, e) AS (VALUES {})", rows.join(", "))
}
