//! Emerging themes: recurring phrases in the period's comments that no theme tagged, per
//! language (core `emerging_phrases`), with their count in the period before for a trend,
//! and up to three example comments. Bounded: the newest [`MAX_COMMENTS`] untagged
//! comments of each period are read.

use super::tagging::taxonomy_in;
use crate::{to_ts, Result, StoreError, Themes};
use advocate_core::themes::{emerging_phrases, Lang, Tagger, TaxonomyEdit};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Untagged comments read per period at most.
pub const MAX_COMMENTS: i64 = 5_000;
/// A phrase must recur in this many comments.
pub const MIN_COUNT: usize = 3;
/// Phrases per language at most.
pub const PER_LANGUAGE: usize = 20;

/// A proposed theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Emerging {
    pub language: String,
    pub phrase: String,
    /// Comments with it in the period.
    pub count: usize,
    /// Comments with it in the period of the same length just before (as many as were
    /// read: 0 when it did not recur there).
    pub previous_count: usize,
    /// Up to three comments with it: (answer id, text).
    pub examples: Vec<(i64, String)>,
}

/// The key a promoted phrase's theme gets: its letters and digits, `_` between words.
pub fn key_of(phrase: &str) -> String {
    let mut key: String = phrase
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    key = key
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        key.insert_str(0, "t_");
    }
    key.chars().take(40).collect()
}

impl Themes<'_> {
    /// Phrases that recur in `[from, to)` in comments no theme tagged, per language.
    #[tracing::instrument(name = "themes.emerging", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn emerging(
        &self,
        workspace_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Emerging>> {
        let mut conn = self.store.pool.acquire().await?;
        let tagger = Tagger::new(&taxonomy_in(&mut conn, workspace_id).await?);
        drop(conn);
        let now = self.untagged(workspace_id, from, to).await?;
        let before = self
            .untagged(workspace_id, from - (to - from), from)
            .await?;
        let mut out = Vec::new();
        for (code, comments) in &now {
            let Some(lang) = Lang::parse(code) else {
                continue;
            };
            let texts: Vec<(i64, &str)> =
                comments.iter().map(|(id, t)| (*id, t.as_str())).collect();
            let previous: HashMap<String, usize> = before
                .get(code)
                .map(|c| {
                    let texts: Vec<(i64, &str)> =
                        c.iter().map(|(id, t)| (*id, t.as_str())).collect();
                    emerging_phrases(&tagger, lang, &texts, 1, usize::MAX)
                        .into_iter()
                        .map(|p| (p.stems, p.count))
                        .collect()
                })
                .unwrap_or_default();
            let text_of: HashMap<i64, &str> = texts.iter().copied().collect();
            for p in emerging_phrases(&tagger, lang, &texts, MIN_COUNT, PER_LANGUAGE) {
                out.push(Emerging {
                    language: code.clone(),
                    previous_count: previous.get(&p.stems).copied().unwrap_or(0),
                    examples: p
                        .examples
                        .iter()
                        .map(|id| (*id, text_of.get(id).copied().unwrap_or_default().to_owned()))
                        .collect(),
                    phrase: p.phrase,
                    count: p.count,
                });
            }
        }
        Ok(out)
    }

    /// The newest untagged, analysed comments of the period, by language.
    async fn untagged(
        &self,
        workspace_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BTreeMap<String, Vec<(i64, String)>>> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT a.id, a.language, a.comment FROM answers a WHERE a.workspace_id = $1 \
             AND a.answered_at >= $2 AND a.answered_at < $3 AND a.themes_version IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM answer_themes t WHERE t.answer_id = a.id) \
             ORDER BY a.answered_at DESC LIMIT $4",
        )
        .bind(workspace_id)
        .bind(to_ts(from))
        .bind(to_ts(to))
        .bind(MAX_COMMENTS)
        .fetch_all(&self.store.pool)
        .await?;
        let mut by_lang: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        for (id, lang, comment) in rows {
            by_lang.entry(lang).or_default().push((id, comment));
        }
        Ok(by_lang)
    }

    /// Makes a phrase a theme of its own: a new theme named after it, with it as its
    /// keyword in `lang`. Returns the new version (re-tagging starts).
    pub async fn promote(
        &self,
        workspace_id: i64,
        lang: &str,
        phrase: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let phrase = phrase.trim();
        if phrase.is_empty() {
            return Err(StoreError::Invalid("phrase must not be empty".into()));
        }
        let edit = TaxonomyEdit::Add {
            key: key_of(phrase),
            names: BTreeMap::from([(lang.to_owned(), phrase.to_owned())]),
            keywords: BTreeMap::from([(lang.to_owned(), vec![phrase.to_owned()])]),
        };
        self.edit(workspace_id, &edit, actor, now).await
    }
}
