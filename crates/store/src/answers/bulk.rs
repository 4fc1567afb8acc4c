//! Bulk work for imports: lookups for many keys at once, and many answers written in
//! one transaction that is committed only when the caller says so, many per statement
//! (see [`crate::many_rows`]).

use crate::answers::record::{
    duplicate_as_conflict, insert_answer_in, insert_answers_in, Batch, ANSWERS_PER_INSERT,
};
use crate::closed_loop::context::Context;
use crate::many_rows::{Placeholders, LOOKUP_KEYS};
use crate::models::{NewAnswer, Respondent};
use crate::Answers;
use crate::{Backend, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, Executor, Transaction};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Answers written in one open transaction. Dropping it without [`AnswerBatch::commit`]
/// rolls everything back: nothing half-written is ever kept.
///
/// The writing is done by a task of its own, which owns the transaction: while it writes
/// one chunk of answers, the caller reads and checks the next (an import's two halves
/// run on both cores instead of taking turns).
pub struct AnswerBatch {
    jobs: mpsc::Sender<Job>,
    written: u64,
    /// Checked answers not yet handed to the writer (see [`AnswerBatch::add_checked`]).
    pending: Vec<NewAnswer>,
    /// The writer's first error, until the caller is told of it.
    failure: Arc<Failure>,
    /// The caller was told of a failure: the batch can only be rolled back.
    failed: bool,
}

enum Job {
    Checked(Vec<NewAnswer>),
    One(Box<NewAnswer>, oneshot::Sender<Result<i64>>),
    Commit(oneshot::Sender<Result<()>>),
}

/// Chunks of answers handed to the writer and not yet written; the caller waits beyond.
const JOBS_QUEUED: usize = 2;

/// Answers per chunk handed to the writer: several statements' worth, so the writer binds
/// one statement while the database runs the one before (see `insert_answers_in`).
const CHUNK: usize = 4 * ANSWERS_PER_INSERT;

/// How a bulk load's own SQLite connection differs from the others:
/// - no foreign-key lookups per row (a third of a large import's time, measured): the
///   batch reads every survey and customer it refers to in its own transaction, and
///   SQLite lets no other writer in until it commits, so each reference holds;
/// - a large page cache (256 MiB, filled only as used), so index pages stay in memory
///   instead of being spilled to the WAL and read back;
/// - statement journals in memory.
const SQLITE_BULK_PRAGMAS: &str = "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -262144; \
     PRAGMA temp_store = MEMORY;";

/// The writer's first error, shared with the caller. `any` lets the caller, who looks
/// before every answer it adds, see that there is none without taking the lock.
#[derive(Default)]
struct Failure {
    any: AtomicBool,
    error: Mutex<Option<StoreError>>,
}

impl Failure {
    fn set(&self, e: StoreError) {
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
        self.any.store(true, Ordering::Release);
    }

    /// The error, the first time it is asked for after it happened.
    fn take(&self) -> Option<StoreError> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        self.error.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

fn already_failed() -> StoreError {
    StoreError::Invalid("an earlier write of this batch failed; it can only be rolled back".into())
}

impl AnswerBatch {
    /// Stores one more answer (with its rollup counts) inside the transaction.
    pub async fn add(&mut self, new: &NewAnswer) -> Result<i64> {
        self.usable()?;
        self.hand_over_pending().await?;
        let (reply, id) = oneshot::channel();
        self.send(Job::One(Box::new(new.clone()), reply)).await?;
        let id = id.await.map_err(|_| already_failed())??;
        self.written += 1;
        Ok(id)
    }

    /// Stores an answer the caller has already checked against the database (an import
    /// checks each row against the file and the database): answers are written many per
    /// statement, in the background, so a problem the check missed surfaces at a later
    /// `add_checked` or at the commit, as the batch's error. Answers that create
    /// customers go through [`AnswerBatch::add`].
    pub async fn add_checked(&mut self, new: NewAnswer) -> Result<()> {
        self.usable()?;
        if matches!(new.respondent, Respondent::Inline(_)) {
            return self.add(&new).await.map(|_| ());
        }
        self.pending.push(new);
        self.written += 1;
        if self.pending.len() >= CHUNK {
            self.hand_over_pending().await?;
        }
        Ok(())
    }

    /// The writer's error if it has one the caller was not told of yet; once told, the
    /// batch refuses everything.
    fn usable(&mut self) -> Result<()> {
        if self.failed {
            return Err(already_failed());
        }
        match self.failure.take() {
            Some(e) => {
                self.failed = true;
                Err(e)
            }
            None => Ok(()),
        }
    }

    async fn hand_over_pending(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        self.send(Job::Checked(chunk)).await
    }

    async fn send(&mut self, job: Job) -> Result<()> {
        if self.jobs.send(job).await.is_err() {
            // The writer stopped: it failed, and says why in `failure`.
            self.usable()?;
            return Err(already_failed());
        }
        Ok(())
    }

    /// How many answers were added so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Commits every answer added, durably; returns how many there were.
    pub async fn commit(mut self) -> Result<u64> {
        self.usable()?;
        self.hand_over_pending().await?;
        let (reply, done) = oneshot::channel();
        self.send(Job::Commit(reply)).await?;
        let done = done.await.map_err(|_| already_failed())?;
        self.usable()?;
        done?;
        Ok(self.written)
    }
}

/// The task that writes a batch: owns its transaction, rolled back if the task ends
/// without a commit (the batch was dropped).
struct Writer {
    tx: Transaction<'static, Any>,
    /// Surveys looked up once, rollups written once at the commit.
    batch: Batch,
    /// Answers dated at or after this set off what a live answer would.
    react: Option<Reacting>,
}

/// What answers recent enough to act on react with (see [`Answers::begin_reacting`]).
struct Reacting {
    since: DateTime<Utc>,
    public_url: String,
    signing_key: Vec<u8>,
}

impl Reacting {
    fn context(&self) -> Context<'_> {
        Context {
            public_url: &self.public_url,
            signing_key: &self.signing_key,
            looked: Default::default(),
            new_cases: Default::default(),
        }
    }
}

impl Writer {
    async fn run(mut self, mut jobs: mpsc::Receiver<Job>, failure: Arc<Failure>) {
        let mut failed = false;
        while let Some(job) = jobs.recv().await {
            match job {
                Job::Checked(answers) if !failed => {
                    if let Err(e) = self.insert_checked(answers).await {
                        failed = true;
                        failure.set(e);
                    }
                }
                Job::Checked(_) => {}
                Job::One(new, reply) => {
                    let outcome = match failed {
                        true => Err(already_failed()),
                        false => {
                            let ctx = self
                                .react
                                .as_ref()
                                .filter(|r| new.answered_at >= r.since)
                                .map(Reacting::context);
                            insert_answer_in(&mut self.tx, &new, ctx.as_ref(), &mut self.batch)
                                .await
                                .map(|a| a.id)
                                .map_err(|e| duplicate_as_conflict(e, &new))
                        }
                    };
                    failed = outcome.is_err();
                    let _ = reply.send(outcome);
                }
                Job::Commit(reply) => {
                    let outcome = match failed {
                        true => Err(already_failed()),
                        false => self.commit().await,
                    };
                    let _ = reply.send(outcome);
                    return;
                }
            }
        }
    }

    async fn commit(mut self) -> Result<()> {
        self.batch.write(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Writes checked answers, many per statement.
    async fn insert_checked(&mut self, answers: Vec<NewAnswer>) -> Result<()> {
        let (recent, quiet): (Vec<&NewAnswer>, Vec<&NewAnswer>) = answers.iter().partition(|a| {
            self.react
                .as_ref()
                .is_some_and(|r| a.answered_at >= r.since)
        });
        let mut written = Ok(());
        if !quiet.is_empty() {
            written = insert_answers_in(&mut self.tx, &quiet, None, &mut self.batch)
                .await
                .map(drop);
        }
        if written.is_ok() && !recent.is_empty() {
            let ctx = self.react.as_ref().map(Reacting::context);
            written = insert_answers_in(&mut self.tx, &recent, ctx.as_ref(), &mut self.batch)
                .await
                .map(drop);
        }
        written.map_err(|e| match e {
            StoreError::Database(e) if StoreError::is_unique_violation(&e) => StoreError::Conflict(
                "an answer with one of these external ids already exists".into(),
            ),
            other => other,
        })
    }
}

impl Answers<'_> {
    /// Opens a transaction for many answers. On SQLite it is on a connection of its own
    /// (see [`SQLITE_BULK_PRAGMAS`]), closed with the batch, and holds the write lock
    /// until it is committed or dropped.
    #[tracing::instrument(name = "answers.begin", level = "debug", skip_all)]
    pub async fn begin(&self) -> Result<AnswerBatch> {
        self.begin_with(None).await
    }

    /// As [`Answers::begin`], but the answers dated at or after `since` set off
    /// their playbook exactly as live answers would (cases, alerts, thank-yous, webhooks),
    /// in the same transaction; older ones stay quiet history.
    #[tracing::instrument(name = "answers.begin_reacting", level = "debug", skip_all)]
    pub async fn begin_reacting(&self, since: DateTime<Utc>) -> Result<AnswerBatch> {
        // Read (or create) the signing key before the batch takes SQLite's write lock.
        let ctx = self.store.reaction_context().await?;
        let react = Reacting {
            since,
            public_url: ctx.public_url.to_owned(),
            signing_key: ctx.signing_key.to_vec(),
        };
        self.begin_with(Some(react)).await
    }

    async fn begin_with(&self, react: Option<Reacting>) -> Result<AnswerBatch> {
        let tx = match self.store.backend {
            Backend::Sqlite => {
                let pool = AnyPoolOptions::new()
                    .max_connections(1)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(crate::SQLITE_PRAGMAS).await?;
                            conn.execute(SQLITE_BULK_PRAGMAS).await?;
                            Ok(())
                        })
                    })
                    .connect_with(self.store.options.clone())
                    .await?;
                pool.begin_with("BEGIN IMMEDIATE").await?
            }
            Backend::Postgres => self.store.begin_write().await?,
        };
        let (jobs, queue) = mpsc::channel(JOBS_QUEUED);
        let failure = Arc::new(Failure::default());
        let writer = Writer {
            tx,
            batch: Batch::of(self.store),
            react,
        };
        tokio::spawn(writer.run(queue, failure.clone()));
        Ok(AnswerBatch {
            jobs,
            written: 0,
            pending: Vec::with_capacity(CHUNK),
            failure,
            failed: false,
        })
    }

    /// Which of these customer external ids exist in the workspace.
    #[tracing::instrument(name = "answers.existing_customer_ids", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn existing_customer_ids(
        &self,
        workspace_id: i64,
        external_ids: &[String],
    ) -> Result<HashSet<String>> {
        existing(self.store, "customers", workspace_id, external_ids).await
    }

    /// Which of these answer external ids are already used in the workspace.
    #[tracing::instrument(name = "answers.existing_external_ids", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn existing_external_ids(
        &self,
        workspace_id: i64,
        external_ids: &[String],
    ) -> Result<HashSet<String>> {
        existing(self.store, "answers", workspace_id, external_ids).await
    }
}

/// The `external_id`s of `table` (a constant, never user input) among `ids`.
async fn existing(
    store: &Store,
    table: &str,
    workspace_id: i64,
    ids: &[String],
) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(LOOKUP_KEYS) {
        let mut p = Placeholders::new(store.backend);
        let sql = format!(
            "SELECT external_id FROM {table} WHERE workspace_id = {} AND external_id IN ({})",
            p.one(),
            p.list(chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(workspace_id);
        for id in chunk {
            query = query.bind(id.clone());
        }
        found.extend(query.fetch_all(&store.pool).await?);
    }
    Ok(found)
}
