//! `GET /api/v1/kpis`: the retention KPIs of a period with their definitions, their
//! linkage to NPS, a monthly series and the previous period.

use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::query;
use advocate_store::kpis::{
    CategoryRow, ChannelReply, FirstReply, Kpi, KpiFigures, KpiReport, Linkage, MonthPoint,
    NpsFigure,
};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
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

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/kpis", get(report))
}

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

impl From<KpiParams> for query::KpiParams {
    fn from(p: KpiParams) -> Self {
        Self {
            from: p.from,
            to: p.to,
            segment: p.segment,
            touchpoint: p.touchpoint,
        }
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
    let query = query::KpiParams::from(params)
        .to_query(caller.workspace_id, Utc::now().date_naive())
        .map_err(super::nps::bad_request)?;
    Ok(Json(state.store.kpi_report(&query).await?))
}
