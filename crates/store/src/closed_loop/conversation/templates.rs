//! The texts agents start from when they write to a customer: the built-in one for the
//! case's score and the customer's language (core), unless the workspace changed it.
//! Like playbooks, a row for language '' applies to every language without its own.

use crate::{to_ts, Result, StoreError};
use advocate_core::conversation::templates::{check, default_template, MessageTemplate};
use advocate_core::i18n::SUPPORTED;
use chrono::Utc;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// Whose text a template is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateSource {
    BuiltIn,
    Workspace,
}

/// A template as the settings show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateRow {
    pub score: u8,
    /// '' for every language without its own.
    pub language: String,
    pub subject: String,
    pub body: String,
    pub source: TemplateSource,
}

fn check_key(score: u8, language: &str) -> Result<()> {
    if score > 10 {
        return Err(StoreError::Invalid(format!(
            "score must be 0–10; got {score}"
        )));
    }
    if !language.is_empty() && !SUPPORTED.contains(&language) {
        return Err(StoreError::Invalid(format!(
            "language must be one of {} (or empty for every language); got {language:?}",
            SUPPORTED.join(", ")
        )));
    }
    Ok(())
}

async fn stored_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    score: u8,
    language: &str,
) -> Result<Option<MessageTemplate>> {
    let row = sqlx::query(
        "SELECT subject, body FROM message_templates WHERE workspace_id = $1 AND score = $2 \
         AND language = $3",
    )
    .bind(workspace_id)
    .bind(i64::from(score))
    .bind(language)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(MessageTemplate {
            subject: r.try_get("subject")?,
            body: r.try_get("body")?,
        })
    })
    .transpose()
}

impl crate::Conversations<'_> {
    /// The template for a score in a language: the workspace's for that language, else
    /// its template for every language, else the built-in one.
    #[tracing::instrument(name = "conversations.template", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn template(
        &self,
        workspace_id: i64,
        score: u8,
        language: &str,
    ) -> Result<MessageTemplate> {
        let score = score.min(10);
        let mut conn = self.store.pool.acquire().await?;
        for lang in [language, ""] {
            if let Some(t) = stored_in(&mut conn, workspace_id, score, lang).await? {
                return Ok(t);
            }
        }
        Ok(default_template(score, language))
    }

    /// Every template of a language ('' for the texts every language falls back to), by
    /// score, as the settings show them.
    #[tracing::instrument(name = "conversations.templates", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn templates(&self, workspace_id: i64, language: &str) -> Result<Vec<TemplateRow>> {
        check_key(0, language)?;
        let mut conn = self.store.pool.acquire().await?;
        let mut rows = Vec::with_capacity(11);
        for score in 0..=10u8 {
            let stored = stored_in(&mut conn, workspace_id, score, language).await?;
            let (t, source) = match stored {
                Some(t) => (t, TemplateSource::Workspace),
                None => (
                    default_template(score, if language.is_empty() { "en" } else { language }),
                    TemplateSource::BuiltIn,
                ),
            };
            rows.push(TemplateRow {
                score,
                language: language.to_owned(),
                subject: t.subject,
                body: t.body,
                source,
            });
        }
        Ok(rows)
    }

    /// Sets the workspace's template for a score and language.
    #[tracing::instrument(name = "conversations.set_template", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_template(
        &self,
        workspace_id: i64,
        score: u8,
        language: &str,
        template: &MessageTemplate,
    ) -> Result<TemplateRow> {
        check_key(score, language)?;
        check(template).map_err(StoreError::Invalid)?;
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO message_templates (workspace_id, score, language, subject, body, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, score, language) \
             DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(workspace_id)
        .bind(i64::from(score))
        .bind(language)
        .bind(&template.subject)
        .bind(&template.body)
        .bind(to_ts(Utc::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(TemplateRow {
            score,
            language: language.to_owned(),
            subject: template.subject.clone(),
            body: template.body.clone(),
            source: TemplateSource::Workspace,
        })
    }

    /// Goes back to the built-in template (or the workspace's every-language one) for a
    /// score and language; `NotFound` when the workspace had not changed it.
    #[tracing::instrument(name = "conversations.reset_template", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn reset_template(&self, workspace_id: i64, score: u8, language: &str) -> Result<()> {
        check_key(score, language)?;
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "DELETE FROM message_templates WHERE workspace_id = $1 AND score = $2 AND language = $3",
        )
        .bind(workspace_id)
        .bind(i64::from(score))
        .bind(language)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "the workspace has no template of its own for score {score} in {language:?}"
            )));
        }
        tx.commit().await?;
        Ok(())
    }
}
