//! Business data in: `POST /api/v1/lifecycle`, `/orders`, `/contacts` and `/loyalty`, each
//! taking one item or a batch (`{"events": [...]}`, `{"orders": [...]}`,
//! `{"contacts": [...]}`) of up to 10,000, all or nothing; and `GET /api/v1/orders` and
//! `GET /api/v1/contacts` to read them back. The rules live in `advocate_store::business`;
//! here bodies are parsed, and every bad item is named by its index and field.

use super::values;
use crate::access::Access::Key;
use crate::routes::Routes;
use advocate_core::Permission::{Ingest, ReadCustomers};
use advocate_store::business::parse_time;
use axum::extract::DefaultBodyLimit;
use chrono::{DateTime, Utc};
use utoipa::OpenApi;

mod body;
mod list;
mod record;
mod requests;

pub use body::{Contact, ContactPage, Order, OrderPage, Recorded};
pub use list::{list_contacts, list_orders};
pub use record::{record_contacts, record_lifecycle, record_loyalty, record_orders};
pub use requests::{
    ContactBatch, ContactBody, ContactRequest, LifecycleBatch, LifecycleBody, LifecycleRequest,
    LoyaltyBatch, LoyaltyBody, LoyaltyRequest, OrderBatch, OrderBody, OrderRequest,
};

#[derive(OpenApi)]
#[openapi(
    paths(record::record_lifecycle, record::record_orders, list::list_orders,
        record::record_contacts, list::list_contacts, record::record_loyalty),
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

fn time(name: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    raw.map(|r| parse_time(name, r)).transpose()
}
