//! The KPI page (`/kpis`): retention KPIs as tiles (value, definition, change against the
//! previous period of the same length, sparkline), the linkage of churn and revenue to NPS
//! categories, and a table behind every chart; the printable quarterly report
//! (`/reports/quarterly?quarter=2026-Q3`); and the signed-in downloads (`/export/{file}`),
//! which reuse the API's export code. Every figure comes from `Kpis::report`.

use super::signin::RequireSignIn;
use super::views::{encode, ClosedLoopCard, SelectOption};
use super::{internal, PageError};
use crate::access::Access::Person;
use crate::api::exports::{export_file, ExportParams};
use crate::charts::{self, LinkageBar, TrendPoint};
use crate::error::ApiError;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::period::previous_quarter;
use advocate_core::Permission::{Dashboards, Export};
use advocate_core::{CiMethod, Granularity, GroupBy, Label};
use advocate_store::insight::analytics::NpsQuery;
use advocate_store::insight::exports::PeriodComment;
use advocate_store::insight::kpis::{minor_digits, Kpi, KpiFigures, KpiQuery, KpiReport};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Days, Months, NaiveDate, Utc};
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .get("/kpis", Person(Dashboards), show)
        .get("/reports/quarterly", Person(Dashboards), quarterly)
        .get("/export/{file}", Person(Export), download)
}

/// Period choices of the KPI page: (code, label).
pub const KPI_PERIODS: [(&str, &str); 4] = [
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("12m", "Last 12 months"),
    ("custom", "Custom"),
];

/// Segment values offered per attribute in the select.
const SEGMENT_VALUES_SHOWN: usize = 30;
/// Comments per side (promoters, detractors) in the quarterly report.
const REPORT_COMMENTS: u32 = 5;

/// A store refusal (bad segment, bad dates) is the person's to fix; the rest is ours.
fn store_error(err: StoreError, refused: &'static str) -> PageError {
    match err {
        StoreError::Invalid(_) => PageError(StatusCode::BAD_REQUEST, refused),
        other => internal(other),
    }
}

// ---- periods ---------------------------------------------------------------------------

/// The first day of `date`'s quarter.
pub fn quarter_start(date: NaiveDate) -> NaiveDate {
    let month = (date.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date)
}

/// The last day of the quarter starting at `start`.
pub fn quarter_end(start: NaiveDate) -> NaiveDate {
    start
        .checked_add_months(Months::new(3))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start)
}

/// `2026-Q3` → its first day.
pub fn parse_quarter(s: &str) -> Option<NaiveDate> {
    let (year, q) = s.split_once("-Q").or_else(|| s.split_once("-q"))?;
    let year: i32 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
    NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1)
}

pub fn quarter_code(start: NaiveDate) -> String {
    format!("{}-Q{}", start.year(), start.month0() / 3 + 1)
}

/// "1 Jul – 30 Sep 2026".
fn range_text(from: NaiveDate, to: NaiveDate) -> String {
    if from.year() == to.year() {
        format!("{} – {}", from.format("%-d %b"), to.format("%-d %b %Y"))
    } else {
        format!("{} – {}", from.format("%-d %b %Y"), to.format("%-d %b %Y"))
    }
}

const BAD_CUSTOM: &str =
    "A custom period needs from and to as dates like 2026-01-31, with from not after to.";

/// First and last day (inclusive) of a period code.
fn resolve_period(
    code: &str,
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), PageError> {
    let this_quarter = quarter_start(today);
    Ok(match code {
        "this_quarter" => (this_quarter, today),
        "last_quarter" => {
            let start = quarter_start(this_quarter.pred_opt().unwrap_or(this_quarter));
            (start, quarter_end(start))
        }
        "custom" => {
            let parse = |v: Option<&str>| {
                v.and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                    .ok_or(PageError(StatusCode::BAD_REQUEST, BAD_CUSTOM))
            };
            let (f, t) = (parse(from)?, parse(to)?);
            if f > t {
                return Err(PageError(StatusCode::BAD_REQUEST, BAD_CUSTOM));
            }
            (f, t)
        }
        _ => (today - Days::new(364), today),
    })
}

// ---- formatting ------------------------------------------------------------------------

/// Groups thousands with a thin space: `1 234 567`.
fn grouped(whole: u64) -> String {
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    out
}

fn number(v: f64, decimals: usize) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    let text = format!("{:.*}", decimals, v.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let whole = grouped(whole.parse().unwrap_or(0));
    if frac.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac}")
    }
}

/// How the page prints figures of one report: money needs the reporting currency.
#[derive(Debug, Clone)]
struct Fmt {
    currency: String,
    money_digits: usize,
}

impl Fmt {
    fn of(report: &KpiReport) -> Self {
        Self {
            currency: report.currency.clone(),
            money_digits: minor_digits(&report.currency) as usize,
        }
    }

    fn money(&self, v: f64) -> String {
        format!("{} {}", number(v, self.money_digits), self.currency)
    }

    /// A value in its unit; `—` where undefined.
    fn value(&self, v: Option<f64>, unit: &str) -> String {
        let Some(v) = v.filter(|v| v.is_finite()) else {
            return "—".to_owned();
        };
        match unit {
            "count" => number(v, 0),
            "fraction" => format!("{:.1} %", v * 100.0),
            "money" => self.money(v),
            "per_month" => format!("{} / month", number(v, 1)),
            _ => number(v, 2),
        }
    }

    /// The change from `before` to `now` in the unit (percentage points for fractions).
    fn change(&self, now: Option<f64>, before: Option<f64>, unit: &str) -> Option<(f64, String)> {
        let (now, before) = (now?, before?);
        let d = now - before;
        if !d.is_finite() {
            return None;
        }
        // The change as shown, so that one which rounds to zero ("0.0 pp") is no change:
        // neither signed nor coloured.
        let shown = |x: f64, decimals: i32| {
            let scale = 10f64.powi(decimals);
            let r = (x * scale).round() / scale;
            if r == 0.0 {
                0.0
            } else {
                r
            }
        };
        let d = match unit {
            "fraction" => shown(d * 100.0, 1) / 100.0,
            "count" => shown(d, 0),
            "money" => shown(d, self.money_digits as i32),
            "score" => shown(d, 0),
            _ => shown(d, 2),
        };
        let sign = if d > 0.0 { "+" } else { "" };
        let text = match unit {
            "fraction" => format!("{sign}{:.1} pp", d * 100.0),
            "count" => format!("{sign}{}", number(d, 0)),
            "money" => format!("{sign}{}", self.money(d)),
            "score" => format!("{sign}{:.0}", d),
            _ => format!("{sign}{}", number(d, 2)),
        };
        Some((d, text))
    }
}

/// `good`/`bad`/`flat` for a change, knowing whether lower is better.
fn change_class(d: f64, lower_is_better: bool) -> &'static str {
    if d.abs() < 1e-9 {
        "flat"
    } else if (d > 0.0) != lower_is_better {
        "good"
    } else {
        "bad"
    }
}

/// A piece of a counting rule: plain text, or a name (written `like this` in the rule)
/// shown as code.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePart {
    pub code: bool,
    pub text: String,
}

/// A rule's text split at its backticks, so a page shows `from` as code rather than
/// literal backticks. An unpaired backtick stays as text.
fn rule_parts(rule: &str) -> Vec<RulePart> {
    let pieces: Vec<&str> = rule.split('`').collect();
    if pieces.len().is_multiple_of(2) {
        return vec![RulePart {
            code: false,
            text: rule.to_owned(),
        }];
    }
    pieces
        .into_iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| RulePart {
            code: i % 2 == 1,
            text: t.to_owned(),
        })
        .collect()
}

/// Whether a month of the series is only partly in the period (the current month, or
/// the last month of a period that ends before the month does): its figures are not a
/// month's, so a sparkline leaves it out.
fn partial_month(m: &advocate_store::insight::kpis::MonthPoint) -> bool {
    let month_end = m
        .from
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .and_then(|d| d.pred_opt())
        .unwrap_or(m.to);
    m.to < month_end || m.from.day() != 1
}

// ---- view models -----------------------------------------------------------------------

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

#[derive(Debug, Clone, PartialEq)]
pub struct ReplyRow {
    pub channel: String,
    pub median: String,
    pub n: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportLink {
    pub label: String,
    pub href: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeriodChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// `/kpis`.
#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "kpis.html")]
pub struct KpiPage {
    pub workspace: String,
    pub user: String,
    pub periods: Vec<PeriodChoice>,
    pub from: String,
    pub to: String,
    pub range: String,
    pub previous_range: String,
    pub segments: Vec<SelectOption>,
    pub touchpoints: Vec<SelectOption>,
    pub narrowed: String,
    pub tiles: Vec<Tile>,
    pub comparison: Vec<ComparisonRow>,
    pub linkage: LinkageView,
    pub months: Vec<MonthRow>,
    pub replies: Vec<ReplyRow>,
    pub reply_definition: String,
    pub rules: Vec<Vec<RulePart>>,
    pub exports: Vec<ExportLink>,
    pub report_href: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportComment {
    pub score: u8,
    pub class: &'static str,
    pub comment: String,
    pub meta: String,
}

/// The NPS block of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportNps {
    pub value: String,
    pub interval: String,
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub change: String,
    pub change_class: &'static str,
    pub definition: String,
}

/// `/reports/quarterly`.
#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "report_quarterly.html")]
pub struct QuarterlyReport {
    pub workspace: String,
    pub quarter: String,
    pub range: String,
    /// The previous quarter (what changes compare with).
    pub previous_range: String,
    pub generated: String,
    pub previous_href: String,
    pub next_href: String,
    pub nps: ReportNps,
    pub trend_svg: String,
    pub kpis: Vec<ComparisonRow>,
    pub linkage: LinkageView,
    pub closed_loop: ClosedLoopCard,
    pub promoter_comments: Vec<ReportComment>,
    pub detractor_comments: Vec<ReportComment>,
    pub rules: Vec<Vec<RulePart>>,
}

// ---- building the views ----------------------------------------------------------------

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

fn nps_text(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "—".to_owned(), charts::signed)
}

fn nps_interval(f: &KpiFigures) -> String {
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

fn nps_change(r: &KpiReport, fmt: &Fmt) -> (String, &'static str) {
    fmt.change(r.figures.nps.value, r.previous.nps.value, "score")
        .map_or((String::new(), "flat"), |(d, t)| {
            (t, change_class(d, false))
        })
}

fn comparison(r: &KpiReport, fmt: &Fmt) -> Vec<ComparisonRow> {
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

fn tiles(r: &KpiReport, fmt: &Fmt) -> Vec<Tile> {
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

fn linkage(r: &KpiReport, fmt: &Fmt) -> LinkageView {
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

fn months(r: &KpiReport, fmt: &Fmt) -> Vec<MonthRow> {
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

/// `plan:pro` options: each segment attribute's values seen in answers.
async fn segment_options(
    state: &AppState,
    workspace_id: i64,
    chosen: Option<&str>,
) -> Result<Vec<SelectOption>, PageError> {
    let store = &state.store;
    let mut options = vec![SelectOption::new("", "All customers", chosen.is_none())];
    for attr in store
        .analytics()
        .segment_attributes(workspace_id)
        .await
        .map_err(internal)?
    {
        let Ok(label) = Label::new(&attr) else {
            continue;
        };
        let report = store
            .analytics()
            .report(&NpsQuery {
                workspace_id,
                survey: None,
                from: None,
                to: None,
                group_by: Some(GroupBy::Segment(label)),
                ci: CiMethod::AdjustedWald,
            })
            .await
            .map_err(internal)?;
        for g in report
            .groups
            .unwrap_or_default()
            .into_iter()
            .take(SEGMENT_VALUES_SHOWN)
        {
            let value = format!("{attr}:{}", g.key);
            let selected = chosen == Some(value.as_str());
            options.push(SelectOption::new(value.clone(), value, selected));
        }
    }
    // A segment typed into the URL stays visible even when no answer carries it.
    if let Some(c) = chosen {
        if !options.iter().any(|o| o.value == c) {
            options.push(SelectOption::new(c, c, true));
        }
    }
    Ok(options)
}

async fn touchpoint_options(
    state: &AppState,
    workspace_id: i64,
    chosen: Option<&str>,
) -> Result<Vec<SelectOption>, PageError> {
    let mut names: Vec<String> = state
        .store
        .surveys()
        .list(workspace_id)
        .await
        .map_err(internal)?
        .into_iter()
        .filter_map(|s| s.touchpoint)
        .collect();
    if let Some(c) = chosen {
        names.push(c.to_owned());
    }
    names.sort();
    names.dedup();
    let mut options = vec![SelectOption::new("", "All touchpoints", chosen.is_none())];
    options.extend(
        names
            .into_iter()
            .map(|t| SelectOption::new(t.clone(), t.clone(), chosen == Some(t.as_str()))),
    );
    Ok(options)
}

fn split_segment(s: Option<&str>) -> Result<Option<(String, String)>, PageError> {
    match s {
        None => Ok(None),
        Some(s) => s
            .split_once(':')
            .filter(|(a, v)| !a.is_empty() && !v.is_empty())
            .map(|(a, v)| Some((a.to_owned(), v.to_owned())))
            .ok_or(PageError(
                StatusCode::BAD_REQUEST,
                "A segment is written attribute:value, e.g. plan:pro.",
            )),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct KpiFilters {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    segment: Option<String>,
    touchpoint: Option<String>,
}

const BAD_SEGMENT: &str = "That segment cannot be used: a segment is attribute:value, where the \
     attribute has letters, digits, '_', '-' or '.' only.";

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(f): Query<KpiFilters>,
) -> Result<KpiPage, PageError> {
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let period = nonempty(&f.period)
        .filter(|p| KPI_PERIODS.iter().any(|(c, _)| c == p))
        .unwrap_or_else(|| "this_quarter".to_owned());
    let today = Utc::now().date_naive();
    let (from, to) = resolve_period(&period, f.from.as_deref(), f.to.as_deref(), today)?;
    let segment = nonempty(&f.segment);
    let touchpoint = nonempty(&f.touchpoint);
    let workspace = super::workspace_of(&state, user.workspace_id).await?.name;
    let report = state
        .store
        .kpis()
        .report(&KpiQuery {
            workspace_id: user.workspace_id,
            from,
            to,
            segment: split_segment(segment.as_deref())?,
            touchpoint: touchpoint.clone(),
        })
        .await
        .map_err(|e| store_error(e, BAD_SEGMENT))?;
    let fmt = Fmt::of(&report);
    let dates = format!("from={from}&to={to}");
    let exports = ["answers", "customers", "cases", "kpis"]
        .iter()
        .flat_map(|what| {
            let query = match *what {
                "answers" | "kpis" => format!("?{dates}"),
                _ => String::new(),
            };
            ["csv", "xlsx"].map(|ext| ExportLink {
                label: format!("{what}.{ext}"),
                href: format!("/export/{what}.{ext}{query}"),
            })
        })
        .collect();
    let narrowed = [
        segment.as_ref().map(|s| format!("segment {s}")),
        touchpoint.as_ref().map(|t| format!("touchpoint {t}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    Ok(KpiPage {
        workspace,
        user: user.email,
        periods: KPI_PERIODS
            .iter()
            .map(|(code, label)| PeriodChoice {
                code,
                label,
                selected: *code == period,
            })
            .collect(),
        from: from.to_string(),
        to: to.to_string(),
        range: range_text(from, to),
        previous_range: range_text(report.previous.from, report.previous.to),
        segments: segment_options(&state, user.workspace_id, segment.as_deref()).await?,
        touchpoints: touchpoint_options(&state, user.workspace_id, touchpoint.as_deref()).await?,
        narrowed,
        tiles: tiles(&report, &fmt),
        comparison: comparison(&report, &fmt),
        linkage: linkage(&report, &fmt),
        months: months(&report, &fmt),
        replies: report
            .figures
            .first_reply
            .channels
            .iter()
            .map(|c| ReplyRow {
                channel: c.channel.clone(),
                median: c.median_seconds.map_or_else(
                    || "—".to_owned(),
                    |s| super::cases::duration_text(s.round() as i64),
                ),
                n: c.n,
            })
            .collect(),
        reply_definition: report.figures.first_reply.definition.to_owned(),
        rules: report.rules.iter().map(|r| rule_parts(r)).collect(),
        exports,
        report_href: format!(
            "/reports/quarterly?quarter={}",
            encode(&quarter_code(quarter_start(from)))
        ),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct QuarterParam {
    quarter: Option<String>,
}

fn comment(c: PeriodComment) -> ReportComment {
    ReportComment {
        score: c.score,
        class: charts::score_class(c.score),
        comment: c.comment,
        meta: format!(
            "{} · {} · {}",
            c.answered_at.format("%Y-%m-%d"),
            c.survey,
            c.channel
        ),
    }
}

/// The printable quarterly report; without `quarter`, the last complete quarter.
pub async fn quarterly(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(q): Query<QuarterParam>,
) -> Result<QuarterlyReport, PageError> {
    let today = Utc::now().date_naive();
    let start = match q
        .quarter
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => parse_quarter(s).ok_or(PageError(
            StatusCode::BAD_REQUEST,
            "quarter must look like 2026-Q3 (a year and Q1 to Q4).",
        ))?,
        None => quarter_start(quarter_start(today).pred_opt().unwrap_or(today)),
    };
    let end = quarter_end(start);
    let ws = user.workspace_id;
    let workspace = super::workspace_of(&state, ws).await?.name;
    let store = &state.store;
    // Compared with the previous quarter (not the 92 days before: 31 Mar – 30 Jun).
    let report = store
        .kpis()
        .report_against(
            &KpiQuery {
                workspace_id: ws,
                from: start,
                to: end,
                segment: None,
                touchpoint: None,
            },
            previous_quarter(start),
        )
        .await
        .map_err(internal)?;
    let fmt = Fmt::of(&report);
    // The trend: a year of months up to the quarter's end.
    let trend_from = end
        .checked_sub_months(Months::new(12))
        .and_then(|d| d.succ_opt())
        .unwrap_or(start);
    let trend = store
        .analytics()
        .report(&NpsQuery {
            workspace_id: ws,
            survey: None,
            from: Some(trend_from),
            to: Some(end),
            group_by: Some(GroupBy::Time(Granularity::Month)),
            ci: CiMethod::AdjustedWald,
        })
        .await
        .map_err(internal)?;
    let points: Vec<TrendPoint> = trend
        .groups
        .unwrap_or_default()
        .iter()
        .map(|g| TrendPoint {
            label: g.key.clone(),
            nps: g.summary.nps,
            low: g.summary.ci95.map(|i| i.low),
            high: g.summary.ci95.map(|i| i.high),
            n: g.summary.n,
        })
        .collect();
    let instant = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let after_end = end.succ_opt().unwrap_or(end);
    // Chosen across the quarter: each month's longest comments, the months taking turns.
    let exports = store.exports();
    let comments =
        |range: (u8, u8)| exports.spread_comments(ws, start, end, range, REPORT_COMMENTS);
    let promoters = comments((9, 10)).await.map_err(internal)?;
    let detractors = comments((0, 6)).await.map_err(internal)?;
    // Only cases opened in the quarter.
    let health = store
        .cases()
        .health_between(ws, Some(instant(start)), Some(instant(after_end)))
        .await
        .map_err(internal)?;
    let (change, change_class) = nps_change(&report, &fmt);
    let nps = &report.figures.nps;
    let link = |d: Option<NaiveDate>| {
        d.map(|d| {
            format!(
                "/reports/quarterly?quarter={}",
                quarter_code(quarter_start(d))
            )
        })
        .unwrap_or_default()
    };
    Ok(QuarterlyReport {
        workspace,
        quarter: quarter_code(start),
        range: range_text(start, end),
        previous_range: range_text(report.previous.from, report.previous.to),
        generated: today.to_string(),
        previous_href: link(start.pred_opt()),
        next_href: link(end.succ_opt()),
        nps: ReportNps {
            value: nps_text(nps.value),
            interval: nps_interval(&report.figures),
            n: nps.n,
            promoters: nps.promoters,
            passives: nps.passives,
            detractors: nps.detractors,
            change,
            change_class,
            definition: nps.definition.to_owned(),
        },
        trend_svg: charts::trend(&points),
        kpis: comparison(&report, &fmt),
        linkage: linkage(&report, &fmt),
        closed_loop: ClosedLoopCard::from_health(&health),
        promoter_comments: promoters.into_iter().map(comment).collect(),
        detractor_comments: detractors.into_iter().map(comment).collect(),
        rules: report.rules.iter().map(|r| rule_parts(r)).collect(),
    })
}

/// The exports for signed-in people: the API's code behind the session wall.
pub async fn download(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(file): Path<String>,
    Query(params): Query<ExportParams>,
) -> Response {
    match export_file(&state, user.workspace_id, &user.actor(), &file, &params).await {
        Ok(r) => r,
        Err(ApiError { status, detail, .. }) => (status, detail).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn quarters() {
        assert_eq!(quarter_start(d(2026, 8, 15)), d(2026, 7, 1));
        assert_eq!(quarter_end(d(2026, 7, 1)), d(2026, 9, 30));
        assert_eq!(quarter_end(d(2026, 10, 1)), d(2026, 12, 31));
        assert_eq!(parse_quarter("2026-Q3"), Some(d(2026, 7, 1)));
        assert_eq!(parse_quarter("2026-Q5"), None);
        assert_eq!(parse_quarter("26-Q1"), None);
        assert_eq!(parse_quarter("<b>"), None);
        assert_eq!(quarter_code(d(2026, 12, 31)), "2026-Q4");
    }

    #[test]
    fn periods() {
        let today = d(2026, 8, 15);
        assert_eq!(
            resolve_period("this_quarter", None, None, today).unwrap(),
            (d(2026, 7, 1), today)
        );
        assert_eq!(
            resolve_period("last_quarter", None, None, today).unwrap(),
            (d(2026, 4, 1), d(2026, 6, 30))
        );
        assert_eq!(
            resolve_period("12m", None, None, today).unwrap(),
            (d(2025, 8, 16), today)
        );
        assert_eq!(
            resolve_period("custom", Some("2026-01-01"), Some("2026-01-31"), today).unwrap(),
            (d(2026, 1, 1), d(2026, 1, 31))
        );
        assert!(resolve_period("custom", Some("2026-02-01"), Some("2026-01-31"), today).is_err());
        assert!(resolve_period("custom", Some("nope"), None, today).is_err());
    }

    #[test]
    fn formatting() {
        let fmt = Fmt {
            currency: "EUR".into(),
            money_digits: 2,
        };
        assert_eq!(fmt.value(Some(0.1234), "fraction"), "12.3 %");
        assert_eq!(
            fmt.value(Some(1234567.0), "count"),
            "1\u{202f}234\u{202f}567"
        );
        assert_eq!(fmt.value(Some(-1234.5), "money"), "-1\u{202f}234.50 EUR");
        assert_eq!(fmt.value(None, "money"), "—");
        assert_eq!(
            fmt.change(Some(0.12), Some(0.10), "fraction").unwrap().1,
            "+2.0 pp"
        );
        assert_eq!(fmt.change(Some(5.0), Some(8.0), "count").unwrap().1, "-3");
        assert_eq!(fmt.change(None, Some(8.0), "count"), None);
        assert_eq!(change_class(0.02, true), "bad");
        assert_eq!(change_class(0.02, false), "good");
        assert_eq!(change_class(0.0, false), "flat");
        // A change that rounds to zero is shown unsigned and is neutral, not red.
        let (d, text) = fmt.change(Some(0.1003), Some(0.1004), "fraction").unwrap();
        assert_eq!((text.as_str(), change_class(d, false)), ("0.0 pp", "flat"));
        let (d, text) = fmt.change(Some(0.1004), Some(0.1003), "fraction").unwrap();
        assert_eq!((text.as_str(), change_class(d, true)), ("0.0 pp", "flat"));
        let (d, text) = fmt.change(Some(10.001), Some(10.0), "money").unwrap();
        assert_eq!(
            (text.as_str(), change_class(d, false)),
            ("0.00 EUR", "flat")
        );
    }

    #[test]
    fn rules_show_names_as_code_not_backticks() {
        let parts = rule_parts("The period runs from `from` 00:00 UTC to the end of `to`.");
        let shown: Vec<(bool, &str)> = parts.iter().map(|p| (p.code, p.text.as_str())).collect();
        assert_eq!(
            shown,
            [
                (false, "The period runs from "),
                (true, "from"),
                (false, " 00:00 UTC to the end of "),
                (true, "to"),
                (false, ".")
            ]
        );
        assert_eq!(rule_parts("odd ` one")[0].text, "odd ` one");
    }

    #[test]
    fn the_partial_current_month_is_left_out_of_sparklines() {
        let point = |from: NaiveDate, to: NaiveDate| advocate_store::insight::kpis::MonthPoint {
            month: from.format("%Y-%m").to_string(),
            from,
            to,
            churn_rate: None,
            nps: None,
            revenue: 0.0,
            complaints: 0,
        };
        assert!(!partial_month(&point(d(2026, 11, 1), d(2026, 11, 30))));
        assert!(partial_month(&point(d(2026, 12, 1), d(2026, 12, 2))));
        assert!(partial_month(&point(d(2026, 10, 15), d(2026, 10, 31))));
        assert!(!partial_month(&point(d(2026, 2, 1), d(2026, 2, 28))));
    }
}
