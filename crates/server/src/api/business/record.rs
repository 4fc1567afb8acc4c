//! Recording business data: every item of a body parsed, every problem named by index
//! and field, then all stored or none.

use super::requests::{
    ContactBody, ContactRequest, LifecycleBody, LifecycleRequest, LoyaltyBody, LoyaltyRequest,
    OrderBody, OrderRequest,
};
use super::Recorded;
use super::{time, BULK_BODY_LIMIT};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::ContactChannel;
use advocate_store::business::{
    parse_time, LifecycleEvent, LifecycleKind, LoyaltyEvent, LoyaltyKind, NewContact, NewOrder,
    MAX_BATCH,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The items of a body that holds one item or `{list: [...]}`; `true` for a single item.
fn items(body: Result<Bytes, BytesRejection>, list: &str) -> ApiResult<(Vec<Value>, bool)> {
    // Parsed here rather than by ApiJson: these routes allow a larger body than the rest.
    let bytes = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body is larger than the limit of {BULK_BODY_LIMIT} bytes; send at \
                 most {MAX_BATCH} items per request"
            ),
        ),
        other => ApiError::bad_request(other.body_text()),
    })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(format!(
            "request body is empty; send one item as a JSON object, or {{\"{list}\": [...]}}"
        )));
    }
    let raw: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("request body is not valid JSON: {e}")))?;
    crate::api::json::check_text(&raw)?;
    let Value::Object(mut object) = raw else {
        return Err(ApiError::unprocessable(format!(
            "request body must be a JSON object: one item, or {{\"{list}\": [...]}}"
        )));
    };
    let Some(batch) = object.remove(list) else {
        return Ok((vec![Value::Object(object)], true));
    };
    if let Some(extra) = object.keys().next() {
        return Err(ApiError::unprocessable(format!(
            "request body: a batch holds only \"{list}\"; got also {extra:?}"
        )));
    }
    match batch {
        Value::Array(items) if (1..=MAX_BATCH).contains(&items.len()) => Ok((items, false)),
        Value::Array(items) => Err(ApiError::unprocessable(format!(
            "{list} must hold 1 to {MAX_BATCH} items; got {}",
            items.len()
        ))),
        _ => Err(ApiError::unprocessable(format!("{list} must be a list"))),
    }
}

/// Parses every item with `parse`; on any problem, all of them (named by index) as 422.
fn parse_all<B: DeserializeOwned, T>(
    items: Vec<Value>,
    single: bool,
    list: &str,
    parse: impl Fn(B) -> Result<T, Vec<String>>,
) -> ApiResult<Vec<T>> {
    let mut out = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let parsed = serde_json::from_value::<B>(item)
            .map_err(|e| vec![e.to_string()])
            .and_then(&parse);
        match parsed {
            Ok(v) => out.push(v),
            Err(ps) => problems.extend(ps.into_iter().map(|p| match single {
                true => p,
                false => format!("{list}[{i}]: {p}"),
            })),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::unprocessable(problems.join("; ")))
    }
}

/// Collects a field's problem and goes on, so one answer names them all.
fn field<T>(problems: &mut Vec<String>, r: Result<T, String>) -> Option<T> {
    r.map_err(|p| problems.push(p)).ok()
}

fn amount_text(name: &str, v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "{name} must be a decimal string such as \"19.90\"; got {other}"
        )),
    }
}

fn created(recorded: advocate_store::business::Recorded) -> (StatusCode, Json<Recorded>) {
    let status = if recorded.stored > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(recorded.into()))
}

fn lifecycle_event(b: LifecycleBody) -> Result<LifecycleEvent, Vec<String>> {
    let mut p = Vec::new();
    let event = field(
        &mut p,
        LifecycleKind::parse(b.event.trim())
            .ok_or_else(|| format!("event must be acquired or churned; got {:?}", b.event)),
    );
    let at = field(&mut p, parse_time("at", &b.at));
    match (event, at) {
        (Some(event), Some(at)) => Ok(LifecycleEvent {
            customer: b.customer,
            event,
            at,
        }),
        _ => Err(p),
    }
}

fn loyalty_event(b: LoyaltyBody) -> Result<LoyaltyEvent, Vec<String>> {
    let mut p = Vec::new();
    let event = field(
        &mut p,
        LoyaltyKind::parse(b.event.trim())
            .ok_or_else(|| format!("event must be joined or left; got {:?}", b.event)),
    );
    let at = field(&mut p, parse_time("at", &b.at));
    match (event, at) {
        (Some(event), Some(at)) => Ok(LoyaltyEvent {
            customer: b.customer,
            event,
            at,
        }),
        _ => Err(p),
    }
}

fn new_order(b: OrderBody) -> Result<NewOrder, Vec<String>> {
    let mut p = Vec::new();
    let amount = field(&mut p, amount_text("amount", &b.amount));
    let reporting = field(
        &mut p,
        b.amount_in_reporting_currency
            .as_ref()
            .map(|v| amount_text("amount_in_reporting_currency", v))
            .transpose(),
    );
    let ordered_at = field(&mut p, parse_time("ordered_at", &b.ordered_at));
    match (amount, reporting, ordered_at) {
        (Some(amount), Some(amount_in_reporting_currency), Some(ordered_at)) => Ok(NewOrder {
            external_id: b.external_id,
            customer: b.customer,
            amount,
            currency: b.currency,
            amount_in_reporting_currency,
            ordered_at,
        }),
        _ => Err(p),
    }
}

fn new_contact(b: ContactBody) -> Result<NewContact, Vec<String>> {
    let mut p = Vec::new();
    let channel = field(
        &mut p,
        ContactChannel::parse(b.channel.trim()).map_err(|e| format!("channel {e}")),
    );
    let opened_at = field(&mut p, parse_time("opened_at", &b.opened_at));
    let first_reply_at = field(&mut p, time("first_reply_at", b.first_reply_at.as_deref()));
    let resolved_at = field(&mut p, time("resolved_at", b.resolved_at.as_deref()));
    match (channel, opened_at, first_reply_at, resolved_at) {
        (Some(channel), Some(opened_at), Some(first_reply_at), Some(resolved_at)) => {
            Ok(NewContact {
                external_id: b.external_id,
                customer: b.customer,
                channel,
                is_complaint: b.is_complaint,
                opened_at,
                first_reply_at,
                resolved_at,
            })
        }
        _ => Err(p),
    }
}

/// Records one lifecycle event or a batch (`{"events": [...]}`).
#[utoipa::path(post, path = "/api/v1/lifecycle", operation_id = "recordLifecycle", tag = "business", request_body = LifecycleRequest,
    security(("api_key" = [])),
    responses((status = 201, description = "stored", body = Recorded),
              (status = 200, description = "already recorded (a retry)", body = Recorded),
              (status = 404, description = "no such customer in this workspace", body = Problem),
              (status = 409, description = "does not follow what is stored, e.g. acquired while already a customer", body = Problem),
              (status = 413, description = "body over 8 MiB", body = Problem),
              (status = 422, description = "a field is not valid; each item named by index", body = Problem)))]
pub async fn record_lifecycle(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let (items, single) = items(body, "events")?;
    let events = parse_all(items, single, "events", lifecycle_event)?;
    let store = &state.store;
    let recorded = match (single, events.as_slice()) {
        (true, [e]) if e.event == LifecycleKind::Acquired => {
            store
                .spells()
                .record_acquired(caller.workspace_id, &e.customer, e.at)
                .await?
        }
        (true, [e]) => {
            store
                .spells()
                .record_churned(caller.workspace_id, &e.customer, e.at)
                .await?
        }
        _ => {
            store
                .spells()
                .record_lifecycle(caller.workspace_id, &events)
                .await?
        }
    };
    Ok(created(recorded))
}

/// Records one order or a batch (`{"orders": [...]}`).
#[utoipa::path(post, path = "/api/v1/orders", operation_id = "recordOrders", tag = "business", request_body = OrderRequest,
    security(("api_key" = [])),
    responses((status = 201, description = "stored", body = Recorded),
              (status = 200, description = "already stored with the same content (a retry)", body = Recorded),
              (status = 404, description = "no such customer in this workspace", body = Problem),
              (status = 409, description = "external_id stored with other content", body = Problem),
              (status = 413, description = "body over 8 MiB", body = Problem),
              (status = 422, description = "a field is not valid (e.g. an amount in another currency without amount_in_reporting_currency); each item named by index", body = Problem)))]
pub async fn record_orders(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let (items, single) = items(body, "orders")?;
    let orders = parse_all(items, single, "orders", new_order)?;
    let recorded = match (single, orders.as_slice()) {
        (true, [o]) => state.store.orders().record(caller.workspace_id, o).await?,
        _ => {
            state
                .store
                .orders()
                .record_many(caller.workspace_id, &orders)
                .await?
        }
    };
    Ok(created(recorded))
}

/// Records one contact or a batch (`{"contacts": [...]}`).
#[utoipa::path(post, path = "/api/v1/contacts", operation_id = "recordContacts", tag = "business", request_body = ContactRequest,
    security(("api_key" = [])),
    responses((status = 201, description = "stored, or completed with its reply or resolution time", body = Recorded),
              (status = 200, description = "already stored so (a retry)", body = Recorded),
              (status = 404, description = "no such customer in this workspace", body = Problem),
              (status = 409, description = "external_id stored with other content", body = Problem),
              (status = 413, description = "body over 8 MiB", body = Problem),
              (status = 422, description = "a field is not valid; each item named by index", body = Problem)))]
pub async fn record_contacts(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let (items, single) = items(body, "contacts")?;
    let contacts = parse_all(items, single, "contacts", new_contact)?;
    let recorded = match (single, contacts.as_slice()) {
        (true, [c]) => {
            state
                .store
                .contacts()
                .record(caller.workspace_id, c)
                .await?
        }
        _ => {
            state
                .store
                .contacts()
                .record_many(caller.workspace_id, &contacts)
                .await?
        }
    };
    Ok(created(recorded))
}

/// Records one loyalty-programme event or a batch (`{"events": [...]}`).
#[utoipa::path(post, path = "/api/v1/loyalty", operation_id = "recordLoyalty", tag = "business", request_body = LoyaltyRequest,
    security(("api_key" = [])),
    responses((status = 201, description = "stored", body = Recorded),
              (status = 200, description = "already recorded (a retry)", body = Recorded),
              (status = 404, description = "no such customer in this workspace", body = Problem),
              (status = 409, description = "joined while a member, or left while not one", body = Problem),
              (status = 413, description = "body over 8 MiB", body = Problem),
              (status = 422, description = "a field is not valid; each item named by index", body = Problem)))]
pub async fn record_loyalty(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let (items, single) = items(body, "events")?;
    let events = parse_all(items, single, "events", loyalty_event)?;
    let store = &state.store;
    let recorded = match (single, events.as_slice()) {
        (true, [e]) if e.event == LoyaltyKind::Joined => {
            store
                .spells()
                .record_joined(caller.workspace_id, &e.customer, e.at)
                .await?
        }
        (true, [e]) => {
            store
                .spells()
                .record_left(caller.workspace_id, &e.customer, e.at)
                .await?
        }
        _ => {
            store
                .spells()
                .record_loyalty(caller.workspace_id, &events)
                .await?
        }
    };
    Ok(created(recorded))
}
