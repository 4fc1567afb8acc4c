//! Editing and resetting the playbook of a score (`/settings/playbooks/{score}`).

use super::{answer, language_of, outcome, LanguageParam};
use crate::api::replace::{audited, changes};
use crate::pages::signin::RequireSignIn;
use crate::pages::PageError;
use crate::state::AppState;
use advocate_core::{Language, Priority, Score};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct PlaybookForm {
    steps: String,
    priority: Option<String>,
}

fn score_of(raw: &str) -> Result<Score, PageError> {
    raw.parse::<i64>()
        .ok()
        .and_then(|s| Score::new(s).ok())
        .ok_or(PageError(StatusCode::NOT_FOUND, "There is no such score."))
}

pub async fn save_playbook(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Query(q): Query<LanguageParam>,
    Form(f): Form<PlaybookForm>,
) -> Response {
    let score = match score_of(&raw) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let language = language_of(q.language.as_deref());
    // One step per line; blank lines are only spacing.
    let steps: Vec<String> = f
        .steps
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let priority = match f.priority.as_deref().filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => Priority::parse(p)
            .map(Some)
            .ok_or_else(|| format!("unknown priority {p:?}")),
    };
    let before = playbook_of(&state, user.workspace_id, score, language.as_ref()).await;
    let result = match priority {
        Ok(priority) => match outcome(
            state
                .store
                .settings()
                .set_playbook(
                    user.workspace_id,
                    score,
                    language.as_ref(),
                    &steps,
                    priority,
                )
                .await,
        ) {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        },
        Err(m) => Err(m),
    };
    let result = result.map_err(|m| format!("Playbook for score {}: {m}", score.value()));
    let anchor = format!("playbook-{}", score.value());
    let ok = result.is_ok();
    let response = answer(&state, &user, language.as_ref(), &anchor, None, result).await;
    let after = playbook_of(&state, user.workspace_id, score, language.as_ref()).await;
    match (ok, before, after) {
        (true, Some(before), Some(after)) => audited(changes(&before, &after), response),
        _ => response,
    }
}

/// A score's playbook as the audit log compares it (steps and priority).
async fn playbook_of(
    state: &AppState,
    ws: i64,
    score: Score,
    language: Option<&Language>,
) -> Option<serde_json::Value> {
    let p = state
        .store
        .settings()
        .playbooks(ws, language)
        .await
        .ok()?
        .into_iter()
        .find(|p| p.score == score.value())?;
    Some(serde_json::json!({"steps": p.steps, "priority": p.priority}))
}

pub async fn reset_playbook(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Query(q): Query<LanguageParam>,
) -> Response {
    let score = match score_of(&raw) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let language = language_of(q.language.as_deref());
    let result = match outcome(
        state
            .store
            .settings()
            .reset_playbook(user.workspace_id, score, language.as_ref())
            .await,
    ) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let anchor = format!("playbook-{}", score.value());
    answer(&state, &user, language.as_ref(), &anchor, None, result).await
}
