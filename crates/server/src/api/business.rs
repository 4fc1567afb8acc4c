//! Business data in: `POST /api/v1/lifecycle`, `/orders`, `/contacts` and `/loyalty`, each
//! taking one item or a batch (`{"events": [...]}`, `{"orders": [...]}`,
//! `{"contacts": [...]}`) of up to 10,000, all or nothing; and `GET /api/v1/orders` and
//! `GET /api/v1/contacts` to read them back. The rules live in `advocate_store::business`;
//! here bodies are parsed, and every bad item is named by its index and field.

use super::values;
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::ContactChannel;
use advocate_core::Permission::{Ingest, ReadCustomers};
use advocate_store::business::{
    parse_time, ContactFilter, LifecycleEvent, LifecycleKind, LoyaltyEvent, LoyaltyKind,
    NewContact, NewOrder, OrderFilter, MAX_BATCH,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

mod body;
pub use body::{Contact, ContactPage, Order, OrderPage, Recorded};

#[derive(OpenApi)]
#[openapi(
    paths(record_lifecycle, record_orders, list_orders, record_contacts, list_contacts,
        record_loyalty),
    components(schemas(LifecycleBody, LifecycleBatch, LifecycleRequest, OrderBody, OrderBatch,
        OrderRequest, ContactBody, ContactBatch, ContactRequest, LoyaltyBody, LoyaltyBatch,
        LoyaltyRequest, Recorded, Order, OrderPage, Contact, ContactPage, values::ContactChannel,
        values::LifecycleKind, values::LoyaltyKind)),
    tags((name = "business", description = "Customers' lifecycle, orders, contacts and loyalty \
        membership, for the retention KPIs. Each write takes one item or a batch of up to \
        10,000 (all or nothing: every bad item is named by index and field, and nothing is \
        stored). Customers are named by external id and must exist. Retries are safe: an \
        order or contact with a stored external_id and the same content, or a lifecycle or \
        loyalty event already recorded at that instant, changes nothing."))
)]
pub struct Doc;

/// 10,000 contacts with every field are about 3 MB of JSON.
const BULK_BODY_LIMIT: usize = 8 * 1024 * 1024;

pub fn routes() -> Routes {
    Routes::new()
        .post("/api/v1/lifecycle", Key(Ingest), record_lifecycle)
        .get("/api/v1/orders", Key(ReadCustomers), list_orders)
        .post("/api/v1/orders", Key(Ingest), record_orders)
        .get("/api/v1/contacts", Key(ReadCustomers), list_contacts)
        .post("/api/v1/contacts", Key(Ingest), record_contacts)
        .post("/api/v1/loyalty", Key(Ingest), record_loyalty)
        .layer(DefaultBodyLimit::max(BULK_BODY_LIMIT))
}

/// A customer was acquired (or came back after churning), or churned.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleBody {
    /// The customer's external id.
    pub customer: String,
    /// `acquired` (opens a spell; again after a churn for a returning customer) or
    /// `churned` (closes the open spell).
    pub event: String,
    /// RFC 3339 time or a date (YYYY-MM-DD, midnight UTC); not in the future.
    pub at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LifecycleBatch {
    /// 1–10,000 events, applied per customer in time order.
    pub events: Vec<LifecycleBody>,
}

/// One event, or a batch.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // describes the body for OpenAPI; parsed by hand
pub enum LifecycleRequest {
    One(LifecycleBody),
    Many(LifecycleBatch),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// Your id for the order (makes retries safe; recommended).
    pub external_id: Option<String>,
    /// The customer's external id.
    pub customer: String,
    /// Decimal string (or JSON number) in `currency`, e.g. "19.90"; not negative, no more
    /// decimals than the currency has.
    #[schema(value_type = String)]
    pub amount: Value,
    /// ISO 4217 code, e.g. EUR.
    pub currency: String,
    /// What the order is worth in the workspace's reporting currency (settings.currency);
    /// required when `currency` is another one.
    #[schema(value_type = Option<String>)]
    pub amount_in_reporting_currency: Option<Value>,
    /// RFC 3339 time or a date; not in the future.
    pub ordered_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderBatch {
    /// 1–10,000 orders.
    pub orders: Vec<OrderBody>,
}

/// One order, or a batch.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum OrderRequest {
    One(OrderBody),
    Many(OrderBatch),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// Your id for it (ticket number). Sending it again may fill in first_reply_at or
    /// resolved_at where they were empty; nothing stored can be changed.
    pub external_id: Option<String>,
    /// The customer's external id, when known.
    pub customer: Option<String>,
    /// email, chat, phone, social, sms, chatbot, video, forum, meeting or self_service.
    pub channel: String,
    pub is_complaint: bool,
    pub opened_at: String,
    /// Not before opened_at.
    pub first_reply_at: Option<String>,
    /// Not before opened_at.
    pub resolved_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContactBatch {
    /// 1–10,000 contacts.
    pub contacts: Vec<ContactBody>,
}

/// One contact, or a batch.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ContactRequest {
    One(ContactBody),
    Many(ContactBatch),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyBody {
    /// The customer's external id.
    pub customer: String,
    /// `joined` (refused while a member) or `left` (refused unless a member).
    pub event: String,
    /// RFC 3339 time or a date; not in the future.
    pub at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoyaltyBatch {
    /// 1–10,000 events, applied per customer in time order.
    pub events: Vec<LoyaltyBody>,
}

/// One event, or a batch.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum LoyaltyRequest {
    One(LoyaltyBody),
    Many(LoyaltyBatch),
}

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
    super::json::check_text(&raw)?;
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

fn time(name: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    raw.map(|r| parse_time(name, r)).transpose()
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
