//! Bulk work for imports: lookups for many keys at once, and many answers written in
//! one transaction that is committed only when the caller says so.

use crate::answers::{
    duplicate_as_conflict, insert_answer_in, placeholders, AnswerRow, Batch, ROW_COLUMNS,
    ROW_VALUES,
};
use crate::customers::customer_from;
use crate::models::{NewAnswer, Respondent};
use crate::{Result, Store, StoreError};
use sqlx::{Any, AnyPool, Transaction};
use std::collections::{HashMap, HashSet};

/// Keys per `IN (…)` list. Small on purpose: sqlx binds SQLite parameters by name, at a
/// cost quadratic in the parameters of one statement.
const LOOKUP_CHUNK: usize = 64;

/// Answers written in one open transaction. Dropping it without [`AnswerBatch::commit`]
/// rolls everything back: nothing half-written is ever kept.
pub struct AnswerBatch {
    tx: Transaction<'static, Any>,
    written: u64,
    /// Surveys looked up once, rollups written once at the commit.
    batch: Batch,
    /// Checked answers not yet written (see [`AnswerBatch::add_checked`]).
    pending: Vec<NewAnswer>,
}

/// Answers per multi-row INSERT (15 values each); small for the same reason as
/// [`LOOKUP_CHUNK`].
const INSERT_CHUNK: usize = 16;

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

    /// Stores an answer the caller has already checked against the database (an import
    /// that validated its whole file first): answers are written many per statement, so
    /// a problem the check missed surfaces at a later `add_checked` or at the commit, as
    /// the batch's error. Answers that create customers go through [`AnswerBatch::add`].
    pub async fn add_checked(&mut self, new: &NewAnswer) -> Result<()> {
        if matches!(new.respondent, Respondent::Inline(_)) {
            return self.add(new).await.map(|_| ());
        }
        self.pending.push(new.clone());
        self.written += 1;
        if self.pending.len() >= INSERT_CHUNK {
            self.write_pending().await?;
        }
        Ok(())
    }

    /// Writes the pending checked answers with one INSERT, their customers read with one
    /// query.
    async fn write_pending(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let Some(first) = pending.first() else {
            return Ok(());
        };
        let workspace_id = first.workspace_id;
        let wanted: Vec<String> = pending
            .iter()
            .filter_map(|a| match &a.respondent {
                Respondent::Known(id) => Some(id.clone()),
                _ => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut customers = HashMap::new();
        for chunk in wanted.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT {} FROM customers WHERE workspace_id = $1 AND external_id IN ({})",
                crate::customers::COLUMNS,
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(workspace_id);
            for id in chunk {
                query = query.bind(id.clone());
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                let c = customer_from(&row)?;
                customers.insert(c.external_id.clone(), c);
            }
        }
        let mut rows = Vec::with_capacity(pending.len());
        for new in &pending {
            if new.workspace_id != workspace_id {
                return Err(StoreError::Invalid(
                    "one import writes to one workspace".into(),
                ));
            }
            let (kind, touchpoint) = self
                .batch
                .survey(&mut self.tx, new.workspace_id, new.survey_id)
                .await?;
            kind.check_score(i64::from(new.score))
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let customer = match &new.respondent {
                Respondent::Known(id) => Some(customers.get(id).ok_or_else(|| {
                    StoreError::NotFound(format!("customer {id:?} does not exist"))
                })?),
                _ => None,
            };
            rows.push(AnswerRow::of(new, kind, touchpoint, customer));
        }
        let values = (0..rows.len())
            .map(|i| format!("({})", placeholders(i * ROW_VALUES + 1, ROW_VALUES)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO answers ({ROW_COLUMNS}) VALUES {values}");
        let mut query = sqlx::query(&sql);
        for row in &rows {
            query = row.bind(query);
        }
        query.execute(&mut *self.tx).await.map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict(
                    "an answer with one of these external ids already exists".into(),
                )
            } else {
                e.into()
            }
        })?;
        for row in &rows {
            let answer = row.counted();
            self.batch.tally.count(&answer, answer.score, 1);
        }
        Ok(())
    }

    /// How many answers were added so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Commits every answer added, durably; returns how many there were.
    pub async fn commit(mut self) -> Result<u64> {
        self.write_pending().await?;
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
            pending: Vec::new(),
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
