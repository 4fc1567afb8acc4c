//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database when
//! `ADVOCATE_TEST_POSTGRES_URL` is set. Without it PostgreSQL tests are skipped with a
//! printed reason, unless `ADVOCATE_REQUIRE_PEERS=1`, which makes a missing peer a failure.

use crate::{random_token, Backend, Store};
use std::path::PathBuf;

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    sqlite_dir: Option<PathBuf>,
    postgres_admin: Option<(String, String)>,
}

/// Whether a missing test peer must fail the run rather than skip.
pub fn peers_required() -> bool {
    std::env::var("ADVOCATE_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// Skips (returns `None`, printing why) or fails, as `ADVOCATE_REQUIRE_PEERS` says.
pub fn missing_peer<T>(reason: &str) -> Option<T> {
    if peers_required() {
        panic!("ADVOCATE_REQUIRE_PEERS=1 but {reason}");
    }
    eprintln!("SKIPPED: {reason}");
    None
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("advocate-test-{}", random_token(12)));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self {
            url: format!("sqlite://{}", dir.join("advocate.db").display()),
            backend: Backend::Sqlite,
            sqlite_dir: Some(dir),
            postgres_admin: None,
        }
    }

    /// A SQLite database in a folder of the caller's choosing (a small filesystem made
    /// by a fault-injection test); the folder's contents are removed with it.
    pub fn sqlite_in(dir: PathBuf) -> Self {
        std::fs::create_dir_all(&dir).expect("create test database folder");
        Self {
            url: format!("sqlite://{}", dir.join("advocate.db").display()),
            backend: Backend::Sqlite,
            sqlite_dir: Some(dir),
            postgres_admin: None,
        }
    }

    /// A new, empty PostgreSQL database, or `None` when no server is configured.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var("ADVOCATE_TEST_POSTGRES_URL") else {
            return missing_peer("ADVOCATE_TEST_POSTGRES_URL is not set; PostgreSQL tests skipped");
        };
        let name = format!("advocate_test_{}", random_token(12).to_lowercase());
        sqlx::any::install_default_drivers();
        let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("cannot reach PostgreSQL at ADVOCATE_TEST_POSTGRES_URL: {e}")
            });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        Some(Self {
            url: format!("{base}/{name}"),
            backend: Backend::Postgres,
            sqlite_dir: None,
            postgres_admin: Some((admin_url, name)),
        })
    }

    /// Both backends: SQLite always, PostgreSQL when available.
    pub async fn all() -> Vec<Self> {
        let mut dbs = vec![Self::sqlite()];
        dbs.extend(Self::postgres().await);
        dbs
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url)
            .await
            .expect("connect test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}

impl Store {
    /// The external ids of every stored answer, for tests that count what was kept.
    pub async fn answer_external_ids(&self) -> crate::Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT external_id FROM answers WHERE external_id IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether the connection that writes checks foreign keys (SQLite turns the check off
    /// for migrations that rebuild a table; PostgreSQL always checks).
    pub async fn writer_enforces_foreign_keys(&self) -> crate::Result<bool> {
        match self.backend {
            Backend::Postgres => Ok(true),
            Backend::Sqlite => {
                let (on,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
                    .fetch_one(&self.writer)
                    .await?;
                Ok(on == 1)
            }
        }
    }

    /// How many rows every table holds, by table: equal before and after a refused request
    /// shows that it stored nothing.
    pub async fn row_counts(&self) -> crate::Result<std::collections::BTreeMap<String, i64>> {
        let tables = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            }
        };
        let names: Vec<(String,)> = sqlx::query_as(tables).fetch_all(&self.writer).await?;
        let mut counts = std::collections::BTreeMap::new();
        for (name,) in names {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {name}"))
                .fetch_one(&self.writer)
                .await?;
            counts.insert(name, n);
        }
        Ok(counts)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin_url, name)) = self.postgres_admin.take() {
            // Dropping runs outside any runtime the test may have: use a small one of our own.
            let drop_db = async move {
                if let Ok(mut admin) =
                    <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url).await
                {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            };
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_db);
                }
            })
            .join();
        }
    }
}

/// Runs one statement written by a test (rows no API writes yet, such as a comment's
/// sentiment before tagging lands).
pub async fn execute(store: &Store, sql: &str) {
    sqlx::query(sql)
        .execute(&store.writer)
        .await
        .expect("a test statement runs");
}

/// The one integer a test query returns.
pub async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&store.pool)
        .await
        .expect("a test query runs")
}
