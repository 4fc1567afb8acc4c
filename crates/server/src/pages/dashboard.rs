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
use advocate_core::comments::CommentQuery;
use advocate_core::{query, CiMethod, Granularity, GroupBy, Label, SurveyKind};
use advocate_store::insight::analytics::NpsQuery;
use advocate_store::insight::comments::Viewer;
use advocate_store::insight::report::NpsGroup;
use advocate_store::insight::report::NpsReport;
use advocate_store::insight::shares::DashboardShare;
use advocate_store::models::Survey;
use advocate_store::Store;
use axum::extract::{Query, State};
use axum::http::Uri;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;

const COMMENTS_SHOWN: u32 = 20;

/// The dashboard's query: everything it shows is named here, so a view can be bookmarked.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    survey: Option<String>,
    period: Option<String>,
    segment: Option<String>,
    /// A custom range's first and last day (YYYY-MM-DD); either makes the period custom.
    from: Option<String>,
    to: Option<String>,
    /// One value of one dimension the whole page is narrowed to (`query::only`).
    only: Option<String>,
}

/// The days shown: a period's code ("custom" for a range), first day (none for all
/// time), last day, and the trend's granularity.
struct Window {
    code: String,
    from: Option<NaiveDate>,
    to: NaiveDate,
    granularity: Granularity,
}

/// A standard period ending today.
fn period_window(code: &str, today: NaiveDate) -> Window {
    let back = |days: u64| today.checked_sub_days(Days::new(days - 1));
    let (from, granularity) = match code {
        "30d" => (back(30), Granularity::Day),
        "90d" => (back(90), Granularity::Week),
        "all" => (None, Granularity::Month),
        _ => (back(365), Granularity::Month),
    };
    Window {
        code: code.to_owned(),
        from,
        to: today,
        granularity,
    }
}

/// A custom range (`to` defaults to today), with a granularity like the standard
/// periods of its length; or what is wrong with it.
fn custom_window(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Window, String> {
    let from = query::date("from", from.map(str::trim)).map_err(|e| e.into_message())?;
    let to = query::date("to", to.map(str::trim))
        .map_err(|e| e.into_message())?
        .unwrap_or(today);
    if let Some(f) = from.filter(|f| *f > to) {
        return Err(format!("from ({f}) is after to ({to}); swap them"));
    }
    let days = from.map_or(i64::MAX, |f| (to - f).num_days() + 1);
    let granularity = if days <= 62 {
        Granularity::Day
    } else if days <= 180 {
        Granularity::Week
    } else {
        Granularity::Month
    };
    Ok(Window {
        code: "custom".into(),
        from,
        to,
        granularity,
    })
}

/// The window asked for: a custom range when `from` or `to` is given, else a standard
/// period (the last 12 months by default). A bad range is named and the default shown.
fn window_of(f: &Filters, today: NaiveDate) -> (Window, Option<String>) {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    if given(&f.from) || given(&f.to) {
        match custom_window(f.from.as_deref(), f.to.as_deref(), today) {
            Ok(w) => return (w, None),
            Err(e) => return (period_window("12m", today), Some(e)),
        }
    }
    let code = f
        .period
        .as_deref()
        .filter(|p| PERIODS.iter().any(|(c, _)| c == p))
        .unwrap_or("12m");
    (period_window(code, today), None)
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

/// What the dashboard shows: a survey (or all NPS surveys) over a range of days, perhaps
/// narrowed to one value of one dimension (a touchpoint, channel, language or segment).
struct Scope {
    workspace_id: i64,
    survey: Option<String>,
    from: Option<NaiveDate>,
    to: NaiveDate,
    only: Option<(GroupBy, String)>,
}

impl Scope {
    fn query(&self, group_by: Option<GroupBy>) -> NpsQuery {
        NpsQuery {
            workspace_id: self.workspace_id,
            survey: self.survey.clone(),
            from: self.from,
            to: Some(self.to),
            group_by,
            ci: CiMethod::AdjustedWald,
            only: self.only.clone(),
        }
    }

    /// Whether a breakdown by `dimension` can be read: the rollups count one dimension at
    /// a time, so a narrowed page breaks down only by the dimension it is narrowed on.
    fn can_break_down(&self, dimension: &GroupBy) -> bool {
        self.only.as_ref().is_none_or(|(d, _)| d == dimension)
    }

    /// The narrowing in words ("channel email"); empty when there is none.
    fn only_label(&self) -> String {
        match &self.only {
            Some((GroupBy::Segment(attr), value)) => format!("{attr} {value}"),
            Some((dimension, value)) => format!("{dimension} {value}"),
            None => String::new(),
        }
    }

    /// The same view in the comment explorer: its period, survey and narrowing.
    fn explorer_query(&self) -> Vec<String> {
        let mut q = Vec::new();
        if let Some(from) = self.from {
            q.push(format!("from={from}"));
        }
        // A period ending today needs no end (and eNPS pages show no day they need not).
        if self.to != Utc::now().date_naive() {
            q.push(format!("to={}", self.to));
        }
        if let Some(slug) = &self.survey {
            q.push(format!("survey={}", encode(slug)));
        }
        match &self.only {
            Some((GroupBy::Segment(attr), v)) => {
                q.push(format!("segment={}", encode(&format!("{attr}:{v}"))))
            }
            Some((dimension, v)) => q.push(format!("{dimension}={}", encode(v))),
            None => {}
        }
        q
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

/// The groups of a breakdown; none when the page is narrowed on another dimension.
async fn breakdown_groups(
    store: &Store,
    scope: &Scope,
    dimension: GroupBy,
) -> Result<Vec<NpsGroup>, ApiError> {
    if !scope.can_break_down(&dimension) {
        return Ok(Vec::new());
    }
    Ok(groups(
        store
            .analytics()
            .report(&scope.query(Some(dimension)))
            .await?,
    ))
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
    let touchpoints = breakdown_groups(store, scope, GroupBy::Touchpoint).await?;
    let channels = breakdown_groups(store, scope, GroupBy::Channel).await?;
    let segments = match segment.and_then(|s| Label::new(s).ok()) {
        Some(attr) => breakdown_groups(store, scope, GroupBy::Segment(attr)).await?,
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

/// The latest comments of the view, and why they are hidden when they are. They are the
/// comment explorer's (the same filters, the same eNPS anonymity, an agent's own
/// customers only), each linked to its customer and case.
///
/// eNPS comments are anonymous: only for a group (the survey over the period) of at
/// least the minimum size, and with the month alone — a day, channel or language can
/// point at the one person who answered then.
async fn comments(
    store: &Store,
    scope: &Scope,
    user: &SignedIn,
    headline: &NpsReport,
    enps: bool,
    min_group: u32,
) -> Result<(Vec<CommentRow>, String), ApiError> {
    let ws = scope.workspace_id;
    let group_too_small =
        enps && (headline.suppressed.is_some() || headline.summary.n < u64::from(min_group));
    if group_too_small {
        let why = format!(
            "Comments are hidden: this group has fewer than {min_group} answers (the eNPS \
             minimum group size), so they could tell who wrote them."
        );
        return Ok((Vec::new(), why));
    }
    let (segment, touchpoint, channel, language) = match &scope.only {
        Some((GroupBy::Segment(a), v)) => (Some((a.to_string(), v.clone())), None, None, None),
        Some((GroupBy::Touchpoint, v)) => (None, Some(v.clone()), None, None),
        Some((GroupBy::Channel, v)) => (None, None, Some(v.clone()), None),
        Some((GroupBy::Language, v)) => (None, None, None, Some(v.clone())),
        _ => (None, None, None, None),
    };
    let q = CommentQuery {
        from: scope.from,
        to: Some(scope.to),
        // "All NPS surveys" leaves out eNPS and CSAT, like the figures above.
        kind: scope.survey.is_none().then_some(SurveyKind::Nps),
        survey: scope.survey.clone(),
        segment,
        touchpoint,
        channel,
        language,
        ..Default::default()
    };
    let owner = user.sees_only_own().then_some(user.email.as_str());
    let page = store
        .comments()
        .page(ws, &q, Viewer { owner }, COMMENTS_SHOWN, 0)
        .await?;
    // Customer detractors nobody can contact are marked for review; eNPS has no cases.
    let for_review = match enps {
        true => Default::default(),
        false => {
            let ids: Vec<i64> = page.rows.iter().map(|r| r.answer_id).collect();
            store.cases().anonymous_for_review(ws, &ids).await?
        }
    };
    let comments = page
        .rows
        .into_iter()
        .map(|r| CommentRow {
            for_review: for_review.contains(&r.answer_id),
            score: r.score,
            comment: r.comment.iter().map(|run| run.text.as_str()).collect(),
            date: r
                .answered_at
                .format(if r.month_only { "%Y-%m" } else { "%Y-%m-%d" })
                .to_string(),
            channel: r.channel.unwrap_or_default(),
            language: r.language.unwrap_or_default(),
            customer_href: r
                .customer_external_id
                .as_deref()
                .map(|id| format!("/customers/{}", encode(id)))
                .unwrap_or_default(),
            customer: r
                .customer_name
                .or(r.customer_external_id)
                .unwrap_or_default(),
            case_href: r
                .case_id
                .map(|id| format!("/cases/{id}"))
                .unwrap_or_default(),
        })
        .collect();
    Ok((comments, String::new()))
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
            q.push(format!("a.to={0}&b.to={0}", scope.to));
            if let Some(c) = &scope.survey {
                q.push(format!("a.survey={0}&b.survey={0}", encode(c)));
            }
            format!("/compare?{}", q.join("&"))
        }
        _ => String::new(),
    }
}

/// Who looks at the dashboard: a signed-in member, or anyone holding a share link, who
/// sees the figures only — no comments, nothing that leads to a customer, no forms.
pub(super) enum Audience<'a> {
    Member { user: &'a SignedIn, view: &'a str },
    Shared(&'a DashboardShare),
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    uri: Uri,
    Query(f): Query<Filters>,
) -> Result<DashboardPage, ApiError> {
    let view = uri.query().unwrap_or_default();
    build(
        &state,
        user.workspace_id,
        f,
        Audience::Member { user: &user, view },
    )
    .await
}

/// The filters a stored view (a dashboard query string) names.
pub(super) fn filters_of(view: &str) -> Option<Filters> {
    let uri: Uri = format!("/dashboard?{view}").parse().ok()?;
    Query::<Filters>::try_from_uri(&uri).ok().map(|q| q.0)
}

/// What is wrong with a view's filters (empty: nothing), as the dashboard would say it.
pub(super) fn view_error(f: &Filters) -> String {
    let today = Utc::now().date_naive();
    let (_, range) = window_of(f, today);
    let only = query::only("only", f.only.as_deref()).err();
    [range, only.map(|e| e.into_message())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) async fn build(
    state: &AppState,
    workspace_id: i64,
    f: Filters,
    audience: Audience<'_>,
) -> Result<DashboardPage, ApiError> {
    let store = &state.store;
    let member = match audience {
        Audience::Member { user, .. } => Some(user),
        Audience::Shared(_) => None,
    };
    let ws = store
        .workspaces()
        .get(workspace_id)
        .await?
        .ok_or_else(|| ApiError::internal("the dashboard's workspace is missing"))?;
    let surveys: Vec<_> = store
        .surveys()
        .list(ws.id)
        .await?
        .into_iter()
        .filter(|s| s.kind != SurveyKind::Csat)
        .collect();
    let chosen = f
        .survey
        .clone()
        .filter(|s| surveys.iter().any(|x| &x.slug == s));
    let today = Utc::now().date_naive();
    let (window, range_error) = window_of(&f, today);
    let (only, only_error) = match query::only("only", f.only.as_deref()) {
        Ok(only) => (only, None),
        Err(e) => (None, Some(e.into_message())),
    };
    let filter_error = [range_error, only_error]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let (period, from) = (window.code.clone(), window.from);
    let mut granularity = window.granularity;
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
        to: window.to,
        only,
    };
    let r = reports(store, &scope, granularity, segment.as_deref()).await?;
    let survey_ids = shown_survey_ids(&surveys, chosen.as_ref());
    let min_group = store.settings().get(ws.id).await?.enps_min_group_size;
    let (comments, comments_hidden) = match member {
        Some(user) => comments(store, &scope, user, &r.headline, enps, min_group).await?,
        None => (
            Vec::new(),
            "Comments are not part of a shared view: they can tell who wrote them.".into(),
        ),
    };
    let only_code = scope
        .only
        .as_ref()
        .map(|(d, v)| query::only_code(d, v))
        .unwrap_or_default();
    let keep = [
        ("survey", chosen.clone().unwrap_or_default()),
        ("segment", segment.clone().unwrap_or_default()),
        ("only", only_code.clone()),
    ];
    let keep: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Cases opened in the period (open and overdue are as of now).
    let since = start_of(from);
    let health = store.cases().health(ws.id, since).await?;
    let response_rates = response_rates(store, &scope, since, &surveys, &survey_ids).await?;
    let setup_warnings = match member {
        Some(user) => setup_warnings(store, user).await?,
        None => Vec::new(),
    };
    let mut themes = talked_about(store, &scope, &surveys).await?;
    let score_name = if enps { "eNPS" } else { "NPS" };
    let segment_title = format!(
        "{score_name} by {}",
        segment.as_deref().unwrap_or("segment")
    );
    // Each group links to the page narrowed to it; a narrowed page says why the other
    // breakdowns are empty.
    let here = |only: &str| {
        let mut q: Vec<String> = keep[..2]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        q.extend(range_query(&period, from, window.to));
        if !only.is_empty() {
            q.push(format!("only={}", encode(only)));
        }
        format!("?{}", q.join("&"))
    };
    let breakdown = |title: String, dimension: GroupBy, groups: &[NpsGroup]| {
        let mut b = Breakdown::new(title, breakdown_rows(groups));
        if member.is_none() {
            // A shared view shows what it was made for; its links lead nowhere.
        } else if scope.can_break_down(&dimension) {
            b.links = b
                .rows
                .iter()
                .map(|row| match row.key.as_str() {
                    "(none)" => String::new(),
                    key => here(&query::only_code(&dimension, key)),
                })
                .collect();
        } else {
            b.note = format!(
                "Not broken down while the page shows {} only: the rollups count one \
                 dimension at a time.",
                scope.only_label()
            );
        }
        if enps {
            b.note = format!(
                "Groups of fewer than {min_group} answers are hidden (eNPS anonymity), and \
                 so is one more when only one would be. {}",
                b.note
            );
        }
        b
    };
    let segment_by = segment
        .as_deref()
        .and_then(|s| Label::new(s).ok())
        .map(GroupBy::Segment)
        .unwrap_or(GroupBy::Touchpoint);
    let mut closed_loop = ClosedLoopCard::from_health(&health);
    let (user, can_share, view, shared) = match audience {
        Audience::Member { user, view } => (
            user.email.clone(),
            user.role.grants(advocate_core::Permission::Export),
            view.to_owned(),
            String::new(),
        ),
        Audience::Shared(share) => {
            // Who has which cases open names staff; a shared view shows the counts only.
            closed_loop.inbox.clear();
            for link in themes.top.iter_mut().chain(themes.rising.iter_mut()) {
                link.0.clear();
            }
            let until = share.expires_at.format("%Y-%m-%d %H:%M UTC");
            let note = format!("Shared view: {} · read-only, until {until}", share.label);
            (String::new(), false, String::new(), note)
        }
    };
    Ok(DashboardPage {
        workspace: ws.name,
        user,
        can_share,
        view,
        shared,
        action: "/dashboard".into(),
        surveys: survey_options(&surveys, chosen.as_ref()),
        periods: PeriodLink::standard(&period, &keep),
        period_label: PERIODS.iter().find(|(c, _)| *c == period).map_or_else(
            || {
                format!(
                    "{} – {}",
                    from.map(|f| f.to_string()).unwrap_or_default(),
                    window.to
                )
            },
            |(_, l)| (*l).to_owned(),
        ),
        custom_from: match period.as_str() {
            "custom" => from.map(|f| f.to_string()).unwrap_or_default(),
            _ => String::new(),
        },
        custom_to: match period.as_str() {
            "custom" => window.to.to_string(),
            _ => String::new(),
        },
        period: period.clone(),
        filter_error,
        only: only_code,
        only_label: scope.only_label(),
        everyone_href: here(""),
        comments_href: format!("/comments?{}", scope.explorer_query().join("&")),
        summary: Summary::from_report(&r.headline),
        trend_svg: charts::trend(&trend_points(&r.trend)),
        distribution_svg: charts::distribution(&r.headline.summary.distribution),
        touchpoints: breakdown(
            format!("{score_name} by touchpoint"),
            GroupBy::Touchpoint,
            &r.touchpoints,
        ),
        channels: breakdown(
            format!("{score_name} by channel"),
            GroupBy::Channel,
            &r.channels,
        ),
        segment_attributes: attributes
            .iter()
            .map(|a| SelectOption::new(a.clone(), a.clone(), segment.as_ref() == Some(a)))
            .collect(),
        compare_href: match member {
            Some(_) => compare_href(&r.segments, segment.as_deref(), &scope),
            None => String::new(),
        },
        segments: breakdown(segment_title, segment_by, &r.segments),
        comments,
        comments_hidden,
        score_name,
        enps,
        closed_loop,
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
    let mut q = vec![format!("theme={}", encode(theme))];
    q.extend(scope.explorer_query());
    format!("/comments?{}", q.join("&"))
}

/// A custom range as query parameters (standard periods are a `period` code instead).
fn range_query(period: &str, from: Option<NaiveDate>, to: NaiveDate) -> Vec<String> {
    match period {
        "custom" => {
            let mut q: Vec<String> = from.map(|f| format!("from={f}")).into_iter().collect();
            q.push(format!("to={to}"));
            q
        }
        code => vec![format!("period={code}")],
    }
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
        to: day(scope.to + chrono::Duration::days(1)),
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
