//! A route's path, method, handler and access rule, declared together, once.
//!
//! Each module lists its own routes, one line each:
//!
//! ```ignore
//! Routes::new()
//!     .get("/api/v1/cases", Key(ReadCases), list)
//!     .patch("/api/v1/cases/{id}", Key(WorkCases), update)
//! ```
//!
//! and [`Routes`] yields both the axum router and the [`Rule`]s the
//! [`authorize`](crate::access::authorize) middleware looks up. So a route cannot be served
//! without a rule, nor can a rule outlive its route; the tenant-isolation tests walk the same
//! rules ([`crate::rules`]). The API's OpenAPI document (`#[utoipa::path]`) is checked
//! against these declarations by a test (`the_access_table_covers_the_whole_api`).

use crate::access::{Access, Rule};
use crate::state::AppState;
use axum::extract::Request;
use axum::handler::Handler;
use axum::response::IntoResponse;
use axum::routing::{self, MethodRouter, Route};
use axum::Router;
use std::convert::Infallible;
use tower::{Layer, Service};

/// Routes with their access rules; see the module documentation.
#[must_use]
pub struct Routes {
    router: Router<AppState>,
    rules: Vec<Rule>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

/// One method per function, each taking (path, access, handler).
macro_rules! methods {
    ($($(#[$doc:meta])* $name:ident => $method:literal, $make:path;)*) => {$(
        $(#[$doc])*
        pub fn $name<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.add($method, path, access, $make(handler))
        }
    )*};
}

impl Routes {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            rules: Vec::new(),
        }
    }

    methods! {
        /// Also answers HEAD, with the same rule.
        get => "GET", routing::get;
        post => "POST", routing::post;
        put => "PUT", routing::put;
        patch => "PATCH", routing::patch;
        delete => "DELETE", routing::delete;
        options => "OPTIONS", routing::options;
        /// Every method (`*` in the rules).
        any => "*", routing::any;
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Self {
        // axum merges methods registered on the same path one by one.
        self.router = self.router.route(path, route);
        self.rules.push(Rule {
            method,
            path,
            access,
        });
        self
    }

    /// Adds another module's routes.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.rules.extend(other.rules);
        self
    }

    /// Routes served by a router made elsewhere (the API browser), with the rule each has:
    /// the one place a route is written twice, since that router's paths are not ours.
    pub fn mount(
        mut self,
        router: impl Into<Router<AppState>>,
        access: Access,
        routes: &[(&'static str, &'static str)],
    ) -> Self {
        self.router = self.router.merge(router);
        self.rules.extend(routes.iter().map(|&(method, path)| Rule {
            method,
            path,
            access,
        }));
        self
    }

    /// Wraps every route added so far (a body limit, a header) — merge such a group into
    /// the rest to keep the layer to it.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    /// The rules of these routes, in the order they were declared.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The router, and the rules the access check looks routes up in.
    pub fn into_parts(self) -> (Router<AppState>, Vec<Rule>) {
        (self.router, self.rules)
    }
}
