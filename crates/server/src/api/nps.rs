//! `GET /api/v1/nps`: NPS with its interval, optionally broken down; and
//! `GET /api/v1/nps/compare`: two filtered sets of answers compared with a z-test.

use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::field::Invalid;
use advocate_core::query::{self, SideParams};
use advocate_core::Permission::Dashboards;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
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

impl From<NpsParams> for query::NpsParams {
    fn from(p: NpsParams) -> Self {
        Self {
            survey: p.survey,
            from: p.from,
            to: p.to,
            group_by: p.group_by,
            ci: p.ci,
        }
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
    let query = query::NpsParams::from(params)
        .to_query(caller.workspace_id)
        .map_err(bad_request)?;
    Ok(Json(state.store.analytics().report(&query).await?.into()))
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

/// A parameter refused by core's parser: a query parameter, so a 400.
pub fn bad_request(e: Invalid) -> ApiError {
    ApiError::bad_request(e.into_message())
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
    let query = query::compare_query(caller.workspace_id, &a, &b, params.ci.as_deref())
        .map_err(bad_request)?;
    Ok(Json(state.store.analytics().compare(&query).await?.into()))
}
