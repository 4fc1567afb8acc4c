//! Workspaces, their users and API keys, and installation settings.

use crate::models::{ApiKey, User, Workspace};
use crate::{from_ts, random_token, to_ts, Result, StoreError};
use crate::{ApiKeys, Users, Workspaces};
use advocate_core::access::{format_scopes, parse_scopes};
use advocate_core::{Language, Role, Scope};
use chrono::Utc;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Prefix of every API key, so a leaked key is easy to recognise in logs and scanners.
pub const API_KEY_PREFIX: &str = "adv_";
/// How long an authenticated API key is remembered (see `authenticate_api_key`).
pub const KEY_CACHE_SECS: u64 = 2;

/// Keys that authenticated recently, by hash, with when they were looked up.
#[derive(Debug, Default)]
pub(crate) struct KeyCache(
    std::sync::Mutex<std::collections::HashMap<String, (ApiKey, std::time::Instant)>>,
);

impl KeyCache {
    fn get(&self, hash: &str) -> Option<ApiKey> {
        let cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(hash)
            .filter(|(_, at)| at.elapsed().as_secs() < KEY_CACHE_SECS)
            .map(|(key, _)| key.clone())
    }

    fn put(&self, hash: String, key: ApiKey) {
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Stale entries go when the map grows; a handful of keys is the usual size.
        if cache.len() >= 1000 {
            cache.retain(|_, (_, at)| at.elapsed().as_secs() < KEY_CACHE_SECS);
        }
        cache.insert(hash, (key, std::time::Instant::now()));
    }

    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// How stale `last_used_at` may get before a request refreshes it (avoids a write per call).
const LAST_USED_RESOLUTION_SECS: i64 = 60;

fn workspace_from(row: &AnyRow) -> Result<Workspace> {
    Ok(Workspace {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        default_language: Language::new(&row.try_get::<String, _>("default_language")?)
            .unwrap_or_else(|_| Language::english()),
        created_at: from_ts(row.try_get("created_at")?),
    })
}

fn api_key_from(row: &AnyRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        scopes: parse_scopes(&row.try_get::<String, _>("scopes")?)
            .map_err(|e| StoreError::Invalid(format!("stored API key has bad scopes: {e}")))?,
        created_at: from_ts(row.try_get("created_at")?),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(from_ts),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_ts),
    })
}

fn hash_key(plaintext: &str) -> String {
    // API keys carry 190 bits of randomness, so a fast hash is enough: no dictionary
    // attack applies, and checking a key stays cheap on every request.
    format!("{:x}", Sha256::digest(plaintext.as_bytes()))
}

const API_KEY_COLUMNS: &str =
    "id, workspace_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

const WORKSPACE_COLUMNS: &str = "id, slug, name, default_language, created_at";

impl Workspaces<'_> {
    pub async fn create(
        &self,
        slug: &str,
        name: &str,
        default_language: &Language,
    ) -> Result<Workspace> {
        let row = sqlx::query(&format!(
            "INSERT INTO workspaces (slug, name, default_language, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING {WORKSPACE_COLUMNS}"
        ))
        .bind(slug)
        .bind(name)
        .bind(default_language.as_str())
        .bind(to_ts(Utc::now()))
        .fetch_one(&self.store.writer)
        .await
        .map_err(|e| match StoreError::is_unique_violation(&e) {
            true => StoreError::Conflict(format!("a workspace with slug {slug:?} already exists")),
            false => e.into(),
        })?;
        let workspace = workspace_from(&row)?;
        // Made with the workspace, so that an admin can find it before the first visitor.
        self.setting_or_insert(
            &format!("widget_secret:{}", workspace.id),
            crate::tenancy::widget_secret::new_secret,
        )
        .await?;
        Ok(workspace)
    }

    /// Renames a workspace: the name pages show and emails are sent in (`{company}`).
    pub async fn rename(&self, id: i64, name: &str) -> Result<Workspace> {
        let name = crate::tenancy::settings::check_workspace_name(name)?;
        let row = sqlx::query(&format!(
            "UPDATE workspaces SET name = $1 WHERE id = $2 RETURNING {WORKSPACE_COLUMNS}"
        ))
        .bind(name)
        .bind(id)
        .fetch_optional(&self.store.writer)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no workspace {id}")))?;
        workspace_from(&row)
    }

    pub async fn get(&self, id: i64) -> Result<Option<Workspace>> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(workspace_from).transpose()
    }

    pub async fn by_slug(&self, slug: &str) -> Result<Option<Workspace>> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(workspace_from).transpose()
    }

    pub async fn list(&self) -> Result<Vec<Workspace>> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.store.pool).await?;
        rows.iter().map(workspace_from).collect()
    }

    /// The installation setting `key`, created with `make()` the first time it is asked for.
    /// Concurrent first calls agree on one value.
    pub async fn setting_or_insert(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(make())
        .execute(&self.store.writer)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_one(&self.store.writer)
                .await?,
        )
    }

    /// The installation's key for signing cookies and links, made once and shared by
    /// every instance through the database.
    pub async fn signing_key(&self) -> Result<Vec<u8>> {
        Ok(self.store.reaction_context().await?.signing_key.to_vec())
    }
}

impl Users<'_> {
    /// Creates a user who is an admin of `workspace_id`; `password_hash` is already
    /// hashed (argon2) by the caller.
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

    pub async fn by_email(&self, email: &str) -> Result<Option<User>> {
        self.user_where("email = $1", email.trim().to_lowercase())
            .await
    }

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

impl ApiKeys<'_> {
    /// Creates an API key and returns it with its plaintext, which is never stored and
    /// cannot be shown again.
    /// A key with every scope (what `advocate apikey create` makes).
    pub async fn create(&self, workspace_id: i64, name: &str) -> Result<(ApiKey, String)> {
        self.create_scoped(workspace_id, name, &Scope::ALL).await
    }

    /// Creates an API key with these scopes and returns it with its plaintext, which is
    /// never stored and cannot be shown again.
    pub async fn create_scoped(
        &self,
        workspace_id: i64,
        name: &str,
        scopes: &[Scope],
    ) -> Result<(ApiKey, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "an API key needs a name of 1 to 100 characters".into(),
            ));
        }
        let scopes = parse_scopes(&format_scopes(scopes)).map_err(|e| StoreError::Invalid(e.0))?;
        let plaintext = format!("{API_KEY_PREFIX}{}", random_token(32));
        let prefix = plaintext[..API_KEY_PREFIX.len() + 6].to_owned();
        let row = sqlx::query(&format!(
            "INSERT INTO api_keys (workspace_id, name, prefix, key_hash, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {API_KEY_COLUMNS}"
        ))
        .bind(workspace_id)
        .bind(name)
        .bind(&prefix)
        .bind(hash_key(&plaintext))
        .bind(format_scopes(&scopes))
        .bind(to_ts(Utc::now()))
        .fetch_one(&self.store.writer)
        .await?;
        Ok((api_key_from(&row)?, plaintext))
    }

    /// A new key with every scope named `name`, replacing every earlier key of that name in
    /// the workspace (they are deleted, so they stop working at once and the team page
    /// shows one key): for a key a command makes afresh on each start.
    pub async fn replace(&self, workspace_id: i64, name: &str) -> Result<(ApiKey, String)> {
        let mut tx = self.store.begin_write().await?;
        sqlx::query("DELETE FROM api_keys WHERE workspace_id = $1 AND name = $2")
            .bind(workspace_id)
            .bind(name.trim())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.store.key_cache.clear();
        self.create(workspace_id, name).await
    }

    /// Revokes a key of this workspace at once; revoking twice is harmless.
    pub async fn revoke(&self, workspace_id: i64, id: i64) -> Result<ApiKey> {
        self.store.key_cache.clear();
        let row = sqlx::query(&format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE id = $2 AND workspace_id = $3 RETURNING {API_KEY_COLUMNS}"
        ))
        .bind(to_ts(Utc::now()))
        .bind(id)
        .bind(workspace_id)
        .fetch_optional(&self.store.writer)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no API key with id {id}")))?;
        api_key_from(&row)
    }

    /// Replaces a live key with a new one of the same name and scopes; the old one is
    /// revoked in the same step.
    pub async fn rotate(&self, workspace_id: i64, id: i64) -> Result<(ApiKey, String)> {
        let old = self
            .list(workspace_id)
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("no API key with id {id}")))?;
        if old.revoked_at.is_some() {
            return Err(StoreError::Conflict(format!(
                "API key {id} is revoked; create a new key instead"
            )));
        }
        let new = self
            .create_scoped(workspace_id, &old.name, &old.scopes)
            .await?;
        self.revoke(workspace_id, id).await?;
        Ok(new)
    }

    /// The key a plaintext belongs to, if any; records when it was last used.
    ///
    /// A key that authenticated is remembered for [`KEY_CACHE_SECS`], so a busy client
    /// does not cost a query per request: revoking or rotating a key takes effect at once
    /// on the instance that did it (its memory is cleared) and within that time on others.
    pub async fn authenticate(&self, plaintext: &str) -> Result<Option<ApiKey>> {
        let hash = hash_key(plaintext);
        if let Some(key) = self.store.key_cache.get(&hash) {
            return Ok(Some(key));
        }
        let row = sqlx::query(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(&hash)
        .fetch_optional(&self.store.pool)
        .await?;
        let Some(key) = row.as_ref().map(api_key_from).transpose()? else {
            return Ok(None);
        };
        self.store.key_cache.put(hash, key.clone());
        let now = Utc::now();
        let stale = key
            .last_used_at
            .is_none_or(|t| (now - t).num_seconds() >= LAST_USED_RESOLUTION_SECS);
        if stale {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(to_ts(now))
                .bind(key.id)
                .execute(&self.store.writer)
                .await?;
        }
        Ok(Some(key))
    }

    pub async fn list(&self, workspace_id: i64) -> Result<Vec<ApiKey>> {
        let rows = sqlx::query(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE workspace_id = $1 ORDER BY id"
        ))
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(api_key_from).collect()
    }
}
