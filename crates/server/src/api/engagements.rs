//! Promoter engagement: `GET/POST /api/v1/engagements`, `GET/PATCH
//! /api/v1/engagements/{id}`, and the discount-code pool: `GET/POST /api/v1/discount-codes`,
//! `POST /api/v1/discount-codes/{code}/redeem`.

use super::json::ApiJson;
use super::values::{CodeStatus, EngagementKind, EngagementStatus};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::{Configure, Ingest, ReadCustomers, WorkCases};
use advocate_store::closed_loop::engagements::{self as store, EngagementFilter, MAX_IMPORT};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list, show, update, grant, import_codes, list_codes, redeem),
    components(schemas(Engagement, EngagementPage, EngagementKind, EngagementStatus,
        EngagementPatch, NewGrant, CodeImport, CodesImported, CodeCounts, CodePage,
        DiscountCode, CodeStatus)),
    tags((name = "engagements", description = "Promoter engagement: every 9 and 10 with a \
        known customer gets a personal thank-you with a review request; a 10 also gets a \
        single-use discount code (from the imported pool, else generated), a panel \
        invitation and a reward. Each is tracked: queued → sent (when the thank-you email \
        is delivered) → accepted, declined or review_left; changes queue the \
        `engagement.updated` webhook."))
)]
pub struct Doc;

/// An import of 10,000 codes of 64 characters is about 700 KB of JSON.
const IMPORT_BODY_LIMIT: usize = 1024 * 1024;

pub fn routes() -> Routes {
    let codes = Routes::new()
        .get("/api/v1/discount-codes", Key(Configure), list_codes)
        .post("/api/v1/discount-codes", Key(Configure), import_codes)
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT));
    Routes::new()
        .get("/api/v1/engagements", Key(ReadCustomers), list)
        .post("/api/v1/engagements", Key(WorkCases), grant)
        .get("/api/v1/engagements/{id}", Key(ReadCustomers), show)
        .patch("/api/v1/engagements/{id}", Key(WorkCases), update)
        .merge(codes)
        .post("/api/v1/discount-codes/{code}/redeem", Key(Ingest), redeem)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EngagementQuery {
    /// A customer's external id.
    pub customer: Option<String>,
    /// thank_you, discount_code, review_request, panel_invitation, reward or vip_membership.
    pub kind: Option<String>,
    /// queued, sent, accepted, declined or review_left.
    pub status: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<String>,
    /// Engagements to skip (default 0).
    pub offset: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// free, assigned or redeemed. Default: all.
    pub status: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<String>,
    /// Codes to skip (default 0).
    pub offset: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EngagementPatch {
    /// sent, accepted, declined or review_left (what fits the kind; forward only).
    pub status: String,
}

/// A reward, VIP membership or panel invitation given by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    /// The customer's external id; they must have answered at least once.
    pub customer: String,
    /// reward, vip_membership or panel_invitation.
    pub kind: String,
    /// Where it starts: queued (default), sent, accepted or declined.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeImport {
    /// 1–10,000 codes, each 4–64 characters of A–Z, a–z, 0–9, - and _ (trimmed), all new.
    pub codes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodesImported {
    pub imported: u64,
    /// The pool after the import.
    pub counts: CodeCounts,
}

fn number(name: &str, v: Option<&str>, default: u32, max: u32) -> ApiResult<u32> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse::<u32>().ok().filter(|n| *n <= max).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "{name} must be a number from 0 to {max}; got {s:?}"
            ))
        }),
    }
}

fn parse_kind(s: &str) -> ApiResult<advocate_core::EngagementKind> {
    advocate_core::EngagementKind::parse(s).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "kind must be thank_you, discount_code, review_request, panel_invitation, reward \
             or vip_membership; got {s:?}"
        ))
    })
}

fn parse_status(s: &str) -> ApiResult<store::EngagementStatus> {
    store::EngagementStatus::parse(s).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "status must be queued, sent, accepted, declined or review_left; got {s:?}"
        ))
    })
}

/// An id from the path; anything that is not one names no engagement.
fn engagement_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no engagement {raw:?}")))
}

#[utoipa::path(get, path = "/api/v1/engagements", operation_id = "listEngagements", tag = "engagements", params(EngagementQuery),
    security(("api_key" = [])),
    responses((status = 200, description = "newest first", body = EngagementPage),
              (status = 422, description = "a filter is not valid", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<EngagementQuery>,
) -> ApiResult<Json<EngagementPage>> {
    let present = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let filter = EngagementFilter {
        customer: present(&q.customer),
        kind: present(&q.kind).as_deref().map(parse_kind).transpose()?,
        status: present(&q.status)
            .as_deref()
            .map(parse_status)
            .transpose()?,
        limit: number("limit", q.limit.as_deref(), 50, 500)?.max(1),
        offset: number("offset", q.offset.as_deref(), 0, u32::MAX)?,
    };
    Ok(Json(
        state
            .store
            .engagements()
            .list(caller.workspace_id, &filter)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/engagements/{id}", operation_id = "getEngagement", tag = "engagements",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = Engagement), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Engagement>> {
    let id = engagement_id(&id)?;
    state
        .store
        .engagements()
        .get(caller.workspace_id, id)
        .await?
        .map(|x| Json(x.into()))
        .ok_or_else(|| ApiError::not_found(format!("no engagement {id}")))
}

/// Records what became of an engagement, e.g. `{"status": "review_left"}`.
#[utoipa::path(patch, path = "/api/v1/engagements/{id}", operation_id = "updateEngagement", tag = "engagements",
    params(("id" = i64, Path)), request_body = EngagementPatch, security(("api_key" = [])),
    responses((status = 200, body = Engagement), (status = 404, body = Problem),
              (status = 409, description = "changed meanwhile", body = Problem),
              (status = 422, description = "a status that does not follow, or does not fit the kind", body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: ApiJson<EngagementPatch>,
) -> ApiResult<Json<Engagement>> {
    let id = engagement_id(&id)?;
    let status = parse_status(body.value.status.trim())?;
    Ok(Json(
        state
            .store
            .engagements()
            .set_status(caller.workspace_id, id, status)
            .await?
            .into(),
    ))
}

/// Grants a reward, VIP membership or panel invitation to a customer.
#[utoipa::path(post, path = "/api/v1/engagements", operation_id = "createEngagement", tag = "engagements", request_body = NewGrant,
    security(("api_key" = [])),
    responses((status = 201, body = Engagement),
              (status = 404, description = "no such customer", body = Problem),
              (status = 422, description = "a kind that is not granted by hand, a bad status, or a customer who never answered", body = Problem)))]
pub async fn grant(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<NewGrant>,
) -> ApiResult<(StatusCode, Json<Engagement>)> {
    let g = body.value;
    let kind = parse_kind(g.kind.trim())?;
    let status = match g.status.as_deref().map(str::trim) {
        None | Some("") => store::EngagementStatus::Queued,
        Some(s) => parse_status(s)?,
    };
    let created = state
        .store
        .engagements()
        .grant(caller.workspace_id, g.customer.trim(), kind, status)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Adds codes to the pool promoters' codes are taken from (before any is generated). All
/// or nothing: a malformed, repeated or already stored code is named and none is imported.
#[utoipa::path(post, path = "/api/v1/discount-codes", operation_id = "createDiscountCodes", tag = "engagements", request_body = CodeImport,
    security(("api_key" = [])),
    responses((status = 201, body = CodesImported),
              (status = 409, description = "codes already stored, each named", body = Problem),
              (status = 413, description = "body over 1 MiB", body = Problem),
              (status = 422, description = "malformed or repeated codes, each named", body = Problem)))]
pub async fn import_codes(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<CodesImported>)> {
    // Parsed here rather than by ApiJson: this route allows a larger body than the rest.
    let bytes = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body is larger than the limit of {IMPORT_BODY_LIMIT} bytes; \
                 send at most {MAX_IMPORT} codes per request"
            ),
        ),
        other => ApiError::bad_request(other.body_text()),
    })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "request body is empty; send {\"codes\": [...]}",
        ));
    }
    let raw: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("request body is not valid JSON: {e}")))?;
    super::json::check_text(&raw)?;
    let import: CodeImport = super::json::from_body(raw)?;
    let imported = state
        .store
        .engagements()
        .import_discount_codes(caller.workspace_id, &import.codes)
        .await?;
    let counts = state
        .store
        .engagements()
        .discount_codes(caller.workspace_id, None, 1, 0)
        .await?
        .counts
        .into();
    Ok((
        StatusCode::CREATED,
        Json(CodesImported { imported, counts }),
    ))
}

/// Counts of free, assigned and redeemed codes, and a page of codes (newest first).
#[utoipa::path(get, path = "/api/v1/discount-codes", operation_id = "listDiscountCodes", tag = "engagements", params(CodeQuery),
    security(("api_key" = [])),
    responses((status = 200, body = CodePage),
              (status = 422, description = "a filter is not valid", body = Problem)))]
pub async fn list_codes(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<CodeQuery>,
) -> ApiResult<Json<CodePage>> {
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(store::CodeStatus::parse(s).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "status must be free, assigned or redeemed; got {s:?}"
            ))
        })?),
    };
    let limit = number("limit", q.limit.as_deref(), 100, 1000)?.max(1);
    let offset = number("offset", q.offset.as_deref(), 0, u32::MAX)?;
    Ok(Json(
        state
            .store
            .engagements()
            .discount_codes(caller.workspace_id, status, limit, offset)
            .await?
            .into(),
    ))
}

/// Redeems a code at checkout. Single use: a second redemption is refused with 409. The
/// promoter's discount-code engagement becomes `accepted`.
#[utoipa::path(post, path = "/api/v1/discount-codes/{code}/redeem", operation_id = "redeemDiscountCode", tag = "engagements",
    params(("code" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = DiscountCode), (status = 404, body = Problem),
              (status = 409, description = "already redeemed", body = Problem)))]
pub async fn redeem(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
) -> ApiResult<Json<DiscountCode>> {
    Ok(Json(
        state
            .store
            .engagements()
            .redeem_discount_code(caller.workspace_id, &code)
            .await?
            .into(),
    ))
}

/// One page of engagements, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementPage {
    /// How many match the filter in all.
    pub total: i64,
    pub engagements: Vec<Engagement>,
}

impl From<store::EngagementPage> for EngagementPage {
    fn from(x: store::EngagementPage) -> Self {
        Self {
            total: x.total,
            engagements: x.engagements.into_iter().map(Into::into).collect(),
        }
    }
}

/// One tracked engagement.
#[derive(Debug, Serialize, ToSchema)]
pub struct Engagement {
    pub id: i64,
    /// The answer that earned it (for a manual grant, the customer's latest answer).
    pub answer_id: i64,
    /// The customer's external id.
    pub customer: Option<String>,
    pub kind: EngagementKind,
    pub status: EngagementStatus,
    pub discount_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Engagement> for Engagement {
    fn from(x: store::Engagement) -> Self {
        Self {
            id: x.id,
            answer_id: x.answer_id,
            customer: x.customer,
            kind: x.kind.into(),
            status: x.status.into(),
            discount_code: x.discount_code,
            created_at: x.created_at,
            updated_at: x.updated_at,
        }
    }
}

/// A workspace's codes: counts over all of them and one page (newest first).
#[derive(Debug, Serialize, ToSchema)]
pub struct CodePage {
    pub counts: CodeCounts,
    /// How many match the status filter in all.
    pub total: i64,
    pub codes: Vec<DiscountCode>,
}

impl From<store::CodePage> for CodePage {
    fn from(x: store::CodePage) -> Self {
        Self {
            counts: x.counts.into(),
            total: x.total,
            codes: x.codes.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeCounts {
    pub free: i64,
    pub assigned: i64,
    pub redeemed: i64,
}

impl From<store::CodeCounts> for CodeCounts {
    fn from(x: store::CodeCounts) -> Self {
        Self {
            free: x.free,
            assigned: x.assigned,
            redeemed: x.redeemed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountCode {
    pub code: String,
    /// `imported` (from the pool) or `generated` (when the pool was empty).
    pub source: String,
    pub status: CodeStatus,
    pub engagement_id: Option<i64>,
    /// External id of the customer it was given to.
    pub customer: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<store::DiscountCode> for DiscountCode {
    fn from(x: store::DiscountCode) -> Self {
        Self {
            code: x.code,
            source: x.source,
            status: x.status.into(),
            engagement_id: x.engagement_id,
            customer: x.customer,
            assigned_at: x.assigned_at,
            redeemed_at: x.redeemed_at,
            created_at: x.created_at,
        }
    }
}
