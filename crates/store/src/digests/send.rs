//! Sending one digest: claimed and queued in one transaction, so two instances (or two
//! passes) that both found it due send it once.

use super::DueDigest;
use crate::delivery::links::digest_unsubscribe_token;
use crate::delivery::outbox::{enqueue_email, EmailMessage};
use crate::tenancy::lookup::{sender, settings_in};
use crate::Digests;
use crate::{to_ts, Result};
use advocate_core::messages::staff;
use advocate_core::Language;
use chrono::{DateTime, Utc};

impl Digests<'_> {
    /// Builds `digest`'s email for the period ending at `now` and queues it, unless
    /// another pass already sent this period's: the membership is claimed with a
    /// conditional update (nothing sent since it fell due, digest still on) and only the
    /// pass whose update took queues. Returns whether this pass queued it.
    #[tracing::instrument(name = "digests.send", level = "debug", skip_all, fields(workspace = digest.workspace_id))]
    pub async fn send(&self, digest: &DueDigest, now: DateTime<Utc>) -> Result<bool> {
        let key = self.store.workspaces().signing_key().await?;
        let token = digest_unsubscribe_token(&key, digest.user_id, digest.workspace_id, now);
        let unsubscribe_url = format!(
            "{}/digest/unsubscribe/{token}",
            self.store.public_url().trim_end_matches('/')
        );
        let facts = self.facts(digest, now, unsubscribe_url.clone()).await?;
        let lang = Language::new(&digest.language).unwrap_or_else(|_| Language::english());
        let content = staff::digest(&lang, &facts);

        let mut tx = self.store.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE memberships SET digest_sent_at = $1 WHERE user_id = $2 AND workspace_id = $3 \
             AND digest = $4 AND (digest_sent_at IS NULL OR digest_sent_at < $5)",
        )
        .bind(to_ts(now))
        .bind(digest.user_id)
        .bind(digest.workspace_id)
        .bind(digest.frequency.as_str())
        .bind(to_ts(digest.due_at))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        let settings = settings_in(&mut tx, digest.workspace_id).await?;
        let mail = EmailMessage {
            from: sender(&settings),
            to: digest.email.clone(),
            subject: content.subject,
            text: content.text,
            html: content.html,
            unsubscribe_url: Some(unsubscribe_url),
            ..Default::default()
        };
        enqueue_email(&mut tx, digest.workspace_id, "digest", &mail).await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(true)
    }
}
