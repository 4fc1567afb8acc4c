//! Re-tagging a workspace's comments after its taxonomy changed: in batches, each its own
//! transaction, resumable from `theme_retag.last_answer_id`. Any instance may run it: a
//! batch claims the workspace's progress row by updating it only where it still holds the
//! values the batch read, so two instances never tag the same batch (PostgreSQL makes the
//! second wait on the row and then finds it changed; SQLite has one writer). An edit made
//! meanwhile restarts the row at the new version. Rows tagged by hand are kept.

use super::tagging::{retag_answer_in, tags_of};
use crate::{from_ts, to_ts, Result, Themes};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// Comments tagged per transaction.
pub const BATCH: i64 = 500;

/// Where a workspace's re-tagging stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetagProgress {
    pub version: i64,
    pub total: i64,
    pub done: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Starts (or restarts) re-tagging at `version`, inside the edit's transaction.
pub(crate) async fn start_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    version: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM answers WHERE workspace_id = $1 AND comment IS NOT NULL \
         AND comment <> ''",
    )
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO theme_retag (workspace_id, version, total, done, last_answer_id, \
         started_at, finished_at) VALUES ($1, $2, $3, 0, 0, $4, NULL) \
         ON CONFLICT (workspace_id) DO UPDATE SET version = excluded.version, \
         total = excluded.total, done = 0, last_answer_id = 0, \
         started_at = excluded.started_at, finished_at = NULL",
    )
    .bind(workspace_id)
    .bind(version)
    .bind(total)
    .bind(to_ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Themes<'_> {
    /// The workspace's latest re-tagging, if its taxonomy was ever edited.
    #[tracing::instrument(name = "themes.retag_progress", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn retag_progress(&self, workspace_id: i64) -> Result<Option<RetagProgress>> {
        let row = sqlx::query(
            "SELECT version, total, done, started_at, finished_at FROM theme_retag \
             WHERE workspace_id = $1",
        )
        .bind(workspace_id)
        .fetch_optional(&self.store.pool)
        .await?;
        row.map(|r| -> Result<RetagProgress> {
            Ok(RetagProgress {
                version: r.try_get("version")?,
                total: r.try_get("total")?,
                done: r.try_get("done")?,
                started_at: from_ts(r.try_get("started_at")?),
                finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(from_ts),
            })
        })
        .transpose()
    }

    /// Re-tags one batch of some workspace whose re-tagging is unfinished; returns how
    /// many comments it tagged (0: nothing to do, or another instance had the batch).
    #[tracing::instrument(name = "themes.retag_step", level = "debug", skip_all)]
    pub async fn retag_step(&self, now: DateTime<Utc>) -> Result<u64> {
        let pending: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT workspace_id, version, last_answer_id FROM theme_retag \
             WHERE finished_at IS NULL ORDER BY started_at LIMIT 1",
        )
        .fetch_optional(&self.store.pool)
        .await?;
        let Some((workspace_id, version, last)) = pending else {
            return Ok(0);
        };
        let mut tx = self.store.begin_write().await?;
        // The claim: only if nobody moved the row since it was read.
        let claimed = sqlx::query(
            "UPDATE theme_retag SET last_answer_id = last_answer_id WHERE workspace_id = $1 \
             AND version = $2 AND last_answer_id = $3 AND finished_at IS NULL",
        )
        .bind(workspace_id)
        .bind(version)
        .bind(last)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(0);
        }
        let (current, tagger) = self.store.taggers.get(&mut tx, workspace_id).await?;
        let rows: Vec<(i64, Option<String>, String)> = sqlx::query_as(
            "SELECT id, comment, language FROM answers WHERE workspace_id = $1 AND id > $2 \
             AND comment IS NOT NULL AND comment <> '' ORDER BY id LIMIT $3",
        )
        .bind(workspace_id)
        .bind(last)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        for (id, comment, language) in &rows {
            let tags = tags_of(&tagger, current, Some(language), comment.as_deref());
            retag_answer_in(&mut tx, *id, workspace_id, &tags).await?;
        }
        let finished = (rows.len() as i64) < BATCH;
        let new_last = rows.last().map_or(last, |(id, _, _)| *id);
        sqlx::query(
            "UPDATE theme_retag SET done = done + $1, last_answer_id = $2, finished_at = $3 \
             WHERE workspace_id = $4",
        )
        .bind(rows.len() as i64)
        .bind(new_last)
        .bind(finished.then(|| to_ts(now)))
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.len() as u64)
    }
}
