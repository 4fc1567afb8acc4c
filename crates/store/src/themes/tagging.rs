//! Tagging comments with their workspace's themes, inside the transaction that writes them.
//!
//! A workspace's taxonomy is the built-in one plus its `theme_edits`; its *version* is the
//! id of its latest edit (0: none). Building a [`Tagger`] takes milliseconds, so each is
//! built once per version and kept in [`Taggers`], shared by every handle of a store;
//! checking the version is one indexed read per workspace per transaction, so an edit made
//! by any instance is seen by the next group written anywhere.

use crate::many_rows::{Placeholders, MAX_VALUES};
use crate::{Backend, Result, StoreError};
use advocate_core::themes::{Lang, Tagger, Taxonomy, TaxonomyEdit};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The taggers built so far, by workspace, with the version each was built for.
#[derive(Default)]
pub(crate) struct Taggers {
    by_workspace: Mutex<HashMap<i64, (i64, Arc<Tagger>)>>,
}

impl std::fmt::Debug for Taggers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Taggers").finish_non_exhaustive()
    }
}

/// The taggers one transaction uses, by workspace: (version, tagger).
#[derive(Default)]
pub(crate) struct InUse(pub(crate) HashMap<i64, (i64, Arc<Tagger>)>);

impl std::fmt::Debug for InUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// The built-in taxonomy's tagger, shared by every workspace that has not edited it.
fn builtin() -> Arc<Tagger> {
    static BUILTIN: OnceLock<Arc<Tagger>> = OnceLock::new();
    BUILTIN
        .get_or_init(|| Arc::new(Tagger::new(&Taxonomy::builtin())))
        .clone()
}

/// The workspace's taxonomy version: its latest edit's id, 0 for none.
pub(crate) async fn version_in(conn: &mut AnyConnection, workspace_id: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM theme_edits WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// The workspace's edits, in order.
pub(crate) async fn edits_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
) -> Result<Vec<TaxonomyEdit>> {
    let raw: Vec<String> =
        sqlx::query_scalar("SELECT edit FROM theme_edits WHERE workspace_id = $1 ORDER BY id")
            .bind(workspace_id)
            .fetch_all(&mut *conn)
            .await?;
    raw.iter()
        .map(|e| {
            serde_json::from_str(e)
                .map_err(|e| StoreError::Invalid(format!("a stored theme edit is unreadable: {e}")))
        })
        .collect()
}

/// The workspace's taxonomy as its edits make it.
pub(crate) async fn taxonomy_in(conn: &mut AnyConnection, workspace_id: i64) -> Result<Taxonomy> {
    let edits = edits_in(conn, workspace_id).await?;
    Taxonomy::builtin()
        .with_edits(&edits)
        .map_err(|e| StoreError::Invalid(format!("the stored theme edits do not apply: {e}")))
}

impl Taggers {
    /// The workspace's current tagger and its version.
    pub(crate) async fn get(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
    ) -> Result<(i64, Arc<Tagger>)> {
        let version = version_in(conn, workspace_id).await?;
        if version == 0 {
            return Ok((0, builtin()));
        }
        if let Some((v, t)) = self.lock().get(&workspace_id) {
            if *v == version {
                return Ok((version, t.clone()));
            }
        }
        let tagger = Arc::new(Tagger::new(&taxonomy_in(conn, workspace_id).await?));
        self.lock().insert(workspace_id, (version, tagger.clone()));
        Ok((version, tagger))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (i64, Arc<Tagger>)>> {
        self.by_workspace.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the tagger found in one comment: its sentiment and its themes with theirs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tags {
    pub(crate) sentiment: Option<&'static str>,
    pub(crate) version: Option<i64>,
    pub(crate) themes: Vec<(String, &'static str)>,
}

/// Analyses a comment in `language` (a code); nothing for no comment or a language the
/// tagger does not read.
pub(crate) fn tags_of(
    tagger: &Tagger,
    version: i64,
    language: Option<&str>,
    comment: Option<&str>,
) -> Tags {
    let (Some(lang), Some(text)) = (language.and_then(Lang::parse), comment) else {
        return Tags::default();
    };
    if text.trim().is_empty() {
        return Tags::default();
    }
    let analysis = tagger.analyse(lang, text);
    Tags {
        sentiment: Some(analysis.sentiment.as_str()),
        version: Some(version),
        themes: analysis
            .themes()
            .into_iter()
            .map(|t| (tagger.key(t.theme).to_owned(), t.sentiment.as_str()))
            .collect(),
    }
}

/// Writes the theme rows of tagged answers (`(answer id, workspace id, tags)`), many per
/// statement. A theme already tagged by hand on the answer is left as it is.
pub(crate) async fn write_themes_in(
    conn: &mut AnyConnection,
    tagged: &[(i64, i64, &Tags)],
) -> Result<()> {
    let rows: Vec<(i64, i64, &str, &str)> = tagged
        .iter()
        .flat_map(|(id, ws, tags)| {
            tags.themes
                .iter()
                .map(move |(key, s)| (*id, *ws, key.as_str(), *s))
        })
        .collect();
    let backend = Backend::of_connection(conn);
    for chunk in rows.chunks(MAX_VALUES / 4) {
        let values = Placeholders::new(backend).rows(chunk.len(), 4);
        let sql = format!(
            "INSERT INTO answer_themes (answer_id, workspace_id, theme, sentiment) \
             VALUES {values} ON CONFLICT (answer_id, theme) DO NOTHING"
        );
        let mut query = sqlx::query(&sql);
        for (id, ws, key, s) in chunk {
            query = query
                .bind(*id)
                .bind(*ws)
                .bind((*key).to_owned())
                .bind((*s).to_owned());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Tags one stored answer again (its comment changed, or the taxonomy did): its automatic
/// theme rows replaced, hand-made ones kept, its sentiment and version set.
pub(crate) async fn retag_answer_in(
    conn: &mut AnyConnection,
    answer_id: i64,
    workspace_id: i64,
    tags: &Tags,
) -> Result<()> {
    sqlx::query("DELETE FROM answer_themes WHERE answer_id = $1 AND manual = 0")
        .bind(answer_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE answers SET sentiment = $1, themes_version = $2 WHERE id = $3")
        .bind(tags.sentiment.map(str::to_owned))
        .bind(tags.version)
        .bind(answer_id)
        .execute(&mut *conn)
        .await?;
    write_themes_in(conn, &[(answer_id, workspace_id, tags)]).await
}
