//! Group commit for live answers: answers that arrive while a transaction is being
//! written wait for the next one, so many answers share one commit (one fsync on SQLite,
//! one WAL flush on PostgreSQL) instead of paying one each.
//!
//! A bad answer (an unknown customer, a reused idempotency key) fails alone and the others
//! of its group still commit (see [`write_group`]). An answer's
//! caller is told the outcome only after its group's commit has returned: a success is
//! never acknowledged before it is durable, and if the commit fails every answer of the
//! group gets the error (none is acknowledged, so none is lost).

use crate::answers::record::{insert_answer_in, insert_answers_in, Batch};
use crate::models::{Answer, NewAnswer};
use crate::{Result, Store, StoreError};
use sqlx::Acquire;
use tokio::sync::{mpsc, oneshot};

/// Most answers in one transaction: large enough to amortise the commit, small enough
/// that the writer is never held for long.
const MAX_GROUP: usize = 512;
/// Answers waiting for a group; senders wait (back-pressure) when it is full.
const QUEUE: usize = 4096;

struct Job {
    answer: NewAnswer,
    done: oneshot::Sender<Result<Answer>>,
}

/// The way into the committer task; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the committer for `store` on the current tokio runtime. The task holds
    /// its own handle to the database, without this sender, so it ends when the last
    /// `Store` holding the sender is dropped.
    pub(crate) fn start(store: Store) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, rx));
        Self { jobs }
    }

    /// Writes one live answer (with its rollups and reactions) in the next group and
    /// returns it once that group is committed.
    pub(crate) async fn record(&self, answer: NewAnswer) -> Result<Answer> {
        let (done, outcome) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the answer writer has stopped".into());
        self.jobs
            .send(Job { answer, done })
            .await
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    // `recv_many` waits for one job, then takes every job already waiting.
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        commit_group(&store, std::mem::take(&mut group)).await;
    }
}

async fn commit_group(store: &Store, group: Vec<Job>) {
    let queued_before = crate::delivery::outbox::queued_so_far();
    let started = std::time::Instant::now();
    let written = write_group(store, &group).await;
    store
        .metrics()
        .group_committed(group.len(), started.elapsed().as_secs_f64());
    match written {
        Ok(outcomes) => {
            for (job, outcome) in group.into_iter().zip(outcomes) {
                if outcome.is_ok() {
                    store.metrics().accepted(job.answer.channel);
                }
                let _ = job.done.send(outcome);
            }
            if crate::delivery::outbox::queued_so_far() != queued_before {
                store.wake_outbox();
            }
        }
        Err(e) => {
            tracing::error!(error = %e, answers = group.len(), "an answer group failed to commit");
            // The group's error for each: the caller answers 503 (disk full, lock held,
            // connection lost) or 500, and acknowledges nothing.
            for job in group {
                let _ = job.done.send(Err(e.for_another()));
            }
        }
    }
}

/// One transaction for the group; per-answer outcomes, valid only if it commits.
///
/// First optimistically, all answers straight in: one bad answer rolls the whole attempt
/// back, and then the group is written again with a savepoint around each answer, so the
/// bad one fails alone. Bad answers are rare (the API checks its input first), so the
/// savepoints' cost is paid only when one turns up.
async fn write_group(store: &Store, group: &[Job]) -> Result<Vec<Result<Answer>>> {
    match write_all(store, group).await? {
        Ok(answers) => Ok(answers.into_iter().map(Ok).collect()),
        Err(e) if group.len() == 1 => Ok(vec![Err(e)]),
        Err(_) => write_each(store, group).await,
    }
}

/// The whole group or nothing, many answers per statement: `Ok(Err(e))` is an answer's
/// error, after rolling back.
async fn write_all(store: &Store, group: &[Job]) -> Result<Result<Vec<Answer>>> {
    let ctx = store.reaction_context().await?;
    let mut tx = store.begin_write().await?;
    let mut batch = Batch::of(store);
    let answers: Vec<&NewAnswer> = group.iter().map(|job| &job.answer).collect();
    match insert_answers_in(&mut tx, &answers, Some(&ctx), &mut batch).await {
        Ok(answers) => {
            batch.write(&mut tx).await?;
            tx.commit().await?;
            Ok(Ok(answers))
        }
        Err(e) => {
            tx.rollback().await?;
            Ok(Err(e))
        }
    }
}

/// Each answer in its own savepoint: the bad ones fail alone.
async fn write_each(store: &Store, group: &[Job]) -> Result<Vec<Result<Answer>>> {
    let ctx = store.reaction_context().await?;
    let mut tx = store.begin_write().await?;
    let mut batch = Batch::of(store);
    let mut outcomes = Vec::with_capacity(group.len());
    for job in group {
        let mut savepoint = tx.begin().await?;
        match insert_answer_in(&mut savepoint, &job.answer, Some(&ctx), &mut batch).await {
            Ok(answer) => {
                savepoint.commit().await?;
                outcomes.push(Ok(answer));
            }
            Err(e) => {
                savepoint.rollback().await?;
                outcomes.push(Err(e));
            }
        }
    }
    // Each rollup row once for the whole group.
    batch.write(&mut tx).await?;
    tx.commit().await?;
    Ok(outcomes)
}
