//! `POST /api/v1/customers` (upsert by external id), `GET /api/v1/customers/{external_id}`.

use super::json::ApiJson;
use super::validate::CustomerFields;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_store::models::Customer;
use axum::extract::{Path, State};
use axum::Json;

#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CustomerFields,
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

#[utoipa::path(get, path = "/api/v1/customers/{external_id}", tag = "customers",
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
