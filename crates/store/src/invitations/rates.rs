//! Response rates: sent, delivered, opened and answered invitations per survey and channel.

use crate::Invitations;
use crate::{to_ts, Result, StoreError};
use advocate_core::Channel;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Response figures of one survey on one channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseRate {
    pub survey_id: i64,
    pub channel: Channel,
    pub sent: u64,
    /// Where the channel tells (SMTP accepted the email; the SMS provider confirmed).
    pub delivered: u64,
    pub opened: u64,
    pub answered: u64,
    /// answered ÷ sent, 0 when nothing was sent.
    pub response_rate: f64,
}

impl Invitations<'_> {
    /// Sent, delivered, opened and answered invitations per survey and channel, for
    /// invitations sent in `[from, to)` (`to` of `None`: up to now, inclusive).
    #[tracing::instrument(name = "invitations.response_rates", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn response_rates(
        &self,
        workspace_id: i64,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<ResponseRate>> {
        let rows: Vec<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT survey_id, channel, COUNT(*), COUNT(delivered_at), COUNT(opened_at), \
             COUNT(answered_at) FROM invitations WHERE workspace_id = $1 AND status = 'sent' \
             AND sent_at >= $2 AND sent_at < $3 GROUP BY survey_id, channel \
             ORDER BY survey_id, channel",
        )
        .bind(workspace_id)
        .bind(to_ts(from))
        .bind(to.map_or(i64::MAX, to_ts))
        .fetch_all(&self.store.pool)
        .await?;
        rows.into_iter()
            .map(|(survey_id, channel, sent, delivered, opened, answered)| {
                let count = |n: i64| u64::try_from(n).unwrap_or(0);
                Ok(ResponseRate {
                    survey_id,
                    channel: Channel::parse(&channel)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?,
                    sent: count(sent),
                    delivered: count(delivered),
                    opened: count(opened),
                    answered: count(answered),
                    response_rate: if sent > 0 {
                        answered as f64 / sent as f64
                    } else {
                        0.0
                    },
                })
            })
            .collect()
    }
}
