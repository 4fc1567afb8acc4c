//! The workspace dashboard: NPS with its interval and change, trend, distribution,
//! breakdowns and the latest comments — all read from the rollups.

use super::signin::RequireSignIn;
use super::views::{
    encode, Breakdown, ClosedLoopCard, CommentRow, DashboardPage, PeriodLink, ResponseRateRow,
    SelectOption, Summary, PERIODS,
};
use crate::auth::SignedIn;
use crate::charts::{self, BreakdownRow, TrendPoint};
use crate::error::ApiError;
use crate::state::AppState;
use advocate_core::{CiMethod, Granularity, GroupBy, Label, SurveyKind};
use advocate_store::insight::analytics::NpsQuery;
use advocate_store::insight::report::NpsGroup;
use advocate_store::insight::report::NpsReport;
use advocate_store::models::Survey;
use advocate_store::Store;
use axum::extract::{Query, State};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;

const COMMENTS_SHOWN: u32 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    survey: Option<String>,
    period: Option<String>,
    segment: Option<String>,
}

/// First day of a period code and the trend's granularity for it.
fn period_window(code: &str, today: NaiveDate) -> (Option<NaiveDate>, Granularity) {
    let back = |days: u64| today.checked_sub_days(Days::new(days - 1));
    match code {
        "30d" => (back(30), Granularity::Day),
        "90d" => (back(90), Granularity::Week),
        "all" => (None, Granularity::Month),
        _ => (back(365), Granularity::Month),
    }
}

/// The rows of a breakdown; eNPS groups too small to show anonymously are left out.
fn breakdown_rows(groups: &[NpsGroup]) -> Vec<BreakdownRow> {
    groups
        .iter()
        .filter(|g| g.suppressed.is_none())
        .map(|g| BreakdownRow {
            key: g.key.clone(),
            nps: g.summary.nps,
            low: g.summary.ci95.map(|i| i.low),
            high: g.summary.ci95.map(|i| i.high),
            n: g.summary.n,
            significant_change: g
                .change
                .as_ref()
                .filter(|c| c.significant)
                .and_then(|c| c.difference),
        })
        .collect()
}

fn groups(report: NpsReport) -> Vec<NpsGroup> {
    report.groups.unwrap_or_default()
}

/// The NPS rows of a trend chart, one a period.
pub(super) fn trend_points(groups: &[NpsGroup]) -> Vec<TrendPoint> {
    groups
        .iter()
        .map(|g| TrendPoint {
            label: g.key.clone(),
            nps: g.summary.nps,
            low: g.summary.ci95.map(|i| i.low),
            high: g.summary.ci95.map(|i| i.high),
            n: g.summary.n,
        })
        .collect()
}

/// Midnight UTC at the start of a period's first day.
fn start_of(from: Option<NaiveDate>) -> Option<DateTime<Utc>> {
    from.and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The attribute the segment breakdown groups by: the one asked for if answers carry it;
/// otherwise customers are broken down by plan first, employees by anything but a
/// customer's plan (department, team, …).
fn segment_of(asked: Option<String>, attributes: &[String], enps: bool) -> Option<String> {
    asked.filter(|s| attributes.contains(s)).or_else(|| {
        if enps {
            attributes.iter().find(|a| *a != "plan").cloned()
        } else {
            attributes
                .iter()
                .find(|a| *a == "plan")
                .or(attributes.first())
                .cloned()
        }
    })
}

/// What the dashboard shows: a survey (or all NPS surveys) from a day up to today.
struct Scope {
    workspace_id: i64,
    survey: Option<String>,
    from: Option<NaiveDate>,
    today: NaiveDate,
}

impl Scope {
    fn query(&self, group_by: Option<GroupBy>) -> NpsQuery {
        NpsQuery {
            workspace_id: self.workspace_id,
            survey: self.survey.clone(),
            from: self.from,
            to: Some(self.today),
            group_by,
            ci: CiMethod::AdjustedWald,
        }
    }
}

/// The reports the dashboard's charts are drawn from.
struct Reports {
    headline: NpsReport,
    trend: Vec<NpsGroup>,
    touchpoints: Vec<NpsGroup>,
    channels: Vec<NpsGroup>,
    segments: Vec<NpsGroup>,
}

async fn reports(
    store: &Store,
    scope: &Scope,
    granularity: Granularity,
    segment: Option<&str>,
) -> Result<Reports, ApiError> {
    let headline = store.analytics().report(&scope.query(None)).await?;
    let trend = groups(
        store
            .analytics()
            .report(&scope.query(Some(GroupBy::Time(granularity))))
            .await?,
    );
    let touchpoints = groups(
        store
            .analytics()
            .report(&scope.query(Some(GroupBy::Touchpoint)))
            .await?,
    );
    let channels = groups(
        store
            .analytics()
            .report(&scope.query(Some(GroupBy::Channel)))
            .await?,
    );
    let segments = match segment.and_then(|s| Label::new(s).ok()) {
        Some(attr) => groups(
            store
                .analytics()
                .report(&scope.query(Some(GroupBy::Segment(attr))))
                .await?,
        ),
        None => Vec::new(),
    };
    Ok(Reports {
        headline,
        trend,
        touchpoints,
        channels,
        segments,
    })
}

/// The latest comments, and why they are hidden when they are.
///
/// eNPS comments are anonymous: only for a group (the survey over the period) of at
/// least the minimum size, only from that period, and with the month alone — a day,
/// channel or language can point at the one person who answered then.
async fn comments(
    store: &Store,
    scope: &Scope,
    survey_ids: &[i64],
    headline: &NpsReport,
    enps: bool,
    min_group: u32,
) -> Result<(Vec<CommentRow>, String), ApiError> {
    let ws = scope.workspace_id;
    let group_too_small =
        enps && (headline.suppressed.is_some() || headline.summary.n < u64::from(min_group));
    let comments_hidden = match group_too_small {
        true => format!(
            "Comments are hidden: this group has fewer than {min_group} answers (the eNPS \
             minimum group size), so they could tell who wrote them."
        ),
        false => String::new(),
    };
    let period_start = start_of(scope.from);
    let latest = match group_too_small {
        true => Vec::new(),
        false => store
            .answers()
            .latest_comments(ws, Some(survey_ids), COMMENTS_SHOWN)
            .await?
            .into_iter()
            .filter(|a| !enps || period_start.is_none_or(|s| a.answered_at >= s))
            .collect(),
    };
    // Customer detractors nobody can contact are marked for review; eNPS has no cases.
    let for_review = match enps {
        true => Default::default(),
        false => {
            let ids: Vec<i64> = latest.iter().map(|a| a.id).collect();
            store.cases().anonymous_for_review(ws, &ids).await?
        }
    };
    let comments = latest
        .into_iter()
        .map(|a| CommentRow {
            for_review: for_review.contains(&a.id),
            score: a.score,
            comment: a.comment.unwrap_or_default(),
            date: a
                .answered_at
                .format(if enps { "%Y-%m" } else { "%Y-%m-%d" })
                .to_string(),
            channel: if enps { String::new() } else { a.channel },
            language: if enps {
                String::new()
            } else {
                a.language.unwrap_or_default()
            },
        })
        .collect();
    Ok((comments, comments_hidden))
}

/// The surveys shown: the chosen one, or every NPS survey.
fn shown_survey_ids(surveys: &[Survey], chosen: Option<&String>) -> Vec<i64> {
    surveys
        .iter()
        .filter(|s| chosen.map_or(s.kind == SurveyKind::Nps, |c| &s.slug == c))
        .map(|s| s.id)
        .collect()
}

fn survey_options(surveys: &[Survey], chosen: Option<&String>) -> Vec<SelectOption> {
    let mut options = vec![SelectOption::new("", "All NPS surveys", chosen.is_none())];
    options.extend(surveys.iter().map(|s| {
        let label = format!("{} ({})", s.name, s.kind);
        SelectOption::new(s.slug.clone(), label, chosen == Some(&s.slug))
    }));
    options
}

/// Response rates of the shown surveys since `since`.
async fn response_rates(
    store: &Store,
    scope: &Scope,
    since: Option<DateTime<Utc>>,
    surveys: &[Survey],
    survey_ids: &[i64],
) -> Result<Vec<ResponseRateRow>, ApiError> {
    let names: std::collections::HashMap<i64, String> =
        surveys.iter().map(|s| (s.id, s.name.clone())).collect();
    Ok(store
        .invitations()
        .response_rates(scope.workspace_id, since.unwrap_or_default(), None)
        .await?
        .into_iter()
        .filter(|r| scope.survey.is_none() || survey_ids.contains(&r.survey_id))
        .filter_map(|r| {
            Some(ResponseRateRow {
                survey: names.get(&r.survey_id)?.clone(),
                channel: r.channel.to_string(),
                sent: r.sent,
                delivered: r.delivered,
                opened: r.opened,
                answered: r.answered,
                rate: format!("{:.1} %", r.response_rate * 100.0),
            })
        })
        .collect())
}

/// For those who can act on them on the settings page (they name the admins).
async fn setup_warnings(store: &Store, user: &SignedIn) -> Result<Vec<String>, ApiError> {
    Ok(if user.role.grants(advocate_core::Permission::Configure) {
        store
            .workspaces()
            .setup_warnings(user.workspace_id)
            .await?
            .into_iter()
            .map(|w| w.message)
            .collect()
    } else {
        Vec::new()
    })
}

/// The two largest shown groups of the segment breakdown, compared over the period.
fn compare_href(segments: &[NpsGroup], segment: Option<&str>, scope: &Scope) -> String {
    let mut shown: Vec<&NpsGroup> = segments
        .iter()
        .filter(|g| g.suppressed.is_none() && g.summary.n > 0 && g.key != "(none)")
        .collect();
    shown.sort_by(|x, y| y.summary.n.cmp(&x.summary.n).then(x.key.cmp(&y.key)));
    match (segment, shown.as_slice()) {
        (Some(attr), [first, second, ..]) => {
            let mut q = vec![
                format!("a.segment={}", encode(&format!("{attr}:{}", first.key))),
                format!("b.segment={}", encode(&format!("{attr}:{}", second.key))),
            ];
            if let Some(f) = scope.from {
                q.push(format!("a.from={f}&b.from={f}"));
            }
            if let Some(c) = &scope.survey {
                q.push(format!("a.survey={0}&b.survey={0}", encode(c)));
            }
            format!("/compare?{}", q.join("&"))
        }
        _ => String::new(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(f): Query<Filters>,
) -> Result<DashboardPage, ApiError> {
    let store = &state.store;
    let ws = store
        .workspaces()
        .get(user.workspace_id)
        .await?
        .ok_or_else(|| ApiError::internal("signed-in user's workspace is missing"))?;
    let surveys: Vec<_> = store
        .surveys()
        .list(ws.id)
        .await?
        .into_iter()
        .filter(|s| s.kind != SurveyKind::Csat)
        .collect();
    let chosen = f.survey.filter(|s| surveys.iter().any(|x| &x.slug == s));
    let period = f
        .period
        .filter(|p| PERIODS.iter().any(|(c, _)| c == p))
        .unwrap_or_else(|| "12m".into());
    let today = Utc::now().date_naive();
    let (from, mut granularity) = period_window(&period, today);
    let enps = surveys
        .iter()
        .any(|s| Some(&s.slug) == chosen.as_ref() && s.kind == SurveyKind::Enps);
    if enps && granularity == Granularity::Day {
        // eNPS is anonymous: a day can hold a single answer, so weeks at the finest.
        granularity = Granularity::Week;
    }
    let attributes = store.analytics().segment_attributes(ws.id).await?;
    let segment = segment_of(f.segment, &attributes, enps);
    let scope = Scope {
        workspace_id: ws.id,
        survey: chosen.clone(),
        from,
        today,
    };
    let r = reports(store, &scope, granularity, segment.as_deref()).await?;
    let survey_ids = shown_survey_ids(&surveys, chosen.as_ref());
    let min_group = store.settings().get(ws.id).await?.enps_min_group_size;
    let (comments, comments_hidden) =
        comments(store, &scope, &survey_ids, &r.headline, enps, min_group).await?;
    let keep = [
        ("survey", chosen.clone().unwrap_or_default()),
        ("segment", segment.clone().unwrap_or_default()),
    ];
    let keep: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Cases opened in the period (open and overdue are as of now).
    let since = start_of(from);
    let health = store.cases().health(ws.id, since).await?;
    let response_rates = response_rates(store, &scope, since, &surveys, &survey_ids).await?;
    let setup_warnings = setup_warnings(store, &user).await?;
    let themes = talked_about(store, &scope, &surveys).await?;
    let score_name = if enps { "eNPS" } else { "NPS" };
    let segment_title = format!(
        "{score_name} by {}",
        segment.as_deref().unwrap_or("segment")
    );
    let breakdown = |title: String, groups: &[NpsGroup]| {
        let mut b = Breakdown::new(title, breakdown_rows(groups));
        if enps {
            b.note = format!(
                "Groups of fewer than {min_group} answers are hidden (eNPS anonymity), and \
                 so is one more when only one would be."
            );
        }
        b
    };
    Ok(DashboardPage {
        workspace: ws.name,
        user: user.email,
        action: "/dashboard".into(),
        surveys: survey_options(&surveys, chosen.as_ref()),
        periods: PeriodLink::standard(&period, &keep),
        period_label: PERIODS
            .iter()
            .find(|(c, _)| *c == period)
            .map_or("", |(_, l)| l)
            .to_owned(),
        period,
        summary: Summary::from_report(&r.headline),
        trend_svg: charts::trend(&trend_points(&r.trend)),
        distribution_svg: charts::distribution(&r.headline.summary.distribution),
        touchpoints: breakdown(format!("{score_name} by touchpoint"), &r.touchpoints),
        channels: breakdown(format!("{score_name} by channel"), &r.channels),
        segment_attributes: attributes
            .iter()
            .map(|a| SelectOption::new(a.clone(), a.clone(), segment.as_ref() == Some(a)))
            .collect(),
        compare_href: compare_href(&r.segments, segment.as_deref(), &scope),
        segments: breakdown(segment_title, &r.segments),
        comments,
        comments_hidden,
        score_name,
        enps,
        closed_loop: ClosedLoopCard::from_health(&health),
        response_rates,
        setup_warnings,
        themes_svg: themes.svg,
        top_themes: themes.top,
        rising_themes: themes.rising,
    })
}

/// What the "What customers talk about" card shows.
struct TalkedAbout {
    svg: String,
    /// The top themes by impact: (explorer link, text).
    top: Vec<(String, String)>,
    /// The rising themes: (explorer link, text).
    rising: Vec<(String, String)>,
}

/// The comment explorer showing a theme's comments of the dashboard's period and survey.
fn explorer_href(theme: &str, scope: &Scope) -> String {
    let mut href = format!("/comments?theme={}", encode(theme));
    if let Some(from) = scope.from {
        href.push_str(&format!("&from={from}&to={}", scope.today));
    }
    if let Some(slug) = &scope.survey {
        href.push_str(&format!("&survey={}", encode(slug)));
    }
    href
}

/// "What customers talk about": the period's top themes by impact (bars with 95 %
/// whiskers) and the themes rising against the period before (none for all time), each
/// with a link to its comments; the store applies eNPS anonymity.
async fn talked_about(
    store: &advocate_store::Store,
    scope: &Scope,
    surveys: &[advocate_store::models::Survey],
) -> Result<TalkedAbout, ApiError> {
    let survey_id = match &scope.survey {
        Some(slug) => surveys.iter().find(|s| &s.slug == slug).map(|s| s.id),
        None => None,
    };
    let day = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let q = advocate_store::themes::report::ThemeQuery {
        workspace_id: scope.workspace_id,
        from: day(scope.from.unwrap_or_default()),
        to: day(scope.today + chrono::Duration::days(1)),
        survey_id,
    };
    // "All time" has no period before it, so nothing rises.
    let (report, rising) = match scope.from {
        Some(_) => store.themes().report_with_rising(&q).await?,
        None => (store.themes().report(&q).await?, Vec::new()),
    };
    // Themes by their names in the workspace's taxonomy (renamed or added ones too).
    let taxonomy = store.themes().taxonomy(scope.workspace_id).await?.taxonomy;
    let name_of = |key: &str| {
        taxonomy
            .name_of(key, advocate_core::themes::Lang::En)
            .to_owned()
    };
    let top: Vec<_> = report.drivers.iter().take(6).collect();
    let rows: Vec<charts::BreakdownRow> = top
        .iter()
        .map(|d| charts::BreakdownRow {
            key: name_of(&d.key.theme),
            nps: d.driver.impact,
            low: d.driver.impact_ci95_low,
            high: d.driver.impact_ci95_high,
            n: d.key.mentions,
            significant_change: None,
        })
        .collect();
    let links = top
        .iter()
        .map(|d| {
            let note = if d.driver.small_group {
                "small group"
            } else if d.driver.significant {
                "significant"
            } else {
                "not significant"
            };
            (
                explorer_href(&d.key.theme, scope),
                format!(
                    "{} · {} mentions · {note}",
                    name_of(&d.key.theme),
                    d.key.mentions
                ),
            )
        })
        .collect();
    let rising = rising
        .iter()
        .map(|r| {
            (
                explorer_href(&r.theme, scope),
                format!(
                    "{}: {:.0} % → {:.0} % of comments",
                    name_of(&r.theme),
                    r.change.previous_share,
                    r.change.share
                ),
            )
        })
        .collect();
    Ok(TalkedAbout {
        svg: charts::breakdown_titled("Impact on NPS by theme", "impact on NPS", &rows),
        top: links,
        rising,
    })
}
