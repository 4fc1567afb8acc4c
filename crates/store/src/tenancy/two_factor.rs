//! Two-factor sign-in: a person's TOTP secret (pending until confirmed), the last code
//! step accepted (so no code works twice) and their recovery codes, of which only the
//! SHA-256 is stored. The codes themselves are checked by `advocate_core::totp`; what must
//! happen once (a step, a recovery code) is decided here, atomically, so two requests
//! racing with the same code cannot both win.

use crate::tenancy::accounts::digest;
use crate::TwoFactor;
use crate::{from_ts, to_ts, Result, StoreError};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A person's two-factor state.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoFactorState {
    /// Base32, as the authenticator app holds it.
    pub secret: String,
    /// `None` while enrolment waits for its first correct code.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The step of the last code accepted.
    pub last_step: Option<i64>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

impl TwoFactorState {
    /// Whether sign-in asks for a code.
    pub fn is_on(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

impl TwoFactor<'_> {
    /// The person's two-factor state; `None` when they never started enrolment (or
    /// turned it off).
    #[tracing::instrument(name = "two_factor.state", level = "debug", skip_all)]
    pub async fn state(&self, user_id: i64) -> Result<Option<TwoFactorState>> {
        let row = sqlx::query(
            "SELECT secret, confirmed_at, last_step, (SELECT COUNT(*) FROM recovery_codes r \
             WHERE r.user_id = t.user_id AND r.used_at IS NULL) AS left_codes \
             FROM two_factor t WHERE t.user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.store.pool)
        .await?;
        row.map(|r| {
            Ok(TwoFactorState {
                secret: r.try_get("secret")?,
                confirmed_at: r.try_get::<Option<i64>, _>("confirmed_at")?.map(from_ts),
                last_step: r.try_get("last_step")?,
                recovery_codes_left: r.try_get("left_codes")?,
            })
        })
        .transpose()
    }

    /// Starts (or restarts) enrolment with a new secret. Refused while two-factor is on:
    /// it must be turned off first, so a stolen session cannot swap the secret.
    #[tracing::instrument(name = "two_factor.begin", level = "debug", skip_all)]
    pub async fn begin(&self, user_id: i64, secret: &str, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let on: Option<Option<i64>> =
            sqlx::query_scalar("SELECT confirmed_at FROM two_factor WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if matches!(on, Some(Some(_))) {
            return Err(StoreError::Conflict(
                "two-factor sign-in is already on; turn it off before setting it up again".into(),
            ));
        }
        sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO two_factor (user_id, secret, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(secret)
            .bind(to_ts(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Confirms a pending enrolment with the step of the first correct code, and stores
    /// the recovery codes (normalised, see `advocate_core::totp::normalize_recovery_code`).
    /// Fails when there is no pending enrolment.
    #[tracing::instrument(name = "two_factor.confirm", level = "debug", skip_all)]
    pub async fn confirm(
        &self,
        user_id: i64,
        step: i64,
        recovery_codes: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let done = sqlx::query(
            "UPDATE two_factor SET confirmed_at = $1, last_step = $2 \
             WHERE user_id = $3 AND confirmed_at IS NULL",
        )
        .bind(to_ts(now))
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "there is no two-factor set-up waiting for confirmation; start again".into(),
            ));
        }
        put_recovery_codes(&mut tx, user_id, recovery_codes, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepts a code's step for sign-in: true when two-factor is on and no code of this
    /// step or a later one was accepted before (exactly one of two racing requests wins).
    #[tracing::instrument(name = "two_factor.accept_step", level = "debug", skip_all)]
    pub async fn accept_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE two_factor SET last_step = $1 WHERE user_id = $2 \
             AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.store.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Uses up a recovery code (normalised): true when it was the person's and unused.
    #[tracing::instrument(name = "two_factor.use_recovery_code", level = "debug", skip_all)]
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 \
             AND used_at IS NULL AND EXISTS (SELECT 1 FROM two_factor t \
             WHERE t.user_id = $2 AND t.confirmed_at IS NOT NULL)",
        )
        .bind(to_ts(now))
        .bind(user_id)
        .bind(digest(code))
        .execute(&self.store.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces every recovery code of a person who has two-factor on.
    #[tracing::instrument(name = "two_factor.replace_recovery_codes", level = "debug", skip_all)]
    pub async fn replace_recovery_codes(
        &self,
        user_id: i64,
        codes: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let on: Option<Option<i64>> =
            sqlx::query_scalar("SELECT confirmed_at FROM two_factor WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if !matches!(on, Some(Some(_))) {
            return Err(StoreError::Conflict(
                "two-factor sign-in is off; there are no recovery codes to replace".into(),
            ));
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        put_recovery_codes(&mut tx, user_id, codes, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns two-factor off: the secret and every recovery code go. Returns whether it
    /// was on (or pending).
    #[tracing::instrument(name = "two_factor.remove", level = "debug", skip_all)]
    pub async fn remove(&self, user_id: i64) -> Result<bool> {
        let mut tx = self.store.begin_write().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let removed = sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed > 0)
    }
}

async fn put_recovery_codes(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    codes: &[String],
    now: DateTime<Utc>,
) -> Result<()> {
    for code in codes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(digest(code))
        .bind(to_ts(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
