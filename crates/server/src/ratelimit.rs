//! Rate limiting by key (e.g. client address and survey), so that a script cannot stuff an
//! anonymous survey with answers, or guess passwords: the in-memory limiter of one
//! instance, the `429` refusal, and the client's key.
//!
//! Callers use [`crate::limit::Limit`] (one per purpose, in [`crate::state::Limits`]),
//! which keeps a limit here in memory on SQLite or in the database, shared by every
//! instance, on PostgreSQL; the constructors here (`for_answers`, `for_sign_in_…`,
//! `for_password_reset`) name each purpose's rule either way. A handler limits with one
//! line, and the refusal is a `429` problem+json with `Retry-After`:
//!
//! ```ignore
//! async fn request_reset(State(state): State<AppState>, ClientKey(client): ClientKey, …)
//!     -> Result<Response, ApiError>
//! {
//!     state.limits.password_reset.limit(&client).await?; // or a key of client and email
//!     …
//! }
//! ```
//!
//! Attempts that should only count when they fail (sign-in) are charged up front and
//! given back with `refund` on success, so that parallel guesses cannot slip past the
//! limit while the first ones are still being checked.
//!
//! In memory, a limit is per instance and forgotten on restart. Memory stays bounded:
//! buckets that have refilled are dropped (a full bucket is the same as none), and past
//! `max_keys` those closest to full go first. The clock is passed in so that tests need
//! no sleeping.

use crate::state::AppState;
use crate::ApiError;
use advocate_core::proxy::TrustedProxies;
use advocate_core::rate::Gcra;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often idle buckets are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// One instance's limiter: per key, the instant its allowance is whole again, judged by
/// core's [`Gcra`] rule (the same the shared limiter's SQL follows).
#[derive(Debug)]
pub struct RateLimiter {
    gcra: Gcra,
    max_keys: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Per key, when its bucket is full again (the "theoretical arrival time" of GCRA, a
    /// token bucket kept as one instant, so the arithmetic is exact).
    full_at: HashMap<String, Instant>,
    last_prune: Option<Instant>,
}

impl RateLimiter {
    /// Allows `burst` requests at once per key, refilling at `per_minute`, and remembers at
    /// most `max_keys` keys.
    pub fn new(burst: u32, per_minute: u32, max_keys: usize) -> Self {
        Self::with_rule(Gcra::per_minute(burst, per_minute), max_keys)
    }

    /// Allows `burst` requests per key within `period`, then one each `period / burst`.
    pub fn per_period(burst: u32, period: Duration, max_keys: usize) -> Self {
        Self::with_rule(Gcra::per_period(burst, period), max_keys)
    }

    /// A limiter following `gcra`, remembering at most `max_keys` keys.
    pub fn with_rule(gcra: Gcra, max_keys: usize) -> Self {
        Self {
            gcra,
            max_keys: max_keys.max(1),
            inner: Mutex::new(Inner {
                full_at: HashMap::new(),
                last_prune: None,
            }),
        }
    }

    /// The rule this limiter follows.
    pub fn rule(&self) -> Gcra {
        self.gcra
    }

    /// The limit on anonymous answers: 10 a minute per client and survey, 10 at once.
    pub fn for_answers() -> Self {
        Self::new(10, 10, 100_000)
    }

    /// Failed sign-ins per email address tried, whether or not it has an account (so the
    /// answer reveals nothing): 10 in 15 minutes, then one every 90 seconds.
    pub fn for_sign_in_emails() -> Self {
        Self::per_period(10, Duration::from_secs(15 * 60), 100_000)
    }

    /// Failed sign-ins per client address, over all emails (password spraying): 30 in 15
    /// minutes, then one every 30 seconds; an office behind one address still signs in.
    pub fn for_sign_in_clients() -> Self {
        Self::per_period(30, Duration::from_secs(15 * 60), 100_000)
    }

    /// Password-reset requests per key (client address, or client and email): 5 an hour,
    /// so that nobody's inbox can be flooded and links are not requested in bulk.
    pub fn for_password_reset() -> Self {
        Self::per_period(5, Duration::from_secs(3600), 100_000)
    }

    /// Wrong two-factor codes per person: 5 in 5 minutes, then one a minute. A million
    /// codes at this pace take years; the person's own correct code is given back.
    pub fn for_two_factor_codes() -> Self {
        Self::per_period(5, Duration::from_secs(5 * 60), 100_000)
    }

    /// [`RateLimiter::check`] now, refused as a `429` answer with `Retry-After`.
    pub fn limit(&self, key: &str) -> Result<(), TooManyRequests> {
        self.check(key, Instant::now()).map_err(TooManyRequests)
    }

    /// Gives back one request taken from `key` (an attempt that turned out to be fine).
    pub fn refund(&self, key: &str, now: Instant) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(full_at) = inner.full_at.get_mut(key) {
            *full_at = self.gcra.refund(*full_at, now);
        }
    }

    /// Takes one request from `key`'s allowance, or says how long until one is free.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner
            .last_prune
            .is_none_or(|t| now.saturating_duration_since(t) >= PRUNE_EVERY)
        {
            prune(&mut inner, now);
        }
        if !inner.full_at.contains_key(key) && inner.full_at.len() >= self.max_keys {
            prune(&mut inner, now);
            if inner.full_at.len() >= self.max_keys {
                evict_oldest(&mut inner);
            }
        }
        let next = self.gcra.take(inner.full_at.get(key).copied(), now)?;
        inner.full_at.insert(key.to_owned(), next);
        Ok(())
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .full_at
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the keys whose allowance is whole again: they are as good as new.
fn prune(inner: &mut Inner, now: Instant) {
    inner.full_at.retain(|_, t| *t > now);
    inner.last_prune = Some(now);
}

/// Drops the tenth of the keys that would be whole again soonest, so that a flood of new
/// keys costs one partial sort per `max_keys / 10` of them rather than a scan each.
fn evict_oldest(inner: &mut Inner) {
    let mut times: Vec<Instant> = inner.full_at.values().copied().collect();
    let cut = times.len() / 10;
    let (_, cutoff, _) = times.select_nth_unstable(cut);
    let cutoff = *cutoff;
    inner.full_at.retain(|_, t| *t > cutoff);
    tracing::warn!(
        kept = inner.full_at.len(),
        "rate limiter full: forgot the clients closest to their full allowance"
    );
}

/// A refusal: `429 Too Many Requests` with `Retry-After` and a problem+json body that says
/// when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyRequests(pub Duration);

impl TooManyRequests {
    pub fn retry_after_secs(&self) -> u64 {
        retry_after_secs(self.0)
    }
}

impl TooManyRequests {
    /// The refusal with its own message; "try again in N seconds" is added.
    pub fn with_detail(self, detail: &str) -> ApiError {
        let secs = self.retry_after_secs();
        ApiError {
            retry_after: Some(secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("{detail}; try again in {secs} seconds"),
            )
        }
    }
}

impl From<TooManyRequests> for ApiError {
    fn from(t: TooManyRequests) -> Self {
        t.with_detail("too many requests")
    }
}

impl IntoResponse for TooManyRequests {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// A wait as whole seconds for `Retry-After` (rounded up: retrying sooner would fail).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The part of a client address that identifies one client: the whole IPv4 address, or
/// the /64 network of an IPv6 address (one host usually holds a whole /64).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The address of the client that sent a request: the connection's peer, or — when the
/// peer is one of the `trusted` reverse proxies — the address they put in
/// `X-Forwarded-For` (see [`TrustedProxies::client`]). `None` when the peer is not known
/// (e.g. a test calling the router directly).
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer?;
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        // A header that is not text cannot be read; its entries count as malformed.
        .map(|v| v.to_str().unwrap_or("?"))
        .flat_map(|v| v.split(','))
        .collect();
    Some(trusted.client(peer, forwarded.into_iter()))
}

/// Extracts the rate-limiting key of the client (see [`client_ip`], [`client_key`]).
#[derive(Debug, Clone)]
pub struct ClientKey(pub String);

impl FromRequestParts<AppState> for ClientKey {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientKey(
            client_ip(peer, &parts.headers, &state.config.trust_proxy)
                .map_or_else(|| "unknown".to_owned(), client_key),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_until_a_token_refills() {
        let limiter = RateLimiter::new(10, 10, 100);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(limiter.check("a", t0), Ok(()));
        }
        let wait = limiter.check("a", t0).unwrap_err();
        assert_eq!(wait.as_secs(), 6, "one token every 6 s at 10 a minute");
        // Other keys have their own bucket.
        assert_eq!(limiter.check("b", t0), Ok(()));
        assert!(limiter.check("a", t0 + Duration::from_secs(5)).is_err());
        assert_eq!(limiter.check("a", t0 + Duration::from_secs(6)), Ok(()));
        assert!(limiter.check("a", t0 + Duration::from_secs(6)).is_err());
        // After a long pause the bucket is full again, but no fuller than the burst.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..10 {
            assert_eq!(limiter.check("a", later), Ok(()));
        }
        assert!(limiter.check("a", later).is_err());
    }

    #[test]
    fn a_refund_gives_back_one_request_and_never_more_than_the_burst() {
        let limiter = RateLimiter::per_period(3, Duration::from_secs(90), 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check("a", t0).unwrap();
        }
        assert_eq!(limiter.check("a", t0), Err(Duration::from_secs(30)));
        limiter.refund("a", t0);
        assert_eq!(limiter.check("a", t0), Ok(()));
        // Refunds beyond a full allowance are not saved up.
        for _ in 0..10 {
            limiter.refund("a", t0);
        }
        for _ in 0..3 {
            limiter.check("a", t0).unwrap();
        }
        assert!(limiter.check("a", t0).is_err());
        limiter.refund("unknown", t0);
        assert!(limiter.is_empty() || limiter.len() == 1);
    }

    #[test]
    fn a_refusal_is_a_429_problem_with_retry_after() {
        let r = TooManyRequests(Duration::from_millis(1500)).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "2");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }

    #[test]
    fn idle_keys_are_forgotten_and_memory_is_bounded() {
        let limiter = RateLimiter::new(2, 60, 100);
        let t0 = Instant::now();
        for i in 0..50 {
            limiter.check(&format!("k{i}"), t0).unwrap();
        }
        assert_eq!(limiter.len(), 50);
        // Whole again after 2 s; the next prune (a minute on) drops them all.
        limiter.check("new", t0 + PRUNE_EVERY).unwrap();
        assert_eq!(limiter.len(), 1);

        // A flood of new keys never grows past the bound.
        let t1 = t0 + PRUNE_EVERY;
        for i in 0..1000 {
            limiter.check(&format!("flood{i}"), t1).unwrap();
            assert!(limiter.len() <= 100);
        }
    }

    #[test]
    fn ipv6_clients_are_grouped_by_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7");
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "1.1.1.1".parse().unwrap());
        headers.append("x-forwarded-for", "203.0.113.9".parse().unwrap());
        let nobody = TrustedProxies::default();
        assert_eq!(client_ip(Some(peer), &headers, &nobody), Some(peer));
        assert_eq!(
            client_ip(Some(peer), &headers, &trusted),
            Some("203.0.113.9".parse().unwrap()),
            "the proxy's entry (the last header), not the client's own claim"
        );
        headers.insert(
            "x-forwarded-for",
            axum::http::HeaderValue::from_bytes(b"203.0.113.9\xff").unwrap(),
        );
        assert_eq!(client_ip(Some(peer), &headers, &trusted), Some(peer));
        assert_eq!(client_ip(None, &headers, &trusted), None);
    }
}
