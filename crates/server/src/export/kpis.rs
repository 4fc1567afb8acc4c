//! The KPI report as spreadsheet tables: the figures with their definitions and the
//! previous period beside them, the linkage by NPS category, the monthly series and time
//! to first reply per channel.

use super::Cell;
use advocate_store::insight::kpis::{Kpi, KpiReport};

/// One table of the export: a worksheet in XLSX, a block in CSV.
pub struct Sheet {
    pub name: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

fn num(v: Option<f64>) -> Cell {
    v.filter(|x| x.is_finite())
        .map_or(Cell::Empty, Cell::Number)
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

/// The tables of a report.
pub fn sheets(r: &KpiReport) -> Vec<Sheet> {
    vec![
        Sheet {
            name: "KPIs",
            columns: vec![
                "kpi",
                "value",
                "unit",
                "previous_period",
                "ci95_low",
                "ci95_high",
                "definition",
            ],
            rows: kpi_rows(r),
        },
        Sheet {
            name: "Linkage",
            columns: vec![
                "nps_category",
                "customers_at_start",
                "lost",
                "churn_rate",
                "revenue",
                "historic_clv",
            ],
            rows: linkage_rows(r),
        },
        Sheet {
            name: "Monthly",
            columns: vec!["month", "churn_rate", "nps", "revenue", "complaints"],
            rows: monthly_rows(r),
        },
        Sheet {
            name: "First reply",
            columns: vec!["channel", "median_seconds", "contacts_replied"],
            rows: reply_rows(r),
        },
    ]
}

/// A KPI now and in the previous period, with its unit and definition.
fn kpi_row(name: &str, now: &Kpi, before: &Kpi) -> Vec<Cell> {
    vec![
        text(name),
        num(now.value),
        text(now.unit),
        num(before.value),
        Cell::Empty,
        Cell::Empty,
        text(now.definition),
    ]
}

/// The KPIs sheet: every figure, the linkage's ratio and revenue at risk, and the period.
fn kpi_rows(r: &KpiReport) -> Vec<Vec<Cell>> {
    let (f, p) = (&r.figures, &r.previous);
    let mut kpis = vec![
        kpi_row(
            "customers_at_start",
            &f.customers_at_start,
            &p.customers_at_start,
        ),
        kpi_row("acquired", &f.acquired, &p.acquired),
        kpi_row("lost", &f.lost, &p.lost),
        kpi_row("customers_at_end", &f.customers_at_end, &p.customers_at_end),
        kpi_row("churn_rate", &f.churn_rate, &p.churn_rate),
        kpi_row("retention_rate", &f.retention_rate, &p.retention_rate),
        vec![
            text("nps"),
            num(f.nps.value),
            text("score"),
            num(p.nps.value),
            num(f.nps.ci95.map(|i| i.low)),
            num(f.nps.ci95.map(|i| i.high)),
            text(f.nps.definition),
        ],
        kpi_row("revenue", &f.revenue, &p.revenue),
        kpi_row(
            "average_order_value",
            &f.average_order_value,
            &p.average_order_value,
        ),
        kpi_row(
            "purchase_frequency",
            &f.purchase_frequency,
            &p.purchase_frequency,
        ),
        kpi_row("historic_clv", &f.historic_clv, &p.historic_clv),
        kpi_row("predicted_clv", &f.predicted_clv, &p.predicted_clv),
        kpi_row("feedback_volume", &f.feedback_volume, &p.feedback_volume),
        kpi_row("csat", &f.csat, &p.csat),
        kpi_row("loyalty_usage", &f.loyalty_usage, &p.loyalty_usage),
        kpi_row(
            "complaints_per_month",
            &f.complaints_per_month,
            &p.complaints_per_month,
        ),
    ];
    let l = &r.linkage;
    kpis.push(vec![
        text("churn_ratio_detractors_to_promoters"),
        num(l.churn_ratio.map(|c| c.ratio)),
        text("ratio"),
        Cell::Empty,
        num(l.churn_ratio.map(|c| c.low)),
        num(l.churn_ratio.map(|c| c.high)),
        text(l.churn_ratio_definition),
    ]);
    kpis.push(vec![
        text("revenue_at_risk"),
        num(l.revenue_at_risk.value),
        text(l.revenue_at_risk.unit),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        text(l.revenue_at_risk.definition),
    ]);
    // Where the period stands, so a file read later still says what it covers.
    let period = format!(
        "{} to {} (previous: {} to {}); money in {}",
        f.from, f.to, p.from, p.to, r.currency
    );
    kpis.push(vec![
        text("period"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Text(period),
    ]);
    kpis
}

fn linkage_rows(r: &KpiReport) -> Vec<Vec<Cell>> {
    r.linkage
        .categories
        .iter()
        .map(|c| {
            vec![
                text(c.category),
                Cell::Int(c.customers_at_start as i64),
                Cell::Int(c.lost as i64),
                num(c.churn_rate),
                num(Some(c.revenue)),
                num(c.historic_clv),
            ]
        })
        .collect()
}

fn monthly_rows(r: &KpiReport) -> Vec<Vec<Cell>> {
    r.series
        .iter()
        .map(|m| {
            vec![
                text(&m.month),
                num(m.churn_rate),
                num(m.nps),
                num(Some(m.revenue)),
                Cell::Int(m.complaints as i64),
            ]
        })
        .collect()
}

fn reply_rows(r: &KpiReport) -> Vec<Vec<Cell>> {
    r.figures
        .first_reply
        .channels
        .iter()
        .map(|c| {
            vec![
                text(&c.channel),
                num(c.median_seconds),
                Cell::Int(c.n as i64),
            ]
        })
        .collect()
}
