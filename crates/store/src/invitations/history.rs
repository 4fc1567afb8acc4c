//! Invitation history: invitations sent before they were recorded here (by another tool,
//! or in a generated data set), loaded with what became of them, so response rates,
//! reminders and tracking cover the time before. Nothing is sent and nothing is checked
//! against eligibility: these invitations went out already.

use super::Source;
use crate::History;
use crate::{random_token, to_ts, Result, StoreError};
use advocate_core::{Channel, Language};
use chrono::{DateTime, Utc};

/// An invitation that was sent, with its times.
#[derive(Debug, Clone, PartialEq)]
pub struct PastInvitation {
    pub survey_id: i64,
    pub customer_id: i64,
    pub channel: Channel,
    pub language: Language,
    pub source: Source,
    pub sent_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    /// The answer it brought, and when.
    pub answered: Option<(i64, DateTime<Utc>)>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl History<'_> {
    /// Stores invitations that were sent before (see the module comment), in one
    /// transaction. Refuses an invitation whose survey or customer the workspace does not
    /// have, and then stores nothing. Returns how many were stored.
    #[tracing::instrument(name = "history.load_invitations", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn load_invitations(
        &self,
        workspace_id: i64,
        invitations: &[PastInvitation],
    ) -> Result<u64> {
        let mut tx = self.store.begin_write().await?;
        for (i, inv) in invitations.iter().enumerate() {
            let sent = to_ts(inv.sent_at);
            let done = sqlx::query(
                "INSERT INTO invitations (workspace_id, survey_id, customer_id, channel, \
                 language, source, send_at, status, sent_at, delivered_at, opened_at, \
                 answered_at, reminded_at, answer_id, short_code, expires_at, created_at) \
                 SELECT s.workspace_id, s.id, c.id, $1, $2, $3, $4, 'sent', $4, $5, $6, $7, $8, \
                 $9, $10, $11, $4 FROM surveys s JOIN customers c ON c.workspace_id = s.workspace_id \
                 WHERE s.workspace_id = $12 AND s.id = $13 AND c.id = $14",
            )
            .bind(inv.channel.as_str())
            .bind(inv.language.as_str())
            .bind(inv.source.as_str())
            .bind(sent)
            .bind(inv.delivered_at.map(to_ts))
            .bind(inv.opened_at.map(to_ts))
            .bind(inv.answered.map(|(_, at)| to_ts(at)))
            .bind(inv.reminded_at.map(to_ts))
            .bind(inv.answered.map(|(id, _)| id))
            .bind(random_token(10))
            .bind(to_ts(inv.expires_at))
            .bind(workspace_id)
            .bind(inv.survey_id)
            .bind(inv.customer_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!(
                    "invitations[{i}]: the workspace has no survey {} or no customer {}",
                    inv.survey_id, inv.customer_id
                )));
            }
        }
        tx.commit().await?;
        Ok(invitations.len() as u64)
    }
}
