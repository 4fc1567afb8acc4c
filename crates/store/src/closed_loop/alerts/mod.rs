//! A person's alert subscriptions: which answers they hear about, on which channel, at
//! once or gathered (core's `advocate_core::alerts` decides what is valid and what
//! matches). Kept, listed and changed here; matched against new answers in the answer's
//! transaction (`matching.rs`); gathered answers sent by `flush.rs`.
//!
//! In the closed loop rather than in delivery: matching needs the workspace's settings
//! (the sender) and the answer's case, which live above the delivery wing.

mod flush;
pub(crate) mod matching;
pub(crate) mod watchers;

use crate::Alerts;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::alerts::{AlertChannel, SubscriptionFilter};
use advocate_core::SurveyKind;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A stored subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub filter: SubscriptionFilter,
    pub created_at: DateTime<Utc>,
}

/// Whose subscriptions a call may see and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A person: only their own.
    User(i64),
    /// The workspace (an admin, an API key): everyone's.
    Anyone,
}

impl Owner {
    /// SQL narrowing `alert_subscriptions` to this owner's rows, `$n` bound to
    /// [`Owner::user`] (NULL: everyone's).
    fn condition(n: usize) -> String {
        format!("AND user_id = COALESCE(${n}, user_id)")
    }

    fn user(self) -> Option<i64> {
        match self {
            Owner::User(id) => Some(id),
            Owner::Anyone => None,
        }
    }
}

pub(crate) const COLUMNS: &str = "id, workspace_id, user_id, survey_kind, channel, target, \
     min_score, max_score, survey_id, touchpoint, segment_key, segment_value, \
     only_with_comment, batch_minutes, created_at";

pub(crate) fn filter_from(row: &AnyRow) -> Result<SubscriptionFilter> {
    let channel: String = row.try_get("channel")?;
    let kind: String = row.try_get("survey_kind")?;
    let small = |col: &str| -> Result<u32> {
        u32::try_from(row.try_get::<i64, _>(col)?)
            .map_err(|_| StoreError::Invalid(format!("stored {col} out of range")))
    };
    let score = |col: &str| -> Result<u8> {
        u8::try_from(small(col)?)
            .map_err(|_| StoreError::Invalid(format!("stored {col} out of range")))
    };
    Ok(SubscriptionFilter {
        kind: SurveyKind::parse(&kind)
            .map_err(|_| StoreError::Invalid(format!("stored survey kind {kind:?}")))?,
        channel: AlertChannel::parse(&channel)
            .map_err(|_| StoreError::Invalid(format!("stored alert channel {channel:?}")))?,
        target: row.try_get("target")?,
        min_score: score("min_score")?,
        max_score: score("max_score")?,
        survey_id: row.try_get("survey_id")?,
        touchpoint: row.try_get("touchpoint")?,
        segment_key: row.try_get("segment_key")?,
        segment_value: row.try_get("segment_value")?,
        only_with_comment: row.try_get::<i64, _>("only_with_comment")? != 0,
        batch_minutes: small("batch_minutes")?,
    })
}

fn subscription_from(row: &AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        user_id: row.try_get("user_id")?,
        filter: filter_from(row)?,
        created_at: from_ts(row.try_get("created_at")?),
    })
}

/// Checks a filter, that its survey is the workspace's and of the kind it watches, and
/// that its owner may hear of such answers: nothing invalid is stored.
async fn check_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    user_id: i64,
    filter: &SubscriptionFilter,
) -> Result<()> {
    filter
        .check()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    if let Some(survey) = filter.survey_id {
        let kind: Option<String> =
            sqlx::query_scalar("SELECT kind FROM surveys WHERE workspace_id = $1 AND id = $2")
                .bind(workspace_id)
                .bind(survey)
                .fetch_optional(&mut *conn)
                .await?;
        match kind {
            None => {
                return Err(StoreError::Invalid(format!(
                    "survey_id {survey} is not a survey of this workspace"
                )))
            }
            Some(kind) if kind != filter.kind.as_str() => {
                return Err(StoreError::Invalid(format!(
                    "survey_id {survey} is a {kind} survey; this subscription watches {} answers",
                    filter.kind.as_str()
                )))
            }
            Some(_) => {}
        }
    }
    let member: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    match member.as_deref() {
        None => Err(StoreError::Invalid(format!(
            "user_id {user_id} is not a member of this workspace"
        ))),
        Some("viewer") => Err(StoreError::Invalid(format!(
            "user_id {user_id} is a viewer, who sees dashboards only, not answers"
        ))),
        // An agent hears only of their own customers; eNPS answers have none.
        Some("agent") if filter.kind == SurveyKind::Enps => Err(StoreError::Invalid(format!(
            "user_id {user_id} is an agent, who hears only of their own customers' answers; \
             eNPS answers are anonymous and belong to no customer"
        ))),
        Some(_) => Ok(()),
    }
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("no alert subscription {id}"))
}

impl Alerts<'_> {
    /// Subscribes a member of the workspace to the answers `filter` matches.
    #[tracing::instrument(name = "alerts.create", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create(
        &self,
        workspace_id: i64,
        user_id: i64,
        filter: &SubscriptionFilter,
    ) -> Result<Subscription> {
        let mut tx = self.store.begin_write().await?;
        check_in(&mut tx, workspace_id, user_id, filter).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO alert_subscriptions (workspace_id, user_id, channel, target, min_score, \
             max_score, survey_id, touchpoint, segment_key, segment_value, only_with_comment, \
             batch_minutes, created_at, survey_kind) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(workspace_id)
        .bind(user_id)
        .bind(filter.channel.as_str())
        .bind(filter.target.clone())
        .bind(i64::from(filter.min_score))
        .bind(i64::from(filter.max_score))
        .bind(filter.survey_id)
        .bind(filter.touchpoint.clone())
        .bind(filter.segment_key.clone())
        .bind(filter.segment_value.clone())
        .bind(i64::from(filter.only_with_comment))
        .bind(i64::from(filter.batch_minutes))
        .bind(to_ts(Utc::now()))
        .bind(filter.kind.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let created = get_in(&mut tx, workspace_id, Owner::Anyone, id).await?;
        tx.commit().await?;
        created.ok_or_else(|| not_found(id))
    }

    /// The owner's subscriptions in the workspace, oldest first.
    #[tracing::instrument(name = "alerts.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64, owner: Owner) -> Result<Vec<Subscription>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM alert_subscriptions WHERE workspace_id = $1 {} ORDER BY id",
            Owner::condition(2)
        ))
        .bind(workspace_id)
        .bind(owner.user())
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(subscription_from).collect()
    }

    /// One subscription, if the owner may see it (else `None`, as if it did not exist).
    #[tracing::instrument(name = "alerts.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(
        &self,
        workspace_id: i64,
        owner: Owner,
        id: i64,
    ) -> Result<Option<Subscription>> {
        let mut conn = self.store.pool.acquire().await?;
        get_in(&mut conn, workspace_id, owner, id).await
    }

    /// Replaces a subscription's filter (its owner stays); answers it gathered so far
    /// stay gathered, unless it now watches another kind of survey.
    #[tracing::instrument(name = "alerts.update", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn update(
        &self,
        workspace_id: i64,
        owner: Owner,
        id: i64,
        filter: &SubscriptionFilter,
    ) -> Result<Subscription> {
        let mut tx = self.store.begin_write().await?;
        let Some(current) = get_in(&mut tx, workspace_id, owner, id).await? else {
            return Err(not_found(id));
        };
        check_in(&mut tx, workspace_id, current.user_id, filter).await?;
        if filter.kind != current.filter.kind {
            // What it gathered was chosen by the old kind's rules (an NPS batch may
            // leave with one answer, an eNPS one may not): it is not carried over.
            sqlx::query("DELETE FROM alert_batch_items WHERE subscription_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE alert_subscriptions SET channel = $1, target = $2, min_score = $3, \
             max_score = $4, survey_id = $5, touchpoint = $6, segment_key = $7, \
             segment_value = $8, only_with_comment = $9, batch_minutes = $10, \
             survey_kind = $13 WHERE workspace_id = $11 AND id = $12",
        )
        .bind(filter.channel.as_str())
        .bind(filter.target.clone())
        .bind(i64::from(filter.min_score))
        .bind(i64::from(filter.max_score))
        .bind(filter.survey_id)
        .bind(filter.touchpoint.clone())
        .bind(filter.segment_key.clone())
        .bind(filter.segment_value.clone())
        .bind(i64::from(filter.only_with_comment))
        .bind(i64::from(filter.batch_minutes))
        .bind(workspace_id)
        .bind(id)
        .bind(filter.kind.as_str())
        .execute(&mut *tx)
        .await?;
        let updated = get_in(&mut tx, workspace_id, owner, id).await?;
        tx.commit().await?;
        updated.ok_or_else(|| not_found(id))
    }

    /// Ends a subscription, with the answers it gathered and had not sent yet.
    #[tracing::instrument(name = "alerts.delete", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn delete(&self, workspace_id: i64, owner: Owner, id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        if get_in(&mut tx, workspace_id, owner, id).await?.is_none() {
            return Err(not_found(id));
        }
        sqlx::query("DELETE FROM alert_batch_items WHERE subscription_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM alert_subscriptions WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Answers gathered by batched subscriptions and not sent yet, per subscription.
    #[tracing::instrument(name = "alerts.waiting", level = "debug", skip_all)]
    pub async fn waiting(&self, subscription_id: i64) -> Result<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM alert_batch_items WHERE subscription_id = $1")
                .bind(subscription_id)
                .fetch_one(&self.store.pool)
                .await?;
        Ok(n as u64)
    }
}

async fn get_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    owner: Owner,
    id: i64,
) -> Result<Option<Subscription>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_subscriptions WHERE workspace_id = $1 AND id = $2 {}",
        Owner::condition(3)
    ))
    .bind(workspace_id)
    .bind(id)
    .bind(owner.user())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(subscription_from).transpose()
}
