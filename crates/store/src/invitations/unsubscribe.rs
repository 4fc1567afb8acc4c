//! Unsubscribing a customer from everything (waiting invitations cancelled), and back.

use crate::feedback::customers::customer_by_id_in;
use crate::models::Customer;
use crate::Invitations;
use crate::{to_ts, Result, StoreError};
use chrono::{DateTime, Utc};

impl Invitations<'_> {
    /// Unsubscribes a customer from everything: invitations waiting to be sent are
    /// cancelled, and nothing is sent to them from now on. Returns the customer.
    #[tracing::instrument(name = "invitations.unsubscribe", level = "debug", skip_all)]
    pub async fn unsubscribe(&self, customer_id: i64, now: DateTime<Utc>) -> Result<Customer> {
        let mut tx = self.store.begin_write().await?;
        let workspace_id: i64 =
            sqlx::query_scalar("SELECT workspace_id FROM customers WHERE id = $1")
                .bind(customer_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound(format!("no customer with id {customer_id}"))
                })?;
        sqlx::query(
            "UPDATE customers SET unsubscribed_at = $1 WHERE id = $2 AND unsubscribed_at IS NULL",
        )
        .bind(to_ts(now))
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE invitations SET status = 'cancelled', skip_reason = 'unsubscribed' \
             WHERE customer_id = $1 AND status = 'scheduled'",
        )
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        let customer = customer_by_id_in(&mut tx, workspace_id, customer_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no customer with id {customer_id}")))?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Lets a customer who unsubscribed by mistake receive invitations again.
    #[tracing::instrument(name = "invitations.resubscribe", level = "debug", skip_all)]
    pub async fn resubscribe(&self, customer_id: i64) -> Result<()> {
        sqlx::query("UPDATE customers SET unsubscribed_at = NULL WHERE id = $1")
            .bind(customer_id)
            .execute(&self.store.writer)
            .await?;
        Ok(())
    }
}
