//! Advocate's HTTP layer: the JSON API, public survey pages and the dashboard.

pub mod access;
pub mod api;
pub mod auth;
pub mod charts;
pub mod connections;
pub mod conversation;
mod error;
pub mod export;
pub mod limit;
pub mod metrics;
pub mod outbound;
pub mod pages;
pub mod qr;
pub mod ratelimit;
pub mod request_id;
pub mod routes;
pub mod security;
pub mod state;
pub mod team;
pub mod text_rule;
pub mod two_factor;
pub mod worker;

pub use error::{ApiError, Problem};
pub use state::{AppState, Config, Limits};

use access::Access::Public;
use advocate_store::Store;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Router;
use connections::{GuardedListener, MakeGuarded};
use routes::Routes;
use std::sync::Arc;
use tokio::net::TcpListener;
use utoipa_swagger_ui::SwaggerUi;

/// Largest request body the API accepts.
pub const API_BODY_LIMIT: usize = 64 * 1024;

/// Builds the state every handler shares: loads (or creates) the signing key.
pub async fn state(store: Store, config: Config) -> Result<AppState, advocate_store::StoreError> {
    let key = store.workspaces().signing_key().await?;
    let addressing = conversation::Addressing::new(config.reply_route.clone(), store.public_url());
    let limits = Limits::for_store(&store);
    Ok(AppState::new(state::Shared {
        reply_key: conversation::reply_key(&key),
        addressing,
        store,
        config,
        signing_key: key,
        limits,
        http_metrics: Default::default(),
    }))
}

/// Every route of the application with its access rule: the API, the pages, health
/// checks and the API's description.
pub fn routes() -> Routes {
    let docs = SwaggerUi::new("/docs").url("/openapi.json", api::openapi());
    Routes::new()
        .merge(api::routes())
        .merge(pages::routes())
        .get("/healthz", Public, || async { "ok" })
        .get("/readyz", Public, ready)
        // Public to the access check: the handler asks for its own token (see [`metrics`]).
        .get("/metrics", Public, metrics::scrape)
        .mount(
            docs,
            Public,
            &[
                ("GET", "/openapi.json"),
                ("GET", "/docs"),
                ("GET", "/docs/"),
                ("GET", "/docs/{*rest}"),
            ],
        )
}

/// Every route's access rule (what the tenant-isolation tests walk).
pub fn rules() -> Vec<access::Rule> {
    routes().into_parts().1
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let https = security::https(&state);
    let (router, rules) = routes().into_parts();
    let table = Arc::new(access::AccessTable::new(&rules));
    router
        .fallback(|| async { pages::PageError(StatusCode::NOT_FOUND, "Page not found.") })
        // Inside the access check: a caller without access learns nothing from it.
        .layer(axum::middleware::from_fn(text_rule::check))
        .layer(axum::middleware::from_fn_with_state(
            (state.clone(), table),
            access::authorize,
        ))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            https,
            security::headers,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(request_span))
        // Outside everything that can refuse a request, so refusals are counted too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        // Outside the trace layer, so the span has the id.
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}

/// A request's log span: its id and route, never its URI, which can hold a one-time secret
/// (`/password-reset/{token}`, `/invite/{token}`) or personal data in a query. The access
/// check fills in the workspace once it knows the caller.
fn request_span(req: &axum::extract::Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(axum::extract::MatchedPath::as_str);
    let request_id = req
        .extensions()
        .get::<request_id::RequestId>()
        .map_or("-", request_id::RequestId::as_str);
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        route,
        workspace = tracing::field::Empty
    )
}

/// Ready when the database takes a write now: a small real write, so a full disk or a
/// lock held by another process shows here, not only in failing requests. Bounded, so a
/// probe never hangs for the whole busy timeout.
async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let probe = tokio::time::timeout(READY_TIMEOUT, state.store.check_writable());
    match probe.await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "database cannot take writes");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database cannot take writes",
            )
        }
        Err(_) => {
            tracing::warn!("database did not take a write within the readiness timeout");
            (StatusCode::SERVICE_UNAVAILABLE, "database busy")
        }
    }
}

/// Longest a readiness check waits for the database.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Serves the app on `listener` until `shutdown` resolves, holding its connections to
/// the configured limits (see [`connections`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = GuardedListener::new(listener, state.config.connections);
    axum::serve(listener, MakeGuarded { app: app(state) })
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves `/metrics` alone on `listener` (`--metrics-bind`) until `shutdown` resolves.
pub async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    access: metrics::MetricsAccess,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, metrics::router(state, access))
        .with_graceful_shutdown(shutdown)
        .await
}
