//! Whose digest is due: every membership with a digest on, read with its person's time
//! zone, and kept when core says its hour has come and nothing was sent for it yet.

use super::settings_from;
use crate::Digests;
use crate::{from_ts, Result};
use advocate_core::staff::{self, DigestFrequency};
use advocate_core::Role;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A digest to send now.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDigest {
    pub user_id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub language: String,
    pub role: Role,
    pub frequency: DigestFrequency,
    /// When it fell due: a digest sent at or after this instant is this period's.
    pub due_at: DateTime<Utc>,
}

impl Digests<'_> {
    /// The digests due at `now`, oldest membership first. A person whose time zone no
    /// longer parses is read in UTC rather than forgotten.
    #[tracing::instrument(name = "digests.due", level = "debug", skip_all)]
    pub async fn due(&self, now: DateTime<Utc>) -> Result<Vec<DueDigest>> {
        let rows = sqlx::query(
            "SELECT m.user_id, m.workspace_id, m.role, m.digest, m.digest_hour, \
             m.digest_sent_at, u.email, u.language, u.time_zone \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.digest <> 'off' ORDER BY m.created_at, m.user_id, m.workspace_id",
        )
        .fetch_all(&self.store.pool)
        .await?;
        let mut due = Vec::new();
        for r in &rows {
            let settings = settings_from(
                &r.try_get::<String, _>("digest")?,
                r.try_get::<i64, _>("digest_hour")?,
            )?;
            let tz = staff::check_time_zone(&r.try_get::<String, _>("time_zone")?)
                .unwrap_or(staff::Tz::UTC);
            let sent = r.try_get::<Option<i64>, _>("digest_sent_at")?.map(from_ts);
            let Some(due_at) =
                staff::digest_is_due(settings.frequency, settings.hour, tz, now, sent)
            else {
                continue;
            };
            due.push(DueDigest {
                user_id: r.try_get("user_id")?,
                workspace_id: r.try_get("workspace_id")?,
                email: r.try_get("email")?,
                language: r.try_get("language")?,
                role: Role::parse(&r.try_get::<String, _>("role")?)
                    .map_err(|e| crate::StoreError::Invalid(e.0))?,
                frequency: settings.frequency,
                due_at,
            });
        }
        Ok(due)
    }
}
