//! The figures every KPI view shows: tiles, the period comparison, the NPS linkage and the months.

use super::format::{change_class, number, partial_month, Fmt};
use crate::charts::{self, LinkageBar};
use advocate_store::insight::kpis::{Kpi, KpiFigures, KpiReport};

/// One KPI tile.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub name: &'static str,
    pub value: String,
    /// e.g. the NPS interval; may be empty.
    pub note: String,
    pub definition: String,
    pub previous: String,
    /// e.g. "+1.2 pp"; empty when either period has no value.
    pub change: String,
    /// good, bad or flat.
    pub change_class: &'static str,
    /// From [`charts::sparkline`]; empty for KPIs without a monthly series.
    pub spark: String,
}

/// One row of the period comparison (also the report's KPI table).
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    pub name: &'static str,
    pub now: String,
    pub previous: String,
    pub change: String,
    pub change_class: &'static str,
    pub definition: String,
}

/// One NPS category of the linkage table.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkageRow {
    pub category: String,
    pub customers_at_start: String,
    pub lost: String,
    pub churn_rate: String,
    pub revenue: String,
    pub revenue_per_customer: String,
    pub historic_clv: String,
}

/// The linkage section: chart, headline, table, revenue at risk.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkageView {
    pub svg: String,
    /// "Detractors churn 2.4× as often as promoters (95 % CI 1.6–3.5)", or why not.
    pub headline: String,
    pub has_ratio: bool,
    pub ratio_definition: String,
    pub category_rule: String,
    pub rows: Vec<LinkageRow>,
    pub revenue_at_risk: String,
    pub revenue_at_risk_definition: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthRow {
    pub month: String,
    pub churn_rate: String,
    pub nps: String,
    pub revenue: String,
    pub complaints: u64,
}

/// A KPI's name, its value now and in the previous period, and whether lower is better.
type KpiPair<'a> = (&'static str, &'a Kpi, &'a Kpi, bool);

/// The KPIs shown as tiles and compared, in order: (name, current, previous, lower is
/// better).
fn kpi_list<'a>(f: &'a KpiFigures, p: &'a KpiFigures) -> Vec<KpiPair<'a>> {
    vec![
        ("Churn rate", &f.churn_rate, &p.churn_rate, true),
        (
            "Retention rate",
            &f.retention_rate,
            &p.retention_rate,
            false,
        ),
        ("Revenue", &f.revenue, &p.revenue, false),
        (
            "Average order value",
            &f.average_order_value,
            &p.average_order_value,
            false,
        ),
        (
            "Purchase frequency",
            &f.purchase_frequency,
            &p.purchase_frequency,
            false,
        ),
        ("Historic CLV", &f.historic_clv, &p.historic_clv, false),
        ("Predicted CLV", &f.predicted_clv, &p.predicted_clv, false),
        (
            "Feedback volume",
            &f.feedback_volume,
            &p.feedback_volume,
            false,
        ),
        ("CSAT", &f.csat, &p.csat, false),
        (
            "Loyalty-programme usage",
            &f.loyalty_usage,
            &p.loyalty_usage,
            false,
        ),
        (
            "Complaints per month",
            &f.complaints_per_month,
            &p.complaints_per_month,
            true,
        ),
        (
            "Customers at start",
            &f.customers_at_start,
            &p.customers_at_start,
            false,
        ),
        ("Acquired", &f.acquired, &p.acquired, false),
        ("Lost", &f.lost, &p.lost, true),
        (
            "Customers at end",
            &f.customers_at_end,
            &p.customers_at_end,
            false,
        ),
    ]
}

pub(super) fn nps_text(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "—".to_owned(), charts::signed)
}

pub(super) fn nps_interval(f: &KpiFigures) -> String {
    f.nps
        .ci95
        .map(|i| {
            format!(
                "95 % CI {} to {}",
                charts::signed(i.low),
                charts::signed(i.high)
            )
        })
        .unwrap_or_default()
}

pub(super) fn nps_change(r: &KpiReport, fmt: &Fmt) -> (String, &'static str) {
    fmt.change(r.figures.nps.value, r.previous.nps.value, "score")
        .map_or((String::new(), "flat"), |(d, t)| {
            (t, change_class(d, false))
        })
}

pub(super) fn comparison(r: &KpiReport, fmt: &Fmt) -> Vec<ComparisonRow> {
    let (nps_change, nps_class) = nps_change(r, fmt);
    let mut rows = vec![ComparisonRow {
        name: "NPS",
        now: nps_text(r.figures.nps.value),
        previous: nps_text(r.previous.nps.value),
        change: nps_change,
        change_class: nps_class,
        definition: r.figures.nps.definition.to_owned(),
    }];
    rows.extend(
        kpi_list(&r.figures, &r.previous)
            .into_iter()
            .map(|(name, now, before, lower)| {
                let change = fmt.change(now.value, before.value, now.unit);
                ComparisonRow {
                    name,
                    now: fmt.value(now.value, now.unit),
                    previous: fmt.value(before.value, before.unit),
                    change_class: change
                        .as_ref()
                        .map_or("flat", |(d, _)| change_class(*d, lower)),
                    change: change.map(|(_, t)| t).unwrap_or_default(),
                    definition: now.definition.to_owned(),
                }
            }),
    );
    rows
}

pub(super) fn tiles(r: &KpiReport, fmt: &Fmt) -> Vec<Tile> {
    // Whole months only: a partial current month would look like a collapse.
    let series =
        |f: fn(&advocate_store::insight::kpis::MonthPoint) -> Option<f64>| -> Vec<Option<f64>> {
            r.series
                .iter()
                .filter(|m| !partial_month(m))
                .map(f)
                .collect()
        };
    let (nps_change, nps_class) = nps_change(r, fmt);
    let mut tiles = vec![Tile {
        name: "NPS",
        value: nps_text(r.figures.nps.value),
        note: nps_interval(&r.figures),
        definition: r.figures.nps.definition.to_owned(),
        previous: nps_text(r.previous.nps.value),
        change: nps_change,
        change_class: nps_class,
        spark: charts::sparkline("NPS by month", &series(|m| m.nps)),
    }];
    for (name, now, before, lower) in kpi_list(&r.figures, &r.previous).into_iter().take(11) {
        let change = fmt.change(now.value, before.value, now.unit);
        let spark = match name {
            "Churn rate" => charts::sparkline("Churn rate by month", &series(|m| m.churn_rate)),
            "Revenue" => charts::sparkline("Revenue by month", &series(|m| Some(m.revenue))),
            "Complaints per month" => charts::sparkline(
                "Complaints by month",
                &series(|m| Some(m.complaints as f64)),
            ),
            _ => String::new(),
        };
        tiles.push(Tile {
            name,
            value: fmt.value(now.value, now.unit),
            note: String::new(),
            definition: now.definition.to_owned(),
            previous: fmt.value(before.value, before.unit),
            change_class: change
                .as_ref()
                .map_or("flat", |(d, _)| change_class(*d, lower)),
            change: change.map(|(_, t)| t).unwrap_or_default(),
            spark,
        });
    }
    tiles
}

pub(super) fn linkage(r: &KpiReport, fmt: &Fmt) -> LinkageView {
    let l = &r.linkage;
    let per_customer =
        |revenue: f64, customers: u64| (customers > 0).then(|| revenue / customers as f64);
    let bars: Vec<LinkageBar> = l
        .categories
        .iter()
        .map(|c| LinkageBar {
            category: c.category.to_owned(),
            churn_rate: c.churn_rate,
            revenue_per_customer: per_customer(c.revenue, c.customers_at_start),
        })
        .collect();
    let headline = match l.churn_ratio {
        Some(x) => format!(
            "Detractors churn {:.1}× as often as promoters (95 % CI {:.1}–{:.1}).",
            x.ratio, x.low, x.high
        ),
        None => "Not enough churn yet among detractors and promoters to compare them: both \
                 groups need customers at the start and at least one lost."
            .to_owned(),
    };
    LinkageView {
        svg: charts::linkage(&bars, &r.currency),
        headline,
        has_ratio: l.churn_ratio.is_some(),
        ratio_definition: l.churn_ratio_definition.to_owned(),
        category_rule: l.category_rule.to_owned(),
        rows: l
            .categories
            .iter()
            .map(|c| LinkageRow {
                category: c.category.replace('_', " "),
                customers_at_start: number(c.customers_at_start as f64, 0),
                lost: number(c.lost as f64, 0),
                churn_rate: fmt.value(c.churn_rate, "fraction"),
                revenue: fmt.money(c.revenue),
                revenue_per_customer: fmt
                    .value(per_customer(c.revenue, c.customers_at_start), "money"),
                historic_clv: fmt.value(c.historic_clv, "money"),
            })
            .collect(),
        revenue_at_risk: fmt.value(l.revenue_at_risk.value, l.revenue_at_risk.unit),
        revenue_at_risk_definition: l.revenue_at_risk.definition.to_owned(),
    }
}

pub(super) fn months(r: &KpiReport, fmt: &Fmt) -> Vec<MonthRow> {
    r.series
        .iter()
        .map(|m| MonthRow {
            month: if partial_month(m) {
                format!(
                    "{} (partial: {} – {})",
                    m.month,
                    m.from.format("%-d %b"),
                    m.to.format("%-d %b")
                )
            } else {
                m.month.clone()
            },
            churn_rate: fmt.value(m.churn_rate, "fraction"),
            nps: nps_text(m.nps),
            revenue: fmt.money(m.revenue),
            complaints: m.complaints,
        })
        .collect()
}
