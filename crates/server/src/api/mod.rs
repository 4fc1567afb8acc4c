//! The JSON API under `/api/v1`, described by OpenAPI at `/openapi.json`.

pub mod accounts;
pub mod business;
pub mod cases;
pub mod customers;
pub mod engagements;
pub mod exports;
pub mod invitations;
pub mod json;
pub mod kpis;
pub mod nps;
pub mod outbox;
pub mod privacy;
pub mod replace;
pub mod responses;
pub mod settings;
pub mod surveys;
pub mod webhooks;
pub mod workspace;

use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::routing::{any, get, post, put};
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Advocate API", description = "Net Promoter Score and closed-loop feedback. \
        Authenticate with `Authorization: Bearer <api key>` (create one with `advocate apikey create`). \
        Errors are application/problem+json."),
    paths(surveys::create, surveys::list, customers::upsert, customers::get,
        customers::timeline, customers::set_follow_up, customers::clear_follow_up, responses::create, nps::report, nps::compare),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    tags((name = "surveys"), (name = "customers"), (name = "responses"), (name = "nps"))
)]
pub struct ApiDoc;

/// The whole API description: the core paths above plus each module's own.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        cases::Doc::openapi(),
        settings::Doc::openapi(),
        engagements::Doc::openapi(),
        business::Doc::openapi(),
        kpis::Doc::openapi(),
        exports::Doc::openapi(),
        webhooks::Doc::openapi(),
        outbox::Doc::openapi(),
        invitations::Doc::openapi(),
        accounts::Doc::openapi(),
        privacy::Doc::openapi(),
        workspace::Doc::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/surveys", post(surveys::create).get(surveys::list))
        .route("/api/v1/customers", post(customers::upsert))
        .route("/api/v1/customers/{external_id}", get(customers::get))
        .route(
            "/api/v1/customers/{external_id}/timeline",
            get(customers::timeline),
        )
        .route(
            "/api/v1/customers/{external_id}/follow-up",
            put(customers::set_follow_up).delete(customers::clear_follow_up),
        )
        .route("/api/v1/responses", post(responses::create))
        .route("/api/v1/nps", get(nps::report))
        .route("/api/v1/nps/compare", get(nps::compare))
        .merge(webhooks::router())
        .merge(outbox::router())
        .merge(cases::router())
        .merge(settings::router())
        .merge(engagements::router())
        .merge(business::router())
        .merge(kpis::router())
        .merge(exports::router())
        .merge(invitations::router())
        .merge(accounts::router())
        .merge(privacy::router())
        .merge(workspace::router())
        .route(
            "/api/{*rest}",
            any(|| async { ApiError::not_found("no such API endpoint") }),
        )
}
