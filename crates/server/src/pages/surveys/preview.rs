//! The editor's preview (`/surveys/{id}/preview?lang=xx&step=thanks`): the respondent's
//! page — the question page, or with `step=thanks` the thank-you page — built by the very
//! functions that build it for them (`survey::survey_page`, `survey::thanks_page`), with
//! score buttons that only reload the preview. `GET` shows the saved survey; `POST` (the
//! editor's preview button and its script) shows the form's unsaved texts without storing
//! anything. `/surveys/new/preview` does the same for the new-survey form (its kind and
//! default language, with the built-in texts); `GET /surveys/new/preview/{kind}` is its
//! first page and what its score buttons reload.
//!
//! These responses, and only these, may be framed by Advocate's own pages: the editor
//! shows them in an `<iframe name="preview">` (see `crate::security`).

use super::editor::body_from;
use super::survey_of;
use crate::api::replace::audited;
use crate::api::surveys::change_from;
use crate::pages::signin::RequireSignIn;
use crate::pages::survey::{language, survey_page, thanks_page};
use crate::pages::{error_page, PageError};
use crate::state::AppState;
use advocate_core::field;
use advocate_core::{Language, SurveyKind, SurveyStatus};
use advocate_store::models::Survey;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Deserialize)]
pub struct PreviewParams {
    lang: Option<String>,
    /// `thanks` for the thank-you page; anything else is the question page.
    step: Option<String>,
}

/// The page respondents get at one step of the survey, as its preview.
async fn render(
    state: &AppState,
    survey: &Survey,
    lang: &Language,
    step: Option<&str>,
    action: String,
) -> Result<Response, PageError> {
    Ok(if step == Some("thanks") {
        thanks_page(state, survey, lang, true)
            .await?
            .into_response()
    } else {
        survey_page(state, survey, lang, action, true)
            .await?
            .into_response()
    })
}

pub async fn saved(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    Query(q): Query<PreviewParams>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let survey = survey_of(&state, &who, &id).await?;
    let lang = language(q.lang.as_deref(), &headers, &survey);
    let action = format!("/surveys/{}/preview", survey.id);
    render(&state, &survey, &lang, q.step.as_deref(), action).await
}

/// A refused field, shown in the preview's frame instead of the page.
fn refused(message: &str) -> Response {
    error_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("{message}. Correct it in the editor to see the preview."),
    )
}

pub async fn unsaved(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut survey = match survey_of(&state, &who, &id).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    match body_from(&survey, &form).and_then(|body| change_from(&survey, &body)) {
        Ok(change) => survey.apply(&change),
        Err(problem) => return refused(&problem.message),
    }
    let asked = form.get("preview_lang").map(String::as_str);
    let lang = language(asked, &headers, &survey);
    let step = form.get("preview_step").map(String::as_str);
    let action = format!("/surveys/{}/preview", survey.id);
    match render(&state, &survey, &lang, step, action).await {
        // Nothing changed: no line in the audit log.
        Ok(page) => audited(String::new(), page),
        Err(e) => e.into_response(),
    }
}

/// A survey that is not stored: what the new-survey form says of its kind and default
/// language (the rest does not show on the respondent's page), with the built-in texts.
fn new_survey(workspace_id: i64, form: &HashMap<String, String>) -> Result<Survey, String> {
    let get = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let kind = match get("kind") {
        None => SurveyKind::Nps,
        Some(k) => SurveyKind::parse(k).map_err(|e| format!("kind {e}"))?,
    };
    let default_language = match get("default_language") {
        None => Language::english(),
        Some(l) => field::language("default_language", l).map_err(|e| e.into_message())?,
    };
    Ok(Survey {
        id: 0,
        workspace_id,
        slug: String::new(),
        public_id: String::new(),
        kind,
        name: get("name").unwrap_or_default().to_owned(),
        touchpoint: None,
        default_language,
        texts: BTreeMap::new(),
        status: SurveyStatus::Active,
        created_at: Utc::now(),
    })
}

/// The new-survey form's preview of a kind: the frame's first page (`?lang=xx&step=…`),
/// and what its score buttons reload.
pub async fn new_survey_get(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(kind): Path<String>,
    Query(q): Query<PreviewParams>,
    headers: HeaderMap,
) -> Response {
    let mut form = HashMap::from([("kind".to_owned(), kind)]);
    form.extend(q.lang.map(|l| ("preview_lang".to_owned(), l)));
    form.extend(q.step.map(|s| ("preview_step".to_owned(), s)));
    new_survey_preview(&state, who.workspace_id, &headers, &form).await
}

/// The language links of the page the form's preview button showed (`?lang=xx`): an NPS
/// survey's.
pub async fn new_survey_get_nps(
    state: State<AppState>,
    who: RequireSignIn,
    q: Query<PreviewParams>,
    headers: HeaderMap,
) -> Response {
    new_survey_get(state, who, Path("nps".to_owned()), q, headers).await
}

/// The new-survey form's preview of what it says so far.
pub async fn new_survey_post(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    new_survey_preview(&state, who.workspace_id, &headers, &form).await
}

async fn new_survey_preview(
    state: &AppState,
    workspace_id: i64,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Response {
    let survey = match new_survey(workspace_id, form) {
        Ok(s) => s,
        Err(message) => return refused(&message),
    };
    let lang = language(
        form.get("preview_lang").map(String::as_str),
        headers,
        &survey,
    );
    let action = format!("/surveys/new/preview/{}", survey.kind.as_str());
    let step = form.get("preview_step").map(String::as_str);
    render(state, &survey, &lang, step, action)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}
