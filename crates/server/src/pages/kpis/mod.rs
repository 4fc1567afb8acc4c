//! The KPI page (`/kpis`): retention KPIs as tiles (value, definition, change against the
//! previous period of the same length, sparkline), the linkage of churn and revenue to NPS
//! categories, and a table behind every chart; the printable quarterly report
//! (`/reports/quarterly?quarter=2026-Q3`); and the signed-in downloads (`/export/{file}`),
//! which reuse the API's export code. Every figure comes from `Kpis::report`.

mod figures;
mod format;
mod page;
mod periods;
mod quarterly;

use super::signin::RequireSignIn;
use super::{internal, PageError};
use crate::access::Access::Person;
use crate::api::exports::{export_file, ExportParams};
use crate::error::ApiError;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::{Dashboards, Export};
use advocate_store::StoreError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use page::show;
use quarterly::quarterly;

pub fn routes() -> Routes {
    Routes::new()
        .get("/kpis", Person(Dashboards), show)
        .get("/reports/quarterly", Person(Dashboards), quarterly)
        .get("/export/{file}", Person(Export), download)
}

/// Period choices of the KPI page: (code, label).
pub const KPI_PERIODS: [(&str, &str); 4] = [
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("12m", "Last 12 months"),
    ("custom", "Custom"),
];

/// Segment values offered per attribute in the select.
const SEGMENT_VALUES_SHOWN: usize = 30;
/// Comments per side (promoters, detractors) in the quarterly report.
const REPORT_COMMENTS: u32 = 5;

/// A store refusal (bad segment, bad dates) is the person's to fix; the rest is ours.
fn store_error(err: StoreError, refused: &'static str) -> PageError {
    match err {
        StoreError::Invalid(_) => PageError(StatusCode::BAD_REQUEST, refused),
        other => internal(other),
    }
}

/// The exports for signed-in people: the API's code behind the session wall.
pub async fn download(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(file): Path<String>,
    Query(params): Query<ExportParams>,
) -> Response {
    match export_file(&state, user.workspace_id, &user.actor(), &file, &params).await {
        Ok(r) => r,
        Err(ApiError { status, detail, .. }) => (status, detail).into_response(),
    }
}

#[cfg(test)]
mod tests;
