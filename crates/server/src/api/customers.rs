//! `POST /api/v1/customers` (upsert by external id), `GET /api/v1/customers/{external_id}`,
//! its timeline (the customer record) and its "follow up at next contact" flag.

use super::json::ApiJson;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::customer::CustomerFields;
use advocate_store::models::Customer;
use advocate_store::{FollowUp, Timeline};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

#[utoipa::path(post, path = "/api/v1/customers", operation_id = "upsertCustomer", tag = "customers", request_body = CustomerFields,
    security(("api_key" = [])),
    responses((status = 200, description = "created or updated", body = Customer),
              (status = 422, description = "invalid field", body = Problem)))]
pub async fn upsert(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<CustomerFields>,
) -> ApiResult<Json<Customer>> {
    let input = body.value.parse("")?;
    Ok(Json(
        state
            .store
            .upsert_customer(caller.workspace_id, &input)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/customers/{external_id}", operation_id = "getCustomer", tag = "customers",
    params(("external_id" = String, Path, description = "your id for the customer")),
    security(("api_key" = [])),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<Customer>> {
    state
        .store
        .customer_by_external_id(caller.workspace_id, &external_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no customer with external_id {external_id:?}")))
}

/// `PUT /api/v1/customers/{external_id}/follow-up`'s body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    /// What to raise at the next contact (1–1000 characters).
    pub note: String,
}

/// The customer record: NPS history, cases with notes, engagements, the follow-up flag and
/// one merged event list (newest first; bounded, see the schema).
#[utoipa::path(get, path = "/api/v1/customers/{external_id}/timeline", operation_id = "getCustomerTimeline", tag = "customers",
    params(("external_id" = String, Path, description = "your id for the customer")),
    security(("api_key" = [])),
    responses((status = 200, body = Timeline), (status = 404, body = Problem)))]
pub async fn timeline(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<Timeline>> {
    state
        .store
        .customer_timeline(caller.workspace_id, &external_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no customer with external_id {external_id:?}")))
}

/// Flags the customer "follow up at next contact" (replacing any earlier note).
#[utoipa::path(put, path = "/api/v1/customers/{external_id}/follow-up", operation_id = "setCustomerFollowUp", tag = "customers",
    params(("external_id" = String, Path, description = "your id for the customer")),
    request_body = FollowUpBody, security(("api_key" = [])),
    responses((status = 200, body = FollowUp), (status = 404, body = Problem),
              (status = 422, description = "empty or too long note", body = Problem)))]
pub async fn set_follow_up(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
    body: super::replace::FullJson<FollowUpBody>,
) -> ApiResult<Json<FollowUp>> {
    Ok(Json(
        state
            .store
            .set_follow_up(caller.workspace_id, &external_id, &body.value.note)
            .await?,
    ))
}

/// Clears the flag (also when it was not set).
#[utoipa::path(delete, path = "/api/v1/customers/{external_id}/follow-up", operation_id = "clearCustomerFollowUp", tag = "customers",
    params(("external_id" = String, Path, description = "your id for the customer")),
    security(("api_key" = [])),
    responses((status = 204, description = "cleared"), (status = 404, body = Problem)))]
pub async fn clear_follow_up(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .clear_follow_up(caller.workspace_id, &external_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
