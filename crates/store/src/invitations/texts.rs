//! A workspace's own wording of invitations, per language.

use super::dispatch;
use crate::Invitations;
use crate::{to_ts, Result, StoreError};
use advocate_core::Language;
use chrono::Utc;

impl Invitations<'_> {
    /// The workspace's own wording of invitations in a language (fields left out keep the
    /// built-in text).
    #[tracing::instrument(name = "invitations.text_overrides", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn text_overrides(
        &self,
        workspace_id: i64,
        language: &Language,
    ) -> Result<advocate_core::invitation::InvitationTextOverrides> {
        let mut conn = self.store.pool.acquire().await?;
        dispatch::invitation_text_overrides_in(&mut conn, workspace_id, language).await
    }

    /// Replaces the workspace's invitation wording for a language; empty overrides go
    /// back to the built-in texts.
    #[tracing::instrument(name = "invitations.set_texts", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_texts(
        &self,
        workspace_id: i64,
        language: &Language,
        overrides: &advocate_core::invitation::InvitationTextOverrides,
    ) -> Result<()> {
        if !advocate_core::i18n::is_supported(language) {
            return Err(StoreError::Invalid(format!(
                "language must be one of {}; got {language}",
                advocate_core::i18n::SUPPORTED.join(", ")
            )));
        }
        overrides
            .check()
            .map_err(|e| StoreError::Invalid(e.into_message()))?;
        let json = serde_json::to_value(overrides).expect("texts serialise");
        if json
            .as_object()
            .is_some_and(|o| o.values().any(|v| !v.is_null()))
        {
            sqlx::query(
                "INSERT INTO invitation_texts (workspace_id, language, texts, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, language) \
                 DO UPDATE SET texts = excluded.texts, updated_at = excluded.updated_at",
            )
            .bind(workspace_id)
            .bind(language.as_str())
            .bind(json.to_string())
            .bind(to_ts(Utc::now()))
            .execute(&self.store.writer)
            .await?;
        } else {
            sqlx::query("DELETE FROM invitation_texts WHERE workspace_id = $1 AND language = $2")
                .bind(workspace_id)
                .bind(language.as_str())
                .execute(&self.store.writer)
                .await?;
        }
        Ok(())
    }
}
