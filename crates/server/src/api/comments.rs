//! The comment explorer over the API: `GET /api/v1/comments` (filters and a full-text
//! search, a page at a time), `GET /api/v1/comments/export.{csv|xlsx}` (the filtered set as
//! a file), and `PUT`/`DELETE /api/v1/comments/{answer_id}/themes/{theme}` (tag by hand).
//! The page `/comments` calls [`find`] and [`export`] too.

use crate::access::Access::{Key, Own};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::export::{self, csv, xlsx, Cell, Format};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::comments::{CommentParams, CommentQuery, COMMENTS_PAGE_MAX};
use advocate_core::Permission::{Export, ReadCustomers, WorkCases};
use advocate_store::insight::comments::{CommentRow, CommentsPage, Viewer};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// Most comments one export holds (a bound on the loop that reads them).
const EXPORT_MAX: u64 = 100_000;

#[derive(OpenApi)]
#[openapi(paths(list, download, tag, untag), tags((name = "comments")))]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/comments", Own(ReadCustomers), list)
        .get("/api/v1/comments/{file}", Key(Export), download)
        .put(
            "/api/v1/comments/{answer_id}/themes/{theme}",
            Own(WorkCases),
            tag,
        )
        .delete(
            "/api/v1/comments/{answer_id}/themes/{theme}",
            Own(WorkCases),
            untag,
        )
}

/// The explorer's filters; every one is optional, and they combine (AND).
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommentsParams {
    /// Words to search for. All must occur; "a phrase" in quotes; `or` between two terms;
    /// -word must not occur. PostgreSQL stems in the comment's language; SQLite stems
    /// English and matches other languages' words whole (word* for a prefix).
    pub q: Option<String>,
    /// A year (2026), quarter (2026-Q3), month (2026-11) or ISO week (2026-W48); or from/to.
    pub period: Option<String>,
    /// First day, inclusive (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC).
    pub to: Option<String>,
    /// A survey's slug.
    pub survey: Option<String>,
    /// A score, 0–10.
    pub score: Option<String>,
    /// promoter, passive or detractor (NPS and eNPS surveys).
    pub category: Option<String>,
    /// A theme key, e.g. billing.
    pub theme: Option<String>,
    /// The comment's sentiment: positive, neutral or negative.
    pub sentiment: Option<String>,
    /// attribute:value of the answer's attribute snapshot, e.g. plan:Pro.
    pub segment: Option<String>,
    pub touchpoint: Option<String>,
    /// email, sms, web, widget, kiosk, api or import.
    pub channel: Option<String>,
    /// The answer's language, e.g. nb.
    pub language: Option<String>,
    /// yes: only comments whose answer opened a case; no: only those without.
    pub has_case: Option<String>,
    /// Page number, from 1.
    pub page: Option<String>,
    /// Comments per page (1–200, default 50).
    pub limit: Option<String>,
}

impl CommentsParams {
    pub fn filters(&self) -> CommentParams {
        CommentParams {
            q: self.q.clone(),
            period: self.period.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            survey: self.survey.clone(),
            score: self.score.clone(),
            category: self.category.clone(),
            theme: self.theme.clone(),
            sentiment: self.sentiment.clone(),
            segment: self.segment.clone(),
            touchpoint: self.touchpoint.clone(),
            channel: self.channel.clone(),
            language: self.language.clone(),
            has_case: self.has_case.clone(),
        }
    }

    /// (page from 1, limit), or a 422 naming the parameter.
    pub fn paging(&self) -> ApiResult<(u32, u32)> {
        let number = |name: &str, v: &Option<String>, default: u32, max: u32| match v
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::unprocessable(format!("{name}: a whole number 1–{max}; got {v:?}"))
                }),
        };
        Ok((
            number("page", &self.page, 1, 100_000)?,
            number("limit", &self.limit, 50, COMMENTS_PAGE_MAX)?,
        ))
    }
}

/// The query, with a survey that must exist; a 422 names the bad parameter.
pub async fn query(
    state: &AppState,
    workspace_id: i64,
    params: &CommentParams,
) -> ApiResult<CommentQuery> {
    let q = params
        .to_query()
        .map_err(|e| ApiError::unprocessable(e.into_message()))?;
    if let Some(slug) = &q.survey {
        if state
            .store
            .surveys()
            .by_slug(workspace_id, slug)
            .await?
            .is_none()
        {
            return Err(ApiError::unprocessable(format!(
                "survey: no survey with slug {slug:?}"
            )));
        }
    }
    Ok(q)
}

/// One page of comments for `owner` (an agent's e-mail: only their customers').
pub async fn find(
    state: &AppState,
    workspace_id: i64,
    q: &CommentQuery,
    owner: Option<&str>,
    (page, limit): (u32, u32),
) -> ApiResult<CommentsPage> {
    Ok(state
        .store
        .comments()
        .page(
            workspace_id,
            q,
            Viewer { owner },
            limit,
            (page - 1).saturating_mul(limit),
        )
        .await?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Comments {
    /// Comments matching, over all pages.
    pub total: u64,
    pub page: u32,
    pub limit: u32,
    /// eNPS comments left out because fewer than the workspace's minimum group size match.
    pub enps_withheld: u64,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Comment {
    pub answer_id: i64,
    /// RFC 3339; for eNPS the month only (YYYY-MM).
    pub answered_at: String,
    pub survey: String,
    pub survey_kind: String,
    pub score: u8,
    pub category: Option<String>,
    pub comment: String,
    /// The comment in pieces, the searched words `marked`.
    pub highlighted: Vec<Piece>,
    pub themes: Vec<String>,
    pub sentiment: Option<String>,
    pub channel: Option<String>,
    pub touchpoint: Option<String>,
    pub language: Option<String>,
    /// `null` for eNPS and anonymous answers.
    pub customer: Option<CommentCustomer>,
    pub case_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Piece {
    pub text: String,
    pub marked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentCustomer {
    pub external_id: String,
    pub name: Option<String>,
}

/// The date as shown: eNPS by month only.
pub fn when(r: &CommentRow) -> String {
    match r.month_only {
        true => r.answered_at.format("%Y-%m").to_string(),
        false => r.answered_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

/// The comment's text without marks.
pub fn plain(r: &CommentRow) -> String {
    r.comment.iter().map(|p| p.text.as_str()).collect()
}

impl From<CommentRow> for Comment {
    fn from(r: CommentRow) -> Self {
        Self {
            answered_at: when(&r),
            comment: plain(&r),
            answer_id: r.answer_id,
            survey: r.survey,
            survey_kind: r.survey_kind.as_str().to_owned(),
            score: r.score,
            category: r.category.map(|c| c.as_str().to_owned()),
            highlighted: r
                .comment
                .into_iter()
                .map(|p| Piece {
                    text: p.text,
                    marked: p.marked,
                })
                .collect(),
            themes: r.themes,
            sentiment: r.sentiment,
            channel: r.channel,
            touchpoint: r.touchpoint,
            language: r.language,
            customer: r.customer_external_id.map(|external_id| CommentCustomer {
                external_id,
                name: r.customer_name,
            }),
            case_id: r.case_id,
        }
    }
}

/// Comments, newest first, filtered and searched. An agent's personal key sees only the
/// comments of their own customers; eNPS comments come without who wrote them, dated by
/// month, and only when at least the workspace's minimum group size of them match.
#[utoipa::path(get, path = "/api/v1/comments", operation_id = "listComments", tag = "comments",
    params(CommentsParams), security(("api_key" = [])),
    responses((status = 200, body = Comments),
              (status = 422, description = "bad parameter (named in detail)", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<CommentsParams>, QueryRejection>,
) -> ApiResult<Json<Comments>> {
    let Query(params) = params.map_err(|e| ApiError::unprocessable(e.body_text()))?;
    let paging = params.paging()?;
    let q = query(&state, caller.workspace_id, &params.filters()).await?;
    let found = find(&state, caller.workspace_id, &q, caller.only_own(), paging).await?;
    Ok(Json(Comments {
        total: found.total,
        page: paging.0,
        limit: paging.1,
        enps_withheld: found.enps_withheld,
        comments: found.rows.into_iter().map(Comment::from).collect(),
    }))
}

/// The columns of an export of comments.
const COLUMNS: [&str; 14] = [
    "answer_id",
    "answered_at",
    "survey",
    "score",
    "category",
    "comment",
    "themes",
    "sentiment",
    "channel",
    "touchpoint",
    "language",
    "customer_external_id",
    "customer_name",
    "case_id",
];

fn cells(r: &CommentRow) -> Vec<Cell> {
    let text = |v: &Option<String>| v.clone().map_or(Cell::Empty, Cell::Text);
    vec![
        Cell::Int(r.answer_id),
        match r.month_only {
            true => Cell::Text(when(r)),
            false => Cell::Time(r.answered_at),
        },
        Cell::Text(r.survey.clone()),
        Cell::Int(i64::from(r.score)),
        text(&r.category.map(|c| c.as_str().to_owned())),
        Cell::Text(plain(r)),
        Cell::Text(r.themes.join(" ")),
        text(&r.sentiment),
        text(&r.channel),
        text(&r.touchpoint),
        text(&r.language),
        text(&r.customer_external_id),
        text(&r.customer_name),
        r.case_id.map_or(Cell::Empty, Cell::Int),
    ]
}

/// The comments `q` finds as a CSV or XLSX file (`file` is `export.csv` or `export.xlsx`),
/// recorded in the audit log as downloaded by `actor`.
pub async fn export(
    state: &AppState,
    workspace_id: i64,
    actor: &str,
    owner: Option<&str>,
    file: &str,
    q: &CommentQuery,
) -> ApiResult<Response> {
    let format = file
        .strip_prefix("export.")
        .and_then(Format::parse)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no comments file named {file:?}; there are export.csv and export.xlsx"
            ))
        })?;
    let ws = state
        .store
        .workspaces()
        .get(workspace_id)
        .await?
        .ok_or_else(|| ApiError::internal("caller's workspace is missing"))?;
    let mut rows = Vec::new();
    let mut page = 1;
    // Bounded: at most EXPORT_MAX rows, a page of COMMENTS_PAGE_MAX at a time.
    while (rows.len() as u64) < EXPORT_MAX {
        let found = find(state, workspace_id, q, owner, (page, COMMENTS_PAGE_MAX)).await?;
        let last = found.rows.len() < COMMENTS_PAGE_MAX as usize;
        rows.extend(found.rows.iter().map(cells));
        if last {
            break;
        }
        page += 1;
    }
    let body = match format {
        Format::Csv => {
            let mut out = csv::header(&COLUMNS);
            for r in &rows {
                csv::push_row(&mut out, r);
            }
            Body::from(out)
        }
        Format::Xlsx => {
            let mut wb = xlsx::Workbook::new();
            wb.start_sheet("Comments", &COLUMNS)
                .map_err(super::exports::xlsx_error)?;
            for r in &rows {
                wb.push_row(r).map_err(super::exports::xlsx_error)?;
            }
            Body::from(wb.finish().map_err(super::exports::xlsx_error)?)
        }
    };
    let detail = describe(q);
    state
        .store
        .audit()
        .record(
            workspace_id,
            actor,
            "export.downloaded",
            &format!("comments.{}", format.extension()),
            &detail,
        )
        .await?;
    let name = export::file_name(&ws.slug, "comments", Utc::now().date_naive(), format);
    Ok(super::exports::attachment(format, &name, body))
}

/// The filters of an export, for the audit log.
fn describe(q: &CommentQuery) -> String {
    let mut parts = Vec::new();
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    };
    add("q", q.search.clone());
    add("from", q.from.map(|d| d.to_string()));
    add("to", q.to.map(|d| d.to_string()));
    add("survey", q.survey.clone());
    add("score", q.score.map(|s| s.to_string()));
    add("category", q.category.map(|c| c.as_str().to_owned()));
    add("theme", q.theme.clone());
    add("sentiment", q.sentiment.map(|s| s.as_str().to_owned()));
    add(
        "segment",
        q.segment.as_ref().map(|(a, v)| format!("{a}:{v}")),
    );
    add("touchpoint", q.touchpoint.clone());
    add("channel", q.channel.clone());
    add("language", q.language.clone());
    add(
        "has_case",
        q.has_case.map(|h| match h {
            advocate_core::comments::HasCase::Yes => "yes".to_owned(),
            advocate_core::comments::HasCase::No => "no".to_owned(),
        }),
    );
    parts.join(" ")
}

/// The filtered comments as a file: `export.csv` or `export.xlsx`, with the same filters
/// as `GET /api/v1/comments` (page and limit aside). Text cells that could run as a
/// formula are neutralised, as in every export.
#[utoipa::path(get, path = "/api/v1/comments/{file}", operation_id = "exportComments", tag = "comments",
    params(("file" = String, Path, description = "export.csv or export.xlsx"), CommentsParams),
    security(("api_key" = [])),
    responses((status = 200, description = "the file, as an attachment"),
              (status = 404, description = "unknown file", body = Problem),
              (status = 422, description = "bad parameter (named in detail)", body = Problem)))]
pub async fn download(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(file): Path<String>,
    params: Result<Query<CommentsParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(|e| ApiError::unprocessable(e.body_text()))?;
    let q = query(&state, caller.workspace_id, &params.filters()).await?;
    export(
        &state,
        caller.workspace_id,
        &caller.actor(),
        caller.only_own(),
        &file,
        &q,
    )
    .await
}

/// Tags or untags by hand, and records it in the audit log.
pub async fn set_tag(
    state: &AppState,
    workspace_id: i64,
    actor: &str,
    owner: Option<&str>,
    answer_id: i64,
    theme: &str,
    add: bool,
) -> ApiResult<()> {
    advocate_core::comments::theme_key(theme)?;
    state
        .store
        .comments()
        .tag(workspace_id, answer_id, theme, add, owner)
        .await?;
    let action = if add {
        "comment.tagged"
    } else {
        "comment.untagged"
    };
    state
        .store
        .audit()
        .record(
            workspace_id,
            actor,
            action,
            &format!("answer {answer_id}"),
            theme,
        )
        .await?;
    Ok(())
}

/// Tags the comment with a theme by hand (kept when themes are re-tagged).
#[utoipa::path(put, path = "/api/v1/comments/{answer_id}/themes/{theme}", operation_id = "tagComment", tag = "comments",
    params(("answer_id" = i64, Path), ("theme" = String, Path, description = "a theme key")),
    security(("api_key" = [])),
    responses((status = 204, description = "tagged"),
              (status = 404, description = "no such comment", body = Problem),
              (status = 422, description = "no such theme", body = Problem)))]
pub async fn tag(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((answer_id, theme)): Path<(i64, String)>,
) -> ApiResult<StatusCode> {
    set_tag(
        &state,
        caller.workspace_id,
        &caller.actor(),
        caller.only_own(),
        answer_id,
        &theme,
        true,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a theme from the comment by hand; re-tagging will not put it back.
#[utoipa::path(delete, path = "/api/v1/comments/{answer_id}/themes/{theme}", operation_id = "untagComment", tag = "comments",
    params(("answer_id" = i64, Path), ("theme" = String, Path, description = "a theme key")),
    security(("api_key" = [])),
    responses((status = 204, description = "untagged"),
              (status = 404, description = "no such comment", body = Problem),
              (status = 422, description = "no such theme", body = Problem)))]
pub async fn untag(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((answer_id, theme)): Path<(i64, String)>,
) -> ApiResult<StatusCode> {
    set_tag(
        &state,
        caller.workspace_id,
        &caller.actor(),
        caller.only_own(),
        answer_id,
        &theme,
        false,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
