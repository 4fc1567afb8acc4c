//! The customer list: a page of customers by name, searched, flagged or owned by one person.

use crate::Result;
use crate::Timelines;
use serde::Serialize;
use sqlx::Row;

/// Most customers one list page returns.
pub const CUSTOMERS_PAGE_MAX: u32 = 200;

/// One row of the customer list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRow {
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub account_manager: Option<String>,
    pub follow_up_note: Option<String>,
    pub latest_score: Option<u8>,
    /// Cases still open or contacted.
    pub open_cases: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomersPage {
    /// How many customers match, over all pages.
    pub total: u64,
    pub rows: Vec<CustomerRow>,
}

/// `%` and `_` in a search are literal text, not wildcards.
fn like_pattern(search: &str) -> String {
    let mut p = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// SQL: the customer `c` belongs to the person bound as `email` (a placeholder such as
/// `$4`, the lower-cased address): they are its account manager, or a case about it is
/// assigned to them.
pub(crate) fn owned_by(email: &str) -> String {
    format!(
        "(LOWER(COALESCE(c.account_manager, '')) = {email} OR EXISTS (SELECT 1 FROM cases k \
         WHERE k.customer_id = c.id AND k.workspace_id = c.workspace_id \
         AND LOWER(k.assignee) = {email}))"
    )
}

impl Timelines<'_> {
    /// Whether the customer belongs to the person (see [`Timelines::customers_page`]'s owner).
    #[tracing::instrument(name = "timelines.customer_owned_by", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn customer_owned_by(
        &self,
        workspace_id: i64,
        external_id: &str,
        email: &str,
    ) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM customers c WHERE c.workspace_id = $1 AND c.external_id = $2 \
             AND {}",
            owned_by("$3")
        ))
        .bind(workspace_id)
        .bind(external_id)
        .bind(email.trim().to_lowercase())
        .fetch_one(&self.store.pool)
        .await?;
        Ok(n > 0)
    }

    /// A page of customers by name (then external id), optionally only those matching
    /// `search` (in name, external id or email; case-insensitive — for non-ASCII letters
    /// only on PostgreSQL, as SQLite folds ASCII case only) or only those flagged for
    /// follow-up. `limit` is capped at [`CUSTOMERS_PAGE_MAX`].
    /// A page of customers; with `owner`, only those whose account manager that person
    /// is or who have a case assigned to them (what an agent sees).
    #[tracing::instrument(name = "timelines.customers_page", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn customers_page(
        &self,
        workspace_id: i64,
        search: Option<&str>,
        flagged_only: bool,
        owner: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<CustomersPage> {
        let pattern = search.filter(|s| !s.trim().is_empty()).map(like_pattern);
        let filter = format!(
            "c.workspace_id = $1 \
             AND ($2 = '' OR LOWER(COALESCE(c.name, '')) LIKE $2 ESCAPE '\\' \
                  OR LOWER(c.external_id) LIKE $2 ESCAPE '\\' \
                  OR LOWER(COALESCE(c.email, '')) LIKE $2 ESCAPE '\\') \
             AND ($3 = 0 OR c.follow_up_note IS NOT NULL) \
             AND ($4 = '' OR {})",
            owned_by("$4")
        );
        let pattern = pattern.unwrap_or_default();
        let flagged = i64::from(flagged_only);
        let owner = owner.map(|o| o.trim().to_lowercase()).unwrap_or_default();
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM customers c WHERE {filter}"))
                .bind(workspace_id)
                .bind(&pattern)
                .bind(flagged)
                .bind(&owner)
                .fetch_one(&self.store.pool)
                .await?;
        let rows = sqlx::query(&format!(
            "SELECT c.external_id, c.name, c.email, c.account_manager, c.follow_up_note, \
             (SELECT a.score FROM answers a JOIN surveys s ON s.id = a.survey_id \
              WHERE a.customer_id = c.id AND s.kind = 'nps' \
              ORDER BY a.answered_at DESC, a.id DESC LIMIT 1) AS latest_score, \
             (SELECT COUNT(*) FROM cases k WHERE k.workspace_id = c.workspace_id \
              AND k.customer_id = c.id AND k.status IN ('open', 'contacted')) AS open_cases \
             FROM customers c WHERE {filter} \
             ORDER BY LOWER(COALESCE(c.name, c.external_id)), c.external_id LIMIT $5 OFFSET $6"
        ))
        .bind(workspace_id)
        .bind(&pattern)
        .bind(flagged)
        .bind(&owner)
        .bind(i64::from(limit.clamp(1, CUSTOMERS_PAGE_MAX)))
        .bind(i64::from(offset))
        .fetch_all(&self.store.pool)
        .await?;
        let rows = rows
            .iter()
            .map(|r| {
                Ok(CustomerRow {
                    external_id: r.try_get("external_id")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    account_manager: r.try_get("account_manager")?,
                    follow_up_note: r.try_get("follow_up_note")?,
                    latest_score: r
                        .try_get::<Option<i64>, _>("latest_score")?
                        .and_then(|s| u8::try_from(s).ok()),
                    open_cases: u64::try_from(r.try_get::<i64, _>("open_cases")?).unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CustomersPage {
            total: u64::try_from(total).unwrap_or(0),
            rows,
        })
    }
}
