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

/// Re-exported for the KPI page, which formats the report's money.
pub use crate::business::minor_digits;
use crate::Kpis;
use crate::{Backend, Result, StoreError};
use advocate_core::kpi::{self, RateRatio};
use advocate_core::{CiMethod, GroupBy, Interval, Label, NpsCounts};
use chrono::{Datelike, Months, NaiveDate};
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
struct Sql {
    text: String,
    args: Vec<Arg>,
}

enum Arg {
    I(i64),
    S(String),
}

impl Sql {
    fn new() -> Self {
        Self {
            text: String::new(),
            args: Vec::new(),
        }
    }
    fn i(&mut self, v: i64) -> String {
        self.args.push(Arg::I(v));
        format!("${}", self.args.len())
    }
    fn s(&mut self, v: &str) -> String {
        self.args.push(Arg::S(v.to_owned()));
        format!("${}", self.args.len())
    }
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
    async fn fetch(self, pool: &sqlx::AnyPool) -> Result<Vec<sqlx::any::AnyRow>> {
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

    const CATEGORY_CASE: &'static str =
        "CASE WHEN l.score IS NULL THEN -1 ELSE CAST(l.score AS BIGINT) END";

    /// Customer lifecycle and orders per NPS category (the totals are their sums).
    async fn counts_by_category(
        &self,
        q: &KpiQuery,
        span: Span,
    ) -> Result<BTreeMap<&'static str, Counts>> {
        let mut out: BTreeMap<&'static str, Counts> =
            CATEGORIES.iter().map(|c| (*c, Counts::default())).collect();
        let key = |score: i64| {
            if score < 0 {
                "no_answer"
            } else {
                category_of(score)
            }
        };

        // One statement, so `latest` is computed once. Spells and orders are first reduced
        // to one row per customer (streaming through the covering per-customer indexes of
        // migration 0005, no sort, and no COUNT(DISTINCT)), then summed per category.
        let mut sql = Sql::new();
        let latest = Self::latest_cte(&mut sql, q.workspace_id, span.start);
        let seg = self.segment_join(&mut sql, q, "p.customer_id");
        let (s1, e1) = (sql.i(span.start), sql.i(span.end));
        let (ws1, ws2) = (sql.i(q.workspace_id), sql.i(q.workspace_id));
        let text = format!(
            "WITH {latest}, \
             spells AS (SELECT sp.customer_id, \
               MAX(CASE WHEN sp.started_at < {s1} AND (sp.ended_at IS NULL OR sp.ended_at >= {s1}) THEN 1 ELSE 0 END) AS at_start, \
               MAX(CASE WHEN sp.started_at >= {s1} THEN 1 ELSE 0 END) AS acquired, \
               MAX(CASE WHEN sp.ended_at >= {s1} AND sp.ended_at < {e1} THEN 1 ELSE 0 END) AS lost, \
               MAX(CASE WHEN sp.ended_at IS NULL OR sp.ended_at >= {e1} THEN 1 ELSE 0 END) AS at_end \
               FROM customer_spells sp WHERE sp.workspace_id = {ws1} AND sp.started_at < {e1} \
               GROUP BY sp.customer_id), \
             bought AS (SELECT o.customer_id, \
               SUM(CASE WHEN o.ordered_at >= {s1} THEN o.amount_minor ELSE 0 END) AS revenue, \
               SUM(CASE WHEN o.ordered_at >= {s1} THEN 1 ELSE 0 END) AS orders, \
               SUM(o.amount_minor) AS historic \
               FROM orders o WHERE o.workspace_id = {ws2} AND o.ordered_at < {e1} \
               GROUP BY o.customer_id), \
             per AS (SELECT customer_id, at_start, acquired, lost, at_end, 1 AS ever, \
               0 AS revenue, 0 AS orders, 0 AS historic FROM spells \
               UNION ALL SELECT customer_id, 0, 0, 0, 0, 0, revenue, orders, historic FROM bought) \
             SELECT {case} AS score, \
             CAST(SUM(p.at_start) AS BIGINT) AS at_start, CAST(SUM(p.acquired) AS BIGINT) AS acquired, \
             CAST(SUM(p.lost) AS BIGINT) AS lost, CAST(SUM(p.at_end) AS BIGINT) AS at_end, \
             CAST(SUM(p.ever) AS BIGINT) AS ever, CAST(SUM(p.revenue) AS BIGINT) AS revenue, \
             CAST(SUM(p.orders) AS BIGINT) AS orders, \
             CAST(SUM(CASE WHEN p.orders > 0 THEN 1 ELSE 0 END) AS BIGINT) AS buyers, \
             CAST(SUM(p.historic) AS BIGINT) AS historic \
             FROM per p LEFT JOIN latest l ON l.customer_id = p.customer_id{seg} GROUP BY {case}",
            case = Self::CATEGORY_CASE,
        );
        sql.push(&text);
        for row in sql.fetch(&self.store.pool).await? {
            let c = out.entry(key(row.try_get("score")?)).or_default();
            c.at_start += u(&row, "at_start")?;
            c.acquired += u(&row, "acquired")?;
            c.lost += u(&row, "lost")?;
            c.at_end += u(&row, "at_end")?;
            c.ever += u(&row, "ever")?;
            c.revenue += row.try_get::<i64, _>("revenue")?;
            c.orders += u(&row, "orders")?;
            c.buyers += u(&row, "buyers")?;
            c.historic_revenue += row.try_get::<i64, _>("historic")?;
        }
        Ok(out)
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

    async fn figures(
        &self,
        q: &KpiQuery,
        span: Span,
        scale: f64,
    ) -> Result<(KpiFigures, BTreeMap<&'static str, Counts>)> {
        use definitions as d;
        let ws = q.workspace_id;
        let by_cat = self.counts_by_category(q, span).await?;
        let t = by_cat.values().fold(Counts::default(), |a, c| Counts {
            at_start: a.at_start + c.at_start,
            acquired: a.acquired + c.acquired,
            lost: a.lost + c.lost,
            at_end: a.at_end + c.at_end,
            ever: a.ever + c.ever,
            revenue: a.revenue + c.revenue,
            orders: a.orders + c.orders,
            buyers: a.buyers + c.buyers,
            historic_revenue: a.historic_revenue + c.historic_revenue,
        });
        let revenue = t.revenue as f64 / scale;
        let historic = t.historic_revenue as f64 / scale;
        let churn = kpi::churn_rate(t.lost, t.at_start);
        let aov = kpi::average_order_value(revenue, t.orders);
        let freq = kpi::purchase_frequency(t.orders, t.buyers);

        // Feedback: answers (all surveys), CSAT answers, reviews left.
        let mut sql = Sql::new();
        let text = format!(
            "SELECT COUNT(*) AS answers, \
             CAST(COALESCE(SUM(CASE WHEN s.kind = 'csat' THEN 1 ELSE 0 END), 0) AS BIGINT) AS csat_n, \
             CAST(COALESCE(SUM(CASE WHEN s.kind = 'csat' AND a.score >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS csat_ok \
             FROM answers a JOIN surveys s ON s.id = a.survey_id \
             WHERE a.workspace_id = {} AND a.answered_at >= {} AND a.answered_at < {}",
            sql.i(ws),
            sql.i(span.start),
            sql.i(span.end)
        );
        let filters = self.answer_filters(&mut sql, q);
        sql.push(&format!("{text}{filters}"));
        let row = sql.fetch(&self.store.pool).await?.remove(0);
        let (answers, csat_n, csat_ok) =
            (u(&row, "answers")?, u(&row, "csat_n")?, u(&row, "csat_ok")?);

        let mut sql = Sql::new();
        let text = format!(
            "SELECT COUNT(*) AS n FROM engagements e JOIN answers a ON a.id = e.answer_id \
             WHERE e.workspace_id = {} AND e.status = 'review_left' AND e.updated_at >= {} AND e.updated_at < {}",
            sql.i(ws),
            sql.i(span.start),
            sql.i(span.end)
        );
        let filters = self.answer_filters(&mut sql, q);
        sql.push(&format!("{text}{filters}"));
        let reviews = u(&sql.fetch(&self.store.pool).await?.remove(0), "n")?;

        // Loyalty: active members among the customers active at the end.
        let mut sql = Sql::new();
        let seg = self.segment_join(&mut sql, q, "sp.customer_id");
        let (w, e) = (sql.i(ws), sql.i(span.end));
        let text = format!(
            "SELECT COUNT(DISTINCT sp.customer_id) AS members FROM customer_spells sp{seg} \
             JOIN loyalty_memberships m ON m.customer_id = sp.customer_id AND m.workspace_id = sp.workspace_id \
             AND m.joined_at < {e} AND (m.left_at IS NULL OR m.left_at >= {e}) \
             WHERE sp.workspace_id = {w} AND sp.started_at < {e} AND (sp.ended_at IS NULL OR sp.ended_at >= {e})"
        );
        sql.push(&text);
        let members = u(&sql.fetch(&self.store.pool).await?.remove(0), "members")?;

        // Contacts: complaints, and the median first reply per channel (window functions,
        // the mean of the middle two for an even count, as kpi::median).
        let mut sql = Sql::new();
        let seg = self.segment_join(&mut sql, q, "x.customer_id");
        let text = format!(
            "SELECT COUNT(*) AS n FROM contacts x{seg} WHERE x.workspace_id = {} AND x.is_complaint = 1 \
             AND x.opened_at >= {} AND x.opened_at < {}",
            sql.i(ws),
            sql.i(span.start),
            sql.i(span.end)
        );
        sql.push(&text);
        let complaints = u(&sql.fetch(&self.store.pool).await?.remove(0), "n")?;
        let channels = self.first_reply(q, span).await?;

        let nps = self.nps_figure(q, span.from, span.to).await?;
        let figures = KpiFigures {
            from: span.from,
            to: span.to,
            customers_at_start: Kpi::count(t.at_start, d::CUSTOMERS_AT_START),
            acquired: Kpi::count(t.acquired, d::ACQUIRED),
            lost: Kpi::count(t.lost, d::LOST),
            customers_at_end: Kpi::count(t.at_end, d::CUSTOMERS_AT_END),
            churn_rate: Kpi::new(churn, "fraction", d::CHURN_RATE)
                .with("lost", t.lost as f64)
                .with("customers_at_start", t.at_start as f64),
            retention_rate: Kpi::new(
                kpi::retention_rate(t.at_end, t.acquired, t.at_start),
                "fraction",
                d::RETENTION_RATE,
            )
            .with("customers_at_end", t.at_end as f64)
            .with("acquired", t.acquired as f64)
            .with("customers_at_start", t.at_start as f64),
            nps,
            revenue: Kpi::new(Some(revenue), "money", d::REVENUE).with("orders", t.orders as f64),
            average_order_value: Kpi::new(aov, "money", d::AVERAGE_ORDER_VALUE)
                .with("revenue", revenue)
                .with("orders", t.orders as f64),
            purchase_frequency: Kpi::new(freq, "orders_per_customer", d::PURCHASE_FREQUENCY)
                .with("orders", t.orders as f64)
                .with("buying_customers", t.buyers as f64),
            historic_clv: Kpi::new(
                kpi::historic_clv(historic, t.ever),
                "money",
                d::HISTORIC_CLV,
            )
            .with("revenue_to_date", historic)
            .with("customers", t.ever as f64),
            predicted_clv: Kpi::new(
                kpi::predicted_clv(aov, freq, churn),
                "money",
                d::PREDICTED_CLV,
            )
            .with("average_order_value", aov.unwrap_or(f64::NAN))
            .with("purchase_frequency", freq.unwrap_or(f64::NAN))
            .with("churn_rate", churn.unwrap_or(f64::NAN)),
            feedback_volume: Kpi::count(answers + reviews, d::FEEDBACK_VOLUME)
                .with("answers", answers as f64)
                .with("reviews_left", reviews as f64),
            csat: Kpi::new(kpi::csat(csat_ok, csat_n), "fraction", d::CSAT)
                .with("satisfied", csat_ok as f64)
                .with("answers", csat_n as f64),
            loyalty_usage: Kpi::new(
                kpi::loyalty_usage(members, t.at_end),
                "fraction",
                d::LOYALTY_USAGE,
            )
            .with("active_members", members as f64)
            .with("active_customers", t.at_end as f64),
            complaints_per_month: Kpi::new(
                kpi::complaints_per_month(complaints, span.days()),
                "per_month",
                d::COMPLAINTS_PER_MONTH,
            )
            .with("complaints", complaints as f64)
            .with("days", span.days() as f64),
            first_reply: FirstReply {
                definition: d::FIRST_REPLY,
                channels,
            },
        };
        // NaN inputs (undefined parts) would not serialise as JSON numbers: drop them.
        let mut figures = figures;
        figures.predicted_clv.inputs.retain(|_, v| v.is_finite());
        Ok((figures, by_cat))
    }

    async fn first_reply(&self, q: &KpiQuery, span: Span) -> Result<Vec<ChannelReply>> {
        let mut sql = Sql::new();
        let seg = self.segment_join(&mut sql, q, "x.customer_id");
        let text = format!(
            "SELECT channel, CAST(AVG(CAST(d AS DOUBLE PRECISION)) AS DOUBLE PRECISION) AS median, MAX(cnt) AS n FROM ( \
             SELECT x.channel, x.first_reply_at - x.opened_at AS d, \
             ROW_NUMBER() OVER (PARTITION BY x.channel ORDER BY x.first_reply_at - x.opened_at) AS rn, \
             COUNT(*) OVER (PARTITION BY x.channel) AS cnt \
             FROM contacts x{seg} WHERE x.workspace_id = {} AND x.first_reply_at IS NOT NULL \
             AND x.opened_at >= {} AND x.opened_at < {}) t \
             WHERE rn = (cnt + 1) / 2 OR rn = (cnt + 2) / 2 GROUP BY channel ORDER BY channel",
            sql.i(q.workspace_id),
            sql.i(span.start),
            sql.i(span.end)
        );
        sql.push(&text);
        sql.fetch(&self.store.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(ChannelReply {
                    channel: row.try_get("channel")?,
                    median_seconds: row.try_get("median")?,
                    n: u(row, "n")?,
                })
            })
            .collect()
    }

    async fn linkage(
        &self,
        q: &KpiQuery,
        span: Span,
        scale: f64,
        by_cat: &BTreeMap<&'static str, Counts>,
    ) -> Result<Linkage> {
        let categories: Vec<CategoryRow> = CATEGORIES
            .iter()
            .map(|cat| {
                let c = by_cat.get(cat).copied().unwrap_or_default();
                CategoryRow {
                    category: cat,
                    customers_at_start: c.at_start,
                    lost: c.lost,
                    churn_rate: kpi::churn_rate(c.lost, c.at_start),
                    revenue: c.revenue as f64 / scale,
                    historic_clv: kpi::historic_clv(c.historic_revenue as f64 / scale, c.ever),
                }
            })
            .collect();
        let (det, pro) = (&categories[0], &categories[2]);
        let churn_ratio = kpi::rate_ratio(
            det.lost,
            det.customers_at_start,
            pro.lost,
            pro.customers_at_start,
        );

        // Revenue at risk: the last 12 months up to the end of the period.
        let year_before = span
            .to
            .succ_opt()
            .and_then(|d| d.checked_sub_months(Months::new(12)))
            .unwrap_or(span.from);
        let window = Span::new(year_before, span.to);
        let mut sql = Sql::new();
        let w = sql.i(q.workspace_id);
        let seg = self.segment_join(&mut sql, q, "k.customer_id");
        let text = format!(
            "SELECT COUNT(DISTINCT k.customer_id) AS customers, \
             CAST(COALESCE(SUM(o.amount_minor), 0) AS BIGINT) AS revenue \
             FROM (SELECT DISTINCT customer_id FROM cases WHERE workspace_id = {w} \
             AND status IN ('open', 'contacted') AND customer_id IS NOT NULL) k{seg} \
             LEFT JOIN orders o ON o.customer_id = k.customer_id AND o.workspace_id = {w2} \
             AND o.ordered_at >= {} AND o.ordered_at < {}",
            sql.i(window.start),
            sql.i(window.end),
            w2 = sql.i(q.workspace_id),
        );
        sql.push(&text);
        let row = sql.fetch(&self.store.pool).await?.remove(0);
        let at_risk = row.try_get::<i64, _>("revenue")? as f64 / scale;
        Ok(Linkage {
            category_rule: definitions::CATEGORY,
            categories,
            churn_ratio,
            churn_ratio_definition: definitions::CHURN_RATIO,
            revenue_at_risk: Kpi::new(Some(at_risk), "money", definitions::REVENUE_AT_RISK)
                .with("customers_with_open_case", u(&row, "customers")? as f64),
        })
    }

    /// Per calendar month of the period (clipped to it): churn, NPS, revenue, complaints.
    async fn series(&self, q: &KpiQuery, span: Span, scale: f64) -> Result<Vec<MonthPoint>> {
        let mut months = Vec::new();
        let mut first = span.from.with_day(1).unwrap_or(span.from);
        while first <= span.to {
            let next = first + Months::new(1);
            let from = first.max(span.from);
            let to = next.pred_opt().unwrap_or(next).min(span.to);
            months.push(Span::new(from, to));
            first = next;
        }
        // A VALUES table of the months, joined to each fact table in one statement.
        let values = |sql: &mut Sql| -> String {
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
        };

        // Churn per month in one pass over the spells: per customer, whether they were
        // there at each month's start and whether a spell of theirs ended in it (distinct
        // customers, as the headline), then summed.
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
        let churn = (0..months.len())
            .map(|i| Ok((u(&row, &format!("a{i}"))?, u(&row, &format!("l{i}"))?)))
            .collect::<Result<Vec<(u64, u64)>>>()?;

        let sums = |table: &str, alias: &str, time: &str, value: &str, extra: &str| {
            let mut sql = Sql::new();
            let cte = values(&mut sql);
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
}
