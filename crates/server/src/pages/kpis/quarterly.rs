//! The printable quarterly report (`/reports/quarterly`).

use super::figures::{
    comparison, linkage, nps_change, nps_interval, nps_text, ComparisonRow, LinkageView,
};
use super::format::{rule_parts, Fmt, RulePart};
use super::periods::{parse_quarter, quarter_code, quarter_end, quarter_start, range_text};
use super::REPORT_COMMENTS;
use crate::charts;
use crate::pages::dashboard::trend_points;
use crate::pages::signin::RequireSignIn;
use crate::pages::views::ClosedLoopCard;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::period::previous_quarter;
use advocate_core::{CiMethod, Granularity, GroupBy};
use advocate_store::insight::analytics::NpsQuery;
use advocate_store::insight::exports::PeriodComment;
use advocate_store::insight::kpis::{KpiQuery, KpiReport};
use advocate_store::Store;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{Months, NaiveDate, Utc};
use serde::Deserialize;

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

/// The quarter asked for (`2026-Q3`); without one, the last complete quarter.
fn chosen_quarter(asked: Option<&str>, today: NaiveDate) -> Result<NaiveDate, PageError> {
    Ok(match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_quarter(s).ok_or(PageError(
            StatusCode::BAD_REQUEST,
            "quarter must look like 2026-Q3 (a year and Q1 to Q4).",
        ))?,
        None => quarter_start(quarter_start(today).pred_opt().unwrap_or(today)),
    })
}

/// The NPS trend: a year of months up to the quarter's end.
async fn year_trend(
    store: &Store,
    ws: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<String, PageError> {
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
            only: None,
        })
        .await
        .map_err(internal)?;
    Ok(charts::trend(&trend_points(
        &trend.groups.unwrap_or_default(),
    )))
}

fn report_nps(report: &KpiReport, fmt: &Fmt) -> ReportNps {
    let (change, change_class) = nps_change(report, fmt);
    let nps = &report.figures.nps;
    ReportNps {
        value: nps_text(nps.value),
        interval: nps_interval(&report.figures),
        n: nps.n,
        promoters: nps.promoters,
        passives: nps.passives,
        detractors: nps.detractors,
        change,
        change_class,
        definition: nps.definition.to_owned(),
    }
}

/// The report of the quarter holding `d`; empty without a day.
fn quarter_link(d: Option<NaiveDate>) -> String {
    d.map(|d| {
        format!(
            "/reports/quarterly?quarter={}",
            quarter_code(quarter_start(d))
        )
    })
    .unwrap_or_default()
}

/// The printable quarterly report; without `quarter`, the last complete quarter.
pub async fn quarterly(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(q): Query<QuarterParam>,
) -> Result<QuarterlyReport, PageError> {
    let today = Utc::now().date_naive();
    let start = chosen_quarter(q.quarter.as_deref(), today)?;
    let end = quarter_end(start);
    let ws = user.workspace_id;
    let workspace = crate::pages::workspace_of(&state, ws).await?.name;
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
    let trend_svg = year_trend(store, ws, start, end).await?;
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
    Ok(QuarterlyReport {
        workspace,
        quarter: quarter_code(start),
        range: range_text(start, end),
        previous_range: range_text(report.previous.from, report.previous.to),
        generated: today.to_string(),
        previous_href: quarter_link(start.pred_opt()),
        next_href: quarter_link(end.succ_opt()),
        nps: report_nps(&report, &fmt),
        trend_svg,
        kpis: comparison(&report, &fmt),
        linkage: linkage(&report, &fmt),
        closed_loop: ClosedLoopCard::from_health(&health),
        promoter_comments: promoters.into_iter().map(comment).collect(),
        detractor_comments: detractors.into_iter().map(comment).collect(),
        rules: report.rules.iter().map(|r| rule_parts(r)).collect(),
    })
}
