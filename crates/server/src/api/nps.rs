//! `GET /api/v1/nps`: NPS with its interval, optionally broken down; and
//! `GET /api/v1/nps/compare`: two filtered sets of answers compared with a z-test.

use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::Dashboards;
use advocate_core::{Channel, CiMethod, GroupBy, Label, Language};
use advocate_store::{CompareQuery, NpsFilter, NpsQuery};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(paths(report, compare), tags((name = "nps")))]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/nps", Key(Dashboards), report)
        .get("/api/v1/nps/compare", Key(Dashboards), compare)
}

mod body;
pub use body::{Interval, NpsComparison, NpsReport};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NpsParams {
    /// Survey slug; all NPS surveys when left out.
    pub survey: Option<String>,
    /// First day, inclusive (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC); today when left out.
    pub to: Option<String>,
    /// day, week, month, quarter, touchpoint, channel, language or segment:<attribute>.
    pub group_by: Option<String>,
    /// Interval method: adjusted_wald (default) or wald.
    pub ci: Option<String>,
}

fn date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request(format!("{field} must be a date like 2026-01-31; got {v:?}"))
            })
        })
        .transpose()
}

impl NpsParams {
    /// The query these parameters ask for, or a message naming the bad one.
    pub fn to_query(&self, workspace_id: i64) -> Result<NpsQuery, ApiError> {
        let from = date("from", self.from.as_deref())?;
        let to = date("to", self.to.as_deref())?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(ApiError::bad_request(format!(
                    "from ({f}) is after to ({t})"
                )));
            }
        }
        Ok(NpsQuery {
            workspace_id,
            survey: self.survey.clone().filter(|s| !s.is_empty()),
            from,
            to,
            group_by: self
                .group_by
                .as_deref()
                .filter(|g| !g.is_empty())
                .map(|g| g.parse::<GroupBy>().map_err(ApiError::bad_request))
                .transpose()?,
            ci: ci_method(self.ci.as_deref())?,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/nps", operation_id = "getNps", tag = "nps", params(NpsParams), security(("api_key" = [])),
    responses((status = 200, body = NpsReport), (status = 400, description = "bad parameter", body = Problem),
              (status = 404, description = "unknown survey", body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<NpsParams>, QueryRejection>,
) -> ApiResult<Json<NpsReport>> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let query = params.to_query(caller.workspace_id)?;
    Ok(Json(state.store.nps_report(&query).await?.into()))
}

/// One side's filter, as given: each field is `a.<name>` or `b.<name>` in the query.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SideParams {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub survey: Option<String>,
    pub segment: Option<String>,
    pub touchpoint: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
}

/// The names a side's filter takes, in the order they are documented.
pub const SIDE_FIELDS: [&str; 8] = [
    "period",
    "from",
    "to",
    "survey",
    "segment",
    "touchpoint",
    "channel",
    "language",
];

impl SideParams {
    /// Sets the field `name` (one of [`SIDE_FIELDS`]); `Err` names the unknown one.
    pub fn set(&mut self, name: &str, value: String) -> Result<(), String> {
        let slot = match name {
            "period" => &mut self.period,
            "from" => &mut self.from,
            "to" => &mut self.to,
            "survey" => &mut self.survey,
            "segment" => &mut self.segment,
            "touchpoint" => &mut self.touchpoint,
            "channel" => &mut self.channel,
            "language" => &mut self.language,
            _ => {
                return Err(format!(
                    "unknown filter {name:?}: a side is filtered by {}",
                    SIDE_FIELDS.join(", ")
                ))
            }
        };
        *slot = Some(value);
        Ok(())
    }

    /// The store's filter, or a 400 naming the parameter (`a.segment`, `b.from`, …).
    pub fn to_filter(&self, side: &str) -> Result<NpsFilter, ApiError> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let bad =
            |field: &str, msg: String| ApiError::bad_request(format!("{side}.{field}: {msg}"));
        let (mut from, mut to) = (
            date(&format!("{side}.from"), given(&self.from).as_deref())?,
            date(&format!("{side}.to"), given(&self.to).as_deref())?,
        );
        if let Some(p) = given(&self.period) {
            if from.is_some() || to.is_some() {
                return Err(bad(
                    "period",
                    format!("give either {side}.period or {side}.from/{side}.to, not both"),
                ));
            }
            let (f, t) = advocate_core::period::parse_period(&p).map_err(|e| bad("period", e))?;
            (from, to) = (Some(f), Some(t));
        }
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(bad("from", format!("{f} is after {side}.to ({t})")));
            }
        }
        let mut values = Vec::new();
        if let Some(s) = given(&self.segment) {
            let (attr, value) = s
                .split_once(':')
                .filter(|(a, v)| !a.is_empty() && !v.is_empty())
                .ok_or_else(|| {
                    bad(
                        "segment",
                        format!("a segment is attribute:value, e.g. plan:Pro; got {s:?}"),
                    )
                })?;
            let attr = Label::new(attr).map_err(|e| bad("segment", format!("attribute: {e}")))?;
            values.push(("segment", GroupBy::Segment(attr), value.to_owned()));
        }
        if let Some(t) = given(&self.touchpoint) {
            values.push(("touchpoint", GroupBy::Touchpoint, t));
        }
        if let Some(c) = given(&self.channel) {
            let c = Channel::parse(&c).map_err(|e| bad("channel", e.to_string()))?;
            values.push(("channel", GroupBy::Channel, c.as_str().to_owned()));
        }
        if let Some(l) = given(&self.language) {
            let l = Language::new(&l).map_err(|e| bad("language", e.to_string()))?;
            values.push(("language", GroupBy::Language, l.as_str().to_owned()));
        }
        if values.len() > 1 {
            let names: Vec<String> = values
                .iter()
                .map(|(n, _, _)| format!("{side}.{n}"))
                .collect();
            return Err(ApiError::bad_request(format!(
                "{}: a side is one value of one of segment, touchpoint, channel or language (the \
                 figures are counted one dimension at a time); give only one",
                names.join(" and ")
            )));
        }
        Ok(NpsFilter {
            survey: given(&self.survey),
            from,
            to,
            value: values.pop().map(|(_, dim, value)| (dim, value)),
        })
    }
}

/// `GET /api/v1/nps/compare`: side `a` and side `b`, each a filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompareParams {
    /// Side a's period: a year (2026), quarter (2026-Q3), month (2026-11) or ISO week
    /// (2026-W48). Or give a.from and/or a.to. Neither: all time.
    #[serde(rename = "a.period")]
    #[param(rename = "a.period")]
    pub a_period: Option<String>,
    /// Side a's first day, inclusive (YYYY-MM-DD, UTC).
    #[serde(rename = "a.from")]
    #[param(rename = "a.from")]
    pub a_from: Option<String>,
    /// Side a's last day, inclusive (YYYY-MM-DD, UTC); today when left out.
    #[serde(rename = "a.to")]
    #[param(rename = "a.to")]
    pub a_to: Option<String>,
    /// Side a's survey slug; every NPS survey when left out.
    #[serde(rename = "a.survey")]
    #[param(rename = "a.survey")]
    pub a_survey: Option<String>,
    /// Side a's segment, attribute:value (the customer attribute when the answer was given),
    /// e.g. plan:Pro. At most one of segment, touchpoint, channel, language per side.
    #[serde(rename = "a.segment")]
    #[param(rename = "a.segment")]
    pub a_segment: Option<String>,
    /// Side a's touchpoint.
    #[serde(rename = "a.touchpoint")]
    #[param(rename = "a.touchpoint")]
    pub a_touchpoint: Option<String>,
    /// Side a's channel: email, sms, web, widget, kiosk, api or import.
    #[serde(rename = "a.channel")]
    #[param(rename = "a.channel")]
    pub a_channel: Option<String>,
    /// Side a's language, e.g. nb.
    #[serde(rename = "a.language")]
    #[param(rename = "a.language")]
    pub a_language: Option<String>,
    /// Side b's period (as a.period).
    #[serde(rename = "b.period")]
    #[param(rename = "b.period")]
    pub b_period: Option<String>,
    /// Side b's first day, inclusive.
    #[serde(rename = "b.from")]
    #[param(rename = "b.from")]
    pub b_from: Option<String>,
    /// Side b's last day, inclusive; today when left out.
    #[serde(rename = "b.to")]
    #[param(rename = "b.to")]
    pub b_to: Option<String>,
    /// Side b's survey slug.
    #[serde(rename = "b.survey")]
    #[param(rename = "b.survey")]
    pub b_survey: Option<String>,
    /// Side b's segment, attribute:value.
    #[serde(rename = "b.segment")]
    #[param(rename = "b.segment")]
    pub b_segment: Option<String>,
    /// Side b's touchpoint.
    #[serde(rename = "b.touchpoint")]
    #[param(rename = "b.touchpoint")]
    pub b_touchpoint: Option<String>,
    /// Side b's channel.
    #[serde(rename = "b.channel")]
    #[param(rename = "b.channel")]
    pub b_channel: Option<String>,
    /// Side b's language.
    #[serde(rename = "b.language")]
    #[param(rename = "b.language")]
    pub b_language: Option<String>,
    /// Interval method of each side's NPS: adjusted_wald (default) or wald.
    pub ci: Option<String>,
}

impl CompareParams {
    pub fn sides(&self) -> (SideParams, SideParams) {
        (
            SideParams {
                period: self.a_period.clone(),
                from: self.a_from.clone(),
                to: self.a_to.clone(),
                survey: self.a_survey.clone(),
                segment: self.a_segment.clone(),
                touchpoint: self.a_touchpoint.clone(),
                channel: self.a_channel.clone(),
                language: self.a_language.clone(),
            },
            SideParams {
                period: self.b_period.clone(),
                from: self.b_from.clone(),
                to: self.b_to.clone(),
                survey: self.b_survey.clone(),
                segment: self.b_segment.clone(),
                touchpoint: self.b_touchpoint.clone(),
                channel: self.b_channel.clone(),
                language: self.b_language.clone(),
            },
        )
    }
}

/// The comparison two sides and an interval method ask for, or a 400 naming the bad one.
pub fn compare_query(
    workspace_id: i64,
    a: &SideParams,
    b: &SideParams,
    ci: Option<&str>,
) -> Result<CompareQuery, ApiError> {
    // Both sides are checked, so one answer names every bad filter.
    let (a, b) = match (a.to_filter("a"), b.to_filter("b")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e),
        (Err(ea), Err(eb)) => {
            return Err(ApiError::new(
                ea.status,
                format!("{}; {}", ea.detail, eb.detail),
            ))
        }
    };
    if a == b {
        return Err(ApiError::bad_request(
            "a and b: the two sides have the same filter; give each side its own (e.g. \
             a.segment=plan:Basic&b.segment=plan:Pro, or a.period=2026-Q2&b.period=2026-Q3)",
        ));
    }
    Ok(CompareQuery {
        workspace_id,
        a,
        b,
        ci: ci_method(ci)?,
    })
}

fn ci_method(ci: Option<&str>) -> Result<CiMethod, ApiError> {
    match ci {
        None | Some("") => Ok(CiMethod::default()),
        Some(m) => CiMethod::parse(m).ok_or_else(|| {
            ApiError::bad_request(format!("ci must be wald or adjusted_wald; got {m:?}"))
        }),
    }
}

#[utoipa::path(get, path = "/api/v1/nps/compare", operation_id = "compareNps", tag = "nps", params(CompareParams),
    security(("api_key" = [])),
    description = "Compares two filtered sets of answers, side a and side b, each filtered by \
        period (or from/to), survey and at most one of segment, touchpoint, channel or language. \
        Returns each side's n, NPS and 95 % interval, and the difference NPS(a) − NPS(b) with its \
        95 % interval, z and two-sided p (two-sample z-test). eNPS sides of fewer answers than \
        the minimum group size are suppressed. Example: \
        `/api/v1/nps/compare?a.segment=plan:Basic&b.segment=plan:Pro&a.period=2026-Q3&b.period=2026-Q3`.",
    responses((status = 200, body = NpsComparison),
              (status = 400, description = "bad filter, named (e.g. `b.period`)", body = Problem),
              (status = 404, description = "unknown survey", body = Problem),
              (status = 422, description = "surveys of different kinds, or a CSAT survey", body = Problem)))]
pub async fn compare(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<CompareParams>, QueryRejection>,
) -> ApiResult<Json<NpsComparison>> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (a, b) = params.sides();
    let query = compare_query(caller.workspace_id, &a, &b, params.ci.as_deref())?;
    Ok(Json(state.store.nps_compare(&query).await?.into()))
}
