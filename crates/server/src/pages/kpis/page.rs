//! The KPI page (`/kpis`): its filters, choices and the view it renders.

use super::figures::{
    comparison, linkage, months, tiles, ComparisonRow, LinkageView, MonthRow, Tile,
};
use super::format::{rule_parts, Fmt, RulePart};
use super::periods::{quarter_code, quarter_start, range_text, resolve_period};
use super::{store_error, KPI_PERIODS, SEGMENT_VALUES_SHOWN};
use crate::pages::signin::RequireSignIn;
use crate::pages::views::{encode, SelectOption};
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::{CiMethod, GroupBy, Label};
use advocate_store::insight::analytics::NpsQuery;
use advocate_store::insight::kpis::KpiQuery;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;

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
                only: None,
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
    let workspace = crate::pages::workspace_of(&state, user.workspace_id)
        .await?
        .name;
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
                    |s| crate::pages::cases::duration_text(s.round() as i64),
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
