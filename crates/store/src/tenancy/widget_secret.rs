//! The workspace's widget secret: a website signs an identified visitor's id with it (hex
//! HMAC-SHA256), so that nobody can answer in a customer's name. It is made with the
//! workspace, shown to admins only, and can be rotated: the secret it replaces keeps
//! working for [`GRACE_DAYS`] days, long enough to deploy the new one.

use crate::Workspaces;
use crate::{from_ts, random_hex, to_ts, Result};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// How long a rotated-out secret is still accepted.
pub const GRACE_DAYS: i64 = 7;

/// The secrets a signature may be made with now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WidgetSecrets {
    /// The secret to sign with (64 hex digits).
    pub secret: String,
    /// The secret it replaced, still accepted until `previous_valid_until`.
    pub previous_secret: Option<String>,
    pub previous_valid_until: Option<DateTime<Utc>>,
}

impl WidgetSecrets {
    /// Every secret a signature may be checked against.
    pub fn accepted(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.secret.as_str()).chain(self.previous_secret.as_deref())
    }
}

fn current_key(workspace_id: i64) -> String {
    format!("widget_secret:{workspace_id}")
}

fn previous_key(workspace_id: i64) -> String {
    format!("widget_secret_previous:{workspace_id}")
}

pub(crate) fn new_secret() -> String {
    random_hex(32)
}

impl Workspaces<'_> {
    /// The widget secrets of a workspace at `now`: the current one (made if it is missing,
    /// as for a workspace of an older version) and the previous one while its grace lasts.
    #[tracing::instrument(name = "workspaces.widget_secrets", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn widget_secrets(
        &self,
        workspace_id: i64,
        now: DateTime<Utc>,
    ) -> Result<WidgetSecrets> {
        let secret = self
            .setting_or_insert(&current_key(workspace_id), new_secret)
            .await?;
        let previous: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(previous_key(workspace_id))
                .fetch_optional(&self.store.pool)
                .await?;
        let previous = previous.and_then(|v| {
            let (secret, until) = v.split_once(' ')?;
            let until = from_ts(until.parse().ok()?);
            (until > now).then(|| (secret.to_owned(), until))
        });
        Ok(WidgetSecrets {
            secret,
            previous_valid_until: previous.as_ref().map(|(_, u)| *u),
            previous_secret: previous.map(|(s, _)| s),
        })
    }

    /// Makes a new secret; the current one stays valid for [`GRACE_DAYS`] days from `now`
    /// (a secret that was still in its grace period stops at once).
    #[tracing::instrument(name = "workspaces.rotate_widget_secret", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn rotate_widget_secret(
        &self,
        workspace_id: i64,
        now: DateTime<Utc>,
    ) -> Result<WidgetSecrets> {
        let old = self
            .setting_or_insert(&current_key(workspace_id), new_secret)
            .await?;
        let until = now + Duration::days(GRACE_DAYS);
        let mut tx = self.store.begin_write().await?;
        for (key, value) in [
            (
                previous_key(workspace_id),
                format!("{old} {}", to_ts(until)),
            ),
            (current_key(workspace_id), new_secret()),
        ] {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.widget_secrets(workspace_id, now).await
    }
}
