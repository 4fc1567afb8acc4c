//! Advocate's persistence: one implementation over SQLite and PostgreSQL.
//!
//! Queries are written once in the SQL both databases share and run through sqlx's `Any`
//! driver; each backend has its own migrations folder for the few places the dialects
//! differ (column types). Where behaviour must differ at run time, `Backend` says which
//! database this is. SQLite writes go through a single connection, so one process never
//! competes with itself for SQLite's write lock.

pub mod answers;
pub mod backup;
pub mod business;
pub mod closed_loop;
pub mod delivery;
pub mod digests;
mod error;
pub mod feedback;
mod handles;
pub mod health;
pub mod insight;
pub mod invitations;
mod many_rows;
pub mod metrics;
pub mod models;
pub mod privacy;
pub mod rate_limits;
pub mod tenancy;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod themes;

pub use error::{Result, StoreError};
pub use handles::*;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, Row};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Invalid(format!(
                "database URL must start with sqlite: or postgres://; got {:?}",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

/// The slug cache's entries: a survey by workspace and slug, and when it was read.
type SurveyCache = std::collections::HashMap<(i64, String), (std::time::Instant, models::Survey)>;

/// Handle to the database; cheap to clone (two reference counts: handlers clone it for
/// every request).
#[derive(Clone, Debug)]
pub struct Store {
    shared: Arc<Shared>,
    /// Writes live answers in groups; started on first use. Kept outside `shared`: the
    /// committer task holds a `Store` of its own without it, so the task ends when the
    /// last handle that can send it answers is dropped.
    group_commit: Arc<std::sync::OnceLock<answers::group_commit::GroupCommit>>,
}

/// What every handle of one database shares.
#[derive(Clone, Debug)]
pub struct Shared {
    backend: Backend,
    /// Reads (and, on PostgreSQL, writes).
    pool: AnyPool,
    /// Writes: on SQLite a single connection, on PostgreSQL the same pool as reads.
    writer: AnyPool,
    /// How to open another connection (bulk loads on SQLite open their own).
    options: AnyConnectOptions,
    /// Base URL for links in messages (cases, surveys).
    public_url: Arc<str>,
    /// Woken after a commit that queued messages, so delivery starts at once.
    outbox_signal: Arc<Notify>,
    /// Woken when invitations were scheduled, so the sender looks at once.
    invitation_signal: Arc<Notify>,
    /// The installation's signing key, read from the database once.
    signing_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
    /// Surveys by workspace and slug, with when each was read: `Surveys::update` clears a
    /// changed one on this instance, and entries older than a few seconds are read again,
    /// so another instance's change (a pause) holds here soon too.
    survey_cache: Arc<std::sync::Mutex<SurveyCache>>,
    /// API keys that authenticated in the last seconds.
    key_cache: Arc<tenancy::api_keys::KeyCache>,
    /// Theme taggers by workspace and taxonomy version.
    taggers: Arc<themes::tagging::Taggers>,
    /// Counts for `/metrics` (see [`metrics`]).
    metrics: Arc<metrics::StoreMetrics>,
}

impl std::ops::Deref for Store {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

/// SQLite settings for an embedded database that never loses an acknowledged write:
/// WAL for concurrent readers, `synchronous=FULL` so a commit is on disk before it returns.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";

impl Store {
    /// Connects to `sqlite:PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Invalid(format!("bad database URL: {e}")))?
            .log_statements(tracing::log::LevelFilter::Trace);
        let pool_options = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(30))
                // No ping before each use: on SQLite it is a round trip to the
                // connection's thread per query; a broken connection fails its query,
                // which is reported and retried like any database error.
                .test_before_acquire(false)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute(SQLITE_PRAGMAS).await?;
                        }
                        Ok(())
                    })
                })
        };
        let store = match backend {
            Backend::Sqlite => {
                let writer = pool_options(1)
                    .after_release(|conn, _| Box::pin(sqlite_writer_is_clean(conn)))
                    .connect_with(options.clone())
                    .await?;
                let pool = pool_options(8).connect_with(options.clone()).await?;
                Self::new(backend, pool, writer, options)
            }
            Backend::Postgres => {
                let pool = pool_options(16)
                    // A transaction that failed leaves its rollback queued on the
                    // connection; the driver's count of open transactions must be back
                    // at zero, or the connection is not reused.
                    .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
                    .connect_with(options.clone())
                    .await?;
                Self::new(backend, pool.clone(), pool, options)
            }
        };
        Ok(store)
    }

    fn new(backend: Backend, pool: AnyPool, writer: AnyPool, options: AnyConnectOptions) -> Self {
        Self {
            shared: Arc::new(Shared {
                backend,
                pool,
                writer,
                options,
                public_url: Arc::from("http://127.0.0.1:8080"),
                outbox_signal: Arc::new(Notify::new()),
                invitation_signal: Arc::new(Notify::new()),
                signing_key: Arc::default(),
                survey_cache: Arc::default(),
                key_cache: Arc::default(),
                taggers: Arc::default(),
                metrics: Arc::default(),
            }),
            group_commit: Arc::default(),
        }
    }

    /// The group committer of live answers, started on the first answer.
    pub(crate) fn group_commit(&self) -> &answers::group_commit::GroupCommit {
        self.group_commit.get_or_init(|| {
            let own = Self {
                shared: self.shared.clone(),
                group_commit: Arc::default(),
            };
            answers::group_commit::GroupCommit::start(own)
        })
    }

    /// Sets the base URL used in links inside emails and webhooks.
    pub fn with_public_url(mut self, url: &str) -> Self {
        Arc::make_mut(&mut self.shared).public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub(crate) async fn reaction_context(&self) -> Result<closed_loop::context::Context<'_>> {
        let signing_key = self
            .signing_key
            .get_or_try_init(|| async {
                let key = self
                    .workspaces()
                    .setting_or_insert("signing_key", || random_hex(32))
                    .await?;
                Ok::<_, StoreError>(key.into_bytes())
            })
            .await?;
        Ok(closed_loop::context::Context {
            public_url: &self.public_url,
            signing_key,
            looked: Default::default(),
            new_cases: Default::default(),
        })
    }

    /// Tells the delivery workers that new messages are waiting.
    pub(crate) fn wake_outbox(&self) {
        self.outbox_signal.notify_one();
    }

    pub(crate) fn wake_invitations(&self) {
        self.invitation_signal.notify_one();
    }

    /// Resolves when invitations have been scheduled since the last wake-up (or at once,
    /// if a wake-up is pending); the sender also polls, for invitations falling due.
    pub async fn invitations_scheduled(&self) {
        self.invitation_signal.notified().await;
    }

    /// Resolves when messages have been queued since the last wake-up (or at once, if a
    /// wake-up is pending); workers also poll, for messages queued by other instances.
    pub async fn outbox_queued(&self) {
        self.outbox_signal.notified().await;
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a transaction that read first and then tried to write while another
    /// process held the lock would fail at once instead of waiting `busy_timeout`.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// Whether a write can be committed now: a small real write, for readiness checks
    /// (reads may work while the disk is full or another process holds the write lock).
    pub async fn check_writable(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('write_probe', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(Utc::now().timestamp().to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies this backend's embedded migrations; safe to run on every start.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                // A migration may rebuild a table (SQLite cannot drop a constraint): its
                // documented procedure runs with foreign-key enforcement off, then checks
                // every reference before the connection enforces them again.
                // That check reads the whole database (23 s on 1 GB), so it runs only
                // when a migration is pending, not on every start.
                let migrator = sqlite_migrator();
                let mut conn = self.writer.acquire().await?;
                // A fresh database has no table of applied migrations: all are pending.
                let applied: Vec<i64> =
                    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                        .fetch_all(&mut *conn)
                        .await
                        .unwrap_or_default();
                if migrator.iter().all(|m| applied.contains(&m.version)) {
                    drop(conn);
                    self.reaction_context().await?;
                    return Ok(());
                }
                // Never handed out again, whatever fails below: the next write opens a
                // fresh connection, with foreign keys enforced by its start-up pragmas.
                conn.close_on_drop();
                conn.execute("PRAGMA foreign_keys = OFF").await?;
                let migrated = migrator.run(&mut *conn).await;
                let broken = sqlx::query("PRAGMA foreign_key_check")
                    .fetch_optional(&mut *conn)
                    .await;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                migrated?;
                if let Some(row) = broken? {
                    let table: String = row.try_get(0)?;
                    return Err(StoreError::Invalid(format!(
                        "after migrating, a row of {table} refers to a row that does not exist"
                    )));
                }
            }
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.writer)
                    .await?
            }
        }
        // Made now, outside any transaction: later reads never need the writer.
        self.reaction_context().await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers; for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Refreshes the query planner's statistics. Run after bulk loads (imports, history): the
    /// KPI queries join large tables, and without statistics SQLite may pick a plan tens of
    /// times slower (measured: 2.4 s → 0.28 s on a KPI report over 56,000 answers).
    /// On SQLite the statistics are sampled (about a thousand rows per index, as SQLite
    /// recommends for `analysis_limit`): as good for choosing plans, and seconds faster
    /// after a large import than reading every index in full.
    pub async fn analyze(&self) -> Result<()> {
        let sql = match self.backend {
            Backend::Sqlite => "PRAGMA analysis_limit = 1000; ANALYZE",
            Backend::Postgres => "ANALYZE",
        };
        sqlx::raw_sql(sql).execute(&self.writer).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// The SQLite migrations this version of Advocate knows.
pub(crate) fn sqlite_migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("migrations/sqlite")
}

/// Whether SQLite's writer connection can be used again after a caller let it go. A write
/// that failed (disk full, I/O error) can leave SQLite inside a transaction, or SQLite
/// may have rolled it back itself so that the driver's `ROLLBACK` failed and the driver
/// still counts a transaction open; its next `BEGIN` would then be a savepoint whose
/// "commit" stores nothing. Either way the connection is closed (which rolls back) and
/// the pool opens a fresh one for the next write.
async fn sqlite_writer_is_clean(conn: &mut sqlx::AnyConnection) -> sqlx::Result<bool> {
    // Runs after any rollback a dropped transaction queued on this connection.
    let outside_transaction = conn.execute("BEGIN; ROLLBACK").await.is_ok();
    let clean = outside_transaction && !conn.is_in_transaction();
    if !clean {
        tracing::warn!("the database writer was left inside a failed transaction; replacing it");
    }
    Ok(clean)
}

/// Adds `mode=rwc` (create if missing) and creates the parent folder of a file database.
fn sqlite_url(url: &str) -> Result<String> {
    let path = sqlite_path(url);
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Invalid(
            "an in-memory SQLite database would lose every answer; give a file path".into(),
        ));
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Invalid(format!(
                    "cannot create data folder {}: {e}",
                    parent.display()
                ))
            })?;
        }
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// The file a `sqlite:PATH` URL names (empty for none).
pub(crate) fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default()
}

pub(crate) fn to_ts(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

pub(crate) fn from_ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// `bytes` random bytes as lower-case hex, for keys and secrets.
pub(crate) fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random string of letters and digits, for keys and public ids.
pub(crate) fn random_token(len: usize) -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), len)
}
