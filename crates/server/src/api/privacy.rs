//! GDPR: `GET /api/v1/customers/{external_id}/export` (everything about one person as one
//! JSON document), `DELETE /api/v1/customers/{external_id}` (erase them; the NPS figures
//! stay the same) and `POST /api/v1/privacy/retention` (apply the answer retention now).

use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::{Administer, Export};
use advocate_store::privacy::{Erasure, Retention};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use utoipa::OpenApi;

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
        .export_person(caller.workspace_id, &external_id)
        .await?;
    state
        .store
        .audit(
            caller.workspace_id,
            &caller.actor(),
            "person.exported",
            &external_id,
            "",
        )
        .await?;
    let slug = state
        .store
        .workspace(caller.workspace_id)
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
        .erase_person(caller.workspace_id, &external_id)
        .await?;
    state
        .store
        .audit(
            caller.workspace_id,
            &caller.actor(),
            "person.erased",
            &external_id,
            &format!("{} answers anonymised", done.answers_anonymised),
        )
        .await?;
    Ok(Json(done))
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
            .apply_retention(caller.workspace_id, Utc::now())
            .await?,
    ))
}
