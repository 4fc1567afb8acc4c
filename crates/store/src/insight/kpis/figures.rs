//! The figures of one period (customers, churn, money, feedback, contacts), linked to NPS.

use super::{
    category_of, definitions, u, CategoryRow, ChannelReply, Counts, FirstReply, Kpi, KpiFigures,
    KpiQuery, Linkage, NpsFigure, Span, Sql, CATEGORIES,
};
use crate::Kpis;
use crate::Result;
use advocate_core::kpi;
use chrono::Months;
use sqlx::Row;
use std::collections::BTreeMap;

impl Kpis<'_> {
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

    /// The period's figures, and its counts per NPS category (the linkage reads them).
    pub(super) async fn figures(
        &self,
        q: &KpiQuery,
        span: Span,
        scale: f64,
    ) -> Result<(KpiFigures, BTreeMap<&'static str, Counts>)> {
        let by_cat = self.counts_by_category(q, span).await?;
        let t = totals(&by_cat);
        let (answers, csat_n, csat_ok) = self.feedback_counts(q, span).await?;
        let activity = Activity {
            answers,
            csat_n,
            csat_ok,
            reviews: self.reviews_left(q, span).await?,
            members: self.active_members(q, span).await?,
            complaints: self.complaints(q, span).await?,
            channels: self.first_reply(q, span).await?,
        };
        let nps = self.nps_figure(q, span.from, span.to).await?;
        Ok((kpi_figures(span, &t, scale, activity, nps), by_cat))
    }

    /// Feedback: answers (all surveys), CSAT answers and the satisfied among them.
    async fn feedback_counts(&self, q: &KpiQuery, span: Span) -> Result<(u64, u64, u64)> {
        let ws = q.workspace_id;
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
        Ok((u(&row, "answers")?, u(&row, "csat_n")?, u(&row, "csat_ok")?))
    }

    /// Reviews left in the period (engagements that became `review_left`).
    async fn reviews_left(&self, q: &KpiQuery, span: Span) -> Result<u64> {
        let ws = q.workspace_id;
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
        u(&sql.fetch(&self.store.pool).await?.remove(0), "n")
    }

    /// Loyalty: active members among the customers active at the end.
    async fn active_members(&self, q: &KpiQuery, span: Span) -> Result<u64> {
        let ws = q.workspace_id;
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
        u(&sql.fetch(&self.store.pool).await?.remove(0), "members")
    }

    /// Contacts: complaints opened in the period. (The median first reply per channel is
    /// [`Self::first_reply`]: window functions, the mean of the middle two for an even
    /// count, as kpi::median.)
    async fn complaints(&self, q: &KpiQuery, span: Span) -> Result<u64> {
        let ws = q.workspace_id;
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
        u(&sql.fetch(&self.store.pool).await?.remove(0), "n")
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

    pub(super) async fn linkage(
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
}

/// What the feedback, loyalty and contact queries counted in a period.
struct Activity {
    answers: u64,
    csat_n: u64,
    csat_ok: u64,
    reviews: u64,
    members: u64,
    complaints: u64,
    channels: Vec<ChannelReply>,
}

/// The sums over every NPS category.
fn totals(by_cat: &BTreeMap<&'static str, Counts>) -> Counts {
    by_cat.values().fold(Counts::default(), |a, c| Counts {
        at_start: a.at_start + c.at_start,
        acquired: a.acquired + c.acquired,
        lost: a.lost + c.lost,
        at_end: a.at_end + c.at_end,
        ever: a.ever + c.ever,
        revenue: a.revenue + c.revenue,
        orders: a.orders + c.orders,
        buyers: a.buyers + c.buyers,
        historic_revenue: a.historic_revenue + c.historic_revenue,
    })
}

/// The period's figures from its counts: each with its definition and its inputs.
fn kpi_figures(
    span: Span,
    t: &Counts,
    scale: f64,
    activity: Activity,
    nps: NpsFigure,
) -> KpiFigures {
    use definitions as d;
    let Activity {
        answers,
        csat_n,
        csat_ok,
        reviews,
        members,
        complaints,
        channels,
    } = activity;
    let revenue = t.revenue as f64 / scale;
    let historic = t.historic_revenue as f64 / scale;
    let churn = kpi::churn_rate(t.lost, t.at_start);
    let aov = kpi::average_order_value(revenue, t.orders);
    let freq = kpi::purchase_frequency(t.orders, t.buyers);

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
    figures
}
