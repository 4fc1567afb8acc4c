//! Changing a recorded answer: its comment, or its score (rollups moved and the reaction
//! to the change in the same transaction).

use crate::closed_loop::context::Context;
use crate::closed_loop::reactions;
use crate::feedback::answer_rows::{answer_from, COLUMNS};
use crate::feedback::rollups::Tally;
use crate::models::Answer;
use crate::themes::tagging::{retag_answer_in, tags_of};
use crate::Answers;
use crate::{Result, StoreError};
use advocate_core::SurveyKind;
use sqlx::{AnyConnection, Row};

fn anonymised(answer_id: i64) -> StoreError {
    StoreError::Conflict(format!(
        "answer {answer_id} has been anonymised and can no longer be changed"
    ))
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

/// Changes an answer's score inside the caller's transaction, rollups and the reaction to
/// the change included.
pub(crate) async fn change_score_in(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
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
    let mut tally = Tally::default();
    tally.count(&old, old.score, -1);
    tally.count(&old, score, 1);
    tally.write(conn).await?;
    let new = Answer {
        score,
        ..old.clone()
    };
    reactions::on_score_change(conn, ctx, &old, &new, kind).await?;
    Ok(new)
}

impl Answers<'_> {
    /// Adds or replaces the comment of an answer (the follow-up question's reply).
    #[tracing::instrument(name = "answers.set_comment", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_comment(
        &self,
        workspace_id: i64,
        answer_id: i64,
        comment: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let language: Option<String> = sqlx::query_scalar(
            "UPDATE answers SET comment = $1 WHERE workspace_id = $2 AND id = $3 \
             AND anonymised_at IS NULL RETURNING language",
        )
        .bind(comment.map(str::to_owned))
        .bind(workspace_id)
        .bind(answer_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(language) = language {
            // Its themes follow the new comment, in the same transaction.
            let (version, tagger) = self.store.taggers.get(&mut tx, workspace_id).await?;
            let tags = tags_of(&tagger, version, Some(&language), comment);
            retag_answer_in(&mut tx, answer_id, workspace_id, &tags).await?;
            tx.commit().await?;
            return Ok(());
        }
        tx.rollback().await?;
        match self.get(workspace_id, answer_id).await? {
            Some(_) => Err(anonymised(answer_id)),
            None => Err(StoreError::NotFound(format!(
                "no answer with id {answer_id}"
            ))),
        }
    }

    /// Changes an answer's score, moving its counts in the rollups in the same transaction,
    /// and reacts to the change there too (see `reactions::on_score_change`: a case
    /// withdrawn, re-prioritised or opened, engagements cancelled or queued).
    #[tracing::instrument(name = "answers.change_score", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn change_score(
        &self,
        workspace_id: i64,
        answer_id: i64,
        score: u8,
    ) -> Result<Answer> {
        let ctx = self.store.reaction_context().await?;
        let mut tx = self.store.begin_write().await?;
        let answer = change_score_in(&mut tx, &ctx, workspace_id, answer_id, score).await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(answer)
    }
}
