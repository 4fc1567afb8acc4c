//! The bodies the business writes take: one item or a batch of each.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

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
