//! Accounts: memberships and roles, server-side sessions, one-time tokens (invitations to
//! a workspace, password resets) and the audit log.
//!
//! Secrets handed to people (session ids, tokens) are random and only their SHA-256 is
//! stored, so a copy of the database signs nobody in.

use crate::delivery::outbox::{enqueue_email, enqueue_secret_email, EmailMessage};
use crate::Accounts;
use crate::{from_ts, random_token, to_ts, Result, StoreError};
use advocate_core::Role;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Refresh `last_seen_at` at most this often (a read-mostly session costs no write per page).
const SEEN_RESOLUTION_SECS: i64 = 60;

pub(crate) fn digest(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// A workspace a person belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub workspace_id: i64,
    pub workspace_slug: String,
    pub workspace_name: String,
    pub role: Role,
}

/// A person in a workspace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    pub since: DateTime<Utc>,
}

/// How long sessions live: at most `absolute` after sign-in, and ended after `idle`
/// without a request.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub absolute: Duration,
    pub idle: Duration,
}

/// A live session, with the person's role in the session's current workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user_id: i64,
    pub email: String,
    pub workspace_id: i64,
    pub role: Role,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Join a workspace with a role (and set a password if the person is new).
    Invitation,
    /// Choose a new password.
    PasswordReset,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Invitation => "invitation",
            TokenPurpose::PasswordReset => "password_reset",
        }
    }
}

/// A one-time token, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct UserToken {
    pub email: String,
    pub workspace_id: Option<i64>,
    pub role: Option<Role>,
    pub created_by: Option<String>,
    pub expires_at: DateTime<Utc>,
}

fn role_from(row: &AnyRow) -> Result<Role> {
    Role::parse(&row.try_get::<String, _>("role")?)
        .map_err(|e| StoreError::Invalid(format!("stored membership has a bad role: {e}")))
}

/// Gives `user_id` the role `role` in `workspace_id` (joining it if needed).
pub(crate) async fn set_role_in(
    conn: &mut AnyConnection,
    user_id: i64,
    workspace_id: i64,
    role: Role,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = excluded.role",
    )
    .bind(user_id)
    .bind(workspace_id)
    .bind(role.as_str())
    .bind(to_ts(Utc::now()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Refuses a change that would leave the workspace without an admin.
async fn keep_an_admin(conn: &mut AnyConnection, workspace_id: i64, user_id: i64) -> Result<()> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin' \
         AND user_id <> $2",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    if others == 0 {
        return Err(StoreError::Conflict(
            "this is the workspace's last admin; make someone else admin first".into(),
        ));
    }
    Ok(())
}

impl Accounts<'_> {
    /// The person's role in a workspace, or `None` when they are not a member.
    #[tracing::instrument(name = "accounts.role_of", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn role_of(&self, user_id: i64, workspace_id: i64) -> Result<Option<Role>> {
        let row =
            sqlx::query("SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2")
                .bind(user_id)
                .bind(workspace_id)
                .fetch_optional(&self.store.pool)
                .await?;
        row.as_ref().map(role_from).transpose()
    }

    /// Every workspace the person belongs to.
    #[tracing::instrument(name = "accounts.memberships", level = "debug", skip_all)]
    pub async fn memberships(&self, user_id: i64) -> Result<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT m.workspace_id, w.slug, w.name, m.role FROM memberships m \
             JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 ORDER BY w.name",
        )
        .bind(user_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    workspace_id: r.try_get("workspace_id")?,
                    workspace_slug: r.try_get("slug")?,
                    workspace_name: r.try_get("name")?,
                    role: role_from(r)?,
                })
            })
            .collect()
    }

    /// The people of a workspace.
    #[tracing::instrument(name = "accounts.members", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn members(&self, workspace_id: i64) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email",
        )
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.try_get("user_id")?,
                    email: r.try_get("email")?,
                    role: role_from(r)?,
                    since: from_ts(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    /// Changes a member's role; the last admin keeps the admin role.
    #[tracing::instrument(name = "accounts.set_role", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_role(&self, workspace_id: i64, user_id: i64, role: Role) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let current =
            sqlx::query("SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2")
                .bind(user_id)
                .bind(workspace_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no member with user id {user_id}")))?;
        if role_from(&current)? == Role::Admin && role != Role::Admin {
            keep_an_admin(&mut tx, workspace_id, user_id).await?;
        }
        set_role_in(&mut tx, user_id, workspace_id, role).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an existing person to a workspace (or changes their role there).
    #[tracing::instrument(name = "accounts.add_member", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn add_member(&self, workspace_id: i64, user_id: i64, role: Role) -> Result<()> {
        let mut conn = self.store.writer.acquire().await?;
        set_role_in(&mut conn, user_id, workspace_id, role).await
    }

    /// Removes a person from a workspace and ends their sessions in it; the last admin
    /// cannot be removed.
    #[tracing::instrument(name = "accounts.remove_member", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn remove_member(&self, workspace_id: i64, user_id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        keep_an_admin(&mut tx, workspace_id, user_id).await?;
        let removed =
            sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND workspace_id = $2")
                .bind(user_id)
                .bind(workspace_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if removed == 0 {
            return Err(StoreError::NotFound(format!(
                "no member with user id {user_id}"
            )));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND workspace_id = $2")
            .bind(user_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        // Their personal keys go with them (they would already authenticate nothing).
        sqlx::query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE user_id = $2 AND workspace_id = $3",
        )
        .bind(to_ts(Utc::now()))
        .bind(user_id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.store.key_cache.clear();
        Ok(())
    }

    /// Starts a session in `workspace_id` (where the person must be a member); returns
    /// the secret for the cookie.
    #[tracing::instrument(name = "accounts.create_session", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create_session(
        &self,
        user_id: i64,
        workspace_id: i64,
        limits: SessionLimits,
        now: DateTime<Utc>,
    ) -> Result<String> {
        if self.role_of(user_id, workspace_id).await?.is_none() {
            return Err(StoreError::NotFound(format!(
                "user {user_id} is not a member of workspace {workspace_id}"
            )));
        }
        let secret = random_token(43);
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, workspace_id, csrf_token, created_at, \
             last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(digest(&secret))
        .bind(user_id)
        .bind(workspace_id)
        .bind(random_token(32))
        .bind(to_ts(now))
        .bind(to_ts(now + limits.absolute))
        .execute(&self.store.writer)
        .await?;
        Ok(secret)
    }

    /// The live session behind a cookie secret: not expired, not idle too long, and its
    /// person still a member of its workspace. Anything else is `None` (and an expired
    /// session is deleted).
    #[tracing::instrument(name = "accounts.session", level = "debug", skip_all)]
    pub async fn session(
        &self,
        secret: &str,
        limits: SessionLimits,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>> {
        let id_hash = digest(secret);
        let row = sqlx::query(
            "SELECT s.user_id, u.email, s.workspace_id, m.role, s.csrf_token, s.last_seen_at, \
             s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             JOIN memberships m ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id \
             WHERE s.id_hash = $1",
        )
        .bind(&id_hash)
        .fetch_optional(&self.store.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let last_seen: i64 = row.try_get("last_seen_at")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let now_ts = to_ts(now);
        if now_ts >= expires_at || now_ts - last_seen >= limits.idle.num_seconds() {
            self.end_session(secret).await?;
            return Ok(None);
        }
        if now_ts - last_seen >= SEEN_RESOLUTION_SECS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now_ts)
                .bind(&id_hash)
                .execute(&self.store.writer)
                .await?;
        }
        Ok(Some(Session {
            user_id: row.try_get("user_id")?,
            email: row.try_get("email")?,
            workspace_id: row.try_get("workspace_id")?,
            role: role_from(&row)?,
            csrf_token: row.try_get("csrf_token")?,
            expires_at: from_ts(expires_at),
        }))
    }

    /// Signs a session out.
    #[tracing::instrument(name = "accounts.end_session", level = "debug", skip_all)]
    pub async fn end_session(&self, secret: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(digest(secret))
            .execute(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Signs a person out everywhere (after a password change); returns how many sessions.
    #[tracing::instrument(name = "accounts.end_sessions_of", level = "debug", skip_all)]
    pub async fn end_sessions_of(&self, user_id: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.store.writer)
            .await?
            .rows_affected())
    }

    /// A person's own password change, all or nothing: the new hash, every session of
    /// theirs but `keep` (the one they changed it from) signed out, and `notice` (telling
    /// them of the change) queued in `workspace_id`'s outbox. Returns how many sessions
    /// ended.
    #[tracing::instrument(name = "accounts.change_password", level = "debug", skip_all)]
    pub async fn change_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: &str,
        workspace_id: i64,
        notice: &EmailMessage,
    ) -> Result<u64> {
        let mut tx = self.store.begin_write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no user with id {user_id}")));
        }
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(digest(keep))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        enqueue_email(&mut tx, workspace_id, "password.changed", notice).await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(ended)
    }

    /// Moves a session to another workspace of the same person.
    #[tracing::instrument(name = "accounts.switch_workspace", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn switch_workspace(&self, secret: &str, workspace_id: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE sessions SET workspace_id = $1 WHERE id_hash = $2 AND EXISTS (SELECT 1 FROM \
             memberships m WHERE m.user_id = sessions.user_id AND m.workspace_id = $1)",
        )
        .bind(workspace_id)
        .bind(digest(secret))
        .execute(&self.store.writer)
        .await?;
        match done.rows_affected() {
            0 => Err(StoreError::NotFound(format!(
                "you are not a member of workspace {workspace_id}"
            ))),
            _ => Ok(()),
        }
    }

    /// Issues a one-time token whose secret the caller made (and puts in a link), and
    /// queues the email that carries the link in the same transaction: both or neither.
    /// The email is secret: the workspace's outbox shows its recipient and subject, never
    /// the link.
    #[tracing::instrument(name = "accounts.issue_user_token", level = "debug", skip_all)]
    pub async fn issue_user_token(
        &self,
        purpose: TokenPurpose,
        secret: &str,
        token: &UserToken,
        email: Option<(i64, &EmailMessage)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO user_tokens (token_hash, purpose, email, workspace_id, role, created_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(digest(secret))
        .bind(purpose.as_str())
        .bind(token.email.trim().to_lowercase())
        .bind(token.workspace_id)
        .bind(token.role.map(Role::as_str))
        .bind(token.created_by.clone())
        .bind(to_ts(now))
        .bind(to_ts(token.expires_at))
        .execute(&mut *tx)
        .await?;
        if let Some((workspace_id, email)) = email {
            enqueue_secret_email(&mut tx, workspace_id, purpose.as_str(), email).await?;
        }
        tx.commit().await?;
        if email.is_some() {
            self.store.wake_outbox();
        }
        Ok(())
    }

    /// The sender address of the workspace's emails.
    #[tracing::instrument(name = "accounts.email_sender", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn email_sender(&self, workspace_id: i64) -> Result<String> {
        let mut conn = self.store.pool.acquire().await?;
        let settings = crate::tenancy::lookup::settings_in(&mut conn, workspace_id).await?;
        Ok(crate::tenancy::lookup::sender(&settings))
    }

    /// The token behind a secret if it is unused and unexpired, without using it up.
    #[tracing::instrument(name = "accounts.user_token", level = "debug", skip_all)]
    pub async fn user_token(
        &self,
        purpose: TokenPurpose,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserToken>> {
        let row = sqlx::query(
            "SELECT email, workspace_id, role, created_by, expires_at FROM user_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(digest(secret))
        .bind(purpose.as_str())
        .bind(to_ts(now))
        .fetch_optional(&self.store.pool)
        .await?;
        row.map(|r| {
            Ok(UserToken {
                email: r.try_get("email")?,
                workspace_id: r.try_get("workspace_id")?,
                role: r
                    .try_get::<Option<String>, _>("role")?
                    .map(|s| Role::parse(&s))
                    .transpose()
                    .map_err(|e| StoreError::Invalid(e.0))?,
                created_by: r.try_get("created_by")?,
                expires_at: from_ts(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    /// Uses a token up: exactly one caller gets it, however many race for it.
    #[tracing::instrument(name = "accounts.redeem_user_token", level = "debug", skip_all)]
    pub async fn redeem_user_token(
        &self,
        purpose: TokenPurpose,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserToken>> {
        let Some(token) = self.user_token(purpose, secret, now).await? else {
            return Ok(None);
        };
        let won = sqlx::query(
            "UPDATE user_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(to_ts(now))
        .bind(digest(secret))
        .execute(&self.store.writer)
        .await?
        .rows_affected();
        Ok((won == 1).then_some(token))
    }
}
