//! The comment explorer: a page of comments by filters and a full-text search (FTS5 on
//! SQLite, `tsvector` in the comment's language on PostgreSQL; migration 0020), with the
//! matched words marked, and tagging a comment with a theme by hand.
//!
//! Hand tags are `answer_themes` rows with `manual = 1`: a theme added by hand carries the
//! comment's sentiment (neutral when it has none); a theme removed by hand stays as a row
//! with the sentiment `removed`, so re-tagging never puts it back and every reader of
//! `answer_themes` must skip it ([`REMOVED`]).

use crate::insight::kpis::Sql;
use crate::insight::timeline::owned_by;
use crate::{from_ts, to_ts, Backend, Comments, Result, StoreError};
use advocate_core::comments::{runs, CommentQuery, HasCase, Run, MARK_END, MARK_START};
use advocate_core::themes::Taxonomy;
use advocate_core::{Category, Score, SurveyKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

pub use crate::themes::REMOVED;

/// One comment of the explorer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentRow {
    pub answer_id: i64,
    /// For eNPS, the first day of the month only (see `month_only`).
    pub answered_at: DateTime<Utc>,
    /// eNPS is anonymous: only the month is shown, and nothing that names the writer.
    pub month_only: bool,
    pub survey: String,
    pub survey_name: String,
    pub survey_kind: SurveyKind,
    pub score: u8,
    pub category: Option<Category>,
    /// The comment, with the searched words marked.
    pub comment: Vec<Run>,
    pub channel: Option<String>,
    pub touchpoint: Option<String>,
    pub language: Option<String>,
    pub sentiment: Option<String>,
    /// Theme keys, hand-removed ones left out.
    pub themes: Vec<String>,
    pub customer_external_id: Option<String>,
    pub customer_name: Option<String>,
    pub case_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentsPage {
    /// Comments matching, over all pages.
    pub total: u64,
    pub rows: Vec<CommentRow>,
    /// eNPS comments left out because fewer than the workspace's minimum group size
    /// match (showing them would point at their writers); 0 when none.
    pub enps_withheld: u64,
}

/// Who is looking and how much they may see.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    /// An agent's e-mail (lower-cased inside): only comments of their own customers.
    pub owner: Option<&'a str>,
}

/// Adds `q`'s filters (without the search) to `sql`; `a`, `s`, `c` are answers, surveys
/// and customers.
fn filters(sql: &mut Sql, backend: Backend, workspace_id: i64, q: &CommentQuery) -> String {
    let ws = sql.i(workspace_id);
    let mut w = format!(
        "a.workspace_id = {ws} AND s.workspace_id = {ws} \
         AND a.comment IS NOT NULL AND a.comment <> ''"
    );
    let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    if let Some(f) = q.from {
        w += &format!(" AND a.answered_at >= {}", sql.i(to_ts(midnight(f))));
    }
    if let Some(t) = q.to.and_then(|t| t.succ_opt()) {
        w += &format!(" AND a.answered_at < {}", sql.i(to_ts(midnight(t))));
    }
    if let Some(s) = &q.survey {
        w += &format!(" AND s.slug = {}", sql.s(s));
    }
    if let Some(k) = q.kind {
        w += &format!(" AND s.kind = {}", sql.s(k.as_str()));
    }
    if let Some(s) = q.score {
        w += &format!(" AND a.score = {}", sql.i(i64::from(s)));
    }
    if let Some(c) = q.category {
        let range = match c {
            Category::Promoter => "a.score >= 9",
            Category::Passive => "a.score IN (7, 8)",
            Category::Detractor => "a.score <= 6",
        };
        w += &format!(" AND s.kind IN ('nps', 'enps') AND {range}");
    }
    if let Some(t) = &q.theme {
        w += &format!(
            " AND EXISTS (SELECT 1 FROM answer_themes t WHERE t.answer_id = a.id \
             AND t.workspace_id = a.workspace_id AND t.theme = {} AND t.sentiment <> '{REMOVED}')",
            sql.s(t)
        );
    }
    if let Some(s) = q.sentiment {
        w += &format!(" AND a.sentiment = {}", sql.s(s.as_str()));
    }
    if let Some((attr, value)) = &q.segment {
        let expr = match backend {
            // Labels never contain '"', so quoting the key keeps '.' from nesting the path.
            Backend::Sqlite => format!(
                "json_extract(a.attributes, {})",
                sql.s(&format!("$.\"{attr}\""))
            ),
            Backend::Postgres => format!("(CAST(a.attributes AS jsonb) ->> {})", sql.s(attr)),
        };
        w += &format!(" AND {expr} = {}", sql.s(value));
    }
    for (col, v) in [
        ("touchpoint", &q.touchpoint),
        ("channel", &q.channel),
        ("language", &q.language),
    ] {
        if let Some(v) = v {
            w += &format!(" AND a.{col} = {}", sql.s(v));
        }
    }
    match q.has_case {
        Some(HasCase::Yes) => w += " AND EXISTS (SELECT 1 FROM cases k WHERE k.answer_id = a.id)",
        Some(HasCase::No) => {
            w += " AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.answer_id = a.id)"
        }
        None => {}
    }
    w
}

fn nothing_to_search(search: &str) -> StoreError {
    StoreError::Invalid(format!(
        "q: nothing to search for in {search:?}; give at least one word that must occur"
    ))
}

/// `FROM …` and the search condition; the highlighted comment's expression.
fn search_parts(
    sql: &mut Sql,
    backend: Backend,
    q: &CommentQuery,
) -> Result<(String, String, String)> {
    let joins =
        "JOIN surveys s ON s.id = a.survey_id LEFT JOIN customers c ON c.id = a.customer_id";
    let Some(search) = &q.search else {
        return Ok((
            format!("FROM answers a {joins}"),
            String::new(),
            "a.comment".into(),
        ));
    };
    match backend {
        Backend::Sqlite => {
            let Some(fts) = advocate_core::comments::fts5_query(search) else {
                return Err(nothing_to_search(search));
            };
            let m = sql.s(&fts);
            Ok((
                format!(
                    "FROM comment_search JOIN answers a ON a.id = comment_search.rowid {joins}"
                ),
                format!(" AND comment_search MATCH {m}"),
                format!("highlight(comment_search, 0, '{MARK_START}', '{MARK_END}')"),
            ))
        }
        Backend::Postgres => {
            // With a language filter the configuration is one constant, and the GIN index
            // answers the search; otherwise each comment is searched in its own language.
            let config = match &q.language {
                Some(l) => format!("advocate_ts_config({})", sql.s(l)),
                None => "advocate_ts_config(a.language)".to_owned(),
            };
            let Some(query) = advocate_core::comments::tsquery(search) else {
                return Err(nothing_to_search(search));
            };
            let text = sql.s(&query);
            let tsq = format!("to_tsquery({config}, {text})");
            let opts = sql.s(&format!(
                "StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
            ));
            Ok((
                format!("FROM answers a {joins}"),
                format!(" AND a.comment_search @@ {tsq}"),
                format!("ts_headline({config}, a.comment, {tsq}, {opts})"),
            ))
        }
    }
}

impl Comments<'_> {
    /// A page of comments matching `q`, newest first; `limit` is capped at
    /// [`advocate_core::comments::COMMENTS_PAGE_MAX`].
    #[tracing::instrument(name = "comments.page", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn page(
        &self,
        workspace_id: i64,
        q: &CommentQuery,
        viewer: Viewer<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<CommentsPage> {
        let backend = self.store.backend;
        let build = |extra: &str| -> Result<(Sql, String, String)> {
            let mut sql = Sql::new();
            let (from, search, shown) = search_parts(&mut sql, backend, q)?;
            let mut w = filters(&mut sql, backend, workspace_id, q);
            w.push_str(&search);
            if let Some(o) = viewer.owner {
                let email = sql.s(&o.trim().to_lowercase());
                w += &format!(" AND c.id IS NOT NULL AND {}", owned_by(&email));
            }
            w.push_str(extra);
            Ok((sql, format!("{from} WHERE {w}"), shown))
        };
        // eNPS comments are shown only when at least the minimum group size of them match.
        let min = self
            .store
            .settings()
            .get(workspace_id)
            .await?
            .enps_min_group_size;
        let (mut sql, body, _) = build(" AND s.kind = 'enps'")?;
        sql.push(&format!("SELECT COUNT(*) AS n {body}"));
        let enps = count(sql, &self.store.pool).await?;
        let withheld = if enps > 0 && enps < u64::from(min) {
            enps
        } else {
            0
        };
        let extra = if withheld > 0 {
            " AND s.kind <> 'enps'"
        } else {
            ""
        };
        let (mut sql, body, _) = build(extra)?;
        sql.push(&format!("SELECT COUNT(*) AS n {body}"));
        let total = count(sql, &self.store.pool).await?;
        let (mut sql, body, shown) = build(extra)?;
        let limit = sql.i(i64::from(
            limit.clamp(1, advocate_core::comments::COMMENTS_PAGE_MAX),
        ));
        let offset = sql.i(i64::from(offset));
        sql.push(&format!(
            "SELECT a.id, a.answered_at, s.slug, s.name, s.kind, a.score, {shown} AS shown, \
             a.channel, a.touchpoint, a.language, a.sentiment, \
             c.external_id AS customer_external_id, c.name AS customer_name, \
             (SELECT MIN(k.id) FROM cases k WHERE k.answer_id = a.id) AS case_id \
             {body} ORDER BY a.answered_at DESC, a.id DESC LIMIT {limit} OFFSET {offset}"
        ));
        let rows = sql.fetch(&self.store.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let kind = SurveyKind::parse(&r.try_get::<String, _>("kind")?)
                .map_err(|_| StoreError::Invalid("stored survey kind is not valid".into()))?;
            let score = u8::try_from(r.try_get::<i64, _>("score")?).unwrap_or(0);
            let at = from_ts(r.try_get("answered_at")?);
            let enps = kind == SurveyKind::Enps;
            let named = |v: Option<String>| v.filter(|_| !enps);
            out.push(CommentRow {
                answer_id: r.try_get("id")?,
                answered_at: match enps {
                    true => first_of_month(at),
                    false => at,
                },
                month_only: enps,
                survey: r.try_get("slug")?,
                survey_name: r.try_get("name")?,
                survey_kind: kind,
                score,
                category: match kind {
                    SurveyKind::Csat => None,
                    _ => Score::new(i64::from(score)).ok().map(|s| s.category()),
                },
                comment: runs(&r.try_get::<String, _>("shown")?),
                channel: named(r.try_get("channel")?),
                touchpoint: r.try_get("touchpoint")?,
                language: named(r.try_get("language")?),
                sentiment: r.try_get("sentiment")?,
                themes: Vec::new(),
                customer_external_id: named(r.try_get("customer_external_id")?),
                customer_name: named(r.try_get("customer_name")?),
                case_id: r.try_get::<Option<i64>, _>("case_id")?.filter(|_| !enps),
            });
        }
        self.attach_themes(workspace_id, &mut out).await?;
        Ok(CommentsPage {
            total,
            rows: out,
            enps_withheld: withheld,
        })
    }

    /// Fills in each row's themes (one query for the page).
    async fn attach_themes(&self, workspace_id: i64, rows: &mut [CommentRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new();
        let ws = sql.i(workspace_id);
        let ids: Vec<String> = rows.iter().map(|r| sql.i(r.answer_id)).collect();
        sql.push(&format!(
            "SELECT answer_id, theme FROM answer_themes WHERE workspace_id = {ws} \
             AND sentiment <> '{REMOVED}' AND answer_id IN ({}) ORDER BY theme",
            ids.join(", ")
        ));
        let mut by_answer: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for r in sql.fetch(&self.store.pool).await? {
            by_answer
                .entry(r.try_get("answer_id")?)
                .or_default()
                .push(r.try_get("theme")?);
        }
        for row in rows {
            row.themes = by_answer.remove(&row.answer_id).unwrap_or_default();
        }
        Ok(())
    }

    /// The workspace's taxonomy: the built-in one with its edits applied.
    #[tracing::instrument(name = "comments.taxonomy", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn taxonomy(&self, workspace_id: i64) -> Result<Taxonomy> {
        let mut conn = self.store.pool.acquire().await?;
        crate::themes::tagging::taxonomy_in(&mut conn, workspace_id).await
    }

    /// Tags (`add`) or untags the comment of answer `answer_id` with `theme` by hand.
    /// `NotFound` when the workspace has no such commented answer (or, with `owner`, it is
    /// not of one of that agent's customers), `Invalid` when the theme is not one of the
    /// workspace's. eNPS comments are not tagged by hand: a reader of the tags could learn
    /// which comment a person tagged.
    #[tracing::instrument(name = "comments.tag", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn tag(
        &self,
        workspace_id: i64,
        answer_id: i64,
        theme: &str,
        add: bool,
        owner: Option<&str>,
    ) -> Result<()> {
        let taxonomy = self.taxonomy(workspace_id).await?;
        if taxonomy.theme(theme).is_none() {
            return Err(StoreError::Invalid(format!(
                "theme: no theme {theme:?} in this workspace"
            )));
        }
        let mut sql = Sql::new();
        let ws = sql.i(workspace_id);
        let id = sql.i(answer_id);
        let mut w = format!(
            "a.id = {id} AND a.workspace_id = {ws} AND a.comment IS NOT NULL \
             AND a.comment <> '' AND s.kind <> 'enps'"
        );
        if let Some(o) = owner {
            let email = sql.s(&o.trim().to_lowercase());
            w += &format!(" AND c.id IS NOT NULL AND {}", owned_by(&email));
        }
        sql.push(&format!(
            "SELECT COUNT(*) AS n FROM answers a JOIN surveys s ON s.id = a.survey_id \
             LEFT JOIN customers c ON c.id = a.customer_id WHERE {w}"
        ));
        if count(sql, &self.store.pool).await? == 0 {
            return Err(StoreError::NotFound(format!(
                "no comment with answer id {answer_id}"
            )));
        }
        let (sentiment, keep) = match add {
            // A theme the machine found keeps its sentiment; one added by hand takes the comment's.
            true => (
                "COALESCE(a.sentiment, 'neutral')",
                format!("CASE WHEN answer_themes.sentiment = '{REMOVED}' THEN excluded.sentiment ELSE answer_themes.sentiment END"),
            ),
            false => ("'removed'", format!("'{REMOVED}'")),
        };
        sqlx::query(&format!(
            "INSERT INTO answer_themes (answer_id, workspace_id, theme, sentiment, manual) \
             SELECT a.id, a.workspace_id, $3, {sentiment}, 1 FROM answers a \
             WHERE a.id = $1 AND a.workspace_id = $2 \
             ON CONFLICT (answer_id, theme) DO UPDATE SET manual = 1, sentiment = {keep}"
        ))
        .bind(answer_id)
        .bind(workspace_id)
        .bind(theme)
        .execute(&self.store.writer)
        .await?;
        Ok(())
    }
}

fn first_of_month(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Datelike;
    at.date_naive()
        .with_day(1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(at, |d| d.and_utc())
}

async fn count(sql: Sql, pool: &sqlx::AnyPool) -> Result<u64> {
    let rows = sql.fetch(pool).await?;
    let n: i64 = match rows.first() {
        Some(r) => r.try_get("n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}
