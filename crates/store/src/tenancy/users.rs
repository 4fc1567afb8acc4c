//! People who sign in: created with their first membership, found by email.

use crate::models::User;
use crate::Users;
use crate::{to_ts, Result, StoreError};
use advocate_core::{staff, Role};
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

/// The language and time zone a person reads Advocate's emails in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaffPreferences {
    /// One of `advocate_core::i18n::SUPPORTED`.
    pub language: String,
    /// An IANA time zone name.
    pub time_zone: String,
}

impl Users<'_> {
    /// A person's language and time zone.
    #[tracing::instrument(name = "users.preferences", level = "debug", skip_all)]
    pub async fn preferences(&self, user_id: i64) -> Result<StaffPreferences> {
        let row = sqlx::query("SELECT language, time_zone FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no user with id {user_id}")))?;
        Ok(StaffPreferences {
            language: row.try_get("language")?,
            time_zone: row.try_get("time_zone")?,
        })
    }

    /// Changes what is named (`None` keeps it); both are checked by core first, so a bad
    /// value changes nothing.
    #[tracing::instrument(name = "users.set_preferences", level = "debug", skip_all)]
    pub async fn set_preferences(
        &self,
        user_id: i64,
        language: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<StaffPreferences> {
        let language = language
            .map(staff::check_language)
            .transpose()
            .map_err(StoreError::Invalid)?;
        let time_zone = time_zone
            .map(staff::check_time_zone)
            .transpose()
            .map_err(StoreError::Invalid)?;
        let done = sqlx::query(
            "UPDATE users SET language = COALESCE($1, language), \
             time_zone = COALESCE($2, time_zone) WHERE id = $3",
        )
        .bind(language)
        .bind(time_zone.map(|tz| tz.name().to_owned()))
        .bind(user_id)
        .execute(&self.store.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no user with id {user_id}")));
        }
        self.preferences(user_id).await
    }

    /// The language of the person with this address, if they have an account.
    #[tracing::instrument(name = "users.language_of", level = "debug", skip_all)]
    pub async fn language_of(&self, email: &str) -> Result<Option<String>> {
        let mut conn = self.store.pool.acquire().await?;
        language_of_in(&mut conn, email).await
    }
}

/// The language of the person with this address, inside the caller's transaction.
pub(crate) async fn language_of_in(
    conn: &mut sqlx::AnyConnection,
    email: &str,
) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT language FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// The language to write to `email` in: theirs when the address has an account, else
/// `fallback` (the workspace's language).
pub(crate) async fn staff_language_in(
    conn: &mut sqlx::AnyConnection,
    email: &str,
    fallback: &advocate_core::Language,
) -> Result<advocate_core::Language> {
    Ok(language_of_in(conn, email)
        .await?
        .and_then(|l| advocate_core::Language::new(&l).ok())
        .unwrap_or_else(|| fallback.clone()))
}
