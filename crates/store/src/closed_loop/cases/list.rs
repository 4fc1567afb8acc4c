//! The case list: a filter, its SQL, and one page of cases, soonest SLA due first.

use super::{case_from, Case, CASE_SELECT};
use crate::Cases;
use crate::{to_ts, Result};
use advocate_core::case::CaseStatus;
use advocate_core::Priority;
use chrono::Utc;
use serde::Serialize;

/// Which cases to list. Empty `statuses` means every status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub statuses: Vec<CaseStatus>,
    /// Exact assignee (case-insensitive).
    pub assignee: Option<String>,
    pub priority: Option<Priority>,
    /// `Some(true)`: only overdue; `Some(false)`: only those not overdue.
    pub overdue: Option<bool>,
    /// A customer's external id.
    pub customer: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// One page of cases, soonest SLA due first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CasePage {
    pub cases: Vec<Case>,
    /// How many cases match the filter in all.
    pub total: u64,
}

/// The WHERE clause of a filter (after `k.workspace_id = $1`) and its text parameters in
/// order, numbered from `$3` (`$2` is always "now").
fn filter_sql(f: &CaseFilter) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut params: Vec<String> = Vec::new();
    fn param(value: String, params: &mut Vec<String>) -> String {
        params.push(value);
        format!("${}", params.len() + 2)
    }
    if !f.statuses.is_empty() {
        let list: Vec<String> = f
            .statuses
            .iter()
            .map(|s| param(s.as_str().to_owned(), &mut params))
            .collect();
        sql.push_str(&format!(" AND k.status IN ({})", list.join(", ")));
    }
    if let Some(a) = &f.assignee {
        let p = param(a.to_lowercase(), &mut params);
        sql.push_str(&format!(" AND LOWER(k.assignee) = {p}"));
    }
    if let Some(p) = f.priority {
        let p = param(p.as_str().to_owned(), &mut params);
        sql.push_str(&format!(" AND k.priority = {p}"));
    }
    if let Some(c) = &f.customer {
        let p = param(c.clone(), &mut params);
        sql.push_str(&format!(" AND cu.external_id = {p}"));
    }
    const OVERDUE: &str =
        "(k.status = 'open' AND k.first_contact_at IS NULL AND k.sla_due_at < $2)";
    match f.overdue {
        Some(true) => sql.push_str(&format!(" AND {OVERDUE}")),
        Some(false) => sql.push_str(&format!(" AND NOT {OVERDUE}")),
        None => {}
    }
    (sql, params)
}

impl Cases<'_> {
    /// Cases matching `filter`, soonest SLA due first.
    #[tracing::instrument(name = "cases.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64, filter: &CaseFilter) -> Result<CasePage> {
        self.list_at(workspace_id, filter, Utc::now()).await
    }

    /// Cases matching `filter` as they stood at `now` (what is overdue depends on it): a
    /// digest counts at the moment it is for.
    pub async fn list_at(
        &self,
        workspace_id: i64,
        filter: &CaseFilter,
        now: chrono::DateTime<Utc>,
    ) -> Result<CasePage> {
        let (cond, params) = filter_sql(filter);
        let count_sql = format!(
            "SELECT COUNT(*) FROM cases k LEFT JOIN customers cu ON cu.id = k.customer_id \
             WHERE k.workspace_id = $1 AND $2 = $2{cond}"
        );
        let mut q = sqlx::query_scalar(&count_sql)
            .bind(workspace_id)
            .bind(to_ts(now));
        for p in &params {
            q = q.bind(p.clone());
        }
        let total: i64 = q.fetch_one(&self.store.pool).await?;
        let n = params.len() + 2;
        let list_sql = format!(
            "{CASE_SELECT} WHERE k.workspace_id = $1 AND $2 = $2{cond} \
             ORDER BY k.sla_due_at, k.id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(&list_sql).bind(workspace_id).bind(to_ts(now));
        for p in &params {
            q = q.bind(p.clone());
        }
        let rows = q
            .bind(i64::from(filter.limit.clamp(1, 500)))
            .bind(i64::from(filter.offset))
            .fetch_all(&self.store.pool)
            .await?;
        Ok(CasePage {
            cases: rows
                .iter()
                .map(|r| case_from(r, now))
                .collect::<Result<_>>()?,
            total: total as u64,
        })
    }
}
