//! Answer retention: answers older than the workspace's `answer_retention_months` are
//! anonymised like an erased person's (see `erase::ANONYMISE`). Runs in small batches, each
//! its own transaction, and only claims answers not anonymised yet, so several instances
//! may run it at once: each answer is anonymised (and counted) exactly once.

use super::erase::ANONYMISE;
use crate::many_rows::placeholders;
use crate::Privacy;
use crate::{to_ts, Result};
use chrono::{DateTime, Months, Utc};
use serde::Serialize;

const BATCH: i64 = 1000;

/// What one retention run did in one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retention {
    pub workspace_id: i64,
    /// The setting applied; `None`: answers are kept forever and nothing was done.
    pub retention_months: Option<u32>,
    /// Answers given before this time were anonymised.
    pub cutoff: Option<DateTime<Utc>>,
    pub answers_anonymised: u64,
}

impl Privacy<'_> {
    /// Anonymises the workspace's answers older than its retention setting, as of `now`.
    #[tracing::instrument(name = "privacy.apply_retention", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn apply_retention(
        &self,
        workspace_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Retention> {
        let months = self
            .store
            .settings()
            .get(workspace_id)
            .await?
            .answer_retention_months;
        let cutoff = months.and_then(|m| now.checked_sub_months(Months::new(m)));
        let mut done = Retention {
            workspace_id,
            retention_months: months,
            cutoff,
            answers_anonymised: 0,
        };
        let Some(cutoff) = cutoff else {
            return Ok(done);
        };
        loop {
            let n = self.anonymise_batch(workspace_id, cutoff, now).await?;
            done.answers_anonymised += n;
            if n == 0 {
                return Ok(done);
            }
        }
    }

    /// Anonymises up to [`BATCH`] answers before `cutoff`; returns how many it changed.
    async fn anonymise_batch(
        &self,
        workspace_id: i64,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.store.begin_write().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM answers WHERE workspace_id = $1 AND answered_at < $2 \
             AND anonymised_at IS NULL ORDER BY id LIMIT $3",
        )
        .bind(workspace_id)
        .bind(to_ts(cutoff))
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        // An invitation would still say whose answer it was.
        let list = placeholders(1, ids.len());
        let sql = format!("UPDATE invitations SET answer_id = NULL WHERE answer_id IN ({list})");
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        query.execute(&mut *tx).await?;
        // The comment's themes go with the comment.
        let sql = format!("DELETE FROM answer_themes WHERE answer_id IN ({list})");
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        query.execute(&mut *tx).await?;
        // Re-checks anonymised_at: another instance may have taken some meanwhile.
        let sql = format!(
            "{ANONYMISE} WHERE id IN ({}) AND anonymised_at IS NULL",
            placeholders(2, ids.len())
        );
        let mut query = sqlx::query(&sql).bind(to_ts(now));
        for id in &ids {
            query = query.bind(*id);
        }
        let n = query.execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Applies retention in every workspace that has it set; for the daily job.
    #[tracing::instrument(name = "privacy.apply_retention_everywhere", level = "debug", skip_all)]
    pub async fn apply_retention_everywhere(&self, now: DateTime<Utc>) -> Result<Vec<Retention>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id")
            .fetch_all(&self.store.pool)
            .await?;
        let mut out = Vec::new();
        for id in ids {
            let done = self.apply_retention(id, now).await?;
            if done.retention_months.is_some() {
                out.push(done);
            }
        }
        Ok(out)
    }
}
