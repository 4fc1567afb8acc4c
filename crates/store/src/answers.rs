//! Answers, recorded together with their rollup counts in one transaction.

use crate::customers::{attributes_json, customer_in, parse_attributes, upsert_customer_in};
use crate::models::{Answer, Attributes, NewAnswer, Recorded, Respondent};
use crate::reactions::{self, Context};
use crate::{from_ts, to_ts, Result, Store, StoreError};
use advocate_core::period::{date_of_day, day_number, day_of};
use advocate_core::SurveyKind;
use chrono::{Datelike, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

const COLUMNS: &str =
    "id, workspace_id, survey_id, customer_id, score, comment, channel, touchpoint, \
                       language, answered_at, attributes, external_id";

fn answer_from(row: &AnyRow) -> Result<Answer> {
    let text = |col: &str| -> Result<Option<String>> {
        Ok(row.try_get::<String, _>(col).ok().filter(|s| !s.is_empty()))
    };
    Ok(Answer {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        survey_id: row.try_get("survey_id")?,
        customer_id: row.try_get("customer_id")?,
        score: u8::try_from(row.try_get::<i64, _>("score")?)
            .map_err(|_| StoreError::Invalid("stored score out of range".into()))?,
        comment: row.try_get("comment")?,
        channel: row.try_get("channel")?,
        touchpoint: text("touchpoint")?,
        language: text("language")?,
        answered_at: from_ts(row.try_get("answered_at")?),
        attributes: parse_attributes(&row.try_get::<String, _>("attributes")?)?,
        external_id: row.try_get("external_id")?,
    })
}

impl Store {
    /// Stores one answer durably (the commit is on disk when this returns). A retry with
    /// the same idempotency key or external id returns the stored answer instead of a
    /// second one; reusing either for a different answer is a conflict. What the answer
    /// sets off (case, alerts, thank-you, webhooks) is queued in the same transaction.
    pub async fn record_answer(&self, new: &NewAnswer) -> Result<Recorded> {
        if let Some(found) = self.replay(new).await? {
            return Ok(found);
        }
        let ctx = self.reaction_context().await?;
        let mut tx = self.writer.begin().await?;
        match insert_answer_in(&mut tx, new, Some(&ctx)).await {
            Ok(answer) => {
                tx.commit().await?;
                self.wake_outbox();
                Ok(Recorded {
                    answer,
                    replayed: false,
                })
            }
            // A concurrent request with the same key won the race: answer as a retry.
            Err(StoreError::Database(e)) if StoreError::is_unique_violation(&e) => {
                tx.rollback().await?;
                self.replay(new).await?.ok_or(StoreError::Database(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Stores many answers in one transaction: all of them or none. With `react`, each
    /// sets off what a live answer would; without, they are history (an import) and only
    /// counted.
    pub async fn record_answers(&self, answers: &[NewAnswer], react: bool) -> Result<Vec<i64>> {
        let ctx = self.reaction_context().await?;
        let ctx = react.then_some(&ctx);
        let mut tx = self.writer.begin().await?;
        let mut ids = Vec::with_capacity(answers.len());
        for new in answers {
            let answer = insert_answer_in(&mut tx, new, ctx)
                .await
                .map_err(|e| duplicate_as_conflict(e, new))?;
            ids.push(answer.id);
        }
        tx.commit().await?;
        if react {
            self.wake_outbox();
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
        .bind(new.idempotency_key.clone())
        .bind(new.external_id.clone())
        .fetch_optional(&self.pool)
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
                (Some(k), Some(s)) if *k == s => {
                    format!("Idempotency-Key {k:?} was already used for a different answer")
                }
                _ => format!(
                    "an answer with external_id {:?} already exists with different content",
                    new.external_id.as_deref().unwrap_or_default()
                ),
            },
        ))
    }

    /// Adds or replaces the comment of an answer (the follow-up question's reply).
    pub async fn set_comment(
        &self,
        workspace_id: i64,
        answer_id: i64,
        comment: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE answers SET comment = $1 WHERE workspace_id = $2 AND id = $3 \
             AND anonymised_at IS NULL",
        )
        .bind(comment.map(str::to_owned))
        .bind(workspace_id)
        .bind(answer_id)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        match self.answer(workspace_id, answer_id).await? {
            Some(_) => Err(anonymised(answer_id)),
            None => Err(StoreError::NotFound(format!(
                "no answer with id {answer_id}"
            ))),
        }
    }

    /// Changes an answer's score, moving its counts in the rollups in the same transaction.
    pub async fn change_score(
        &self,
        workspace_id: i64,
        answer_id: i64,
        score: u8,
    ) -> Result<Answer> {
        let mut tx = self.writer.begin().await?;
        let answer = change_score_in(&mut tx, workspace_id, answer_id, score).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub async fn answer(&self, workspace_id: i64, id: i64) -> Result<Option<Answer>> {
        let sql = format!("SELECT {COLUMNS} FROM answers WHERE workspace_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(answer_from).transpose()
    }

    /// The newest answers with a comment, newest first, optionally for some surveys only.
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
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(answer_from).collect()
    }

    pub async fn count_answers(&self, workspace_id: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM answers WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_one(&self.pool)
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
                new.idempotency_key.as_deref().unwrap_or_default()
            ))
        }
        other => other,
    }
}

fn anonymised(answer_id: i64) -> StoreError {
    StoreError::Conflict(format!(
        "answer {answer_id} has been anonymised and can no longer be changed"
    ))
}

/// `$first, $first+1, …` for `count` values, for an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn survey_kind_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    survey_id: i64,
) -> Result<SurveyKind> {
    let kind: Option<String> =
        sqlx::query_scalar("SELECT kind FROM surveys WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(survey_id)
            .fetch_optional(&mut *conn)
            .await?;
    let kind =
        kind.ok_or_else(|| StoreError::NotFound(format!("no survey with id {survey_id}")))?;
    SurveyKind::parse(&kind).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Changes an answer's score inside the caller's transaction, rollups included.
pub(crate) async fn change_score_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    answer_id: i64,
    score: u8,
) -> Result<Answer> {
    let sql =
        format!("SELECT {COLUMNS}, anonymised_at FROM answers WHERE workspace_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(workspace_id)
        .bind(answer_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no answer with id {answer_id}")))?;
    if row.try_get::<Option<i64>, _>("anonymised_at")?.is_some() {
        return Err(anonymised(answer_id));
    }
    let old = answer_from(&row)?;
    if old.score == score {
        return Ok(old);
    }
    let kind = survey_kind_in(conn, workspace_id, old.survey_id).await?;
    kind.check_score(i64::from(score))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    sqlx::query("UPDATE answers SET score = $1 WHERE id = $2")
        .bind(i64::from(score))
        .bind(answer_id)
        .execute(&mut *conn)
        .await?;
    let facts = RollupFacts::of(&old);
    facts.add(conn, old.score, -1).await?;
    facts.add(conn, score, 1).await?;
    Ok(Answer { score, ..old })
}

/// Inserts an answer and its rollup counts; with a reaction context, also what it sets off.
pub(crate) async fn insert_answer_in(
    conn: &mut AnyConnection,
    new: &NewAnswer,
    react: Option<&Context<'_>>,
) -> Result<Answer> {
    let survey: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT kind, touchpoint FROM surveys WHERE workspace_id = $1 AND id = $2")
            .bind(new.workspace_id)
            .bind(new.survey_id)
            .fetch_optional(&mut *conn)
            .await?;
    let (kind, survey_touchpoint) = survey
        .ok_or_else(|| StoreError::NotFound(format!("no survey with id {}", new.survey_id)))?;
    let kind = SurveyKind::parse(&kind).map_err(|e| StoreError::Invalid(e.to_string()))?;
    kind.check_score(i64::from(new.score))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;

    let customer = match &new.respondent {
        Respondent::Anonymous => None,
        Respondent::Known(external_id) => Some(
            customer_in(conn, new.workspace_id, external_id).await?.ok_or_else(|| {
                StoreError::NotFound(format!(
                    "customer {external_id:?} does not exist; create it first or send its fields with the answer"
                ))
            })?,
        ),
        Respondent::Inline(input) => Some(upsert_customer_in(conn, new.workspace_id, input).await?),
    };
    let attributes: Attributes = customer
        .as_ref()
        .map(|c| c.attributes.clone())
        .unwrap_or_default();
    // eNPS is anonymous: the employee's segment (department…) is kept for breakdowns, but
    // the answer is never linked to them, and nothing that follows names them.
    let linked = customer.as_ref().filter(|_| kind != SurveyKind::Enps);
    let touchpoint = new
        .touchpoint
        .as_ref()
        .map(|t| t.as_str().to_owned())
        .or(survey_touchpoint);
    let language = new
        .language
        .clone()
        .or_else(|| customer.as_ref().and_then(|c| c.language.clone()))
        .map(|l| l.as_str().to_owned());

    let row = sqlx::query(&format!(
        "INSERT INTO answers (workspace_id, survey_id, customer_id, score, comment, channel, touchpoint, \
         language, answered_at, day, attributes, external_id, idempotency_key, request_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING {COLUMNS}"
    ))
    .bind(new.workspace_id)
    .bind(new.survey_id)
    .bind(linked.map(|c| c.id))
    .bind(i64::from(new.score))
    .bind(new.comment.clone())
    .bind(new.channel.as_str())
    .bind(touchpoint.unwrap_or_default())
    .bind(language.unwrap_or_default())
    .bind(to_ts(new.answered_at))
    .bind(i64::from(day_of(new.answered_at)))
    .bind(attributes_json(&attributes))
    .bind(new.external_id.clone())
    .bind(new.idempotency_key.clone())
    .bind(new.request_hash.clone())
    .bind(to_ts(Utc::now()))
    .fetch_one(&mut *conn)
    .await?;
    let answer = answer_from(&row)?;
    RollupFacts::of(&answer).add(conn, answer.score, 1).await?;
    if let Some(ctx) = react {
        reactions::on_answer(conn, ctx, &answer, kind, linked).await?;
    }
    Ok(answer)
}

/// The dimensions of one answer as the rollups count it.
struct RollupFacts<'a> {
    answer: &'a Answer,
    day: i64,
}

impl<'a> RollupFacts<'a> {
    fn of(answer: &'a Answer) -> Self {
        Self {
            answer,
            day: i64::from(day_of(answer.answered_at)),
        }
    }

    /// Adds `delta` answers with `score` to every rollup this answer belongs to. Rows are
    /// touched in a fixed order (main rollup, then attributes sorted) so concurrent
    /// transactions on PostgreSQL lock them in the same order and cannot deadlock.
    async fn add(&self, conn: &mut AnyConnection, score: u8, delta: i64) -> Result<()> {
        let a = self.answer;
        sqlx::query(
            "INSERT INTO nps_rollup (workspace_id, survey_id, day, touchpoint, channel, language, score, n) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (workspace_id, survey_id, day, touchpoint, channel, language, score) \
             DO UPDATE SET n = nps_rollup.n + excluded.n",
        )
        .bind(a.workspace_id)
        .bind(a.survey_id)
        .bind(self.day)
        .bind(a.touchpoint.clone().unwrap_or_default())
        .bind(a.channel.clone())
        .bind(a.language.clone().unwrap_or_default())
        .bind(i64::from(score))
        .bind(delta)
        .execute(&mut *conn)
        .await?;
        for (attribute, value) in &a.attributes {
            sqlx::query(
                "INSERT INTO segment_rollup (workspace_id, attribute, survey_id, day, value, score, n) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (workspace_id, attribute, survey_id, day, value, score) \
                 DO UPDATE SET n = segment_rollup.n + excluded.n",
            )
            .bind(a.workspace_id)
            .bind(attribute.as_str())
            .bind(a.survey_id)
            .bind(self.day)
            .bind(value.clone())
            .bind(i64::from(score))
            .bind(delta)
            .execute(&mut *conn)
            .await?;
        }
        // report_rollup: one row per dimension, for the day, its month and its week, in
        // one statement; rows in a fixed (sorted) order, as above.
        let mut dims: Vec<(String, String)> = vec![
            (String::new(), String::new()),
            (
                "touchpoint".into(),
                a.touchpoint.clone().unwrap_or_default(),
            ),
            ("channel".into(), a.channel.clone()),
            ("language".into(), a.language.clone().unwrap_or_default()),
        ];
        dims.extend(
            a.attributes
                .iter()
                .map(|(attribute, value)| (format!("segment:{attribute}"), value.clone())),
        );
        dims.sort();
        let month = i64::from(day_number(
            date_of_day(self.day as i32)
                .with_day(1)
                .expect("day 1 exists"),
        ));
        // Monday of the ISO week: day 0 (1970-01-01) was a Thursday.
        let week = self.day - (self.day + 3).rem_euclid(7);
        let rows: Vec<String> = (0..dims.len() * 3)
            .map(|k| {
                let p = 5 + k * 4;
                format!(
                    "($1, ${}, ${}, $2, ${}, ${}, $3, $4)",
                    p,
                    p + 1,
                    p + 2,
                    p + 3
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n) \
             VALUES {} ON CONFLICT (workspace_id, dimension, grain, survey_id, day, value, score) \
             DO UPDATE SET n = report_rollup.n + excluded.n",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(a.workspace_id)
            .bind(a.survey_id)
            .bind(i64::from(score))
            .bind(delta);
        for (dimension, value) in &dims {
            for (grain, day) in [("d", self.day), ("m", month), ("w", week)] {
                query = query
                    .bind(dimension.clone())
                    .bind(grain)
                    .bind(day)
                    .bind(value.clone());
            }
        }
        query.execute(&mut *conn).await?;
        Ok(())
    }
}
