//! GDPR: `GET /api/v1/customers/{external_id}/export` (everything about one person as one
//! JSON document), `DELETE /api/v1/customers/{external_id}` (erase them; the NPS figures
//! stay the same) and `POST /api/v1/privacy/retention` (apply the answer retention now).

use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::{Administer, Export};
use advocate_store::privacy as store;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(export, erase, retention),
    components(schemas(Erasure, Retention)),
    tags((name = "privacy", description = "GDPR: export and erase everything about one \
        person, and the retention policy for old answers. Erasure keeps each answer's score \
        as an anonymous count, so every NPS report gives the same figures before and after."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .delete("/api/v1/customers/{external_id}", Key(Administer), erase)
        .get(
            "/api/v1/customers/{external_id}/export",
            Key(Export),
            export,
        )
        .post("/api/v1/privacy/retention", Key(Administer), retention)
}

/// The JSON document with everything about one person, as a download.
pub fn export_response(workspace: &str, external_id: &str, doc: &serde_json::Value) -> Response {
    let safe: String = external_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = format!("{workspace}-customer-{safe}.json");
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        Json(doc),
    )
        .into_response()
}

/// Everything stored about the person: customer record and attributes, answers,
/// invitations, events, cases with checklist and notes, engagements, orders, contacts,
/// lifecycle spells, loyalty memberships and the messages to or about them (metadata).
#[utoipa::path(get, path = "/api/v1/customers/{external_id}/export", operation_id = "exportCustomerData", tag = "privacy",
    params(("external_id" = String, Path, description = "your id for the customer")),
    security(("api_key" = [])),
    responses((status = 200, description = "one JSON document", body = serde_json::Value),
              (status = 404, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Response> {
    let doc = state
        .store
        .privacy()
        .export_person(caller.workspace_id, &external_id)
        .await?;
    state
        .store
        .audit()
        .record(
            caller.workspace_id,
            &caller.actor(),
            "person.exported",
            &external_id,
            "",
        )
        .await?;
    let slug = state
        .store
        .workspaces()
        .get(caller.workspace_id)
        .await?
        .map(|w| w.slug)
        .unwrap_or_default();
    Ok(export_response(&slug, &external_id, &doc))
}

/// Erases the person in one transaction and says what was removed. Their answers stay as
/// anonymous scores. Erasing someone unknown (or already erased) is a 404.
#[utoipa::path(delete, path = "/api/v1/customers/{external_id}", operation_id = "eraseCustomer", tag = "privacy",
    params(("external_id" = String, Path, description = "your id for the customer")),
    security(("api_key" = [])),
    responses((status = 200, description = "erased", body = Erasure),
              (status = 404, body = Problem)))]
pub async fn erase(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<Erasure>> {
    let done = state
        .store
        .privacy()
        .erase_person(caller.workspace_id, &external_id)
        .await?;
    state
        .store
        .audit()
        .record(
            caller.workspace_id,
            &caller.actor(),
            "person.erased",
            &external_id,
            &format!("{} answers anonymised", done.answers_anonymised),
        )
        .await?;
    Ok(Json(done.into()))
}

/// Anonymises the answers older than the workspace's `answer_retention_months` now (the
/// server also does it daily).
#[utoipa::path(post, path = "/api/v1/privacy/retention", operation_id = "applyRetention", tag = "privacy",
    security(("api_key" = [])), responses((status = 200, body = Retention)))]
pub async fn retention(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Retention>> {
    Ok(Json(
        state
            .store
            .privacy()
            .apply_retention(caller.workspace_id, Utc::now())
            .await?
            .into(),
    ))
}

/// What an erasure removed, by table.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erasure {
    pub external_id: String,
    /// Kept as anonymous scores: comment, customer link, attribute snapshot and ids removed.
    pub answers_anonymised: u64,
    pub cases_deleted: u64,
    pub case_notes_deleted: u64,
    pub engagements_deleted: u64,
    /// Codes given to the person; deleted rather than freed, so none is given out twice.
    pub discount_codes_deleted: u64,
    pub invitations_deleted: u64,
    pub events_deleted: u64,
    pub orders_deleted: u64,
    /// Kept for the complaint and response-time figures, without the customer.
    pub contacts_detached: u64,
    pub lifecycle_spells_deleted: u64,
    pub loyalty_memberships_deleted: u64,
    /// Waiting or dead messages to or about them: never sent.
    pub messages_cancelled: u64,
    /// Delivered messages to or about them: target and content removed, the record kept.
    pub messages_scrubbed: u64,
}

impl From<store::Erasure> for Erasure {
    fn from(x: store::Erasure) -> Self {
        Self {
            external_id: x.external_id,
            answers_anonymised: x.answers_anonymised,
            cases_deleted: x.cases_deleted,
            case_notes_deleted: x.case_notes_deleted,
            engagements_deleted: x.engagements_deleted,
            discount_codes_deleted: x.discount_codes_deleted,
            invitations_deleted: x.invitations_deleted,
            events_deleted: x.events_deleted,
            orders_deleted: x.orders_deleted,
            contacts_detached: x.contacts_detached,
            lifecycle_spells_deleted: x.lifecycle_spells_deleted,
            loyalty_memberships_deleted: x.loyalty_memberships_deleted,
            messages_cancelled: x.messages_cancelled,
            messages_scrubbed: x.messages_scrubbed,
        }
    }
}

/// What one retention run did in one workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retention {
    pub workspace_id: i64,
    /// The setting applied; `None`: answers are kept forever and nothing was done.
    pub retention_months: Option<u32>,
    /// Answers given before this time were anonymised.
    pub cutoff: Option<DateTime<Utc>>,
    pub answers_anonymised: u64,
}

impl From<store::Retention> for Retention {
    fn from(x: store::Retention) -> Self {
        Self {
            workspace_id: x.workspace_id,
            retention_months: x.retention_months,
            cutoff: x.cutoff,
            answers_anonymised: x.answers_anonymised,
        }
    }
}
