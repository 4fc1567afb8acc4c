//! `GET /api/v1/nps`: NPS with its interval, optionally broken down.

use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::{CiMethod, GroupBy};
use advocate_store::{NpsQuery, NpsReport};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

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
            ci: match self.ci.as_deref() {
                None | Some("") => CiMethod::default(),
                Some(m) => CiMethod::parse(m).ok_or_else(|| {
                    ApiError::bad_request(format!("ci must be wald or adjusted_wald; got {m:?}"))
                })?,
            },
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
    Ok(Json(state.store.nps_report(&query).await?))
}
