//! Workspaces and installation settings (the signing key among them).

use crate::models::Workspace;
use crate::Workspaces;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::Language;
use chrono::Utc;
use sqlx::any::AnyRow;
use sqlx::Row;

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

const WORKSPACE_COLUMNS: &str = "id, slug, name, default_language, created_at";

impl Workspaces<'_> {
    #[tracing::instrument(name = "workspaces.create", level = "debug", skip_all)]
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
    #[tracing::instrument(name = "workspaces.rename", level = "debug", skip_all)]
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

    #[tracing::instrument(name = "workspaces.get", level = "debug", skip_all)]
    pub async fn get(&self, id: i64) -> Result<Option<Workspace>> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(workspace_from).transpose()
    }

    #[tracing::instrument(name = "workspaces.by_slug", level = "debug", skip_all)]
    pub async fn by_slug(&self, slug: &str) -> Result<Option<Workspace>> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(workspace_from).transpose()
    }

    #[tracing::instrument(name = "workspaces.list", level = "debug", skip_all)]
    pub async fn list(&self) -> Result<Vec<Workspace>> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.store.pool).await?;
        rows.iter().map(workspace_from).collect()
    }

    /// The installation setting `key`, created with `make()` the first time it is asked for.
    /// Concurrent first calls agree on one value.
    #[tracing::instrument(name = "workspaces.setting_or_insert", level = "debug", skip_all)]
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
    #[tracing::instrument(name = "workspaces.signing_key", level = "debug", skip_all)]
    pub async fn signing_key(&self) -> Result<Vec<u8>> {
        Ok(self.store.reaction_context().await?.signing_key.to_vec())
    }
}
