//! The message templates agents start from (`/settings/templates`): one per score, for
//! every language or one; saving makes it the workspace's, resetting goes back to the
//! built-in (or every-language) text.

use crate::api::replace::audited;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::conversation::templates::MessageTemplate;
use advocate_core::i18n::SUPPORTED;
use advocate_store::closed_loop::conversation::{TemplateRow, TemplateSource};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

pub struct LanguageTab {
    pub code: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_templates.html")]
pub struct TemplatesPage {
    pub workspace: String,
    pub user: String,
    /// '' for every language.
    pub language: String,
    pub tabs: Vec<LanguageTab>,
    pub rows: Vec<TemplateRow>,
    pub error: Option<String>,
}

impl TemplatesPage {
    fn query(&self) -> String {
        if self.language.is_empty() {
            String::new()
        } else {
            format!("?language={}", self.language)
        }
    }

    fn is_own(&self, row: &TemplateRow) -> bool {
        row.source == TemplateSource::Workspace
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LanguageQuery {
    language: Option<String>,
}

/// The language a request names: one Advocate has templates for, or '' for all.
fn language_of(q: &LanguageQuery) -> String {
    q.language
        .as_deref()
        .filter(|l| SUPPORTED.contains(l))
        .unwrap_or_default()
        .to_owned()
}

async fn page(
    state: &AppState,
    workspace_id: i64,
    user: &str,
    language: String,
    error: Option<String>,
) -> Result<TemplatesPage, PageError> {
    let workspace = crate::pages::workspace_of(state, workspace_id).await?.name;
    let rows = state
        .store
        .conversations()
        .templates(workspace_id, &language)
        .await
        .map_err(internal)?;
    let mut tabs = vec![LanguageTab {
        code: "",
        label: "Every language",
        current: language.is_empty(),
    }];
    tabs.extend(SUPPORTED.iter().map(|code| LanguageTab {
        code,
        label: code,
        current: *code == language,
    }));
    Ok(TemplatesPage {
        workspace,
        user: user.to_owned(),
        language,
        tabs,
        rows,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(q): Query<LanguageQuery>,
) -> Result<TemplatesPage, PageError> {
    page(
        &state,
        user.workspace_id,
        &user.email,
        language_of(&q),
        None,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    subject: String,
    body: String,
}

fn score_of(raw: &str) -> Option<u8> {
    raw.parse::<u8>().ok().filter(|s| *s <= 10)
}

/// Back to the score's form after a change, or the page again with what was refused.
async fn after(
    state: &AppState,
    workspace_id: i64,
    user: &str,
    language: String,
    score: u8,
    result: Result<String, StoreError>,
) -> Response {
    match result {
        Ok(detail) => {
            let query = if language.is_empty() {
                String::new()
            } else {
                format!("?language={language}")
            };
            audited(
                detail,
                Redirect::to(&format!("/settings/templates{query}#template-{score}")),
            )
        }
        Err(StoreError::Invalid(m) | StoreError::NotFound(m)) => {
            match page(
                state,
                workspace_id,
                user,
                language,
                Some(format!("Score {score}: {m}")),
            )
            .await
            {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => internal(e).into_response(),
    }
}

pub async fn save(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Query(q): Query<LanguageQuery>,
    Form(f): Form<TemplateForm>,
) -> Response {
    let Some(score) = score_of(&raw) else {
        return PageError(StatusCode::NOT_FOUND, "There is no such score.").into_response();
    };
    let language = language_of(&q);
    let template = MessageTemplate {
        subject: f.subject.trim().to_owned(),
        body: f.body.replace("\r\n", "\n").trim_end().to_owned(),
    };
    let result = state
        .store
        .conversations()
        .set_template(user.workspace_id, score, &language, &template)
        .await
        .map(|_| {
            format!(
                "message template for score {score} ({}) set",
                lang_name(&language)
            )
        });
    after(
        &state,
        user.workspace_id,
        &user.email,
        language,
        score,
        result,
    )
    .await
}

pub async fn reset(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Query(q): Query<LanguageQuery>,
) -> Response {
    let Some(score) = score_of(&raw) else {
        return PageError(StatusCode::NOT_FOUND, "There is no such score.").into_response();
    };
    let language = language_of(&q);
    let result = state
        .store
        .conversations()
        .reset_template(user.workspace_id, score, &language)
        .await
        .map(|()| {
            format!(
                "message template for score {score} ({}) reset",
                lang_name(&language)
            )
        });
    after(
        &state,
        user.workspace_id,
        &user.email,
        language,
        score,
        result,
    )
    .await
}

fn lang_name(language: &str) -> &str {
    if language.is_empty() {
        "every language"
    } else {
        language
    }
}
