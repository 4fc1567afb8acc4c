//! Outbox status: `GET /api/v1/outbox` (counts and a page of messages in one status),
//! `GET /api/v1/outbox/{id}` (with every attempt), `POST /api/v1/outbox/{id}/redrive`
//! and `POST /api/v1/outbox/redrive-dead`.

use super::values::{MessageKind, OutboxStatus};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::Configure;
use advocate_store::delivery::outbox as store;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list, show, redrive, redrive_dead),
    components(schemas(OutboxPage, OutboxDetail, OutboxCounts, OutboxMessage, OutboxAttempt, Redriven)),
    tags((name = "outbox", description = "Every email, chat alert and webhook Advocate sends, \
        with each attempt; dead letters can be re-driven."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/outbox", Key(Configure), list)
        .post("/api/v1/outbox/redrive-dead", Key(Configure), redrive_dead)
        .get("/api/v1/outbox/{id}", Key(Configure), show)
        .post("/api/v1/outbox/{id}/redrive", Key(Configure), redrive)
}

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// pending (default), delivered or dead.
    pub status: Option<String>,
    /// At most this many messages (1–500, default 50).
    pub limit: Option<String>,
    /// Only messages with an id below this one (the last id of the previous page).
    pub before: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxPage {
    pub counts: OutboxCounts,
    pub status: OutboxStatus,
    /// Newest first.
    pub messages: Vec<OutboxMessage>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<i64>,
}

/// A message with every delivery attempt. The list's `attempts` count is `failed_attempts`
/// here: `attempts` is the history (flattening the message gave two `attempts` keys).
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxDetail {
    pub id: i64,
    pub workspace_id: i64,
    pub kind: MessageKind,
    /// What caused it, e.g. `case.created`.
    pub event: String,
    /// Email address or URL it goes to.
    pub target: String,
    pub endpoint_id: Option<i64>,
    /// The exact body that is sent (and, for webhooks, signed); for a `secret` message,
    /// only its sender, recipient and subject, the text replaced by a redaction notice.
    pub payload: String,
    /// Carries a sign-in link only its recipient may read: never shown, only delivered.
    pub secret: bool,
    /// Sent with every attempt, the same on every retry, so receivers can drop repeats.
    pub idempotency_key: String,
    pub status: OutboxStatus,
    /// Failed attempts so far (reset by a re-drive).
    pub failed_attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempts: Vec<OutboxAttempt>,
}

impl OutboxDetail {
    fn new(m: store::OutboxMessage, attempts: Vec<store::OutboxAttempt>) -> Self {
        Self {
            id: m.id,
            workspace_id: m.workspace_id,
            kind: m.kind.into(),
            event: m.event,
            target: m.target,
            endpoint_id: m.endpoint_id,
            payload: m.payload,
            secret: m.secret,
            idempotency_key: m.idempotency_key,
            status: m.status.into(),
            failed_attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            created_at: m.created_at,
            delivered_at: m.delivered_at,
            attempts: attempts.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Redriven {
    /// How many messages were queued again.
    pub redriven: u64,
}

fn number(name: &str, raw: Option<&str>) -> ApiResult<Option<i64>> {
    raw.map(|r| {
        r.parse::<i64>().map_err(|_| {
            ApiError::unprocessable(format!("{name} must be a whole number; got {r:?}"))
        })
    })
    .transpose()
}

#[utoipa::path(get, path = "/api/v1/outbox", operation_id = "listOutbox", tag = "outbox", params(ListParams),
    security(("api_key" = [])),
    responses((status = 200, body = OutboxPage),
              (status = 422, description = "bad status, limit or before", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<OutboxPage>> {
    let status = match q.status.as_deref() {
        None => store::OutboxStatus::Pending,
        Some(s) => store::OutboxStatus::parse(s).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "status must be pending, delivered or dead; got {s:?}"
            ))
        })?,
    };
    let limit = number("limit", q.limit.as_deref())?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::unprocessable(format!(
            "limit must be from 1 to {MAX_LIMIT}; got {limit}"
        )));
    }
    let before = number("before", q.before.as_deref())?;
    let ws = caller.workspace_id;
    let messages = state
        .store
        .outbox()
        .messages(ws, status, false, limit, before)
        .await?;
    let next_before = (messages.len() as i64 == limit)
        .then(|| messages.last().map(|m| m.id))
        .flatten();
    Ok(Json(OutboxPage {
        counts: state.store.outbox().counts(ws).await?.into(),
        status: status.into(),
        messages: messages.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

fn message_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no message {raw:?}")))
}

#[utoipa::path(get, path = "/api/v1/outbox/{id}", operation_id = "getOutboxMessage", tag = "outbox", params(("id" = i64, Path)),
    security(("api_key" = [])),
    responses((status = 200, body = OutboxDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<OutboxDetail>> {
    let id = message_id(&id)?;
    let (message, attempts) = state
        .store
        .outbox()
        .message(caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no message {id}")))?;
    Ok(Json(OutboxDetail::new(message, attempts)))
}

#[utoipa::path(post, path = "/api/v1/outbox/{id}/redrive", operation_id = "redriveMessage", tag = "outbox", params(("id" = i64, Path)),
    security(("api_key" = [])),
    responses((status = 200, description = "queued again now, with a fresh attempt budget", body = OutboxMessage),
              (status = 404, body = Problem),
              (status = 409, description = "already delivered", body = Problem)))]
pub async fn redrive(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<OutboxMessage>> {
    let id = message_id(&id)?;
    Ok(Json(
        state
            .store
            .outbox()
            .redrive(caller.workspace_id, id)
            .await?
            .into(),
    ))
}

#[utoipa::path(post, path = "/api/v1/outbox/redrive-dead", operation_id = "redriveDeadMessages", tag = "outbox",
    security(("api_key" = [])),
    responses((status = 200, description = "every dead message queued again", body = Redriven)))]
pub async fn redrive_dead(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Redriven>> {
    Ok(Json(Redriven {
        redriven: state
            .store
            .outbox()
            .redrive_dead(caller.workspace_id)
            .await?,
    }))
}

/// One queued message, as workers, the API and the outbox page see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: i64,
    pub workspace_id: i64,
    pub kind: MessageKind,
    /// What caused it, e.g. `case.created`.
    pub event: String,
    /// Email address or URL it goes to.
    pub target: String,
    pub endpoint_id: Option<i64>,
    /// The exact body that is sent (and, for webhooks, signed); for a `secret` message,
    /// only its sender, recipient and subject, the text replaced by a redaction notice.
    pub payload: String,
    /// Carries a sign-in link (password reset, invitation to join) that only its
    /// recipient may read: never shown, only delivered.
    pub secret: bool,
    /// Sent with every attempt, the same on every retry, so receivers can drop repeats.
    pub idempotency_key: String,
    pub status: OutboxStatus,
    /// Failed attempts so far (reset by a re-drive).
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<store::OutboxMessage> for OutboxMessage {
    fn from(x: store::OutboxMessage) -> Self {
        Self {
            id: x.id,
            workspace_id: x.workspace_id,
            kind: x.kind.into(),
            event: x.event,
            target: x.target,
            endpoint_id: x.endpoint_id,
            payload: x.payload,
            secret: x.secret,
            idempotency_key: x.idempotency_key,
            status: x.status.into(),
            attempts: x.attempts,
            next_attempt_at: x.next_attempt_at,
            last_error: x.last_error,
            created_at: x.created_at,
            delivered_at: x.delivered_at,
        }
    }
}

/// One delivery attempt, successful or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxAttempt {
    pub id: i64,
    pub attempted_at: DateTime<Utc>,
    pub ok: bool,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl From<store::OutboxAttempt> for OutboxAttempt {
    fn from(x: store::OutboxAttempt) -> Self {
        Self {
            id: x.id,
            attempted_at: x.attempted_at,
            ok: x.ok,
            error: x.error,
            duration_ms: x.duration_ms,
        }
    }
}

/// How many messages of a workspace are in each status.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxCounts {
    pub pending: i64,
    /// Pending messages that have failed at least once (retrying).
    pub retrying: i64,
    pub delivered: i64,
    pub dead: i64,
}

impl From<store::OutboxCounts> for OutboxCounts {
    fn from(x: store::OutboxCounts) -> Self {
        Self {
            pending: x.pending,
            retrying: x.retrying,
            delivered: x.delivered,
            dead: x.dead,
        }
    }
}
