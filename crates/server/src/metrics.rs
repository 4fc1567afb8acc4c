//! `/metrics`: requests, answers, deliveries, cases, the outbox and the database pools in
//! the Prometheus text format.
//!
//! Off by default. With a token (`--metrics-token`) it is served on the main address to
//! callers sending `Authorization: Bearer <token>`; with its own address
//! (`--metrics-bind`) a second listener serves it alone, for a private network, and the
//! main address does not; with both, that listener asks for the token. It stands outside
//! the workspace permission system: what it shows spans every workspace and names none.
//!
//! Requests are counted by the route template they matched (`/api/v1/cases/{id}`), never
//! by their path: a path can hold ids and one-time tokens, and one series per id would
//! grow without end.

use crate::pages::PageError;
use crate::state::AppState;
use advocate_core::metrics::{Counter, Exposition, Family, Histogram, CONTENT_TYPE, SECONDS};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE as CONTENT_TYPE_HEADER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::time::Instant;

/// Who may read `/metrics` where it is served.
#[derive(Debug, Clone, Default)]
pub enum MetricsAccess {
    /// Not served: a 404 like any unknown page.
    #[default]
    Off,
    /// Served to callers with this bearer token.
    Token(MetricsToken),
    /// Served to whoever reaches it (the metrics listener without a token).
    Open,
}

/// The bearer token `/metrics` asks for. Never shown: its `Debug` is `***`.
#[derive(Clone)]
pub struct MetricsToken(String);

/// Shortest token accepted: a guessable one would open the metrics to anyone.
pub const MIN_TOKEN_LEN: usize = 16;

impl MetricsToken {
    pub fn new(token: &str) -> Result<Self, String> {
        if token.len() < MIN_TOKEN_LEN {
            return Err(format!(
                "the metrics token must be at least {MIN_TOKEN_LEN} characters (got {})",
                token.len()
            ));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the metrics token may hold only visible ASCII characters (no spaces)".into(),
            );
        }
        Ok(Self(token.to_owned()))
    }

    /// Whether the request's `Authorization` header carries this token.
    fn admits(&self, headers: &HeaderMap) -> bool {
        headers
            .get(AUTHORIZATION)
            .and_then(crate::auth::bearer_token)
            .is_some_and(|presented| advocate_core::token::same_secret(presented, &self.0))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

/// The HTTP layer's instruments.
#[derive(Debug)]
pub struct HttpMetrics {
    requests: Family<Counter>,
    durations: Family<Histogram>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self {
            requests: Family::counters(&["route", "method", "status"]),
            durations: Family::new(&["route", "method"], || Histogram::new(SECONDS)),
        }
    }
}

/// The route label of a request no route matched (an unknown path: a 404).
const UNMATCHED: &str = "unmatched";

/// Middleware: counts each request and times it to its response's head, by route
/// template, method and status.
pub async fn count(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = method_label(req.method());
    let response = next.run(req).await;
    let route = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let m = &state.http_metrics;
    m.requests
        .with(&[route, method, response.status().as_str()])
        .inc();
    m.durations
        .with(&[route, method])
        .observe(started.elapsed().as_secs_f64());
    response
}

/// The method as a label; anything unusual is `other`, so a client cannot make up series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics` on the main address, as `--metrics-token` allows.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(&state, &state.config.metrics, &headers).await
}

/// The router of the metrics listener (`--metrics-bind`): `/metrics` and nothing else.
pub fn router(state: AppState, access: MetricsAccess) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move |State(state): State<AppState>, headers: HeaderMap| {
                let access = access.clone();
                async move { respond(&state, &access, &headers).await }
            }),
        )
        .fallback(|| async { not_found() })
        .with_state(state)
}

async fn respond(state: &AppState, access: &MetricsAccess, headers: &HeaderMap) -> Response {
    match access {
        MetricsAccess::Off => return not_found(),
        MetricsAccess::Token(token) if !token.admits(headers) => {
            // Nothing about why (missing, malformed, wrong) nor what is behind it.
            return (
                StatusCode::UNAUTHORIZED,
                [(WWW_AUTHENTICATE, "Bearer")],
                "Unauthorized.",
            )
                .into_response();
        }
        MetricsAccess::Token(_) | MetricsAccess::Open => {}
    }
    let mut out = Exposition::default();
    out.gauges(
        "advocate_build_info",
        "The running version (always 1).",
        "version",
        &[(env!("CARGO_PKG_VERSION"), 1.0)],
    )
    .family(
        "advocate_http_requests_total",
        "HTTP requests by route template, method and status.",
        &state.http_metrics.requests,
    )
    .family(
        "advocate_http_request_duration_seconds",
        "Time to answer an HTTP request (to the response's head), by route template and method.",
        &state.http_metrics.durations,
    );
    // Without the database the gauges read from it are left out and the counts are
    // still served: a scrape that fails outright would hide them too.
    if let Err(e) = state.store.write_metrics(&mut out).await {
        tracing::warn!(error = %e, "metrics: cannot read the gauges from the database");
    }
    ([(CONTENT_TYPE_HEADER, CONTENT_TYPE)], out.finish()).into_response()
}

fn not_found() -> Response {
    PageError(StatusCode::NOT_FOUND, "Page not found.").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_visible_ascii_and_never_shown() {
        assert!(MetricsToken::new("short").is_err());
        assert!(MetricsToken::new("sixteen chars ok").is_err(), "spaces");
        let token = MetricsToken::new("0123456789abcdef").unwrap();
        assert_eq!(format!("{token:?}"), "MetricsToken(***)");
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(AUTHORIZATION, v.parse().unwrap());
            h
        };
        assert!(token.admits(&with("Bearer 0123456789abcdef")));
        assert!(!token.admits(&with("Bearer 0123456789abcdeF")));
        assert!(!token.admits(&with("Basic 0123456789abcdef")));
        assert!(!token.admits(&HeaderMap::new()));
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
