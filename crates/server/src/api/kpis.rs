//! `GET /api/v1/kpis`: the retention KPIs of a period with their definitions, their
//! linkage to NPS, a monthly series and the previous period.

use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Label;
use advocate_core::Permission::Dashboards;
use advocate_store::kpis::{
    CategoryRow, ChannelReply, FirstReply, Kpi, KpiFigures, KpiQuery, KpiReport, Linkage,
    MonthPoint, NpsFigure,
};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(report),
    components(schemas(KpiReport, KpiFigures, Kpi, NpsFigure, FirstReply, ChannelReply, Linkage,
        CategoryRow, MonthPoint)),
    tags((name = "kpis", description = "Retention KPIs next to NPS: churn, retention, revenue, \
        CLV, CSAT, loyalty, complaints and reply times, each with its definition, and churn and \
        revenue by NPS category."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new().get("/api/v1/kpis", Key(Dashboards), report)
}

/// Days in the default period when `from` is left out.
const DEFAULT_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpiParams {
    /// First day, inclusive (YYYY-MM-DD, UTC); 89 days before `to` when left out.
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC); today when left out.
    pub to: Option<String>,
    /// `attribute:value`, e.g. `plan:premium`: customers whose current attribute has this
    /// value (answers by the attribute recorded with them).
    pub segment: Option<String>,
    /// Narrows NPS, feedback volume and CSAT to one touchpoint.
    pub touchpoint: Option<String>,
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

impl KpiParams {
    /// The query these parameters ask for, or a message naming the bad one.
    pub fn to_query(&self, workspace_id: i64, today: NaiveDate) -> Result<KpiQuery, ApiError> {
        let to = date("to", self.to.as_deref())?.unwrap_or(today);
        let from =
            date("from", self.from.as_deref())?.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
        if from > to {
            return Err(ApiError::bad_request(format!(
                "from ({from}) is after to ({to})"
            )));
        }
        let segment = match self.segment.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let (attr, value) = s.split_once(':').ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "segment must be attribute:value such as plan:premium; got {s:?}"
                    ))
                })?;
                Label::new(attr)
                    .map_err(|e| ApiError::bad_request(format!("segment attribute {e}")))?;
                if value.is_empty() {
                    return Err(ApiError::bad_request(format!(
                        "segment needs a value after the colon, such as plan:premium; got {s:?}"
                    )));
                }
                Some((attr.to_owned(), value.to_owned()))
            }
        };
        let touchpoint = self
            .touchpoint
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| {
                Label::new(t)
                    .map(|l| l.as_str().to_owned())
                    .map_err(|e| ApiError::bad_request(format!("touchpoint {e}")))
            })
            .transpose()?;
        Ok(KpiQuery {
            workspace_id,
            from,
            to,
            segment,
            touchpoint,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/kpis", operation_id = "getKpis", tag = "kpis", params(KpiParams), security(("api_key" = [])),
    responses((status = 200, body = KpiReport), (status = 400, description = "bad parameter", body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<KpiParams>, QueryRejection>,
) -> ApiResult<Json<KpiReport>> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let query = params.to_query(caller.workspace_id, Utc::now().date_naive())?;
    Ok(Json(state.store.kpi_report(&query).await?))
}
