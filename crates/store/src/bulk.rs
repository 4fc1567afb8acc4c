//! Bulk work for imports: lookups for many keys at once, and many answers written in
//! one transaction that is committed only when the caller says so.

use crate::answers::{duplicate_as_conflict, insert_answer_in, placeholders, Batch};
use crate::models::NewAnswer;
use crate::{Result, Store};
use sqlx::{Any, AnyPool, Transaction};
use std::collections::HashSet;

/// Keys per `IN (…)` list: well below the bound-parameter limits of both backends.
const LOOKUP_CHUNK: usize = 500;

/// Answers written in one open transaction. Dropping it without [`AnswerBatch::commit`]
/// rolls everything back: nothing half-written is ever kept.
pub struct AnswerBatch {
    tx: Transaction<'static, Any>,
    written: u64,
    /// Surveys looked up once, rollups written once at the commit.
    batch: Batch,
}

impl AnswerBatch {
    /// Stores one more answer (with its rollup counts) inside the transaction.
    pub async fn add(&mut self, new: &NewAnswer) -> Result<i64> {
        let id = insert_answer_in(&mut self.tx, new, None, &mut self.batch)
            .await
            .map_err(|e| duplicate_as_conflict(e, new))?
            .id;
        self.written += 1;
        Ok(id)
    }

    /// How many answers were added so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Commits every answer added, durably; returns how many there were.
    pub async fn commit(mut self) -> Result<u64> {
        self.batch.write(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(self.written)
    }
}

impl Store {
    /// Opens a transaction for many answers. On SQLite it holds the write lock until it
    /// is committed or dropped.
    pub async fn begin_answers(&self) -> Result<AnswerBatch> {
        Ok(AnswerBatch {
            tx: self.writer.begin().await?,
            written: 0,
            batch: Batch::default(),
        })
    }

    /// Which of these customer external ids exist in the workspace.
    pub async fn existing_customer_ids(
        &self,
        workspace_id: i64,
        external_ids: &[String],
    ) -> Result<HashSet<String>> {
        existing(&self.pool, "customers", workspace_id, external_ids).await
    }

    /// Which of these answer external ids are already used in the workspace.
    pub async fn existing_answer_external_ids(
        &self,
        workspace_id: i64,
        external_ids: &[String],
    ) -> Result<HashSet<String>> {
        existing(&self.pool, "answers", workspace_id, external_ids).await
    }
}

/// The `external_id`s of `table` (a constant, never user input) among `ids`.
async fn existing(
    pool: &AnyPool,
    table: &str,
    workspace_id: i64,
    ids: &[String],
) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT external_id FROM {table} WHERE workspace_id = $1 AND external_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(workspace_id);
        for id in chunk {
            query = query.bind(id.clone());
        }
        found.extend(query.fetch_all(pool).await?);
    }
    Ok(found)
}
