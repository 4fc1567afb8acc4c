use thiserror::Error;

/// What can go wrong in the store. `NotFound`, `Conflict` and `Invalid` carry a message
/// meant for the user; `Unavailable` means the database cannot take the request now (disk
/// full, I/O error, locked for longer than the busy timeout, connection lost) and the
/// same request may succeed later; `Database` is internal and must not be shown as it is.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<advocate_core::field::Invalid> for StoreError {
    fn from(err: advocate_core::field::Invalid) -> Self {
        Self::Invalid(err.into_message())
    }
}

/// A closed case is a conflict with its state (409); every other refusal is invalid.
impl From<advocate_core::case::CaseError> for StoreError {
    fn from(err: advocate_core::case::CaseError) -> Self {
        match err {
            advocate_core::case::CaseError::Closed(_) => Self::Conflict(err.to_string()),
            other => Self::Invalid(other.to_string()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if is_transient(&err) {
            Self::Unavailable(err.to_string())
        } else {
            Self::Database(err)
        }
    }
}

impl StoreError {
    /// Whether a database error is a unique-constraint violation (both backends).
    pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
        matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
    }

    /// The same error for another caller: a group commit reports its one failure to
    /// every answer of the group, and each must keep its kind (503 or 500).
    pub(crate) fn for_another(&self) -> Self {
        match self {
            Self::NotFound(m) => Self::NotFound(m.clone()),
            Self::Conflict(m) => Self::Conflict(m.clone()),
            Self::Invalid(m) => Self::Invalid(m.clone()),
            Self::Unavailable(m) => Self::Unavailable(m.clone()),
            other => Self::Database(sqlx::Error::Protocol(other.to_string())),
        }
    }
}

/// Errors that say "not now" rather than "never": the disk, the lock or the connection,
/// not the request. Both backends.
fn is_transient(err: &sqlx::Error) -> bool {
    use sqlx::Error as E;
    match err {
        E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Tls(_) => true,
        E::Database(db) => {
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // The primary result code is the low byte of the extended one.
                let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
                matches!(
                    code & 0xff,
                    SQLITE_BUSY
                        | SQLITE_LOCKED
                        | SQLITE_NOMEM
                        | SQLITE_READONLY
                        | SQLITE_IOERR
                        | SQLITE_FULL
                        | SQLITE_CANTOPEN
                )
            } else {
                // SQLSTATE classes: connection exception, insufficient resources (disk
                // full, out of memory, too many connections), operator intervention
                // (shutdown, crash recovery), system I/O error.
                let state = db.code().unwrap_or_default();
                state.starts_with("08")
                    || state.starts_with("53")
                    || state.starts_with("57P")
                    || state == "58030"
            }
        }
        _ => false,
    }
}

const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_NOMEM: i32 = 7;
const SQLITE_READONLY: i32 = 8;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;
