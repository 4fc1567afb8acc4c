//! `GET /api/v1/kpis`: the retention KPIs of a period with their definitions, their
//! linkage to NPS, a monthly series and the previous period.

use super::nps::Interval;
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::query;
use advocate_core::Permission::Dashboards;
use advocate_store::insight::kpis::{self as store};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, OpenApi, ToSchema};

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
    Ok(Json(state.store.kpis().report(&query).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KpiReport {
    /// ISO 4217 reporting currency of every money figure.
    pub currency: String,
    /// `attribute:value`, when narrowed.
    pub segment: Option<String>,
    pub touchpoint: Option<String>,
    pub rules: Vec<&'static str>,
    #[serde(flatten)]
    pub figures: KpiFigures,
    pub linkage: Linkage,
    pub series: Vec<MonthPoint>,
    /// The period compared with: by default the one of the same length just before `from`.
    pub previous: KpiFigures,
}

impl From<store::KpiReport> for KpiReport {
    fn from(x: store::KpiReport) -> Self {
        Self {
            currency: x.currency,
            segment: x.segment,
            touchpoint: x.touchpoint,
            rules: x.rules,
            figures: x.figures.into(),
            linkage: x.linkage.into(),
            series: x.series.into_iter().map(Into::into).collect(),
            previous: x.previous.into(),
        }
    }
}

/// The headline figures of one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct KpiFigures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub customers_at_start: Kpi,
    pub acquired: Kpi,
    pub lost: Kpi,
    pub customers_at_end: Kpi,
    pub churn_rate: Kpi,
    pub retention_rate: Kpi,
    pub nps: NpsFigure,
    pub revenue: Kpi,
    pub average_order_value: Kpi,
    pub purchase_frequency: Kpi,
    pub historic_clv: Kpi,
    pub predicted_clv: Kpi,
    pub feedback_volume: Kpi,
    pub csat: Kpi,
    pub loyalty_usage: Kpi,
    pub complaints_per_month: Kpi,
    pub first_reply: FirstReply,
}

impl From<store::KpiFigures> for KpiFigures {
    fn from(x: store::KpiFigures) -> Self {
        Self {
            from: x.from,
            to: x.to,
            customers_at_start: x.customers_at_start.into(),
            acquired: x.acquired.into(),
            lost: x.lost.into(),
            customers_at_end: x.customers_at_end.into(),
            churn_rate: x.churn_rate.into(),
            retention_rate: x.retention_rate.into(),
            nps: x.nps.into(),
            revenue: x.revenue.into(),
            average_order_value: x.average_order_value.into(),
            purchase_frequency: x.purchase_frequency.into(),
            historic_clv: x.historic_clv.into(),
            predicted_clv: x.predicted_clv.into(),
            feedback_volume: x.feedback_volume.into(),
            csat: x.csat.into(),
            loyalty_usage: x.loyalty_usage.into(),
            complaints_per_month: x.complaints_per_month.into(),
            first_reply: x.first_reply.into(),
        }
    }
}

/// One figure with its definition and the counts it was computed from.
#[derive(Debug, Serialize, ToSchema)]
pub struct Kpi {
    /// `null` where undefined (e.g. a rate over no customers), never a misleading 0.
    pub value: Option<f64>,
    /// count, fraction, money, orders_per_customer, per_month.
    pub unit: &'static str,
    pub definition: &'static str,
    /// The numbers the value was computed from (money in major units).
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<&'static str, f64>,
}

impl From<store::Kpi> for Kpi {
    fn from(x: store::Kpi) -> Self {
        Self {
            value: x.value,
            unit: x.unit,
            definition: x.definition,
            inputs: x.inputs,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NpsFigure {
    /// −100..100; `null` without answers.
    pub value: Option<f64>,
    pub ci95: Option<Interval>,
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub definition: &'static str,
}

impl From<store::NpsFigure> for NpsFigure {
    fn from(x: store::NpsFigure) -> Self {
        Self {
            value: x.value,
            ci95: x.ci95.map(Into::into),
            n: x.n,
            promoters: x.promoters,
            passives: x.passives,
            detractors: x.detractors,
            definition: x.definition,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FirstReply {
    pub definition: &'static str,
    pub channels: Vec<ChannelReply>,
}

impl From<store::FirstReply> for FirstReply {
    fn from(x: store::FirstReply) -> Self {
        Self {
            definition: x.definition,
            channels: x.channels.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelReply {
    pub channel: String,
    pub median_seconds: Option<f64>,
    /// Contacts with a first reply.
    pub n: u64,
}

impl From<store::ChannelReply> for ChannelReply {
    fn from(x: store::ChannelReply) -> Self {
        Self {
            channel: x.channel,
            median_seconds: x.median_seconds,
            n: x.n,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Linkage {
    pub category_rule: &'static str,
    pub categories: Vec<CategoryRow>,
    /// "Detractors churn X times as often as promoters", with its interval.
    pub churn_ratio: Option<RateRatio>,
    pub churn_ratio_definition: &'static str,
    pub revenue_at_risk: Kpi,
}

impl From<store::Linkage> for Linkage {
    fn from(x: store::Linkage) -> Self {
        Self {
            category_rule: x.category_rule,
            categories: x.categories.into_iter().map(Into::into).collect(),
            churn_ratio: x.churn_ratio.map(Into::into),
            churn_ratio_definition: x.churn_ratio_definition,
            revenue_at_risk: x.revenue_at_risk.into(),
        }
    }
}

/// Churn and value of the customers in one NPS category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRow {
    /// detractor, passive, promoter or no_answer.
    pub category: &'static str,
    pub customers_at_start: u64,
    pub lost: u64,
    pub churn_rate: Option<f64>,
    /// In the period, major units.
    pub revenue: f64,
    pub historic_clv: Option<f64>,
}

impl From<store::CategoryRow> for CategoryRow {
    fn from(x: store::CategoryRow) -> Self {
        Self {
            category: x.category,
            customers_at_start: x.customers_at_start,
            lost: x.lost,
            churn_rate: x.churn_rate,
            revenue: x.revenue,
            historic_clv: x.historic_clv,
        }
    }
}

/// One month of the period (clipped to it), for sparklines.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthPoint {
    /// YYYY-MM.
    pub month: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub churn_rate: Option<f64>,
    pub nps: Option<f64>,
    /// Major units.
    pub revenue: f64,
    pub complaints: u64,
}

impl From<store::MonthPoint> for MonthPoint {
    fn from(x: store::MonthPoint) -> Self {
        Self {
            month: x.month,
            from: x.from,
            to: x.to,
            churn_rate: x.churn_rate,
            nps: x.nps,
            revenue: x.revenue,
            complaints: x.complaints,
        }
    }
}

/// A ratio of two rates with its 95 % interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateRatio {
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
}

impl From<advocate_core::kpi::RateRatio> for RateRatio {
    fn from(x: advocate_core::kpi::RateRatio) -> Self {
        Self {
            ratio: x.ratio,
            low: x.low,
            high: x.high,
        }
    }
}
