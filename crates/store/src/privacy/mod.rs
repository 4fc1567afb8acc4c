//! Privacy (GDPR): export everything about one person, erase one person, and anonymise
//! answers older than the workspace's retention. Erasure and retention never touch the
//! rollups, so every NPS report gives the same figures before and after: the answers stay
//! as anonymous counts.
//!
//! Each operation returns a summary of what it did, for the caller to show or to audit.

mod erase;
mod export;
mod messages;
mod retention;

pub use erase::Erasure;
pub use retention::Retention;

use crate::feedback::customers::customer_in;
use crate::models::Customer;
use crate::{Result, StoreError};
use sqlx::AnyConnection;

/// The customer `external_id` of the workspace, or `NotFound` naming it.
async fn person_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    external_id: &str,
) -> Result<Customer> {
    customer_in(conn, workspace_id, external_id)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("no customer with external_id {external_id:?}"))
        })
}
