//! A workspace's configuration as the loop reads it inside a transaction: settings (over
//! their defaults), playbooks, routing rules, name and language, sender, admins. The one
//! place these are read; the settings API writes them (`settings.rs`).

use crate::models::{RoutingRule, WorkspaceSettings};
use crate::{Result, StoreError};
use advocate_core::{Language, Playbook, Priority, Score};
use sqlx::{AnyConnection, Row};

/// Default From address when a workspace has not set one.
pub const DEFAULT_SENDER: &str = "advocate@localhost";

pub(crate) fn sender(settings: &WorkspaceSettings) -> String {
    let address = settings
        .sender_email
        .clone()
        .unwrap_or_else(|| DEFAULT_SENDER.into());
    match &settings.sender_name {
        Some(name) => format!("{name} <{address}>"),
        None => address,
    }
}

pub(crate) async fn settings_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
) -> Result<WorkspaceSettings> {
    let json: Option<String> =
        sqlx::query_scalar("SELECT settings FROM workspace_settings WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_optional(&mut *conn)
            .await?;
    match json {
        Some(j) => stored_settings(&j)
            .map_err(|_| StoreError::Invalid("stored workspace settings are not valid".into())),
        None => Ok(WorkspaceSettings::default()),
    }
}

/// Stored settings over the defaults: settings saved before a field existed lack it.
fn stored_settings(json: &str) -> serde_json::Result<WorkspaceSettings> {
    let mut settings = serde_json::to_value(WorkspaceSettings::default())?;
    if let (serde_json::Value::Object(all), serde_json::Value::Object(saved)) =
        (&mut settings, serde_json::from_str(json)?)
    {
        all.extend(saved);
    }
    serde_json::from_value(settings)
}

/// The playbook for a score in a language: the workspace's own for that language, else
/// its own for every language, else the built-in default.
pub(crate) async fn playbook_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    score: Score,
    language: &str,
) -> Result<Playbook> {
    let row = sqlx::query(
        "SELECT steps, priority FROM playbooks WHERE workspace_id = $1 AND score = $2 \
         AND (language = $3 OR language = '') ORDER BY language DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(i64::from(score.value()))
    .bind(language)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(advocate_core::playbook::default_playbook(score));
    };
    let steps: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("steps")?)
        .map_err(|_| StoreError::Invalid("stored playbook steps are not valid".into()))?;
    let priority = row
        .try_get::<Option<String>, _>("priority")?
        .and_then(|p| Priority::parse(&p));
    Ok(Playbook { steps, priority })
}

pub(crate) async fn routing_rules_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
) -> Result<Vec<RoutingRule>> {
    let rows = sqlx::query(
        "SELECT id, position, attribute, value, touchpoint, language, assignee FROM routing_rules \
         WHERE workspace_id = $1 ORDER BY position, id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RoutingRule {
                id: r.try_get("id")?,
                position: r.try_get("position")?,
                attribute: r.try_get("attribute")?,
                value: r.try_get("value")?,
                touchpoint: r.try_get("touchpoint")?,
                language: r.try_get("language")?,
                assignee: r.try_get("assignee")?,
            })
        })
        .collect()
}

/// Where an alert for `assignee` is emailed: the assignee when it is an address, else the
/// team inbox.
pub(crate) fn alert_address(assignee: &str, settings: &WorkspaceSettings) -> Option<String> {
    if assignee.contains('@') {
        Some(assignee.to_owned())
    } else {
        settings.alerts_email.clone()
    }
}

/// The email addresses of a workspace's admins, in order.
pub(crate) async fn admin_emails(
    conn: &mut AnyConnection,
    workspace_id: i64,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = $1 AND m.role = 'admin' ORDER BY u.email",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?)
}

pub(crate) async fn company_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
) -> Result<(String, Language)> {
    let (name, lang): (String, String) =
        sqlx::query_as("SELECT name, default_language FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok((
        name,
        Language::new(&lang).unwrap_or_else(|_| Language::english()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_before_a_field_existed_take_its_default() {
        let saved = r#"{"currency": "NOK", "passive_nudge": true, "sender_name": "Acme"}"#;
        let settings = stored_settings(saved).unwrap();
        assert_eq!(settings.currency, "NOK");
        assert!(settings.passive_nudge);
        assert_eq!(settings.sender_name.as_deref(), Some("Acme"));
        let defaults = WorkspaceSettings::default();
        assert_eq!(settings.sla_hours, defaults.sla_hours);
        assert_eq!(settings.enps_min_group_size, defaults.enps_min_group_size);
        assert!(stored_settings(r#"{"currency": 3}"#).is_err());
    }
}
