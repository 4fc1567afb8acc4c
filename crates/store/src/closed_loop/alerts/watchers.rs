//! The subscriptions as matching reads them: each with its owner's address, language and
//! role, in one indexed query per workspace (or one subscription, for a batch).

use super::COLUMNS;
use crate::Result;
use advocate_core::alerts::SubscriptionFilter;
use advocate_core::Language;
use sqlx::{AnyConnection, Row};

/// A subscription as matching sees it: its filter and who it is for.
#[derive(Debug, Clone)]
pub(crate) struct Watcher {
    pub(crate) id: i64,
    pub(crate) workspace_id: i64,
    pub(crate) filter: SubscriptionFilter,
    pub(crate) email: String,
    pub(crate) language: Language,
    /// An agent hears only of their own customers' answers.
    pub(crate) agent: bool,
}

/// The query of [`subscriptions_in`] and [`watcher_in`]. A member who left the workspace
/// (no membership), or who is now a viewer (dashboards only, no answers), has no
/// subscriptions that fire.
fn watchers_sql(condition: &str) -> String {
    let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("s.{c}")).collect();
    format!(
        "SELECT {}, u.email AS user_email, u.language AS user_language, m.role AS user_role \
         FROM alert_subscriptions s JOIN users u ON u.id = s.user_id \
         JOIN memberships m ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id \
         WHERE {condition} AND m.role <> 'viewer' ORDER BY s.id",
        columns.join(", ")
    )
}

fn watcher_from(row: &sqlx::any::AnyRow) -> Result<Watcher> {
    let language: String = row.try_get("user_language")?;
    Ok(Watcher {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        filter: super::filter_from(row)?,
        email: row.try_get("user_email")?,
        language: Language::new(&language).unwrap_or_else(|_| Language::english()),
        agent: row.try_get::<String, _>("user_role")? == advocate_core::Role::Agent.as_str(),
    })
}

/// Every subscription of the workspace whose owner is still a member.
pub(crate) async fn subscriptions_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
) -> Result<Vec<Watcher>> {
    let rows = sqlx::query(&watchers_sql("s.workspace_id = $1"))
        .bind(workspace_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(watcher_from).collect()
}

/// One subscription, if its owner is still a member.
pub(crate) async fn watcher_in(
    conn: &mut AnyConnection,
    subscription_id: i64,
) -> Result<Option<Watcher>> {
    let row = sqlx::query(&watchers_sql("s.id = $1"))
        .bind(subscription_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(watcher_from).transpose()
}
