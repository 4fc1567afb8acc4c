//! Backups of the embedded SQLite database, taken while it serves, and restoring them.
//!
//! A backup is `VACUUM INTO` a temporary file beside the target: one read transaction on
//! the live database, so writers go on (WAL) and the copy holds exactly the commits made
//! before it began. The copy is checked (integrity, then counts read from it), synced and
//! only then renamed into place: the target is the complete, verified backup or nothing.
//! A restore copies a backup the same way into an empty data folder. PostgreSQL has its
//! own tools (`pg_dump`, base backups); README "Operating Advocate" gives the procedure.

use crate::{
    random_token, sqlite_migrator, sqlite_path, Backend, Backups, Result, Store, StoreError,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Executor};
use std::fmt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The database file's name in a data folder.
pub const DATABASE_FILE: &str = "advocate.db";

/// Rows of the main tables, read from a backup: what a person checks it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub workspaces: i64,
    pub customers: i64,
    pub answers: i64,
    pub cases: i64,
    pub messages: i64,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let of = |n: i64, what: &str| match n {
            1 => format!("1 {what}"),
            n => format!("{n} {what}s"),
        };
        write!(
            f,
            "{}, {}, {}, {}, {}",
            of(self.workspaces, "workspace"),
            of(self.customers, "customer"),
            of(self.answers, "answer"),
            of(self.cases, "case"),
            of(self.messages, "message")
        )
    }
}

/// Opens the SQLite database at `url` for a backup: refused for PostgreSQL (its tools do
/// it better) and for a file that does not exist (connecting would create an empty one).
/// Migrations are not applied: a backup copies the database as it is.
pub async fn open_for_backup(url: &str) -> Result<Store> {
    if Backend::of(url)? == Backend::Postgres {
        return Err(postgres_refused());
    }
    let path = Path::new(sqlite_path(url));
    if !path.is_file() {
        return Err(StoreError::NotFound(format!(
            "there is no database at {}",
            path.display()
        )));
    }
    Store::connect(url).await
}

fn postgres_refused() -> StoreError {
    StoreError::Invalid(
        "backups of a PostgreSQL database are made with pg_dump (see \"Backups and restore\" \
         in the README)"
            .into(),
    )
}

impl Backups<'_> {
    /// Writes a verified backup of this SQLite database to `target`, an existing one
    /// only if `replace`; returns what the backup holds.
    #[tracing::instrument(name = "backups.write_to", level = "debug", skip_all)]
    pub async fn write_to(&self, target: &Path, replace: bool) -> Result<Counts> {
        if self.store.backend == Backend::Postgres {
            return Err(postgres_refused());
        }
        refuse_existing(target, replace)?;
        let temp = TempFile::create_beside(target)?;
        let path = temp.path.to_str().ok_or_else(|| {
            StoreError::Invalid(format!("{} is not a UTF-8 path", temp.path.display()))
        })?;
        // A read transaction on a connection of its own: writers are not held up.
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.store.pool)
            .await?;
        let counts = {
            let mut copy = open_file(&temp.path).await?;
            // One self-contained file: no -wal beside it to forget when copying it away.
            copy.execute("PRAGMA journal_mode = DELETE").await?;
            let counts = verify(&mut copy).await?;
            copy.close().await?;
            counts
        };
        temp.install(target, replace).await?;
        Ok(counts)
    }
}

/// Restores the backup `file` into `data_dir`, which must hold no database: the file is
/// checked to be an intact Advocate database this version can open, copied, synced and
/// renamed into place, then brought up to date (migrations). Returns what it holds.
pub async fn restore(file: &Path, data_dir: &Path) -> Result<Counts> {
    let target = data_dir.join(DATABASE_FILE);
    if target.exists() || data_dir.join(format!("{DATABASE_FILE}-wal")).exists() {
        return Err(StoreError::Conflict(format!(
            "{} already holds a database; a restore never replaces one: restore into an \
             empty data folder",
            data_dir.display()
        )));
    }
    let mut source = std::fs::File::open(file)
        .map_err(|e| StoreError::Invalid(format!("cannot read {}: {e}", file.display())))?;
    std::fs::create_dir_all(data_dir)
        .map_err(|e| StoreError::Invalid(format!("cannot create {}: {e}", data_dir.display())))?;
    let temp = TempFile::create_beside(&target)?;
    let mut copy = temp.open_for_writing()?;
    std::io::copy(&mut source, &mut copy).map_err(|e| {
        StoreError::Unavailable(format!("cannot copy to {}: {e}", temp.path.display()))
    })?;
    drop(copy);
    // What is checked is the copy that will be installed, never the caller's file.
    let not_a_backup = |e: StoreError| {
        StoreError::Invalid(format!(
            "{} is not a usable Advocate backup: {e}",
            file.display()
        ))
    };
    let counts = async {
        let mut conn = open_file(&temp.path).await?;
        conn.execute("PRAGMA journal_mode = DELETE").await?;
        let counts = verify(&mut conn).await?;
        refuse_unknown_migrations(&mut conn).await?;
        conn.close().await?;
        Ok::<_, StoreError>(counts)
    }
    .await
    .map_err(not_a_backup)?;
    temp.install(&target, false).await?;
    let url = format!("sqlite://{}", target.display());
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    store.close().await;
    Ok(counts)
}

fn refuse_existing(target: &Path, replace: bool) -> Result<()> {
    if !replace && target.exists() {
        return Err(StoreError::Conflict(format!(
            "{} already exists; it is replaced only when asked to (--force)",
            target.display()
        )));
    }
    Ok(())
}

async fn open_file(path: &Path) -> Result<SqliteConnection> {
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .connect()
        .await?)
}

/// `PRAGMA integrity_check`, the migrations table (an Advocate database), then counts.
async fn verify(conn: &mut SqliteConnection) -> Result<Counts> {
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await?;
    if problems != ["ok"] {
        let shown: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
        return Err(StoreError::Invalid(format!(
            "the integrity check failed: {}",
            shown.join("; ")
        )));
    }
    let migrations: Option<i64> =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await
            .ok();
    if migrations.unwrap_or(0) == 0 {
        return Err(StoreError::Invalid(
            "it is not an Advocate database (it has no applied migrations)".into(),
        ));
    }
    Ok(Counts {
        workspaces: count_rows(conn, "workspaces").await?,
        customers: count_rows(conn, "customers").await?,
        answers: count_rows(conn, "answers").await?,
        cases: count_rows(conn, "cases").await?,
        messages: count_rows(conn, "case_messages").await?,
    })
}

/// `table` is one of the names above, never input. A backup made by an older version may
/// predate the table (messages came in migration 0015): then it holds none.
async fn count_rows(conn: &mut SqliteConnection, table: &str) -> Result<i64> {
    let exists: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1")
            .bind(table)
            .fetch_one(&mut *conn)
            .await?;
    if exists == 0 {
        return Ok(0);
    }
    Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(conn)
        .await?)
}

/// A database migrated by a newer Advocate cannot be opened by this one: said before
/// anything is installed, not by the migration at the next start.
async fn refuse_unknown_migrations(conn: &mut SqliteConnection) -> Result<()> {
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let migrator = sqlite_migrator();
    if let Some(unknown) = applied
        .iter()
        .find(|v| !migrator.iter().any(|m| m.version == **v))
    {
        return Err(StoreError::Invalid(format!(
            "it was made by a newer Advocate (migration {unknown} is unknown to this \
             version); restore it with that version"
        )));
    }
    Ok(())
}

/// A file being written beside its target, removed (with any journal SQLite left beside
/// it) unless it was installed: a failed backup or restore leaves nothing behind.
struct TempFile {
    path: PathBuf,
    installed: bool,
}

impl TempFile {
    /// An empty file, readable by its owner only (backups hold personal data and the
    /// installation's secrets); SQLite keeps the mode of a file it writes into.
    fn create_beside(target: &Path) -> Result<Self> {
        let name = target
            .file_name()
            .ok_or_else(|| StoreError::Invalid(format!("{} names no file", target.display())))?;
        let path = target.with_file_name(format!(
            ".{}.{}.partial",
            name.to_string_lossy(),
            random_token(8)
        ));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                StoreError::Invalid(format!("cannot write to {}: {e}", dir_of(target).display()))
            })?;
        Ok(Self {
            path,
            installed: false,
        })
    }

    fn open_for_writing(&self) -> Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(|e| StoreError::Invalid(format!("cannot write {}: {e}", self.path.display())))
    }

    /// Syncs the file, renames it to `target` and syncs the folder, so that after a crash
    /// `target` is either absent (or the old file) or the whole new one.
    async fn install(mut self, target: &Path, replace: bool) -> Result<()> {
        let io = |what: &str, e: std::io::Error| {
            StoreError::Unavailable(format!("cannot {what} {}: {e}", target.display()))
        };
        let file = tokio::fs::File::open(&self.path)
            .await
            .map_err(|e| io("write", e))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .await
            .map_err(|e| io("write", e))?;
        file.sync_all().await.map_err(|e| io("write", e))?;
        refuse_existing(target, replace)?;
        tokio::fs::rename(&self.path, target)
            .await
            .map_err(|e| io("write", e))?;
        self.installed = true;
        let dir = tokio::fs::File::open(dir_of(target))
            .await
            .map_err(|e| io("sync the folder of", e))?;
        dir.sync_all()
            .await
            .map_err(|e| io("sync the folder of", e))?;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.installed {
            return;
        }
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The folder a file is in (`.` for a bare name).
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
