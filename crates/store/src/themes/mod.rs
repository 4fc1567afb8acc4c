//! What customers write about, stored: each comment's themes and sentiment (written with
//! the answer, see [`tagging`]), the workspace's changes to the built-in taxonomy, the
//! background re-tagging after a change ([`retag`]), the theme report ([`report`]) and the
//! themes on the rise ([`rising`]).

pub mod emerging;
pub mod report;
pub mod retag;
pub mod rising;
pub(crate) mod tagging;

/// The sentiment of a hand-removed theme's row in `answer_themes`: the tagger's theme
/// stays off the comment, and every reader of the table skips the row.
pub const REMOVED: &str = "removed";

use crate::{to_ts, Result, StoreError, Themes};
use advocate_core::themes::{Taxonomy, TaxonomyEdit};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A workspace's effective taxonomy and the version it is at.
#[derive(Debug, Clone, Serialize)]
pub struct EffectiveTaxonomy {
    /// The id of the latest edit, 0 for the built-in taxonomy.
    pub version: i64,
    pub taxonomy: Taxonomy,
}

impl Themes<'_> {
    /// The workspace's themes: the built-in ones with its edits applied.
    #[tracing::instrument(name = "themes.taxonomy", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn taxonomy(&self, workspace_id: i64) -> Result<EffectiveTaxonomy> {
        let mut conn = self.store.pool.acquire().await?;
        let version = tagging::version_in(&mut conn, workspace_id).await?;
        let taxonomy = tagging::taxonomy_in(&mut conn, workspace_id).await?;
        Ok(EffectiveTaxonomy { version, taxonomy })
    }

    /// Records an edit after checking it against the current taxonomy (a refused edit
    /// changes nothing and says why), and starts re-tagging the workspace's comments in the
    /// background (see [`retag`]). Returns the new version.
    #[tracing::instrument(name = "themes.edit", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn edit(
        &self,
        workspace_id: i64,
        edit: &TaxonomyEdit,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        let mut taxonomy = tagging::taxonomy_in(&mut tx, workspace_id).await?;
        taxonomy
            .apply(edit)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let json = serde_json::to_string(edit)
            .map_err(|e| StoreError::Invalid(format!("theme edit: {e}")))?;
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO theme_edits (workspace_id, edit, actor, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(workspace_id)
        .bind(json)
        .bind(actor.to_owned())
        .bind(to_ts(now))
        .fetch_one(&mut *tx)
        .await?;
        retag::start_in(&mut tx, workspace_id, version, now).await?;
        tx.commit().await?;
        Ok(version)
    }
}

/// A theme an answer's comment is tagged with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerTheme {
    pub theme: String,
    pub sentiment: String,
    /// Tagged by hand (kept when the comments are tagged again).
    pub manual: bool,
}

impl Themes<'_> {
    /// The themes of one answer of the workspace, by key; none for another workspace's.
    #[tracing::instrument(name = "themes.of_answer", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn of_answer(&self, workspace_id: i64, answer_id: i64) -> Result<Vec<AnswerTheme>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT theme, sentiment, CAST(manual AS BIGINT) AS manual FROM answer_themes \
             WHERE workspace_id = $1 AND answer_id = $2 AND sentiment <> 'removed' ORDER BY theme",
        )
        .bind(workspace_id)
        .bind(answer_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(theme, sentiment, manual)| AnswerTheme {
                theme,
                sentiment,
                manual: manual != 0,
            })
            .collect())
    }
}
