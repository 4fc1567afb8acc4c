//! Reading orders and contacts back (`GET /api/v1/orders`, `GET /api/v1/contacts`).

use super::time;
use super::{ContactPage, OrderPage};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::ContactChannel;
use advocate_store::business::{ContactFilter, OrderFilter};
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// A customer's external id.
    pub customer: Option<String>,
    /// From this day (YYYY-MM-DD) or time (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Up to this day, inclusive (YYYY-MM-DD), or this time, exclusive (RFC 3339).
    pub to: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<String>,
    /// Items to skip (default 0).
    pub offset: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// A customer's external id.
    pub customer: Option<String>,
    /// Opened from this day (YYYY-MM-DD) or time (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Opened up to this day, inclusive, or this time, exclusive.
    pub to: Option<String>,
    /// One channel.
    pub channel: Option<String>,
    /// true: complaints only; false: other contacts only.
    pub complaint: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<String>,
    /// Items to skip (default 0).
    pub offset: Option<String>,
}

fn number(name: &str, v: Option<&str>, default: u32, max: u32) -> ApiResult<u32> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse::<u32>().ok().filter(|n| *n <= max).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "{name} must be a number from 0 to {max}; got {s:?}"
            ))
        }),
    }
}

/// A listing's `from` (inclusive) and `to` (exclusive).
type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `from` and `to` of a listing: a date `to` includes its whole day.
fn window(from: Option<&str>, to: Option<&str>) -> ApiResult<Window> {
    fn present(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    let from = time("from", present(from)).map_err(ApiError::unprocessable)?;
    let to_raw = present(to);
    let mut to = time("to", to_raw).map_err(ApiError::unprocessable)?;
    if to_raw.is_some_and(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok()) {
        to = to.map(|t| t + Duration::days(1));
    }
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(ApiError::unprocessable(format!(
                "from ({}) must be before to ({})",
                f.to_rfc3339(),
                t.to_rfc3339()
            )));
        }
    }
    Ok((from, to))
}

fn present(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", operation_id = "listOrders", tag = "business", params(OrderQuery),
    security(("api_key" = [])),
    responses((status = 200, body = OrderPage),
              (status = 404, description = "no such customer", body = Problem),
              (status = 422, description = "a filter is not valid", body = Problem)))]
pub async fn list_orders(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<OrderQuery>,
) -> ApiResult<Json<OrderPage>> {
    let (from, to) = window(q.from.as_deref(), q.to.as_deref())?;
    let filter = OrderFilter {
        customer: present(&q.customer),
        from,
        to,
        limit: number("limit", q.limit.as_deref(), 100, 1000)?.max(1),
        offset: number("offset", q.offset.as_deref(), 0, u32::MAX)?,
    };
    Ok(Json(
        state
            .store
            .orders()
            .list(caller.workspace_id, &filter)
            .await?
            .into(),
    ))
}

/// Contacts, newest first.
#[utoipa::path(get, path = "/api/v1/contacts", operation_id = "listContacts", tag = "business", params(ContactQuery),
    security(("api_key" = [])),
    responses((status = 200, body = ContactPage),
              (status = 404, description = "no such customer", body = Problem),
              (status = 422, description = "a filter is not valid", body = Problem)))]
pub async fn list_contacts(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<ContactQuery>,
) -> ApiResult<Json<ContactPage>> {
    let (from, to) = window(q.from.as_deref(), q.to.as_deref())?;
    let channel = present(&q.channel)
        .map(|c| {
            ContactChannel::parse(&c).map_err(|e| ApiError::unprocessable(format!("channel {e}")))
        })
        .transpose()?;
    let complaint = match present(&q.complaint).as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::unprocessable(format!(
                "complaint must be true or false; got {other:?}"
            )))
        }
    };
    let filter = ContactFilter {
        customer: present(&q.customer),
        from,
        to,
        channel,
        complaint,
        limit: number("limit", q.limit.as_deref(), 100, 1000)?.max(1),
        offset: number("offset", q.offset.as_deref(), 0, u32::MAX)?,
    };
    Ok(Json(
        state
            .store
            .contacts()
            .list(caller.workspace_id, &filter)
            .await?
            .into(),
    ))
}
