//! What `advocate doctor` asks the database, without changing it: which migrations are
//! pending, and a time to compare the system clock with.

use crate::{from_ts, Backend, Result, Store};
use chrono::{DateTime, Utc};

/// Migrations compared with this binary's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Known to this binary, not applied yet: `version description`, oldest first.
    pub pending: Vec<String>,
    /// Applied, but unknown to this binary: the database was migrated by a newer one.
    pub unknown: Vec<i64>,
}

impl Store {
    /// Compares the applied migrations with this binary's; applies nothing.
    pub async fn migration_status(&self) -> Result<MigrationStatus> {
        let migrator = match self.backend {
            Backend::Sqlite => crate::sqlite_migrator(),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        // A fresh database has no table of applied migrations: all are pending.
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await
                .unwrap_or_default();
        let pending = migrator
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| format!("{} {}", m.version, m.description))
            .collect();
        let unknown = applied
            .into_iter()
            .filter(|v| !migrator.iter().any(|m| m.version == *v))
            .collect();
        Ok(MigrationStatus { pending, unknown })
    }

    /// The database server's clock (PostgreSQL); `None` on SQLite, which has no clock of
    /// its own.
    pub async fn server_clock(&self) -> Result<Option<DateTime<Utc>>> {
        if self.backend == Backend::Sqlite {
            return Ok(None);
        }
        let secs: i64 = sqlx::query_scalar("SELECT CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)")
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(from_ts(secs)))
    }

    /// When the newest answer of any workspace was given, if there is one.
    pub async fn newest_answer_at(&self) -> Result<Option<DateTime<Utc>>> {
        let secs: Option<i64> = sqlx::query_scalar("SELECT MAX(answered_at) FROM answers")
            .fetch_one(&self.pool)
            .await?;
        Ok(secs.map(from_ts))
    }
}
