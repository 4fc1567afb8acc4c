//! API keys: created with their plaintext shown once, stored hashed, checked on every
//! request (with a short cache), revoked and rotated.

use crate::models::{ApiKey, KeyOwner};
use crate::ApiKeys;
use crate::{from_ts, random_token, to_ts, Result, StoreError};
use advocate_core::access::{format_scopes, parse_scopes};
use advocate_core::Scope;
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
        owner: match row.try_get::<Option<i64>, _>("user_id")? {
            None => None,
            Some(user_id) => Some(KeyOwner {
                user_id,
                email: row.try_get("owner_email")?,
                role: row
                    .try_get::<Option<String>, _>("owner_role")?
                    .map(|r| advocate_core::Role::parse(&r))
                    .transpose()
                    .map_err(|e| StoreError::Invalid(format!("stored membership: {e}")))?,
            }),
        },
    })
}

fn hash_key(plaintext: &str) -> String {
    // API keys carry 190 bits of randomness, so a fast hash is enough: no dictionary
    // attack applies, and checking a key stays cheap on every request.
    format!("{:x}", Sha256::digest(plaintext.as_bytes()))
}

/// A key with its owner's address and current role (for a personal key).
const SELECT_KEY: &str = "SELECT k.id, k.workspace_id, k.name, k.prefix, k.scopes, \
     k.created_at, k.last_used_at, k.revoked_at, k.user_id, u.email AS owner_email, \
     m.role AS owner_role FROM api_keys k LEFT JOIN users u ON u.id = k.user_id \
     LEFT JOIN memberships m ON m.user_id = k.user_id AND m.workspace_id = k.workspace_id";

impl ApiKeys<'_> {
    /// Creates an API key and returns it with its plaintext, which is never stored and
    /// cannot be shown again.
    /// A key with every scope (what `advocate apikey create` makes).
    #[tracing::instrument(name = "api_keys.create", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create(&self, workspace_id: i64, name: &str) -> Result<(ApiKey, String)> {
        self.create_scoped(workspace_id, name, &Scope::ALL).await
    }

    /// Creates an API key with these scopes and returns it with its plaintext, which is
    /// never stored and cannot be shown again.
    #[tracing::instrument(name = "api_keys.create_scoped", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create_scoped(
        &self,
        workspace_id: i64,
        name: &str,
        scopes: &[Scope],
    ) -> Result<(ApiKey, String)> {
        self.insert(workspace_id, None, name, scopes).await
    }

    /// Creates a personal key for a member of the workspace: it speaks for them and can do
    /// no more than their role allows, whatever its scopes.
    #[tracing::instrument(name = "api_keys.create_personal", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create_personal(
        &self,
        workspace_id: i64,
        user_id: i64,
        name: &str,
        scopes: &[Scope],
    ) -> Result<(ApiKey, String)> {
        self.insert(workspace_id, Some(user_id), name, scopes).await
    }

    async fn insert(
        &self,
        workspace_id: i64,
        user_id: Option<i64>,
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
        let mut tx = self.store.begin_write().await?;
        if let Some(user_id) = user_id {
            let member: Option<(i64,)> = sqlx::query_as(
                "SELECT user_id FROM memberships WHERE user_id = $1 AND workspace_id = $2",
            )
            .bind(user_id)
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
            if member.is_none() {
                return Err(StoreError::NotFound(format!(
                    "no member with user id {user_id}"
                )));
            }
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_keys (workspace_id, user_id, name, prefix, key_hash, scopes, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(workspace_id)
        .bind(user_id)
        .bind(name)
        .bind(&prefix)
        .bind(hash_key(&plaintext))
        .bind(format_scopes(&scopes))
        .bind(to_ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let row = sqlx::query(&format!("{SELECT_KEY} WHERE k.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((api_key_from(&row)?, plaintext))
    }

    /// A new key with every scope named `name`, replacing every earlier key of that name in
    /// the workspace (they are deleted, so they stop working at once and the team page
    /// shows one key): for a key a command makes afresh on each start.
    #[tracing::instrument(name = "api_keys.replace", level = "debug", skip_all, fields(workspace = workspace_id))]
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
    #[tracing::instrument(name = "api_keys.revoke", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn revoke(&self, workspace_id: i64, id: i64) -> Result<ApiKey> {
        self.revoke_of(workspace_id, None, id).await
    }

    /// Revokes a key of the workspace; with `owner`, only that person's own key (another
    /// key is "not found").
    async fn revoke_of(&self, workspace_id: i64, owner: Option<i64>, id: i64) -> Result<ApiKey> {
        self.store.key_cache.clear();
        let mut tx = self.store.begin_write().await?;
        let mine = if owner.is_some() {
            " AND user_id = $4"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE id = $2 AND workspace_id = $3{mine}"
        );
        let mut update = sqlx::query(&sql)
            .bind(to_ts(Utc::now()))
            .bind(id)
            .bind(workspace_id);
        if let Some(user_id) = owner {
            update = update.bind(user_id);
        }
        let revoked = update.execute(&mut *tx).await?.rows_affected();
        if revoked == 0 {
            return Err(StoreError::NotFound(format!("no API key with id {id}")));
        }
        let row = sqlx::query(&format!("{SELECT_KEY} WHERE k.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        api_key_from(&row)
    }

    /// Replaces a live key with a new one of the same name and scopes; the old one is
    /// revoked in the same step.
    #[tracing::instrument(name = "api_keys.rotate", level = "debug", skip_all, fields(workspace = workspace_id))]
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
        let owner = old.owner.as_ref().map(|o| o.user_id);
        let new = self
            .insert(workspace_id, owner, &old.name, &old.scopes)
            .await?;
        self.revoke(workspace_id, id).await?;
        Ok(new)
    }

    /// The key a plaintext belongs to, if any; records when it was last used.
    ///
    /// A key that authenticated is remembered for [`KEY_CACHE_SECS`], so a busy client
    /// does not cost a query per request: revoking or rotating a key takes effect at once
    /// on the instance that did it (its memory is cleared) and within that time on others.
    #[tracing::instrument(name = "api_keys.authenticate", level = "debug", skip_all)]
    pub async fn authenticate(&self, plaintext: &str) -> Result<Option<ApiKey>> {
        let hash = hash_key(plaintext);
        if let Some(key) = self.store.key_cache.get(&hash) {
            return Ok(Some(key));
        }
        let row = sqlx::query(&format!(
            "{SELECT_KEY} WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
        ))
        .bind(&hash)
        .fetch_optional(&self.store.pool)
        .await?;
        let Some(key) = row.as_ref().map(api_key_from).transpose()? else {
            return Ok(None);
        };
        // A personal key stops with its owner's membership.
        if key.owner.as_ref().is_some_and(|o| o.role.is_none()) {
            return Ok(None);
        }
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

    #[tracing::instrument(name = "api_keys.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64) -> Result<Vec<ApiKey>> {
        let rows = sqlx::query(&format!(
            "{SELECT_KEY} WHERE k.workspace_id = $1 ORDER BY k.id"
        ))
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(api_key_from).collect()
    }

    /// One person's personal keys in a workspace, revoked ones too.
    #[tracing::instrument(name = "api_keys.list_personal", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list_personal(&self, workspace_id: i64, user_id: i64) -> Result<Vec<ApiKey>> {
        let rows = sqlx::query(&format!(
            "{SELECT_KEY} WHERE k.workspace_id = $1 AND k.user_id = $2 ORDER BY k.id"
        ))
        .bind(workspace_id)
        .bind(user_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(api_key_from).collect()
    }

    /// Revokes one of a person's own keys; another person's key is "not found".
    #[tracing::instrument(name = "api_keys.revoke_personal", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn revoke_personal(
        &self,
        workspace_id: i64,
        user_id: i64,
        id: i64,
    ) -> Result<ApiKey> {
        self.revoke_of(workspace_id, Some(user_id), id).await
    }
}
