//! Read-only share links of a dashboard view: for a wall screen, or an executive without
//! an account. A link carries a random token of which only the SHA-256 is stored, shows the
//! one view it was made for, and stops working when it expires or is revoked.

use crate::{from_ts, random_token, to_ts, Result, Shares, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

/// The longest a share link may live.
pub const MAX_DAYS: i64 = 90;

/// A share link as its workspace sees it (the token is shown once, when it is made).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardShare {
    pub id: i64,
    pub workspace_id: i64,
    /// What it is for, e.g. "Office screen".
    pub label: String,
    /// The dashboard query string it shows, e.g. `period=90d&only=channel:sms`.
    pub view: String,
    /// Who made it (`user:ana@example.com`).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl DashboardShare {
    /// Whether the link still opens at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

fn digest(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

const COLUMNS: &str =
    "id, workspace_id, label, view, created_by, created_at, expires_at, revoked_at";

fn share_from(row: &AnyRow) -> Result<DashboardShare> {
    Ok(DashboardShare {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        label: row.try_get("label")?,
        view: row.try_get("view")?,
        created_by: row.try_get("created_by")?,
        created_at: from_ts(row.try_get("created_at")?),
        expires_at: from_ts(row.try_get("expires_at")?),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_ts),
    })
}

impl Shares<'_> {
    /// Makes a link to `view` living `days` days (1–[`MAX_DAYS`]); returns it with its
    /// token, which is not stored and cannot be shown again.
    #[tracing::instrument(name = "shares.create", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create(
        &self,
        workspace_id: i64,
        created_by: &str,
        label: &str,
        view: &str,
        days: i64,
    ) -> Result<(DashboardShare, String)> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "label: give the link a name of 1 to 100 characters (e.g. Office screen)".into(),
            ));
        }
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(StoreError::Invalid(format!(
                "days: a share link lives 1 to {MAX_DAYS} days; got {days}"
            )));
        }
        let token = random_token(40);
        let now = Utc::now();
        let mut tx = self.store.begin_write().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO dashboard_shares (workspace_id, token_hash, view, label, created_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(workspace_id)
        .bind(digest(&token))
        .bind(view)
        .bind(label)
        .bind(created_by)
        .bind(to_ts(now))
        .bind(to_ts(now + Duration::days(days)))
        .fetch_one(&mut *tx)
        .await?;
        let share = share_from(&row)?;
        tx.commit().await?;
        Ok((share, token))
    }

    /// The workspace's links, newest first (live, expired and revoked).
    #[tracing::instrument(name = "shares.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64) -> Result<Vec<DashboardShare>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM dashboard_shares WHERE workspace_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 200"
        ))
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(share_from).collect()
    }

    /// The live link a token opens; `None` for an unknown, expired or revoked one (a
    /// visitor learns nothing about which).
    #[tracing::instrument(name = "shares.open", level = "debug", skip_all)]
    pub async fn open(&self, token: &str) -> Result<Option<DashboardShare>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM dashboard_shares WHERE token_hash = $1"
        ))
        .bind(digest(token))
        .fetch_optional(&self.store.pool)
        .await?;
        let share = row.as_ref().map(share_from).transpose()?;
        Ok(share.filter(|s| s.is_live(Utc::now())))
    }

    /// Ends a link of this workspace at once; revoking twice keeps the first time. Another
    /// workspace's link is not found.
    #[tracing::instrument(name = "shares.revoke", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn revoke(&self, workspace_id: i64, id: i64) -> Result<DashboardShare> {
        let mut tx = self.store.begin_write().await?;
        let row = sqlx::query(&format!(
            "UPDATE dashboard_shares SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE id = $2 AND workspace_id = $3 RETURNING {COLUMNS}"
        ))
        .bind(to_ts(Utc::now()))
        .bind(id)
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no share link {id}")))?;
        let share = share_from(&row)?;
        tx.commit().await?;
        Ok(share)
    }
}
