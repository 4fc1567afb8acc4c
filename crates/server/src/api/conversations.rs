//! The conversation on a case: `GET/POST /api/v1/cases/{id}/messages`, the draft an agent
//! starts from, writing about an answer that has no case yet (`/api/v1/answers/{id}/…`), the unmatched list, the inbound endpoint for raw email, and the message
//! templates.

use super::cases::{actor, reachable_case};
use super::json::ApiJson;
use crate::access::Access::{Key, Own};
use crate::auth::ApiCaller;
use crate::conversation::{self, ReceiveError};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::conversation::inbound::MAX_INBOUND_BYTES;
use advocate_core::conversation::templates::MessageTemplate;
use advocate_core::Permission::{Configure, Ingest, ReadCases, WorkCases};
use advocate_store::closed_loop::cases::AnswerToFollowUp;
use advocate_store::closed_loop::conversation::{self as store, InboundSource, Received};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list_messages, send_message, draft, answer_draft, send_about_answer, receive_email,
        unmatched, assign, dismiss, templates, set_template, reset_template),
    components(schemas(CaseMessage, Attachment, RawEmail, NewMessage, Draft, AnswerDraft,
        InboundResult, UnmatchedMail,
        Assignment, MessageTemplateBody, TemplateRow)),
    tags((name = "conversation", description = "Writing to the customer from a case and hearing \
        them back. Each email carries a Reply-To unique to its case and threading headers; \
        replies arrive through the installation's IMAP mailbox or `POST /api/v1/inbound/email`, \
        are matched to their case (by the reply address, else by In-Reply-To/References) and \
        shown as the customer's message. A person's reply reopens a resolved case; a closed \
        case stays closed with a note. An answer without a case (a passive or promoter, say) \
        is written about through `POST /api/v1/answers/{id}/messages`, which opens its case \
        first. Automatic replies and bounces are recorded but do not \
        count as the customer answering. What matches no case waits in the unmatched list."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/cases/{id}/messages", Own(ReadCases), list_messages)
        .post("/api/v1/cases/{id}/messages", Own(WorkCases), send_message)
        .get("/api/v1/cases/{id}/draft", Own(ReadCases), draft)
        .get("/api/v1/answers/{id}/draft", Own(ReadCases), answer_draft)
        .post(
            "/api/v1/answers/{id}/messages",
            Own(WorkCases),
            send_about_answer,
        )
        .post("/api/v1/inbound/email", Key(Ingest), receive_email)
        .get("/api/v1/inbound/unmatched", Key(Configure), unmatched)
        .post(
            "/api/v1/inbound/unmatched/{id}/assign",
            Key(Configure),
            assign,
        )
        .post(
            "/api/v1/inbound/unmatched/{id}/dismiss",
            Key(Configure),
            dismiss,
        )
        .get("/api/v1/message-templates", Own(ReadCases), templates)
        .put(
            "/api/v1/message-templates/{score}/{language}",
            Key(Configure),
            set_template,
        )
        .delete(
            "/api/v1/message-templates/{score}/{language}",
            Key(Configure),
            reset_template,
        )
}

/// An attachment of an inbound message: listed, not kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

fn attachments(list: Vec<advocate_core::conversation::inbound::Attachment>) -> Vec<Attachment> {
    list.into_iter()
        .map(|a| Attachment {
            name: a.name,
            content_type: a.content_type,
            size: a.size,
        })
        .collect()
}

/// One email on a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseMessage {
    pub id: i64,
    pub case_id: i64,
    /// `out`: written by an agent; `in`: from the customer's side.
    pub direction: String,
    /// `message` (an agent's), `reply` (a person's), `auto_reply` or `bounce`.
    pub nature: String,
    pub author: String,
    pub from_address: String,
    pub to_address: String,
    pub subject: String,
    /// The text; for a reply, without the quoted earlier message.
    pub body: String,
    /// RFC 5322 Message-ID without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub attachments: Vec<Attachment>,
    /// For an agent's message: `pending`, `delivered` or `dead` (see the outbox).
    pub delivery: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<store::CaseMessage> for CaseMessage {
    fn from(x: store::CaseMessage) -> Self {
        Self {
            id: x.id,
            case_id: x.case_id,
            direction: x.direction.as_str().to_owned(),
            nature: x.nature,
            author: x.author,
            from_address: x.from_address,
            to_address: x.to_address,
            subject: x.subject,
            body: x.body,
            message_id: x.message_id,
            in_reply_to: x.in_reply_to,
            attachments: attachments(x.attachments),
            delivery: x.delivery,
            created_at: x.created_at,
        }
    }
}

/// An email to the customer of a case. Leave `subject` or `body` out to use the case's
/// template (its score, playbook step and the customer's language).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub subject: Option<String>,
    pub body: Option<String>,
    /// Whose template fills what is left out: 0 the score's, n the case's n-th playbook
    /// step (from 1); left out, the first step not yet done.
    pub step: Option<u8>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DraftQuery {
    /// 0: the score's template; n: the case's n-th playbook step (from 1). Default: the
    /// first step not yet done.
    pub step: Option<String>,
}

/// The text an agent starts from: the template for the case's score and playbook step in
/// the customer's language, filled in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Draft {
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
    /// The playbook step (from 1) the draft is written for; absent for the score's own.
    pub step: Option<u8>,
}

async fn draft_for(
    state: &AppState,
    caller: &ApiCaller,
    id: i64,
    step: Option<u8>,
    agent: &str,
) -> ApiResult<Draft> {
    let detail = state
        .store
        .cases()
        .get(caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no case {id}")))?;
    let t = conversation::draft(&state.store, caller.workspace_id, &detail, step, agent).await?;
    Ok(Draft {
        step: conversation::step_of(&detail, step).map(|s| s.position),
        to: detail.contact.and_then(|c| c.email),
        subject: t.subject,
        body: t.body,
    })
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/messages", operation_id = "listCaseMessages",
    tag = "conversation", params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = Vec<CaseMessage>), (status = 404, body = Problem)))]
pub async fn list_messages(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<CaseMessage>>> {
    let id = reachable_case(&state, &caller, &id).await?;
    let list = state
        .store
        .conversations()
        .messages(caller.workspace_id, id)
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/draft", operation_id = "getCaseDraft",
    tag = "conversation", params(("id" = i64, Path), DraftQuery), security(("api_key" = [])),
    responses((status = 200, body = Draft), (status = 404, body = Problem)))]
pub async fn draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<DraftQuery>,
) -> ApiResult<Json<Draft>> {
    let id = reachable_case(&state, &caller, &id).await?;
    let agent = actor(&state, &caller).await?;
    let step = match q.step {
        Some(raw) => Some(step_of(&StepQuery { step: Some(raw) })?),
        None => None,
    };
    Ok(Json(draft_for(&state, &caller, id, step, &agent).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/messages", operation_id = "sendCaseMessage",
    tag = "conversation", params(("id" = i64, Path)), request_body = NewMessage,
    security(("api_key" = [])),
    responses((status = 201, body = CaseMessage), (status = 404, body = Problem),
        (status = 422, description = "empty or too long text, or a customer without an email address", body = Problem)))]
pub async fn send_message(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<NewMessage>,
) -> ApiResult<(StatusCode, Json<CaseMessage>)> {
    let id = reachable_case(&state, &caller, &id).await?;
    let by = actor(&state, &caller).await?;
    let NewMessage {
        subject,
        body,
        step,
    } = body.value;
    let (subject, body) = match (subject, body) {
        (Some(s), Some(b)) => (s, b),
        (s, b) => {
            let d = draft_for(&state, &caller, id, step, &by).await?;
            (s.unwrap_or(d.subject), b.unwrap_or(d.body))
        }
    };
    let msg = conversation::send(&state, caller.workspace_id, id, &by, &subject, &body).await?;
    Ok((StatusCode::CREATED, Json(msg.into())))
}

/// The text to write to the customer about an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerDraft {
    /// The answer's case, when it has one: the draft is then that case's (as `GET
    /// /api/v1/cases/{id}/draft`). Absent: sending opens a case for the answer.
    pub case_id: Option<i64>,
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
}

/// The answer, once the caller may follow it up (agents: their own customers' answers, on
/// their own cases).
async fn reachable_answer(
    state: &AppState,
    caller: &ApiCaller,
    raw: &str,
) -> ApiResult<AnswerToFollowUp> {
    let missing = || ApiError::not_found(format!("no answer {raw:?}"));
    let id: i64 = raw.parse().map_err(|_| missing())?;
    let about =
        conversation::reachable_answer(&state.store, caller.workspace_id, id, caller.only_own())
            .await?
            .ok_or_else(missing)?;
    match about.refusal() {
        Some(why) => Err(ApiError::unprocessable(why)),
        None => Ok(about),
    }
}

async fn answer_draft_for(
    state: &AppState,
    caller: &ApiCaller,
    about: &AnswerToFollowUp,
    step: Option<u8>,
    agent: &str,
) -> ApiResult<AnswerDraft> {
    if let Some(case_id) = about.case_id {
        let d = draft_for(state, caller, case_id, step, agent).await?;
        return Ok(AnswerDraft {
            case_id: Some(case_id),
            to: d.to,
            subject: d.subject,
            body: d.body,
        });
    }
    let t =
        conversation::draft_about_answer(&state.store, caller.workspace_id, about, agent).await?;
    Ok(AnswerDraft {
        case_id: None,
        to: about.email().map(str::to_owned),
        subject: t.subject,
        body: t.body,
    })
}

#[utoipa::path(get, path = "/api/v1/answers/{id}/draft", operation_id = "getAnswerDraft",
    tag = "conversation", params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = AnswerDraft), (status = 404, body = Problem),
        (status = 422, description = "nobody to write to: an eNPS, CSAT or anonymous answer", body = Problem)))]
pub async fn answer_draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AnswerDraft>> {
    let about = reachable_answer(&state, &caller, &id).await?;
    let agent = actor(&state, &caller).await?;
    Ok(Json(
        answer_draft_for(&state, &caller, &about, None, &agent).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/answers/{id}/messages", operation_id = "sendAboutAnswer",
    tag = "conversation", params(("id" = i64, Path)), request_body = NewMessage,
    security(("api_key" = [])),
    responses((status = 201, description = "sent on the answer's case (see `case_id`), opened \
        for it when it had none: assigned to the key's person (a personal key), else as a new \
        case of the customer is", body = CaseMessage),
        (status = 404, body = Problem),
        (status = 422, description = "empty or too long text, a customer without an email \
            address, or nobody to write to (an eNPS, CSAT or anonymous answer); nothing is \
            opened", body = Problem)))]
pub async fn send_about_answer(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<NewMessage>,
) -> ApiResult<(StatusCode, Json<CaseMessage>)> {
    let about = reachable_answer(&state, &caller, &id).await?;
    let by = actor(&state, &caller).await?;
    let NewMessage {
        subject,
        body,
        step,
    } = body.value;
    let (subject, body) = match (subject, body) {
        (Some(s), Some(b)) => (s, b),
        (s, b) => {
            let d = answer_draft_for(&state, &caller, &about, step, &by).await?;
            (s.unwrap_or(d.subject), b.unwrap_or(d.body))
        }
    };
    let assign_to = caller.person.as_ref().map(|p| p.email.as_str());
    let msg = conversation::send_about_answer(
        &state,
        caller.workspace_id,
        &about,
        &by,
        assign_to,
        &subject,
        &body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(msg.into())))
}

/// One raw email, its bytes as they are.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct RawEmail(#[allow(dead_code)] Vec<u8>);

/// What became of a posted message.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundResult {
    /// `matched` (on a case), `unmatched` (in the unmatched list) or `duplicate` (taken
    /// before; nothing done).
    pub status: String,
    pub case_id: Option<i64>,
    /// Why it matched no case.
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/inbound/email", operation_id = "receiveEmail",
    tag = "conversation", security(("api_key" = [])),
    request_body(content = RawEmail, content_type = "application/octet-stream",
        description = "One raw RFC 5322 message, as a mail provider's inbound forwarding posts it (at most 10 MB). The body is read as it is whatever its Content-Type (message/rfc822, text/plain, application/octet-stream)."),
    responses((status = 202, body = InboundResult),
        (status = 413, description = "larger than 10 MB", body = Problem),
        (status = 422, description = "not an email", body = Problem)))]
pub async fn receive_email(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Body,
) -> ApiResult<(StatusCode, Json<InboundResult>)> {
    let raw = axum::body::to_bytes(body, MAX_INBOUND_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the message is larger than {} MB; nothing was recorded",
                    MAX_INBOUND_BYTES / 1_048_576
                ),
            )
        })?;
    let received = conversation::receive(
        &state.store,
        &state.reply_key,
        &raw,
        raw.len(),
        false,
        InboundSource::Api,
        Some(caller.workspace_id),
    )
    .await
    .map_err(|e| match e {
        ReceiveError::Unreadable(e) => ApiError::unprocessable(e.to_string()),
        ReceiveError::Store(e) => e.into(),
    })?;
    let result = match received {
        Received::Duplicate => InboundResult {
            status: "duplicate".into(),
            case_id: None,
            reason: None,
        },
        Received::Matched { case_id, .. } => InboundResult {
            status: "matched".into(),
            case_id: Some(case_id),
            reason: None,
        },
        Received::Unmatched { reason, .. } => InboundResult {
            status: "unmatched".into(),
            case_id: None,
            reason: Some(reason),
        },
    };
    Ok((StatusCode::ACCEPTED, Json(result)))
}

/// A message that matched no case.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedMail {
    pub id: i64,
    pub nature: String,
    pub reason: Option<String>,
    pub from_address: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub size_bytes: i64,
    pub received_at: DateTime<Utc>,
}

impl From<store::UnmatchedMail> for UnmatchedMail {
    fn from(x: store::UnmatchedMail) -> Self {
        Self {
            id: x.id,
            nature: x.nature,
            reason: x.reason,
            from_address: x.from_address,
            to_address: x.to_address,
            subject: x.subject,
            body: x.body,
            attachments: attachments(x.attachments),
            size_bytes: x.size_bytes,
            received_at: x.received_at,
        }
    }
}

fn inbound_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no unmatched message {raw:?}")))
}

#[utoipa::path(get, path = "/api/v1/inbound/unmatched", operation_id = "listUnmatchedMail",
    tag = "conversation", security(("api_key" = [])),
    responses((status = 200, body = Vec<UnmatchedMail>)))]
pub async fn unmatched(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<UnmatchedMail>>> {
    let list = state
        .store
        .conversations()
        .unmatched(caller.workspace_id)
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// The case an unmatched message belongs to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub case_id: i64,
}

#[utoipa::path(post, path = "/api/v1/inbound/unmatched/{id}/assign", operation_id = "assignUnmatchedMail",
    tag = "conversation", params(("id" = i64, Path)), request_body = Assignment,
    security(("api_key" = [])),
    responses((status = 201, body = CaseMessage), (status = 404, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<Assignment>,
) -> ApiResult<(StatusCode, Json<CaseMessage>)> {
    let id = inbound_id(&id)?;
    let by = actor(&state, &caller).await?;
    let msg = state
        .store
        .conversations()
        .assign(caller.workspace_id, id, body.value.case_id, &by)
        .await?;
    Ok((StatusCode::CREATED, Json(msg.into())))
}

#[utoipa::path(post, path = "/api/v1/inbound/unmatched/{id}/dismiss", operation_id = "dismissUnmatchedMail",
    tag = "conversation", params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn dismiss(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = inbound_id(&id)?;
    let by = actor(&state, &caller).await?;
    state
        .store
        .conversations()
        .dismiss(caller.workspace_id, id, &by)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A message template's text. Placeholders: {customer_name}, {score}, {company},
/// {agent_name}, {comment}.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplateBody {
    pub subject: String,
    pub body: String,
}

/// A template for one score (or one step of its playbook) and language.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateRow {
    pub score: u8,
    /// 0: the score's template; n: the n-th step (from 1) of the score's playbook.
    pub step: u8,
    /// `any` for the text every language without its own uses.
    pub language: String,
    pub subject: String,
    pub body: String,
    /// `built_in` or `workspace` (changed by the workspace).
    pub source: String,
}

impl From<store::TemplateRow> for TemplateRow {
    fn from(x: store::TemplateRow) -> Self {
        Self {
            score: x.score,
            step: x.step,
            language: if x.language.is_empty() {
                ANY_LANGUAGE.into()
            } else {
                x.language
            },
            subject: x.subject,
            body: x.body,
            source: match x.source {
                store::TemplateSource::BuiltIn => "built_in".into(),
                store::TemplateSource::Workspace => "workspace".into(),
            },
        }
    }
}

/// How the API names "every language" (the store's '').
const ANY_LANGUAGE: &str = "any";

fn language_of(raw: &str) -> &str {
    if raw == ANY_LANGUAGE {
        ""
    } else {
        raw
    }
}

fn score_of(raw: &str) -> ApiResult<u8> {
    raw.parse::<u8>()
        .ok()
        .filter(|s| *s <= 10)
        .ok_or_else(|| ApiError::not_found(format!("score must be 0–10; got {raw:?}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// en, nb, sv, da, fi, de, nl, or `any` (the default) for the texts every language
    /// without its own uses.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StepQuery {
    /// 0 (the default): the score's template; n: the n-th step (from 1) of its playbook.
    pub step: Option<String>,
}

fn step_of(q: &StepQuery) -> ApiResult<u8> {
    let Some(raw) = q.step.as_deref() else {
        return Ok(0);
    };
    raw.trim()
        .parse::<u8>()
        .ok()
        .filter(|n| *n <= store::MAX_TEMPLATE_STEP)
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "step must be 0 (the score's template) or a playbook step 1–{}; got {raw:?}",
                store::MAX_TEMPLATE_STEP
            ))
        })
}

#[utoipa::path(get, path = "/api/v1/message-templates", operation_id = "listMessageTemplates",
    tag = "conversation", params(TemplateQuery), security(("api_key" = [])),
    responses((status = 200, description = "each score's template, then the workspace's own \
        templates for playbook steps", body = Vec<TemplateRow>), (status = 422, body = Problem)))]
pub async fn templates(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<TemplateQuery>,
) -> ApiResult<Json<Vec<TemplateRow>>> {
    let language = q.language.as_deref().map_or("", language_of);
    let conversations = state.store.conversations();
    let mut rows = conversations
        .templates(caller.workspace_id, language)
        .await?;
    rows.extend(
        conversations
            .step_templates(caller.workspace_id, language)
            .await?,
    );
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(put, path = "/api/v1/message-templates/{score}/{language}", operation_id = "setMessageTemplate",
    tag = "conversation", params(("score" = u8, Path), ("language" = String, Path), StepQuery),
    request_body = MessageTemplateBody, security(("api_key" = [])),
    responses((status = 200, body = TemplateRow), (status = 422, body = Problem)))]
pub async fn set_template(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((score, language)): Path<(String, String)>,
    Query(q): Query<StepQuery>,
    body: ApiJson<MessageTemplateBody>,
) -> ApiResult<Json<TemplateRow>> {
    let score = score_of(&score)?;
    let step = step_of(&q)?;
    let MessageTemplateBody { subject, body } = body.value;
    let row = state
        .store
        .conversations()
        .set_template(
            caller.workspace_id,
            score,
            step,
            language_of(&language),
            &MessageTemplate { subject, body },
        )
        .await?;
    Ok(Json(row.into()))
}

#[utoipa::path(delete, path = "/api/v1/message-templates/{score}/{language}", operation_id = "resetMessageTemplate",
    tag = "conversation", params(("score" = u8, Path), ("language" = String, Path), StepQuery),
    security(("api_key" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn reset_template(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((score, language)): Path<(String, String)>,
    Query(q): Query<StepQuery>,
) -> ApiResult<StatusCode> {
    let score = score_of(&score)?;
    let step = step_of(&q)?;
    state
        .store
        .conversations()
        .reset_template(caller.workspace_id, score, step, language_of(&language))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
