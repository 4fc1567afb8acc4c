//! What every request handler can reach.

pub use crate::limit::Limits;
use advocate_core::outbound::AllowedHosts;
use advocate_core::proxy::TrustedProxies;
use advocate_store::Store;
use std::sync::Arc;

/// Cheap to clone (one reference count): extractors and middleware clone it for every
/// request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub store: Store,
    pub config: Config,
    /// Key that signs session cookies and answer links; kept in the database so it
    /// survives restarts and is shared by every instance.
    pub signing_key: Vec<u8>,
    /// Rate limits of anonymous answers, sign-in and password reset.
    pub limits: Limits,
    /// Signs the reply addresses of mail on cases (derived from `signing_key`).
    pub reply_key: Vec<u8>,
    /// Reply-To and Message-IDs of mail on cases.
    pub addressing: crate::conversation::Addressing,
    /// Requests counted for `/metrics`.
    pub http_metrics: crate::metrics::HttpMetrics,
}

/// Settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure`; on when Advocate is served over HTTPS (behind a proxy).
    pub secure_cookies: bool,
    /// How long a sign-in lasts at most.
    pub session_hours: i64,
    /// A session without a request for this long ends.
    pub session_idle_minutes: i64,
    /// The reverse proxies whose `X-Forwarded-For` says who the client is
    /// (`--trust-proxy`); from anyone else the header is ignored, since anyone can send it.
    pub trust_proxy: TrustedProxies,
    /// How many connections, and how long each may wait for its request.
    pub connections: crate::connections::ConnectionLimits,
    /// Where webhook and Slack URLs may point besides public addresses
    /// (`--allow-webhook-hosts`); checked when an admin registers one.
    pub allowed_hosts: AllowedHosts,
    /// Where customers' replies to mail on cases go (`--reply-address`).
    pub reply_route: Option<advocate_core::conversation::address::ReplyRoute>,
    /// Who may read `/metrics` on this address (`--metrics-token`); off by default.
    pub metrics: crate::metrics::MetricsAccess,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_hours: 12,
            session_idle_minutes: 120,
            trust_proxy: TrustedProxies::default(),
            connections: Default::default(),
            allowed_hosts: AllowedHosts::default(),
            reply_route: None,
            metrics: Default::default(),
        }
    }
}
