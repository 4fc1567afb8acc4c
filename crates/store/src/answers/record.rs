//! Answers, recorded together with their rollup counts in one transaction.

use crate::closed_loop::context::Context;
use crate::closed_loop::reactions;
use crate::feedback::answer_rows::{answer_from, COLUMNS};
use crate::feedback::customers::{attributes_json, customer_in, customers_in, upsert_customer_in};
use crate::feedback::rollups::Tally;
use crate::many_rows::{placeholders, Placeholders, MAX_VALUES};
use crate::models::{Answer, Customer, NewAnswer, Recorded, Respondent};
use crate::themes::tagging::{tags_of, write_themes_in, InUse, Taggers, Tags};
use crate::Answers;
use crate::{from_ts, to_ts, Backend, Result, Store, StoreError};
use advocate_core::customer::Attributes;
use advocate_core::period::day_of;
use advocate_core::themes::Tagger;
use advocate_core::{Category, Score, SurveyKind};
use chrono::Utc;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use std::sync::Arc;

impl Answers<'_> {
    /// Stores one answer durably (the commit is on disk when this returns; concurrent
    /// answers share one commit, see `group_commit`). A retry with
    /// the same idempotency key or external id returns the stored answer instead of a
    /// second one; reusing either for a different answer is a conflict. What the answer
    /// sets off (case, alerts, thank-you, webhooks) is queued in the same transaction.
    #[tracing::instrument(name = "answers.record", level = "debug", skip_all)]
    pub async fn record(&self, new: &NewAnswer) -> Result<Recorded> {
        if let Some(found) = self.replay(new).await? {
            return Ok(found);
        }
        // Written with the other answers arriving now, in one durable commit.
        match self.store.group_commit().record(new.clone()).await {
            Ok(answer) => Ok(Recorded {
                answer,
                replayed: false,
            }),
            // A concurrent request with the same key won the race: answer as a retry.
            Err(StoreError::Database(e)) if StoreError::is_unique_violation(&e) => {
                self.replay(new).await?.ok_or(StoreError::Database(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Stores many answers in one transaction: all of them or none. With `react`, each
    /// sets off what a live answer would; without, they are history (an import) and only
    /// counted.
    #[tracing::instrument(name = "answers.record_many", level = "debug", skip_all)]
    pub async fn record_many(&self, answers: &[NewAnswer], react: bool) -> Result<Vec<i64>> {
        let ctx = self.store.reaction_context().await?;
        let ctx = react.then_some(&ctx);
        let mut tx = self.store.begin_write().await?;
        let mut batch = Batch::of(self.store);
        let mut ids = Vec::with_capacity(answers.len());
        for new in answers {
            let answer = insert_answer_in(&mut tx, new, ctx, &mut batch)
                .await
                .map_err(|e| duplicate_as_conflict(e, new))?;
            ids.push(answer.id);
        }
        batch.write(&mut tx).await?;
        tx.commit().await?;
        for new in answers {
            self.store.metrics().accepted(new.channel);
        }
        if react {
            self.store.wake_outbox();
        }
        Ok(ids)
    }

    /// The stored answer a retry of `new` refers to, or a conflict when the key was used
    /// for a different answer.
    async fn replay(&self, new: &NewAnswer) -> Result<Option<Recorded>> {
        if new.idempotency_key.is_none() && new.external_id.is_none() {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, request_hash, idempotency_key FROM answers WHERE workspace_id = $1 \
             AND (idempotency_key = $2 OR external_id = $3)"
        ))
        .bind(new.workspace_id)
        .bind(new.idempotency_key.as_ref().map(|k| k.as_str().to_owned()))
        .bind(new.external_id.clone())
        .fetch_optional(&self.store.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored_hash: Option<String> = row.try_get("request_hash")?;
        if stored_hash.is_some() && stored_hash == new.request_hash {
            return Ok(Some(Recorded {
                answer: answer_from(&row)?,
                replayed: true,
            }));
        }
        let stored_key: Option<String> = row.try_get("idempotency_key")?;
        Err(StoreError::Conflict(
            match (&new.idempotency_key, stored_key) {
                (Some(k), Some(s)) if k.as_str() == s => {
                    format!(
                        "Idempotency-Key {:?} was already used for a different answer",
                        k.as_str()
                    )
                }
                _ => format!(
                    "an answer with external_id {:?} already exists with different content",
                    new.external_id.as_deref().unwrap_or_default()
                ),
            },
        ))
    }

    #[tracing::instrument(name = "answers.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64, id: i64) -> Result<Option<Answer>> {
        let sql = format!("SELECT {COLUMNS} FROM answers WHERE workspace_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(answer_from).transpose()
    }

    /// The newest answers with a comment, newest first, optionally for some surveys only.
    #[tracing::instrument(name = "answers.latest_comments", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn latest_comments(
        &self,
        workspace_id: i64,
        survey_ids: Option<&[i64]>,
        limit: u32,
    ) -> Result<Vec<Answer>> {
        let survey_filter = match survey_ids {
            Some([]) => return Ok(Vec::new()),
            Some(ids) => format!("AND survey_id IN ({})", placeholders(3, ids.len())),
            None => String::new(),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM answers WHERE workspace_id = $1 AND comment IS NOT NULL \
             AND comment <> '' {survey_filter} ORDER BY answered_at DESC, id DESC LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(workspace_id).bind(i64::from(limit));
        for id in survey_ids.unwrap_or_default() {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.store.pool).await?;
        rows.iter().map(answer_from).collect()
    }

    #[tracing::instrument(name = "answers.count", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn count(&self, workspace_id: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM answers WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(n as u64)
    }
}

/// A unique violation while inserting `new` means its external id or idempotency key is
/// already used: a conflict to report, not an internal error.
pub(crate) fn duplicate_as_conflict(err: StoreError, new: &NewAnswer) -> StoreError {
    match err {
        StoreError::Database(e) if StoreError::is_unique_violation(&e) => {
            StoreError::Conflict(format!(
                "an answer with external_id {:?} or Idempotency-Key {:?} already exists",
                new.external_id.as_deref().unwrap_or_default(),
                new.idempotency_key.as_ref().map_or("", |k| k.as_str())
            ))
        }
        other => other,
    }
}

/// The columns an answer row is inserted with, in [`AnswerRow::bind`]'s order.
pub(crate) const ROW_COLUMNS: &str = "workspace_id, survey_id, customer_id, score, comment, \
     channel, touchpoint, language, answered_at, day, attributes, external_id, idempotency_key, \
     request_hash, created_at";
/// How many values one answer row binds.
pub(crate) const ROW_VALUES: usize = 15;
/// The columns a tagged comment adds (only statements with one name them).
const TAG_COLUMNS: &str = "sentiment, themes_version";
/// Answers per INSERT (each binds its id and its row).
pub(crate) const ANSWERS_PER_INSERT: usize = MAX_VALUES / (ROW_VALUES + 3);

/// An answer as its row is written: what the new answer says, completed from its survey
/// and its customer.
pub(crate) struct AnswerRow<'a> {
    new: &'a NewAnswer,
    /// `None` for anonymous answers and for every eNPS answer.
    pub(crate) customer_id: Option<i64>,
    touchpoint: Option<String>,
    language: Option<String>,
    attributes: Attributes,
    /// Its comment's themes and sentiment (see `crate::themes::tagging`).
    pub(crate) tags: Tags,
}

impl<'a> AnswerRow<'a> {
    pub(crate) fn of(
        new: &'a NewAnswer,
        kind: SurveyKind,
        survey_touchpoint: Option<String>,
        customer: Option<&Customer>,
    ) -> Self {
        Self {
            new,
            // eNPS is anonymous: the employee's segment (department…) is kept for
            // breakdowns, but the answer is never linked to them.
            customer_id: customer.filter(|_| kind != SurveyKind::Enps).map(|c| c.id),
            touchpoint: new
                .touchpoint
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .or(survey_touchpoint),
            language: new
                .language
                .clone()
                .or_else(|| customer.and_then(|c| c.language.clone()))
                .map(|l| l.as_str().to_owned()),
            attributes: customer.map(|c| c.attributes.clone()).unwrap_or_default(),
            tags: Tags::default(),
        }
    }

    /// Binds the row's [`ROW_VALUES`] values in [`ROW_COLUMNS`] order.
    pub(crate) fn bind<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let new = self.new;
        query
            .bind(new.workspace_id)
            .bind(new.survey_id)
            .bind(self.customer_id)
            .bind(i64::from(new.score.value()))
            .bind(new.comment.clone())
            .bind(new.channel.as_str().to_owned())
            .bind(self.touchpoint.clone().unwrap_or_default())
            .bind(self.language.clone().unwrap_or_default())
            .bind(to_ts(new.answered_at))
            .bind(i64::from(day_of(new.answered_at)))
            .bind(attributes_json(&self.attributes))
            .bind(new.external_id.clone())
            .bind(new.idempotency_key.as_ref().map(|k| k.as_str().to_owned()))
            .bind(new.request_hash.clone())
            .bind(to_ts(Utc::now()))
    }

    /// The answer as stored with `id` (times to the second, as the database keeps them).
    pub(crate) fn answer(&self, id: i64) -> Answer {
        Answer {
            id,
            comment: self.new.comment.clone(),
            external_id: self.new.external_id.clone(),
            answered_at: from_ts(to_ts(self.new.answered_at)),
            ..self.counted()
        }
    }

    /// The answer as the rollups count it (its id is not needed for that).
    pub(crate) fn counted(&self) -> Answer {
        let new = self.new;
        Answer {
            id: 0,
            workspace_id: new.workspace_id,
            survey_id: new.survey_id,
            customer_id: self.customer_id,
            score: new.score.value(),
            comment: None,
            channel: new.channel.as_str().to_owned(),
            touchpoint: self.touchpoint.clone(),
            language: self.language.clone(),
            answered_at: new.answered_at,
            attributes: self.attributes.clone(),
            external_id: None,
        }
    }
}

/// Many answers written in one transaction: what they look up once (their surveys) and
/// their rollup counts, added up and written by [`Batch::write`] before the commit.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    surveys: HashMap<(i64, i64), (SurveyKind, Option<String>)>,
    pub(crate) tally: Tally,
    /// The store's taggers; the workspace's current one is looked up once per batch.
    taggers: Arc<Taggers>,
    tagger: InUse,
}

impl Batch {
    /// A batch that tags comments with the store's cached taggers.
    pub(crate) fn of(store: &Store) -> Self {
        Self {
            taggers: store.taggers.clone(),
            ..Self::default()
        }
    }

    /// The workspace's tagger and taxonomy version, read once per batch.
    async fn tagger(
        &mut self,
        conn: &mut AnyConnection,
        workspace_id: i64,
    ) -> Result<(i64, Arc<Tagger>)> {
        if let Some(found) = self.tagger.0.get(&workspace_id) {
            return Ok(found.clone());
        }
        let found = self.taggers.get(conn, workspace_id).await?;
        self.tagger.0.insert(workspace_id, found.clone());
        Ok(found)
    }

    /// The survey's kind and touchpoint, read once per batch.
    pub(crate) async fn survey(
        &mut self,
        conn: &mut AnyConnection,
        workspace_id: i64,
        survey_id: i64,
    ) -> Result<(SurveyKind, Option<String>)> {
        if let Some(found) = self.surveys.get(&(workspace_id, survey_id)) {
            return Ok(found.clone());
        }
        let survey: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT kind, touchpoint FROM surveys WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace_id)
        .bind(survey_id)
        .fetch_optional(&mut *conn)
        .await?;
        let (kind, touchpoint) =
            survey.ok_or_else(|| StoreError::NotFound(format!("no survey with id {survey_id}")))?;
        let kind = SurveyKind::parse(&kind).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.surveys
            .insert((workspace_id, survey_id), (kind, touchpoint.clone()));
        Ok((kind, touchpoint))
    }

    /// Writes the rollup counts of every answer inserted so far; call before committing.
    pub(crate) async fn write(&mut self, conn: &mut AnyConnection) -> Result<()> {
        self.tally.write(conn).await
    }
}

/// Inserts one answer with its rollup counts; with a reaction context, also what it sets off.
pub(crate) async fn insert_one_answer_in(
    conn: &mut AnyConnection,
    new: &NewAnswer,
    react: Option<&Context<'_>>,
) -> Result<Answer> {
    let mut batch = Batch::default();
    let answer = insert_answer_in(conn, new, react, &mut batch).await?;
    batch.write(conn).await?;
    Ok(answer)
}

/// Inserts an answer into `batch`'s transaction; with a reaction context, also what it
/// sets off. Its rollup counts are added to the batch only once everything else has
/// succeeded, so an answer that fails (and is rolled back to its savepoint) counts nothing.
pub(crate) async fn insert_answer_in(
    conn: &mut AnyConnection,
    new: &NewAnswer,
    react: Option<&Context<'_>>,
    batch: &mut Batch,
) -> Result<Answer> {
    let mut answers = insert_answers_in(conn, &[new], react, batch).await?;
    Ok(answers.pop().expect("one answer in, one out"))
}

/// Inserts answers into `batch`'s transaction, many per statement; with a reaction
/// context, also what each sets off, in their order. Their rollup counts are added to
/// the batch while the rows are inserted and taken back on an error, so an error leaves
/// none counted; the caller then rolls back (to a savepoint or the whole transaction).
pub(crate) async fn insert_answers_in(
    conn: &mut AnyConnection,
    news: &[&NewAnswer],
    react: Option<&Context<'_>>,
    batch: &mut Batch,
) -> Result<Vec<Answer>> {
    let known = known_customers(conn, news).await?;
    let mut rows = Vec::with_capacity(news.len());
    for new in news {
        let (kind, survey_touchpoint) = batch.survey(conn, new.workspace_id, new.survey_id).await?;
        kind.check_score(i64::from(new.score.value()))
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let customer = match &new.respondent {
            Respondent::Anonymous => None,
            Respondent::Known(external_id) => {
                let found = match known.as_ref() {
                    Some(known) => known
                        .get(&new.workspace_id)
                        .and_then(|customers| customers.get(external_id))
                        .cloned(),
                    None => customer_in(conn, new.workspace_id, external_id).await?,
                };
                Some(found.ok_or_else(|| {
                    StoreError::NotFound(format!(
                        "customer {external_id:?} does not exist; create it first or send its fields with the answer"
                    ))
                })?)
            }
            Respondent::Inline(input) => {
                Some(upsert_customer_in(conn, new.workspace_id, input).await?)
            }
        };
        let mut row = AnswerRow::of(new, kind, survey_touchpoint, customer.as_ref());
        if new.comment.as_deref().is_some_and(|c| !c.trim().is_empty()) {
            let (version, tagger) = batch.tagger(conn, new.workspace_id).await?;
            row.tags = tags_of(
                &tagger,
                version,
                row.language.as_deref(),
                new.comment.as_deref(),
            );
        }
        // Reactions see the customer only when the answer is linked to them (not eNPS).
        let linked = customer.filter(|_| row.customer_id.is_some());
        rows.push((row, kind, linked));
    }
    let ids = new_answer_ids(conn, rows.len()).await?;
    let numbered: Vec<(i64, &AnswerRow)> = ids
        .into_iter()
        .zip(rows.iter().map(|(row, _, _)| row))
        .collect();
    // The rollups are counted while SQLite (on its connection's thread) or PostgreSQL
    // inserts the rows: the two overlap instead of taking turns. Counted before the
    // outcome is known, so taken back if the answers are not stored.
    let (inserted, answers) = tokio::join!(insert_rows(conn, &numbered), async {
        let answers: Vec<Answer> = numbered.iter().map(|(id, row)| row.answer(*id)).collect();
        for answer in &answers {
            batch.tally.count(answer, answer.score, 1);
        }
        answers
    });
    let inserted = match inserted {
        Ok(()) => {
            let tagged: Vec<(i64, i64, &Tags)> = numbered
                .iter()
                .filter(|(_, row)| !row.tags.themes.is_empty())
                .map(|(id, row)| (*id, row.new.workspace_id, &row.tags))
                .collect();
            write_themes_in(conn, &tagged).await
        }
        Err(e) => Err(e),
    };
    let stored = match (inserted, react) {
        (Err(e), _) => Err(e),
        (Ok(()), None) => Ok(()),
        (Ok(()), Some(ctx)) => {
            let reacted = react_to(conn, ctx, &answers, &rows).await;
            if reacted.is_err() {
                ctx.forget_new_cases();
            }
            reacted
        }
    };
    if let Err(e) = stored {
        for answer in &answers {
            batch.tally.count(answer, answer.score, -1);
        }
        return Err(e);
    }
    Ok(answers)
}

/// Inserts numbered answer rows, many per statement: each statement's values are bound
/// while the database runs the one before.
async fn insert_rows(conn: &mut AnyConnection, numbered: &[(i64, &AnswerRow<'_>)]) -> Result<()> {
    let backend = Backend::of_connection(conn);
    // OR FAIL: a refused row stops the statement but keeps the rows before it, which
    // spares SQLite a statement journal (a copy of every page the statement touches first;
    // a fifth of an import's time, measured). Every caller rolls back its transaction or
    // savepoint on an error, so nothing half-written stays.
    let or_fail = match backend {
        Backend::Sqlite => "OR FAIL ",
        Backend::Postgres => "",
    };
    let statements: Vec<(String, &[(i64, &AnswerRow)])> = numbered
        .chunks(ANSWERS_PER_INSERT)
        .map(|chunk| {
            let tagged = chunk.iter().any(|(_, row)| row.tags.version.is_some());
            let (extra, n) = if tagged {
                (format!(", {TAG_COLUMNS}"), 2)
            } else {
                (String::new(), 0)
            };
            let values = Placeholders::new(backend).rows(chunk.len(), ROW_VALUES + 1 + n);
            let sql =
                format!("INSERT {or_fail}INTO answers (id, {ROW_COLUMNS}{extra}) VALUES {values}");
            (sql, chunk)
        })
        .collect();
    fn bound<'q>(
        (sql, chunk): &'q (String, &[(i64, &AnswerRow)]),
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let mut query = sqlx::query(sql);
        for (id, row) in chunk.iter() {
            query = row.bind(query.bind(*id));
            if sql.contains(TAG_COLUMNS) {
                query = query
                    .bind(row.tags.sentiment.map(str::to_owned))
                    .bind(row.tags.version);
            }
        }
        query
    }
    let mut statements = statements.iter();
    let mut next = statements.next().map(bound);
    while let Some(query) = next.take() {
        let (done, following) = tokio::join!(query.execute(&mut *conn), async {
            statements.next().map(bound)
        });
        done?;
        next = following;
    }
    Ok(())
}

/// The customers the answers name, by workspace and external id, read in one query per
/// workspace; `None` when an answer creates or changes a customer, as the answers after
/// it must see that (each then reads its customer in turn).
async fn known_customers(
    conn: &mut AnyConnection,
    news: &[&NewAnswer],
) -> Result<Option<HashMap<i64, HashMap<String, Customer>>>> {
    let mut wanted: HashMap<i64, Vec<&str>> = HashMap::new();
    for new in news {
        match &new.respondent {
            Respondent::Inline(_) => return Ok(None),
            Respondent::Known(id) => wanted.entry(new.workspace_id).or_default().push(id),
            Respondent::Anonymous => {}
        }
    }
    let mut known = HashMap::new();
    for (workspace_id, mut ids) in wanted {
        ids.sort_unstable();
        ids.dedup();
        known.insert(workspace_id, customers_in(conn, workspace_id, &ids).await?);
    }
    Ok(Some(known))
}

/// Sets off what each answer sets off, in order, and writes the cases they opened.
async fn react_to(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    answers: &[Answer],
    rows: &[(AnswerRow<'_>, SurveyKind, Option<Customer>)],
) -> Result<()> {
    let detractors = answers
        .iter()
        .zip(rows)
        .filter(|(a, (_, kind, _))| {
            *kind == SurveyKind::Nps
                && Score::new(i64::from(a.score)).is_ok_and(|s| s.category() == Category::Detractor)
        })
        .count();
    ctx.ready_case_ids(conn, detractors).await?;
    for (answer, (_, kind, linked)) in answers.iter().zip(rows) {
        reactions::on_answer(conn, ctx, answer, *kind, linked.as_ref()).await?;
    }
    ctx.write_new_cases(conn).await
}

/// Ids for `n` new answers, given to them explicitly so that many can be inserted in one
/// statement and each still known by its id. On SQLite, those after the largest: the
/// transaction that inserts them holds the only write lock (and if another writer
/// committed since it read, SQLite refuses its write rather than reuse an id). On
/// PostgreSQL, from the id sequence, as the column's default would take them.
async fn new_answer_ids(conn: &mut AnyConnection, n: usize) -> Result<Vec<i64>> {
    Ok(match Backend::of_connection(conn) {
        Backend::Sqlite => {
            let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM answers")
                .fetch_one(&mut *conn)
                .await?;
            (last + 1..=last + n as i64).collect()
        }
        Backend::Postgres => sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('answers', 'id')) FROM generate_series(1, $1)",
        )
        .bind(n as i64)
        .fetch_all(&mut *conn)
        .await?,
    })
}
