//! Promoter engagement: thank-yous, single-use discount codes, review requests, panel
//! invitations, rewards and memberships, each tracked from `queued` to its outcome.
//!
//! A promoter's default engagements are created in the answer's transaction, with one
//! thank-you email carrying them; the delivery worker marks them `sent` when it is
//! delivered (see `outbox::mark_engagement_sent`). A promoter without an email address
//! keeps them `queued`, for a person to act on.
//!
//! What a promoter's answer sets up (and a changed score takes back) is in
//! `promoters.rs`; the pool of discount codes in `discount_codes.rs`.

mod discount_codes;
mod promoters;

pub use discount_codes::{CodeCounts, CodePage, CodeStatus, DiscountCode, MAX_IMPORT};
pub(crate) use promoters::{cancel_queued, on_promoter, queue_engagements};

use crate::delivery::outbox::enqueue_event;
use crate::Engagements;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::EngagementKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Where an engagement is. `queued` → `sent` → an outcome; an outcome is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementStatus {
    Queued,
    Sent,
    Accepted,
    Declined,
    ReviewLeft,
    /// Withdrawn before it was sent: the promoter changed their score below 9.
    Cancelled,
}

impl EngagementStatus {
    pub const ALL: [EngagementStatus; 6] = [
        Self::Queued,
        Self::Sent,
        Self::Accepted,
        Self::Declined,
        Self::ReviewLeft,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::ReviewLeft => "review_left",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Outcomes are final: nothing moves on from them.
    pub fn is_outcome(self) -> bool {
        !matches!(self, Self::Queued | Self::Sent)
    }
}

/// The statuses an engagement of `kind` can reach. A thank-you is only ever sent; a
/// review request ends with a review left (or declined); a code is accepted when redeemed.
pub fn reachable(kind: EngagementKind) -> &'static [EngagementStatus] {
    use EngagementStatus::*;
    match kind {
        EngagementKind::ThankYou => &[Sent],
        EngagementKind::DiscountCode => &[Sent, Accepted],
        EngagementKind::ReviewRequest => &[Sent, ReviewLeft, Declined],
        EngagementKind::PanelInvitation
        | EngagementKind::Reward
        | EngagementKind::VipMembership => &[Sent, Accepted, Declined],
    }
}

/// Whether `from` → `to` makes sense for `kind`: forward only, never out of an outcome.
/// A person may skip `sent` (e.g. a membership given in person).
fn check_transition(
    id: i64,
    kind: EngagementKind,
    from: EngagementStatus,
    to: EngagementStatus,
) -> Result<()> {
    let allowed: Vec<&str> = if from.is_outcome() {
        Vec::new()
    } else {
        reachable(kind)
            .iter()
            .filter(|s| **s != from && (from == EngagementStatus::Queued || s.is_outcome()))
            .map(|s| s.as_str())
            .collect()
    };
    if allowed.contains(&to.as_str()) {
        return Ok(());
    }
    let next = if allowed.is_empty() {
        format!("{} is final", from.as_str())
    } else {
        format!("from {} it can go to {}", from.as_str(), allowed.join(", "))
    };
    Err(StoreError::Invalid(format!(
        "engagement {id} ({}) cannot go from {} to {}; {next}",
        kind.as_str(),
        from.as_str(),
        to.as_str()
    )))
}

/// One tracked engagement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Engagement {
    pub id: i64,
    /// The answer that earned it (for a manual grant, the customer's latest answer).
    pub answer_id: i64,
    /// The customer's external id.
    pub customer: Option<String>,
    pub kind: EngagementKind,
    pub status: EngagementStatus,
    pub discount_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which engagements to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngagementFilter {
    /// A customer's external id.
    pub customer: Option<String>,
    pub kind: Option<EngagementKind>,
    pub status: Option<EngagementStatus>,
    pub limit: u32,
    pub offset: u32,
}

/// One page of engagements, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngagementPage {
    /// How many match the filter in all.
    pub total: i64,
    pub engagements: Vec<Engagement>,
}

const ENGAGEMENT_COLUMNS: &str = "e.id, e.answer_id, e.kind, e.status, e.discount_code, \
     e.created_at, e.updated_at, c.external_id AS customer";
const ENGAGEMENT_FROM: &str =
    "engagements e LEFT JOIN customers c ON c.id = e.customer_id WHERE e.workspace_id = $1";

fn engagement_from(row: &AnyRow) -> Result<Engagement> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(Engagement {
        id: row.try_get("id")?,
        answer_id: row.try_get("answer_id")?,
        customer: row.try_get("customer")?,
        kind: EngagementKind::parse(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("stored engagement kind {kind:?}")))?,
        status: EngagementStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("stored engagement status {status:?}")))?,
        discount_code: row.try_get("discount_code")?,
        created_at: from_ts(row.try_get("created_at")?),
        updated_at: from_ts(row.try_get("updated_at")?),
    })
}

async fn engagement_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<Engagement>> {
    let row = sqlx::query(&format!(
        "SELECT {ENGAGEMENT_COLUMNS} FROM {ENGAGEMENT_FROM} AND e.id = $2"
    ))
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(engagement_from).transpose()
}

async fn insert_engagement(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
    answer_id: i64,
    kind: EngagementKind,
    status: EngagementStatus,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO engagements (workspace_id, customer_id, answer_id, kind, status, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(answer_id)
    .bind(kind.as_str())
    .bind(status.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Queues `engagement.updated` for an engagement that changed.
async fn announce(
    conn: &mut AnyConnection,
    workspace_id: i64,
    e: &Engagement,
    previous: Option<EngagementStatus>,
) -> Result<()> {
    enqueue_event(
        conn,
        workspace_id,
        "engagement.updated",
        json!({
            "engagement_id": e.id,
            "kind": e.kind,
            "status": e.status,
            "previous_status": previous,
            "customer": e.customer,
            "discount_code": e.discount_code,
        }),
    )
    .await
}

/// Moves an engagement to `to` (checked) and announces it; the caller commits.
async fn move_engagement(
    conn: &mut AnyConnection,
    workspace_id: i64,
    current: &Engagement,
    to: EngagementStatus,
) -> Result<Engagement> {
    check_transition(current.id, current.kind, current.status, to)?;
    let done = sqlx::query(
        "UPDATE engagements SET status = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4 \
         AND status = $5",
    )
    .bind(to.as_str())
    .bind(to_ts(Utc::now()))
    .bind(current.id)
    .bind(workspace_id)
    .bind(current.status.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(StoreError::Conflict(format!(
            "engagement {} changed meanwhile; read it again",
            current.id
        )));
    }
    let moved = engagement_in(conn, workspace_id, current.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no engagement {}", current.id)))?;
    announce(conn, workspace_id, &moved, Some(current.status)).await?;
    Ok(moved)
}

impl Engagements<'_> {
    /// A page of a workspace's engagements, newest first.
    #[tracing::instrument(name = "engagements.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(
        &self,
        workspace_id: i64,
        filter: &EngagementFilter,
    ) -> Result<EngagementPage> {
        // '' means "any": one statement for every combination of filters.
        let condition = "AND ($2 = '' OR c.external_id = $2) AND ($3 = '' OR e.kind = $3) \
                         AND ($4 = '' OR e.status = $4)";
        let customer = filter.customer.clone().unwrap_or_default();
        let kind = filter.kind.map_or("", |k| k.as_str());
        let status = filter.status.map_or("", |s| s.as_str());
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {ENGAGEMENT_FROM} {condition}"
        ))
        .bind(workspace_id)
        .bind(&customer)
        .bind(kind)
        .bind(status)
        .fetch_one(&self.store.pool)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT {ENGAGEMENT_COLUMNS} FROM {ENGAGEMENT_FROM} {condition} \
             ORDER BY e.created_at DESC, e.id DESC LIMIT $5 OFFSET $6"
        ))
        .bind(workspace_id)
        .bind(&customer)
        .bind(kind)
        .bind(status)
        .bind(i64::from(filter.limit.clamp(1, 500)))
        .bind(i64::from(filter.offset))
        .fetch_all(&self.store.pool)
        .await?;
        Ok(EngagementPage {
            total,
            engagements: rows.iter().map(engagement_from).collect::<Result<_>>()?,
        })
    }

    #[tracing::instrument(name = "engagements.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64, id: i64) -> Result<Option<Engagement>> {
        let mut conn = self.store.pool.acquire().await?;
        engagement_in(&mut conn, workspace_id, id).await
    }

    /// Records what became of an engagement (e.g. a review was left) and announces it with
    /// `engagement.updated`. Setting the status it already has changes nothing.
    #[tracing::instrument(name = "engagements.set_status", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_status(
        &self,
        workspace_id: i64,
        id: i64,
        status: EngagementStatus,
    ) -> Result<Engagement> {
        let mut tx = self.store.begin_write().await?;
        let current = engagement_in(&mut tx, workspace_id, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no engagement {id}")))?;
        if current.status == status {
            return Ok(current);
        }
        let moved = move_engagement(&mut tx, workspace_id, &current, status).await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(moved)
    }

    /// Grants a reward, VIP membership or panel invitation to a customer by hand, tied to
    /// their latest answer, starting at `status` (usually `queued`). Announced with
    /// `engagement.updated`, since no answer's `response.created` covers it.
    #[tracing::instrument(name = "engagements.grant", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn grant(
        &self,
        workspace_id: i64,
        external_id: &str,
        kind: EngagementKind,
        status: EngagementStatus,
    ) -> Result<Engagement> {
        use EngagementKind::*;
        if !matches!(kind, Reward | VipMembership | PanelInvitation) {
            return Err(StoreError::Invalid(format!(
                "kind {} is not granted by hand; grant reward, vip_membership or panel_invitation",
                kind.as_str()
            )));
        }
        let mut tx = self.store.begin_write().await?;
        let customer_id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM customers WHERE workspace_id = $1 AND external_id = $2",
        )
        .bind(workspace_id)
        .bind(external_id)
        .fetch_optional(&mut *tx)
        .await?;
        let customer_id = customer_id.ok_or_else(|| {
            StoreError::NotFound(format!("no customer with external_id {external_id:?}"))
        })?;
        let answer_id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM answers WHERE workspace_id = $1 AND customer_id = $2 \
             ORDER BY answered_at DESC, id DESC LIMIT 1",
        )
        .bind(workspace_id)
        .bind(customer_id)
        .fetch_optional(&mut *tx)
        .await?;
        let answer_id = answer_id.ok_or_else(|| {
            StoreError::Invalid(format!(
                "customer {external_id:?} has not answered a survey yet; an engagement belongs to an answer"
            ))
        })?;
        if status != EngagementStatus::Queued {
            check_transition(0, kind, EngagementStatus::Queued, status).map_err(|_| {
                StoreError::Invalid(format!(
                    "a {} cannot start as {}; it can start as queued or {}",
                    kind.as_str(),
                    status.as_str(),
                    reachable(kind)
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        }
        let now = to_ts(Utc::now());
        let id = insert_engagement(
            &mut tx,
            workspace_id,
            customer_id,
            answer_id,
            kind,
            status,
            now,
        )
        .await?;
        let created = engagement_in(&mut tx, workspace_id, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no engagement {id}")))?;
        announce(&mut tx, workspace_id, &created, None).await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EngagementStatus::*;

    #[test]
    fn transitions_go_forward_only_and_fit_the_kind() {
        let ok = |k, a, b| check_transition(1, k, a, b).is_ok();
        assert!(ok(EngagementKind::ThankYou, Queued, Sent));
        assert!(!ok(EngagementKind::ThankYou, Sent, Accepted));
        assert!(ok(EngagementKind::ReviewRequest, Sent, ReviewLeft));
        assert!(!ok(EngagementKind::Reward, Sent, ReviewLeft));
        assert!(ok(EngagementKind::VipMembership, Queued, Accepted));
        assert!(!ok(EngagementKind::Reward, Sent, Queued));
        assert!(!ok(EngagementKind::Reward, Accepted, Declined));
        let msg = check_transition(4, EngagementKind::Reward, Sent, Queued)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("engagement 4 (reward) cannot go from sent to queued")
                && msg.contains("accepted, declined"),
            "{msg}"
        );
    }
}
