//! What a workspace still has to set up for the loop to reach people: shown on the
//! dashboard, the settings page and `GET /api/v1/workspace` while it holds.

use crate::tenancy::lookup::{
    admin_emails, alert_address, routing_rules_in, settings_in, DEFAULT_SENDER,
};
use crate::Result;
use crate::Workspaces;
use serde::Serialize;

/// One thing that keeps messages from reaching people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupWarning {
    /// `sender_not_set`, `alerts_to_admins` or `alerts_to_nobody`.
    pub code: &'static str,
    pub message: String,
}

impl Workspaces<'_> {
    /// The workspace's setup warnings, most serious first; empty when nothing is missing.
    #[tracing::instrument(name = "workspaces.setup_warnings", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn setup_warnings(&self, workspace_id: i64) -> Result<Vec<SetupWarning>> {
        let mut conn = self.store.pool.acquire().await?;
        let settings = settings_in(&mut conn, workspace_id).await?;
        let rules = routing_rules_in(&mut conn, workspace_id).await?;
        // Every assignee a case can get other than an account manager (a person's address).
        let mut queues: Vec<String> = rules
            .iter()
            .map(|r| r.assignee.clone())
            .chain(std::iter::once(settings.default_queue.clone()))
            .filter(|a| alert_address(a, &settings).is_none())
            .collect();
        queues.sort();
        queues.dedup();
        let mut out = Vec::new();
        if !queues.is_empty() {
            let names = queues
                .iter()
                .map(|q| format!("\u{201c}{q}\u{201d}"))
                .collect::<Vec<_>>()
                .join(", ");
            let admins = admin_emails(&mut conn, workspace_id).await?;
            if admins.is_empty()
                && settings.slack_webhook_url.is_none()
                && settings.teams_webhook_url.is_none()
            {
                out.push(SetupWarning {
                    code: "alerts_to_nobody",
                    message: format!(
                        "Detractor cases for {names} alert nobody: no team inbox is set and the \
                         workspace has no admin. Set a team inbox for alerts, or route these \
                         cases to a person's email address."
                    ),
                });
            } else if !admins.is_empty() {
                out.push(SetupWarning {
                    code: "alerts_to_admins",
                    message: format!(
                        "Detractor cases for {names} have no team inbox: their alerts are \
                         emailed to the workspace's admins ({}) until you set a team inbox for \
                         alerts or route these cases to a person's email address.",
                        admins.join(", ")
                    ),
                });
            }
        }
        let sender = settings.sender_email.as_deref().unwrap_or(DEFAULT_SENDER);
        if sender.eq_ignore_ascii_case(DEFAULT_SENDER) {
            out.push(SetupWarning {
                code: "sender_not_set",
                message: format!(
                    "Emails are sent from {DEFAULT_SENDER}, which mail servers reject or file as \
                     spam: set a sender email of your own domain."
                ),
            });
        }
        Ok(out)
    }
}
