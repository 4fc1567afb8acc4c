//! What happens to a sent invitation: delivered, opened, answered (once, then changeable
//! for [`ANSWER_CHANGE_DAYS`]).

use super::{invitation_in, InvitationStatus};
use crate::answers::change::change_score_in;
use crate::answers::record::insert_one_answer_in;
use crate::feedback::customers::customer_by_id_in;
use crate::feedback::surveys::survey_in;
use crate::models::{Answer, NewAnswer, Respondent};
use crate::Invitations;
use crate::{to_ts, Result, StoreError};
use advocate_core::field::IdempotencyKey;
use advocate_core::Rating;
use chrono::{DateTime, Duration, Utc};

/// How long after answering a respondent may still change the score.
pub const ANSWER_CHANGE_DAYS: i64 = 7;

impl Invitations<'_> {
    /// Records that the respondent saw the invitation (page view, pixel, short link).
    #[tracing::instrument(name = "invitations.opened", level = "debug", skip_all)]
    pub async fn opened(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE invitations SET opened_at = $1 WHERE id = $2 AND opened_at IS NULL")
            .bind(to_ts(now))
            .bind(id)
            .execute(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Records that the channel confirmed delivery (SMTP accepted, SMS provider callback).
    #[tracing::instrument(name = "invitations.delivered", level = "debug", skip_all)]
    pub async fn delivered(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE invitations SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL",
        )
        .bind(to_ts(now))
        .bind(id)
        .execute(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Answers an invitation: the first call stores the answer (and sets off what any
    /// answer does); later calls change its score, for [`ANSWER_CHANGE_DAYS`] after the
    /// first. A double click never makes two answers.
    #[tracing::instrument(name = "invitations.answer", level = "debug", skip_all)]
    pub async fn answer(
        &self,
        invitation_id: i64,
        score: Rating,
        now: DateTime<Utc>,
    ) -> Result<Answer> {
        match self.try_answer(invitation_id, score, now).await {
            // Two first clicks at once: the other one stored the answer; change it instead.
            Err(StoreError::Database(e)) if StoreError::is_unique_violation(&e) => {
                self.try_answer(invitation_id, score, now).await
            }
            other => other,
        }
    }

    async fn try_answer(
        &self,
        invitation_id: i64,
        score: Rating,
        now: DateTime<Utc>,
    ) -> Result<Answer> {
        let ctx = &self.store.reaction_context().await?;
        let mut tx = self.store.begin_write().await?;
        let inv = invitation_in(&mut tx, invitation_id).await?;
        if let (Some(answer_id), Some(answered_at)) = (inv.answer_id, inv.answered_at) {
            if now > answered_at + Duration::days(ANSWER_CHANGE_DAYS) {
                return Err(StoreError::Conflict(format!(
                    "this answer can no longer be changed: answers can be changed for {ANSWER_CHANGE_DAYS} days"
                )));
            }
            let answer =
                change_score_in(&mut tx, ctx, inv.workspace_id, answer_id, score.value()).await?;
            tx.commit().await?;
            self.store.wake_outbox();
            return Ok(answer);
        }
        if inv.status != InvitationStatus::Sent {
            return Err(StoreError::Conflict(format!(
                "this invitation is {} and cannot be answered",
                inv.status.as_str()
            )));
        }
        if now >= inv.expires_at {
            return Err(StoreError::Conflict(
                "this invitation has expired and can no longer be answered".into(),
            ));
        }
        let customer = customer_by_id_in(&mut tx, inv.workspace_id, inv.customer_id)
            .await?
            .ok_or_else(|| StoreError::NotFound("the invited customer no longer exists".into()))?;
        let anonymous = survey_in(&mut tx, inv.workspace_id, inv.survey_id)
            .await?
            .kind
            == advocate_core::SurveyKind::Enps;
        if anonymous {
            // eNPS: record only that (and on which day) the employee answered — for
            // reminders and response rates — never which answer is theirs. The guarded
            // UPDATE replaces the idempotency key as the double-click guard.
            let day = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
            let claimed = sqlx::query(
                "UPDATE invitations SET answered_at = $1, opened_at = COALESCE(opened_at, $1) \
                 WHERE id = $2 AND answered_at IS NULL",
            )
            .bind(to_ts(day))
            .bind(invitation_id)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                return Err(StoreError::Conflict(
                    "this anonymous survey was already answered from this invitation".into(),
                ));
            }
        }
        let new = NewAnswer {
            workspace_id: inv.workspace_id,
            survey_id: inv.survey_id,
            respondent: Respondent::Known(customer.external_id),
            score,
            comment: None,
            channel: inv.channel,
            touchpoint: None,
            language: Some(inv.language.clone()),
            answered_at: now,
            external_id: None,
            idempotency_key: (!anonymous).then(|| IdempotencyKey::of_invitation(invitation_id)),
            request_hash: None,
        };
        let answer = insert_one_answer_in(&mut tx, &new, Some(ctx)).await?;
        if anonymous {
            tx.commit().await?;
            self.store.wake_outbox();
            return Ok(answer);
        }
        sqlx::query(
            "UPDATE invitations SET answer_id = $1, answered_at = $2, \
             opened_at = COALESCE(opened_at, $2) WHERE id = $3",
        )
        .bind(answer.id)
        .bind(to_ts(now))
        .bind(invitation_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(answer)
    }
}
