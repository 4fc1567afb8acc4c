//! The message templates agents start from (`/settings/templates`): one per score and,
//! optionally, one per step of the score's playbook, for every language or one; saving
//! makes it the workspace's, resetting goes back to the built-in (or every-language) text.

use crate::api::replace::audited;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::conversation::templates::{default_step_template, MessageTemplate};
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
    /// Each score's playbook steps with the template an agent at that step starts from.
    pub steps: Vec<StepTemplate>,
    pub error: Option<String>,
}

/// One playbook step and the text an agent at it starts from.
pub struct StepTemplate {
    pub score: u8,
    /// From 1.
    pub step: u8,
    pub text: String,
    /// `workspace`, `built-in` (a step Advocate has a text for) or `score` (none of its
    /// own: the score's template).
    pub source: &'static str,
    pub subject: String,
    pub body: String,
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

    fn steps_of(&self, score: &u8) -> Vec<&StepTemplate> {
        self.steps.iter().filter(|s| s.score == *score).collect()
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
    let steps = step_templates(state, workspace_id, &language, &rows).await?;
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
        steps,
        error,
    })
}

/// Every step of every score's playbook in `language` with its template: the
/// workspace's, else the built-in one for such a step, else the score's.
async fn step_templates(
    state: &AppState,
    workspace_id: i64,
    language: &str,
    scores: &[TemplateRow],
) -> Result<Vec<StepTemplate>, PageError> {
    let lang = advocate_core::Language::new(language).ok();
    let playbooks = state
        .store
        .settings()
        .playbooks(workspace_id, lang.as_ref())
        .await
        .map_err(internal)?;
    let own = state
        .store
        .conversations()
        .step_templates(workspace_id, language)
        .await
        .map_err(internal)?;
    let text_language = if language.is_empty() { "en" } else { language };
    let mut out = Vec::new();
    for p in playbooks {
        for (i, text) in p.steps.iter().enumerate() {
            let Ok(step) = u8::try_from(i + 1) else { break };
            let (source, t) =
                if let Some(r) = own.iter().find(|r| r.score == p.score && r.step == step) {
                    (
                        "workspace",
                        MessageTemplate {
                            subject: r.subject.clone(),
                            body: r.body.clone(),
                        },
                    )
                } else if let Some(t) = default_step_template(text, text_language) {
                    ("built-in", t)
                } else {
                    let r = &scores[usize::from(p.score)];
                    (
                        "score",
                        MessageTemplate {
                            subject: r.subject.clone(),
                            body: r.body.clone(),
                        },
                    )
                };
            out.push(StepTemplate {
                score: p.score,
                step,
                text: text.clone(),
                source,
                subject: t.subject,
                body: t.body,
            });
        }
    }
    Ok(out)
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
    /// 0 or absent: the score's template; n: its playbook's n-th step.
    #[serde(default)]
    step: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    step: Option<String>,
}

/// The step a form names; `None` for one that is not a step.
fn step_of(raw: Option<&str>) -> Option<u8> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(0),
        Some(s) => s
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= advocate_store::closed_loop::conversation::MAX_TEMPLATE_STEP),
    }
}

/// How a change names what it changed: "score 3" or "step 2 of score 3".
fn what(score: u8, step: u8) -> String {
    match step {
        0 => format!("score {score}"),
        n => format!("step {n} of score {score}"),
    }
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
    (score, step): (u8, u8),
    result: Result<String, StoreError>,
) -> Response {
    let anchor = match step {
        0 => format!("template-{score}"),
        n => format!("template-{score}-{n}"),
    };
    match result {
        Ok(detail) => {
            let query = if language.is_empty() {
                String::new()
            } else {
                format!("?language={language}")
            };
            audited(
                detail,
                Redirect::to(&format!("/settings/templates{query}#{anchor}")),
            )
        }
        Err(StoreError::Invalid(m) | StoreError::NotFound(m)) => {
            match page(
                state,
                workspace_id,
                user,
                language,
                Some(format!("{}: {m}", capitalised(&what(score, step)))),
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
    let (Some(score), Some(step)) = (score_of(&raw), step_of(f.step.as_deref())) else {
        return PageError(StatusCode::NOT_FOUND, "There is no such score or step.").into_response();
    };
    let language = language_of(&q);
    let template = MessageTemplate {
        subject: f.subject.trim().to_owned(),
        body: f.body.replace("\r\n", "\n").trim_end().to_owned(),
    };
    let result = state
        .store
        .conversations()
        .set_template(user.workspace_id, score, step, &language, &template)
        .await
        .map(|_| {
            format!(
                "message template for {} ({}) set",
                what(score, step),
                lang_name(&language)
            )
        });
    after(
        &state,
        user.workspace_id,
        &user.email,
        language,
        (score, step),
        result,
    )
    .await
}

pub async fn reset(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Query(q): Query<LanguageQuery>,
    Form(f): Form<StepForm>,
) -> Response {
    let (Some(score), Some(step)) = (score_of(&raw), step_of(f.step.as_deref())) else {
        return PageError(StatusCode::NOT_FOUND, "There is no such score or step.").into_response();
    };
    let language = language_of(&q);
    let result = state
        .store
        .conversations()
        .reset_template(user.workspace_id, score, step, &language)
        .await
        .map(|()| {
            format!(
                "message template for {} ({}) reset",
                what(score, step),
                lang_name(&language)
            )
        });
    after(
        &state,
        user.workspace_id,
        &user.email,
        language,
        (score, step),
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

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
