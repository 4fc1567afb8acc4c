//! Retention KPIs computed from business data and answers, and their linkage to NPS.
//!
//! Every figure comes from a handful of set-based queries (GROUP BY in SQL, one pass per
//! table), so the cost grows with the rows in the period, not with round trips per
//! customer. The formulas are `advocate_core::kpi`'s; this module only counts.
//!
//! Counting rules (also returned in the report as `rules`):
//! - the period is `from` 00:00 UTC up to (not including) the day after `to`;
//! - a spell covers `[started_at, ended_at)`; customers at start are those active at the
//!   last second before the period, customers at end those active at its last second, so
//!   at end = at start + acquired − lost when nobody has two spells in one period;
//! - acquired = distinct customers with a spell starting in the period (new or returning);
//!   lost = distinct customers with a spell ending in it;
//! - segment `attr:value` narrows customers, orders, contacts and the linkage by the
//!   customer's CURRENT attribute value, and the feedback figures (NPS, volume, CSAT) by
//!   the attribute recorded with each answer (the segment rollup);
//! - touchpoint narrows only the feedback figures; business data has no touchpoint.

//!
//! The figures of a period and their linkage to NPS are counted in `figures.rs`, the
//! monthly series in `series.rs`; here the report is put together.

mod figures;
mod series;

/// Re-exported for the KPI page, which formats the report's money.
pub use crate::business::minor_digits;
use crate::Kpis;
use crate::{Backend, Result, StoreError};
use advocate_core::kpi::RateRatio;
use advocate_core::{CiMethod, GroupBy, Interval, Label, NpsCounts};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

pub use advocate_core::kpi::definitions;

/// The counting rules, stated in the report.
pub const RULES: [&str; 5] = [
    "The period runs from `from` 00:00 UTC to the end of `to` (inclusive dates).",
    "A spell covers [started_at, ended_at): churn closes it, a return opens a new one.",
    "Acquired and lost count distinct customers; a customer who churns and returns in the period is lost once and acquired once, and is there at the end.",
    "A segment narrows customers, orders, contacts and the linkage by the customer's current attribute value, and NPS, feedback volume and CSAT by the attribute recorded with each answer.",
    "A touchpoint narrows only NPS, feedback volume and CSAT; money is in the workspace's reporting currency, shown in major units.",
];

pub use advocate_core::query::KpiQuery;

/// One figure with its definition and the counts it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// `null` where undefined (e.g. a rate over no customers), never a misleading 0.
    pub value: Option<f64>,
    /// count, fraction, money, orders_per_customer, per_month.
    pub unit: &'static str,
    pub definition: &'static str,
    /// The numbers the value was computed from (money in major units).
    pub inputs: BTreeMap<&'static str, f64>,
}

impl Kpi {
    fn new(value: Option<f64>, unit: &'static str, definition: &'static str) -> Self {
        Self {
            value,
            unit,
            definition,
            inputs: BTreeMap::new(),
        }
    }

    fn count(n: u64, definition: &'static str) -> Self {
        Self::new(Some(n as f64), "count", definition)
    }

    fn with(mut self, name: &'static str, v: f64) -> Self {
        self.inputs.insert(name, v);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NpsFigure {
    /// −100..100; `null` without answers.
    pub value: Option<f64>,
    pub ci95: Option<Interval>,
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub definition: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelReply {
    pub channel: String,
    pub median_seconds: Option<f64>,
    /// Contacts with a first reply.
    pub n: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstReply {
    pub definition: &'static str,
    pub channels: Vec<ChannelReply>,
}

/// The headline figures of one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiFigures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub customers_at_start: Kpi,
    pub acquired: Kpi,
    pub lost: Kpi,
    pub customers_at_end: Kpi,
    pub churn_rate: Kpi,
    pub retention_rate: Kpi,
    pub nps: NpsFigure,
    pub revenue: Kpi,
    pub average_order_value: Kpi,
    pub purchase_frequency: Kpi,
    pub historic_clv: Kpi,
    pub predicted_clv: Kpi,
    pub feedback_volume: Kpi,
    pub csat: Kpi,
    pub loyalty_usage: Kpi,
    pub complaints_per_month: Kpi,
    pub first_reply: FirstReply,
}

/// Churn and value of the customers in one NPS category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryRow {
    /// detractor, passive, promoter or no_answer.
    pub category: &'static str,
    pub customers_at_start: u64,
    pub lost: u64,
    pub churn_rate: Option<f64>,
    /// In the period, major units.
    pub revenue: f64,
    pub historic_clv: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Linkage {
    pub category_rule: &'static str,
    pub categories: Vec<CategoryRow>,
    /// "Detractors churn X times as often as promoters", with its interval.
    pub churn_ratio: Option<RateRatio>,
    pub churn_ratio_definition: &'static str,
    pub revenue_at_risk: Kpi,
}

/// One month of the period (clipped to it), for sparklines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPoint {
    /// YYYY-MM.
    pub month: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub churn_rate: Option<f64>,
    pub nps: Option<f64>,
    /// Major units.
    pub revenue: f64,
    pub complaints: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    /// ISO 4217 reporting currency of every money figure.
    pub currency: String,
    /// `attribute:value`, when narrowed.
    pub segment: Option<String>,
    pub touchpoint: Option<String>,
    pub rules: Vec<&'static str>,
    #[serde(flatten)]
    pub figures: KpiFigures,
    pub linkage: Linkage,
    pub series: Vec<MonthPoint>,
    /// The period compared with: by default the one of the same length just before `from`.
    pub previous: KpiFigures,
}

/// A query under construction: placeholders are numbered as values are added, so each
/// statement binds exactly the parameters it uses (PostgreSQL refuses unused ones).
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

pub(crate) enum Arg {
    I(i64),
    S(String),
}

impl Sql {
    pub(crate) fn new() -> Self {
        Self {
            text: String::new(),
            args: Vec::new(),
        }
    }
    pub(crate) fn i(&mut self, v: i64) -> String {
        self.args.push(Arg::I(v));
        format!("${}", self.args.len())
    }
    pub(crate) fn s(&mut self, v: &str) -> String {
        self.args.push(Arg::S(v.to_owned()));
        format!("${}", self.args.len())
    }
    pub(crate) fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
    pub(crate) async fn fetch(self, pool: &sqlx::AnyPool) -> Result<Vec<sqlx::any::AnyRow>> {
        let mut q = sqlx::query(&self.text);
        for a in self.args {
            q = match a {
                Arg::I(v) => q.bind(v),
                Arg::S(v) => q.bind(v),
            };
        }
        Ok(q.fetch_all(pool).await?)
    }
}

/// Seconds bounds of a period: `[start, end)`.
#[derive(Clone, Copy)]
struct Span {
    from: NaiveDate,
    to: NaiveDate,
    start: i64,
    end: i64,
}

impl Span {
    fn new(from: NaiveDate, to: NaiveDate) -> Self {
        let secs = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp()
        };
        Self {
            from,
            to,
            start: secs(from),
            end: secs(to.succ_opt().unwrap_or(to)),
        }
    }
    fn days(&self) -> u64 {
        ((self.end - self.start) / 86_400).max(0) as u64
    }
}

fn u(row: &sqlx::any::AnyRow, col: &str) -> Result<u64> {
    Ok(row.try_get::<Option<i64>, _>(col)?.unwrap_or(0).max(0) as u64)
}

/// A segment attribute must be a label (letters, digits, '_', '-', '.').
fn segment_label(attr: &str) -> Result<Label> {
    Label::new(attr).map_err(|e| StoreError::Invalid(format!("segment attribute {e}")))
}

fn category_of(score: i64) -> &'static str {
    match score {
        9.. => "promoter",
        7 | 8 => "passive",
        _ => "detractor",
    }
}

const CATEGORIES: [&str; 4] = ["detractor", "passive", "promoter", "no_answer"];

/// Counts per NPS category from the spells and orders queries.
#[derive(Default, Clone, Copy)]
struct Counts {
    at_start: u64,
    acquired: u64,
    lost: u64,
    at_end: u64,
    ever: u64,
    revenue: i64,
    orders: u64,
    buyers: u64,
    historic_revenue: i64,
}

impl Kpis<'_> {
    /// The retention KPIs of a period with their linkage to NPS, a monthly series and the
    /// previous period of the same length.
    #[tracing::instrument(name = "kpis.report", level = "debug", skip_all)]
    pub async fn report(&self, q: &KpiQuery) -> Result<KpiReport> {
        let len = (q.to - q.from).num_days() + 1;
        let prev_to = q.from.pred_opt().unwrap_or(q.from);
        let prev_from = prev_to - chrono::Duration::days(len - 1);
        self.report_against(q, (prev_from, prev_to)).await
    }

    /// Like [`Self::kpi_report`], with `previous` (first and last day, inclusive) as the
    /// period compared with: the previous quarter for a quarter, say, rather than the
    /// period of the same number of days.
    #[tracing::instrument(name = "kpis.report_against", level = "debug", skip_all)]
    pub async fn report_against(
        &self,
        q: &KpiQuery,
        (prev_from, prev_to): (NaiveDate, NaiveDate),
    ) -> Result<KpiReport> {
        if q.from > q.to || prev_from > prev_to {
            return Err(StoreError::Invalid(format!(
                "from ({}) must not be after to ({})",
                q.from, q.to
            )));
        }
        if let Some((attr, _)) = &q.segment {
            segment_label(attr)?;
        }
        let currency = self.store.settings().get(q.workspace_id).await?.currency;
        let scale = 10f64.powi(minor_digits(&currency) as i32);
        let span = Span::new(q.from, q.to);
        let prev_span = Span::new(prev_from, prev_to);
        // The two periods and the series are independent reads: run them side by side on
        // separate pool connections (each statement is single-threaded on SQLite).
        let ((figures, by_category), (previous, _), series) = tokio::try_join!(
            self.figures(q, span, scale),
            self.figures(q, prev_span, scale),
            self.series(q, span, scale),
        )?;
        let linkage = self.linkage(q, span, scale, &by_category).await?;
        Ok(KpiReport {
            currency,
            segment: q.segment.as_ref().map(|(a, v)| format!("{a}:{v}")),
            touchpoint: q.touchpoint.clone(),
            rules: RULES.to_vec(),
            figures,
            linkage,
            series,
            previous,
        })
    }

    /// `JOIN customers` narrowing `col` (a customer id column) to the segment, or "".
    fn segment_join(&self, sql: &mut Sql, q: &KpiQuery, col: &str) -> String {
        match &q.segment {
            None => String::new(),
            Some((attr, value)) => {
                let expr = self.attribute_expr(sql, "sc.attributes", attr);
                let value = sql.s(value);
                format!(
                    " JOIN customers sc ON sc.id = {col} AND sc.workspace_id = {} AND {expr} = {value}",
                    sql.i(q.workspace_id)
                )
            }
        }
    }

    /// The value of attribute `attr` in a JSON attributes column, per dialect.
    fn attribute_expr(&self, sql: &mut Sql, column: &str, attr: &str) -> String {
        match self.store.backend {
            // Labels never contain '"', so quoting the key keeps '.' from nesting the path.
            Backend::Sqlite => format!(
                "json_extract({column}, {})",
                sql.s(&format!("$.\"{attr}\""))
            ),
            Backend::Postgres => format!("(CAST({column} AS jsonb) ->> {})", sql.s(attr)),
        }
    }

    /// Filters on answers (alias `a`) for the feedback figures.
    fn answer_filters(&self, sql: &mut Sql, q: &KpiQuery) -> String {
        let mut out = String::new();
        if let Some(t) = &q.touchpoint {
            out.push_str(&format!(" AND a.touchpoint = {}", sql.s(t)));
        }
        if let Some((attr, value)) = &q.segment {
            let expr = self.attribute_expr(sql, "a.attributes", attr);
            out.push_str(&format!(" AND {expr} = {}", sql.s(value)));
        }
        out
    }

    /// Each customer's latest NPS answer before `start`, as a CTE named `latest`. It is
    /// MATERIALIZED: otherwise SQLite without fresh statistics may re-run the window query
    /// for every joined row (15 s instead of 0.1 s on 56,000 answers of 6,000 customers).
    fn latest_cte(sql: &mut Sql, ws: i64, start: i64) -> String {
        format!(
            "latest AS MATERIALIZED (SELECT customer_id, score FROM (SELECT a.customer_id, a.score, \
             ROW_NUMBER() OVER (PARTITION BY a.customer_id ORDER BY a.answered_at DESC, a.id DESC) AS rn \
             FROM answers a JOIN surveys s ON s.id = a.survey_id \
             WHERE a.workspace_id = {} AND s.kind = 'nps' AND a.customer_id IS NOT NULL AND a.answered_at < {}) t \
             WHERE rn = 1)",
            sql.i(ws),
            sql.i(start)
        )
    }

    /// NPS of the period with the query's filters, through the NPS report (rollups).
    async fn nps_figure(&self, q: &KpiQuery, from: NaiveDate, to: NaiveDate) -> Result<NpsFigure> {
        let hist = match (&q.touchpoint, &q.segment) {
            (Some(_), Some(_)) => self.nps_histogram_raw(q, Span::new(from, to)).await?,
            (tp, seg) => {
                let group_by = match (tp, seg) {
                    (Some(_), _) => Some(GroupBy::Touchpoint),
                    (_, Some((attr, _))) => Some(GroupBy::Segment(segment_label(attr)?)),
                    _ => None,
                };
                let wanted = tp.clone().or_else(|| seg.as_ref().map(|(_, v)| v.clone()));
                let report = self
                    .store
                    .analytics()
                    .report(&crate::insight::analytics::NpsQuery {
                        workspace_id: q.workspace_id,
                        survey: None,
                        from: Some(from),
                        to: Some(to),
                        group_by,
                        ci: CiMethod::default(),
                        only: None,
                    })
                    .await?;
                match (report.groups, wanted) {
                    (Some(groups), Some(w)) => groups
                        .into_iter()
                        .find(|g| g.key == w)
                        .map(|g| g.summary.distribution)
                        .unwrap_or_default(),
                    _ => report.summary.distribution,
                }
            }
        };
        let counts = NpsCounts::from_histogram(&hist);
        Ok(NpsFigure {
            value: counts.nps(),
            ci95: counts.ci95(CiMethod::default()),
            n: counts.n(),
            promoters: counts.promoters,
            passives: counts.passives,
            detractors: counts.detractors,
            definition: definitions::NPS,
        })
    }

    /// Touchpoint and segment together: the rollups keep them apart, so count answers.
    async fn nps_histogram_raw(&self, q: &KpiQuery, span: Span) -> Result<[u64; 11]> {
        let mut sql = Sql::new();
        let text = format!(
            "SELECT CAST(a.score AS BIGINT) AS score, COUNT(*) AS n FROM answers a \
             JOIN surveys s ON s.id = a.survey_id \
             WHERE a.workspace_id = {} AND s.kind = 'nps' AND a.answered_at >= {} AND a.answered_at < {}",
            sql.i(q.workspace_id),
            sql.i(span.start),
            sql.i(span.end)
        );
        let filters = self.answer_filters(&mut sql, q);
        sql.push(&format!("{text}{filters} GROUP BY a.score"));
        let mut hist = [0u64; 11];
        for row in sql.fetch(&self.store.pool).await? {
            if let Some(slot) = usize::try_from(row.try_get::<i64, _>("score")?)
                .ok()
                .filter(|s| *s <= 10)
            {
                hist[slot] += u(&row, "n")?;
            }
        }
        Ok(hist)
    }
}
