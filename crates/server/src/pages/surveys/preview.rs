//! The editor's preview (`/surveys/{id}/preview?lang=xx`): the respondent's page, built by
//! the very function that builds it for them (`survey::survey_page`), with score buttons
//! that only reload the preview. `GET` shows the saved survey; `POST` (the editor's
//! preview buttons) shows the form's unsaved texts without storing anything.

use super::editor::body_from;
use super::survey_of;
use crate::api::replace::audited;
use crate::api::surveys::change_from;
use crate::pages::signin::RequireSignIn;
use crate::pages::survey::{language, survey_page};
use crate::pages::PageError;
use crate::state::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
pub struct PreviewParams {
    lang: Option<String>,
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
    Ok(survey_page(&state, &survey, &lang, action, true)
        .await?
        .into_response())
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
        Err(problem) => {
            return crate::pages::error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{}. Correct it in the editor to see the preview.",
                    problem.message
                ),
            )
        }
    }
    let asked = form.get("preview_lang").map(String::as_str);
    let lang = language(asked, &headers, &survey);
    let action = format!("/surveys/{}/preview", survey.id);
    match survey_page(&state, &survey, &lang, action, true).await {
        // Nothing changed: no line in the audit log.
        Ok(page) => audited(String::new(), page),
        Err(e) => e.into_response(),
    }
}
