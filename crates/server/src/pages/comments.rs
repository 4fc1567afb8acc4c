//! The comment explorer (`/comments`): filters as a GET form (the URL holds them, so a
//! view can be shared), the searched words marked, a page of comments each linked to its
//! customer and case, tag/untag forms, and exports of the filtered set. The queries are
//! the API's (`crate::api::comments`).

use super::signin::RequireSignIn;
use super::views::encode;
use super::{internal, score_class, PageError};
use crate::access::Access::Person;
use crate::api::comments::{self as api, CommentsParams};
use crate::error::ApiError;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::comments::Run;
use advocate_core::themes::Lang;
use advocate_core::Permission::{Export, ReadCustomers, WorkCases};
use advocate_store::insight::comments::CommentRow;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .get("/comments", Person(ReadCustomers), list)
        .get("/comments/{file}", Person(Export), download)
        .post("/comments/{answer_id}/themes", Person(WorkCases), tag)
        .post(
            "/comments/{answer_id}/themes/{theme}/remove",
            Person(WorkCases),
            untag,
        )
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct ThemeChip {
    pub name: String,
    pub remove_action: String,
}

pub struct Row {
    pub answer_id: i64,
    pub when: String,
    pub survey: String,
    pub score: u8,
    pub score_class: &'static str,
    pub comment: Vec<Run>,
    pub channel: String,
    pub language: String,
    pub sentiment: String,
    pub customer_href: Option<String>,
    pub customer: String,
    pub case_href: Option<String>,
    pub case_id: i64,
    pub themes: Vec<ThemeChip>,
    pub tag_action: String,
    pub taggable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "comments.html")]
pub struct CommentsPage {
    pub workspace: String,
    pub user: String,
    pub f: CommentsParams,
    pub error: String,
    pub surveys: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub themes: Vec<Choice>,
    pub sentiments: Vec<Choice>,
    pub has_case: Vec<Choice>,
    pub total: u64,
    pub enps_withheld: u64,
    pub rows: Vec<Row>,
    pub range: String,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub csv_href: String,
    pub xlsx_href: String,
    /// This page's URL, where the tag forms come back to.
    pub back: String,
    pub can_tag: bool,
    pub can_export: bool,
}

fn v(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or_default()
}

/// The query string of the filters (without page), for links.
fn query_string(f: &CommentsParams) -> String {
    [
        ("q", &f.q),
        ("period", &f.period),
        ("from", &f.from),
        ("to", &f.to),
        ("survey", &f.survey),
        ("score", &f.score),
        ("category", &f.category),
        ("theme", &f.theme),
        ("sentiment", &f.sentiment),
        ("segment", &f.segment),
        ("touchpoint", &f.touchpoint),
        ("channel", &f.channel),
        ("language", &f.language),
        ("has_case", &f.has_case),
    ]
    .iter()
    .filter(|(_, v)| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
    .map(|(k, v)| format!("{k}={}", encode(v.as_deref().unwrap_or_default())))
    .collect::<Vec<_>>()
    .join("&")
}

fn href(base: &str, qs: &str, page: u32) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !qs.is_empty() {
        parts.push(qs.to_owned());
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    match parts.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", parts.join("&")),
    }
}

fn options(values: &[(&str, &str)], chosen: &str) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: String::new(),
        label: "Any".into(),
        selected: chosen.is_empty(),
    }];
    out.extend(values.iter().map(|(v, l)| Choice {
        value: (*v).to_owned(),
        label: (*l).to_owned(),
        selected: *v == chosen,
    }));
    out
}

pub async fn list(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(f): Query<CommentsParams>,
) -> Result<Response, PageError> {
    let store = &state.store;
    let ws = super::workspace_of(&state, user.workspace_id).await?;
    let taxonomy = store.comments().taxonomy(ws.id).await.map_err(internal)?;
    let theme_name = |key: &str| {
        taxonomy
            .theme(key)
            .map_or(key.to_owned(), |t| t.name(Lang::En).to_owned())
    };
    let surveys = store.surveys().list(ws.id).await.map_err(internal)?;
    let owner = user.sees_only_own().then_some(user.email.as_str());
    let qs = query_string(&f);
    let mut error = String::new();
    let found = match f.paging() {
        Ok(paging) => match api::query(&state, ws.id, &f.filters()).await {
            Ok(q) => match api::find(&state, ws.id, &q, owner, paging).await {
                Ok(found) => Some((found, paging)),
                Err(e) => return Err(PageError::api(e)),
            },
            Err(ApiError { status, detail, .. }) if status == StatusCode::UNPROCESSABLE_ENTITY => {
                error = detail;
                None
            }
            Err(e) => return Err(PageError::api(e)),
        },
        Err(e) => {
            error = e.detail;
            None
        }
    };
    let can_tag = user.role.grants(WorkCases);
    let back = href("/comments", &qs, found.as_ref().map_or(1, |(_, p)| p.0));
    let (total, withheld, rows, range, prev_href, next_href) = match found {
        None => (0, 0, Vec::new(), String::new(), None, None),
        Some((found, (page, limit))) => {
            let offset = u64::from(page - 1) * u64::from(limit);
            let shown = found.rows.len() as u64;
            let range = match shown {
                0 => String::new(),
                _ => format!(
                    "Showing {}–{} of {}",
                    offset + 1,
                    offset + shown,
                    found.total
                ),
            };
            let rows = found
                .rows
                .into_iter()
                .map(|r| row(r, &theme_name))
                .collect();
            (
                found.total,
                found.enps_withheld,
                rows,
                range,
                (page > 1).then(|| href("/comments", &qs, page - 1)),
                (offset + shown < found.total).then(|| href("/comments", &qs, page + 1)),
            )
        }
    };
    let mut theme_list: Vec<(String, String)> = taxonomy
        .themes
        .iter()
        .filter(|t| !t.hidden)
        .map(|t| (t.key.clone(), t.name(Lang::En).to_owned()))
        .collect();
    theme_list.sort_by(|a, b| a.1.cmp(&b.1));
    let theme_pairs: Vec<(&str, &str)> = theme_list
        .iter()
        .map(|(k, n)| (k.as_str(), n.as_str()))
        .collect();
    let survey_pairs: Vec<(&str, &str)> = surveys
        .iter()
        .map(|s| (s.slug.as_str(), s.name.as_str()))
        .collect();
    let page = CommentsPage {
        workspace: ws.name,
        user: user.email.clone(),
        error: error.clone(),
        surveys: options(&survey_pairs, v(&f.survey)),
        categories: options(
            &[
                ("promoter", "Promoters"),
                ("passive", "Passives"),
                ("detractor", "Detractors"),
            ],
            v(&f.category),
        ),
        themes: options(&theme_pairs, v(&f.theme)),
        sentiments: options(
            &[
                ("positive", "Positive"),
                ("neutral", "Neutral"),
                ("negative", "Negative"),
            ],
            v(&f.sentiment),
        ),
        has_case: options(
            &[("yes", "With a case"), ("no", "Without a case")],
            v(&f.has_case),
        ),
        total,
        enps_withheld: withheld,
        rows,
        range,
        prev_href,
        next_href,
        csv_href: href("/comments/export.csv", &qs, 1),
        xlsx_href: href("/comments/export.xlsx", &qs, 1),
        back,
        can_tag,
        can_export: user.role.grants(Export),
        f,
    };
    let status = match error.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((status, page).into_response())
}

fn row(r: CommentRow, theme_name: &dyn Fn(&str) -> String) -> Row {
    let enps = r.month_only;
    Row {
        answer_id: r.answer_id,
        when: match enps {
            true => r.answered_at.format("%Y-%m").to_string(),
            false => r.answered_at.format("%Y-%m-%d %H:%M").to_string(),
        },
        survey: r.survey_name,
        score: r.score,
        score_class: score_class(r.score),
        channel: r.channel.unwrap_or_default(),
        language: r.language.unwrap_or_default(),
        sentiment: r.sentiment.unwrap_or_default(),
        customer_href: r
            .customer_external_id
            .as_deref()
            .map(|id| format!("/customers/{}", encode(id))),
        customer: r
            .customer_name
            .or(r.customer_external_id)
            .unwrap_or_default(),
        case_href: r.case_id.map(|id| format!("/cases/{id}")),
        case_id: r.case_id.unwrap_or_default(),
        themes: r
            .themes
            .iter()
            .map(|k| ThemeChip {
                name: theme_name(k),
                remove_action: format!("/comments/{}/themes/{}/remove", r.answer_id, encode(k)),
            })
            .collect(),
        tag_action: format!("/comments/{}/themes", r.answer_id),
        // eNPS comments are not tagged by hand (see the store's `tag`).
        taggable: !enps,
        comment: r.comment,
    }
}

/// The filtered set as a file, for signed-in people: the API's code behind the session.
pub async fn download(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(file): Path<String>,
    Query(f): Query<CommentsParams>,
) -> Response {
    let owner = user.sees_only_own().then_some(user.email.as_str());
    let result = async {
        let q = api::query(&state, user.workspace_id, &f.filters()).await?;
        api::export(&state, user.workspace_id, &user.actor(), owner, &file, &q).await
    }
    .await;
    match result {
        Ok(r) => r,
        Err(ApiError { status, detail, .. }) => (status, detail).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct TagForm {
    #[serde(default)]
    theme: String,
    #[serde(default)]
    back: String,
}

fn back_to(back: &str) -> String {
    // Only back to the explorer itself (no open redirect).
    let path = super::return_path::return_path(Some(back));
    match path.starts_with("/comments") {
        true => path,
        false => "/comments".to_owned(),
    }
}

async fn set(
    state: &AppState,
    user: &crate::auth::SignedIn,
    answer_id: i64,
    theme: &str,
    add: bool,
    back: &str,
) -> Result<Response, PageError> {
    let owner = user.sees_only_own().then_some(user.email.as_str());
    match api::set_tag(
        state,
        user.workspace_id,
        &user.actor(),
        owner,
        answer_id,
        theme,
        add,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&back_to(back)).into_response()),
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(PageError(
            StatusCode::NOT_FOUND,
            "There is no such comment, or it is not yours to tag.",
        )),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => Err(PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose one of the workspace's themes.",
        )),
        Err(e) => Err(PageError::api(e)),
    }
}

pub async fn tag(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(answer_id): Path<i64>,
    Form(form): Form<TagForm>,
) -> Result<Response, PageError> {
    set(
        &state,
        &user,
        answer_id,
        form.theme.trim(),
        true,
        &form.back,
    )
    .await
}

pub async fn untag(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path((answer_id, theme)): Path<(i64, String)>,
    Form(form): Form<TagForm>,
) -> Result<Response, PageError> {
    set(&state, &user, answer_id, &theme, false, &form.back).await
}
