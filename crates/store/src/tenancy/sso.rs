//! A workspace's single sign-on (OpenID Connect) configuration.

use crate::Sso;
use crate::{to_ts, Result, StoreError};
use advocate_core::Role;
use chrono::Utc;
use sqlx::Row;

/// Where a workspace's members sign in, who may, and as what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    /// The provider's issuer URL; discovery is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Emails must be in one of these domains; empty: any domain.
    pub allowed_domains: Vec<String>,
    /// When set, the ID token's `groups` must contain it.
    pub required_group: Option<String>,
    /// The role of a person who joins by signing in (just-in-time membership).
    pub default_role: Role,
    /// Whether members may still sign in with a password.
    pub password_sign_in: bool,
}

impl SsoConfig {
    /// The secret as it may be shown: its last four characters.
    pub fn secret_hint(&self) -> String {
        let tail: String = {
            let chars: Vec<char> = self.client_secret.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        format!("…{tail}")
    }
}

impl Sso<'_> {
    #[tracing::instrument(name = "sso.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64) -> Result<Option<SsoConfig>> {
        let row = sqlx::query(
            "SELECT issuer, client_id, client_secret, allowed_domains, required_group, \
             default_role, password_sign_in FROM workspace_sso WHERE workspace_id = $1",
        )
        .bind(workspace_id)
        .fetch_optional(&self.store.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let domains: String = row.try_get("allowed_domains")?;
        let role: String = row.try_get("default_role")?;
        Ok(Some(SsoConfig {
            issuer: row.try_get("issuer")?,
            client_id: row.try_get("client_id")?,
            client_secret: row.try_get("client_secret")?,
            allowed_domains: domains.lines().map(str::to_owned).collect(),
            required_group: row.try_get("required_group")?,
            default_role: Role::parse(&role)
                .map_err(|e| StoreError::Invalid(format!("stored default_role: {e}")))?,
            password_sign_in: row.try_get::<i64, _>("password_sign_in")? != 0,
        }))
    }

    /// Checks and saves the configuration (replacing any earlier one).
    #[tracing::instrument(name = "sso.save", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn save(&self, workspace_id: i64, c: &SsoConfig) -> Result<()> {
        let issuer = c.issuer.trim().trim_end_matches('/');
        let host = issuer
            .strip_prefix("https://")
            .or_else(|| issuer.strip_prefix("http://"))
            .unwrap_or("");
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(StoreError::Invalid(format!(
                "issuer: {:?} is not an http(s) URL",
                c.issuer
            )));
        }
        for (field, value) in [
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
        ] {
            if value.trim().is_empty() {
                return Err(StoreError::Invalid(format!("{field}: must not be empty")));
            }
        }
        let mut domains = Vec::new();
        for d in &c.allowed_domains {
            let d = d.trim().trim_start_matches('@').to_lowercase();
            if d.is_empty() {
                continue;
            }
            if !d.contains('.') || d.contains(|ch: char| ch.is_whitespace() || ch == '@') {
                return Err(StoreError::Invalid(format!(
                    "allowed_domains: {d:?} is not a domain"
                )));
            }
            domains.push(d);
        }
        let group = c
            .required_group
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty());
        sqlx::query(
            "INSERT INTO workspace_sso (workspace_id, issuer, client_id, client_secret, \
             allowed_domains, required_group, default_role, password_sign_in, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (workspace_id) DO UPDATE SET issuer = excluded.issuer, \
             client_id = excluded.client_id, client_secret = excluded.client_secret, \
             allowed_domains = excluded.allowed_domains, required_group = excluded.required_group, \
             default_role = excluded.default_role, password_sign_in = excluded.password_sign_in, \
             updated_at = excluded.updated_at",
        )
        .bind(workspace_id)
        .bind(issuer)
        .bind(c.client_id.trim())
        .bind(c.client_secret.trim())
        .bind(domains.join("\n"))
        .bind(group)
        .bind(c.default_role.as_str())
        .bind(i64::from(c.password_sign_in))
        .bind(to_ts(Utc::now()))
        .execute(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Turns single sign-on off (password sign-in is then the only way again).
    #[tracing::instrument(name = "sso.remove", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn remove(&self, workspace_id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM workspace_sso WHERE workspace_id = $1")
            .bind(workspace_id)
            .execute(&self.store.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether any workspace `user_id` belongs to has turned password sign-in off.
    #[tracing::instrument(name = "sso.password_refused", level = "debug", skip_all)]
    pub async fn password_refused(&self, user_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM workspace_sso s JOIN memberships m \
             ON m.workspace_id = s.workspace_id WHERE m.user_id = $1 AND s.password_sign_in = 0",
        )
        .bind(user_id)
        .fetch_one(&self.store.pool)
        .await?;
        Ok(n > 0)
    }
}
