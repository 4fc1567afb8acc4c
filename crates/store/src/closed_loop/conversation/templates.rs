//! The texts agents start from when they write to a customer: the built-in one for the
//! case's score, playbook step and the customer's language (core), unless the workspace
//! changed it. Like playbooks, a row for language '' applies to every language without
//! its own. `step` 0 is the score's template; 1, 2, … one step of its playbook.

use crate::{to_ts, Result, StoreError};
use advocate_core::conversation::templates::{
    check, default_step_template, default_template, MessageTemplate,
};
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
    /// 0: the score's template; otherwise the playbook step (from 1) it is for.
    pub step: u8,
    /// '' for every language without its own.
    pub language: String,
    pub subject: String,
    pub body: String,
    pub source: TemplateSource,
}

/// Most steps a playbook template can name (playbooks are far shorter).
pub const MAX_TEMPLATE_STEP: u8 = 50;

/// A case's step as a template lookup names it: its position (from 1) and its text.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub position: u8,
    pub text: &'a str,
}

fn check_key(score: u8, step: u8, language: &str) -> Result<()> {
    if score > 10 {
        return Err(StoreError::Invalid(format!(
            "score must be 0–10; got {score}"
        )));
    }
    if step > MAX_TEMPLATE_STEP {
        return Err(StoreError::Invalid(format!(
            "step must be 0 (the score's template) or a playbook step 1–{MAX_TEMPLATE_STEP}; got {step}"
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
    step: u8,
    language: &str,
) -> Result<Option<MessageTemplate>> {
    let row = sqlx::query(
        "SELECT subject, body FROM message_templates WHERE workspace_id = $1 AND score = $2 \
         AND step = $3 AND language = $4",
    )
    .bind(workspace_id)
    .bind(i64::from(score))
    .bind(i64::from(step))
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
    /// The template for a score (and, when given, the playbook step the agent is at) in a
    /// language. For a step: the workspace's for the step in that language, else for every
    /// language, else the built-in one for such a step, if any; then, as without a step:
    /// the workspace's for the score in the language, for every language, the built-in.
    #[tracing::instrument(name = "conversations.template", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn template(
        &self,
        workspace_id: i64,
        score: u8,
        step: Option<Step<'_>>,
        language: &str,
    ) -> Result<MessageTemplate> {
        let score = score.min(10);
        let mut conn = self.store.pool.acquire().await?;
        if let Some(step) = step.filter(|s| (1..=MAX_TEMPLATE_STEP).contains(&s.position)) {
            for lang in [language, ""] {
                if let Some(t) =
                    stored_in(&mut conn, workspace_id, score, step.position, lang).await?
                {
                    return Ok(t);
                }
            }
            if let Some(t) = default_step_template(step.text, language) {
                return Ok(t);
            }
        }
        for lang in [language, ""] {
            if let Some(t) = stored_in(&mut conn, workspace_id, score, 0, lang).await? {
                return Ok(t);
            }
        }
        Ok(default_template(score, language))
    }

    /// The workspace's own templates for playbook steps in a language ('' for every
    /// language), by score and step.
    #[tracing::instrument(name = "conversations.step_templates", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn step_templates(
        &self,
        workspace_id: i64,
        language: &str,
    ) -> Result<Vec<TemplateRow>> {
        check_key(0, 0, language)?;
        let rows = sqlx::query(
            "SELECT score, step, subject, body FROM message_templates WHERE workspace_id = $1 \
             AND language = $2 AND step > 0 ORDER BY score, step",
        )
        .bind(workspace_id)
        .bind(language)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TemplateRow {
                    score: small(r.try_get("score")?),
                    step: small(r.try_get("step")?),
                    language: language.to_owned(),
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    source: TemplateSource::Workspace,
                })
            })
            .collect()
    }

    /// Every template of a language ('' for the texts every language falls back to), by
    /// score, as the settings show them.
    #[tracing::instrument(name = "conversations.templates", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn templates(&self, workspace_id: i64, language: &str) -> Result<Vec<TemplateRow>> {
        check_key(0, 0, language)?;
        let mut conn = self.store.pool.acquire().await?;
        let mut rows = Vec::with_capacity(11);
        for score in 0..=10u8 {
            let stored = stored_in(&mut conn, workspace_id, score, 0, language).await?;
            let (t, source) = match stored {
                Some(t) => (t, TemplateSource::Workspace),
                None => (
                    default_template(score, if language.is_empty() { "en" } else { language }),
                    TemplateSource::BuiltIn,
                ),
            };
            rows.push(TemplateRow {
                score,
                step: 0,
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
        step: u8,
        language: &str,
        template: &MessageTemplate,
    ) -> Result<TemplateRow> {
        check_key(score, step, language)?;
        check(template).map_err(StoreError::Invalid)?;
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO message_templates (workspace_id, score, step, language, subject, body, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (workspace_id, score, step, language) DO UPDATE SET \
             subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(workspace_id)
        .bind(i64::from(score))
        .bind(i64::from(step))
        .bind(language)
        .bind(&template.subject)
        .bind(&template.body)
        .bind(to_ts(Utc::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(TemplateRow {
            score,
            step,
            language: language.to_owned(),
            subject: template.subject.clone(),
            body: template.body.clone(),
            source: TemplateSource::Workspace,
        })
    }

    /// Goes back to the built-in template (or the workspace's every-language one) for a
    /// score, step and language; `NotFound` when the workspace had not changed it.
    #[tracing::instrument(name = "conversations.reset_template", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn reset_template(
        &self,
        workspace_id: i64,
        score: u8,
        step: u8,
        language: &str,
    ) -> Result<()> {
        check_key(score, step, language)?;
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "DELETE FROM message_templates WHERE workspace_id = $1 AND score = $2 AND step = $3 \
             AND language = $4",
        )
        .bind(workspace_id)
        .bind(i64::from(score))
        .bind(i64::from(step))
        .bind(language)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            let what = match step {
                0 => format!("score {score}"),
                n => format!("step {n} of score {score}"),
            };
            return Err(StoreError::NotFound(format!(
                "the workspace has no template of its own for {what} in {language:?}"
            )));
        }
        tx.commit().await?;
        Ok(())
    }
}

/// A stored score or step (0–10, 0–50 by the checks above).
fn small(v: i64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}
