//! The compare page (`/compare`): two groups of answers side by side with the
//! two-sample z-test of their difference — the page of `GET /api/v1/nps/compare`, with
//! the same parameters (`a.segment=plan:Pro`, `b.period=2026-Q3`, …). A plain GET form:
//! it works without JavaScript, and a bad filter is shown on the page, named.

use super::signin::RequireSignIn;
use super::views::SelectOption;
use crate::api::nps::CompareParams;
use crate::charts;
use crate::error::ApiError;
use crate::state::AppState;
use advocate_core::query::{compare_query, SideParams};
use advocate_core::{Channel, SurveyKind, SMALL_SAMPLE};
use advocate_store::insight::compare::ComparedSide;
use advocate_store::insight::compare::NpsComparison;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// One side's form fields, as entered.
#[derive(Debug, Clone, PartialEq)]
pub struct SideForm {
    /// `a` or `b`: the prefix of the field names.
    pub name: &'static str,
    pub period: String,
    pub from: String,
    pub to: String,
    pub surveys: Vec<SelectOption>,
    pub segment: String,
    pub touchpoint: String,
    pub channels: Vec<SelectOption>,
    pub language: String,
}

/// One side's figures, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct SideView {
    pub name: &'static str,
    pub label: String,
    pub nps: String,
    pub interval: String,
    pub n: String,
    pub note: String,
}

/// The result: both sides and the test.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultView {
    pub sides: Vec<SideView>,
    pub difference: String,
    pub interval: String,
    pub test: String,
    /// `significant` or `not-significant`.
    pub class: &'static str,
    pub overlap: bool,
    pub method: String,
}

#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "compare.html")]
pub struct ComparePage {
    pub workspace: String,
    pub user: String,
    pub sides: Vec<SideForm>,
    /// A bad filter, named (`b.period: …`); empty when none.
    pub error: String,
    pub result: Option<ResultView>,
    pub api_href: String,
}

fn side_form(name: &'static str, p: &SideParams, surveys: &[(String, String)]) -> SideForm {
    let v = |x: &Option<String>| x.clone().unwrap_or_default();
    let survey = v(&p.survey);
    let channel = v(&p.channel);
    let mut survey_options = vec![SelectOption::new("", "All NPS surveys", survey.is_empty())];
    survey_options.extend(
        surveys
            .iter()
            .map(|(slug, label)| SelectOption::new(slug.clone(), label.clone(), *slug == survey)),
    );
    let mut channels = vec![SelectOption::new("", "Any channel", channel.is_empty())];
    channels.extend(
        Channel::ALL
            .iter()
            .map(|c| SelectOption::new(c.as_str(), c.as_str(), c.as_str() == channel)),
    );
    SideForm {
        name,
        period: v(&p.period),
        from: v(&p.from),
        to: v(&p.to),
        surveys: survey_options,
        segment: v(&p.segment),
        touchpoint: v(&p.touchpoint),
        channels,
        language: v(&p.language),
    }
}

fn side_view(name: &'static str, s: &ComparedSide) -> SideView {
    let (nps, interval, n, note) = match (&s.summary, s.fewer_than) {
        (_, Some(min)) => (
            "hidden".to_owned(),
            String::new(),
            format!("fewer than {min}"),
            "eNPS: too few answers to show anonymously.".to_owned(),
        ),
        (Some(sum), None) => (
            sum.nps.map_or_else(|| "—".to_owned(), charts::signed),
            sum.ci95.map_or_else(String::new, |i| {
                format!("{} to {}", charts::signed(i.low), charts::signed(i.high))
            }),
            sum.n.to_string(),
            if sum.n == 0 {
                "No answers.".to_owned()
            } else if sum.small_sample {
                format!("Small sample: fewer than {SMALL_SAMPLE} answers; read with care.")
            } else {
                String::new()
            },
        ),
        (None, None) => ("—".into(), String::new(), "0".into(), String::new()),
    };
    SideView {
        name,
        label: s.label.clone(),
        nps,
        interval,
        n,
        note,
    }
}

fn result_view(c: &NpsComparison) -> ResultView {
    let p_text = |p: f64| {
        if p < 0.001 {
            "p < 0.001".to_owned()
        } else {
            format!("p = {p:.3}")
        }
    };
    let (test, class) = match (c.z, c.p_value) {
        (Some(z), Some(p)) if c.significant => (
            format!(
                "z = {z:.2}, {}: a significant difference (p < 0.05).",
                p_text(p)
            ),
            "significant",
        ),
        (Some(z), Some(p)) => (
            format!(
                "z = {z:.2}, {}: not significant — the difference may be noise.",
                p_text(p)
            ),
            "not-significant",
        ),
        _ if c.a.fewer_than.is_some() || c.b.fewer_than.is_some() => (
            "Not tested: a side is hidden (eNPS minimum group size).".to_owned(),
            "not-significant",
        ),
        _ => (
            "Not tested: a side has no answers, or neither side has any variance.".to_owned(),
            "not-significant",
        ),
    };
    ResultView {
        sides: vec![side_view("A", &c.a), side_view("B", &c.b)],
        difference: c.difference.map_or_else(|| "—".to_owned(), charts::signed),
        interval: c.difference_ci95.map_or_else(String::new, |[lo, hi]| {
            format!("95 % CI {} to {}", charts::signed(lo), charts::signed(hi))
        }),
        test,
        class,
        overlap: c.may_overlap,
        method: c.method.to_owned(),
    }
}

/// `/compare`: the form, and the comparison when both sides are given.
pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    params: Result<Query<CompareParams>, QueryRejection>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let store = &state.store;
    let ws = store
        .workspaces()
        .get(user.workspace_id)
        .await?
        .ok_or_else(|| ApiError::internal("signed-in user's workspace is missing"))?;
    let surveys: Vec<(String, String)> = store
        .surveys()
        .list(ws.id)
        .await?
        .into_iter()
        .filter(|s| s.kind != SurveyKind::Csat)
        .map(|s| (s.slug.clone(), format!("{} ({})", s.name, s.kind)))
        .collect();
    let (params, mut error) = match params {
        Ok(Query(p)) => (p, String::new()),
        Err(e) => (CompareParams::default(), e.body_text()),
    };
    let (a, b) = params.sides();
    let asked = uri.query().is_some_and(|q| !q.is_empty());
    let mut result = None;
    if asked && error.is_empty() {
        match compare_query(ws.id, &a, &b, params.ci.as_deref()) {
            Err(e) => error = e.into_message(),
            Ok(q) => match store.analytics().compare(&q).await {
                Ok(c) => result = Some(result_view(&c)),
                Err(e) => match ApiError::from(e) {
                    e if e.status.is_client_error() => error = e.detail,
                    e => return Err(e),
                },
            },
        }
    }
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ComparePage {
        workspace: ws.name,
        user: user.email,
        sides: vec![side_form("a", &a, &surveys), side_form("b", &b, &surveys)],
        error,
        result,
        api_href: match uri.query() {
            Some(q) if !q.is_empty() => format!("/api/v1/nps/compare?{q}"),
            _ => String::new(),
        },
    };
    Ok((status, page).into_response())
}
