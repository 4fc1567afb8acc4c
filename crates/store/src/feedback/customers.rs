//! Customers: the people who answer, with the segment attributes reports break down by.

use crate::many_rows::{Placeholders, LOOKUP_KEYS};
use crate::models::Customer;
use crate::Customers;
use crate::{from_ts, to_ts, Backend, Result, StoreError};
use advocate_core::customer::{Attributes, CustomerInput};
use advocate_core::Language;
use chrono::Utc;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

pub(crate) const COLUMNS: &str =
    "id, workspace_id, external_id, name, email, phone, language, attributes, \
                       account_manager, created_at, updated_at, unsubscribed_at";

pub(crate) fn customer_from(row: &AnyRow) -> Result<Customer> {
    Ok(Customer {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        external_id: row.try_get("external_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        language: row
            .try_get::<Option<String>, _>("language")?
            .and_then(|l| Language::new(&l).ok()),
        attributes: parse_attributes(&row.try_get::<String, _>("attributes")?)?,
        account_manager: row.try_get("account_manager")?,
        created_at: from_ts(row.try_get("created_at")?),
        updated_at: from_ts(row.try_get("updated_at")?),
        unsubscribed_at: row
            .try_get::<Option<i64>, _>("unsubscribed_at")?
            .map(from_ts),
    })
}

pub(crate) fn parse_attributes(json: &str) -> Result<Attributes> {
    serde_json::from_str(json)
        .map_err(|_| StoreError::Invalid("stored attributes are not valid".into()))
}

pub(crate) fn attributes_json(attributes: &Attributes) -> String {
    serde_json::to_string(attributes).expect("attributes serialise")
}

impl Customers<'_> {
    /// Creates the customer or updates the fields given (by external id).
    #[tracing::instrument(name = "customers.upsert", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn upsert(&self, workspace_id: i64, input: &CustomerInput) -> Result<Customer> {
        let mut tx = self.store.begin_write().await?;
        let customer = upsert_customer_in(&mut tx, workspace_id, input).await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Upserts many customers in one transaction: all of them or none.
    #[tracing::instrument(name = "customers.upsert_many", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn upsert_many(&self, workspace_id: i64, inputs: &[CustomerInput]) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        for input in inputs {
            upsert_customer_in(&mut tx, workspace_id, input).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(name = "customers.by_external_id", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn by_external_id(
        &self,
        workspace_id: i64,
        external_id: &str,
    ) -> Result<Option<Customer>> {
        let mut conn = self.store.pool.acquire().await?;
        customer_in(&mut conn, workspace_id, external_id).await
    }

    #[tracing::instrument(name = "customers.count", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn count(&self, workspace_id: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(n as u64)
    }
}

pub(crate) async fn customer_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    external_id: &str,
) -> Result<Option<Customer>> {
    let sql =
        format!("SELECT {COLUMNS} FROM customers WHERE workspace_id = $1 AND external_id = $2");
    let row = sqlx::query(&sql)
        .bind(workspace_id)
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(customer_from).transpose()
}

/// The customers of a workspace with these external ids, by external id: a few thousand
/// per query.
pub(crate) async fn customers_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    external_ids: &[&str],
) -> Result<HashMap<String, Customer>> {
    let mut found = HashMap::new();
    for chunk in external_ids.chunks(LOOKUP_KEYS) {
        let mut p = Placeholders::new(Backend::of_connection(conn));
        let sql = format!(
            "SELECT {COLUMNS} FROM customers WHERE workspace_id = {} AND external_id IN ({})",
            p.one(),
            p.list(chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(workspace_id);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let c = customer_from(&row)?;
            found.insert(c.external_id.clone(), c);
        }
    }
    Ok(found)
}

/// Upsert inside the caller's transaction. Attributes are merged: given keys replace the
/// stored ones and the rest are kept.
pub(crate) async fn customer_by_id_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<Customer>> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE workspace_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(customer_from).transpose()
}

pub(crate) async fn upsert_customer_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    input: &CustomerInput,
) -> Result<Customer> {
    let now = to_ts(Utc::now());
    let existing = customer_in(conn, workspace_id, &input.external_id).await?;
    let mut attributes = existing
        .as_ref()
        .map(|c| c.attributes.clone())
        .unwrap_or_default();
    attributes.extend(input.attributes.clone());
    let language = input.language.as_ref().map(|l| l.as_str().to_owned());
    let row = sqlx::query(&format!(
        "INSERT INTO customers (workspace_id, external_id, name, email, phone, language, attributes, \
         account_manager, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (workspace_id, external_id) DO UPDATE SET \
         name = COALESCE(excluded.name, customers.name), \
         email = COALESCE(excluded.email, customers.email), \
         phone = COALESCE(excluded.phone, customers.phone), \
         language = COALESCE(excluded.language, customers.language), \
         attributes = excluded.attributes, \
         account_manager = COALESCE(excluded.account_manager, customers.account_manager), \
         updated_at = excluded.updated_at \
         RETURNING {COLUMNS}"
    ))
    .bind(workspace_id)
    .bind(&input.external_id)
    .bind(input.name.clone())
    .bind(input.email.clone())
    .bind(input.phone.clone())
    .bind(language)
    .bind(attributes_json(&attributes))
    .bind(input.account_manager.clone())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    customer_from(&row)
}
