//! Cases opened by a group of answers, written together: two statements (the cases, then
//! all their checklist steps) for the whole group instead of two per detractor.
//!
//! A case gets its id when it is opened, so everything that names it (alerts, webhooks)
//! is queued at once; its rows are written by [`NewCases::write`] before anything in the
//! transaction reads cases (see `reactions::on_answer`) and before the commit.

use crate::many_rows::{Placeholders, MAX_VALUES};
use crate::{Backend, Result};
use sqlx::AnyConnection;

/// A case row to insert.
#[derive(Debug)]
pub(crate) struct NewCase {
    pub id: i64,
    pub workspace_id: i64,
    pub customer_id: Option<i64>,
    pub answer_id: i64,
    pub survey_id: i64,
    pub score: i64,
    pub priority: &'static str,
    pub assignee: String,
    pub language: String,
    pub sla_due_at: i64,
    pub created_at: i64,
    pub steps: Vec<String>,
}

const CASE_COLUMNS: &str = "id, workspace_id, customer_id, answer_id, survey_id, score, priority, \
     status, assignee, language, sla_due_at, created_at, updated_at";
const CASE_VALUES: usize = 13;

/// Cases opened in one transaction and not yet written.
#[derive(Debug, Default)]
pub(crate) struct NewCases {
    /// The id the next case gets, when counted here (see [`first_id`]).
    next_id: Option<i64>,
    /// Ids taken from the sequence ahead (PostgreSQL, see [`sequence_ids`]).
    ready: std::collections::VecDeque<i64>,
    waiting: Vec<NewCase>,
}

impl NewCases {
    /// The next id taken ahead or counted here, if there is one.
    pub(crate) fn ready_id(&mut self) -> Option<i64> {
        if let Some(id) = self.ready.pop_front() {
            return Some(id);
        }
        let id = self.next_id?;
        self.next_id = Some(id + 1);
        Some(id)
    }

    /// Keeps ids taken from the sequence for the cases to come.
    pub(crate) fn ready(&mut self, ids: Vec<i64>) {
        self.ready.extend(ids);
    }

    /// Counts ids on from `next`.
    pub(crate) fn count_from(&mut self, next: i64) {
        self.next_id = Some(next);
    }

    pub(crate) fn add(&mut self, case: NewCase) {
        self.waiting.push(case);
    }

    /// Drops the cases not yet written (their answer was rolled back).
    pub(crate) fn forget(&mut self) {
        self.waiting.clear();
    }

    /// Takes the cases waiting, to [`write`] them.
    pub(crate) fn take(&mut self) -> Vec<NewCase> {
        std::mem::take(&mut self.waiting)
    }
}

/// An id for a new case (as the column's default would give it), and whether the ids
/// after it may be counted on without asking again: on SQLite they may (the transaction
/// holds the only write lock), on PostgreSQL each comes from the sequence.
pub(crate) async fn first_id(conn: &mut AnyConnection) -> Result<(i64, bool)> {
    Ok(match Backend::of_connection(conn) {
        Backend::Sqlite => (
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
                .fetch_one(&mut *conn)
                .await?,
            true,
        ),
        Backend::Postgres => (sequence_ids(conn, 1).await?[0], false),
    })
}

/// `n` ids from the cases' sequence (PostgreSQL), in one round trip.
pub(crate) async fn sequence_ids(conn: &mut AnyConnection, n: usize) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, $1)",
    )
    .bind(n as i64)
    .fetch_all(&mut *conn)
    .await?)
}

/// Inserts the cases and their steps, many per statement.
pub(crate) async fn write(conn: &mut AnyConnection, cases: Vec<NewCase>) -> Result<()> {
    let backend = Backend::of_connection(conn);
    for chunk in cases.chunks(MAX_VALUES / CASE_VALUES) {
        let sql = format!(
            "INSERT INTO cases ({CASE_COLUMNS}) VALUES {}",
            Placeholders::new(backend).rows(chunk.len(), CASE_VALUES)
        );
        let mut query = sqlx::query(&sql);
        for c in chunk {
            query = query
                .bind(c.id)
                .bind(c.workspace_id)
                .bind(c.customer_id)
                .bind(c.answer_id)
                .bind(c.survey_id)
                .bind(c.score)
                .bind(c.priority)
                .bind("open")
                .bind(c.assignee.clone())
                .bind(c.language.clone())
                .bind(c.sla_due_at)
                .bind(c.created_at)
                .bind(c.created_at);
        }
        query.execute(&mut *conn).await?;
    }
    let steps: Vec<(i64, i64, &String)> = cases
        .iter()
        .flat_map(|c| (0..).zip(&c.steps).map(|(i, s)| (c.id, i, s)))
        .collect();
    for chunk in steps.chunks(MAX_VALUES / 3) {
        let sql = format!(
            "INSERT INTO case_steps (case_id, position, text) VALUES {}",
            Placeholders::new(backend).rows(chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (case_id, position, text) in chunk {
            query = query.bind(*case_id).bind(*position).bind((*text).clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
