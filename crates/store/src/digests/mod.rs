//! Digests (a wing of its own: it reads cases, answers and invitations, and writes the
//! outbox): each member's daily or weekly email of what needs them. `mod.rs` keeps the
//! settings (per membership) and the one-click unsubscribe; `due.rs` finds whose digest
//! is due; `facts.rs` gathers what one says; `send.rs` claims and queues it.
//!
//! Core decides when a digest is due (the member's hour in their time zone, Mondays for
//! weekly ones, see `advocate_core::staff`) and writes its text and HTML; this wing only
//! reads and records.

mod due;
mod facts;
mod send;

pub use crate::delivery::links::digest_membership_of_token;
pub use due::DueDigest;
pub use facts::{LISTED_CASES, LISTED_DETRACTORS, LISTED_THEMES};

use crate::Digests;
use crate::{Result, StoreError};
use advocate_core::staff::{self, DigestFrequency};
use serde::Serialize;
use sqlx::Row;

/// A member's digest in one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DigestSettings {
    #[serde(serialize_with = "frequency_name")]
    pub frequency: DigestFrequency,
    /// 0–23, in the member's time zone.
    pub hour: u8,
}

fn frequency_name<S: serde::Serializer>(f: &DigestFrequency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(f.as_str())
}

pub(crate) fn settings_from(frequency: &str, hour: i64) -> Result<DigestSettings> {
    Ok(DigestSettings {
        frequency: DigestFrequency::parse(frequency).map_err(StoreError::Invalid)?,
        hour: staff::check_digest_hour(hour).map_err(StoreError::Invalid)?,
    })
}

impl Digests<'_> {
    /// A member's digest settings in a workspace.
    #[tracing::instrument(name = "digests.settings", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn settings(&self, user_id: i64, workspace_id: i64) -> Result<DigestSettings> {
        let row = sqlx::query(
            "SELECT digest, digest_hour FROM memberships WHERE user_id = $1 AND workspace_id = $2",
        )
        .bind(user_id)
        .bind(workspace_id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| not_a_member(user_id))?;
        settings_from(
            &row.try_get::<String, _>("digest")?,
            row.try_get::<i64, _>("digest_hour")?,
        )
    }

    /// Sets a member's digest: how often and at which hour.
    #[tracing::instrument(name = "digests.set", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set(
        &self,
        user_id: i64,
        workspace_id: i64,
        settings: DigestSettings,
    ) -> Result<DigestSettings> {
        staff::check_digest_hour(i64::from(settings.hour)).map_err(StoreError::Invalid)?;
        let done = sqlx::query(
            "UPDATE memberships SET digest = $1, digest_hour = $2 \
             WHERE user_id = $3 AND workspace_id = $4",
        )
        .bind(settings.frequency.as_str())
        .bind(i64::from(settings.hour))
        .bind(user_id)
        .bind(workspace_id)
        .execute(&self.store.writer)
        .await?;
        match done.rows_affected() {
            0 => Err(not_a_member(user_id)),
            _ => Ok(settings),
        }
    }

    /// Turns a member's digest off (the one-click unsubscribe). Returns whether it was on;
    /// a membership that no longer exists is not found.
    #[tracing::instrument(name = "digests.unsubscribe", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn unsubscribe(&self, user_id: i64, workspace_id: i64) -> Result<bool> {
        let before = self.settings(user_id, workspace_id).await?;
        sqlx::query(
            "UPDATE memberships SET digest = 'off' WHERE user_id = $1 AND workspace_id = $2",
        )
        .bind(user_id)
        .bind(workspace_id)
        .execute(&self.store.writer)
        .await?;
        Ok(before.frequency != DigestFrequency::Off)
    }
}

fn not_a_member(user_id: i64) -> StoreError {
    StoreError::NotFound(format!("no member with user id {user_id}"))
}
