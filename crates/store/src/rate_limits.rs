//! Rate limits shared by every instance on one database: per limit and key, the instant
//! (milliseconds) its allowance is whole again. Each check is one atomic statement — an
//! upsert whose `WHERE` is the GCRA test — so two instances never both pass the last
//! allowed request: PostgreSQL locks the row and re-evaluates the test on the newest
//! version. It commits without waiting for the WAL flush (about 1 ms a check instead of
//! 4.5 ms in a debug build on the test machine). The arithmetic mirrors [`advocate_core::rate::Gcra`] exactly (tested against
//! it), in milliseconds; times come from the caller so that tests need no sleeping.

use crate::{Backend, RateLimits, Result, StoreError};
use advocate_core::rate::Gcra;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Keys longer than this (an email typed by anyone) are stored as their SHA-256, so a
/// row stays small whatever a client sends.
const MAX_KEY_CHARS: usize = 200;

fn stored_key(key: &str) -> String {
    if key.len() <= MAX_KEY_CHARS {
        key.to_owned()
    } else {
        format!("sha256:{:x}", Sha256::digest(key.as_bytes()))
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 {
        return Err(StoreError::Invalid(format!(
            "name: a rate limit's name has 1 to 64 characters; got {name:?}"
        )));
    }
    Ok(())
}

impl RateLimits<'_> {
    /// Takes one request from `key` under the limit `name` at `now_ms`: `Ok(Ok(()))` when
    /// it passes, `Ok(Err(wait))` when refused (nothing changes then).
    #[tracing::instrument(name = "rate_limits.take", level = "debug", skip_all, fields(name))]
    pub async fn take(
        &self,
        name: &str,
        key: &str,
        gcra: &Gcra,
        now_ms: i64,
    ) -> Result<Result<(), Duration>> {
        check_name(name)?;
        let key = stored_key(key);
        let (interval, tolerance) = (millis(gcra.interval), millis(gcra.tolerance));
        // A new key starts whole: it passes and is full one interval on. A known one
        // passes when its schedule runs at most `tolerance` ahead of now (ahead is
        // max(full_at, now) - now, which is within a non-negative tolerance exactly
        // when full_at - now is).
        let mut tx = self.store.begin_write().await?;
        if self.store.backend == Backend::Postgres {
            // A limit's state is worth less than the wait for the disk: a crash loses at
            // most the last fraction of a second of counts, and the upsert's row lock still
            // serialises instances. Cuts a check from one WAL flush to none.
            sqlx::query("SET LOCAL synchronous_commit TO OFF")
                .execute(&mut *tx)
                .await?;
        }
        let passed = sqlx::query(
            "INSERT INTO rate_limits (name, subject, full_at) VALUES ($1, $2, $3 + $4) \
             ON CONFLICT (name, subject) DO UPDATE SET full_at = \
               (CASE WHEN rate_limits.full_at > $3 THEN rate_limits.full_at ELSE $3 END) + $4 \
             WHERE rate_limits.full_at - $3 <= $5 \
             RETURNING full_at",
        )
        .bind(name)
        .bind(&key)
        .bind(now_ms)
        .bind(interval)
        .bind(tolerance)
        .fetch_optional(&mut *tx)
        .await?;
        if passed.is_some() {
            tx.commit().await?;
            return Ok(Ok(()));
        }
        // Refused: how long until the next request is free (read again only to say so).
        let full_at: Option<i64> =
            sqlx::query_scalar("SELECT full_at FROM rate_limits WHERE name = $1 AND subject = $2")
                .bind(name)
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
        tx.commit().await?;
        let wait = full_at.map_or(0, |f| f - now_ms - tolerance).max(1);
        Ok(Err(Duration::from_millis(wait as u64)))
    }

    /// Gives back one request taken from `key` (an attempt that turned out fine); never
    /// more than a whole allowance.
    #[tracing::instrument(name = "rate_limits.refund", level = "debug", skip_all, fields(name))]
    pub async fn refund(&self, name: &str, key: &str, gcra: &Gcra, now_ms: i64) -> Result<()> {
        check_name(name)?;
        sqlx::query(
            "UPDATE rate_limits SET full_at = \
               CASE WHEN full_at - $3 > $4 THEN full_at - $4 ELSE $3 END \
             WHERE name = $1 AND subject = $2",
        )
        .bind(name)
        .bind(stored_key(key))
        .bind(now_ms)
        .bind(millis(gcra.interval))
        .execute(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Deletes at most `max_rows` keys whose allowance is whole at `now_ms` (as good as
    /// none); returns how many. Bounded so that one call never holds the table for long.
    #[tracing::instrument(name = "rate_limits.prune", level = "debug", skip_all)]
    pub async fn prune(&self, now_ms: i64, max_rows: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM rate_limits WHERE (name, subject) IN \
             (SELECT name, subject FROM rate_limits WHERE full_at <= $1 LIMIT $2)",
        )
        .bind(now_ms)
        .bind(max_rows.max(0))
        .execute(&self.store.writer)
        .await?;
        Ok(done.rows_affected())
    }

    /// How many keys are remembered (for tests and `/metrics`).
    pub async fn count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM rate_limits")
            .fetch_one(&self.store.pool)
            .await?)
    }
}
