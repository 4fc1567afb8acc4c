//! Gathered answers leave as one message per subscription once the oldest has waited the
//! subscription's `batch_minutes`. Each batch is claimed by deleting its rows (`DELETE …
//! RETURNING`) in the transaction that queues its message: a second instance flushing at
//! the same moment waits for the first and then finds nothing to claim, so every answer is
//! told once. An eNPS batch smaller than the workspace's minimum group size is put back
//! and keeps gathering (core's `batch_may_leave`); it is told of anonymously, answers
//! ordered by score rather than by time.

use super::matching::{send, Alerted};
use super::watchers::watcher_in;
use crate::many_rows::placeholders;
use crate::models::{Answer, Customer};
use crate::tenancy::lookup::{sender, settings_in};
use crate::Alerts;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::alerts::batch_may_leave;
use advocate_core::SurveyKind;
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

impl Alerts<'_> {
    /// Sends every batch that is due at `now` as one message each; returns how many.
    #[tracing::instrument(name = "alerts.flush_batches", level = "debug", skip_all)]
    pub async fn flush_batches(&self, now: DateTime<Utc>) -> Result<usize> {
        let now = to_ts(now);
        let mut tx = self.store.begin_write().await?;
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT i.subscription_id FROM alert_batch_items i \
             JOIN alert_subscriptions s ON s.id = i.subscription_id \
             GROUP BY i.subscription_id, s.batch_minutes \
             HAVING MIN(i.queued_at) <= $1 - s.batch_minutes * 60 ORDER BY i.subscription_id",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let mut sent = 0;
        for subscription in due {
            let claimed: Vec<(i64, i64)> = sqlx::query_as(
                "DELETE FROM alert_batch_items WHERE subscription_id = $1 AND queued_at <= $2 \
                 RETURNING answer_id, queued_at",
            )
            .bind(subscription)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            if claimed.is_empty() {
                // Another instance sent it first.
                continue;
            }
            let Some(watcher) = watcher_in(&mut tx, subscription).await? else {
                // Its owner left the workspace: the gathered answers go nowhere.
                continue;
            };
            let ws = watcher.workspace_id;
            let settings = settings_in(&mut tx, ws).await?;
            let kind = watcher.filter.kind;
            if !batch_may_leave(kind, claimed.len(), settings.enps_min_group_size) {
                put_back(&mut tx, subscription, &claimed).await?;
                continue;
            }
            let from = sender(&settings);
            let answer_ids = claimed.iter().map(|(id, _)| *id).collect();
            let mut answers = answers_in(&mut tx, ws, answer_ids).await?;
            if kind == SurveyKind::Enps {
                // Not in the order they came: that order could be matched to who answered when.
                answers.sort_by(|a, b| (a.0.score, &a.0.comment).cmp(&(b.0.score, &b.0.comment)));
            }
            let public_url = self.store.public_url();
            let alerted: Vec<Alerted> = answers
                .iter()
                .map(|(answer, customer, case)| {
                    Alerted::new(
                        answer,
                        kind,
                        customer.as_ref(),
                        *case,
                        public_url,
                        &watcher.language,
                    )
                })
                .collect();
            send(&mut tx, &watcher, &from, &alerted).await?;
            sent += 1;
        }
        tx.commit().await?;
        if sent > 0 {
            self.store.wake_outbox();
        }
        Ok(sent)
    }
}

/// Returns claimed items to their batch, as they were: it is not yet big enough to leave.
async fn put_back(conn: &mut AnyConnection, subscription: i64, items: &[(i64, i64)]) -> Result<()> {
    for (answer_id, queued_at) in items {
        sqlx::query(
            "INSERT INTO alert_batch_items (subscription_id, answer_id, queued_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(subscription)
        .bind(answer_id)
        .bind(queued_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The answers, oldest first, each with its customer and its case (opened or joined).
async fn answers_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    mut ids: Vec<i64>,
) -> Result<Vec<(Answer, Option<Customer>, Option<i64>)>> {
    ids.sort_unstable();
    let list = placeholders(2, ids.len());
    let sql = format!(
        "SELECT id, survey_id, customer_id, score, comment, channel, touchpoint, answered_at \
         FROM answers WHERE workspace_id = $1 AND id IN ({list}) ORDER BY id"
    );
    let mut query = sqlx::query(&sql).bind(workspace_id);
    for id in &ids {
        query = query.bind(*id);
    }
    let mut answers = Vec::with_capacity(ids.len());
    for row in query.fetch_all(&mut *conn).await? {
        answers.push(Answer {
            id: row.try_get("id")?,
            workspace_id,
            survey_id: row.try_get("survey_id")?,
            customer_id: row.try_get("customer_id")?,
            score: u8::try_from(row.try_get::<i64, _>("score")?)
                .map_err(|_| StoreError::Invalid("stored score out of range".into()))?,
            comment: row.try_get("comment")?,
            channel: row.try_get("channel")?,
            touchpoint: Some(row.try_get::<String, _>("touchpoint")?).filter(|t| !t.is_empty()),
            language: None,
            answered_at: from_ts(row.try_get("answered_at")?),
            attributes: Default::default(),
            external_id: None,
        });
    }
    let sql = format!(
        "SELECT answer_id, id FROM cases WHERE workspace_id = $1 AND answer_id IN ({list}) \
         UNION ALL SELECT a.answer_id, a.case_id FROM case_answers a \
         JOIN cases k ON k.id = a.case_id WHERE k.workspace_id = $1 AND a.answer_id IN ({list})"
    );
    let mut query = sqlx::query(&sql).bind(workspace_id);
    for id in &ids {
        query = query.bind(*id);
    }
    let mut cases: HashMap<i64, i64> = HashMap::new();
    for row in query.fetch_all(&mut *conn).await? {
        cases
            .entry(row.try_get("answer_id")?)
            .or_insert(row.try_get("id")?);
    }
    let mut out = Vec::with_capacity(answers.len());
    for answer in answers {
        let customer = match answer.customer_id {
            Some(id) => {
                crate::feedback::customers::customer_by_id_in(conn, workspace_id, id).await?
            }
            None => None,
        };
        let case = cases.get(&answer.id).copied();
        out.push((answer, customer, case));
    }
    Ok(out)
}
