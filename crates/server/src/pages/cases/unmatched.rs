//! Mail that matched no case (`/cases/unmatched`): what it says and why it matched none;
//! an admin assigns each to a case (it then counts as the customer's message there) or
//! dismisses it.

use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, when, PageError};
use crate::state::AppState;
use advocate_store::closed_loop::conversation::UnmatchedMail;
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

pub struct Row {
    pub id: i64,
    pub kind: &'static str,
    pub reason: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attachments: usize,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases_unmatched.html")]
pub struct UnmatchedPage {
    pub workspace: String,
    pub user: String,
    pub rows: Vec<Row>,
    pub error: Option<String>,
}

fn row(m: UnmatchedMail) -> Row {
    Row {
        id: m.id,
        kind: match m.nature.as_str() {
            "auto_reply" => "Automatic reply",
            "bounce" => "Bounce",
            _ => "Reply",
        },
        reason: m.reason.unwrap_or_default(),
        from: m.from_address,
        to: m.to_address,
        subject: m.subject,
        body: m.body.chars().take(2000).collect(),
        attachments: m.attachments.len(),
        at: when(m.received_at),
    }
}

async fn page(
    state: &AppState,
    workspace_id: i64,
    user: &str,
    error: Option<String>,
) -> Result<UnmatchedPage, PageError> {
    let workspace = crate::pages::workspace_of(state, workspace_id).await?.name;
    let rows = state
        .store
        .conversations()
        .unmatched(workspace_id)
        .await
        .map_err(internal)?;
    Ok(UnmatchedPage {
        workspace,
        user: user.to_owned(),
        rows: rows.into_iter().map(row).collect(),
        error,
    })
}

pub async fn list(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
) -> Result<UnmatchedPage, PageError> {
    page(&state, user.workspace_id, &user.email, None).await
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    case_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Response {
    let refuse = |msg: String| {
        let state = state.clone();
        let user = user.clone();
        async move {
            match page(&state, user.workspace_id, &user.email, Some(msg)).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
    };
    let Ok(id) = id.parse::<i64>() else {
        return refuse("There is no such unmatched message.".into()).await;
    };
    let Ok(case_id) = f.case_id.trim().trim_start_matches('#').parse::<i64>() else {
        return refuse(format!("{:?} is not a case number.", f.case_id)).await;
    };
    match state
        .store
        .conversations()
        .assign(user.workspace_id, id, case_id, &user.email)
        .await
    {
        Ok(m) => Redirect::to(&format!("/cases/{case_id}#message-{}", m.id)).into_response(),
        Err(StoreError::NotFound(msg) | StoreError::Invalid(msg)) => {
            refuse(format!("Not assigned: {msg}.")).await
        }
        Err(e) => internal(e).into_response(),
    }
}

pub async fn dismiss(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(id): Path<String>,
) -> Response {
    const NO_SUCH: PageError = PageError(
        StatusCode::NOT_FOUND,
        "There is no such unmatched message (already assigned or dismissed?).",
    );
    let Ok(id) = id.parse::<i64>() else {
        return NO_SUCH.into_response();
    };
    match state
        .store
        .conversations()
        .dismiss(user.workspace_id, id, &user.email)
        .await
    {
        Ok(()) => Redirect::to("/cases/unmatched").into_response(),
        Err(StoreError::NotFound(_)) => NO_SUCH.into_response(),
        Err(e) => internal(e).into_response(),
    }
}
