//! The forms that change a case (`POST /cases/{id}`, `/steps`, `/notes`): each redirects
//! back to the case, or shows it again with what was refused.

use super::page::case_page;
use super::{parse_id, visible, NO_SUCH_CASE};
use crate::auth::SignedIn;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::case::{CaseStatus, CaseUpdate, Outcome};
use advocate_store::StoreError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// The case a form names, once the person may change it: an agent's change to a case
/// that is not theirs is refused as if the case did not exist. Only agents' cases are
/// read here; for everyone else the change itself finds out whether the case exists.
async fn case_to_change(state: &AppState, user: &SignedIn, raw: &str) -> Result<i64, PageError> {
    let id = parse_id(raw)?;
    if user.sees_only_own() {
        match state
            .store
            .cases()
            .get(user.workspace_id, id)
            .await
            .map_err(internal)?
        {
            Some(d) if visible(user, &d.case) => {}
            _ => return Err(NO_SUCH_CASE),
        }
    }
    Ok(id)
}

/// After a change: back to the case (303), or the case again with what was refused.
async fn answer(
    state: &AppState,
    user: &SignedIn,
    id: i64,
    result: Result<(), StoreError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(StoreError::NotFound(_)) => NO_SUCH_CASE.into_response(),
        Err(StoreError::Invalid(msg) | StoreError::Conflict(msg)) => {
            let workspace = match crate::pages::workspace_of(state, user.workspace_id).await {
                Ok(w) => w.name,
                Err(e) => return e.into_response(),
            };
            match state.store.cases().get(user.workspace_id, id).await {
                Ok(Some(d)) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    case_page(workspace, user, d, Some(msg)),
                )
                    .into_response(),
                Ok(None) => NO_SUCH_CASE.into_response(),
                Err(e) => internal(e).into_response(),
            }
        }
        Err(e) => internal(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct UpdateForm {
    status: Option<String>,
    outcome: Option<String>,
    compensation: Option<String>,
    assignee: Option<String>,
}

/// The case form: only what differs from the case as stored is sent on as a change, so
/// saving an untouched form is harmless.
pub async fn update(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<UpdateForm>,
) -> Response {
    let id = match parse_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    // One read: the case as stored, which also says whether this person may change it.
    let current = match state.store.cases().get(user.workspace_id, id).await {
        Ok(Some(d)) if visible(&user, &d.case) => d.case,
        Ok(_) => return NO_SUCH_CASE.into_response(),
        Err(e) => return internal(e).into_response(),
    };
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match CaseStatus::parse(s) {
            Some(s) => Some(s).filter(|s| *s != current.status),
            None => {
                let err = StoreError::Invalid(format!("unknown status {s:?}"));
                return answer(&state, &user, id, Err(err)).await;
            }
        },
    };
    let outcome = match f.outcome.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(o) => match Outcome::parse(o) {
            Some(o) => Some(o).filter(|o| Some(*o) != current.outcome || status.is_some()),
            None => {
                let err = StoreError::Invalid(format!("unknown outcome {o:?}"));
                return answer(&state, &user, id, Err(err)).await;
            }
        },
    };
    // Leaving an outcome chosen while moving away from resolved is not a change of it.
    let outcome = outcome.filter(|_| status.unwrap_or(current.status) == CaseStatus::Resolved);
    let compensation = f
        .compensation
        .map(|c| c.trim().to_owned())
        .filter(|c| *c != current.compensation.clone().unwrap_or_default());
    let assignee = f
        .assignee
        .map(|a| a.trim().to_owned())
        .filter(|a| *a != current.assignee);
    let change = CaseUpdate {
        status,
        outcome,
        compensation,
        assignee,
        steps: Vec::new(),
    };
    if change.is_empty() {
        return Redirect::to(&format!("/cases/{id}")).into_response();
    }
    let result = state
        .store
        .cases()
        .update(user.workspace_id, id, &change, &user.email)
        .await
        .map(|_| ());
    answer(&state, &user, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct StepForm {
    position: String,
    done: String,
}

pub async fn tick(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let id = match case_to_change(&state, &user, &raw).await {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let result = match f.position.parse::<i64>() {
        Ok(position) => {
            let change = CaseUpdate {
                steps: vec![(position, f.done == "1")],
                ..Default::default()
            };
            state
                .store
                .cases()
                .update(user.workspace_id, id, &change, &user.email)
                .await
                .map(|_| ())
        }
        Err(_) => Err(StoreError::Invalid(format!(
            "step position must be a number; got {:?}",
            f.position
        ))),
    };
    answer(&state, &user, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    body: String,
}

pub async fn note(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let id = match case_to_change(&state, &user, &raw).await {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let result = state
        .store
        .cases()
        .add_note(user.workspace_id, id, &user.email, &f.body)
        .await
        .map(|_| ());
    answer(&state, &user, id, result).await
}
