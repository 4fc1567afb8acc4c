//! The bodies `GET /api/v1/orders` and `/contacts` return, and what a write did.

use crate::api::values::ContactChannel;
use advocate_store as store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// What a write did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    /// Items that changed something: a new row, a spell closed, a contact completed.
    pub stored: u64,
    /// Items already recorded exactly so (retries).
    pub unchanged: u64,
}

impl From<store::business::Recorded> for Recorded {
    fn from(x: store::business::Recorded) -> Self {
        Self {
            stored: x.stored,
            unchanged: x.unchanged,
        }
    }
}

/// A stored contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    pub external_id: Option<String>,
    /// The customer's external id.
    pub customer: Option<String>,
    pub channel: ContactChannel,
    pub is_complaint: bool,
    pub opened_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<store::business::Contact> for Contact {
    fn from(x: store::business::Contact) -> Self {
        Self {
            external_id: x.external_id,
            customer: x.customer,
            channel: x.channel.into(),
            is_complaint: x.is_complaint,
            opened_at: x.opened_at,
            first_reply_at: x.first_reply_at,
            resolved_at: x.resolved_at,
            created_at: x.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPage {
    /// How many match the filter in all.
    pub total: i64,
    pub contacts: Vec<Contact>,
}

impl From<store::business::ContactPage> for ContactPage {
    fn from(x: store::business::ContactPage) -> Self {
        Self {
            total: x.total,
            contacts: x.contacts.into_iter().map(Into::into).collect(),
        }
    }
}

/// A stored order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Order {
    pub external_id: Option<String>,
    /// The customer's external id.
    pub customer: String,
    /// As sent, in `currency`, e.g. "19.90".
    pub amount: String,
    pub currency: String,
    /// In the workspace's reporting currency.
    pub amount_in_reporting_currency: String,
    pub reporting_currency: String,
    pub ordered_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<store::business::Order> for Order {
    fn from(x: store::business::Order) -> Self {
        Self {
            external_id: x.external_id,
            customer: x.customer,
            amount: x.amount,
            currency: x.currency,
            amount_in_reporting_currency: x.amount_in_reporting_currency,
            reporting_currency: x.reporting_currency,
            ordered_at: x.ordered_at,
            created_at: x.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    /// How many match the filter in all.
    pub total: i64,
    pub orders: Vec<Order>,
}

impl From<store::business::OrderPage> for OrderPage {
    fn from(x: store::business::OrderPage) -> Self {
        Self {
            total: x.total,
            orders: x.orders.into_iter().map(Into::into).collect(),
        }
    }
}
