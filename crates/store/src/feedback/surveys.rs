//! Surveys: what is asked, of whom, at which touchpoint.

use crate::models::{NewSurvey, Survey, SurveyChange};
use crate::Surveys;
use crate::{from_ts, random_token, to_ts, Result, StoreError};
use advocate_core::{Language, SurveyKind, SurveyStatus};
use chrono::Utc;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Most surveys kept in the slug cache.
const SURVEY_CACHE_MAX: usize = 10_000;
/// How long the slug cache serves a survey before reading it again: how long another
/// instance may take answers for a survey paused elsewhere.
const SURVEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

const COLUMNS: &str =
    "id, workspace_id, slug, public_id, kind, name, touchpoint, default_language, texts, status, created_at";

/// A survey of this workspace, read inside the caller's transaction.
pub(crate) async fn survey_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    id: i64,
) -> Result<Survey> {
    let sql = format!("SELECT {COLUMNS} FROM surveys WHERE workspace_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no survey with id {id}")))?;
    survey_from(&row)
}

fn survey_from(row: &AnyRow) -> Result<Survey> {
    let corrupt = |what: &str| StoreError::Invalid(format!("stored survey has a bad {what}"));
    Ok(Survey {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        slug: row.try_get("slug")?,
        public_id: row.try_get("public_id")?,
        kind: SurveyKind::parse(&row.try_get::<String, _>("kind")?).map_err(|_| corrupt("kind"))?,
        name: row.try_get("name")?,
        touchpoint: row.try_get("touchpoint")?,
        default_language: Language::new(&row.try_get::<String, _>("default_language")?)
            .map_err(|_| corrupt("language"))?,
        texts: serde_json::from_str(&row.try_get::<String, _>("texts")?)
            .map_err(|_| corrupt("texts"))?,
        status: SurveyStatus::parse(&row.try_get::<String, _>("status")?)
            .map_err(|_| corrupt("status"))?,
        created_at: from_ts(row.try_get("created_at")?),
    })
}

impl Surveys<'_> {
    #[tracing::instrument(name = "surveys.create", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create(&self, workspace_id: i64, new: &NewSurvey) -> Result<Survey> {
        let texts = serde_json::to_string(&new.texts).expect("texts serialise");
        let row = sqlx::query(&format!(
            "INSERT INTO surveys (workspace_id, slug, public_id, kind, name, touchpoint, \
             default_language, texts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {COLUMNS}"
        ))
        .bind(workspace_id)
        .bind(new.slug.as_str())
        .bind(random_token(16))
        .bind(new.kind.as_str())
        .bind(&new.name)
        .bind(new.touchpoint.as_ref().map(|t| t.as_str().to_owned()))
        .bind(new.default_language.as_str())
        .bind(texts)
        .bind(to_ts(Utc::now()))
        .fetch_one(&self.store.writer)
        .await
        .map_err(|e| match StoreError::is_unique_violation(&e) {
            true => StoreError::Conflict(format!(
                "a survey with slug {:?} already exists",
                new.slug.as_str()
            )),
            false => e.into(),
        })?;
        survey_from(&row)
    }

    #[tracing::instrument(name = "surveys.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64) -> Result<Vec<Survey>> {
        let sql = format!("SELECT {COLUMNS} FROM surveys WHERE workspace_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(workspace_id)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(survey_from).collect()
    }

    /// Changes the fields `change` names, nothing else, and returns the survey as it is
    /// now. A new kind is refused (`Conflict`) once the survey has answers.
    #[tracing::instrument(name = "surveys.update", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn update(
        &self,
        workspace_id: i64,
        id: i64,
        change: &SurveyChange,
    ) -> Result<Survey> {
        let mut tx = self.store.begin_write().await?;
        let mut survey = survey_in(&mut tx, workspace_id, id).await?;
        if change.kind.is_some_and(|k| k != survey.kind) {
            // One seek in the report rollup's key instead of a scan of the answers.
            let answered: Option<i64> = sqlx::query_scalar(
                "SELECT survey_id FROM report_rollup WHERE workspace_id = $1 AND dimension = '' \
                 AND grain = 'm' AND survey_id = $2 AND n > 0 LIMIT 1",
            )
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if answered.is_some() {
                return Err(StoreError::Conflict(
                    "kind cannot change: the survey has answers on its current scale".into(),
                ));
            }
        }
        survey.apply(change);
        sqlx::query(
            "UPDATE surveys SET name = $1, kind = $2, touchpoint = $3, default_language = $4, \
             texts = $5, status = $6 WHERE workspace_id = $7 AND id = $8",
        )
        .bind(&survey.name)
        .bind(survey.kind.as_str())
        .bind(survey.touchpoint.clone())
        .bind(survey.default_language.as_str())
        .bind(serde_json::to_string(&survey.texts).expect("texts serialise"))
        .bind(survey.status.as_str())
        .bind(workspace_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // The slug cache would otherwise keep serving the survey as it was.
        self.store
            .survey_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (_, cached)| cached.id != id);
        Ok(survey)
    }

    /// How many answers each survey of the workspace holds, by survey id (surveys without
    /// answers are left out). Read from the monthly report rollup: a few rows per survey.
    #[tracing::instrument(name = "surveys.answer_counts", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn answer_counts(&self, workspace_id: i64) -> Result<HashMap<i64, i64>> {
        let rows = sqlx::query(
            "SELECT survey_id, CAST(SUM(n) AS BIGINT) AS n FROM report_rollup \
             WHERE workspace_id = $1 AND dimension = '' AND grain = 'm' GROUP BY survey_id",
        )
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("survey_id")?, r.try_get("n")?)))
            .collect()
    }

    /// The survey with this slug. Surveys rarely change, so lookups for a few seconds
    /// after the first are served from memory; [`Self::update`] clears the survey from this
    /// instance's cache, and another instance reads it again within [`SURVEY_CACHE_TTL`].
    #[tracing::instrument(name = "surveys.by_slug", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn by_slug(&self, workspace_id: i64, slug: &str) -> Result<Option<Survey>> {
        let key = (workspace_id, slug.to_owned());
        if let Some((read, found)) = self
            .store
            .survey_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            if read.elapsed() < SURVEY_CACHE_TTL {
                return Ok(Some(found.clone()));
            }
        }
        let sql = format!("SELECT {COLUMNS} FROM surveys WHERE workspace_id = $1 AND slug = $2");
        let row = sqlx::query(&sql)
            .bind(workspace_id)
            .bind(slug)
            .fetch_optional(&self.store.pool)
            .await?;
        let survey = row.as_ref().map(survey_from).transpose()?;
        if let Some(s) = &survey {
            let mut cache = self
                .store
                .survey_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            // Bounded: an installation with more surveys than this just reads more often.
            if cache.len() >= SURVEY_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, (std::time::Instant::now(), s.clone()));
        }
        Ok(survey)
    }

    /// The survey behind a public link; the public id is global, not per workspace.
    #[tracing::instrument(name = "surveys.by_public_id", level = "debug", skip_all)]
    pub async fn by_public_id(&self, public_id: &str) -> Result<Option<Survey>> {
        let sql = format!("SELECT {COLUMNS} FROM surveys WHERE public_id = $1");
        let row = sqlx::query(&sql)
            .bind(public_id)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(survey_from).transpose()
    }

    #[tracing::instrument(name = "surveys.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64, id: i64) -> Result<Option<Survey>> {
        let sql = format!("SELECT {COLUMNS} FROM surveys WHERE workspace_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(survey_from).transpose()
    }
}
