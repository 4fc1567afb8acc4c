//! DEMO ONLY: gives the demo workspace an invitation history that agrees with its answers.
//! Every recent email or SMS answer from a known customer becomes the answer to an
//! invitation sent shortly before it, and other customers get invitations they left
//! unanswered, so response rates, reminders and tracking have something true to show.
//! Rows go straight into the table (nothing is sent); never use it for real data.

use crate::{random_token, to_ts, Result, Store};
use chrono::{DateTime, Duration, Utc};

/// A deterministic number in `0..n` from an id and a salt (the demo must be reproducible).
fn pick(id: i64, salt: u64, n: u64) -> u64 {
    let mut z = (id as u64) ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % n
}

/// What the demo's invitation history holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoInvitations {
    pub answered: usize,
    pub unanswered: usize,
}

impl Store {
    /// Links the workspace's email and SMS answers since `since` to invitations, and adds
    /// about `unanswered_per_answered` unanswered invitations for each of them.
    pub async fn demo_invitations(
        &self,
        workspace_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        unanswered_per_answered: f64,
    ) -> Result<DemoInvitations> {
        let answers: Vec<(i64, i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, survey_id, customer_id, channel, language, answered_at FROM answers \
             WHERE workspace_id = $1 AND answered_at >= $2 AND customer_id IS NOT NULL \
             AND channel IN ('email', 'sms') ORDER BY answered_at, id",
        )
        .bind(workspace_id)
        .bind(to_ts(since))
        .fetch_all(&self.pool)
        .await?;
        let quiet: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, COALESCE(language, '') FROM customers c WHERE workspace_id = $1 \
             AND email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM answers a \
             WHERE a.customer_id = c.id AND a.answered_at >= $2) ORDER BY id",
        )
        .bind(workspace_id)
        .bind(to_ts(since))
        .fetch_all(&self.pool)
        .await?;
        let settings = self.workspace_settings(workspace_id).await?;
        let valid = Duration::days(i64::from(settings.invitation_valid_days));
        let reminder = settings
            .reminder_after_days
            .map(|d| Duration::days(i64::from(d)));
        let mut tx = self.begin_write().await?;
        let mut made = DemoInvitations::default();
        let insert = "INSERT INTO invitations (workspace_id, survey_id, customer_id, channel, \
             language, source, send_at, status, sent_at, delivered_at, opened_at, answered_at, \
             reminded_at, answer_id, short_code, expires_at, created_at) VALUES \
             ($1, $2, $3, $4, $5, 'schedule', $6, 'sent', $6, $7, $8, $9, $10, $11, $12, $13, $6)";
        for (answer_id, survey_id, customer_id, channel, language, answered_at) in &answers {
            // Most answer within a day; some after the reminder.
            let delay = Duration::minutes(5 + pick(*answer_id, 1, 36 * 60) as i64);
            let sent = DateTime::<Utc>::from_timestamp(*answered_at, 0).unwrap_or(now) - delay;
            let language = if language.is_empty() { "en" } else { language };
            sqlx::query(insert)
                .bind(workspace_id)
                .bind(*survey_id)
                .bind(*customer_id)
                .bind(channel.as_str())
                .bind(language)
                .bind(to_ts(sent))
                .bind(to_ts(sent + Duration::seconds(3)))
                .bind(*answered_at - 60)
                .bind(*answered_at)
                .bind(None::<i64>)
                .bind(*answer_id)
                .bind(random_token(10))
                .bind(to_ts(sent + valid))
                .execute(&mut *tx)
                .await?;
            made.answered += 1;
        }
        let wanted = (answers.len() as f64 * unanswered_per_answered) as usize;
        let span = (now - since).num_minutes().max(1) as u64;
        for (i, (customer_id, language)) in quiet.iter().take(wanted).enumerate() {
            let Some((_, survey_id, ..)) = answers.get(i % answers.len().max(1)) else {
                break;
            };
            let channel = "email";
            let sent = since + Duration::minutes(pick(*customer_id, 2, span) as i64);
            let delivered = pick(*customer_id, 3, 100) < 97;
            let opened = delivered && pick(*customer_id, 4, 100) < 30;
            let reminded = reminder.map(|r| sent + r).filter(|at| *at <= now);
            let language = if language.is_empty() { "en" } else { language };
            sqlx::query(insert)
                .bind(workspace_id)
                .bind(*survey_id)
                .bind(*customer_id)
                .bind(channel)
                .bind(language)
                .bind(to_ts(sent))
                .bind(delivered.then(|| to_ts(sent + Duration::seconds(3))))
                .bind(opened.then(|| to_ts(sent + Duration::hours(2))))
                .bind(None::<i64>)
                .bind(reminded.map(to_ts))
                .bind(None::<i64>)
                .bind(random_token(10))
                .bind(to_ts(sent + valid))
                .execute(&mut *tx)
                .await?;
            made.unanswered += 1;
        }
        tx.commit().await?;
        Ok(made)
    }
}
