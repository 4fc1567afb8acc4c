//! People who sign in: created with their first membership, found by email.

use crate::models::User;
use crate::Users;
use crate::{to_ts, Result, StoreError};
use advocate_core::Role;
use chrono::Utc;
use sqlx::Row;

impl Users<'_> {
    /// Creates a user who is an admin of `workspace_id`; `password_hash` is already
    /// hashed (argon2) by the caller.
    #[tracing::instrument(name = "users.create", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create(
        &self,
        workspace_id: i64,
        email: &str,
        password_hash: &str,
    ) -> Result<User> {
        self.create_member(workspace_id, email, password_hash, Role::Admin)
            .await
    }

    /// Creates a user with `role` in `workspace_id`, in one transaction.
    #[tracing::instrument(name = "users.create_member", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create_member(
        &self,
        workspace_id: i64,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User> {
        let email = email.trim().to_lowercase();
        let now = to_ts(Utc::now());
        let mut tx = self.store.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (workspace_id, email, password_hash, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(workspace_id)
        .bind(&email)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match StoreError::is_unique_violation(&e) {
            true => StoreError::Conflict(format!("a user with email {email:?} already exists")),
            false => e.into(),
        })?;
        crate::tenancy::accounts::set_role_in(&mut tx, id, workspace_id, role).await?;
        tx.commit().await?;
        Ok(User {
            id,
            workspace_id,
            email,
            password_hash: password_hash.to_owned(),
        })
    }

    /// Replaces a user's password hash.
    #[tracing::instrument(name = "users.set_password_hash", level = "debug", skip_all)]
    pub async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> Result<()> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&self.store.writer)
            .await?;
        match done.rows_affected() {
            0 => Err(StoreError::NotFound(format!("no user with id {user_id}"))),
            _ => Ok(()),
        }
    }

    #[tracing::instrument(name = "users.by_email", level = "debug", skip_all)]
    pub async fn by_email(&self, email: &str) -> Result<Option<User>> {
        self.user_where("email = $1", email.trim().to_lowercase())
            .await
    }

    #[tracing::instrument(name = "users.get", level = "debug", skip_all)]
    pub async fn get(&self, id: i64) -> Result<Option<User>> {
        self.user_where("id = $1", id).await
    }

    async fn user_where<T>(&self, condition: &str, value: T) -> Result<Option<User>>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        let sql =
            format!("SELECT id, workspace_id, email, password_hash FROM users WHERE {condition}");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.store.pool)
            .await?;
        row.map(|r| {
            Ok(User {
                id: r.try_get("id")?,
                workspace_id: r.try_get("workspace_id")?,
                email: r.try_get("email")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }
}
