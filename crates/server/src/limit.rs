//! The rate limits callers use, one API wherever they are kept: in this instance's memory
//! (SQLite: one process owns the database) or in the database, shared by every instance
//! (PostgreSQL: N instances behind a load balancer must not allow N times the limit).
//! Either way core's [`Gcra`] rule decides.
//!
//! When the shared table cannot be reached, each limit fails as chosen for it:
//! sign-in, two-factor and password-reset limits fail **closed** (`503`: guessing must
//! not speed up because the database is struggling, and those requests need the database
//! anyway); the answer limit fails **open** (an answer is worth more than the limit; the
//! failure is logged).

use crate::ratelimit::{RateLimiter, TooManyRequests};
use crate::ApiError;
use advocate_core::rate::Gcra;
use advocate_store::{Backend, Store, StoreError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often an instance deletes the shared keys that are whole again, and how many at
/// most each time.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
const PRUNE_ROWS: i64 = 5_000;

/// What a limit does when the database behind it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Let the request through (and log it).
    Open,
    /// Refuse it with `503`.
    Closed,
}

/// Why a request was not let through.
#[derive(Debug)]
pub enum Refused {
    /// Over the limit: try again after this long (`429`).
    TooMany(Duration),
    /// The shared limit could not be checked and this limit fails closed (`503`).
    Unavailable(StoreError),
}

impl Refused {
    /// The refusal as an API error: `429` with `detail`, or `503`.
    pub fn with_detail(self, detail: &str) -> ApiError {
        match self {
            Refused::TooMany(wait) => TooManyRequests(wait).with_detail(detail),
            Refused::Unavailable(e) => e.into(),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        r.with_detail("too many requests")
    }
}

/// One limit (e.g. failed sign-ins per email), kept in memory or shared.
#[derive(Debug)]
pub struct Limit {
    kept: Kept,
}

#[derive(Debug)]
enum Kept {
    Local(RateLimiter),
    Shared {
        name: &'static str,
        gcra: Gcra,
        on_failure: OnFailure,
        store: Store,
        last_prune: Mutex<Option<Instant>>,
    },
}

impl Limit {
    /// A limit of this instance only.
    pub fn local(limiter: RateLimiter) -> Self {
        Self {
            kept: Kept::Local(limiter),
        }
    }

    /// A limit kept in `store` under `name`, shared by every instance on it, following
    /// the rule of `limiter` (its memory is not used).
    pub fn shared(
        name: &'static str,
        limiter: RateLimiter,
        on_failure: OnFailure,
        store: Store,
    ) -> Self {
        Self {
            kept: Kept::Shared {
                name,
                gcra: limiter.rule(),
                on_failure,
                store,
                last_prune: Mutex::new(None),
            },
        }
    }

    /// Whether this limit is kept in the database.
    pub fn is_shared(&self) -> bool {
        matches!(self.kept, Kept::Shared { .. })
    }

    /// Takes one request from `key`'s allowance, or says why not.
    pub async fn check(&self, key: &str) -> Result<(), Refused> {
        match &self.kept {
            Kept::Local(limiter) => limiter.check(key, Instant::now()).map_err(Refused::TooMany),
            Kept::Shared {
                name,
                gcra,
                on_failure,
                store,
                last_prune,
            } => {
                let now = now_ms();
                self.prune_now_and_then(store, last_prune, now);
                match store.rate_limits().take(name, key, gcra, now).await {
                    Ok(passed) => passed.map_err(Refused::TooMany),
                    Err(e) => match on_failure {
                        OnFailure::Open => {
                            tracing::warn!(limit = name, error = %e, "shared rate limit unavailable; let through");
                            Ok(())
                        }
                        OnFailure::Closed => {
                            tracing::warn!(limit = name, error = %e, "shared rate limit unavailable; refused");
                            Err(Refused::Unavailable(StoreError::Unavailable(format!(
                                "rate limit {name}: {e}"
                            ))))
                        }
                    },
                }
            }
        }
    }

    /// [`Limit::check`] as an API error: `429` with `Retry-After`, or `503`.
    pub async fn limit(&self, key: &str) -> Result<(), ApiError> {
        self.check(key).await.map_err(ApiError::from)
    }

    /// Gives back one request taken from `key` (an attempt that turned out to be fine).
    /// A failure only costs the person one attempt, so it is logged, not returned.
    pub async fn refund(&self, key: &str) {
        match &self.kept {
            Kept::Local(limiter) => limiter.refund(key, Instant::now()),
            Kept::Shared {
                name, gcra, store, ..
            } => {
                if let Err(e) = store.rate_limits().refund(name, key, gcra, now_ms()).await {
                    tracing::warn!(limit = name, error = %e, "shared rate limit refund failed");
                }
            }
        }
    }

    /// Deletes whole-again keys in the background about once a minute per instance and
    /// limit (bounded batches; any instance's pass serves all).
    fn prune_now_and_then(&self, store: &Store, last_prune: &Mutex<Option<Instant>>, now: i64) {
        {
            let mut last = last_prune.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        let store = store.clone();
        tokio::spawn(async move {
            match store.rate_limits().prune(now, PRUNE_ROWS).await {
                Ok(n) if n > 0 => tracing::debug!(deleted = n, "pruned shared rate limits"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning shared rate limits failed"),
            }
        });
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One limit per purpose (see [`crate::ratelimit`] for the rules).
#[derive(Debug)]
pub struct Limits {
    /// Anonymous answers per client and survey (survey page and widget).
    pub answers: Limit,
    /// Failed sign-ins per email tried.
    pub sign_in_emails: Limit,
    /// Failed sign-ins per client address.
    pub sign_in_clients: Limit,
    /// Password-reset requests.
    pub password_reset: Limit,
    /// Wrong two-factor codes per person.
    pub two_factor_codes: Limit,
}

impl Default for Limits {
    /// Every limit in this instance's memory.
    fn default() -> Self {
        Self {
            answers: Limit::local(RateLimiter::for_answers()),
            sign_in_emails: Limit::local(RateLimiter::for_sign_in_emails()),
            sign_in_clients: Limit::local(RateLimiter::for_sign_in_clients()),
            password_reset: Limit::local(RateLimiter::for_password_reset()),
            two_factor_codes: Limit::local(RateLimiter::for_two_factor_codes()),
        }
    }
}

impl Limits {
    /// The limits for an instance on `store`: shared through the database on PostgreSQL
    /// (where several instances may serve), in memory on SQLite.
    pub fn for_store(store: &Store) -> Self {
        if store.backend() != Backend::Postgres {
            return Self::default();
        }
        let shared =
            |name, limiter, on_failure| Limit::shared(name, limiter, on_failure, store.clone());
        use OnFailure::{Closed, Open};
        Self {
            answers: shared("answers", RateLimiter::for_answers(), Open),
            sign_in_emails: shared("sign_in_emails", RateLimiter::for_sign_in_emails(), Closed),
            sign_in_clients: shared(
                "sign_in_clients",
                RateLimiter::for_sign_in_clients(),
                Closed,
            ),
            password_reset: shared("password_reset", RateLimiter::for_password_reset(), Closed),
            two_factor_codes: shared(
                "two_factor_codes",
                RateLimiter::for_two_factor_codes(),
                Closed,
            ),
        }
    }
}
