//! `advocate kpis`: the figures of `GET /api/v1/kpis` as a table for the terminal, each
//! with its definition beside it, then the linkage to NPS.

use crate::options::DbArgs;
use advocate_core::query::KpiParams;
use advocate_store::insight::kpis::{Kpi, KpiFigures, KpiReport};
use anyhow::{anyhow, Result};
use chrono::Utc;
use clap::Args;
use std::fmt::Write;

#[derive(Args)]
pub struct KpisArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// First day, inclusive (YYYY-MM-DD, UTC); 89 days before --to when left out.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC); today when left out.
    #[arg(long)]
    pub to: Option<String>,
    /// attribute:value, e.g. plan:premium (the customer's current attribute).
    #[arg(long)]
    pub segment: Option<String>,
    /// Narrows NPS, feedback volume and CSAT to one touchpoint.
    #[arg(long)]
    pub touchpoint: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: KpisArgs) -> Result<()> {
    let store = args.db.open().await?;
    let workspace = args.db.workspace(&store).await?;
    let params = KpiParams {
        from: args.from,
        to: args.to,
        segment: args.segment,
        touchpoint: args.touchpoint,
    };
    let query = params
        .to_query(workspace.id, Utc::now().date_naive())
        .map_err(|e| anyhow!(e))?;
    let report = store.kpis().report(&query).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn number(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
}

fn money(v: Option<f64>, currency: &str) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.2} {currency}"))
}

/// A figure formatted by its unit.
fn cell(k: &Kpi, currency: &str) -> String {
    match k.unit {
        "fraction" => percent(k.value),
        "money" => money(k.value, currency),
        "count" => number(k.value, 0),
        _ => number(k.value, 2),
    }
}

/// The report as text: one row per KPI with its definition, then the linkage.
pub fn render(r: &KpiReport) -> String {
    let f = &r.figures;
    let cur = r.currency.as_str();
    let mut out = String::new();
    let mut scope = format!("Retention KPIs, {} to {}", f.from, f.to);
    if let Some(s) = &r.segment {
        let _ = write!(scope, ", segment {s}");
    }
    if let Some(t) = &r.touchpoint {
        let _ = write!(scope, ", touchpoint {t}");
    }
    let _ = writeln!(out, "{scope} (money in {cur})\n");
    let replies = reply_rows(f);
    let rows = figure_rows(f, cur, &replies);
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (label, value, def) in &rows {
        let _ = writeln!(out, "{label:<w0$}  {value:>w1$}  {def}");
    }
    write_linkage(&mut out, r);
    let p = &r.previous;
    let _ = writeln!(
        out,
        "\nPrevious period {} to {}: churn {}, NPS {}, revenue {}.",
        p.from,
        p.to,
        percent(p.churn_rate.value),
        number(p.nps.value, 1),
        money(p.revenue.value, cur)
    );
    out
}

/// Time to first reply per channel: (label, median with n).
fn reply_rows(f: &KpiFigures) -> Vec<(String, String)> {
    f.first_reply
        .channels
        .iter()
        .map(|c| {
            (
                format!("First reply, {}", c.channel),
                format!("{} (n = {})", duration(c.median_seconds), c.n),
            )
        })
        .collect()
}

/// The table of figures: (name, value, definition), the first replies last.
fn figure_rows<'a>(
    f: &'a KpiFigures,
    cur: &str,
    replies: &'a [(String, String)],
) -> Vec<(&'a str, String, &'a str)> {
    let nps = match (f.nps.value, f.nps.ci95) {
        (Some(v), Some(ci)) => format!(
            "{v:+.1} ({:+.1} to {:+.1}), n = {}",
            ci.low, ci.high, f.nps.n
        ),
        (Some(v), None) => format!("{v:+.1}, n = {}", f.nps.n),
        _ => "– (no answers)".to_owned(),
    };
    let mut rows: Vec<(&str, String, &str)> = vec![
        (
            "Customers at start",
            cell(&f.customers_at_start, cur),
            f.customers_at_start.definition,
        ),
        ("Acquired", cell(&f.acquired, cur), f.acquired.definition),
        ("Lost", cell(&f.lost, cur), f.lost.definition),
        (
            "Customers at end",
            cell(&f.customers_at_end, cur),
            f.customers_at_end.definition,
        ),
        (
            "Churn rate",
            cell(&f.churn_rate, cur),
            f.churn_rate.definition,
        ),
        (
            "Retention rate",
            cell(&f.retention_rate, cur),
            f.retention_rate.definition,
        ),
        ("NPS", nps, f.nps.definition),
        ("Revenue", cell(&f.revenue, cur), f.revenue.definition),
        (
            "Average order value",
            cell(&f.average_order_value, cur),
            f.average_order_value.definition,
        ),
        (
            "Purchase frequency",
            cell(&f.purchase_frequency, cur),
            f.purchase_frequency.definition,
        ),
        (
            "Historic CLV",
            cell(&f.historic_clv, cur),
            f.historic_clv.definition,
        ),
        (
            "Predicted CLV",
            cell(&f.predicted_clv, cur),
            f.predicted_clv.definition,
        ),
        (
            "Feedback volume",
            cell(&f.feedback_volume, cur),
            f.feedback_volume.definition,
        ),
        ("CSAT", cell(&f.csat, cur), f.csat.definition),
        (
            "Loyalty-programme usage",
            cell(&f.loyalty_usage, cur),
            f.loyalty_usage.definition,
        ),
        (
            "Complaints per month",
            cell(&f.complaints_per_month, cur),
            f.complaints_per_month.definition,
        ),
    ];
    for (label, value) in replies {
        rows.push((label.as_str(), value.clone(), f.first_reply.definition));
    }
    rows
}

/// Churn and revenue by NPS category, the churn ratio and the revenue at risk.
fn write_linkage(out: &mut String, r: &KpiReport) {
    let cur = r.currency.as_str();
    let l = &r.linkage;
    let _ = writeln!(out, "\nBy NPS category ({}):", l.category_rule);
    let _ = writeln!(
        out,
        "{:<10}  {:>9}  {:>5}  {:>8}  {:>14}  {:>14}",
        "category", "at start", "lost", "churn", "revenue", "historic CLV"
    );
    for c in &l.categories {
        let _ = writeln!(
            out,
            "{:<10}  {:>9}  {:>5}  {:>8}  {:>14}  {:>14}",
            c.category,
            c.customers_at_start,
            c.lost,
            percent(c.churn_rate),
            money(Some(c.revenue), cur),
            money(c.historic_clv, cur)
        );
    }
    match &l.churn_ratio {
        Some(x) => {
            let _ = writeln!(
                out,
                "Detractors churn {:.2} times as often as promoters (95 % CI {:.2} to {:.2}).",
                x.ratio, x.low, x.high
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Churn ratio detractors / promoters: – (a group is empty or nobody in it churned)."
            );
        }
    }
    let _ = writeln!(
        out,
        "Revenue at risk: {}  ({})",
        money(l.revenue_at_risk.value, cur),
        l.revenue_at_risk.definition
    );
}

fn duration(secs: Option<f64>) -> String {
    match secs {
        None => "–".to_owned(),
        Some(s) if s < 3600.0 => format!("{:.0} min", s / 60.0),
        Some(s) if s < 86_400.0 => format!("{:.1} h", s / 3600.0),
        Some(s) => format!("{:.1} days", s / 86_400.0),
    }
}
