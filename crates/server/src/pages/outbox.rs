//! The outbox page (`/outbox`): how many messages wait, were delivered or died; the dead
//! letters and the messages being retried with their last error; one message with every
//! attempt (`/outbox/{id}`); and forms to re-drive one message or every dead one.

use super::signin::RequireSignIn;
use super::{internal, PageError};
use crate::access::Access::Person;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::Configure;
use advocate_store::delivery::outbox::{OutboxAttempt, OutboxCounts, OutboxMessage, OutboxStatus};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};

/// Rows shown in each list on the page.
const SHOWN: i64 = 50;

pub fn routes() -> Routes {
    Routes::new()
        .get("/outbox", Person(Configure), show)
        .post("/outbox/redrive-dead", Person(Configure), redrive_dead)
        .get("/outbox/{id}", Person(Configure), detail)
        .post("/outbox/{id}/redrive", Person(Configure), redrive)
}

/// One message as a row of the page.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub kind: &'static str,
    pub event: String,
    pub target: String,
    pub status: &'static str,
    pub attempts: i64,
    pub last_error: String,
    pub created: String,
    pub next_attempt: String,
    pub delivered: String,
    pub can_redrive: bool,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

impl From<&OutboxMessage> for Row {
    fn from(m: &OutboxMessage) -> Self {
        Self {
            id: m.id,
            kind: m.kind.as_str(),
            event: m.event.clone(),
            target: m.target.clone(),
            status: m.status.as_str(),
            attempts: m.attempts,
            last_error: m.last_error.clone().unwrap_or_default(),
            created: when(m.created_at),
            next_attempt: when(m.next_attempt_at),
            delivered: m.delivered_at.map(when).unwrap_or_default(),
            can_redrive: m.status != OutboxStatus::Delivered,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub at: String,
    pub ok: bool,
    pub error: String,
    pub duration_ms: i64,
}

impl From<&OutboxAttempt> for AttemptRow {
    fn from(a: &OutboxAttempt) -> Self {
        Self {
            at: when(a.attempted_at),
            ok: a.ok,
            error: a.error.clone().unwrap_or_default(),
            duration_ms: a.duration_ms,
        }
    }
}

#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    pub workspace: String,
    pub user: String,
    pub counts: OutboxCounts,
    pub dead: Vec<Row>,
    pub retrying: Vec<Row>,
}

#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "outbox_message.html")]
pub struct OutboxMessagePage {
    pub workspace: String,
    pub user: String,
    pub message: Row,
    pub idempotency_key: String,
    pub payload: String,
    /// A sign-in link only its recipient may read: the payload shown is redacted.
    pub secret: bool,
    pub attempts: Vec<AttemptRow>,
}

const NO_MESSAGE: PageError = PageError(StatusCode::NOT_FOUND, "No such message.");

async fn show(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
) -> Result<OutboxPage, PageError> {
    let ws = who.workspace_id;
    let store = &state.store;
    let rows = |v: Vec<OutboxMessage>| v.iter().map(Row::from).collect::<Vec<_>>();
    Ok(OutboxPage {
        workspace: super::workspace_of(&state, ws).await?.name,
        user: who.email,
        counts: store.outbox().counts(ws).await.map_err(internal)?,
        dead: rows(
            store
                .outbox()
                .messages(ws, OutboxStatus::Dead, false, SHOWN, None)
                .await
                .map_err(internal)?,
        ),
        retrying: rows(
            store
                .outbox()
                .messages(ws, OutboxStatus::Pending, true, SHOWN, None)
                .await
                .map_err(internal)?,
        ),
    })
}

async fn detail(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
) -> Result<OutboxMessagePage, PageError> {
    let id: i64 = id.parse().map_err(|_| NO_MESSAGE)?;
    let (message, attempts) = state
        .store
        .outbox()
        .message(who.workspace_id, id)
        .await
        .map_err(internal)?
        .ok_or(NO_MESSAGE)?;
    // Pretty-print JSON payloads for reading; the stored bytes are what is sent.
    let payload = serde_json::from_str::<serde_json::Value>(&message.payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| message.payload.clone());
    Ok(OutboxMessagePage {
        workspace: super::workspace_of(&state, who.workspace_id).await?.name,
        user: who.email,
        message: Row::from(&message),
        idempotency_key: message.idempotency_key.clone(),
        payload,
        secret: message.secret,
        attempts: attempts.iter().map(AttemptRow::from).collect(),
    })
}

async fn redrive(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return NO_MESSAGE.into_response();
    };
    match state.store.outbox().redrive(who.workspace_id, id).await {
        Ok(_) => Redirect::to(&format!("/outbox/{id}")).into_response(),
        Err(StoreError::NotFound(_)) => NO_MESSAGE.into_response(),
        Err(StoreError::Conflict(_)) => PageError(
            StatusCode::CONFLICT,
            "This message was already delivered; it is not sent twice.",
        )
        .into_response(),
        Err(e) => internal(e).into_response(),
    }
}

async fn redrive_dead(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
) -> Response {
    match state.store.outbox().redrive_dead(who.workspace_id).await {
        Ok(_) => Redirect::to("/outbox").into_response(),
        Err(e) => internal(e).into_response(),
    }
}
