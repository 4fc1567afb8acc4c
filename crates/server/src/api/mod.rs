//! The JSON API under `/api/v1`, described by OpenAPI at `/openapi.json`.

pub mod accounts;
pub mod alerts;
pub mod answers;
pub mod business;
pub mod cases;
pub mod comments;
pub mod conversations;
pub mod customers;
pub mod engagements;
pub mod exports;
pub mod invitations;
pub mod json;
pub mod kpis;
pub mod me;
pub mod nps;
pub mod outbox;
pub mod privacy;
pub mod replace;
pub mod settings;
pub mod sso;
pub mod surveys;
pub mod themes;
pub mod values;
pub mod webhooks;
pub mod workspace;

use crate::access::Access::Public;
use crate::error::{ApiError, Problem};
use crate::routes::Routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Advocate API", description = "Net Promoter Score and closed-loop feedback. \
        Authenticate with `Authorization: Bearer <api key>` (create one with `advocate apikey create`). \
        Errors are application/problem+json."),
    components(schemas(Problem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The whole API description: the shared parts above plus each module's own paths.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        surveys::Doc::openapi(),
        customers::Doc::openapi(),
        answers::Doc::openapi(),
        nps::Doc::openapi(),
        cases::Doc::openapi(),
        comments::Doc::openapi(),
        conversations::Doc::openapi(),
        settings::Doc::openapi(),
        sso::Doc::openapi(),
        engagements::Doc::openapi(),
        business::Doc::openapi(),
        kpis::Doc::openapi(),
        themes::Doc::openapi(),
        exports::Doc::openapi(),
        webhooks::Doc::openapi(),
        outbox::Doc::openapi(),
        invitations::Doc::openapi(),
        accounts::Doc::openapi(),
        privacy::Doc::openapi(),
        workspace::Doc::openapi(),
        alerts::Doc::openapi(),
        me::Doc::openapi(),
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

/// The whole API: each module's routes, and a problem+json 404 for any other path.
pub fn routes() -> Routes {
    Routes::new()
        .merge(surveys::routes())
        .merge(customers::routes())
        .merge(answers::routes())
        .merge(nps::routes())
        .merge(webhooks::routes())
        .merge(outbox::routes())
        .merge(cases::routes())
        .merge(comments::routes())
        .merge(conversations::routes())
        .merge(settings::routes())
        .merge(sso::routes())
        .merge(engagements::routes())
        .merge(business::routes())
        .merge(kpis::routes())
        .merge(themes::routes())
        .merge(exports::routes())
        .merge(invitations::routes())
        .merge(accounts::routes())
        .merge(privacy::routes())
        .merge(workspace::routes())
        .merge(alerts::routes())
        .merge(me::routes())
        // Unknown API paths answer 404 as problem+json, whatever the method.
        .any("/api/{*rest}", Public, || async {
            ApiError::not_found("no such API endpoint")
        })
}
